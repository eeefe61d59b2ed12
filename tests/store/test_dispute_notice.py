"""The creditor is told of every dispute by email, through the outbox, once: what is disputed, why,
and under its dispute mode whether we wait for its decision or our controllers work it."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from comms_builders import NOW, brand, customer
from deals_builders import ledger, now
from store_builders import creditor, money

from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.delivery_results import Outcome
from arrears.comms.dispatcher import Channels, dispatch
from arrears.comms.message import RenderedMessage
from arrears.core.deal_rules import DealRules, DisputeMode
from arrears.core.disputes import DisputeReason
from arrears.core.errors import NotFoundError
from arrears.core.ledger import DebtorFlag
from arrears.services.deal_rules import set_deal_rules
from arrears.services.disputes import notify_creditor_of_dispute, raise_invoice_dispute
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)
RAISED = date(2026, 3, 2)
KEY = "dispute-notice:D-00001"


def _books(
    uow: SqlUnitOfWork, code: str = "ACME", *, with_brand: bool = True, notify: str | None = None
) -> None:
    ledger(
        uow,
        code=code,
        debtors=[customer(code, "D1", name="Harrington Joinery Ltd")],
        invoices=[("D1", "INV-000101", ISSUED, "500.00")],
    )
    if with_brand:
        with uow:
            uow.brands.put(code, replace(brand(creditor(code)), notify_email=notify), at=NOW)
            uow.commit()


def _raise(uow: SqlUnitOfWork, code: str = "ACME"):  # type: ignore[no-untyped-def]
    return raise_invoice_dispute(
        uow,
        code,
        "INV-000101",
        DisputeReason.WRONG_PRICE,
        raised_on=RAISED,
        raised_by="portal",
        amount=money("120.00"),
        notes="quote was 380",
        now=now,
    )


def _message(uow: SqlUnitOfWork, key: str, code: str = "ACME") -> RenderedMessage:
    with uow:
        return uow.outbox.get(code, key).message


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    _books(uow)
    return uow


def test_under_no_mediation_the_creditor_is_told_we_wait_for_its_decision(acme: SqlUnitOfWork) -> None:
    raised = _raise(acme)

    assert raised.creditor_notification is not None and raised.creditor_notification.queued
    assert raised.acknowledgement is not None and raised.acknowledgement.queued
    notice = _message(acme, KEY)
    # to the creditor's own address (its reply-to, as it set no notify_email), about debtor D1
    assert notice.recipients == ("accounts@acme.example",)
    assert notice.debtor == "D1" and notice.template == "dispute_notice_to_creditor" and notice.transactional
    assert notice.subject == (
        "Dispute D-00001: Harrington Joinery Ltd disputes £120.00 of INV-000101 - your decision is needed"
    )
    text = " ".join(notice.text.split())
    assert text.startswith(
        "Dear ACME Ltd, Your customer Harrington Joinery Ltd (account D1) has disputed £120.00"
    )
    for line in (
        "Dispute reference: D-00001",
        "Amount disputed: £120.00",
        "Reason: wrong price",
        'What the customer said: "quote was 380"',
        "Raised on: 2 March 2026 (by the customer, in the portal)",
        "INV-000101 dated 05/01/2026, due 04/02/2026",
        "We have paused chasing this invoice and are waiting for your decision.",
        "We have told the customer that we will reply by 16 March 2026.",
    ):
        assert line in text, line
    assert "credit controllers are working" not in text
    assert notice.html is not None and "waiting for your decision" in notice.html
    # the debtor's acknowledgement went to the debtor, not to the creditor
    assert _message(acme, "dispute-acknowledgement:D-00001").recipients == ("jo@bloggs.example",)


def test_under_resolve_the_creditor_is_told_our_controllers_work_it(acme: SqlUnitOfWork) -> None:
    set_deal_rules(acme, "ACME", DealRules(dispute_mode=DisputeMode.RESOLVE), by="Jo")

    _raise(acme)

    text = " ".join(_message(acme, KEY).text.split())
    assert "Our credit controllers are working on it with the customer" in text
    assert "waiting for your decision" not in text
    assert not _message(acme, KEY).subject.endswith("your decision is needed")


def test_a_notice_about_a_debtor_not_to_be_contacted_still_reaches_the_creditor(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    """The dispatcher holds back messages to a do-not-contact debtor; the notice to the creditor
    is no contact with the debtor, so it goes, while the debtor's acknowledgement does not."""
    _raise(acme)
    with acme:
        debtor = acme.debtors.get("ACME", "D1")
        acme.debtors.update("ACME", replace(debtor, flags=debtor.flags | {DebtorFlag.DO_NOT_CONTACT}))
        acme.commit()

    report = dispatch(acme, Channels(email=MaildirTransport(tmp_path)), clock=lambda: NOW)

    outcomes = {item.key: item.outcome for item in report.outcomes}
    assert outcomes == {KEY: Outcome.SENT, "dispute-acknowledgement:D-00001": Outcome.SUPPRESSED}
    assert [path.name for path in (tmp_path / "new").iterdir()] == [f"ACME.{KEY.replace(':', '_')}.eml"]


def test_the_notice_goes_to_the_notification_address_when_one_is_set(uow: SqlUnitOfWork) -> None:
    _books(uow, notify="disputes@acme.example")

    _raise(uow)

    assert _message(uow, KEY).recipients == ("disputes@acme.example",)


def test_the_notice_is_queued_once_and_can_be_sent_later(uow: SqlUnitOfWork) -> None:
    _books(uow, with_brand=False)
    raised = _raise(uow)
    assert raised.creditor_notification is not None and not raised.creditor_notification.queued
    assert "has no brand yet" in raised.creditor_notification.reason
    with uow:
        uow.brands.put("ACME", brand(creditor("ACME")), at=NOW)
        uow.commit()

    later = notify_creditor_of_dispute(uow, "ACME", "D-00001", now=now)
    again = notify_creditor_of_dispute(uow, "ACME", "D-00001", now=now)

    assert later.queued and later.key == KEY
    assert again.already_queued and not again.queued
    with uow:
        assert [m.key for m in uow.outbox.list_messages("ACME") if m.key == KEY] == [KEY]


def test_a_notice_never_reaches_another_creditor(uow: SqlUnitOfWork) -> None:
    _books(uow)
    _books(uow, "BETA")

    _raise(uow)

    with uow:
        assert [m.key for m in uow.outbox.list_messages("BETA")] == []
    with pytest.raises(NotFoundError, match="D-00001"):
        notify_creditor_of_dispute(uow, "BETA", "D-00001", now=now)
