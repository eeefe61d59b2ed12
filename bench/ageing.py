"""Ageing of 1,000,000 open invoices over 100,000 debtors (SQLite), against the floor.

- project: every creditor's ageing report through the project's own code (the store's
  push-down query per creditor, then `AgeingReport.from_bucket_totals`: a line per debtor and
  currency with Money amounts available, totals per currency);
- floor: the same ageing as ONE SQL `GROUP BY` (creditor, debtor, currency, bucket) run on
  the same database file with the bare sqlite3 driver, rows fetched into Python.

Each is run several times and the best time is kept. Prints both times, their ratio and the
process's peak memory, then one line `ratio=<x> peak_mb=<y>`.
Target: ratio within 3 and peak under 1 GB.

    python bench/ageing.py [--debtors N --invoices N --creditors N --repeat N]
"""

import argparse
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from arrears.core.ageing import DEFAULT_BUCKETS, AgeingReport
from arrears.services.ageing_report import ageing_reports
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork
from ledger_store import AS_OF, LedgerSize, ensure_ledger


def floor_query(path: Path) -> tuple[int, int]:
    """One GROUP BY over the whole ledger; returns (rows, total open minor units)."""
    thresholds = DEFAULT_BUCKETS.date_thresholds(AS_OF)
    case = " ".join(f"WHEN d.due_date >= '{t.isoformat()}' THEN {i}" for i, t in enumerate(thresholds))
    sql = f"""
        SELECT d.creditor_id, b.account_code, d.currency,
               CASE {case} ELSE {len(thresholds)} END AS bucket,
               SUM(CASE WHEN d.kind = 'invoice' THEN d.open_minor ELSE -d.open_minor END),
               COUNT(*)
        FROM documents d JOIN debtors b ON b.id = d.debtor_id
        WHERE d.status IN ('open', 'part_paid') AND d.open_minor > 0
        GROUP BY d.creditor_id, b.account_code, d.currency, bucket
    """
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(sql).fetchall()
    finally:
        connection.close()
    return len(rows), sum(row[4] for row in rows)


def project_ageing(url: str) -> tuple[int, int]:
    """Every creditor's ageing report through the service; returns (lines, total minor units)."""
    engine = make_engine(url)
    try:
        results = ageing_reports(SqlUnitOfWork(session_factory(engine)), AS_OF)
    finally:
        engine.dispose()
    reports: list[AgeingReport] = [item.report for item in results]
    lines = sum(len(report.lines) for report in reports)
    total = sum(report.total("GBP").to_minor_units() for report in reports if "GBP" in report.currencies)
    return lines, total


def best_of(repeat: int, run: Callable[[], tuple[int, int]]) -> tuple[float, tuple[int, int]]:
    best = float("inf")
    result = (0, 0)
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creditors", type=int, default=20)
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = LedgerSize(args.creditors, args.debtors, args.invoices)
    path = ensure_ledger(size)

    floor_seconds, (floor_rows, floor_total) = best_of(args.repeat, lambda: floor_query(path))
    project_seconds, (lines, project_total) = best_of(args.repeat, lambda: project_ageing(size.url))
    if project_total != floor_total:
        raise SystemExit(f"the ageing totals differ: project {project_total} vs floor {floor_total}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = project_seconds / floor_seconds

    print(
        f"ledger: {size.invoices:,} invoices, {size.debtors:,} debtors, {size.creditors} creditors ({path.name})"
    )
    print(f"floor (one SQL GROUP BY, {floor_rows:,} rows): {floor_seconds:.3f} s")
    print(f"project (ageing reports, {lines:,} debtor lines): {project_seconds:.3f} s")
    print(f"open total: {Decimal(project_total).scaleb(-2):,} GBP (equal in both)")
    print(f"ratio={ratio:.2f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
