"""The worklist against the store: call tasks and follow-ups, in priority order, flagged above
an amount, cut to the monthly time budget with the debtors owing the most kept; each call once,
from its planned action until `send` makes its call task with the card, and worked by logging
the call against that task."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from collections_builders import ACME, TUESDAY, add_ledger, cycle, invoice, new_uow
from sqlalchemy import Engine

from arrears.comms.channels.call import CallDirection, CallLog, CallOutcome
from arrears.comms.config import CommsSettings
from arrears.comms.dispatcher import Channels, dispatch
from arrears.comms.outbox import enqueue_ready_actions
from arrears.comms.samples import sample_brand
from arrears.comms.service import send
from arrears.core.errors import NotFoundError
from arrears.core.holds import HoldReason
from arrears.core.money import Money
from arrears.core.policy import Channel
from arrears.services import collections_setup as setup
from arrears.services.worklist import TaskKind, log_call, priority, work_task, worklist
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

    (done,) = work_task(
        new_uow(engine), ACME, first.action.id, by="bob", note="promised Friday", now=lambda: NOON
    ).actions

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


# --- one path for call tasks: the comms call task, with its card ------------------------------


def _send_calls(engine: Engine, home: Path, creditor_code: str = ACME) -> None:
    """Give the creditor the sample brand, then queue its ready actions and deliver them, as
    `arrears send` does: the call's message becomes its call task, with the card."""
    with new_uow(engine) as uow:
        uow.brands.put(creditor_code, sample_brand(uow.creditors.get(creditor_code)), at=NOON)
        uow.commit()
    send(lambda: new_uow(engine), CommsSettings(), home, creditor=creditor_code, clock=lambda: NOON)


def test_a_planned_call_is_listed_once_before_and_after_its_call_task_is_made(
    engine: Engine, tmp_path: Path
) -> None:
    calls_for(engine, {"D1": ("500.00", 31), "D2": ("900.00", 40)})
    before = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    _send_calls(engine, tmp_path)
    after = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON)

    assert [(i.debtor, i.task) for i in before.items] == [("D2", None), ("D1", None)]
    assert [i.action.id for i in after.items] == [i.action.id for i in before.items]
    assert all(i.kind is TaskKind.CALL and i.task is not None for i in after.items)
    d2 = after.items[0]
    assert d2.task is not None and d2.task.action_key == d2.action.idempotency_key
    assert "calling from ACME Ltd about your account D2" in (d2.card or "")
    with new_uow(engine) as uow:
        assert len(uow.calls.tasks(ACME)) == 2


def test_working_a_call_logs_its_outcome_against_the_call_task(engine: Engine, tmp_path: Path) -> None:
    calls_for(engine, {"D1": ("500.00", 31)})
    _send_calls(engine, tmp_path)
    (item,) = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items

    worked = work_task(
        new_uow(engine),
        ACME,
        item.action.id,
        by="sam",
        note="will pay Friday",
        outcome=CallOutcome.PROMISE,
        promised_amount=Money.of("500.00", "GBP"),
        promised_on=TUESDAY + timedelta(days=3),
        now=lambda: NOON,
    )

    (done,) = worked.actions
    assert done.status is ActionState.SENT and done.worked_by == "sam"
    with new_uow(engine) as uow:
        assert uow.calls.tasks(ACME) == []
        (logged,) = uow.calls.logs(ACME, "D1")
    assert item.task is not None and logged.task_id == item.task.id
    assert logged.outcome is CallOutcome.PROMISE and logged.promised_amount == Money.of("500.00", "GBP")
    after = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON + timedelta(hours=1))
    assert after.items == () and after.used_minutes == 10


def test_a_call_logged_against_its_task_works_it_and_uses_the_budget(engine: Engine, tmp_path: Path) -> None:
    calls_for(engine, {"D1": ("500.00", 31)})
    _send_calls(engine, tmp_path)
    (item,) = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items
    assert item.task is not None

    worked = log_call(
        new_uow(engine),
        ACME,
        CallLog(ACME, "D1", CallDirection.OUTBOUND, CallOutcome.NO_ANSWER, NOON, task_id=item.task.id),
    )

    assert worked is not None and worked.id == item.action.id and worked.status is ActionState.SENT
    after = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON + timedelta(hours=1))
    assert after.items == () and after.used_minutes == 10


def test_a_call_worked_before_its_message_is_delivered_makes_no_task(engine: Engine, tmp_path: Path) -> None:
    calls_for(engine, {"D1": ("500.00", 31)})
    with new_uow(engine) as uow:
        uow.brands.put(ACME, sample_brand(uow.creditors.get(ACME)), at=NOON)
        uow.commit()
    enqueue_ready_actions(new_uow(engine), ACME, now=NOON, channels=(Channel.CALL,))  # queued, not delivered
    (item,) = worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items
    work_task(new_uow(engine), ACME, item.action.id, by="sam", now=lambda: NOON)

    report = dispatch(new_uow(engine), Channels(), clock=lambda: NOON)

    assert [o.outcome for o in report.outcomes] == ["suppressed"]
    assert "already worked by sam" in report.outcomes[0].detail
    with new_uow(engine) as uow:
        assert uow.calls.tasks(ACME, status=None) == []
        (logged,) = uow.calls.logs(ACME, "D1")
    assert logged.task_id is None and logged.outcome is CallOutcome.OTHER
    assert worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items == ()


def test_another_creditors_call_task_cannot_be_logged(engine: Engine, tmp_path: Path) -> None:
    calls_for(engine, {"D1": ("500.00", 31)})
    add_ledger(engine, [invoice("INV-B1", "D1", 31, "500.00", creditor_code="BETA")], creditor_code="BETA")
    cycle(engine, TUESDAY, creditor_code="BETA")
    _send_calls(engine, tmp_path, "BETA")
    with new_uow(engine) as uow:
        (beta_task,) = uow.calls.tasks("BETA")

    with pytest.raises(NotFoundError, match="creditor ACME has no call task"):
        log_call(
            new_uow(engine),
            ACME,
            CallLog(ACME, "D1", CallDirection.OUTBOUND, CallOutcome.PAID, NOON, task_id=beta_task.id),
        )
    assert [i.task for i in worklist(new_uow(engine), ACME, TUESDAY, now=lambda: NOON).items] == [None]
