"""The worklist per debtor: one item with all of a debtor's open tasks, worked with one call that
closes them all; tasks whose documents were settled since are closed with the reason on the
timeline, once; debtors on hold are listed apart and not counted against the time budget,
which counts one call per debtor."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from collections_builders import ACME, TUESDAY, add_ledger, cycle, invoice, new_uow, pay
from sqlalchemy import Engine
from store_builders import money

from arrears.comms.channels.call import CallDirection, CallLog, CallOutcome, CallTaskStatus
from arrears.comms.config import CommsSettings
from arrears.comms.message import EventKind
from arrears.comms.samples import sample_brand
from arrears.comms.service import send
from arrears.core.errors import NotFoundError
from arrears.core.holds import HoldReason
from arrears.core.policy import Channel
from arrears.services import collections_setup as setup
from arrears.services.promises import record_promise
from arrears.services.worklist import TaskKind, log_call, priority, work_debtor, work_task, worklist
from arrears.store.repositories import ActionState

NOON = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
DAY = TUESDAY + timedelta(days=7)  # D1's second invoice reaches the phone call


def at_noon() -> datetime:
    return NOON


def two_calls_for_d1(engine: Engine) -> None:
    """D1: the phone call on INV-1 (planned TUESDAY) and, a week later, on INV-2; D2: one call
    on INV-3. Cycles every day in between, as the daily run does."""
    add_ledger(
        engine,
        [
            invoice("INV-1", "D1", 31, "900.00"),
            invoice("INV-2", "D1", 27, "400.00"),
            invoice("INV-3", "D2", 31, "500.00"),
        ],
    )
    for offset in range(8):
        cycle(engine, TUESDAY + timedelta(days=offset))


def deliver_calls(engine: Engine, home: Path) -> None:
    """Queue and deliver the ready actions (as `arrears send`): each call gets its call task."""
    with new_uow(engine) as uow:
        uow.brands.put(ACME, sample_brand(uow.creditors.get(ACME)), at=NOON)
        uow.commit()
    send(lambda: new_uow(engine), CommsSettings(), home, creditor=ACME, clock=at_noon)


def call_actions(engine: Engine, debtor: str) -> list[int]:
    with new_uow(engine) as uow:
        return [a.id for a in uow.actions.list_all(ACME, debtor=debtor) if a.step == "phone call"]


def test_several_call_tasks_of_one_debtor_make_one_item_carrying_them_all(
    engine: Engine, tmp_path: Path
) -> None:
    two_calls_for_d1(engine)
    deliver_calls(engine, tmp_path)

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon)

    assert [item.debtor for item in found.items] == ["D1", "D2"]
    d1 = found.items[0]
    # its two calls, the calls first, and the reminder on INV-2 that could not be emailed
    assert [task.kind for task in d1.tasks] == [TaskKind.CALL, TaskKind.CALL, TaskKind.FOLLOW_UP]
    assert sorted(d1.action_ids[:2]) == call_actions(engine, "D1") and len(call_actions(engine, "D1")) == 2
    assert "has no email address" in (d1.tasks[2].action.failure or "")
    assert len({task.id for task in d1.call_tasks}) == 2
    assert set(d1.documents) == {"INV-1", "INV-2"} and d1.kind is TaskKind.CALL
    assert d1.task is d1.tasks[0].call and d1.card is not None
    assert d1.amount_at_risk.amount == Decimal("1300.00") and d1.days_overdue == 38
    assert d1.priority == priority(Decimal("1300.00"), 38, 0, 4)


def test_the_budget_counts_one_call_per_debtor(engine: Engine) -> None:
    two_calls_for_d1(engine)
    setup.set_budget(new_uow(engine), ACME, monthly_hours=Decimal("0.5"), minutes_per_call=30)

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon)

    # one 30-minute call fits: D1, owing the most, keeps both its tasks in it
    assert [(item.debtor, len(item.tasks)) for item in found.items] == [("D1", 2)]
    assert [item.debtor for item in found.over_budget] == ["D2"]
    assert (found.remaining_minutes, found.minutes) == (30, 30)


def test_working_any_task_logs_one_call_and_closes_all_the_debtors_call_tasks(
    engine: Engine, tmp_path: Path
) -> None:
    two_calls_for_d1(engine)
    deliver_calls(engine, tmp_path)
    d1 = worklist(new_uow(engine), ACME, DAY, now=at_noon).items[0]
    later = d1.tasks[-1]

    worked = work_task(
        new_uow(engine),
        ACME,
        later.action.id,
        by="sam",
        note="will pay Friday",
        outcome=CallOutcome.PROMISE,
        promised_amount=money("1300.00"),
        promised_on=DAY + timedelta(days=3),
        now=at_noon,
    )

    assert worked.debtor == "D1" and sorted(a.id for a in worked.actions) == sorted(d1.action_ids)
    assert worked.actions[0].id == later.action.id  # the task named leads
    assert all(a.worked_at == NOON for a in worked.actions)  # one moment: one call for the budget
    assert [a.status for a in worked.actions if a.channel is Channel.CALL] == [ActionState.SENT] * 2
    assert [a.status for a in worked.actions if a.channel is not Channel.CALL] == [ActionState.FAILED]
    assert all("worked together with action" in (a.work_note or "") for a in worked.actions)
    with new_uow(engine) as uow:
        open_calls = uow.calls.tasks(ACME)
        logs = uow.calls.logs(ACME, "D1")
        timeline = [e for e in uow.outbox.timeline(ACME, "D1") if e.kind is EventKind.CALL_LOGGED]
    assert [task.debtor for task in open_calls] == ["D2"]
    assert sorted(log.task_id for log in logs if log.task_id) == sorted(t.id for t in d1.call_tasks)
    assert len(logs) == 2  # one per call task; the follow-up has none of its own
    assert all(log.outcome is CallOutcome.PROMISE for log in logs)
    assert "worked together with call task" in logs[1].note
    (entry,) = timeline  # the debtor was called once
    assert "promise of £1,300.00" in entry.detail and "one call for actions" in entry.detail
    after = worklist(new_uow(engine), ACME, DAY, now=lambda: NOON + timedelta(hours=1))
    assert [item.debtor for item in after.items] == ["D2"] and after.used_minutes == 10


def test_a_call_logged_against_any_call_task_works_the_whole_debtor(engine: Engine, tmp_path: Path) -> None:
    two_calls_for_d1(engine)
    deliver_calls(engine, tmp_path)
    d1 = worklist(new_uow(engine), ACME, DAY, now=at_noon).items[0]
    second = d1.tasks[1]
    assert second.call is not None

    worked = log_call(
        new_uow(engine),
        ACME,
        CallLog(ACME, "D1", CallDirection.OUTBOUND, CallOutcome.NO_ANSWER, NOON, task_id=second.call.id),
    )

    assert worked is not None and worked.id == second.action.id and worked.status is ActionState.SENT
    with new_uow(engine) as uow:
        assert [task.debtor for task in uow.calls.tasks(ACME)] == ["D2"]
        assert len(uow.calls.logs(ACME, "D1")) == 2
        assert all(uow.actions.get(ACME, action_id).worked_at == NOON for action_id in d1.action_ids)
    after = worklist(new_uow(engine), ACME, DAY, now=lambda: NOON + timedelta(hours=1))
    assert [item.debtor for item in after.items] == ["D2"] and after.used_minutes == 10


def test_working_a_debtor_by_its_code_and_refusals(engine: Engine) -> None:
    two_calls_for_d1(engine)
    add_ledger(engine, [invoice("INV-B1", "D1", 31, "500.00", creditor_code="BETA")], creditor_code="BETA")
    cycle(engine, TUESDAY, creditor_code="BETA")
    with new_uow(engine) as uow:
        (beta_action,) = uow.actions.list_all("BETA")

    with pytest.raises(NotFoundError, match="creditor ACME has no action"):
        work_task(new_uow(engine), ACME, beta_action.id, by="sam", now=at_noon)
    worked = work_debtor(new_uow(engine), ACME, "D2", by="sam", outcome=CallOutcome.NO_ANSWER, now=at_noon)

    assert [a.debtor for a in worked.actions] == ["D2"] and worked.calls[0].task_id is None
    with pytest.raises(NotFoundError, match="debtor D2 has no open task"):
        work_debtor(new_uow(engine), ACME, "D2", by="sam", now=at_noon)
    with new_uow(engine) as uow:
        assert uow.actions.get("BETA", beta_action.id).worked_at is None  # the other tenant's untouched


def test_a_task_whose_documents_were_paid_since_is_closed_with_the_reason_once(
    engine: Engine, tmp_path: Path
) -> None:
    two_calls_for_d1(engine)
    deliver_calls(engine, tmp_path)
    pay(engine, "D2", "INV-3", "500.00", DAY)
    pay(engine, "D1", "INV-1", "400.00", DAY)  # part paid: still open, D1 stays

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon)

    assert [item.debtor for item in found.items] == ["D1"]
    (closed,) = found.closed
    assert closed.debtor == "D2" and closed.closed_at == NOON
    assert "INV-3 paid, credited or written off since it was planned on 2026-03-10" in closed.reason
    with new_uow(engine) as uow:
        action = uow.actions.get(ACME, closed.task.action.id)
        assert closed.task.call is not None
        task = uow.calls.get_task(ACME, closed.task.call.id)
        events = [e for e in uow.outbox.timeline(ACME, "D2") if e.kind is EventKind.SUPPRESSED]
    assert (action.status, action.worked_by, action.work_note) == (
        ActionState.SKIPPED,
        "arrears",
        closed.reason,
    )
    assert task.status is CallTaskStatus.DONE
    (event,) = events
    assert event.occurred_at == NOON and closed.reason in event.detail
    again = worklist(new_uow(engine), ACME, DAY, now=lambda: NOON + timedelta(hours=1))
    assert again.closed == () and [item.debtor for item in again.items] == ["D1"]
    assert again.used_minutes == 0  # closing is not working: the budget is untouched
    with new_uow(engine) as uow:
        assert len([e for e in uow.outbox.timeline(ACME, "D2") if e.kind is EventKind.SUPPRESSED]) == 1


def test_a_pure_read_leaves_settled_tasks_alone(engine: Engine) -> None:
    two_calls_for_d1(engine)
    pay(engine, "D2", "INV-3", "500.00", DAY)

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon, close_settled_tasks=False)

    assert found.closed == () and [item.debtor for item in found.items] == ["D1", "D2"]


def test_a_debtor_on_hold_is_listed_apart_and_not_counted(engine: Engine) -> None:
    two_calls_for_d1(engine)
    setup.set_budget(new_uow(engine), ACME, monthly_hours=Decimal("0.5"), minutes_per_call=30)
    record_promise(
        new_uow(engine),
        ACME,
        "D1",
        money("1300.00"),
        DAY + timedelta(days=5),
        made_on=DAY,
        taken_by="Sam",
        confirm=False,
        now=at_noon,
    )

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon)

    # D1 owes the most, but is held: D2 gets the one call the budget allows
    assert [item.debtor for item in found.items] == ["D2"] and found.over_budget == ()
    (held,) = found.on_hold
    assert held.debtor == "D1" and held.on_hold and len(held.tasks) == 2
    assert held.hold is not None and held.hold.startswith("on hold: promise P-")
    assert "on the whole account until" in held.hold
    assert found.minutes == 30


def test_a_hold_on_some_of_the_debtors_documents_is_shown_but_does_not_hold_it(engine: Engine) -> None:
    two_calls_for_d1(engine)
    setup.add_hold(new_uow(engine), ACME, "D1", HoldReason.DISPUTE, documents=["INV-2"], by="ann")

    found = worklist(new_uow(engine), ACME, DAY, now=at_noon)

    d1 = next(item for item in found.items if item.debtor == "D1")
    assert not d1.on_hold and d1.hold is None and d1.holds == ("dispute on INV-2",)
    assert found.on_hold == ()
