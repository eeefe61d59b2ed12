"""Working the worklist: one call to a debtor does all its open tasks.

A controller calls a debtor once, whatever the number of its open tasks (a phone call step
and a reminder on another invoice, a failed letter to follow up). So working any of a
debtor's tasks (`work_task`, `arrears worklist done ID`), the debtor itself (`work_debtor`,
`arrears worklist done --debtor`) or logging a call against any of its call tasks (`log_call`,
`arrears call log --task N`) works them all together, in one transaction:

- the call is logged once on the debtor's timeline, with its outcome; each open call task of
  the debtor gets its own call log with the same outcome (closing it), the others noting that
  they were "worked together with call task N in one call";
- every task's action is worked at the same moment: a call becomes `sent`, a follow-up stays
  `failed`, followed up; with more than one, each action's note says which others it was
  worked with. Sharing that moment is what makes the time budget count the call once
  (`ActionRepository.calls_worked_between`).

Follow-ups alone, worked without an outcome, log no call (as a follow-up always did).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from arrears.comms.channels.call import CallDirection, CallLog, CallOutcome
from arrears.core.errors import NotFoundError
from arrears.core.money import Money
from arrears.services.worklist_tasks import (
    OpenTask,
    TaskKind,
    lead_first,
    open_tasks,
    step_positions,
    task_of,
)
from arrears.store.repositories import ActionState, StoredAction
from arrears.store.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WorkedDebtor:
    """What working a debtor did: its tasks' `actions`, worked (the lead first), the `calls`
    logged (one per call task, or one without a task; none for follow-ups worked without a
    call) and the call tasks they closed."""

    debtor: str
    actions: tuple[StoredAction, ...]
    calls: tuple[CallLog, ...]

    @property
    def call_tasks(self) -> tuple[int, ...]:
        return tuple(call.task_id for call in self.calls if call.task_id is not None)


def work_task(
    uow: UnitOfWork,
    creditor: str,
    action_id: int,
    *,
    by: str,
    note: str = "",
    outcome: CallOutcome | None = None,
    promised_amount: Money | None = None,
    promised_on: date | None = None,
    now: Callable[[], datetime] = _now,
) -> WorkedDebtor:
    """A controller worked the debtor of action `action_id` (any of its open tasks): all its
    open tasks are done together (see the module docstring), with the outcome given (`other`
    when none is, for a call). An action that is not an open task (already worked, or never on
    the worklist) is refused with the reason."""
    with uow:
        uow.creditors.lock(creditor)
        action = uow.actions.get(creditor, action_id)
        tasks = open_tasks(uow, creditor, debtor=action.debtor)
        if all(task.action.id != action_id for task in tasks):
            tasks = [task_of(action)]  # marking it worked refuses it, saying why
        ordered = lead_first(tasks, step_positions(uow, creditor), first=action_id)
        worked = _work(uow, creditor, ordered, by, note, outcome, promised_amount, promised_on, now())
        uow.commit()
    return worked


def work_debtor(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    *,
    by: str,
    note: str = "",
    outcome: CallOutcome | None = None,
    promised_amount: Money | None = None,
    promised_on: date | None = None,
    now: Callable[[], datetime] = _now,
) -> WorkedDebtor:
    """A controller worked `debtor`: all its open tasks are done together, as `work_task`."""
    with uow:
        uow.creditors.lock(creditor)
        tasks = open_tasks(uow, creditor, debtor=debtor)
        if not tasks:
            uow.debtors.get(creditor, debtor)  # an unknown debtor says so
            raise NotFoundError(f"debtor {debtor} has no open task on creditor {creditor}'s worklist")
        ordered = lead_first(tasks, step_positions(uow, creditor))
        worked = _work(uow, creditor, ordered, by, note, outcome, promised_amount, promised_on, now())
        uow.commit()
    return worked


def log_call(uow: UnitOfWork, creditor: str, call: CallLog) -> StoredAction | None:
    """Log a call made or received (`arrears call log`). Logged against a call task (any of the
    debtor's), it works all the debtor's open tasks together, as `work_task` does; returns the
    named task's action, worked (None: it had none, or it was not open)."""
    with uow:
        uow.creditors.lock(creditor)
        if call.task_id is None:
            uow.calls.log(creditor, call)
            uow.commit()
            return None
        named = uow.calls.get_task(creditor, call.task_id)
        if named.debtor != call.debtor:
            raise NotFoundError(f"call task {call.task_id} is not for debtor {call.debtor}")
        try:
            action: StoredAction | None = uow.actions.get_by_key(creditor, named.action_key)
        except NotFoundError:
            action = None
        tasks = open_tasks(uow, creditor, debtor=call.debtor)
        ready = (ActionState.PLANNED, ActionState.APPROVED)
        if (
            action is not None
            and action.worked_at is None
            and action.status in ready
            and all(task.action.id != action.id for task in tasks)
        ):
            tasks.append(task_of(action, named))  # its task was closed, its action not worked
        first = None if action is None else action.id
        ordered = lead_first(tasks, step_positions(uow, creditor), first=first)
        worked = _log_and_work(
            uow,
            creditor,
            call.debtor,
            ordered,
            call,
            by=call.controller or "",
            note=call.note,
            at=call.logged_at,
        )
        uow.commit()
    return next((done for done in worked.actions if action is not None and done.id == action.id), None)


def _work(
    uow: UnitOfWork,
    creditor: str,
    tasks: Sequence[OpenTask],
    by: str,
    note: str,
    outcome: CallOutcome | None,
    promised_amount: Money | None,
    promised_on: date | None,
    at: datetime,
) -> WorkedDebtor:
    """Work `tasks` (one debtor's, the lead first): a call is logged if any of them is a call
    or an outcome is given, against the first call task there is."""
    call = None
    if outcome is not None or any(task.kind is TaskKind.CALL for task in tasks):
        lead_task = next((task.call.id for task in tasks if task.call is not None), None)
        call = CallLog(
            creditor=creditor,
            debtor=tasks[0].debtor,
            direction=CallDirection.OUTBOUND,
            outcome=outcome or CallOutcome.OTHER,
            logged_at=at,
            note=note,
            controller=by,
            task_id=lead_task,
            promised_amount=promised_amount,
            promised_on=promised_on,
        )
    return _log_and_work(uow, creditor, tasks[0].debtor, tasks, call, by=by, note=note, at=at)


def _log_and_work(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    tasks: Sequence[OpenTask],
    call: CallLog | None,
    *,
    by: str,
    note: str,
    at: datetime,
) -> WorkedDebtor:
    """Log `call` (None: follow-ups worked without one) once for all `tasks` of `debtor`, then
    work each task's action at the same moment `at` (see the module docstring)."""
    logs: list[CallLog] = []
    if call is not None:
        others = [t.call.id for t in tasks if t.call is not None and t.call.id != call.task_id]
        lead = call
        if len(tasks) > 1:
            lead = replace(call, note=_joined(call.note, f"one call for {_actions(tasks)}"))
        companion_note = _joined(f"worked together with call task {call.task_id} in one call", call.note)
        logs = [lead, *(replace(call, task_id=task_id, note=companion_note) for task_id in others)]
        uow.calls.log_together(creditor, logs, timeline=lead.describe())
    worked = tuple(
        uow.actions.mark_worked(
            creditor, task.action.id, by=by, note=_work_note(task, tasks, note, call), at=at
        )
        for task in tasks
    )
    return WorkedDebtor(debtor, worked, tuple(logs))


def _work_note(task: OpenTask, tasks: Sequence[OpenTask], note: str, call: CallLog | None) -> str:
    """The action's work note: the controller's note; with other tasks worked at the same
    time, the outcome and which they were."""
    if len(tasks) == 1:
        return note
    others = [other for other in tasks if other is not task]
    if call is None:
        return _joined(f"followed up together with {_actions(others)}", note)
    outcome = call.outcome.value.replace("_", " ")
    return _joined(f"{outcome}: worked together with {_actions(others)} in one call", note)


def _actions(tasks: Sequence[OpenTask]) -> str:
    """'action 4', 'actions 4, 7 and 9'."""
    ids = [str(task.action.id) for task in tasks]
    if len(ids) == 1:
        return f"action {ids[0]}"
    return f"actions {', '.join(ids[:-1])} and {ids[-1]}"


def _joined(first: str, second: str) -> str:
    return f"{first}; {second}" if first and second else first or second
