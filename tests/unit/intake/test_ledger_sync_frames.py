"""Planning a file read column by column gives the plan the row-by-row planning gives.

Seeded random ledgers (with and without due dates, references, PO numbers; a layout that
shows only open amounts) are planned against random stored ledgers (documents changed or not,
written off, settled in the source and listed again, vanished; due dates assumed before) both
ways, full and part, and every part of the two plans must be equal, in the same order.
"""

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from arrears.intake.clean_csv import read_clean_csv
from arrears.intake.files import open_table
from arrears.intake.ledger_import import choose_profile
from arrears.intake.ledger_sync import SyncPlan, plan_sync
from arrears.intake.validation import ParsedLedger, parse_ledger
from arrears.store.repositories.documents import StoredDocument
from arrears.store.repositories.imports_bulk import StoredDocumentFrame, pl

OUTSTANDING_PROFILE = """
name: outstanding
title: Open amounts only
columns:
  debtor_code: [Code]
  debtor_name: [Name]
  terms_days: [Terms]
  type: [Type]
  number: [Number]
  issue_date: [Date]
  due_date: [Due]
  open_amount: [Open]
  reference: [Reference]
  po_number: [PO]
required: [debtor_code, number, issue_date, open_amount]
dates: iso
types:
  invoice: [invoice]
  credit_note: [credit]
  default: invoice
"""
STATUSES = ("open", "open", "part_paid", "paid", "settled_in_source", "written_off")


def _ledger(rng: random.Random, path: Path, *, outstanding: bool) -> None:
    header = ["Code", "Name", "Terms", "Type", "Number", "Date", "Due", "Open", "Reference", "PO"]
    if not outstanding:
        header = [
            "DebtorCode",
            "DebtorName",
            "TermsDays",
            "Type",
            "Number",
            "IssueDate",
            "DueDate",
            "OpenAmount",
        ]
        header += ["Reference", "PONumber", "Amount"]
    lines = [",".join(header)]
    for number in range(rng.randint(1, 40)):
        code = f"D{rng.randrange(6)}"
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        amount = rng.choice((1000, 2500, 99))
        cells = [
            code,
            f"Debtor {code}" if rng.random() < 0.5 else "",
            rng.choice(("", "", "14", "45")),
            rng.choice(("invoice", "invoice", "credit")),
            f"N{number:03d}",
            issued.isoformat(),
            rng.choice(("", (issued + timedelta(days=30)).isoformat())),
            f"{rng.choice((amount, amount // 2, 0 if not outstanding and rng.random() < 0.3 else amount)) / 100:.2f}",
            rng.choice(("", "R1", "R2")),
            rng.choice(("", "PO-9")),
        ]
        if not outstanding:
            cells.append(f"{amount / 100:.2f}")
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def _stored(rng: random.Random, parsed: ParsedLedger) -> dict[tuple[str, str], StoredDocument]:
    stored: dict[tuple[str, str], StoredDocument] = {}
    next_id = 1
    for document in parsed.documents:
        if rng.random() < 0.35:
            continue  # new to the ledger
        due = document.due_date or document.issue_date + timedelta(days=rng.choice((30, 14, 45)))
        amount = document.amount_minor or document.open_minor
        stored[(document.kind, document.number)] = StoredDocument(
            next_id,
            document.debtor if rng.random() < 0.9 else "D9",
            document.issue_date,
            due if rng.random() < 0.8 else due + timedelta(days=1),
            document.currency,
            rng.choice((amount, amount, amount * 2, max(document.open_minor, 1))),
            rng.choice((document.open_minor, document.open_minor, 0)),
            rng.choice(STATUSES),
            rng.choice((document.reference, document.reference, "OLD", None)),
            rng.choice((document.po_number, None, "PO-OLD")),
        )
        next_id += 1
    for extra in range(rng.randint(0, 5)):  # documents the file does not list
        stored[("invoice", f"X{extra}")] = StoredDocument(
            next_id,
            "D1",
            date(2026, 2, 1),
            date(2026, 3, 3),
            "GBP",
            500,
            500,
            rng.choice(STATUSES),
            None,
            None,
        )
        next_id += 1
    return stored


def _plan(parsed: ParsedLedger, stored: object, assumed: set[int], full: bool) -> SyncPlan:
    return plan_sync(
        parsed,
        creditor="ACME",
        creditor_currency="GBP",
        stored_documents=stored,  # type: ignore[arg-type]
        stored_debtors={},
        stored_payments={},
        assumed_due=assumed,
        imported_payments=set(),
        full=full,
    )


@pytest.mark.parametrize("outstanding", [False, True])
def test_both_plannings_give_the_same_plan(tmp_path: Path, outstanding: bool) -> None:
    profile = tmp_path / "outstanding.yaml"
    profile.write_text(OUTSTANDING_PROFILE)
    rng = random.Random(31 if outstanding else 32)
    compared = 0
    for index in range(25):
        path = tmp_path / f"ledger-{index}.csv"
        _ledger(rng, path, outstanding=outstanding)
        table = open_table(path)
        chosen = choose_profile(table, str(profile) if outstanding else "generic", (), "GBP")
        columns = read_clean_csv(table, chosen.profile, chosen.header, default_currency="GBP")
        rows = parse_ledger(table, chosen.profile, chosen.header, default_currency="GBP")
        if columns is None:
            assert rows.errors  # a repeated number, by chance
            continue
        stored = _stored(rng, rows)
        assumed = {document.id for document in stored.values() if rng.random() < 0.3}
        frame = pl.DataFrame(
            [(kind, number, *document) for (kind, number), document in stored.items()],
            schema=["kind", "number", *StoredDocument._fields],
            orient="row",
        )
        for full in (True, False):
            by_rows = _plan(rows, stored, assumed, full)
            for given in (stored, StoredDocumentFrame(frame)):
                by_columns = _plan(columns, given, assumed, full)
                for name in SyncPlan.__dataclass_fields__:
                    assert getattr(by_columns, name) == getattr(by_rows, name), name
        compared += 1
    assert compared >= 15
