"""A full collections cycle over 1,000,000 open invoices of 100,000 debtors and 20 creditors,
against the floor.

- project: `arrears.services.cycle.cycle_creditors` for one as-of date: for each creditor, in
  a unit of work of its own, take the creditor lock, load the planner's snapshot (debtors, open
  documents, last payments), the history, holds and policy, plan, and store the cycle run, the
  actions and the skips; every creditor starts with no history (a first cycle, the heaviest);
- floor: ONE SQL query that reads the same open invoices with the same columns (debtor account
  code, kind, number, issue and due dates, currency, amounts, status) on the same database
  with the bare driver, every row fetched into Python (as bench/ageing.py's floor does).

The cycle writes, so each project run works on a fresh copy of the benchmark ledger
(bench/ledger_store.py, built once) brought up to the current schema; copying is not timed.
The floor is the best of `--repeat` runs, and so is the project. Prints both times, the ratio,
actions planned per second and the process's peak memory, then one line
`ratio=<x> peak_mb=<y> actions_per_s=<z>`. Target: within 5x of the floor, under 1.5 GB.

With `--postgres URL` (or ARREARS_BENCH_POSTGRES_URL), the same ledger is loaded once into a
schema of that database (kept for later runs) and the same two figures are printed for
PostgreSQL before the summary line (which stays the SQLite one).

    python bench/cycle.py [--debtors N --invoices N --creditors N --repeat N] [--postgres URL]
"""

import argparse
import os
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from arrears.core.ledger import Creditor, Debtor
from arrears.services.cycle import CycleReport, cycle_creditors
from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.unit_of_work import SqlUnitOfWork
from ledger_store import AS_OF, WORK, LedgerSize, _debtor_code, _documents, ensure_ledger

FLOOR_SQL = """
    SELECT b.account_code, d.kind, d.number, d.issue_date, d.due_date, d.currency,
           d.amount_minor, d.open_minor, d.status
    FROM documents d JOIN debtors b ON b.id = d.debtor_id
    WHERE d.status IN ('open', 'part_paid') AND d.open_minor > 0 AND d.issue_date <= {as_of}
"""
COLLECTION_TABLES = ("collection_skips", "collection_actions", "cycle_runs", "collection_policies")


