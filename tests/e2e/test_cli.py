"""The `arrears` command line, end to end: init → sim → ageing → metrics on a real workspace.

The journeys go through the installed console script; the many smaller cases through Typer's
runner on the same app. Every simulation has an explicit `--as-of`, so no test depends on today.
"""

import json
import re
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import (
    AS_OF,
    CONSOLE_SCRIPT,
    DEFAULT_LABELS,
    SIM,
    failed_with_one_line,
    money,
    run_console_script,
    run_in_process,
    succeeded,
)

AGEING_JSON = ("ageing", "--debtors", "--format", "json", "--as-of", AS_OF)
METRICS_JSON = ("metrics", "--format", "json", "--as-of", AS_OF)
FIGURES = ("dso", "dso_countback", "best_possible_dso", "add", "cei_percent")


def simulated_workspace(home: Path) -> Path:
    succeeded(run_in_process(home, "init"))
    succeeded(run_in_process(home, *SIM))
    return home


def ageing_rows(home: Path, *options: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = succeeded(
        run_in_process(home, "ageing", "--format", "json", "--as-of", AS_OF, *options)
    ).json()
    return rows


def totals(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """The TOTAL line of each (creditor, currency)."""
    return {(row["creditor"], row["currency"]): row for row in rows if row["debtor"] == "TOTAL"}


def buckets_of(row: dict[str, str]) -> dict[str, str]:
    return {
        key: value for key, value in row.items() if key not in ("creditor", "debtor", "currency", "total")
    }


# --- the journey through the console script ----------------------------------------------------


def test_console_script_runs_init_sim_ageing_and_metrics(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.is_file(), f"no console script at {CONSOLE_SCRIPT}: pip install -e ."
    home = tmp_path / "workspace"

    init = succeeded(run_console_script(home, "init"))
    sim = succeeded(run_console_script(home, *SIM))
    ageing = succeeded(run_console_script(home, "ageing", "--as-of", AS_OF))
    metrics = succeeded(run_console_script(home, "metrics", "--as-of", AS_OF))

    assert f"workspace: {home}" in init.stdout
    assert "simulated 2 creditors (C001, C002), 60 debtors, 800 invoices" in sim.stdout
    for creditor in ("(C001)", "(C002)"):
        assert f"{creditor} — ageing as of {AS_OF} by due-date" in ageing.stdout
    assert all(label in ageing.stdout for label in DEFAULT_LABELS)
    assert "DSO" in metrics.stdout and "CEI %" in metrics.stdout
    assert "C001" in metrics.stdout and "C002" in metrics.stdout


def test_same_seed_and_as_of_give_byte_identical_ageing_csv_in_two_fresh_workspaces(tmp_path: Path) -> None:
    # Separate processes, so set ordering that depends on string hashing would show.
    outputs = []
    for name in ("first", "second"):
        home = tmp_path / name
        succeeded(run_console_script(home, "init"))
        succeeded(run_console_script(home, *SIM))
        outputs.append(
            succeeded(
                run_console_script(home, "ageing", "--debtors", "--format", "csv", "--as-of", AS_OF)
            ).stdout
        )

    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") > 20


# --- init ----------------------------------------------------------------------------------------


def test_init_creates_the_workspace_folder_and_its_sqlite_file(tmp_path: Path) -> None:
    home = tmp_path / "new" / "workspace"

    outcome = succeeded(run_in_process(home, "init"))

    assert (home / "arrears.db").is_file()
    assert f"workspace: {home.resolve()}" in outcome.stdout
    assert f"sqlite:///{home.resolve() / 'arrears.db'}" in outcome.stdout
    with sqlite3.connect(home / "arrears.db") as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert f"(schema {revision})" in outcome.stdout


def test_init_twice_is_safe_and_keeps_the_ledger(tmp_path: Path) -> None:
    home = simulated_workspace(tmp_path / "workspace")
    before = ageing_rows(home, "--debtors")

    succeeded(run_in_process(home, "init"))

    assert ageing_rows(home, "--debtors") == before


def test_db_upgrade_on_a_current_workspace_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))

    outcome = succeeded(run_in_process(home, "db", "upgrade"))

    assert "is at schema revision" in outcome.stdout


def test_init_with_an_invalid_database_url_records_nothing(tmp_path: Path) -> None:
    home = tmp_path / "workspace"

    failed_with_one_line(run_in_process(home, "init", "--database-url", "nonsense"), "'nonsense'")

    assert not (home / "workspace.json").exists()
    succeeded(run_in_process(home, "init"))  # so a plain init afterwards gets SQLite
    assert (home / "arrears.db").is_file()


def test_init_with_an_unreachable_database_says_so_on_one_line(tmp_path: Path) -> None:
    # Port 1 refuses at once; the driver's own message spans lines with a hint on the second.
    url = "postgresql+psycopg://nobody@127.0.0.1:1/arrears"

    failed_with_one_line(
        run_in_process(tmp_path / "workspace", "init", "--database-url", url),
        "cannot reach the database postgresql+psycopg://nobody@127.0.0.1:1/arrears",
    )


# --- before init -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("ageing", "--as-of", AS_OF), id="ageing"),
        pytest.param(("metrics", "--as-of", AS_OF), id="metrics"),
        pytest.param(SIM, id="sim"),
    ],
)
def test_a_command_before_init_says_to_run_arrears_init(tmp_path: Path, command: tuple[str, ...]) -> None:
    home = tmp_path / "no-workspace-yet"

    failed_with_one_line(run_in_process(home, *command), "run `arrears init`", str(home))

    assert not home.exists()


