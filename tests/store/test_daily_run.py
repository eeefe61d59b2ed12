"""One day's run (`run_day`) on SQLite and PostgreSQL: the cycle, then the day's messages sent
for the same creditor, with quiet hours and the contact cap judged by the injected clock, as
the demo's simulated month relies on; a dry run sends nothing; another creditor is untouched."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from comms_builders import brand, creditor, customer, invoice, seed, sms_gateway

from arrears.comms.config import CommsSettings
from arrears.comms.message import MessageStatus
from arrears.core.errors import ArrearsError
from arrears.services import collections_setup as setup
from arrears.services.daily_run import run_day
from arrears.store.unit_of_work import SqlUnitOfWork

DUE = date(2026, 5, 5)  # a Tuesday
EVENING = datetime(2026, 5, 5, 20, 30, tzinfo=UTC)  # 21:30 in London: no SMS
NEXT_MORNING = datetime(2026, 5, 6, 9, 0, tzinfo=UTC)  # 10:00 in London

TEXT_ON_THE_DUE_DATE = """\
name: Text on the due date
version: 1
currency: GBP
steps:
  - name: due today text
    offset_days: 0
    channel: sms
    template: due_today
"""


@pytest.fixture
def two_creditors(uow: SqlUnitOfWork, tmp_path: Path) -> SqlUnitOfWork:
    policy = tmp_path / "policy.yaml"
    policy.write_text(TEXT_ON_THE_DUE_DATE)
    for code in ("ACME", "BETA"):
        seed(
            uow,
            creditor(code, f"{code.title()} Ltd"),
            brand(creditor(code, f"{code.title()} Ltd")),
            [customer(code)],
            [invoice("INV-1", DUE, "480.00", creditor_code=code)],
        )
        setup.set_policy(uow, code, policy, by="test")
    return uow


def _settings(url: str, state) -> CommsSettings:  # type: ignore[no-untyped-def]
    return CommsSettings(
        sms_gateway_url=url, sms_account_sid=state.account_sid, sms_auth_token=state.auth_token
    )


def test_the_days_messages_go_out_within_the_quiet_hours_of_the_injected_clock(
    two_creditors: SqlUnitOfWork, tmp_path: Path
) -> None:
    uow = two_creditors
    with sms_gateway() as (url, state):
        evening = run_day(
            lambda: uow,
            _settings(url, state),
            tmp_path,
            DUE,
            creditor="ACME",
            send=True,
            clock=lambda: EVENING,
        )
        texts_in_the_evening = list(state.requests)
        morning = run_day(
            lambda: uow,
            _settings(url, state),
            tmp_path,
            date(2026, 5, 6),
            creditor="ACME",
            send=True,
            clock=lambda: NEXT_MORNING,
        )
    assert [len(report.planned) for report in evening.cycles] == [1]
    assert evening.sending is not None and evening.sending.dispatched.count("deferred") == 1
    assert "ACME sent: queued 1, refused 0; delivered: 0 sent, 0 retry, 0 dead, 1 deferred" in "\n".join(
        evening.summary_lines()
    )
    assert texts_in_the_evening == []
    assert morning.sending is not None and morning.sending.dispatched.sent == 1
    assert [r["To"] for r in state.requests] == ["+447700900123"]
    assert "ACME sent: queued 0, refused 0; delivered: 1 sent" in "\n".join(morning.summary_lines())
    with uow:
        texted = [m for m in uow.outbox.list_messages("ACME") if m.channel.value == "sms"]
        (run, _) = uow.cycle_runs.list_all("ACME")
    assert [(m.status, m.sent_at) for m in texted] == [(MessageStatus.SENT, NEXT_MORNING)]
    assert run.started_at == NEXT_MORNING  # the cycle is stamped with the injected clock too


def test_another_creditors_actions_are_neither_planned_nor_sent(
    two_creditors: SqlUnitOfWork, tmp_path: Path
) -> None:
    uow = two_creditors
    with sms_gateway() as (url, state):
        ran = run_day(
            lambda: uow,
            _settings(url, state),
            tmp_path,
            DUE,
            creditor="ACME",
            send=True,
            clock=lambda: NEXT_MORNING,
        )
    assert ran.creditors == ("ACME",)
    with uow:
        assert uow.actions.list_all("BETA") == []
        assert uow.outbox.list_messages("BETA") == []
        assert {m.status for m in uow.outbox.list_messages("ACME")} == {MessageStatus.SENT}


def test_every_creditor_when_none_is_named(two_creditors: SqlUnitOfWork, tmp_path: Path) -> None:
    uow = two_creditors
    with sms_gateway() as (url, state):
        ran = run_day(
            lambda: uow, _settings(url, state), tmp_path, DUE, send=True, clock=lambda: NEXT_MORNING
        )
    assert ran.creditors == ("ACME", "BETA")
    assert ran.sending is not None
    assert [ran.sending.dispatched.for_creditor(code).sent for code in ran.creditors] == [1, 1]


def test_a_dry_run_cannot_send(two_creditors: SqlUnitOfWork, tmp_path: Path) -> None:
    with pytest.raises(ArrearsError, match="a dry run records nothing, so there is nothing to send"):
        run_day(lambda: two_creditors, CommsSettings(), tmp_path, DUE, send=True, dry_run=True)
    with two_creditors:
        assert two_creditors.cycle_runs.list_all("ACME") == []
