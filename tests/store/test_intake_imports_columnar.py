"""A ledger read column by column imports exactly as one read row by row (SQLite and PostgreSQL).

The same run of files (a first ledger; a newer full export with payments, changes, a reopened
document, a vanished one and new ones; a part ledger; the same file again) is imported for one
creditor row by row and for another column by column; after every step the two ledgers, the
reports, the recorded changes and the debtors must be the same. Then the columnar writer's own
rules: a refusal says why as the row writer says it, and the indexes set aside come back.
"""

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from arrears.core.ledger import Creditor
from arrears.intake import ledger_import
from arrears.services.import_ledger import ImportReport, import_ledger
from arrears.store.errors import DuplicateError
from arrears.store.repositories import imports_bulk
from arrears.store.repositories.documents import DocumentRow
from arrears.store.repositories.imports_bulk import DocumentFrame
from arrears.store.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HEADER = "DebtorCode,DebtorName,Email,TermsDays,CreditLimit,Type,Number,IssueDate,DueDate,Amount,OpenAmount,PONumber\n"
WEEK1 = (
    "A1,Abbey Builders Ltd,ap@abbey.example,60,5000,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,1000.00,PO-1\n"
    "A1,,,,,Invoice,INV-2,2026-08-01,,500.00,500.00,\n"  # no due date: Abbey's 60 days
    "B2,Crown Glazing Ltd,,,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,250.00,\n"
    "B2,,,,,Credit note,CN-1,2026-09-05,,40.00,40.00,\n"
    "C3,Dale Farm,,14,,Invoice,INV-5,2026-10-01,,75.50,75.50,\n"
)
WEEK2 = (
    "A1,Abbey Builders Ltd,ap@abbey.example,60,5000,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,400.00,PO-1\n"
    "A1,,,,,Invoice,INV-2,2026-08-01,2026-09-30,500.00,500.00,\n"  # the due date is given now
    "B2,Crown Glazing Ltd,new@crown.example,,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,250.00,\n"
    "B2,,,,,Credit note,CN-1,2026-09-05,,40.00,40.00,\n"
    "B2,,,,,Invoice,INV-4,2026-11-01,,90.00,90.00,\n"
    "D4,Elm Lettings,,30,,Invoice,INV-6,2026-11-02,2026-12-02,12.00,12.00,\n"
)  # INV-5 was paid: it vanished
WEEK3 = WEEK1 + "D4,Elm Lettings,,30,,Invoice,INV-6,2026-11-02,2026-12-02,12.00,12.00,\n"  # INV-5 back
PART = "B2,Crown Glazing Ltd,,,,Invoice,INV-3,2026-09-01,2026-10-01,250.00,100.00,\n"


