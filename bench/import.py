"""Import a 1,000,000-row ledger file (the generic layout) into a fresh SQLite store.

Prints the import's rows per second, peak memory and CPU time, the time our reading and checking
of the file takes on its own, and, as the floor, the time Polars takes merely to parse the same
file (best of three);
ends with `ratio=<import / Polars parse> peak_mb=<peak of the importing process> rows_per_s=<rows/s>`.

The file (1,000,000 invoices and credit notes over 100,000 debtors, about 110 MB) is written
once into bench/.work/ and reused. The import runs in a child process, so its peak memory is
its own; Polars runs in this one, after it. Timings include everything the service does:
reading, checking, comparing with the (empty) ledger, writing debtors and documents, recording.
"""

import multiprocessing
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
ROWS = 1_000_000
DEBTORS = 100_000
SEED = 11
AS_OF = date(2026, 11, 23)
HEADER = "DebtorCode,DebtorName,Email,Type,Number,IssueDate,DueDate,Currency,Amount,OpenAmount,PONumber\n"


def ledger_file() -> Path:
    """The benchmark's ledger file, written once (the same seed gives the same file)."""
    path = WORK / f"import-ledger-r{ROWS}-d{DEBTORS}-s{SEED}.csv"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"writing {path.name} (once; reused by later runs)...", file=sys.stderr, flush=True)
    rng = random.Random(SEED)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for number in range(ROWS):
            debtor = rng.randrange(DEBTORS)
            issued = AS_OF - timedelta(days=rng.randrange(400))
            due = issued + timedelta(days=rng.choice((14, 30, 30, 30, 60)))
            amount = max(100, int(rng.lognormvariate(11.0, 1.0)))
            credit_note = rng.random() < 0.02
            open_amount = amount if credit_note or rng.random() < 0.9 else amount // 2
            kind, prefix = ("Credit note", "CN") if credit_note else ("Invoice", "INV")
            handle.write(
                f"D{debtor:06d},Debtor {debtor} Ltd,ap{debtor}@example.com,{kind},{prefix}{number:07d},"
                f"{issued:%d/%m/%Y},{due:%d/%m/%Y},GBP,{amount / 100:.2f},{open_amount / 100:.2f},\n"
            )
    partial.rename(path)
    return path


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _import(path: Path, results: "multiprocessing.Queue[tuple[float, float, int, str, float]]") -> None:
    from arrears.core.ledger import Creditor
    from arrears.services.import_ledger import import_ledger
    from arrears.store.database import make_engine, session_factory, upgrade
    from arrears.store.unit_of_work import SqlUnitOfWork

    with tempfile.TemporaryDirectory(dir=WORK) as folder:
        engine = make_engine(f"sqlite:///{folder}/import.db")
        upgrade(engine)
        uow = SqlUnitOfWork(session_factory(engine))
        with uow:
            uow.creditors.add(Creditor(code="BENCH", name="Bench creditor"))
            uow.commit()
        started, cpu = time.perf_counter(), _cpu_seconds()
        report = import_ledger(uow, "BENCH", path, who="bench", profile="generic")
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        engine.dispose()
    results.put((elapsed, _peak_mb(), report.summary.added, report.status, cpu))


def _read_only(path: Path, results: "multiprocessing.Queue[tuple[float, int]]") -> None:
    from arrears.intake.ledger_import import read_ledger

    started = time.perf_counter()
    parsed = read_ledger(path, profile="generic", default_currency="GBP")
    results.put((time.perf_counter() - started, parsed.document_count()))


def _child(target, path: Path):  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=target, args=(path, results))
    child.start()
    result = results.get()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the benchmark's child process failed (exit {child.exitcode})")
    return result


def main() -> None:
    path = ledger_file()
    size_mb = path.stat().st_size / (1024 * 1024)
    print(f"file: {path.name}, {ROWS:,} rows, {size_mb:.0f} MB")

    elapsed, peak_mb, added, status, cpu = _child(_import, path)
    print(
        f"import into SQLite: {elapsed:.2f} s ({status}, {added:,} added), {ROWS / elapsed:,.0f} rows/s, "
        f"peak {peak_mb:.0f} MB, {cpu:.1f} s of CPU (all threads; on a busy machine the steadier figure)"
    )

    read_elapsed, documents = _child(_read_only, path)
    print(
        f"  of which reading and checking the file alone takes {read_elapsed:.2f} s ({documents:,} documents)"
    )

    import polars

    floors = []
    for _ in range(3):
        started = time.perf_counter()
        frame = polars.read_csv(path)
        floors.append(time.perf_counter() - started)
    floor = min(floors)
    print(f"Polars parse of the same file (the floor, best of 3): {floor:.2f} s ({frame.height:,} rows)")
    ratio = elapsed / floor
    print(f"import / parse: {ratio:.1f}x (target: within 4x; peak target: under 1,536 MB)")
    print(f"ratio={ratio:.1f} peak_mb={peak_mb:.0f} rows_per_s={ROWS / elapsed:.0f}")


if __name__ == "__main__":
    main()
