"""Two cycles for the same creditor at the same time, on SQLite and PostgreSQL: the second waits
for the first, and nothing is ever recorded twice."""

import multiprocessing
import threading

from collections_builders import (
    ACME,
    TUESDAY,
    add_ledger,
    cycle_days_in_a_process,
    invoice,
    new_uow,
    stored_actions,
)
from sqlalchemy import Engine

from arrears.services.cycle import CycleReport, run_cycle

LEDGER = [invoice(f"INV-{n}", f"D{n % 7}", 3 * n - 10, f"{300 + n}.00") for n in range(40)]


def test_two_cycles_at_once_in_two_threads_record_each_action_once(engine: Engine) -> None:
    add_ledger(engine, LEDGER)
    reports: list[CycleReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(run_cycle(new_uow(engine), ACME, TUESDAY))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(reports) == 2
    planned = sorted(len(report.actions) for report in reports)
    assert planned[0] == 0 and planned[1] > 0  # the second saw what the first recorded
    actions = stored_actions(engine)
    assert len(actions) == planned[1]
    assert len({action.idempotency_key for action in actions}) == len(actions)


def test_a_cycle_waits_while_another_unit_of_work_holds_the_creditor(engine: Engine) -> None:
    add_ledger(engine, LEDGER)
    finished: list[CycleReport] = []
    holder = new_uow(engine)
    with holder:
        holder.creditors.lock(ACME)
        waiting = threading.Thread(target=lambda: finished.append(run_cycle(new_uow(engine), ACME, TUESDAY)))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive() and finished == []  # it cannot go on while the lock is held
        holder.commit()
    waiting.join(timeout=60)
    assert len(finished) == 1 and finished[0].actions


def test_cycles_in_two_processes_over_the_same_days_record_each_action_once(
    engine: Engine, database_url: str
) -> None:
    add_ledger(engine, LEDGER)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        counts = pool.starmap(cycle_days_in_a_process, [(database_url, 10), (database_url, 10)])

    actions = stored_actions(engine)
    assert sum(counts) == len(actions) > 0
    assert len({action.idempotency_key for action in actions}) == len(actions)
    seen = {(a.debtor, a.step, a.documents, a.episode) for a in actions}
    assert len(seen) == len(actions)
