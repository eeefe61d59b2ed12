"""Planning an import against the ledger as it stands (pure: no store)."""

from datetime import date
from pathlib import Path

from arrears.core.ledger import Debtor
from arrears.intake.ledger_import import read_ledger
from arrears.intake.ledger_sync import plan_sync
from arrears.intake.validation import ParsedLedger
from arrears.store.repositories.documents import StoredDocument


def qb_desktop(files: Path, tmp_path: Path, *, replace: tuple[str, str] | None = None) -> ParsedLedger:
    text = (files / "quickbooks_desktop_ar_ageing_detail.csv").read_text()
    if replace is not None:
        text = text.replace(*replace)
    path = tmp_path / "qbd.csv"
    path.write_text(text)
    return read_ledger(path, profile="quickbooks_desktop_ar_ageing_detail_us", default_currency="GBP")


def stored(number_id: int, debtor: str, amount: int, open_minor: int, status: str = "open") -> StoredDocument:
    return StoredDocument(
        number_id, debtor, date(2026, 7, 29), date(2026, 8, 28), "GBP", amount, open_minor, status, None, None
    )


def plan(parsed: ParsedLedger, documents: dict[tuple[str, str], StoredDocument], *, full: bool = True):  # type: ignore[no-untyped-def]
    return plan_sync(
        parsed,
        creditor="ACME",
        creditor_currency="GBP",
        stored_documents=documents,
        stored_debtors={},
        stored_payments={},
        assumed_due=set(),
        imported_payments=set(),
        full=full,
    )


def test_a_layout_without_the_original_amount_lowers_the_open_amount_and_keeps_the_amount(
    files: Path, tmp_path: Path
) -> None:
    parsed = qb_desktop(files, tmp_path, replace=('"3,120.00"', '"1,120.00"'))
    known = {("invoice", "1032"): stored(7, "Delta Tiling, Kitchens & Baths", 312000, 312000)}

    result = plan(parsed, known)

    (update,) = result.documents_to_update
    assert (update.id, update.row.amount_minor, update.row.open_minor, update.row.status) == (
        7,
        312000,
        112000,
        "part_paid",
    )
    assert update.fields == ("open amount", "status")


def test_a_settled_in_source_document_that_comes_back_is_reopened(files: Path, tmp_path: Path) -> None:
    parsed = qb_desktop(files, tmp_path)
    known = {("invoice", "1032"): stored(7, "Delta Tiling, Kitchens & Baths", 312000, 0, "settled_in_source")}
    (update,) = plan(parsed, known).documents_to_update
    assert (update.change, update.row.status) == ("reopened", "open")


def test_only_a_full_import_settles_what_is_missing_and_only_open_documents(
    files: Path, tmp_path: Path
) -> None:
    parsed = qb_desktop(files, tmp_path)
    known = {
        ("invoice", "9001"): stored(1, "Gone Ltd", 1000, 1000),
        ("invoice", "9002"): stored(2, "Gone Ltd", 1000, 0, "paid"),
        ("invoice", "9003"): stored(3, "Gone Ltd", 1000, 1000, "written_off"),
    }
    assert [s.number for s in plan(parsed, known).documents_to_settle] == ["9001"]
    assert plan(parsed, known, full=False).documents_to_settle == []


def test_new_debtors_take_the_files_terms_and_known_ones_keep_what_the_file_does_not_say(
    files: Path, tmp_path: Path
) -> None:
    parsed = qb_desktop(files, tmp_path)
    result = plan_sync(
        parsed,
        creditor="ACME",
        creditor_currency="GBP",
        stored_documents={},
        stored_debtors={
            "Crown Glazing Ltd": Debtor(
                "ACME", "Crown Glazing Ltd", "Crown Glazing Ltd", payment_terms_days=45
            )
        },
        stored_payments={},
        assumed_due=set(),
        imported_payments=set(),
        full=True,
    )
    added = {d.account_code: d.payment_terms_days for d in result.debtors_to_add}
    assert added == {"Abbey Builders Ltd": 30, "Delta Tiling, Kitchens & Baths": 30, "Elmhurst Lettings": 0}
    (update,) = result.debtors_to_update  # the file says Net 30
    assert (update.old.payment_terms_days, update.new.payment_terms_days, update.fields) == (
        45,
        30,
        ("payment terms",),
    )