def sqlite_floor(path: Path) -> int:
    """The open invoices, read in one query; returns how many rows."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(FLOOR_SQL.format(as_of="?"), (AS_OF.isoformat(),)).fetchall()
    finally:
        connection.close()
    return len(rows)


def fresh_copy(path: Path) -> str:
    """A copy of the ledger at the current schema, for one cycle run to write into."""
    copy = WORK / "cycle-run.db"
    for leftover in WORK.glob("cycle-run.db*"):
        leftover.unlink()
    shutil.copyfile(path, copy)
    url = f"sqlite:///{copy}"
    upgrade(url)
    return url


def project_cycle(url: str) -> list[CycleReport]:
    engine = make_engine(url)
    try:
        return cycle_creditors(lambda: SqlUnitOfWork(session_factory(engine)), AS_OF, run_by="bench")
    finally:
        engine.dispose()


def best(times: list[float]) -> float:
    return min(times)


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_schema_url(base_url: str, size: LedgerSize) -> str:
    """The URL of a schema holding the benchmark ledger, loaded (by the store's COPY path) if
    it is not there yet."""
    schema = f"arrears_bench_c{size.creditors}_d{size.debtors}_i{size.invoices}_s{size.seed}"
    admin = make_engine(base_url)
    try:
        with admin.begin() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema}
            ).first()
            complete = (
                exists
                and connection.execute(
                    text(f"SELECT to_regclass('\"{schema}\".bench_complete') IS NOT NULL")
                ).scalar()
            )
            if exists and not complete:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            if not complete:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    if not complete:
        print(f"loading the benchmark ledger into PostgreSQL schema {schema} (once)...", file=sys.stderr)
        upgrade(rendered)
        engine = make_engine(rendered)
        uow = SqlUnitOfWork(session_factory(engine))
        per_debtors = size.debtors // size.creditors
        per_invoices = size.invoices // size.creditors
        for index, code in enumerate(size.creditor_codes()):
            first = index * per_debtors
            with uow:
                uow.creditors.add(Creditor(code=code, name=f"Bench creditor {code}"))
                uow.debtors.add(
                    code,
                    (
                        Debtor(
                            creditor=code, account_code=_debtor_code(first + n), name=f"Debtor {first + n}"
                        )
                        for n in range(per_debtors)
                    ),
                )
                uow.documents.add_rows(code, _documents(size, index, first, per_debtors, per_invoices))
                uow.commit()
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
            connection.execute(text("CREATE TABLE bench_complete (done integer)"))
        engine.dispose()
    upgrade(rendered)
    return rendered


def postgres_reset(url: str) -> None:
    """Empty the collection tables, as a fresh copy of the SQLite ledger has them: TRUNCATE,
    not DELETE, so that no dead rows of an earlier run are left for the next one to wade
    through (the benchmark's own schema: the tables that refer to them are empty too)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(COLLECTION_TABLES)} CASCADE"))
    finally:
        engine.dispose()


def postgres_floor(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            with driver.cursor() as cursor:
                cursor.execute(FLOOR_SQL.format(as_of="%s"), (AS_OF,))
                return len(cursor.fetchall())
    finally:
        engine.dispose()


def run_postgres(base_url: str, size: LedgerSize, repeat: int) -> None:
    url = postgres_schema_url(base_url, size)
    floor_times, project_times, actions, rows = [], [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = postgres_floor(url)
        floor_times.append(time.perf_counter() - started)
        postgres_reset(url)
        started = time.perf_counter()
        reports = project_cycle(url)
        project_times.append(time.perf_counter() - started)
        actions = sum(len(report.actions) for report in reports)
    floor, project = best(floor_times), best(project_times)
    print(f"postgres floor (one SQL query, {rows:,} open documents): {floor:.3f} s")
    print(f"postgres project (full cycle, {actions:,} actions planned and stored): {project:.3f} s")
    print(f"postgres ratio {project / floor:.2f}, {actions / project:,.0f} actions/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--creditors", type=int, default=20)
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("ARREARS_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    size = LedgerSize(args.creditors, args.debtors, args.invoices)
    path = ensure_ledger(size)

    floor_times, project_times = [], []
    rows, actions, waiting, skipped = 0, 0, 0, 0
    for _ in range(args.repeat):
        url = fresh_copy(path)
        started = time.perf_counter()
        reports = project_cycle(url)
        project_times.append(time.perf_counter() - started)
        actions = sum(len(report.actions) for report in reports)
        waiting = sum(len(report.awaiting_approval) for report in reports)
        skipped = sum(report.skipped for report in reports)
        del reports  # the counts are kept, not 100,000 actions alive during the next run
        started = time.perf_counter()
        rows = sqlite_floor(path)
        floor_times.append(time.perf_counter() - started)
    floor, project = best(floor_times), best(project_times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = project / floor
    per_second = actions / project

    print(
        f"ledger: {size.invoices:,} invoices, {size.debtors:,} debtors, {size.creditors} creditors ({path.name}), "
        f"as of {AS_OF.isoformat()}"
    )
    print(f"floor (one SQL query, {rows:,} open documents): {floor:.3f} s")
    print(
        f"project (full cycle: {actions:,} actions planned and stored, {waiting:,} awaiting approval, "
        f"{skipped:,} skips): {project:.3f} s"
    )
    if args.postgres:
        run_postgres(args.postgres, size, args.repeat)
    print(f"ratio={ratio:.2f} peak_mb={peak_mb:.0f} actions_per_s={per_second:.0f}")


if __name__ == "__main__":
    main()
