"""Interrupted hand-overs on SQLite and PostgreSQL: an SMS is never sent twice (it is looked for
at the gateway, and needs checking by a person when the gateway cannot say), a letter is never
printed twice, a call never makes two tasks. The process deaths themselves are in
tests/e2e/test_dispatch_crash.py; here the dead dispatcher's steps are taken by hand."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from comms_builders import brand, creditor, customer, invoice, seed, sms_gateway

from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.channels.sms import SmsGateway, SmsGatewaySettings
from arrears.comms.config import CommsSettings
from arrears.comms.dispatcher import Channels, Outcome, dispatch
from arrears.comms.message import MessageStatus, OutboundAction
from arrears.comms.outbox import enqueue_actions, retry_messages
from arrears.comms.service import check_again, confirm_sent, retry_unsent
from arrears.core.errors import ArrearsError
from arrears.core.policy import Channel
from arrears.store.repositories.comms_outbox import NeedsCheckingError
from arrears.store.unit_of_work import SqlUnitOfWork

DAY = date(2026, 5, 5)
TUESDAY = datetime(2026, 5, 5, 9, 30, tzinfo=UTC)  # 10:30 in London, a business day
LEASE = timedelta(minutes=10)


def _action(key: str, template: str, channel: Channel) -> OutboundAction:
    return OutboundAction(
        "ACME", "C100", template.replace("_", " "), channel, template, ("INV-1",), key, "r", DAY
    )


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    seed(uow, creditor(), brand(), [customer()], [invoice("INV-1", date(2026, 3, 1), "480.00")])
    return uow


def _at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def _sms(url: str, state, *, timeout: float = 5) -> Channels:  # type: ignore[no-untyped-def]
    return Channels(
        sms=SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token, timeout_seconds=timeout))
    )


def _claim_and_mark(uow: SqlUnitOfWork, at: datetime) -> int:
    """What a dispatcher does before it calls the gateway: claim the SMS, commit the hand-over."""
    with uow:
        (claimed,) = uow.outbox.claim_due("ACME", at, limit=10, lease=LEASE)
        assert uow.outbox.mark_handing_over("ACME", claimed.id, at)
        uow.commit()
    return claimed.id


def test_an_sms_whose_answer_never_came_is_found_at_the_gateway_and_not_sent_again(
    acme: SqlUnitOfWork,
) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", "overdue_7_days", Channel.SMS)], now=TUESDAY)
    with sms_gateway() as (url, state):
        state.clock, state.mode = _at(TUESDAY), "hang"  # takes the SMS, answers too late
        first = dispatch(acme, _sms(url, state, timeout=0.5), clock=_at(TUESDAY))
        with acme:
            waiting = acme.outbox.get("ACME", "s1")
        state.mode = "accept"
        again = dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(minutes=3)))
        posted = list(state.requests)
        sid = state.messages[0]["sid"]
    assert first.count(Outcome.RETRY) == 1 and "asks the gateway" in first.outcomes[0].detail
    assert waiting.status is MessageStatus.FAILED and (waiting.provider_ref or "").startswith("handing-over:")
    assert again.sent == 1 and "found at the gateway" in again.outcomes[0].detail
    assert len(posted) == 1  # one SMS reached the gateway, once
    with acme:
        sent = acme.outbox.get("ACME", "s1")
    assert sent.status is MessageStatus.SENT and sent.provider_ref == sid


def test_an_interrupted_hand_over_the_gateway_does_not_know_needs_a_person(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", "overdue_7_days", Channel.SMS)], now=TUESDAY)
    with sms_gateway() as (url, state):
        state.clock = _at(TUESDAY)
        _claim_and_mark(acme, TUESDAY)  # ... and the dispatcher died before calling the gateway
        assert dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(minutes=5))).outcomes == []
        report = dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(minutes=11)))
        with acme:
            listed = acme.outbox.list_messages("ACME", needs_checking=True)
            stored = acme.outbox.get("ACME", "s1")
        assert state.requests == []  # nothing was sent blindly
        assert report.count(Outcome.NEEDS_CHECKING) == 1 and "1 needs checking" in report.summary()
        assert [(m.key, m.state) for m in listed] == [("s1", "needs checking")]
        assert stored.status is MessageStatus.DEAD
        assert "arrears outbox retry --creditor ACME s1 --confirm-not-sent" in (stored.last_error or "")
        # a blanket retry leaves it alone; naming it needs the person's confirmation
        assert retry_messages(acme, "ACME", now=TUESDAY + timedelta(hours=1)) == 0
        with pytest.raises(NeedsCheckingError, match="s1 needs checking: it may already have reached"):
            retry_messages(acme, "ACME", now=TUESDAY + timedelta(hours=1), keys=["s1"])
        assert dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(hours=1))).outcomes == []
        assert retry_unsent(acme, "ACME", ["s1"], now=TUESDAY + timedelta(hours=1)) == 1
        resent = dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(hours=1)))
    assert resent.sent == 1 and len(state.requests) == 1
    with acme:
        assert acme.outbox.get("ACME", "s1").status is MessageStatus.SENT


def test_when_the_gateway_cannot_be_asked_a_later_check_finds_the_sms(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", "overdue_7_days", Channel.SMS)], now=TUESDAY)
    with sms_gateway() as (url, state):
        state.clock = _at(TUESDAY)
        _claim_and_mark(acme, TUESDAY)
        channels = _sms(url, state)
        assert channels.sms is not None
        channels.sms.send("+447700900123", "AcmeWidgets", acme_text(acme))  # taken; then the process died
        state.list_mode = "down"
        report = dispatch(acme, _sms(url, state), clock=_at(TUESDAY + timedelta(minutes=11)))
        assert report.count(Outcome.NEEDS_CHECKING) == 1
        assert "could not say" in report.outcomes[0].detail
        state.list_mode = "ok"
        settings = CommsSettings(
            sms_gateway_url=url, sms_account_sid=state.account_sid, sms_auth_token=state.auth_token
        )
        checked = check_again(
            lambda: acme, settings, tmp_path, "ACME", clock=_at(TUESDAY + timedelta(hours=1))
        )
        sid = state.messages[0]["sid"]
    assert [(c.key, c.sid) for c in checked] == [("s1", sid)]
    assert len(state.requests) == 1
    with acme:
        stored = acme.outbox.get("ACME", "s1")
        assert acme.outbox.list_messages("ACME", needs_checking=True) == []
    assert stored.status is MessageStatus.SENT and stored.provider_ref == sid
    with pytest.raises(ArrearsError, match="not waiting to be checked"):
        confirm_sent(acme, "ACME", "s1", at=TUESDAY, by="ann")


def acme_text(uow: SqlUnitOfWork) -> str:
    with uow:
        return uow.outbox.get("ACME", "s1").message.text


def test_a_person_can_confirm_a_message_that_needs_checking_was_sent(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", "overdue_7_days", Channel.SMS)], now=TUESDAY)
    _claim_and_mark(acme, TUESDAY)
    dispatch(acme, Channels(), clock=_at(TUESDAY + timedelta(minutes=11)))  # no gateway to ask

    confirmed = confirm_sent(acme, "ACME", "s1", at=TUESDAY + timedelta(hours=2), by="ann", sid="SM123")

    assert confirmed.status is MessageStatus.SENT and confirmed.provider_ref == "SM123"
    with acme:
        last = acme.outbox.timeline("ACME", "C100")[-1]
    assert last.detail == "confirmed sent as SM123 by ann after checking"


def test_a_letter_delivered_again_after_an_interruption_is_not_printed_twice(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    printer = LetterPrinter(tmp_path / "letters")
    enqueue_actions(acme, "ACME", [_action("l1", "formal_demand", Channel.LETTER)], now=TUESDAY)
    with acme:  # a dispatcher claims the letter (and its emailed copy), prints it, and dies
        claimed = acme.outbox.claim_due("ACME", TUESDAY, limit=10, lease=LEASE)
        acme.commit()
    (letter,) = [m for m in claimed if m.message.channel is Channel.LETTER]
    printer.deliver(letter.message, DAY)

    next_day = TUESDAY + timedelta(days=1)
    report = dispatch(acme, Channels(letters=printer), clock=_at(next_day))

    letters = sorted(p.relative_to(tmp_path) for p in (tmp_path / "letters").rglob("l1.pdf"))
    assert letters == [Path("letters/ACME/2026-05-05/l1.pdf")]
    (outcome,) = [o for o in report.outcomes if o.key == "l1"]
    assert outcome.outcome == Outcome.SENT and "not printed again" in outcome.detail
    assert [Path(b).name for b in report.print_batches] == ["_print-batch-ACME-2026-05-05.pdf"]


def test_a_call_delivered_again_after_an_interruption_makes_one_task(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("c1", "call_30_days", Channel.CALL)], now=TUESDAY)
    with acme:  # as if a task had been written for the claimed message before it was recorded
        (claimed,) = acme.outbox.claim_due("ACME", TUESDAY, limit=10, lease=LEASE)
        acme.calls.add_task(
            "ACME", claimed.id, debtor="C100", phone=None, title="call", due_at=TUESDAY, at=TUESDAY
        )
        acme.commit()

    dispatch(acme, Channels(), clock=_at(TUESDAY + timedelta(minutes=11)))

    with acme:
        tasks = acme.calls.tasks("ACME")
        assert acme.outbox.get("ACME", "c1").status is MessageStatus.SENT
    assert [t.message_key for t in tasks] == ["c1"]