# --- sim -----------------------------------------------------------------------------------------

SIM_LINE = re.compile(
    r"simulated (?P<creditors>\d+) creditors \((?P<codes>[^)]*)\), (?P<debtors>\d+) debtors, "
    r"(?P<invoices>\d+) invoices, (?P<credit_notes>\d+) credit notes, (?P<payments>\d+) payments "
    r"as of (?P<as_of>\S+)"
)


def test_sim_writes_the_counts_it_reports(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))

    said = SIM_LINE.search(succeeded(run_in_process(home, *SIM)).stdout)

    assert said is not None
    assert said["codes"] == "C001, C002" and said["as_of"] == AS_OF
    with sqlite3.connect(f"file:{home / 'arrears.db'}?mode=ro", uri=True) as connection:

        def count(sql: str) -> int:
            return int(connection.execute(sql).fetchone()[0])

        assert count("SELECT count(*) FROM creditors") == int(said["creditors"]) == 2
        assert count("SELECT count(*) FROM debtors") == int(said["debtors"]) == 60
        assert count("SELECT count(*) FROM documents WHERE kind = 'invoice'") == int(said["invoices"]) == 800
        assert count("SELECT count(*) FROM documents WHERE kind = 'credit_note'") == int(said["credit_notes"])
        assert count("SELECT count(*) FROM payments") == int(said["payments"])


def test_sim_open_amounts_equal_the_ageing_totals_per_currency(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    sim = succeeded(run_in_process(home, *SIM))

    said: dict[str, Decimal] = {}
    for amount, currency in re.findall(r"^open: (\S+) ([A-Z]{3})$", sim.stdout, re.MULTILINE):
        said[currency] = Decimal(amount.replace(",", ""))
    aged: dict[str, Decimal] = defaultdict(Decimal)
    for (_, currency), row in totals(ageing_rows(home)).items():
        aged[currency] += money(row["total"])

    assert said and said == aged


def test_sim_twice_into_one_workspace_is_a_clear_duplicate_error_and_writes_nothing(tmp_path: Path) -> None:
    home = simulated_workspace(tmp_path / "workspace")
    before = ageing_rows(home, "--debtors")

    failed_with_one_line(
        run_in_process(home, *SIM), "creditor(s) C001, C002 already exist", "fresh workspace"
    )

    assert ageing_rows(home, "--debtors") == before


def test_sim_with_an_impossible_as_of_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))

    failed_with_one_line(
        run_in_process(
            home, "sim", "--creditors", "1", "--debtors", "5", "--invoices", "20", "--as-of", "2026-02-31"
        ),
        "'2026-02-31' is not a date",
    )


# --- ageing --------------------------------------------------------------------------------------


def test_ageing_json_amounts_are_decimal_strings_and_debtor_lines_add_up_to_the_total_line(
    simulated_home: Path,
) -> None:
    rows = ageing_rows(simulated_home, "--debtors")

    summed: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        assert list(row) == ["creditor", "debtor", "currency", *DEFAULT_LABELS, "total"]
        amounts = {label: money(row[label]) for label in [*DEFAULT_LABELS, "total"]}
        assert sum(amounts[label] for label in DEFAULT_LABELS) == amounts["total"]
        if row["debtor"] != "TOTAL":
            for label, amount in amounts.items():
                summed[row["creditor"], row["currency"]][label] += amount

    total_lines = totals(rows)
    assert {creditor for creditor, _ in total_lines} == {"C001", "C002"}
    assert summed.keys() == total_lines.keys()
    for key, line in total_lines.items():
        assert {label: money(value) for label, value in line.items() if label in summed[key]} == summed[key]


