"""`arrears demo` (what `make demo` runs): a fresh SQLite workspace, a simulated ledger for two
creditors, a month replayed day by day (deals, bank files, the cycle, emails, letters, the
worklist), the ageing table and the metrics, and where everything is. It only ever deletes a
folder it made itself.

One run goes through the console script at the demo's full size; the others run in process
with a smaller ledger, since what they check does not depend on its size.
"""

import csv
import email
import email.policy
import re
import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import (
    AS_OF,
    Outcome,
    failed_with_one_line,
    run_console_script,
    run_in_process,
    succeeded,
)
from pypdf import PdfReader

from arrears.services import demo as demo_service

DEMO = ("demo", "--as-of", AS_OF)
AGEING_JSON = ("ageing", "--debtors", "--format", "json", "--as-of", AS_OF)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcome]:
    """The demo at its full size, through the console script, once for the module."""
    home = tmp_path_factory.mktemp("demo") / "demo-workspace"
    return home, succeeded(run_console_script(home, *DEMO))


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_service, "DEMO_DEBTORS", 40)
    monkeypatch.setattr(demo_service, "DEMO_INVOICES", 300)


def line_starting(text: str, prefix: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(prefix)]
    return line.removeprefix(prefix).strip()


# --- the demo as `make demo` runs it -----------------------------------------------------------


def test_demo_says_where_the_workspace_is_and_leaves_its_sqlite_ledger_there(
    demo_run: tuple[Path, Outcome],
) -> None:
    home, outcome = demo_run

    assert Path(line_starting(outcome.stdout, "Workspace:")) == home.resolve()
    assert line_starting(outcome.stdout, "Database:") == f"sqlite:///{home.resolve() / 'arrears.db'}"
    assert (home / "arrears.db").is_file()


def test_demo_simulates_two_creditors_and_prints_their_ageing_and_metrics(
    demo_run: tuple[Path, Outcome],
) -> None:
    _, outcome = demo_run

    assert (
        f"Simulated 2 creditors with {demo_service.DEMO_DEBTORS} debtors, {demo_service.DEMO_INVOICES} invoices"
        in outcome.stdout
    )
    ageing, metrics = outcome.stdout.split("Ageing by due date")[1].split("Metrics")
    for creditor in ("C001", "C002"):
        assert f"({creditor}) — ageing as of {AS_OF} by due-date" in ageing
        assert creditor in metrics
    assert "DSO" in metrics and "ADD" in metrics and "CEI %" in metrics


def test_the_commands_the_demo_suggests_work_on_its_workspace(demo_run: tuple[Path, Outcome]) -> None:
    home, outcome = demo_run
    lines = outcome.stdout.split("Try:", 1)[1].splitlines()[:2]
    worklist, ageing = (shlex.split(line) for line in lines)

    for suggested in (worklist, ageing):
        assert suggested[:3] == ["arrears", "--home", str(home.resolve())]
    tasks = succeeded(run_in_process(home, *worklist[3:]))
    listing = succeeded(run_in_process(home, *ageing[3:]))

    assert f"(C001): worklist as of {AS_OF}" in tasks.stdout
    assert f"(C001) — ageing as of {AS_OF}" in listing.stdout


def test_demo_workspace_holds_both_creditors_ledgers(demo_run: tuple[Path, Outcome]) -> None:
    home, _ = demo_run

    rows = succeeded(run_in_process(home, *AGEING_JSON)).json()

    assert {row["creditor"] for row in rows} == {"C001", "C002"}


# --- the simulated month ---------------------------------------------------------------------


def counted(line: str) -> tuple[Path, int]:
    """'<path> (<n> things...)' -> (path, n)."""
    path, rest = line.split(" (", 1)
    return Path(path), int(rest.split()[0])


def test_demo_month_leaves_real_emails_in_the_maildir_each_sent_once(demo_run: tuple[Path, Outcome]) -> None:
    home, outcome = demo_run
    maildir, count = counted(line_starting(outcome.stdout, "Emails:"))

    files = sorted((maildir / "new").glob("*.eml"))
    assert maildir == home.resolve() / "outbox" / "maildir"
    assert count == len(files) > 100
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    ids = [message["Message-ID"] for message in messages]
    assert len(set(ids)) == len(ids), "a message was delivered twice"
    senders = {str(message["From"]) for message in messages}
    assert senders == {
        "Eastbrook Textiles Ltd Credit Control <credit@c001.example>",
        "Albion Fabrications Limited Credit Control <credit@c002.example>",
    }
    assert all(message.get_body(preferencelist=("plain",)) is not None for message in messages)


def test_demo_month_prints_letters_as_pdfs_with_a_print_batch_per_day(demo_run: tuple[Path, Outcome]) -> None:
    _, outcome = demo_run
    letters, count = counted(line_starting(outcome.stdout, "Letters:"))

    pdfs = [path for path in letters.rglob("*.pdf") if not path.name.startswith("_print-batch-")]
    batches = sorted(letters.rglob("_print-batch-*.pdf"))
    assert count == len(pdfs) > 0
    assert batches and all(path.read_bytes().startswith(b"%PDF-") for path in [*pdfs[:5], *batches[:5]])
    # a day's batch holds exactly that day's letters
    day = batches[0].parent
    singles = [path for path in day.glob("*.pdf") if path not in batches]
    pages = sum(len(PdfReader(path).pages) for path in singles)
    assert len(PdfReader(batches[0]).pages) == pages


