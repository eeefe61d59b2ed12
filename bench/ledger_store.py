"""A large ledger in a SQLite file, shared by the benchmarks (built once, then reused).

1,000,000 open invoices over 100,000 debtors and 20 creditors, loaded through the store's own
bulk path. Built in a child process so that the measuring process's peak memory is its own.
The file is kept in bench/.work/ and rebuilt when the parameters in its name change.
"""

import multiprocessing
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from arrears.core.ledger import Creditor, Debtor
from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.repositories import DocumentRow
from arrears.store.unit_of_work import SqlUnitOfWork

WORK = Path(__file__).resolve().parent / ".work"
AS_OF = date(2026, 11, 23)


@dataclass(frozen=True, slots=True)
class LedgerSize:
    creditors: int = 20
    debtors: int = 100_000
    invoices: int = 1_000_000
    seed: int = 7

    @property
    def path(self) -> Path:
        return WORK / f"ledger-c{self.creditors}-d{self.debtors}-i{self.invoices}-s{self.seed}.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def creditor_codes(self) -> list[str]:
        return [f"B{index:03d}" for index in range(1, self.creditors + 1)]


def _debtor_code(index: int) -> str:
    return f"D{index:06d}"


def _documents(
    size: LedgerSize, creditor_index: int, first_debtor: int, debtors: int, invoices: int
) -> Iterator[DocumentRow]:
    """Open invoices (a tenth of them part-paid) with due dates up to 200 days either side of
    the as-of date, log-normal amounts; a few credit notes."""
    rng = random.Random(f"{size.seed}-{creditor_index}")
    for number in range(invoices):
        debtor = _debtor_code(first_debtor + rng.randrange(debtors))
        issue = AS_OF - timedelta(days=rng.randrange(0, 230))
        due = issue + timedelta(days=rng.choice((14, 30, 30, 30, 60)))
        amount = max(100, int(rng.lognormvariate(11.0, 1.0)))
        credit_note = rng.random() < 0.02
        open_minor = amount if credit_note or rng.random() < 0.9 else amount // 2
        yield DocumentRow(
            debtor=debtor,
            kind="credit_note" if credit_note else "invoice",
            number=f"{'CN' if credit_note else 'INV'}{number:07d}",
            issue_date=issue,
            due_date=due,
            currency="GBP",
            amount_minor=amount,
            open_minor=open_minor,
            status="open" if open_minor == amount else "part_paid",
        )


def _build(size: LedgerSize) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    partial = size.path.with_suffix(".building")
    for leftover in WORK.glob(partial.name + "*"):
        leftover.unlink()
    url = f"sqlite:///{partial}"
    engine = make_engine(url)
    upgrade(engine)
    uow = SqlUnitOfWork(session_factory(engine))
    per_creditor_debtors = size.debtors // size.creditors
    per_creditor_invoices = size.invoices // size.creditors
    for index, code in enumerate(size.creditor_codes()):
        first = index * per_creditor_debtors
        with uow:
            uow.creditors.add(Creditor(code=code, name=f"Bench creditor {code}"))
            uow.debtors.add(
                code,
                (
                    Debtor(creditor=code, account_code=_debtor_code(first + n), name=f"Debtor {first + n}")
                    for n in range(per_creditor_debtors)
                ),
            )
            uow.documents.add_rows(
                code, _documents(size, index, first, per_creditor_debtors, per_creditor_invoices)
            )
            uow.commit()
        print(f"  built creditor {code} ({index + 1}/{size.creditors})", file=sys.stderr, flush=True)
    engine.dispose()
    partial.rename(size.path)


def ensure_ledger(size: LedgerSize) -> Path:
    """The ledger file, built (in a child process) if it is not there yet."""
    if size.path.exists():
        return size.path
    print(f"building {size.path.name} (once; reused by later runs)...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_build, args=(size,))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the benchmark ledger failed (exit {child.exitcode})")
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return size.path
