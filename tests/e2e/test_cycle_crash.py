"""A cycle killed between planning and sending loses nothing and duplicates nothing.

`arrears cycle` runs as a real process; `ARREARS_CYCLE_CRASH_AT` makes it exit on the spot
(`os._exit`, as a kill would: no clean-up, no rollback by Python) after planning, after storing
the actions but before the commit, or after the commit. Then the cycle runs again, normally,
and the store must hold exactly the actions one clean cycle plans, each once. On SQLite and,
with ARREARS_TEST_POSTGRES_URL, on PostgreSQL.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from cli_support import AS_OF, CONSOLE_SCRIPT, FOREIGN_VARIABLES, SIM, run_in_process, succeeded

from arrears.services.cycle import CRASH_EXIT_CODE, CRASH_VARIABLE, run_cycle
from arrears.settings import Settings
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

CYCLE = ("cycle", "--creditor", "C001", "--as-of", AS_OF)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A simulated workspace on SQLite, or on a PostgreSQL schema of its own."""
    workspace = tmp_path / "workspace"
    if request.param == "sqlite":
        succeeded(run_in_process(workspace, "init"))
    else:
        url = request.getfixturevalue("postgres_url")
        succeeded(run_in_process(workspace, "init", "--database-url", url))
    succeeded(run_in_process(workspace, *SIM))
    yield workspace


def run_arrears(home: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name not in FOREIGN_VARIABLES}
    environment.pop(CRASH_VARIABLE, None)
    if crash_at is not None:
        environment[CRASH_VARIABLE] = crash_at
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=home.parent,
        check=False,
    )


@contextmanager
def unit_of_work(home: Path) -> Iterator[SqlUnitOfWork]:
    engine = make_engine(Settings(home=home, database_url=None).resolved_database_url())
    try:
        yield SqlUnitOfWork(session_factory(engine))
    finally:
        engine.dispose()


def clean_plan(home: Path) -> set[tuple[str, str, tuple[str, ...], str]]:
    """What one clean cycle would record: a dry run, which writes nothing."""
    with unit_of_work(home) as uow:
        report = run_cycle(uow, "C001", date.fromisoformat(AS_OF), dry_run=True)
    return {(a.debtor, a.step, a.documents, a.idempotency_key) for a in report.actions}


def recorded(home: Path) -> tuple[list[tuple[str, str, tuple[str, ...], str]], int]:
    """Every action the store holds for C001, and how many cycle runs it recorded."""
    with unit_of_work(home) as opened, opened as uow:
        actions = [(a.debtor, a.step, a.documents, a.idempotency_key) for a in uow.actions.list_all("C001")]
        runs = len(uow.cycle_runs.list_all("C001"))
    return actions, runs


@pytest.mark.parametrize("point", ["planned", "stored"])
def test_a_cycle_killed_before_its_commit_leaves_nothing_and_the_rerun_records_each_action_once(
    home: Path, point: str
) -> None:
    expected = clean_plan(home)
    assert expected

    killed = run_arrears(home, *CYCLE, crash_at=point)

    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    assert recorded(home) == ([], 0)
    rerun = run_arrears(home, *CYCLE)
    assert rerun.returncode == 0, rerun.stderr
    actions, runs = recorded(home)
    assert set(actions) == expected and len(actions) == len(expected) and runs == 1


def test_a_cycle_killed_after_its_commit_is_kept_and_the_rerun_adds_nothing(home: Path) -> None:
    expected = clean_plan(home)

    killed = run_arrears(home, *CYCLE, crash_at="committed")

    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    actions, _ = recorded(home)
    assert set(actions) == expected and len(actions) == len(expected)
    rerun = run_arrears(home, *CYCLE, "--format", "json")
    assert rerun.returncode == 0, rerun.stderr
    assert '"planned": 0' in rerun.stdout
    assert recorded(home)[0] == actions
