"""A dispatcher killed mid-delivery sends no SMS twice, prints no letter twice and makes no
call task twice.

The dispatcher runs as a real process (`dispatch_process.py`) against a real SMS gateway on
127.0.0.1 (Twilio's Messages API shape, with its message list); `ARREARS_DISPATCH_CRASH_AT`
makes it exit on the spot (`os._exit`, as a kill would) after a channel took a message and
before the result was recorded, or after the SMS hand-over was committed and before the gateway
was called. Each run after a crash comes after the 10-minute lease, as the next scheduled run
would. On SQLite and, with ARREARS_TEST_POSTGRES_URL, on PostgreSQL.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from comms_builders import GatewayState, brand, creditor, customer, invoice, seed, sms_gateway

from arrears.comms.dispatcher import CRASH_EXIT_CODE, CRASH_VARIABLE
from arrears.comms.message import MessageStatus, OutboundAction, StoredMessage
from arrears.comms.outbox import enqueue_actions
from arrears.core.policy import Channel
from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.unit_of_work import SqlUnitOfWork

RUNNER = Path(__file__).with_name("dispatch_process.py")
DAY = date(2026, 5, 5)
FIRST = datetime(2026, 5, 5, 9, 30, tzinfo=UTC)  # a Tuesday, 10:30 in London
SECOND = FIRST + timedelta(days=1)  # the next scheduled run: a letter retried on another day


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    yield url


def _uow(url: str) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(make_engine(url)))


def _action(key: str, template: str, channel: Channel, debtor: str = "C100") -> OutboundAction:
    number = "INV-1" if debtor == "C100" else "INV-2"
    return OutboundAction("ACME", debtor, template, channel, template, (number,), key, "r", DAY)


def _dispatch(
    url: str, at: datetime, gateway: tuple[str, GatewayState], folder: Path, crash_at: str | None
) -> int:
    environment = {name: value for name, value in os.environ.items() if name != CRASH_VARIABLE}
    if crash_at is not None:
        environment[CRASH_VARIABLE] = crash_at
    base, state = gateway
    state.clock = lambda: at
    done = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            url,
            at.isoformat(),
            base,
            state.account_sid,
            state.auth_token,
            str(folder),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert done.returncode in (0, CRASH_EXIT_CODE), done.stderr
    return done.returncode


def _messages(url: str) -> dict[str, StoredMessage]:
    uow = _uow(url)
    with uow:
        return {key: uow.outbox.get("ACME", key) for key in ("l1", "c1", "s1", "s2")}


@pytest.mark.slow  # four dispatcher processes, about 2 s each to start
def test_a_killed_dispatcher_sends_no_sms_prints_no_letter_and_makes_no_task_twice(
    database: str, tmp_path: Path
) -> None:
    seed(
        _uow(database),
        creditor(),
        brand(),
        [customer(), customer(account_code="C200", name="Other Customer Ltd", phone="07700 900456")],
        [
            invoice("INV-1", date(2026, 3, 1), "480.00"),
            invoice("INV-2", date(2026, 3, 1), "75.50", debtor_code="C200"),
        ],
    )
    actions = [
        _action("l1", "formal_demand", Channel.LETTER),
        _action("c1", "call_30_days", Channel.CALL),
        _action("s1", "overdue_7_days", Channel.SMS),
        _action("s2", "overdue_14_days", Channel.SMS, debtor="C200"),  # another debtor: no contact cap
    ]
    enqueue_actions(_uow(database), "ACME", actions, now=FIRST)
    letters = tmp_path / "letters" / "ACME"

    with sms_gateway() as gateway:
        _, state = gateway
        # 1. killed after the call was handed over: the letter before it is printed, neither recorded
        assert _dispatch(database, FIRST, gateway, tmp_path, "handed_over:call") == CRASH_EXIT_CODE
        stored = _messages(database)
        assert stored["l1"].status is stored["c1"].status is MessageStatus.SENDING
        assert sorted(p.name for p in letters.glob("*/l1.pdf")) == ["l1.pdf"]

        # 2. the next day: the letter is found printed, the call becomes one task; killed after
        #    the gateway took s1 and before it was recorded
        assert _dispatch(database, SECOND, gateway, tmp_path, "handed_over:sms") == CRASH_EXIT_CODE
        stored = _messages(database)
        assert sorted(str(p.relative_to(letters)) for p in letters.glob("*/l1.pdf")) == ["2026-05-05/l1.pdf"]
        assert stored["l1"].status is stored["c1"].status is MessageStatus.SENT
        assert stored["s1"].status is MessageStatus.SENDING
        assert (stored["s1"].provider_ref or "").startswith("handing-over:")
        assert len(state.requests) == 1

        # 3. after the lease: s1 is found at the gateway, not sent again; killed after s2's
        #    hand-over was committed, before the gateway was called
        later = SECOND + timedelta(minutes=11)
        assert _dispatch(database, later, gateway, tmp_path, "handing_over:sms") == CRASH_EXIT_CODE
        stored = _messages(database)
        assert stored["s1"].status is MessageStatus.SENT
        assert stored["s1"].provider_ref == state.messages[0]["sid"]
        assert len(state.requests) == 1

        # 4. the gateway never had s2: it is not sent blindly, a person checks
        assert _dispatch(database, later + timedelta(minutes=11), gateway, tmp_path, None) == 0
        stored = _messages(database)
        posted = len(state.requests)

    assert posted == 1
    assert stored["s2"].status is MessageStatus.DEAD
    assert (stored["s2"].provider_ref or "").startswith("needs-checking:")
    uow = _uow(database)
    with uow:
        tasks = uow.calls.tasks("ACME")
        unchecked = [m.key for m in uow.outbox.list_messages("ACME", needs_checking=True)]
    assert [t.message_key for t in tasks] == ["c1"]
    assert unchecked == ["s2"]
