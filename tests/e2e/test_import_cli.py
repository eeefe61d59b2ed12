"""`arrears import`, `arrears imports`, `arrears profiles` and `arrears cleanup`, end to end."""

import csv
import io
from pathlib import Path

import pytest
from cli_support import failed_with_one_line, run_console_script, run_in_process, succeeded

FILES = Path(__file__).resolve().parents[1] / "intake" / "files"


def workspace(tmp_path: Path) -> Path:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    return home


def test_taking_over_a_sage_ledger_customers_then_aged_debtors_then_the_cleanup(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_console_script(home, "init"))
    customers = succeeded(
        run_console_script(
            home,
            "import",
            str(FILES / "sage50_customers.csv"),
            "-c",
            "WREN",
            "--new-creditor",
            "Wren Joinery Ltd",
        )
    )
    assert "sage50_customers.csv for WREN: applied (import #1)" in customers.stdout
    ledger = succeeded(
        run_console_script(
            home, "import", str(FILES / "sage50_aged_debtors.csv"), "-c", "WREN", "--who", "jane"
        )
    )
    assert "applied (import #2)" in ledger.stdout
    assert "detected sage50_aged_debtors" in ledger.stdout
    assert "the file's own total (row 47: 7,800.40) agrees with its rows" in ledger.stdout
    assert "9 added" in ledger.stdout

    history = succeeded(run_in_process(home, "imports", "-c", "WREN")).stdout
    assert "sage50_aged_debtors.csv" in history and "jane" in history and "7,800.40 GBP" in history

    cleanup = succeeded(
        run_console_script(home, "cleanup", "-c", "WREN", "--as-of", "2026-11-23", "--format", "csv")
    )
    rows = list(csv.DictReader(io.StringIO(cleanup.stdout)))
    sections = {row["section"] for row in rows}
    assert {"over_90_days", "apply_credits_first", "no_due_date", "no_contact"} <= sections
    assert any(row["document"] == "invoice INV0985" and row["section"] == "over_90_days" for row in rows)
    table = succeeded(run_in_process(home, "cleanup", "-c", "WREN", "--as-of", "2026-11-23")).stdout
    assert "90+ days past due" in table and "Suspected duplicates: 0" in table


def test_importing_the_same_file_twice_says_it_is_unchanged(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    path = str(FILES / "quickbooks_online_ar_ageing_detail.csv")
    succeeded(run_in_process(home, "import", path, "-c", "ACME", "--new-creditor", "Acme Ltd"))
    again = succeeded(run_in_process(home, "import", path, "-c", "ACME"))
    assert "unchanged (import #2)" in again.stdout and "nothing to change" in again.stdout


def test_a_dry_run_shows_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    dry = succeeded(
        run_in_process(
            home,
            "import",
            str(FILES / "xero_invoices.csv"),
            "-c",
            "ACME",
            "--new-creditor",
            "Acme",
            "--dry-run",
        )
    )
    assert "dry run: nothing written" in dry.stdout and "4 added" in dry.stdout and "(would be)" in dry.stdout
    failed_with_one_line(run_in_process(home, "imports", "-c", "ACME"), "there is no creditor 'ACME'")


def test_a_file_with_bad_rows_is_refused_whole_every_error_listed(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "DebtorCode,DebtorName,Number,IssueDate,Amount\n"
        "A1,Acme,INV-1,2026-03-01,100.00\n"
        "A1,Acme,INV-2,2026-02-30,100.00\n"
        "A1,Acme,INV-3,2026-03-01,ten pounds\n"
    )
    errors_csv = tmp_path / "errors.csv"
    outcome = run_in_process(
        home, "import", str(bad), "-c", "ACME", "--new-creditor", "Acme", "--errors-csv", str(errors_csv)
    )
    assert outcome.exit_code == 1
    assert "2 error(s): nothing was written" in outcome.stderr
    assert "bad.csv row 3, column IssueDate: '2026-02-30' is not a date" in outcome.stderr
    assert "bad.csv row 4, column Amount: 'ten pounds' is not an amount" in outcome.stderr
    assert [row["row"] for row in csv.DictReader(errors_csv.open(encoding="utf-8-sig"))] == ["3", "4"]
    history = succeeded(run_in_process(home, "imports", "-c", "ACME")).stdout
    assert "rejected" in history


def test_accept_valid_writes_the_good_rows_and_saves_the_rest_in_the_workspace(tmp_path: Path) -> None:
    home = workspace(tmp_path)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "DebtorCode,DebtorName,Number,IssueDate,Amount\n"
        "A1,Acme,INV-1,2026-03-01,100.00\n"
        "A1,Acme,@SUM(A1:A2),2026-02-30,100.00\n"
    )
    outcome = run_in_process(
        home, "import", str(mixed), "-c", "ACME", "--new-creditor", "Acme", "--accept-valid"
    )
    assert outcome.exit_code == 0
    assert "partial" in outcome.stdout and "1 error(s): these rows were not written" in outcome.stderr
    (saved,) = (home / "imports").glob("mixed.*.rejected.csv")
    rows = list(csv.reader(saved.open(encoding="utf-8-sig")))
    assert rows[1][:4] == ["3", "A1", "Acme", "'@SUM(A1:A2)"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the file is empty"),
        (b"DebtorCode,DebtorName,Number,IssueDate,Amount\r\n", "has a header (row 1) but no rows under it"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Excel workbook (.xls)"),
        (b"a,b\n\x81\x8d,\x90\n", "is neither UTF-8"),
    ],
)
def test_hostile_files_are_one_clear_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    home = workspace(tmp_path)
    path = tmp_path / "hostile.csv"
    path.write_bytes(content)
    failed_with_one_line(
        run_in_process(home, "import", str(path), "-c", "ACME", "--new-creditor", "Acme"), fragment
    )


def test_profiles_lists_the_built_in_layouts(tmp_path: Path) -> None:
    listing = succeeded(run_in_process(workspace(tmp_path), "profiles")).stdout
    for name in (
        "generic",
        "sage50_aged_debtors",
        "quickbooks_online_invoice_list",
        "xero_aged_receivables_detail",
    ):
        assert name in listing


@pytest.mark.postgres
def test_an_import_into_postgresql(tmp_path: Path, postgres_url: str) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init", "--database-url", postgres_url))
    report = succeeded(
        run_in_process(
            home,
            "import",
            str(FILES / "xero_aged_receivables_detail.xlsx"),
            "-c",
            "ACME",
            "--new-creditor",
            "Acme",
        )
    )
    assert "applied (import #1)" in report.stdout and "2,880.30" in report.stdout
