"""One payment, one record: the same payment from the bank and from the accounting package is
counted once, whichever arrives first (on SQLite and PostgreSQL)."""

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from pairing_builders import NAMES, FakePackage, bank_credit, new_creditor, now, sync_package
from store_builders import money

from arrears.core.ledger import DocumentStatus
from arrears.services.matching import match_line, unmatched_queue
from arrears.store.unit_of_work import SqlUnitOfWork

DAY = date(2026, 3, 9)
_codes = itertools.count(1)


@pytest.fixture
def package(uow: SqlUnitOfWork) -> FakePackage:
    """A creditor connected to its package, which has D1's INV-1 (1,000.00) and D2's INV-2 (400.00)."""
    found = FakePackage(f"PP{next(_codes):03d}")
    found.invoice("D1", "INV-1", "1000.00")
    found.invoice("D2", "INV-2", "400.00")
    new_creditor(uow, found)
    return found


def payments_of(uow: SqlUnitOfWork, code: str) -> list[tuple[str, str, str | None]]:
    with uow:
        return [(p.reference, str(p.amount.amount), p.debtor) for p in uow.payments.list_all(code)]


def invoice_state(
    uow: SqlUnitOfWork, code: str, number: str
) -> tuple[str, DocumentStatus, list[tuple[str, str]]]:
    with uow:
        document = uow.documents.get(code, number)
        allocations = uow.payments.allocations(code, document=number)
    return (
        str(document.open_amount.amount),
        document.status,
        [(str(a.payment), str(a.amount.amount)) for a in allocations],
    )