def test_ageing_without_debtors_gives_only_the_total_lines(simulated_home: Path) -> None:
    with_debtors = ageing_rows(simulated_home, "--debtors")
    debtor_lines = [row for row in with_debtors if row["debtor"] != "TOTAL"]

    rows = ageing_rows(simulated_home)

    assert rows == [row for row in with_debtors if row["debtor"] == "TOTAL"]
    assert len({(row["creditor"], row["debtor"], row["currency"]) for row in debtor_lines}) == len(
        debtor_lines
    )
    assert 0 < len({row["debtor"] for row in debtor_lines}) <= 60


def test_ageing_csv_has_the_same_figures_as_json(simulated_home: Path) -> None:
    outcome = succeeded(
        run_in_process(simulated_home, "ageing", "--debtors", "--format", "csv", "--as-of", AS_OF)
    )

    assert outcome.stdout.splitlines()[0] == ",".join(
        ["creditor", "debtor", "currency", *DEFAULT_LABELS, "total"]
    )
    assert outcome.csv_rows() == ageing_rows(simulated_home, "--debtors")


def test_ageing_table_shows_each_creditor_with_buckets_totals_and_shares(simulated_home: Path) -> None:
    outcome = succeeded(run_in_process(simulated_home, "ageing", "--as-of", AS_OF))

    for creditor in ("C001", "C002"):
        assert f"({creditor}) — ageing as of {AS_OF} by due-date" in outcome.stdout
    assert all(label in outcome.stdout for label in DEFAULT_LABELS)
    assert "share" in outcome.stdout and "100%" in outcome.stdout
    assert "£" in outcome.stdout  # amounts formatted for a person, in the creditor's locale


def test_ageing_by_invoice_date_moves_amounts_between_buckets_but_not_the_totals(
    simulated_home: Path,
) -> None:
    by_due_date = totals(ageing_rows(simulated_home))
    by_invoice_date = totals(ageing_rows(simulated_home, "--by", "invoice-date"))

    assert by_invoice_date.keys() == by_due_date.keys()
    for key, line in by_due_date.items():
        assert by_invoice_date[key]["total"] == line["total"]
    assert [buckets_of(line) for line in by_invoice_date.values()] != [
        buckets_of(line) for line in by_due_date.values()
    ]
    table = succeeded(run_in_process(simulated_home, "ageing", "--by", "invoice-date", "--as-of", AS_OF))
    assert f"ageing as of {AS_OF} by invoice-date" in table.stdout


def test_ageing_with_custom_buckets_labels_them_from_the_edges(simulated_home: Path) -> None:
    rows = ageing_rows(simulated_home, "--buckets", "0,15,45")

    assert list(rows[0]) == ["creditor", "debtor", "currency", "current", "1-15", "16-45", "45+", "total"]
    assert {key: row["total"] for key, row in totals(rows).items()} == {
        key: row["total"] for key, row in totals(ageing_rows(simulated_home)).items()
    }


def test_ageing_with_buckets_that_do_not_increase_is_a_clear_error(simulated_home: Path) -> None:
    failed_with_one_line(
        run_in_process(simulated_home, "ageing", "--buckets", "30,10", "--as-of", AS_OF), "must increase"
    )


def test_ageing_of_one_creditor_is_its_part_of_the_whole(simulated_home: Path) -> None:
    everyone = ageing_rows(simulated_home, "--debtors")

    one = ageing_rows(simulated_home, "--debtors", "--creditor", "C002")

    assert one == [row for row in everyone if row["creditor"] == "C002"]
    assert one


def test_ageing_of_an_empty_workspace_is_empty(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))

    assert ageing_rows(home) == []


@pytest.mark.parametrize("command", ["ageing", "metrics"])
def test_an_unknown_creditor_is_one_line_and_exit_status_1(simulated_home: Path, command: str) -> None:
    failed_with_one_line(
        run_in_process(simulated_home, command, "--creditor", "NOPE", "--as-of", AS_OF), "'NOPE'"
    )


@pytest.mark.parametrize("command", ["ageing", "metrics"])
def test_an_impossible_as_of_date_is_a_clear_error(simulated_home: Path, command: str) -> None:
    failed_with_one_line(
        run_in_process(simulated_home, command, "--as-of", "2026-02-31"),
        "'2026-02-31' is not a date",
        "YYYY-MM-DD",
    )


