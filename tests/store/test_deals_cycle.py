"""Deals feed the daily cycle: a pending promise or an open dispute holds the ladder, and a
broken promise lets it resume at the step the invoice's age calls for."""

from datetime import date, timedelta

from collections_builders import ACME, TUESDAY, add_ledger, cycle, invoice, new_uow
from deals_builders import dispute, ledger, now, promise
from sqlalchemy import Engine
from store_builders import money

from arrears.core.disputes import DisputeReason
from arrears.services.cycle import run_cycle
from arrears.services.promises import record_promise
from arrears.services.worklist import worklist
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 2, 1)  # due 2026-03-03


def test_promise_broken_after_grace_resumes_ladder(uow: SqlUnitOfWork) -> None:
    ledger(uow, invoices=[("D1", "INV-000101", ISSUED, "500.00")])
    promise(uow, "500.00", date(2026, 3, 16), made_on=date(2026, 3, 9), documents=["INV-000101"])

    held = run_cycle(uow, "ACME", date(2026, 3, 10), now=now)
    resumed = run_cycle(uow, "ACME", date(2026, 3, 20), now=now)

    assert held.actions == () and dict(held.skipped_by_reason) == {"held: promise to pay": 1}
    assert [(a.debtor, a.step) for a in resumed.actions] == [("D1", "second overdue reminder")]


def test_an_open_dispute_holds_the_invoice_from_the_cycle(uow: SqlUnitOfWork) -> None:
    ledger(uow, invoices=[("D1", "INV-000101", ISSUED, "500.00")])
    dispute(
        uow, "INV-000101", DisputeReason.GOODS_NOT_RECEIVED, raised_on=date(2026, 3, 9), raised_by="portal"
    )

    report = run_cycle(uow, "ACME", date(2026, 3, 10), now=now)

    assert report.actions == () and dict(report.skipped_by_reason) == {"held: dispute": 1}


def test_a_broken_promise_moves_the_debtor_up_the_worklist(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-D1", "D1", 31), invoice("INV-D2", "D2", 31)])
    record_promise(
        new_uow(engine),
        ACME,
        "D2",
        money("1000.00"),
        TUESDAY - timedelta(days=15),
        made_on=TUESDAY - timedelta(days=20),
        taken_by="Sam",
        now=now,
    )
    cycle(engine, TUESDAY)

    found = worklist(new_uow(engine), ACME, TUESDAY, now=now)

    assert [(item.debtor, item.broken_promises) for item in found.items] == [("D2", 1), ("D1", 0)]
