"""A ledger file meets the bank's cash (SQLite and PostgreSQL): an export made before the
bookkeeper entered a payment the bank brought does not reopen the invoice, an export that shows
it does not take it off twice, and cash on account the bank brought first is one payment.

The main cases are played with the file read row by row and column by column (the large-file
reader): the rule is the same on both paths."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from bank_cash_builders import NOW, bank_pays, books, export

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.intake import ledger_import
from arrears.services.import_ledger import ImportReport, import_ledger
from arrears.store.repositories.documents import DocumentRow
from arrears.store.repositories.imports_bulk import DocumentFrame
from arrears.store.unit_of_work import SqlUnitOfWork

DAY = date(2026, 3, 9)
WEEK1 = [
    ("D1", "INV-1", "1000.00", "1000.00"),
    ("D1", "INV-2", "400.00", "400.00"),
    ("D2", "INV-3", "250.00", "250.00"),
]

Import = Callable[..., ImportReport]
BOTH_READERS = pytest.mark.parametrize("reader", ["rows", "columns"])


@pytest.fixture
def reader() -> str:
    """How files are read: row by row, unless a test is parametrized with "columns" too."""
    return "rows"


@pytest.fixture
def run_import(reader: str, monkeypatch: pytest.MonkeyPatch, uow: SqlUnitOfWork) -> Import:
    """`import_ledger` for ACME (and BETA), reading files row by row or column by column."""
    monkeypatch.setattr(ledger_import, "CLEAN_READ_BYTES", 0 if reader == "columns" else 10**12)

    def run(path: Path, code: str = "ACME", **options: object) -> ImportReport:
        return import_ledger(uow, code, path, who="sam", now=NOW, **options)  # type: ignore[arg-type]

    return run


@pytest.fixture
def acme(uow: SqlUnitOfWork, tmp_path: Path, run_import: Import) -> SqlUnitOfWork:
    """ACME's first ledger: D1 owes INV-1 (1,000.00) and INV-2 (400.00), D2 INV-3 (250.00)."""
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.creditors.add(Creditor(code="BETA", name="Beta Ltd"))
        uow.commit()
    assert run_import(export(tmp_path, WEEK1)).status == "applied"
    return uow


def gbp(minor: int) -> Money:
    return Money.from_minor_units(minor, "GBP")


@BOTH_READERS
def test_bank_pays_inv1_then_a_full_export_still_showing_it_open_keeps_it_paid(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import, reader: str
) -> None:
    (paid,) = bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1 thank you", "D1").matched
    assert books(acme, "ACME").open_of("INV-1") == 0

    week2 = [*WEEK1, ("D2", "INV-4", "90.00", "90.00")]  # the bookkeeper has not entered it yet
    report = run_import(export(tmp_path, week2))

    assert report.plan is not None
    assert isinstance(report.plan.documents_to_add, DocumentFrame) == (reader == "columns")
    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"] == ("D1", 100000, 0, "paid", 100000)  # still paid, by the bank
    assert ledger.balances == {"D1": 40000, "D2": 34000}  # invoices less the bank's cash, once
    (total,) = report.summary.totals
    assert total.invoices_open == gbp(174000)  # the report's totals are the file's
    assert report.bank_cash_not_in_file == (gbp(100000),)  # and this explains the difference
    assert report.bank_cash_lines[0].startswith("bank cash not yet in the file: 1,000.00 GBP on 1 invoice(s)")
    assert (
        f"invoice INV-1 (D1): 1,000.00 GBP open in the file, 0.00 GBP kept: {paid.payment}"
        in (report.bank_cash_lines[1])
    )
    assert (report.summary.added, report.summary.updated, report.summary.unchanged) == (1, 0, 3)
    with acme:
        chased = [d.number for d in acme.documents.list_open("ACME", debtor="D1")]
        allocations = acme.payments.allocations("ACME", document="INV-1")
    assert chased == ["INV-2"]  # nothing chased for INV-1
    assert [(a.payment, a.amount) for a in allocations] == [(paid.payment, gbp(100000))]