def test_an_unknown_format_is_a_usage_error_not_a_traceback(simulated_home: Path) -> None:
    outcome = run_in_process(simulated_home, "ageing", "--format", "xml", "--as-of", AS_OF)

    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.stderr
    assert "--format" in outcome.stderr


def test_errors_stay_on_one_line_however_long_the_path(tmp_path: Path) -> None:
    home = tmp_path / ("a-folder-with-a-long-name-" * 4) / "workspace"

    failed_with_one_line(run_in_process(home, "ageing", "--as-of", AS_OF), str(home))


# --- metrics -------------------------------------------------------------------------------------


def test_metrics_json_figures_are_decimal_strings_or_null_and_add_is_dso_less_best_dso(
    simulated_home: Path,
) -> None:
    rows = succeeded(run_in_process(simulated_home, *METRICS_JSON)).json()

    assert {row["creditor"] for row in rows} == {"C001", "C002"}
    compared = 0
    for row in rows:
        assert (row["period_start"], row["period_end"]) == ("2026-01-01", AS_OF)  # three whole months
        figures = {name: row[name] for name in FIGURES}
        for name, value in figures.items():
            assert value is None or re.fullmatch(r"-?\d+\.\d", value), (name, value)
        if None not in (figures["dso"], figures["best_possible_dso"], figures["add"]):
            assert Decimal(figures["add"]) == Decimal(figures["dso"]) - Decimal(figures["best_possible_dso"])
            compared += 1
    assert compared > 0


def test_metrics_receivables_are_what_the_ageing_shows_open_at_the_period_end(simulated_home: Path) -> None:
    aged = {key: money(row["total"]) for key, row in totals(ageing_rows(simulated_home)).items()}

    rows = succeeded(run_in_process(simulated_home, *METRICS_JSON)).json()

    for row in rows:
        key = (row["creditor"], row["currency"])
        assert money(row["receivables"]) == aged.get(key, Decimal("0.00"))
    assert aged.keys() <= {(row["creditor"], row["currency"]) for row in rows}


def test_metrics_for_one_creditor_in_csv(simulated_home: Path) -> None:
    outcome = succeeded(
        run_in_process(simulated_home, "metrics", "--creditor", "C001", "--format", "csv", "--as-of", AS_OF)
    )
    rows = outcome.csv_rows()

    assert rows and {row["creditor"] for row in rows} == {"C001"}
    assert list(rows[0])[-5:] == list(FIGURES)


def test_metrics_table_shows_each_figure(simulated_home: Path) -> None:
    outcome = succeeded(run_in_process(simulated_home, "metrics", "--as-of", AS_OF))

    for heading in ("DSO", "countback DSO", "best DSO", "ADD", "CEI %", "2026-01-01 – 2026-03-31"):
        assert heading in outcome.stdout


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_postgres_workspace_gives_the_same_figures_as_sqlite(tmp_path: Path, postgres_url: str) -> None:
    on_postgres = tmp_path / "on-postgres"

    init = succeeded(run_console_script(on_postgres, "init", "--database-url", postgres_url))
    succeeded(run_console_script(on_postgres, *SIM))  # later commands find the URL init recorded
    postgres_ageing = succeeded(run_console_script(on_postgres, *AGEING_JSON)).json()
    postgres_metrics = succeeded(run_console_script(on_postgres, *METRICS_JSON)).json()

    assert "database:  postgresql+psycopg://" in init.stdout
    assert json.loads((on_postgres / "workspace.json").read_text())["database_url"] == postgres_url
    assert not (on_postgres / "arrears.db").exists()
    on_sqlite = simulated_workspace(tmp_path / "on-sqlite")
    assert postgres_ageing == succeeded(run_in_process(on_sqlite, *AGEING_JSON)).json()
    assert postgres_metrics == succeeded(run_in_process(on_sqlite, *METRICS_JSON)).json()


def test_sim_checks_every_creditor_before_writing_any(tmp_path: Path) -> None:
    """C001 and C002 exist; a 3-creditor sim collides on them and must not write C003 either."""
    home = tmp_path / "workspace"
    succeeded(run_in_process(home, "init"))
    succeeded(
        run_in_process(
            home, "sim", "--creditors", "2", "--debtors", "10", "--invoices", "50", "--as-of", "2026-06-30"
        )
    )
    failed_with_one_line(
        run_in_process(
            home, "sim", "--creditors", "3", "--debtors", "15", "--invoices", "60", "--as-of", "2026-06-30"
        ),
        "C001, C002 already exist",
    )
    assert {row["creditor"] for row in ageing_rows(home)} == {"C001", "C002"}
