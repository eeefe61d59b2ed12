"""The clean-up report on a ledger just taken over (SQLite and PostgreSQL)."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.intake.safe_csv import write_rows
from arrears.services.cleanup_report import CSV_HEADER, cleanup_report, csv_rows
from arrears.services.import_ledger import import_ledger
from arrears.store.unit_of_work import SqlUnitOfWork

AS_OF = date(2026, 11, 23)
LEDGER = """DebtorCode,DebtorName,Email,Phone,Type,Number,IssueDate,DueDate,Amount,OpenAmount
OLD1,Old Debts Ltd,ap@old.example,,Invoice,INV-001,2026-05-01,2026-05-31,900.00,900.00
OLD1,,,,Invoice,INV001,2026-05-01,2026-05-31,900.00,900.00
OLD1,,,,Invoice,INV-9,2026-10-01,,300.00,300.00
CRD2,Credit Heavy Ltd,,01632 960002,Invoice,INV-20,2026-10-10,2026-11-09,500.00,500.00
CRD2,,,,Credit note,CN-20,2026-10-20,,120.00,120.00
CRD2,,,,Payment,PAY-20,2026-11-01,,80.00,80.00
DUP3,Twice Billed Ltd,twice@example.com,,Invoice,INV-30,2026-11-01,2026-12-01,250.00,250.00
DUP3,,,,Invoice,INV-31,2026-11-01,2026-12-01,250.00,250.00
NOC4,"=HYPERLINK(""http://evil.example"",""No Contact Ltd"")",not-an-email,12,Invoice,INV-40,2026-11-02,2026-12-02,75.00,75.00
SML5,Small Change Ltd,small@example.co.uk,,Invoice,INV-50,2026-11-03,2026-12-03,4.50,4.50
"""


def build(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.commit()
    path = tmp_path / "takeover.csv"
    path.write_text(LEDGER)
    report = import_ledger(uow, "ACME", path, who="jane", now=datetime(2026, 11, 23, tzinfo=UTC))
    assert report.status == "applied", report.errors


def test_the_cleanup_report_finds_what_needs_doing_before_anyone_is_chased(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    build(uow, tmp_path)

    report = cleanup_report(uow, "ACME", AS_OF)

    over = report.section("over_90_days")
    assert [(f.document, f.days_past_due) for f in over] == [
        ("invoice INV-001", 176),
        ("invoice INV001", 176),
    ]
    credits = {f.document: f.detail for f in report.section("apply_credits_first")}
    assert credits == {
        "credit note CN-20": "unapplied credit note: apply it to the debtor's 1 open invoice before chasing",
        "cash PAY-20": "unallocated cash: apply it to the debtor's 1 open invoice before chasing",
    }
    duplicates = {f.document: f.detail for f in report.section("suspected_duplicates")}
    assert duplicates == {
        "invoice INV-001": "the same debtor, date and amount as INV001",
        "invoice INV001": "the same debtor, date and amount as INV-001",
        "invoice INV-30": "the same debtor, date and amount as INV-31",
        "invoice INV-31": "the same debtor, date and amount as INV-30",
    }
    (no_contact,) = report.section("no_contact")
    assert (no_contact.debtor, no_contact.debtor_name) == (
        "NOC4",
        '=HYPERLINK("http://evil.example","No Contact Ltd")',
    )
    assert no_contact.detail.startswith("no contact with a usable email address or phone number")
    (no_due,) = report.section("no_due_date")
    assert (no_due.document, no_due.detail) == (
        "invoice INV-9",
        "the source gives no due date; taken as 2026-10-31 from the payment terms",
    )
    (small,) = report.section("small_balances")
    assert (small.debtor, small.amount) == ("SML5", Money.of("4.50", "GBP"))
    assert report.counts() == {
        "over_90_days": 2,
        "apply_credits_first": 2,
        "suspected_duplicates": 4,
        "no_contact": 1,
        "no_due_date": 1,
        "small_balances": 1,
    }


def test_a_due_date_given_by_a_later_export_takes_the_document_off_the_list(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    build(uow, tmp_path)
    later = tmp_path / "later.csv"
    later.write_text(LEDGER.replace("INV-9,2026-10-01,,300.00", "INV-9,2026-10-01,2026-11-30,300.00"))
    import_ledger(uow, "ACME", later, who="jane", now=datetime(2026, 11, 24, tzinfo=UTC))
    assert cleanup_report(uow, "ACME", AS_OF).section("no_due_date") == ()


def test_the_threshold_for_small_balances_is_a_choice(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    build(uow, tmp_path)
    report = cleanup_report(uow, "ACME", AS_OF, small_balance=Decimal("100"))
    assert sorted(f.debtor for f in report.section("small_balances")) == ["NOC4", "SML5"]


def test_the_cleanup_csv_neutralises_formulas_in_names(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    build(uow, tmp_path)
    buffer = io.StringIO()
    write_rows(buffer, CSV_HEADER, csv_rows(cleanup_report(uow, "ACME", AS_OF)))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    evil = next(row for row in rows if row["section"] == "no_contact")
    assert evil["debtor"] == "NOC4"
    assert evil["debtor_name"] == '\'=HYPERLINK("http://evil.example","No Contact Ltd")'
    assert {row["section"] for row in rows} == {
        "over_90_days",
        "apply_credits_first",
        "suspected_duplicates",
        "no_contact",
        "no_due_date",
        "small_balances",
    }
