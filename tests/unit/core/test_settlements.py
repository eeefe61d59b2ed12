"""Settlements: a lower sum in full and final settlement, the rest written off once paid."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules
from arrears.core.holds import HoldReason
from arrears.core.ledger import Allocation, Document, DocumentKind, DocumentStatus, Payment, allocate_payment
from arrears.core.money import Money
from arrears.core.settlements import (
    Settlement,
    SettlementError,
    SettlementState,
    approve_settlement,
    decide_settlement,
    offer_settlement,
    settlement_status,
)
from arrears.core.writeoffs import WriteOffReason, apply_write_off

AGREED = date(2026, 4, 1)
PAY_BY = date(2026, 4, 15)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(number: str, amount: str) -> Document:
    return Document(
        "acme",
        "C001",
        DocumentKind.INVOICE,
        number,
        date(2026, 1, 1),
        date(2026, 1, 31),
        gbp(amount),
        gbp(amount),
    )


DOCUMENTS = (invoice("INV-1", "600.00"), invoice("INV-2", "400.00"))
RULES = DealRules(max_settlement_discount_percent=Decimal(20))


def offer(amount: str, rules: DealRules = RULES) -> Settlement:
    return offer_settlement(
        "S-1", DOCUMENTS, gbp(amount), agreed_on=AGREED, pay_by=PAY_BY, rules=rules
    ).settlement


def test_settlement_within_the_pre_agreed_discount_is_accepted_at_once() -> None:
    proposal = offer_settlement("S-1", DOCUMENTS, gbp("800.00"), agreed_on=AGREED, pay_by=PAY_BY, rules=RULES)

    assert proposal.decision.accepted
    assert proposal.settlement.approved_by == APPROVED_BY_RULES
    assert proposal.settlement.balance == gbp("1000.00")
    assert proposal.settlement.discount == gbp("200.00")
    assert proposal.settlement.discount_percent == Decimal("20.00")


def test_settlement_beyond_the_discount_needs_approval_naming_the_figures() -> None:
    proposal = offer_settlement("S-1", DOCUMENTS, gbp("799.99"), agreed_on=AGREED, pay_by=PAY_BY, rules=RULES)

    assert proposal.decision.needs_approval
    assert proposal.settlement.approved_by is None
    breach = proposal.decision.breaches[0]
    assert (breach.rule, breach.limit, breach.actual) == ("max_settlement_discount_percent", "20%", "20.01%")
    assert breach.message == (
        "799.99 GBP for 1,000.00 GBP is a discount of 200.01 GBP (20.01%), more than the 20% the creditor agreed in advance"
    )


def test_the_discount_limit_is_compared_exactly_not_on_a_rounded_percentage() -> None:
    # 1/3 off 300.00 is 33.333...%: inside a 33.34% limit, outside a 33.33% one.
    settlement = Settlement("S-1", "acme", "C001", ("INV-1",), gbp("300.00"), gbp("200.00"), AGREED, PAY_BY)

    assert decide_settlement(settlement, DealRules(max_settlement_discount_percent=Decimal("33.34"))).accepted
    assert decide_settlement(
        settlement, DealRules(max_settlement_discount_percent=Decimal("33.33"))
    ).needs_approval


def test_with_no_discount_allowed_every_settlement_needs_approval() -> None:
    assert offer("999.99", DealRules()).approved_by is None


def test_settlement_paid_writes_off_the_rest_with_the_reason_and_approver() -> None:
    settlement = offer("800.00")
    payment = Payment("acme", "PAY-1", date(2026, 4, 10), gbp("800.00"), debtor="C001")
    allocated = allocate_payment(payment, DOCUMENTS)

    status = settlement_status(settlement, allocated.documents, allocated.allocations, date(2026, 4, 11))

    assert status.state is SettlementState.PAID
    assert status.paid_on == date(2026, 4, 10)
    assert status.hold is None
    assert [(w.document, w.amount, w.reason, w.approved_by) for w in status.write_offs] == [
        ("INV-2", gbp("200.00"), WriteOffReason.SETTLEMENT, APPROVED_BY_RULES)
    ]
    closed = [apply_write_off(d, w) for d, w in zip(allocated.documents[1:], status.write_offs, strict=True)]
    assert closed[0].status is DocumentStatus.WRITTEN_OFF
    assert (
        status.write_offs[0].note
        == "settlement S-1: 800.00 GBP accepted in full and final settlement of 1,000.00 GBP"
    )


def test_settlement_paid_in_parts_within_grace_is_paid() -> None:
    settlement = offer("800.00")
    allocations = [
        Allocation("acme", "INV-1", gbp("500.00"), date(2026, 4, 8), payment="PAY-1"),
        Allocation("acme", "INV-1", gbp("100.00"), date(2026, 4, 18), payment="PAY-2"),
        Allocation("acme", "INV-2", gbp("200.00"), date(2026, 4, 18), payment="PAY-2"),
    ]
    documents = (
        replace(DOCUMENTS[0], open_amount=gbp("0"), status=DocumentStatus.PAID),
        replace(DOCUMENTS[1], open_amount=gbp("200.00"), status=DocumentStatus.PART_PAID),
    )

    status = settlement_status(settlement, documents, allocations, date(2026, 4, 30))

    assert status.state is SettlementState.PAID
    assert status.paid_on == date(2026, 4, 18)
    assert [w.amount for w in status.write_offs] == [gbp("200.00")]


def test_settlement_not_paid_by_the_date_lapses_and_the_full_balance_is_owed_again() -> None:
    settlement = offer("800.00")
    allocations = [
        Allocation("acme", "INV-1", gbp("500.00"), date(2026, 4, 8), payment="PAY-1"),
        Allocation("acme", "INV-1", gbp("100.00"), date(2026, 4, 19), payment="PAY-2"),
    ]

    pending = settlement_status(settlement, DOCUMENTS, allocations[:1], date(2026, 4, 18))
    lapsed = settlement_status(settlement, DOCUMENTS, allocations, date(2026, 4, 19))

    assert pending.state is SettlementState.PENDING
    assert pending.still_to_pay == gbp("300.00")
    assert pending.hold is not None and pending.hold.reason is HoldReason.PROMISE_TO_PAY
    assert pending.hold.ends_on == date(2026, 4, 18)
    assert lapsed.state is SettlementState.LAPSED
    assert lapsed.paid == gbp("500.00")
    assert lapsed.write_offs == ()
    assert lapsed.hold is None


def test_paid_before_approval_writes_off_nothing_until_the_creditor_approves() -> None:
    settlement = offer("700.00")  # 30% off, beyond the 20% pre-agreed
    allocations = [
        Allocation("acme", "INV-1", gbp("600.00"), AGREED, payment="P"),
        Allocation("acme", "INV-2", gbp("100.00"), AGREED, payment="P"),
    ]
    documents = (
        replace(DOCUMENTS[0], open_amount=gbp("0"), status=DocumentStatus.PAID),
        replace(DOCUMENTS[1], open_amount=gbp("300.00"), status=DocumentStatus.PART_PAID),
    )

    unapproved = settlement_status(settlement, documents, allocations, AGREED)
    approved = settlement_status(approve_settlement(settlement, "Jo at Acme"), documents, allocations, AGREED)

    assert unapproved.awaiting_approval
    assert unapproved.write_offs == ()
    assert [(w.amount, w.approved_by) for w in approved.write_offs] == [(gbp("300.00"), "Jo at Acme")]


def test_credit_notes_do_not_pay_a_settlement_but_shrink_the_write_off() -> None:
    settlement = offer("800.00")
    allocations = [
        Allocation("acme", "INV-2", gbp("150.00"), AGREED, credit_note="CN-1"),
        Allocation("acme", "INV-1", gbp("600.00"), AGREED, payment="P"),
    ]
    documents = (
        replace(DOCUMENTS[0], open_amount=gbp("0"), status=DocumentStatus.PAID),
        replace(DOCUMENTS[1], open_amount=gbp("250.00"), status=DocumentStatus.PART_PAID),
    )

    pending = settlement_status(settlement, documents, allocations, AGREED)
    assert pending.state is SettlementState.PENDING
    assert pending.still_to_pay == gbp("200.00")

    allocations.append(Allocation("acme", "INV-2", gbp("200.00"), AGREED, payment="Q"))
    documents = (documents[0], replace(documents[1], open_amount=gbp("50.00")))
    paid = settlement_status(settlement, documents, allocations, AGREED)
    assert [w.amount for w in paid.write_offs] == [gbp("50.00")]


def test_a_settlement_with_nothing_left_open_is_paid_with_nothing_to_write_off() -> None:
    settlement = offer("800.00")
    documents = tuple(
        replace(d, open_amount=gbp("0"), status=DocumentStatus.SETTLED_IN_SOURCE) for d in DOCUMENTS
    )

    status = settlement_status(settlement, documents, [], AGREED)

    assert status.state is SettlementState.PAID
    assert status.write_offs == ()


def test_status_needs_every_document_of_the_settlement() -> None:
    with pytest.raises(SettlementError, match=r"document\(s\) INV-2 not given"):
        settlement_status(offer("800.00"), DOCUMENTS[:1], [], AGREED)


@pytest.mark.parametrize(
    ("amount", "balance", "pay_by", "message"),
    [
        ("1000.01", "1000.00", PAY_BY, "more than the balance"),
        ("0.00", "1000.00", PAY_BY, "agreed sum 0.00 must be positive"),
        (
            "800.00",
            "1000.00",
            date(2026, 3, 31),
            "to be paid by 2026-03-31, before it was agreed on 2026-04-01",
        ),
    ],
)
def test_settlement_refuses_contradictions(amount: str, balance: str, pay_by: date, message: str) -> None:
    with pytest.raises(SettlementError, match=message):
        Settlement("S-1", "acme", "C001", ("INV-1",), gbp(balance), gbp(amount), AGREED, pay_by)


def test_offer_refuses_closed_documents_and_credit_notes() -> None:
    paid = replace(DOCUMENTS[0], open_amount=gbp("0"), status=DocumentStatus.PAID)
    note = Document(
        "acme", "C001", DocumentKind.CREDIT_NOTE, "CN-1", AGREED, AGREED, gbp("5.00"), gbp("5.00")
    )

    with pytest.raises(SettlementError, match=r"INV-1: nothing is open on it \(paid\)"):
        offer_settlement("S-1", [paid], gbp("1.00"), agreed_on=AGREED, pay_by=PAY_BY, rules=RULES)
    with pytest.raises(SettlementError, match="CN-1: a credit note"):
        offer_settlement(
            "S-1", [DOCUMENTS[0], note], gbp("1.00"), agreed_on=AGREED, pay_by=PAY_BY, rules=RULES
        )
