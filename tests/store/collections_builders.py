"""Builders for the collections store tests: a small ledger in the store and cycles over it.

Dates follow the default UK ladder (friendly reminder 7 days before due, due today, 7 and 14
days overdue, a call at 30 (at least £250), formal demand 60, final notice 90, then with
approval a letter before action 104 and a referral 118) on England's calendar.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Engine
from store_builders import creditor, debtor, document, payment

from arrears.core.ledger import Allocation, DebtorFlag, Document
from arrears.core.money import Money
from arrears.services.cycle import CycleReport, run_cycle
from arrears.store.database import make_engine, session_factory
from arrears.store.repositories import StoredAction
from arrears.store.unit_of_work import SqlUnitOfWork

ACME = "ACME"
TUESDAY = date(2026, 3, 10)
SATURDAY = date(2026, 3, 14)
MONDAY = date(2026, 3, 16)


def new_uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engine))


def invoice(
    number: str,
    account: str,
    days_past_due: int,
    amount: str = "1000.00",
    *,
    as_of: date = TUESDAY,
    creditor_code: str = ACME,
) -> Document:
    """An open invoice `days_past_due` days past due on `as_of` (negative: not yet due)."""
    due = as_of - timedelta(days=days_past_due)
    return document(creditor_code, account, number, due - timedelta(days=30), due, amount)


def add_ledger(
    engine: Engine,
    invoices: Iterable[Document],
    *,
    creditor_code: str = ACME,
    flags: dict[str, frozenset[DebtorFlag]] | None = None,
    extra_debtors: Iterable[str] = (),
) -> None:
    """The creditor (if new), the debtors the invoices name and the invoices."""
    documents = list(invoices)
    accounts = sorted({d.debtor for d in documents} | set(extra_debtors))
    with new_uow(engine) as uow:
        if not any(existing.code == creditor_code for existing in uow.creditors.list_all()):
            uow.creditors.add(creditor(creditor_code))
        known = {existing.account_code for existing in uow.debtors.list_all(creditor_code)}
        uow.debtors.add(
            creditor_code,
            [
                debtor(creditor_code, code, flags=(flags or {}).get(code, frozenset()))
                for code in accounts
                if code not in known
            ],
        )
        uow.documents.add(creditor_code, documents)
        uow.commit()


def pay(
    engine: Engine, account: str, number: str, amount: str, on: date, *, reference: str | None = None
) -> None:
    """A payment from the debtor, allocated to one invoice."""
    ref = reference or f"PAY-{number}-{on.isoformat()}"
    with new_uow(engine) as uow:
        uow.payments.add(ACME, [payment(ACME, ref, on, amount, account)])
        uow.payments.allocate(ACME, [Allocation(ACME, number, Money.of(amount, "GBP"), on, payment=ref)])
        uow.commit()


def cycle(engine: Engine, day: date, *, creditor_code: str = ACME, dry_run: bool = False) -> CycleReport:
    return run_cycle(new_uow(engine), creditor_code, day, dry_run=dry_run)


def cycles(engine: Engine, start: date, days: int, *, creditor_code: str = ACME) -> list[CycleReport]:
    return [
        cycle(engine, start + timedelta(days=offset), creditor_code=creditor_code) for offset in range(days)
    ]


def stored_actions(
    engine: Engine, *, creditor_code: str = ACME, account: str | None = None
) -> list[StoredAction]:
    with new_uow(engine) as uow:
        return uow.actions.list_all(creditor_code, debtor=account)


def steps_of(actions: Iterable[StoredAction]) -> list[str]:
    return [action.step for action in actions]


def cycle_days_in_a_process(url: str, days: int) -> int:
    """Run ACME's cycle for `days` days from TUESDAY on the database at `url` (in a process of
    its own, for the concurrency tests); returns how many actions it recorded."""
    engine = make_engine(url)
    try:
        planned = 0
        for offset in range(days):
            report = run_cycle(SqlUnitOfWork(session_factory(engine)), ACME, TUESDAY + timedelta(days=offset))
            planned += len(report.actions)
        return planned
    finally:
        engine.dispose()
