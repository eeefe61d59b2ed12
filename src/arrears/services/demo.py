"""The main job on the embedded default: a fresh SQLite workspace, a simulated agency with two
creditors, a simulated month of their collections (`arrears.services.demo_month`), and their
ageing and metrics at the end of it.

The month is the last complete calendar month up to the demo's date (with `--as-of 2026-11-23`,
October 2026): the ledger is simulated up to the day before it starts, then each day of it runs
deals, bank payments, the cycle and delivery. A calendar month, so that DSO, which is measured at
month ends, is measured exactly before and after it.
"""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from arrears.core.errors import ArrearsError
from arrears.services.ageing_report import CreditorAgeing, ageing_reports
from arrears.services.demo_month import DemoMonth, replay_month
from arrears.services.ledger_metrics import CreditorMetrics, ledger_metrics
from arrears.services.simulate_ledger import SimulationReport, simulate_ledger
from arrears.services.workspace import init_workspace, open_store
from arrears.settings import DATABASE_FILE, WORKSPACE_FILE, Settings
from arrears.sim import SimulationParams

DEMO_CREDITORS = 2
DEMO_DEBTORS = 400
DEMO_INVOICES = 8_000
# Left in every demo workspace, so the demo only ever wipes a folder it made itself: a workspace
# made by `arrears init` holds the same arrears.db, with a ledger nobody wants deleted.
DEMO_MARKER = ".arrears-demo"
# What the demo writes into its workspace besides the database (see demo_month).
DEMO_FOLDERS = ("outbox", "letters", "bank", "worklist", "invoices")


@dataclass(frozen=True, slots=True)
class DemoResult:
    home: Path
    database_url: str
    simulation: SimulationReport
    month: DemoMonth
    ageing: list[CreditorAgeing]
    metrics: list[CreditorMetrics]


def demo_month(as_of: date) -> tuple[date, date]:
    """The last complete calendar month on or before `as_of`: (first day, last day)."""
    following = as_of + timedelta(days=1)
    end = as_of if following.day == 1 else as_of.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def demo_params(
    as_of: date, seed: int = 7, *, debtors: int | None = None, invoices: int | None = None
) -> SimulationParams:
    """The simulated ledger: issued up to the demo month's last day, paid up to the day before it
    starts (the month's payments are the replay's)."""
    start, end = demo_month(as_of)
    return SimulationParams(
        creditors=DEMO_CREDITORS,
        debtors=DEMO_DEBTORS if debtors is None else debtors,
        invoices=DEMO_INVOICES if invoices is None else invoices,
        seed=seed,
        as_of=end,
        settled_until=start - timedelta(days=1),
    )


def run_demo(
    home: Path,
    params: SimulationParams,
    *,
    progress: Callable[[int], None] | None = None,
    on_day: Callable[[str, date], None] | None = None,
) -> DemoResult:
    """Recreate the demo workspace at `home` (always SQLite: the demo needs no server), simulate
    the ledger into it, replay the days after `params.settled_until` up to `params.as_of` (see
    `demo_params`), and report ageing and metrics as of the last day."""
    _reset(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("made by `arrears demo`; the next demo may delete this folder\n")
    settings = Settings(home=home, database_url=None)
    workspace = init_workspace(settings)
    store = open_store(settings)
    try:
        simulation = simulate_ledger(store.unit_of_work, params, progress=progress)
        end = params.as_of
        start = (
            end.replace(day=1) if params.settled_until is None else params.settled_until + timedelta(days=1)
        )
        month = replay_month(
            store.unit_of_work,
            home,
            list(simulation.creditors),
            start,
            end,
            seed=params.seed,
            on_day=on_day,
            later_payments=simulation.later_payments,
        )
        ageing = ageing_reports(store.unit_of_work(), end)
        metrics = [ledger_metrics(store.unit_of_work(), code, end) for code in simulation.creditors]
    finally:
        store.dispose()
    return DemoResult(workspace.home, workspace.database_url, simulation, month, ageing, metrics)


def _reset(home: Path) -> None:
    """Empty the demo workspace, refusing to delete a folder that is not one: anything but an
    empty folder or one with the demo's marker and only the files the demo makes."""
    if not home.exists():
        return
    if not home.is_dir():
        raise ArrearsError(f"{home} is a file, not a folder: choose another folder with --home")
    names = sorted(p.name for p in home.iterdir())
    if not names:
        return
    if DEMO_MARKER not in names:
        raise ArrearsError(
            f"{home} is not a demo workspace (it holds {', '.join(names[:3])}) and the demo will not "
            "delete it: choose another folder with --home"
        )
    known = {DEMO_MARKER, DATABASE_FILE, WORKSPACE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"}
    known.update(DEMO_FOLDERS)
    strangers = [name for name in names if name not in known]
    if strangers:
        raise ArrearsError(
            f"{home} holds files the demo did not make ({', '.join(strangers[:3])}); "
            "choose another folder with --home"
        )
    shutil.rmtree(home)
