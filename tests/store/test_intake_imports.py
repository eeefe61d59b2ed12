"""Importing ledger files into the store (SQLite and PostgreSQL): all-or-nothing, quarantine,
sync semantics (same file, newer full export, part ledger), the record of every import."""

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.core.ledger import Creditor, DocumentKind, DocumentStatus
from arrears.core.money import Money
from arrears.services.import_ledger import MassSettleError, import_ledger
from arrears.store.tables import DocumentRecord
from arrears.store.unit_of_work import SqlUnitOfWork

FILES = Path(__file__).resolve().parents[1] / "intake" / "files"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HEADER = "DebtorCode,DebtorName,Email,Type,Number,IssueDate,DueDate,Amount,OpenAmount\n"
LEDGER = (
    "A1,Abbey Builders Ltd,ap@abbey.example,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,1000.00\n"
    "A1,,,Invoice,INV-2,2026-08-01,2026-08-31,500.00,500.00\n"
    "B2,Crown Glazing Ltd,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,250.00\n"
    "B2,,,Credit note,CN-1,2026-09-05,,40.00,40.00\n"
)


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.creditors.add(Creditor(code="BETA", name="Beta Ltd"))
        uow.commit()
    return uow


def write(tmp_path: Path, name: str, body: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def documents(uow: SqlUnitOfWork, creditor: str = "ACME") -> dict[str, tuple[str, Money, str]]:
    with uow:
        index = uow.documents.import_index(creditor)
    return {
        number: (stored.debtor, Money.from_minor_units(stored.open_minor, stored.currency), stored.status)
        for (_, number), stored in index.items()
    }


def test_a_first_import_writes_the_ledger_and_records_who_when_what_and_the_totals(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    report = import_ledger(acme, "ACME", write(tmp_path, "ledger.csv", LEDGER), who="jane", now=NOW)

    assert report.status == "applied" and report.errors == ()
    assert documents(acme) == {
        "INV-1": ("A1", Money.of("1000.00", "GBP"), "open"),
        "INV-2": ("A1", Money.of("500.00", "GBP"), "open"),
        "INV-3": ("B2", Money.of("250.00", "GBP"), "open"),
        "CN-1": ("B2", Money.of("40.00", "GBP"), "open"),
    }
    with acme:
        (recorded,) = acme.imports.list_recent("ACME")
        abbey = acme.debtors.get("ACME", "A1")
    assert (recorded.who, recorded.source, recorded.file_name, recorded.status) == (
        "jane",
        "file",
        "ledger.csv",
        "applied",
    )
    assert recorded.started_at == NOW and recorded.mode == "full" and recorded.profile == "generic"
    assert (recorded.documents, recorded.debtors, recorded.added, recorded.debtors_added) == (4, 2, 4, 2)
    assert recorded.content_hash == report.summary.content_hash and len(recorded.content_hash) == 64
    (total,) = recorded.totals
    assert (total.currency, total.documents) == ("GBP", 4)
    assert (total.invoices_open, total.credit_notes_open) == (
        Money.of("1750.00", "GBP"),
        Money.of("40.00", "GBP"),
    )
    assert total.net_open == Money.of("1710.00", "GBP")  # what the file's rows add up to
    assert abbey.name == "Abbey Builders Ltd" and abbey.contacts[0].email == "ap@abbey.example"


def test_importing_the_same_file_again_changes_nothing(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    path = write(tmp_path, "ledger.csv", LEDGER)
    import_ledger(acme, "ACME", path, who="jane", now=NOW)
    before = documents(acme)

    again = import_ledger(acme, "ACME", path, who="jane", now=NOW)

    assert again.status == "unchanged" and again.summary.added == again.summary.updated == 0
    assert "the same file as import #" in (again.summary.note or "")
    assert documents(acme) == before
    with acme:
        assert [i.status for i in acme.imports.list_recent("ACME")] == ["unchanged", "applied"]


def test_the_same_rows_in_another_file_also_change_nothing(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    import_ledger(acme, "ACME", write(tmp_path, "one.csv", LEDGER), who="jane", now=NOW)
    reordered = "".join(reversed(LEDGER.splitlines(keepends=True)))  # names now come after the codes
    path = write(tmp_path, "two.csv", reordered)
    report = import_ledger(acme, "ACME", path, who="jane", now=NOW)
    assert report.status == "applied"
    assert (report.summary.added, report.summary.updated, report.summary.unchanged) == (0, 0, 4)


def test_a_newer_full_export_updates_adds_and_settles_what_vanished(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    import_ledger(acme, "ACME", write(tmp_path, "week1.csv", LEDGER), who="jane", now=NOW)
    week2 = (
        "A1,Abbey Builders Ltd,ap@abbey.example,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,400.00\n"  # part paid
        "B2,Crown Glazing Ltd,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,250.00\n"
        "B2,,,Credit note,CN-1,2026-09-05,,40.00,40.00\n"
        "B2,,,Invoice,INV-4,2026-11-01,2026-12-01,90.00,90.00\n"  # new
    )  # INV-2 was paid in full: it is not in the export any more

    report = import_ledger(acme, "ACME", write(tmp_path, "week2.csv", week2), who="sam", now=NOW)

    assert report.status == "applied"
    assert (
        report.summary.added,
        report.summary.updated,
        report.summary.settled,
        report.summary.unchanged,
    ) == (1, 1, 1, 2)
    assert documents(acme)["INV-1"] == ("A1", Money.of("400.00", "GBP"), "part_paid")
    assert documents(acme)["INV-2"] == ("A1", Money.of("0.00", "GBP"), "settled_in_source")  # never deleted
    assert documents(acme)["INV-4"] == ("B2", Money.of("90.00", "GBP"), "open")
    with acme:
        changes = acme.imports.changes("ACME", report.summary.id)
        reason = acme.imports.settled_reason("ACME", "invoice", "INV-2")
        allocations = acme.payments.allocations("ACME", document="INV-1")
    updated = next(c for c in changes if c.change == "updated")
    assert (updated.document, updated.old_open_minor, updated.new_open_minor) == (
        ("invoice", "INV-1"),
        100000,
        40000,
    )
    assert (updated.old_status, updated.new_status) == ("open", "part_paid")
    assert "open amount 1,000.00 -> 400.00" in updated.detail
    settled = next(c for c in changes if c.change == "settled_in_source")
    assert (settled.document, settled.old_open_minor) == (("invoice", "INV-2"), 50000)
    assert reason == "not in the full-ledger export week2.csv imported 2026-11-23 09:30 UTC by sam"
    assert allocations == []  # no payment was invented for the lower open amount

    back = import_ledger(
        acme,
        "ACME",
        write(tmp_path, "week3.csv", week2 + LEDGER.splitlines(keepends=True)[1]),
        who="sam",
        now=NOW,
    )
    assert back.summary.reopened == 1
    assert documents(acme)["INV-2"] == ("A1", Money.of("500.00", "GBP"), "open")


def test_a_part_ledger_touches_only_what_it_contains(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    import_ledger(acme, "ACME", write(tmp_path, "full.csv", LEDGER), who="jane", now=NOW)
    part = "B2,Crown Glazing Ltd,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,0.00\n"

    report = import_ledger(acme, "ACME", write(tmp_path, "part.csv", part), who="jane", mode="part", now=NOW)

    assert (report.summary.updated, report.summary.settled) == (1, 0)
    assert documents(acme)["INV-3"][2] == "paid"
    assert {n: d[2] for n, d in documents(acme).items() if n != "INV-3"} == {
        "INV-1": "open",
        "INV-2": "open",
        "CN-1": "open",
    }


def test_any_bad_row_means_nothing_is_written_and_every_error_is_listed(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    body = LEDGER + "A1,,,Invoice,INV-5,2026-13-01,,10.00,\nZ9,,,Invoice,INV-6,2026-10-01,,10.00,\n"

    report = import_ledger(acme, "ACME", write(tmp_path, "bad.csv", body), who="jane", now=NOW)

    assert report.rejected
    assert [str(e) for e in report.errors] == [
        "bad.csv row 6, column IssueDate: '2026-13-01' is not a date (day first, e.g. 23/11/2026 or 2026-11-23)",
        "bad.csv row 7, column DebtorCode: 'Z9' is a debtor that is not defined: give its name (DebtorName) on "
        "one of its rows, or import the customer list first",
    ]
    assert documents(acme) == {}
    with acme:
        assert acme.debtors.list_all("ACME") == []
        (recorded,) = acme.imports.list_recent("ACME")
    assert (recorded.status, recorded.errors, recorded.rejected_rows, recorded.added) == ("rejected", 2, 2, 0)


def test_accept_valid_writes_the_valid_rows_and_quarantines_the_rest_with_their_errors(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    body = LEDGER + 'A1,,,Invoice,=HYPERLINK("http://evil.example"),2026-13-01,,10.00,\n'
    quarantine = tmp_path / "quarantine"

    report = import_ledger(
        acme,
        "ACME",
        write(tmp_path, "mixed.csv", body),
        who="jane",
        accept_valid=True,
        quarantine_dir=quarantine,
        now=NOW,
    )

    assert report.status == "partial" and report.quarantine_rows == 1
    assert set(documents(acme)) == {"INV-1", "INV-2", "INV-3", "CN-1"}
    (saved,) = quarantine.glob("*.csv")
    assert str(saved) == report.summary.quarantine_file
    rows = list(csv.reader(saved.open(encoding="utf-8-sig")))
    assert rows[0] == ["row", *HEADER.strip().split(","), "errors"]
    assert rows[1][0] == "6"
    assert rows[1][5] == '\'=HYPERLINK("http://evil.example")'  # neutralised: a spreadsheet will not run it
    assert rows[1][-1] == "IssueDate: '2026-13-01' is not a date (day first, e.g. 23/11/2026 or 2026-11-23)"
    with acme:
        (recorded,) = acme.imports.list_recent("ACME")
    assert (recorded.status, recorded.rejected_rows, recorded.quarantine_file) == ("partial", 1, str(saved))


def test_a_dry_run_writes_nothing_not_even_its_record(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    report = import_ledger(
        acme, "ACME", write(tmp_path, "ledger.csv", LEDGER), who="jane", dry_run=True, now=NOW
    )
    assert report.dry_run and report.summary.added == 4 and report.summary.id is None
    assert documents(acme) == {}
    with acme:
        assert acme.imports.list_recent("ACME") == []


def test_a_full_import_that_would_settle_most_of_the_ledger_is_refused(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    many = "".join(
        f"A1,Abbey Builders Ltd,,Invoice,INV-{n},2026-07-01,2026-07-31,10.00,10.00\n" for n in range(1, 31)
    )
    import_ledger(acme, "ACME", write(tmp_path, "all.csv", many), who="jane", now=NOW)
    one = "A1,Abbey Builders Ltd,,Invoice,INV-1,2026-07-01,2026-07-31,10.00,10.00\n"
    with pytest.raises(MassSettleError, match="would settle 29 of the creditor's 30 open documents"):
        import_ledger(acme, "ACME", write(tmp_path, "one.csv", one), who="jane", now=NOW)
    assert all(status == "open" for _, _, status in documents(acme).values())
    report = import_ledger(
        acme, "ACME", write(tmp_path, "one.csv", one), who="jane", allow_mass_settle=True, now=NOW
    )
    assert report.summary.settled == 29


def test_an_import_never_touches_another_creditors_documents(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    path = write(tmp_path, "ledger.csv", LEDGER)
    import_ledger(acme, "BETA", path, who="jane", now=NOW)
    import_ledger(
        acme, "ACME", write(tmp_path, "small.csv", LEDGER.splitlines(keepends=True)[0]), who="jane", now=NOW
    )
    assert {d[2] for d in documents(acme, "BETA").values()} == {"open"}
    assert set(documents(acme, "ACME")) == {"INV-1"}


def test_a_document_written_off_in_arrears_stays_written_off(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    import_ledger(acme, "ACME", write(tmp_path, "ledger.csv", LEDGER), who="jane", now=NOW)
    with acme:
        acme.session.execute(
            DocumentRecord.__table__.update()
            .where(DocumentRecord.number == "INV-2")
            .values(status="written_off")
        )
        acme.commit()
    changed = LEDGER.replace(
        "INV-2,2026-08-01,2026-08-31,500.00,500.00", "INV-2,2026-08-01,2026-08-31,500.00,300.00"
    )
    report = import_ledger(acme, "ACME", write(tmp_path, "later.csv", changed), who="jane", now=NOW)
    assert documents(acme)["INV-2"][2] == "written_off"
    assert "invoice INV-2 is written off in Arrears: left as it is" in report.changes


def test_sage_customer_list_then_aged_debtors_due_dates_from_each_customers_terms(
    acme: SqlUnitOfWork,
) -> None:
    customers = import_ledger(acme, "ACME", FILES / "sage50_customers.csv", who="jane", now=NOW)
    assert (customers.status, customers.summary.debtors_added) == ("applied", 4)

    report = import_ledger(acme, "ACME", FILES / "sage50_aged_debtors.csv", who="jane", now=NOW)

    assert report.status == "applied" and report.total_checked
    assert report.summary.totals[0].net_open == Money.of("7800.40", "GBP")  # Sage's Grand Totals line
    with acme:
        abbey = acme.documents.get("ACME", "INV1043")
        crown = acme.documents.get("ACME", "INV1180")
        credit = acme.documents.get("ACME", "CN0012", DocumentKind.CREDIT_NOTE)
        cash = acme.payments.get("ACME", "1205")
        assumed = acme.imports.documents_without_due_date("ACME")
        debtor = acme.debtors.get("ACME", "ABB001")
    assert abbey.due_date == date(2026, 9, 12)  # 14/07 + Abbey's 60 days
    assert crown.due_date == date(2026, 10, 31)  # 01/10 + Crown's 30 days
    assert credit.due_date == credit.issue_date
    assert abbey.external_reference == "1043"  # Sage's transaction number
    assert (cash.debtor, cash.unallocated_amount) == ("CRO002", Money.of("300.00", "GBP"))
    assert len(assumed) == 7  # every invoice: the report gives no due dates
    assert debtor.payment_terms_days == 60 and debtor.credit_limit == Money.of("5000.00", "GBP")
    assert debtor.contacts[0].email == "accounts@abbeybuilders.example"


def test_a_newer_customer_list_updates_details_and_keeps_contacts_added_in_arrears(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    import_ledger(acme, "ACME", FILES / "sage50_customers.csv", who="jane", now=NOW)
    from dataclasses import replace

    from arrears.core.ledger import Contact

    with acme:
        abbey = acme.debtors.get("ACME", "ABB001")
        acme.debtors.update(
            "ACME",
            replace(
                abbey, contacts=(*abbey.contacts, Contact("Site office", phone="01632 960999", primary=False))
            ),
        )
        acme.commit()
    text = (
        (FILES / "sage50_customers.csv")
        .read_text(encoding="cp1252")
        .replace("accounts@abbeybuilders", "ledger@abbeybuilders")
    )
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="cp1252")

    report = import_ledger(acme, "ACME", path, who="jane", now=NOW)

    assert report.summary.debtors_updated == 1
    with acme:
        abbey = acme.debtors.get("ACME", "ABB001")
        (change,) = acme.imports.changes("ACME", report.summary.id)
    assert [c.email for c in abbey.contacts] == ["ledger@abbeybuilders.example", None]
    assert abbey.contacts[1].name == "Site office"
    assert (change.change, change.debtor) == ("debtor_updated", "ABB001")


def test_cash_an_import_brought_is_cleared_when_a_full_export_no_longer_lists_it(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    with_cash = LEDGER + "B2,,,Payment,PAY-7,2026-10-20,,60.00,60.00\n"
    import_ledger(acme, "ACME", write(tmp_path, "one.csv", with_cash), who="jane", now=NOW)
    with acme:
        assert acme.payments.get("ACME", "PAY-7").unallocated_amount == Money.of("60.00", "GBP")
    report = import_ledger(acme, "ACME", write(tmp_path, "two.csv", LEDGER), who="jane", now=NOW)
    assert (
        "clear cash on account PAY-7: unallocated 60.00 -> 0.00 GBP (allocated in the source)"
        in report.changes
    )
    with acme:
        assert acme.payments.get("ACME", "PAY-7").unallocated_amount.is_zero


def test_a_new_creditor_can_be_added_with_its_first_ledger(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    report = import_ledger(
        uow,
        "NEWCO",
        write(tmp_path, "ledger.csv", LEDGER),
        who="jane",
        new_creditor=Creditor("NEWCO", "New Co Ltd"),
        now=NOW,
    )
    assert report.status == "applied"
    with uow:
        assert uow.creditors.get("NEWCO").name == "New Co Ltd"
        count = uow.session.scalar(select(func.count()).select_from(DocumentRecord))
    assert count == 4


def test_xero_workbook_import_keeps_formula_text_as_the_debtors_name(acme: SqlUnitOfWork) -> None:
    report = import_ledger(acme, "ACME", FILES / "xero_aged_receivables_detail.xlsx", who="jane", now=NOW)
    assert report.status == "applied" and report.total_checked
    with acme:
        debtor = acme.debtors.get("ACME", '=HYPERLINK("http://example.invalid","Click me")')
        document = acme.documents.get("ACME", "INV-0060")
    assert debtor.name == '=HYPERLINK("http://example.invalid","Click me")'
    assert document.open_amount == Money.of("0.30", "GBP") and document.status is DocumentStatus.OPEN