def test_demo_month_reports_cash_deals_and_dso_for_each_creditor(demo_run: tuple[Path, Outcome]) -> None:
    _, outcome = demo_run

    for creditor in ("C001", "C002"):
        month = outcome.stdout.split(f"The month for {creditor}")[1]
        assert "Actions planned by the daily cycle" in month
        assert re.search(r"cash collected through the bank: £[\d,]+\.\d\d matched", month)
        assert re.search(r"promises: \d+ made, \d+ kept, \d+ broken", month)
        assert re.search(
            r"DSO \(standard, three months\): [\d.]+ days before, [\d.]+ days after \([+-][\d.]+\)", month
        )
        assert re.search(r"Delivered: [^\n]*\b\d+ email sent", month)


def test_demo_month_writes_each_creditors_worklist(demo_run: tuple[Path, Outcome]) -> None:
    _, outcome = demo_run
    folder = Path(line_starting(outcome.stdout, "Worklists:").split(" (")[0])

    for creditor in ("C001", "C002"):
        month = outcome.stdout.split(f"The month for {creditor}")[1]
        counts = re.findall(
            r"Worklist on [\d-]+: (\d+) debtor\(s\) to call within the time budget, (\d+) over it, (\d+) on hold",
            month,
        )[0]
        within, over, held = map(int, counts)
        with (folder / f"{creditor}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == within + over + held
        assert [row["status"] for row in rows] == ["within budget"] * within + ["over budget"] * over + [
            "on hold"
        ] * held
        assert [row["rank"] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
        assert len({row["debtor"] for row in rows}) == len(rows), "one row per debtor"
        priorities = [Decimal(row["priority"]) for row in rows if row["status"] == "within budget"]
        assert priorities == sorted(priorities, reverse=True)


# --- replacing its own workspace, and only its own ---------------------------------------------


@pytest.mark.usefixtures("small_demo")
def test_demo_run_again_replaces_its_own_workspace(tmp_path: Path) -> None:
    home = tmp_path / "demo-workspace"
    succeeded(run_in_process(home, *DEMO))
    first = succeeded(run_in_process(home, *AGEING_JSON)).json()

    succeeded(run_in_process(home, *DEMO))

    assert succeeded(run_in_process(home, *AGEING_JSON)).json() == first


@pytest.mark.usefixtures("small_demo")
def test_demo_uses_an_existing_empty_folder(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    home.mkdir()

    succeeded(run_in_process(home, *DEMO))

    assert (home / "arrears.db").is_file()


@pytest.mark.usefixtures("small_demo")
def test_demo_refuses_to_wipe_a_folder_holding_files_it_did_not_make(tmp_path: Path) -> None:
    home = tmp_path / "demo-workspace"
    succeeded(run_in_process(home, *DEMO))
    (home / "notes.txt").write_text("mine\n")

    failed_with_one_line(run_in_process(home, *DEMO), "notes.txt", "--home")

    assert (home / "notes.txt").read_text() == "mine\n"


@pytest.mark.usefixtures("small_demo")
def test_demo_refuses_to_wipe_a_folder_of_someone_elses_files(tmp_path: Path) -> None:
    home = tmp_path / "documents"
    home.mkdir()
    (home / "letter.docx").write_text("not a ledger\n")

    failed_with_one_line(run_in_process(home, *DEMO), "letter.docx", "--home")

    assert (home / "letter.docx").is_file()


@pytest.mark.usefixtures("small_demo")
def test_demo_refuses_to_wipe_a_workspace_made_by_init(tmp_path: Path) -> None:
    home = tmp_path / "real-workspace"
    succeeded(run_in_process(home, "init"))
    succeeded(
        run_in_process(
            home,
            "sim",
            "--creditors",
            "1",
            "--debtors",
            "10",
            "--invoices",
            "50",
            "--seed",
            "5",
            "--as-of",
            AS_OF,
        )
    )
    before = succeeded(run_in_process(home, *AGEING_JSON)).json()

    failed_with_one_line(run_in_process(home, *DEMO), "not a demo workspace", "--home")

    assert succeeded(run_in_process(home, *AGEING_JSON)).json() == before


def test_demo_refuses_a_home_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("")

    failed_with_one_line(run_in_process(home, *DEMO), "not a folder")


def test_demo_with_an_impossible_as_of_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "demo-workspace"

    failed_with_one_line(run_in_process(home, "demo", "--as-of", "2026-02-31"), "'2026-02-31' is not a date")

    assert not home.exists()


def test_make_demo_runs_the_demo_in_the_folder_it_names(tmp_path: Path) -> None:
    """`make demo` is one of the two commands a newcomer runs: its recipe must be right."""
    repository = Path(__file__).resolve().parents[2]
    venv = Path(sys.prefix)
    if not (repository / "Makefile").is_file() or not (venv / ".installed").is_file():
        pytest.fail(
            "run the tests through `make test`, which installs the project and writes .venv/.installed"
        )
    home = tmp_path / "demo"
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(repository),
            "demo",
            f"VENV={venv}",
            f"DEMO_HOME={home}",
            # the recipe is what is checked here; the full size runs once, in `demo_run`
            "DEMO_ARGS=--debtors 40 --invoices 300",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"Workspace: {home}" in result.stdout
    assert (home / "arrears.db").is_file()