@pytest.fixture
def ledgers(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(Creditor(code="ROWS", name="Read row by row"))
        uow.creditors.add(Creditor(code="COLS", name="Read column by column"))
        uow.commit()
    return uow


def _import(
    uow: SqlUnitOfWork, creditor: str, path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> ImportReport:
    monkeypatch.setattr(ledger_import, "CLEAN_READ_BYTES", 0 if creditor == "COLS" else 10**12)
    report = import_ledger(uow, creditor, path, who="jane", now=NOW, **options)
    assert (report.plan is None or creditor == "ROWS") or isinstance(
        report.plan.documents_to_add, DocumentFrame
    )
    return report


def _state(uow: SqlUnitOfWork, creditor: str) -> tuple[object, ...]:
    with uow:
        documents = {
            key: stored._replace(id=0) for key, stored in uow.documents.import_index(creditor).items()
        }
        debtors = [replace(debtor, creditor="") for debtor in uow.debtors.list_all(creditor)]
        changes = [replace(change, import_id=0) for change in uow.imports.changes(creditor)]
        without_due = uow.imports.documents_without_due_date(creditor)
        numbers = {
            number
            for (kind, number), document_id in uow.documents.ids_by_key(creditor, documents).items()
            if document_id in without_due
        }
    return documents, debtors, changes, sorted(numbers)


def _same_reports(rows: ImportReport, columns: ImportReport) -> None:
    keep = {"id": None, "creditor": "", "note": re.sub(r"#\d+", "#", rows.summary.note or "")}
    assert replace(rows.summary, **keep) == replace(
        columns.summary, **{**keep, "note": re.sub(r"#\d+", "#", columns.summary.note or "")}
    )
    assert rows.changes == columns.changes
    assert rows.errors == columns.errors and rows.warnings == columns.warnings


def test_a_run_of_imports_gives_the_same_ledger_either_way(
    ledgers: SqlUnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("week1.csv", WEEK1, {}),
        ("week2.csv", WEEK2, {}),
        ("week2.csv", WEEK2, {}),  # the same file: unchanged
        ("week3.csv", WEEK3, {}),  # INV-5 reopened, INV-4 settled in the source
        ("part.csv", PART, {"mode": "part"}),
        ("dry.csv", WEEK2, {"dry_run": True}),
    ]
    for name, body, options in steps:
        path = tmp_path / name
        path.write_text(HEADER + body, encoding="utf-8")
        by_rows = _import(ledgers, "ROWS", path, monkeypatch, **options)
        by_columns = _import(ledgers, "COLS", path, monkeypatch, **options)
        _same_reports(by_rows, by_columns)
        assert _state(ledgers, "ROWS") == _state(ledgers, "COLS"), name
    with ledgers:
        index = ledgers.documents.import_index("COLS")
    assert index[("invoice", "INV-5")].status == "open"  # reopened
    assert index[("invoice", "INV-4")].status == "settled_in_source"
    assert index[("invoice", "INV-3")].open_minor == 10000  # the part ledger
    assert index[("invoice", "INV-2")].due_date == date(2026, 9, 30)


def test_a_document_naming_an_undefined_debtor_is_rejected_with_its_row(
    ledgers: SqlUnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + WEEK1 + "Z9,,,,,Invoice,INV-9,2026-10-01,,10.00,10.00,\n", encoding="utf-8")
    rejected = {creditor: _import(ledgers, creditor, path, monkeypatch) for creditor in ("ROWS", "COLS")}
    _same_reports(rejected["ROWS"], rejected["COLS"])
    assert rejected["COLS"].status == "rejected"
    (error,) = rejected["COLS"].errors
    assert (error.row, error.column, error.value) == (7, "DebtorCode", "Z9")
    partial = {
        creditor: _import(
            ledgers, creditor, path, monkeypatch, accept_valid=True, quarantine_dir=tmp_path / creditor
        )
        for creditor in ("ROWS", "COLS")
    }
    assert partial["COLS"].status == "partial" and partial["COLS"].summary.added == 5
    assert _state(ledgers, "ROWS") == _state(ledgers, "COLS")
    (quarantined,) = (tmp_path / "COLS").glob("*.csv")
    assert "Z9" in quarantined.read_text(encoding="utf-8-sig")


def _frame(*numbers: str) -> DocumentFrame:
    rows = [
        DocumentRow("A1", "invoice", number, date(2026, 7, 1), date(2026, 7, 31), "GBP", 100, 100)
        for number in numbers
    ]
    return DocumentFrame(pl.DataFrame(rows, schema=list(DocumentRow._fields), orient="row"))


def test_a_document_frame_is_a_sequence_of_document_rows() -> None:
    frame = _frame("INV-1", "INV-2", "INV-3")
    assert len(frame) == 3 and frame[1].number == "INV-2" and frame[-1].number == "INV-3"
    assert [row.number for row in frame] == ["INV-1", "INV-2", "INV-3"]
    assert frame == list(frame) and frame[:2] == list(frame)[:2]
    with pytest.raises(IndexError):
        frame[3]


def test_the_columnar_writer_refuses_an_existing_number_as_the_row_writer_does_and_keeps_its_indexes(
    ledgers: SqlUnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + WEEK1, encoding="utf-8")
    _import(ledgers, "COLS", path, monkeypatch)
    monkeypatch.setattr(imports_bulk, "BULK_INDEX_ROWS", 1)  # set the indexes aside even for 2 rows
    with ledgers:
        indexes_before = _indexes(ledgers)
        with pytest.raises(DuplicateError, match="creditor COLS already has invoice INV-1"):
            ledgers.imports.add_documents("COLS", _frame("INV-7", "INV-1"))
    with ledgers:
        assert ledgers.imports.add_documents("COLS", _frame("INV-7", "INV-8")) == 2
        assert _indexes(ledgers) == indexes_before
        ledgers.commit()
    with ledgers:
        assert {"INV-7", "INV-8"} <= {number for _, number in ledgers.documents.import_index("COLS")}
        assert _indexes(ledgers) == indexes_before


def _indexes(uow: SqlUnitOfWork) -> list[str]:
    if uow.session.get_bind().dialect.name != "sqlite":
        query = (
            "SELECT indexname FROM pg_indexes WHERE tablename = 'documents' "
            "AND schemaname = current_schema() ORDER BY indexname"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' ORDER BY name"
    return list(uow.session.execute(text(query)).scalars())
