"""Allocations move money between a payment (or a credit note) and an invoice, never more
than there is."""

from datetime import date

import pytest
from store_builders import credit_note, creditor, debtor, document, money, payment

from arrears.core.errors import InvalidAllocationError, NotFoundError
from arrears.core.ledger import Allocation, DocumentKind, DocumentStatus, open_balances
from arrears.store import SqlUnitOfWork

JAN = date(2026, 1, 15)
FEB = date(2026, 2, 14)
MAR = date(2026, 3, 1)


@pytest.fixture
def ledger(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001"), debtor("ACME", "C002")])
        uow.documents.add(
            "ACME",
            [
                document("ACME", "C001", "INV-1", JAN, FEB, "100.00"),
                document("ACME", "C001", "INV-2", JAN, FEB, "50.00"),
                document("ACME", "C001", "INV-EUR", JAN, FEB, "50.00", currency="EUR"),
                document("ACME", "C001", "INV-OFF", JAN, FEB, "10.00", status=DocumentStatus.WRITTEN_OFF),
                document("ACME", "C002", "INV-3", JAN, FEB, "30.00"),
                credit_note("ACME", "C001", "CN-1", JAN, "25.00"),
            ],
        )
        uow.payments.add(
            "ACME",
            [
                payment("ACME", "P-1", FEB, "120.00", "C001"),
                payment("ACME", "P-2", FEB, "30.00"),  # not matched to a debtor yet
            ],
        )
        uow.commit()
    return uow


def cash(invoice: str, amount: str, reference: str = "P-1", on: date = MAR) -> Allocation:
    return Allocation("ACME", invoice, money(amount), on, payment=reference)


def test_an_allocation_reduces_the_open_amount_and_the_unallocated_cash(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        uow.payments.allocate("ACME", [cash("INV-1", "100.00"), cash("INV-2", "20.00")])
        uow.commit()
    with ledger as uow:
        paid, part_paid = uow.documents.get("ACME", "INV-1"), uow.documents.get("ACME", "INV-2")
        assert (paid.open_amount, paid.status) == (money("0.00"), DocumentStatus.PAID)
        assert (part_paid.open_amount, part_paid.status) == (money("30.00"), DocumentStatus.PART_PAID)
        assert uow.payments.get("ACME", "P-1").unallocated_amount == money("0.00")
        assert [d.number for d in uow.documents.list_open("ACME", debtor="C001")] == [
            "CN-1",
            "INV-2",
            "INV-EUR",
        ]


def test_a_credit_note_applied_reduces_both_documents(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        uow.payments.allocate("ACME", [Allocation("ACME", "INV-2", money("25.00"), MAR, credit_note="CN-1")])
        note = uow.documents.get("ACME", "CN-1", DocumentKind.CREDIT_NOTE)
        assert (note.open_amount, note.status) == (money("0.00"), DocumentStatus.PAID)
        assert uow.documents.get("ACME", "INV-2").open_amount == money("25.00")


def test_an_unmatched_payment_can_settle_any_debtors_invoice(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        uow.payments.allocate("ACME", [cash("INV-3", "30.00", "P-2")])
        assert uow.documents.get("ACME", "INV-3").status is DocumentStatus.PAID


@pytest.mark.parametrize(
    ("allocations", "message"),
    [
        (
            [cash("INV-2", "50.01")],
            r"invoice INV-2 has 50\.00 GBP open; allocating 50\.01 GBP would over-settle it",
        ),
        ([cash("INV-2", "30.00"), cash("INV-2", "20.01")], "invoice INV-2 has 50.00 GBP open"),
        ([cash("INV-1", "100.00"), cash("INV-2", "20.01")], r"payment P-1 has 120\.00 GBP unallocated"),
        (
            [Allocation("ACME", "INV-1", money("25.01"), MAR, credit_note="CN-1")],
            "credit note CN-1 has 25.00 GBP open",
        ),
    ],
)
def test_over_allocation_is_refused_and_changes_nothing(
    ledger: SqlUnitOfWork, allocations: list[Allocation], message: str
) -> None:
    with ledger as uow:
        with pytest.raises(InvalidAllocationError, match=message):
            uow.payments.allocate("ACME", allocations)
        assert uow.documents.get("ACME", "INV-1").open_amount == money("100.00")
        assert uow.documents.get("ACME", "INV-2").open_amount == money("50.00")
        assert uow.payments.get("ACME", "P-1").unallocated_amount == money("120.00")
        assert uow.payments.allocations("ACME") == []


def test_a_fully_paid_invoice_takes_no_more(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        uow.payments.allocate("ACME", [cash("INV-2", "50.00")])
        with pytest.raises(InvalidAllocationError, match="invoice INV-2 is paid"):
            uow.payments.allocate("ACME", [cash("INV-2", "0.01")])


@pytest.mark.parametrize(
    ("allocation", "message"),
    [
        (cash("INV-3", "1.00"), "payment P-1 and invoice INV-3 are on different debtor accounts"),
        (cash("INV-OFF", "1.00"), "invoice INV-OFF is written off"),
        (Allocation("ACME", "INV-EUR", money("1.00", "EUR"), MAR, payment="P-1"), "payment P-1 is in GBP"),
        (cash("INV-EUR", "1.00"), "invoice INV-EUR is in EUR"),
        (Allocation("ACME", "INV-3", money("1.00"), MAR, credit_note="CN-1"), "different debtor accounts"),
    ],
)
def test_allocations_the_ledger_rules_forbid_are_refused(
    ledger: SqlUnitOfWork, allocation: Allocation, message: str
) -> None:
    with ledger as uow, pytest.raises(InvalidAllocationError, match=message):
        uow.payments.allocate("ACME", [allocation])


def test_an_allocation_to_a_credit_note_number_is_not_found(ledger: SqlUnitOfWork) -> None:
    with ledger as uow, pytest.raises(NotFoundError, match="no invoice CN-1"):
        uow.payments.allocate("ACME", [cash("CN-1", "1.00")])


def test_open_balances_in_sql_equal_the_ledger_rule(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        uow.payments.allocate("ACME", [cash("INV-1", "60.00"), cash("INV-3", "10.00", "P-2")])
        uow.commit()
    with ledger as uow:
        for code in ("C001", "C002"):
            expected = open_balances(
                uow.documents.list_for_debtor("ACME", code), uow.payments.list_all("ACME", debtor=code)
            )
            assert uow.ledger.open_balance("ACME", code) == expected
        assert uow.ledger.open_balances("ACME") == {
            # 40 + 50 - 25 open, 60 of P-1 unallocated; the written-off invoice is off the balance
            "C001": {"EUR": money("50.00", "EUR"), "GBP": money("5.00")},
            "C002": {"GBP": money("20.00")},
        }


def test_the_sql_guard_refuses_what_slips_past_the_checks(
    ledger: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as if another unit of work had settled the invoice between our read and our update
    from arrears.store.repositories import payments as module

    monkeypatch.setattr(module, "_check_available", lambda *_: None)
    with ledger as uow:
        with pytest.raises(
            InvalidAllocationError, match="invoice INV-2 changed while it was being allocated"
        ):
            uow.payments.allocate("ACME", [cash("INV-2", "60.00")])
        with pytest.raises(InvalidAllocationError, match="payment P-2 changed while it was being allocated"):
            uow.payments.allocate("ACME", [cash("INV-3", "20.00", "P-2"), cash("INV-2", "10.01", "P-2")])
        assert uow.documents.get("ACME", "INV-2").open_amount == money("50.00")
        assert uow.documents.get("ACME", "INV-3").open_amount == money("30.00")
        assert uow.payments.allocations("ACME") == []