def test_a_package_payment_the_bank_brought_first_takes_over_the_bank_payment(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    report = bank_credit(uow, tmp_path, code, DAY, money("1000.00"), "INV-1 thank you", NAMES["D1"])
    (done,) = report.matched
    assert not done.linked and done.documents == ("INV-1",)
    assert invoice_state(uow, code, "INV-1") == ("0.00", DocumentStatus.PAID, [(done.payment, "1000.00")])

    package.record_payment("quickbooks:501", "quickbooks:100", money("1000.00"), DAY + timedelta(days=2))
    package.send(invoices=["quickbooks:100"], payments=["quickbooks:501"])
    result = sync_package(uow, package)

    assert (
        f"payment quickbooks:501 is the bank's payment {done.payment}: linked, counted once"
        in result.warnings
    )
    assert payments_of(uow, code) == [("quickbooks:501", "1000.00", "D1")]
    assert invoice_state(uow, code, "INV-1") == ("0.00", DocumentStatus.PAID, [("quickbooks:501", "1000.00")])
    with uow:
        (match,) = uow.bank.matches(code)
        received = uow.payments.get(code, "quickbooks:501")
    assert (match.line, match.payment) == (done.line.id, "quickbooks:501")
    assert received.received_on == DAY + timedelta(days=2)  # the package's date: it is the record

    again = sync_package(uow, package)  # nothing pending: a sync with nothing changed
    assert again.changed == 0 and payments_of(uow, code) == [("quickbooks:501", "1000.00", "D1")]


def test_a_bank_line_for_a_payment_the_package_recorded_first_allocates_nothing(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    package.record_payment("quickbooks:502", "quickbooks:100", money("600.00"), DAY)
    package.send(invoices=["quickbooks:100"], payments=["quickbooks:502"])
    sync_package(uow, package)
    assert invoice_state(uow, code, "INV-1") == (
        "400.00",
        DocumentStatus.PART_PAID,
        [("quickbooks:502", "600.00")],
    )

    report = bank_credit(
        uow, tmp_path, code, DAY + timedelta(days=1), money("600.00"), "INV-1 part", "H JOINERY"
    )

    (done,) = report.matched
    assert done.linked and done.payment == "quickbooks:502" and done.allocated.is_zero
    assert done.method == "linked to quickbooks:502"
    assert payments_of(uow, code) == [("quickbooks:502", "600.00", "D1")]
    assert invoice_state(uow, code, "INV-1") == (
        "400.00",
        DocumentStatus.PART_PAID,
        [("quickbooks:502", "600.00")],
    )


def test_a_line_citing_another_invoice_is_another_payment(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    package.invoice("D1", "INV-3", "400.00")
    package.record_payment("quickbooks:503", "quickbooks:100", money("400.00"), DAY)
    package.send(invoices=["quickbooks:100", "quickbooks:102"], payments=["quickbooks:503"])
    sync_package(uow, package)

    report = bank_credit(uow, tmp_path, code, DAY, money("400.00"), "INV-3", NAMES["D1"])

    (done,) = report.matched
    assert not done.linked and done.documents == ("INV-3",)
    assert invoice_state(uow, code, "INV-3")[0] == "0.00"
    assert invoice_state(uow, code, "INV-1")[0] == "600.00"


def test_a_sync_before_the_bookkeeper_enters_the_payment_does_not_reopen_what_the_bank_paid(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    (done,) = bank_credit(uow, tmp_path, code, DAY, money("250.00"), "INV-1", NAMES["D1"]).matched

    package.send(invoices=["quickbooks:100"])  # edited in the package; its balance is still 1,000.00
    sync_package(uow, package)

    assert invoice_state(uow, code, "INV-1") == (
        "750.00",
        DocumentStatus.PART_PAID,
        [(done.payment, "250.00")],
    )


def test_package_cash_that_cannot_be_paired_moves_the_banks_cash_to_the_account(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    (done,) = bank_credit(uow, tmp_path, code, DAY, money("1000.00"), "INV-1", NAMES["D1"]).matched
    # the package has a payment of the whole invoice a month later: not the bank's (or not
    # recognisably): the package is the record for the invoice, the bank's cash goes on account
    package.record_payment("quickbooks:504", "quickbooks:100", money("1000.00"), DAY + timedelta(days=30))
    package.send(invoices=["quickbooks:100"], payments=["quickbooks:504"])

    result = sync_package(uow, package)

    assert any(
        w.startswith(f"invoice INV-1: 1,000.00 GBP of bank payment {done.payment} goes back")
        for w in result.warnings
    )
    assert invoice_state(uow, code, "INV-1") == ("0.00", DocumentStatus.PAID, [("quickbooks:504", "1000.00")])
    with uow:
        bank = uow.payments.get(code, done.payment)
        balance = uow.ledger.open_balance(code, "D1")
    assert bank.unallocated == money("1000.00")
    assert balance["GBP"] == money("-1000.00")  # the debtor is in credit: someone must look


def test_a_linked_payment_the_package_deletes_leaves_the_banks_cash_on_account(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    (done,) = bank_credit(uow, tmp_path, code, DAY, money("400.00"), "INV-2", NAMES["D2"]).matched
    package.record_payment("quickbooks:505", "quickbooks:101", money("400.00"), DAY)
    package.send(invoices=["quickbooks:101"], payments=["quickbooks:505"])
    sync_package(uow, package)

    package.delete_payment("quickbooks:505")
    package.send(invoices=["quickbooks:101"], withdrawn=["quickbooks:505"])
    result = sync_package(uow, package)

    assert (
        f"payment quickbooks:505 was deleted in the package; the bank's payment {done.payment} stays, on account"
        in result.warnings
    )
    assert payments_of(uow, code) == [(done.payment, "400.00", "D2")]
    assert invoice_state(uow, code, "INV-2") == ("400.00", DocumentStatus.OPEN, [])
    with uow:
        assert uow.payments.get(code, done.payment).unallocated == money("400.00")
        assert uow.bank.matches(code)[0].payment == done.payment


def test_a_line_without_clues_waits_with_the_package_payment_suggested_and_a_person_links_it(
    uow: SqlUnitOfWork, package: FakePackage, tmp_path: Path
) -> None:
    code = package.code
    package.record_payment("quickbooks:506", "quickbooks:101", money("400.00"), DAY)
    package.send(invoices=["quickbooks:101"], payments=["quickbooks:506"])
    sync_package(uow, package)

    report = bank_credit(uow, tmp_path, code, DAY, money("400.00"), "FASTER PAYMENT", "")
    assert report.matched == [] and len(report.queued) == 1
    (queued,) = unmatched_queue(uow, code)
    assert queued.best_debtor == "D2" and queued.suggestions[0]["method"] == "package payment"

    done = match_line(uow, code, queued.line.id, "D2", by="Jo", now=now)

    assert done.linked and done.payment == "quickbooks:506"
    assert payments_of(uow, code) == [("quickbooks:506", "400.00", "D2")]
    assert invoice_state(uow, code, "INV-2") == ("0.00", DocumentStatus.PAID, [("quickbooks:506", "400.00")])


def test_another_creditors_bank_payments_are_never_paired(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    first, second = FakePackage("PPA"), FakePackage("PPB")
    for package in (first, second):
        package.invoice("D1", "INV-1", "1000.00")
        new_creditor(uow, package)
    (done,) = bank_credit(uow, tmp_path, "PPA", DAY, money("1000.00"), "INV-1", NAMES["D1"]).matched

    second.record_payment("quickbooks:507", "quickbooks:100", money("1000.00"), DAY)
    second.send(invoices=["quickbooks:100"], payments=["quickbooks:507"])
    result = sync_package(uow, second)

    assert not any("linked" in warning for warning in result.warnings)
    assert payments_of(uow, "PPA") == [(done.payment, "1000.00", "D1")]
    assert payments_of(uow, "PPB") == [("quickbooks:507", "1000.00", "D1")]
    assert invoice_state(uow, "PPA", "INV-1") == ("0.00", DocumentStatus.PAID, [(done.payment, "1000.00")])
    with uow, pytest.raises(Exception, match="has no payment"):
        uow.payments.link_to_source("PPB", done.payment, "quickbooks:999")
