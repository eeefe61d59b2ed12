"""Write-offs, early-payment discounts and fees through the services and the store."""

from datetime import date
from decimal import Decimal

import pytest
from deals_builders import two_invoices, write_off
from store_builders import money, payment

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules, FeeKind, FeeRule
from arrears.core.ledger import Allocation, DocumentStatus
from arrears.core.terms import FeeError, TermsError
from arrears.core.writeoffs import WriteOffError, WriteOffReason
from arrears.services.fees import charge_debtor_fee
from arrears.services.write_offs import (
    approve_write_off,
    list_write_offs,
    refuse_write_off,
    write_off_discount,
)
from arrears.store.errors import ConstraintError
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    rules = DealRules(
        write_off_without_approval_up_to=money("10.00"),
        fees=(FeeRule(FeeKind.RETURNED_PAYMENT, money("25.00"), "returned direct debit"),),
    )
    return two_invoices(uow, "500.00", "8.50", rules=rules)


def test_a_small_balance_within_the_rules_is_written_off_at_once(acme: SqlUnitOfWork) -> None:
    outcome = write_off(acme, "INV-000102", reason=WriteOffReason.SMALL_BALANCE)

    assert outcome.applied and outcome.write_off.decided_by == APPROVED_BY_RULES
    with acme:
        invoice = acme.documents.get("ACME", "INV-000102")
    assert (invoice.status, invoice.open_amount) == (DocumentStatus.WRITTEN_OFF, money("0.00"))


def test_a_larger_write_off_waits_for_approval_then_is_applied(acme: SqlUnitOfWork) -> None:
    outcome = write_off(acme, "INV-000101", "200.00", reason=WriteOffReason.GOODWILL)
    assert not outcome.applied and outcome.write_off.state == "awaiting_approval"
    assert "more than the 10.00 GBP" in outcome.decision.describe()
    with acme:
        assert acme.documents.get("ACME", "INV-000101").open_amount == money("500.00")

    approved = approve_write_off(acme, "ACME", outcome.write_off.id, by="Jo at Acme", on=date(2026, 3, 4))

    assert (approved.state, approved.decided_by, approved.on) == ("applied", "Jo at Acme", date(2026, 3, 4))
    with acme:
        invoice = acme.documents.get("ACME", "INV-000101")
    assert (invoice.status, invoice.open_amount) == (DocumentStatus.PART_PAID, money("300.00"))
    with pytest.raises(ConstraintError, match="is applied, not awaiting approval"):
        refuse_write_off(acme, "ACME", outcome.write_off.id, by="Jo", on=date(2026, 3, 5))


def test_a_refused_write_off_changes_nothing(acme: SqlUnitOfWork) -> None:
    outcome = write_off(acme, "INV-000101", reason=WriteOffReason.BAD_DEBT)

    refused = refuse_write_off(acme, "ACME", outcome.write_off.id, by="Jo at Acme", on=date(2026, 3, 3))

    assert refused.state == "refused"
    assert [w.state for w in list_write_offs(acme, "ACME")] == ["refused"]
    with acme:
        assert acme.documents.get("ACME", "INV-000101").open_amount == money("500.00")


def test_a_write_off_approved_as_it_is_asked_is_applied_by_that_person(acme: SqlUnitOfWork) -> None:
    outcome = write_off(acme, "INV-000101", reason=WriteOffReason.INSOLVENCY, approved_by="Jo at Acme")

    assert outcome.applied and outcome.write_off.decided_by == "Jo at Acme"


def test_more_than_is_open_or_other_without_a_note_is_refused(acme: SqlUnitOfWork) -> None:
    with pytest.raises(WriteOffError, match=r"only 500\.00 GBP is open"):
        write_off(acme, "INV-000101", "600.00", reason=WriteOffReason.GOODWILL, approved_by="Jo")
    with pytest.raises(WriteOffError, match="say why in the note"):
        write_off(acme, "INV-000101", reason=WriteOffReason.OTHER)
    assert list_write_offs(acme, "ACME") == []


def test_an_early_payment_discount_taken_is_written_off_under_the_terms(acme: SqlUnitOfWork) -> None:
    with acme:
        acme.payments.add("ACME", [payment("ACME", "P1", date(2026, 1, 12), "490.00", "D1")])
        acme.payments.allocate(
            "ACME", [Allocation("ACME", "INV-000101", money("490.00"), date(2026, 1, 12), payment="P1")]
        )
        acme.commit()

    value = write_off_discount(acme, "ACME", "INV-000101", "2/10 net 30", paid_on=date(2026, 1, 12), by="Sam")

    assert (value.amount, value.reason, value.decided_by) == (
        money("10.00"),
        WriteOffReason.EARLY_PAYMENT_DISCOUNT,
        "payment terms 2/10 net 30",
    )
    with acme:
        assert acme.documents.get("ACME", "INV-000101").status is DocumentStatus.WRITTEN_OFF
    with pytest.raises(TermsError, match="no early-payment discount"):
        write_off_discount(acme, "ACME", "INV-000102", "2/10 net 30", paid_on=date(2026, 2, 20), by="Sam")


def test_a_fee_the_creditor_allows_becomes_an_invoice_and_others_are_refused(acme: SqlUnitOfWork) -> None:
    charged = charge_debtor_fee(
        acme, "ACME", "D1", FeeKind.RETURNED_PAYMENT, on=date(2026, 3, 2), by="Sam", due_days=7
    )

    assert (charged.invoice.number, charged.invoice.amount, charged.invoice.due_date) == (
        "FEE-F-00001",
        money("25.00"),
        date(2026, 3, 9),
    )
    with acme:
        assert acme.documents.get("ACME", "FEE-F-00001").open_amount == money("25.00")
    with pytest.raises(FeeError, match="does not allow administration fees"):
        charge_debtor_fee(acme, "ACME", "D1", FeeKind.ADMINISTRATION, on=date(2026, 3, 2), by="Sam")
    with pytest.raises(FeeError, match=r"more than the 25\.00 GBP"):
        charge_debtor_fee(
            acme,
            "ACME",
            "D1",
            FeeKind.RETURNED_PAYMENT,
            on=date(2026, 3, 2),
            by="Sam",
            amount=money(str(Decimal("30"))),
        )
