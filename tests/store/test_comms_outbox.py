"""The outbox on SQLite and PostgreSQL: render once and store with the key, deliver at least
once with a stable Message-ID, back off and retry, dead letters, quiet hours, contact caps,
opt-outs, bounces and receipts on the debtor's timeline."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice, seed, sms_gateway, smtp_server

from arrears.comms.channels.email import SmtpSecurity, SmtpSettings, SmtpTransport, email_bytes
from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.channels.sms import SmsGateway, SmsGatewaySettings
from arrears.comms.dispatcher import Channels, DispatchSettings, dispatch
from arrears.comms.message import EventKind, MessageStatus, OutboundAction, PromiseDetails
from arrears.comms.outbox import RetryPolicy, enqueue_actions, retry_messages
from arrears.comms.receipts import record_bounce, record_sms_receipt, record_sms_reply
from arrears.core.errors import NotFoundError
from arrears.core.ledger import DebtorFlag
from arrears.core.money import Money
from arrears.core.policy import Channel
from arrears.store.errors import WrongCreditorError
from arrears.store.unit_of_work import SqlUnitOfWork

DAY = date(2026, 5, 4)
TUESDAY = datetime(2026, 5, 5, 9, 30, tzinfo=UTC)  # 4 May 2026 is a bank holiday: no SMS or calls


def _action(
    key: str,
    template: str = "overdue_7_days",
    channel: Channel = Channel.EMAIL,
    debtor: str = "C100",
    **fields: object,
) -> OutboundAction:
    number = "INV-1" if debtor == "C100" else "INV-2"
    return OutboundAction(
        "ACME", debtor, template.replace("_", " "), channel, template, (number,), key, "r", DAY, **fields
    )  # type: ignore[arg-type]


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    seed(
        uow,
        creditor(),
        brand(),
        [
            customer(),
            customer(
                account_code="C200", name="Other Customer Ltd", email="ap@other.example", phone="07700 900456"
            ),
        ],
        [
            invoice("INV-1", date(2026, 4, 20), "480.00"),
            invoice("INV-2", date(2026, 4, 1), "75.50", debtor_code="C200"),
        ],
    )
    return uow


def _maildir(tmp_path: Path) -> Channels:
    return Channels(email=MaildirTransport(tmp_path / "maildir"))


def _smtp(port: int) -> Channels:
    return Channels(
        email=SmtpTransport(SmtpSettings("127.0.0.1", port, SmtpSecurity.NONE, timeout_seconds=5))
    )


def _at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def test_brand_round_trips_with_its_logo_and_stays_with_its_creditor(acme: SqlUnitOfWork) -> None:
    with acme:
        stored = acme.brands.get("ACME")
        with pytest.raises(WrongCreditorError):
            acme.brands.put("ACME", replace(brand(), creditor="BETA"))
    assert stored == brand()
    assert stored.logo is not None and stored.logo.data.startswith(b"\x89PNG")


def test_enqueue_renders_once_and_a_second_enqueue_is_a_no_op(acme: SqlUnitOfWork) -> None:
    first = enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    again = enqueue_actions(
        acme, "ACME", [_action("k1"), _action("k2", debtor="C200")], now=NOW + timedelta(hours=1)
    )
    assert first.queued == ("k1",) and again.queued == ("k2",) and again.already_queued == ("k1",)
    with acme:
        stored = acme.outbox.get("ACME", "k1")
        assert [m.key for m in acme.outbox.list_messages("ACME")] == ["k2", "k1"]
    assert stored.status is MessageStatus.QUEUED and stored.attempts == 0
    assert stored.message.created_at == NOW  # rendered the first time, not again
    assert [a.filename for a in stored.message.attachments] == ["logo.png", "statement-C100-2026-05-04.pdf"]
    assert "£480.00" in stored.message.text


def test_two_processes_queueing_the_same_key_store_it_once(acme: SqlUnitOfWork) -> None:
    from arrears.comms.render import render_action

    with acme:
        rendered = render_action(
            _action("k1"),
            creditor=creditor(),
            debtor=customer(),
            documents=acme.documents.list_open("ACME"),
            brand=brand(),
            now=NOW,
        )
    with acme:
        assert acme.outbox.add("ACME", rendered, at=NOW) == ["k1"]
        acme.commit()
    with acme:
        assert acme.outbox.add("ACME", rendered, at=NOW) == []
        acme.commit()
    with acme:
        assert len(acme.outbox.list_messages("ACME")) == 1


def test_actions_that_cannot_be_rendered_are_refused_with_their_reason(acme: SqlUnitOfWork) -> None:
    with acme:
        acme.debtors.update("ACME", customer(account_code="C200", name="Other Customer Ltd", email=None))
        acme.commit()
    report = enqueue_actions(acme, "ACME", [_action("k1"), _action("k2", debtor="C200")], now=NOW)
    assert report.queued == ("k1",)
    assert [(r.key, r.debtor) for r in report.refused] == [("k2", "C200")]
    assert "has no email address" in report.refused[0].reason


def test_dispatch_to_the_maildir_sends_each_message_once(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    enqueue_actions(acme, "ACME", [_action("k1"), _action("k2", debtor="C200")], now=NOW)
    report = dispatch(acme, _maildir(tmp_path), clock=_at(NOW))
    again = dispatch(acme, _maildir(tmp_path), clock=_at(NOW + timedelta(hours=1)))
    assert report.sent == 2 and again.outcomes == []
    assert sorted(p.name for p in (tmp_path / "maildir" / "new").iterdir()) == ["ACME.k1.eml", "ACME.k2.eml"]
    with acme:
        sent = acme.outbox.get("ACME", "k1")
        timeline = acme.outbox.timeline("ACME", "C100")
    assert sent.status is MessageStatus.SENT and sent.sent_at == NOW and sent.attempts == 1
    assert [e.kind for e in timeline] == [EventKind.QUEUED, EventKind.SENT]
    assert (tmp_path / "maildir" / "new" / "ACME.k1.eml").read_bytes() == email_bytes(sent.message)


def test_two_creditors_messages_with_the_same_key_are_two_files_in_the_maildir(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    """Keys are unique per creditor only (two creditors' first promises are both P-00001): the
    shared workspace maildir must keep both messages."""
    beta = creditor("BETA", "Beta Supplies")
    seed(
        acme,
        beta,
        brand(beta),
        [customer("BETA")],
        [invoice("INV-1", date(2026, 4, 20), "90.00", creditor_code="BETA")],
    )
    enqueue_actions(acme, "ACME", [_action("same-key")], now=NOW)
    beta_action = replace(_action("same-key"), creditor="BETA")
    enqueue_actions(acme, "BETA", [beta_action], now=NOW)

    report = dispatch(acme, _maildir(tmp_path), clock=_at(NOW))

    files = sorted((tmp_path / "maildir" / "new").iterdir())
    assert report.sent == 2
    assert [p.name for p in files] == ["ACME.same-key.eml", "BETA.same-key.eml"]
    assert b"Beta Supplies" in files[1].read_bytes() and b"Acme Widgets" in files[0].read_bytes()


def test_a_crash_after_sending_resends_the_same_message_not_a_second_one(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    with smtp_server() as server:
        # a dispatcher claims the message, hands it to the server, and dies before recording it
        with acme:
            (claimed,) = acme.outbox.claim_due("ACME", NOW, limit=10, lease=timedelta(minutes=10))
            acme.commit()
        _smtp(server.port).email.send(
            email_bytes(claimed.message), "credit@acme.example", ["jo@bloggs.example"]
        )  # type: ignore[union-attr]
        # within the lease nobody takes it; after it, the next dispatcher delivers it again
        assert dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=5))).outcomes == []
        report = dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=11)))
    assert report.sent == 1
    first, second = server.received
    assert first.data == second.data
    assert {r.message["Message-ID"] for r in server.received} == {claimed.message.message_id}
    with acme:
        stored = acme.outbox.get("ACME", "k1")
    assert stored.status is MessageStatus.SENT and stored.attempts == 2


def test_failures_back_off_exponentially_then_die_and_can_be_retried(acme: SqlUnitOfWork) -> None:
    settings = DispatchSettings(retry=RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=2), factor=3))
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    with smtp_server() as server:
        server.handler.mode = "busy"
        dispatch(acme, _smtp(server.port), clock=_at(NOW), settings=settings)
        with acme:
            failed = acme.outbox.get("ACME", "k1")
        assert (failed.status, failed.attempts, failed.next_attempt_at) == (
            MessageStatus.FAILED,
            1,
            NOW + timedelta(minutes=2),
        )
        assert "451" in (failed.last_error or "")
        assert (
            dispatch(
                acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=1)), settings=settings
            ).outcomes
            == []
        )
        dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=2)), settings=settings)
        with acme:
            assert acme.outbox.get("ACME", "k1").next_attempt_at == NOW + timedelta(minutes=2 + 6)
        dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=8)), settings=settings)
        with acme:
            dead = acme.outbox.get("ACME", "k1")
            dead_list = acme.outbox.list_messages("ACME", status=MessageStatus.DEAD)
        assert dead.status is MessageStatus.DEAD and dead.attempts == 3
        assert [m.key for m in dead_list] == ["k1"]
        assert retry_messages(acme, "ACME", now=NOW + timedelta(hours=1)) == 1
        server.handler.mode = "accept"
        report = dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(hours=1)), settings=settings)
    assert report.sent == 1 and len(server.received) == 1
    with acme:
        kinds = [e.kind for e in acme.outbox.timeline("ACME", "C100")]
    assert kinds == [
        EventKind.QUEUED,
        EventKind.ATTEMPT_FAILED,
        EventKind.ATTEMPT_FAILED,
        EventKind.DEAD,
        EventKind.RETRIED,
        EventKind.SENT,
    ]


def test_a_recipient_refused_with_550_is_dead_at_once_and_a_bounce_on_the_timeline(
    acme: SqlUnitOfWork,
) -> None:
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    with smtp_server() as server:
        server.handler.mode = "refuse_rcpt"
        report = dispatch(acme, _smtp(server.port), clock=_at(NOW))
    assert report.count("dead") == 1
    with acme:
        dead = acme.outbox.get("ACME", "k1")
        bounced = [e for e in acme.outbox.timeline("ACME", "C100") if e.kind is EventKind.BOUNCED]
    assert dead.status is MessageStatus.DEAD and dead.delivery == "bounced" and dead.attempts == 1
    assert len(bounced) == 1 and "550" in bounced[0].detail


def test_a_dropped_connection_is_retried(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    with smtp_server() as server:
        server.handler.mode = "drop"
        dispatch(acme, _smtp(server.port), clock=_at(NOW))
        server.handler.mode = "accept"
        dispatch(acme, _smtp(server.port), clock=_at(NOW + timedelta(minutes=2)))
    with acme:
        assert acme.outbox.get("ACME", "k1").status is MessageStatus.SENT
    assert len(server.received) == 1


def test_a_bounce_report_arriving_later_is_recorded_on_the_timeline(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    dispatch(acme, _maildir(tmp_path), clock=_at(NOW))
    with acme:
        message_id = acme.outbox.get("ACME", "k1").message.message_id
    dsn = (
        "From: MAILER-DAEMON@mx.bloggs.example\r\nTo: credit@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.bloggs.example\r\n\r\n"
        "Final-Recipient: rfc822; jo@bloggs.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nSubject: Overdue\r\n--b--\r\n"
    ).encode()
    recorded = record_bounce(acme, "ACME", dsn, at=NOW + timedelta(hours=2))
    assert recorded.key == "k1" and recorded.kind is EventKind.BOUNCED
    with acme:
        assert acme.outbox.get("ACME", "k1").delivery == "bounced"
        last = acme.outbox.timeline("ACME", "C100")[-1]
    assert last.kind is EventKind.BOUNCED and "550 5.1.1 user unknown" in last.detail


def test_sms_waits_for_contact_hours_then_goes_and_its_receipt_is_recorded(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", channel=Channel.SMS)], now=NOW)
    evening = datetime(2026, 5, 4, 20, 30, tzinfo=UTC)  # 21:30 in London: quiet hours for SMS
    with sms_gateway() as (url, state):
        channels = Channels(sms=SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token)))
        report = dispatch(acme, channels, clock=_at(evening))
        with acme:
            waiting = acme.outbox.get("ACME", "s1")
        assert report.count("deferred") == 1 and state.requests == []
        assert (waiting.status, waiting.attempts) == (MessageStatus.QUEUED, 0)
        assert waiting.next_attempt_at == datetime(
            2026, 5, 5, 8, 0, tzinfo=UTC
        )  # 09:00 London, the next business day
        report = dispatch(acme, channels, clock=_at(datetime(2026, 5, 5, 8, 0, tzinfo=UTC)))
    assert report.sent == 1 and state.requests[0]["To"] == "+447700900123"
    with acme:
        sid = acme.outbox.get("ACME", "s1").provider_ref
    assert sid is not None
    record_sms_receipt(
        acme,
        "ACME",
        {"MessageSid": sid, "MessageStatus": "delivered"},
        at=datetime(2026, 5, 5, 8, 1, tzinfo=UTC),
    )
    with acme:
        assert acme.outbox.get("ACME", "s1").delivery == "delivered"
        assert acme.outbox.timeline("ACME", "C100")[-1].kind is EventKind.DELIVERED


def test_a_stop_reply_opts_the_number_out_and_start_opts_it_back_in(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", channel=Channel.SMS)], now=TUESDAY)
    with sms_gateway() as (url, state):
        channels = Channels(sms=SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token)))
        dispatch(acme, channels, clock=_at(TUESDAY))
        stopped = record_sms_reply(acme, "ACME", "07700 900123", "Stop", at=TUESDAY + timedelta(minutes=5))
        enqueue_actions(
            acme, "ACME", [_action("s2", template="overdue_14_days", channel=Channel.SMS)], now=TUESDAY
        )
        report = dispatch(acme, channels, clock=_at(TUESDAY + timedelta(minutes=10)))
        record_sms_reply(acme, "ACME", "+447700900123", "START", at=TUESDAY + timedelta(hours=1))
        with acme:
            assert acme.opt_outs.opted_out("ACME", ["+447700900123"]) == set()
    assert stopped.kind is EventKind.OPTED_OUT and stopped.debtor == "C100"
    assert report.count("suppressed") == 1 and len(state.requests) == 1
    with acme:
        suppressed = acme.outbox.get("ACME", "s2")
        kinds = [e.kind for e in acme.outbox.timeline("ACME", "C100")]
    assert suppressed.status is MessageStatus.SUPPRESSED and "opted out" in (suppressed.last_error or "")
    assert EventKind.OPTED_OUT in kinds and EventKind.OPTED_IN in kinds


def test_the_gateway_saying_unsubscribed_kills_the_message(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", channel=Channel.SMS)], now=TUESDAY)
    with sms_gateway() as (url, state):
        state.mode = "opted_out"
        channels = Channels(sms=SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token)))
        report = dispatch(acme, channels, clock=_at(TUESDAY))
    assert report.count("dead") == 1
    with acme:
        assert "unsubscribed" in (acme.outbox.get("ACME", "s1").last_error or "")


def test_the_contact_cap_defers_collection_messages_but_not_confirmations(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    promise = PromiseDetails(Money.of("480.00", "GBP"), date(2026, 5, 8), ("INV-1",))
    enqueue_actions(
        acme,
        "ACME",
        [
            _action("k1", template="due_today"),
            _action("k2"),
            _action("k3", template="overdue_14_days"),
            _action("p1", template="promise_confirmation", details=promise),
        ],
        now=NOW,
    )
    report = dispatch(acme, _maildir(tmp_path), clock=_at(NOW))
    assert report.sent == 3 and report.count("deferred") == 1
    with acme:
        deferred = acme.outbox.get("ACME", "k3")
        assert acme.outbox.get("ACME", "p1").status is MessageStatus.SENT
    assert deferred.status is MessageStatus.QUEUED
    assert deferred.next_attempt_at == datetime(2026, 5, 4, 23, 0, tzinfo=UTC)  # midnight in London
    # a week later the cap has room again
    later = dispatch(acme, _maildir(tmp_path), clock=_at(NOW + timedelta(days=7)))
    assert later.sent == 1


def test_a_debtor_flagged_do_not_contact_after_queueing_is_not_contacted(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    with acme:
        acme.debtors.set_flags("ACME", "C100", [DebtorFlag.DO_NOT_CONTACT])
        acme.commit()
    report = dispatch(acme, _maildir(tmp_path), clock=_at(NOW))
    assert report.count("suppressed") == 1
    assert not (tmp_path / "maildir" / "new").exists() or not list((tmp_path / "maildir" / "new").iterdir())


def test_a_channel_that_is_not_configured_makes_a_dead_letter_saying_what_to_set(acme: SqlUnitOfWork) -> None:
    enqueue_actions(acme, "ACME", [_action("s1", channel=Channel.SMS)], now=TUESDAY)
    dispatch(acme, Channels(), clock=_at(TUESDAY))
    with acme:
        dead = acme.outbox.get("ACME", "s1")
    assert dead.status is MessageStatus.DEAD and "ARREARS_SMS_GATEWAY_URL" in (dead.last_error or "")


def test_a_call_becomes_a_task_in_the_worklist_and_its_outcome_is_logged(acme: SqlUnitOfWork) -> None:
    from arrears.comms.channels.call import CallDirection, CallLog, CallOutcome, CallTaskStatus

    enqueue_actions(acme, "ACME", [_action("c1", template="call_30_days", channel=Channel.CALL)], now=NOW)
    evening = datetime(2026, 5, 4, 19, 0, tzinfo=UTC)
    dispatch(acme, Channels(), clock=_at(evening))
    dispatch(acme, Channels(), clock=_at(evening))  # nothing more: one task per call message
    with acme:
        (task,) = acme.calls.tasks("ACME")
    assert task.debtor == "C100" and task.phone == "07700 900123"
    assert task.due_at == datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # calls start at 09:00 London
    assert "calling from Acme Widgets about your account C100" in task.card
    promised = CallLog(
        "ACME", "C100", CallDirection.OUTBOUND, CallOutcome.PROMISE, datetime(2026, 5, 5, 8, 15, tzinfo=UTC),
        note="will pay Friday", controller="Sam", task_id=task.id,
        promised_amount=Money.of("480.00", "GBP"), promised_on=date(2026, 5, 8),
    )  # fmt: skip
    inbound = CallLog(
        "ACME",
        "C100",
        CallDirection.INBOUND,
        CallOutcome.DISPUTE,
        datetime(2026, 5, 6, 10, 0, tzinfo=UTC),
        note="INV-1 short delivery",
    )
    with acme:
        acme.calls.log("ACME", promised)
        acme.calls.log("ACME", inbound)
        acme.commit()
    with acme:
        assert acme.calls.tasks("ACME") == []
        assert acme.calls.tasks("ACME", status=CallTaskStatus.DONE)[0].id == task.id
        assert acme.calls.logs("ACME", "C100") == [promised, inbound]
        calls = [e.detail for e in acme.outbox.timeline("ACME", "C100") if e.kind is EventKind.CALL_LOGGED]
    assert calls == [
        "outbound call: promise of £480.00 by 2026-05-08 (Sam): will pay Friday",
        "inbound call: dispute: INV-1 short delivery",
    ]


def test_another_creditor_sees_none_of_these_messages(acme: SqlUnitOfWork) -> None:
    from comms_builders import creditor as make_creditor

    enqueue_actions(acme, "ACME", [_action("k1")], now=NOW)
    seed(acme, make_creditor("BETA", "Beta Ltd"), None, [customer("BETA", "C100")], [])
    with acme:
        assert acme.outbox.list_messages("BETA") == []
        with pytest.raises(NotFoundError):
            acme.outbox.get("BETA", "k1")
        with pytest.raises(NotFoundError):
            acme.outbox.retry("BETA", at=NOW, keys=["k1"])
        assert acme.outbox.timeline("BETA", "C100") == []
        assert acme.brands.find("BETA") is None
