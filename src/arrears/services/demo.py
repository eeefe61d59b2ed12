"""The main job on the embedded default: a fresh SQLite workspace, a simulated agency with two
creditors, their ageing and their metrics."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from arrears.core.errors import ArrearsError
from arrears.services.ageing_report import CreditorAgeing, ageing_reports
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


@dataclass(frozen=True, slots=True)
class DemoResult:
    home: Path
    database_url: str
    simulation: SimulationReport
    ageing: list[CreditorAgeing]
    metrics: list[CreditorMetrics]


def demo_params(as_of: date, seed: int = 7) -> SimulationParams:
    return SimulationParams(
        creditors=DEMO_CREDITORS, debtors=DEMO_DEBTORS, invoices=DEMO_INVOICES, seed=seed, as_of=as_of
    )


def run_demo(
    home: Path, params: SimulationParams, *, progress: Callable[[int], None] | None = None
) -> DemoResult:
    """Recreate the demo workspace at `home` (always SQLite: the demo needs no server), simulate
    the ledger into it and report ageing and metrics as of the simulation's date."""
    _reset(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("made by `arrears demo`; the next demo may delete this folder\n")
    settings = Settings(home=home, database_url=None)
    workspace = init_workspace(settings)
    store = open_store(settings)
    try:
        simulation = simulate_ledger(store.unit_of_work, params, progress=progress)
        ageing = ageing_reports(store.unit_of_work(), params.as_of)
        metrics = [ledger_metrics(store.unit_of_work(), code, params.as_of) for code in simulation.creditors]
    finally:
        store.dispose()
    return DemoResult(workspace.home, workspace.database_url, simulation, ageing, metrics)


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
    strangers = [name for name in names if name not in known]
    if strangers:
        raise ArrearsError(
            f"{home} holds files the demo did not make ({', '.join(strangers[:3])}); "
            "choose another folder with --home"
        )
    shutil.rmtree(home)
