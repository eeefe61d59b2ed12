"""The worklist against the store: call tasks and follow-ups, in priority order, flagged above
an amount, cut to the monthly time budget with the debtors owing the most kept."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from collections_builders import ACME, TUESDAY, add_ledger, cycle, invoice, new_uow
from sqlalchemy import Engine

from arrears.core.holds import HoldReason
from arrears.services import collections_setup as setup
from arrears.services.worklist import TaskKind, priority, work_task, worklist
from arrears.store.repositories import ActionState

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def calls_for(engine: Engine, amounts: dict[str, tuple[str, int]]) -> None:
    """One invoice per debtor, due the phone call (30 days or more past due) on TUESDAY."""
    add_ledger(engine, [invoice(f"INV-{d}", d, days, amount) for d, (amount, days) in amounts.items()])
    cycle(engine, TUESDAY)


def test_call_tasks_come_most_urgent_first(engine: Engine) -> None:
    calls_for(engine, {"D1": ("500.00", 31), "D2": ("20000.00", 35), "D3": ("500.00", 45)})

    found = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    assert [item.debtor for item in found.items] == ["D2", "D3", "D1"]
    assert all(item.kind is TaskKind.CALL and item.action.step == "phone call" for item in found.items)
    d2 = found.items[0]
    assert (d2.amount_at_risk.amount, d2.days_overdue, d2.step_position) == (Decimal("20000.00"), 35, 4)
    assert d2.priority == priority(Decimal("20000.00"), 35, 0, 4)
    assert found.remaining_minutes is None and found.over_budget == ()


def test_accounts_at_risk_above_the_flag_amount_come_first(engine: Engine) -> None:
    calls_for(engine, {"D1": ("3000.00", 59), "D2": ("6000.00", 31)})
    setup.set_budget(new_uow(engine), ACME, flag_above="5000")

    found = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    assert [(item.debtor, item.flagged) for item in found.items] == [("D2", True), ("D1", False)]
    assert found.items[1].priority > found.items[0].priority  # D1 scores higher, D2 is flagged


def test_a_broken_promise_raises_the_priority(engine: Engine) -> None:
    calls_for(engine, {"D1": ("1000.00", 31), "D2": ("1000.00", 31)})
    setup.add_hold(
        new_uow(engine),
        ACME,
        "D2",
        HoldReason.PROMISE_TO_PAY,
        starts_on=TUESDAY - timedelta(days=20),
        ends_on=TUESDAY - timedelta(days=10),
        by="ann",
    )

    found = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    assert [(item.debtor, item.broken_promises) for item in found.items] == [("D2", 1), ("D1", 0)]


def test_the_time_budget_keeps_the_debtors_owing_the_most(engine: Engine) -> None:
    calls_for(engine, {"D1": ("900.00", 59), "D2": ("5000.00", 31), "D3": ("3000.00", 31)})
    setup.set_budget(new_uow(engine), ACME, monthly_hours=Decimal("0.5"), minutes_per_call=15)

    found = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    assert [item.debtor for item in found.items] == ["D2", "D3"]  # two 15-minute calls fit in 30
    assert [item.debtor for item in found.over_budget] == ["D1"]
    assert (found.used_minutes, found.remaining_minutes, found.minutes) == (0, 30, 30)


def test_work_done_this_month_uses_the_budget_and_leaves_the_list(engine: Engine) -> None:
    calls_for(engine, {"D1": ("900.00", 59), "D2": ("5000.00", 31), "D3": ("3000.00", 31)})
    setup.set_budget(new_uow(engine), ACME, monthly_hours=Decimal("0.5"), minutes_per_call=15)
    first = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items[0]

    done = work_task(
        new_uow(engine), ACME, first.action.id, by="bob", note="promised Friday", now=lambda: NOON
    )

    assert (done.status, done.worked_by, done.work_note) == (ActionState.SENT, "bob", "promised Friday")
    after = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON + timedelta(hours=1))
    assert (after.used_minutes, after.remaining_minutes) == (15, 15)
    assert [item.debtor for item in after.items] == ["D3"]
    next_month = worklist(
        new_uow(engine), ACME, TUESDAY + timedelta(days=30), now=lambda: NOON + timedelta(days=30)
    )
    assert next_month.used_minutes == 0


def test_a_failed_delivery_is_a_follow_up(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    cycle(engine, TUESDAY)
    with new_uow(engine) as uow:
        (action,) = uow.actions.ready_for_delivery(ACME)
        uow.actions.mark_failed(ACME, action.idempotency_key, NOON, "bounced: mailbox full")
        uow.commit()

    (item,) = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items

    assert item.kind is TaskKind.FOLLOW_UP and item.action.failure == "bounced: mailbox full"