@BOTH_READERS
def test_an_export_that_shows_the_bank_payment_takes_nothing_off_twice(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    (paid,) = bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1").matched
    run_import(export(tmp_path, WEEK1))  # before the bookkeeper: INV-1 kept paid

    entered = [("D1", "INV-1", "1000.00", "0.00"), *WEEK1[1:]]  # the export lists it paid
    report = run_import(export(tmp_path, entered))

    assert books(acme, "ACME").invoices["INV-1"] == ("D1", 100000, 0, "paid", 100000)
    assert report.bank_cash_not_in_file == ()
    assert report.changes == (
        f"invoice INV-1: bank payment {paid.payment} (1,000.00 GBP) is in the file's figures now: counted once",
    )
    with acme:
        (recorded,) = [
            c for c in acme.imports.changes("ACME", report.summary.id) if c.payment == paid.payment
        ]
    assert (recorded.change, recorded.document, recorded.old_open_minor) == (
        "cash_cleared",
        ("invoice", "INV-1"),
        100000,
    )

    aged = WEEK1[1:]  # an aged-debtors export: paid invoices are not in it at all
    report = run_import(export(tmp_path, aged))
    assert report.changes == () and report.summary.settled == 0
    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"][2:4] == (0, "paid") and ledger.balances == {"D1": 40000, "D2": 25000}


@BOTH_READERS
def test_a_part_payment_by_the_bank_counts_once_whichever_export_comes(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    (part,) = bank_pays(acme, tmp_path, "ACME", DAY, "400.00", "INV-1 part payment", "D1").matched
    assert books(acme, "ACME").invoices["INV-1"][2:] == (60000, "part_paid", 40000)

    report = run_import(
        export(tmp_path, [("D1", "INV-1", "1000.00", "1000.00"), *WEEK1[1:], ("D2", "INV-5", "1.00", "1.00")])
    )
    assert books(acme, "ACME").open_of("INV-1") == 60000
    assert report.bank_cash_not_in_file == (gbp(40000),)

    run_import(export(tmp_path, [("D1", "INV-1", "1000.00", "600.00"), *WEEK1[1:]]))  # entered now
    assert books(acme, "ACME").open_of("INV-1") == 60000  # not 200.00

    report = run_import(
        export(tmp_path, [("D1", "INV-1", "1000.00", "600.00"), *WEEK1[1:], ("D2", "INV-6", "2.00", "2.00")])
    )
    assert books(acme, "ACME").open_of("INV-1") == 60000 and report.bank_cash_not_in_file == ()
    assert report.summary.updated == 0  # nothing left to change on INV-1

    bank_pays(acme, tmp_path, "ACME", DAY, "100.00", "INV-1 more", "D1")  # a second bank payment
    run_import(export(tmp_path, [("D1", "INV-1", "1000.00", "600.00"), *WEEK1[1:]]))
    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"][2:] == (50000, "part_paid", 50000)  # the second not in the file yet
    with acme:
        first = acme.payments.allocations("ACME", document="INV-1")[0]
    assert first.payment == part.payment


@BOTH_READERS
def test_a_part_ledger_touches_only_the_invoices_it_lists(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1")
    bank_pays(acme, tmp_path, "ACME", DAY, "250.00", "INV-3", "D2")

    report = run_import(export(tmp_path, [("D1", "INV-1", "1000.00", "1000.00")]), mode="part")
    assert books(acme, "ACME").open_of("INV-1") == 0
    assert report.bank_cash_not_in_file == (gbp(100000),)  # INV-3 is not in this file

    run_import(export(tmp_path, [("D1", "INV-2", "400.00", "400.00")]), mode="part")  # says nothing of INV-1
    report = run_import(export(tmp_path, WEEK1))  # the full export still shows both open
    ledger = books(acme, "ACME")
    ledger.check()
    assert (ledger.open_of("INV-1"), ledger.open_of("INV-3")) == (0, 0)
    assert report.bank_cash_not_in_file == (gbp(125000),)


@BOTH_READERS
def test_importing_again_changes_nothing(acme: SqlUnitOfWork, tmp_path: Path, run_import: Import) -> None:
    bank_pays(acme, tmp_path, "ACME", DAY, "300.00", "INV-2 part", "D1")
    path = export(tmp_path, [*WEEK1, ("D2", "INV-4", "90.00", "90.00")])
    first = run_import(path)
    assert first.status == "applied"
    before = books(acme, "ACME")
    with acme:
        recorded = len(acme.imports.changes("ACME"))

    same = run_import(path)
    assert same.status == "unchanged"
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    copy = tmp_path / "the-same-rows.csv"
    copy.write_text(header + "".join(reversed(rows)), encoding="utf-8")
    again = run_import(copy)

    assert books(acme, "ACME") == before and before.open_of("INV-2") == 10000
    assert (again.summary.updated, again.changes) == (0, ())
    assert again.bank_cash_not_in_file == first.bank_cash_not_in_file == (gbp(30000),)
    with acme:
        assert len(acme.imports.changes("ACME")) == recorded


@BOTH_READERS
def test_an_older_export_imported_again_does_not_reopen_what_the_bank_paid(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    (paid,) = bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1").matched
    old = export(tmp_path, WEEK1)
    run_import(export(tmp_path, [("D1", "INV-1", "1000.00", "0.00"), *WEEK1[1:]]))  # recorded

    report = run_import(old)  # last week's file again: the source's figures before the payment

    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"] == ("D1", 100000, 0, "paid", 100000)
    assert report.changes == (
        f"invoice INV-1: the file no longer shows bank payment {paid.payment} (1,000.00 GBP): "
        "taken off its open amount again",
    )
    run_import(export(tmp_path, [("D1", "INV-1", "1000.00", "0.00"), *WEEK1[1:]]))
    assert books(acme, "ACME").invoices["INV-1"][2:] == (0, "paid", 100000)


@BOTH_READERS
def test_a_ledger_an_earlier_import_left_unreconciled_is_put_right(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1")
    with acme:  # what imports did before they knew the bank's cash: the file's figure over it
        stored = acme.documents.import_index("ACME")[("invoice", "INV-1")]
        row = DocumentRow(
            "D1", "invoice", "INV-1", stored.issue_date, stored.due_date, "GBP", 100000, 100000, "open"
        )
        acme.documents.update_from_import("ACME", [(stored.id, row)])
        acme.commit()
    assert books(acme, "ACME").invoices["INV-1"][2:] == (100000, "open", 100000)  # paid twice over

    report = run_import(export(tmp_path, [*WEEK1, ("D2", "INV-4", "90.00", "90.00")]))  # still open there

    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"] == ("D1", 100000, 0, "paid", 100000)
    assert "update invoice INV-1: open amount 1,000.00 -> 0.00; status open -> paid" in report.changes
    assert report.bank_cash_not_in_file == (gbp(100000),)


def test_an_export_leaving_less_open_than_the_banks_cash_puts_the_rest_on_account(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    (paid,) = bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1").matched
    run_import(export(tmp_path, WEEK1))

    credited = [("D1", "INV-1", "1000.00", "700.00"), *WEEK1[1:]]  # a credit of 300.00 in the source
    dry = run_import(export(tmp_path, credited), dry_run=True)
    assert books(acme, "ACME").invoices["INV-1"][2:] == (0, "paid", 100000)  # a dry run writes nothing
    report = run_import(export(tmp_path, credited))
    assert dry.changes == report.changes

    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-1"] == ("D1", 100000, 0, "paid", 70000)
    assert ledger.on_account == {"D1": 30000} and ledger.balances["D1"] == 10000  # 400.00 - 300.00
    assert (
        f"invoice INV-1: 300.00 GBP of bank payment {paid.payment} goes back on D1's account: "
        "the file has only 700.00 GBP open on it"
    ) in report.changes


def test_cash_on_account_the_bank_brought_first_is_one_payment(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    (paid,) = bank_pays(acme, tmp_path, "ACME", DAY, "400.00", "INV-2", "D1").matched
    unapplied = [("D1", "PAY-77", date(2026, 3, 11), "400.00")]  # entered as cash on account

    report = run_import(export(tmp_path, WEEK1, unapplied))

    assert (
        f"cash on account PAY-77 in the file is the bank's payment {paid.payment}: linked, counted once"
        in (report.changes)
    )
    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.invoices["INV-2"] == ("D1", 40000, 40000, "open", 0)  # as the file has it
    assert ledger.on_account == {"D1": 40000} and ledger.balances["D1"] == 100000
    with acme:
        payments = [(p.reference, p.amount) for p in acme.payments.list_all("ACME")]
        (match,) = acme.bank.matches("ACME")
    assert payments == [("PAY-77", gbp(40000))] and match.payment == "PAY-77"

    applied = [("D1", "INV-1", "1000.00", "1000.00"), ("D1", "INV-2", "400.00", "0.00"), WEEK1[2]]
    run_import(export(tmp_path, applied))  # the bookkeeper applies it: the file clears it
    ledger = books(acme, "ACME")
    ledger.check()
    assert ledger.on_account == {"D1": 0} and ledger.balances["D1"] == 100000


def test_another_creditors_import_never_sees_this_creditors_bank_cash(
    acme: SqlUnitOfWork, tmp_path: Path, run_import: Import
) -> None:
    bank_pays(acme, tmp_path, "ACME", DAY, "1000.00", "INV-1", "D1")
    report = run_import(export(tmp_path, WEEK1), code="BETA")  # BETA has invoices of the same numbers

    assert report.bank_cash_not_in_file == () and books(acme, "BETA").open_of("INV-1") == 100000
    assert books(acme, "ACME").open_of("INV-1") == 0
    with acme:
        (theirs,) = acme.imports.bank_allocations("ACME")
        assert acme.imports.bank_allocations("BETA") == []
        with pytest.raises(NotFoundError):
            acme.imports.release_bank_cash("BETA", [(theirs.id, 100)])
    assert books(acme, "ACME").invoices["INV-1"][2:] == (0, "paid", 100000)
