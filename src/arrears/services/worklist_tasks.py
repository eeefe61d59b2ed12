"""The worklist's open tasks, those settled since they were planned, and the holds on them.

- `open_tasks`: each call to make and each follow-up once (see `arrears.services.worklist`);
- `close_settled`: a task all of whose documents are settled since it was planned (paid,
  credited, written off or withdrawn: none of them is still open) has nothing left to call
  about. It is taken off the worklist for good: its action becomes `skipped`, worked by
  `arrears` with the reason as its note, its call task (if its message was delivered) closes,
  and one entry per debtor goes on the debtor's comms timeline with the time and the reason.
  Closing only touches tasks still open, so running it twice, or in two workers at once,
  closes each task once;
- `holds_on`: the holds in force on a day, each with a description for a person, as the
  cycle would take them (people's holds, the deals' holds, the debtor's flags, the service
  turned off). A task is held when every one of its documents is (a hold on the whole account
  holds them all).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from arrears.comms.channels.call import CallTask, CallTaskStatus
from arrears.comms.message import EventKind
from arrears.core.holds import Hold, HoldReason, describe_service_off, holds_from_flags, service_is_on
from arrears.core.policy import Channel
from arrears.services.planning_inputs import covers, deal_holds_on
from arrears.store.repositories import ActionState, StoredAction
from arrears.store.unit_of_work import UnitOfWork

CLOSED_BY = "arrears"
"""Who the worklist records as having closed a settled task (no controller did)."""


class TaskKind(StrEnum):
    CALL = "call"
    FOLLOW_UP = "follow-up"  # a delivery failed: a person has to follow up


@dataclass(frozen=True, slots=True)
class OpenTask:
    """One open task: its collections `action` and, for a call whose message was delivered,
    its `call` task with the card."""

    kind: TaskKind
    action: StoredAction
    call: CallTask | None = None

    @property
    def debtor(self) -> str:
        return self.action.debtor

    @property
    def step(self) -> str:
        return self.action.step

    @property
    def documents(self) -> tuple[str, ...]:
        return self.action.documents


@dataclass(frozen=True, slots=True)
class ClosedTask:
    """A task the worklist closed because its documents were settled since it was planned."""

    task: OpenTask
    reason: str
    closed_at: datetime

    @property
    def debtor(self) -> str:
        return self.task.debtor


@dataclass(frozen=True, slots=True)
class LabelledHold:
    """A hold in force, with how a person is told about it ('promise P-00001 on INV-1 until
    2026-03-16')."""

    hold: Hold
    text: str


def open_tasks(uow: UnitOfWork, creditor: str, *, debtor: str | None = None) -> list[OpenTask]:
    """Each call to make and each follow-up once (only `debtor`'s with it): call actions not
    worked, with their call task when their message was delivered (an action whose task was
    already logged is done), and failed actions not followed up. Call inside an open unit of
    work."""
    actions = [a for a in uow.actions.open_tasks(creditor) if debtor is None or a.debtor == debtor]
    calls = [a for a in actions if a.channel is Channel.CALL and a.status is not ActionState.FAILED]
    by_action = uow.calls.tasks_for_actions(creditor, [a.idempotency_key for a in calls])
    found: list[OpenTask] = []
    for action in actions:
        if action.channel is not Channel.CALL or action.status is ActionState.FAILED:
            found.append(OpenTask(TaskKind.FOLLOW_UP, action, None))
            continue
        call = by_action.get(action.idempotency_key)
        if call is None or call.status is CallTaskStatus.OPEN:
            found.append(OpenTask(TaskKind.CALL, action, call))
    return found


def task_of(action: StoredAction, call: CallTask | None = None) -> OpenTask:
    """The task an action makes: a call while it is planned or approved, else a follow-up."""
    kind = (
        TaskKind.CALL
        if action.channel is Channel.CALL and action.status is not ActionState.FAILED
        else TaskKind.FOLLOW_UP
    )
    return OpenTask(kind, action, call)


def step_positions(uow: UnitOfWork, creditor: str) -> dict[str, int]:
    """Each step's position in the creditor's current policy (0 for the first); a step the
    policy no longer has counts as 0. Call inside an open unit of work."""
    stored = uow.policies.current(creditor)
    return {} if stored is None else {step.name: n for n, step in enumerate(stored.policy.steps)}


def lead_first(
    tasks: Iterable[OpenTask], positions: dict[str, int], *, first: int | None = None
) -> list[OpenTask]:
    """A debtor's tasks in the order the worklist shows them: the action `first` (the one a
    controller named) if given, then calls before follow-ups, the most advanced step first,
    then the oldest. The first is the item's lead: its step names it and its card is read."""
    return sorted(
        tasks,
        key=lambda task: (
            task.action.id != first,
            task.kind is not TaskKind.CALL,
            -positions.get(task.step, 0),
            task.action.id,
        ),
    )


def settled(uow: UnitOfWork, creditor: str, tasks: Iterable[OpenTask]) -> list[OpenTask]:
    """The tasks none of whose documents is still open (a task without documents never is).
    One read of open documents per debtor with tasks. Call inside an open unit of work."""
    by_debtor: dict[str, list[OpenTask]] = {}
    for task in tasks:
        if task.documents:
            by_debtor.setdefault(task.debtor, []).append(task)
    found: list[OpenTask] = []
    for debtor in sorted(by_debtor):
        still_open = {document.number for document in uow.documents.list_open(creditor, debtor=debtor)}
        found += [task for task in by_debtor[debtor] if still_open.isdisjoint(task.documents)]
    return found


def settled_reason(task: OpenTask) -> str:
    """'closed without a call: INV-1 and INV-2 paid, credited or written off since it was
    planned on 2026-03-01; nothing left to call about'."""
    what = "call" if task.kind is TaskKind.CALL else "follow-up"
    return (
        f"closed without a {what}: {_and(task.documents)} paid, credited or written off since it was planned on "
        f"{task.action.planned_on.isoformat()}; nothing left to chase"
    )


def close_settled(
    uow: UnitOfWork, creditor: str, tasks: Sequence[OpenTask], *, at: datetime
) -> list[ClosedTask]:
    """Close the settled ones of `tasks` (see the module docstring) and say so on each debtor's
    timeline; returns those this call closed. The caller commits."""
    candidates = settled(uow, creditor, tasks)
    if not candidates:
        return []
    reasons = {task.action.id: settled_reason(task) for task in candidates}
    closed_ids: set[int] = set()
    for reason in sorted(set(reasons.values())):
        ids = [action_id for action_id, text in reasons.items() if text == reason]
        closed_ids.update(uow.actions.skip_open_tasks(creditor, ids, by=CLOSED_BY, note=reason, at=at))
    closed = [task for task in candidates if task.action.id in closed_ids]
    uow.calls.close_tasks(creditor, [task.call.id for task in closed if task.call is not None])
    for debtor in sorted({task.debtor for task in closed}):
        mine = [task for task in closed if task.debtor == debtor]
        uow.outbox.record_event(
            creditor, debtor, EventKind.SUPPRESSED, "worklist: " + "; ".join(map(_describe, mine)), at=at
        )
    return [ClosedTask(task, reasons[task.action.id], at) for task in closed]


def _describe(task: OpenTask) -> str:
    """ "action 12 ('phone call', call task 4) closed without a call: INV-1 paid, ..."."""
    call = f", call task {task.call.id}" if task.call is not None else ""
    return f"action {task.action.id} ({task.step!r}{call}) {settled_reason(task)}"


def holds_on(
    uow: UnitOfWork, creditor: str, as_of: date, debtors: Iterable[str]
) -> dict[str, list[LabelledHold]]:
    """The holds in force on `as_of` on each of `debtors` that has any: the creditor's service
    turned off, the debtor's flags (do not contact, insolvent), people's holds and the deals'
    (promises, plans, settlements, disputes). Call inside an open unit of work."""
    wanted = set(debtors)
    found: dict[str, list[LabelledHold]] = {}
    if not wanted:
        return found
    windows = uow.service_windows.windows(creditor)
    if windows and not service_is_on(windows, as_of):
        text = describe_service_off(windows, as_of)
        for debtor in wanted:
            off = Hold(HoldReason.SERVICE_OFF, debtor, note=text)
            found.setdefault(debtor, []).append(LabelledHold(off, text))
    for debtor in sorted(wanted):
        for hold in holds_from_flags(uow.debtors.get(creditor, debtor)):
            found.setdefault(debtor, []).append(LabelledHold(hold, hold.note))
    for hold in uow.holds.in_force(creditor, as_of):
        if hold.debtor in wanted:
            found.setdefault(hold.debtor, []).append(LabelledHold(hold, _recorded(hold)))
    for labelled in deal_holds_on(uow, creditor, as_of):
        if labelled.debtor in wanted:
            found.setdefault(labelled.debtor, []).append(LabelledHold(labelled.hold, labelled.describe()))
    return found


def held(task: OpenTask, holds: Iterable[LabelledHold]) -> bool:
    """Whether every document of `task` is held (all of them, by a hold on the whole account)."""
    mine = [labelled.hold for labelled in holds if labelled.hold.debtor == task.debtor]
    if any(hold.covers_whole_debtor for hold in mine):
        return True
    return bool(task.documents) and all(
        any(covers(hold, task.debtor, (number,)) for hold in mine) for number in task.documents
    )


def _recorded(hold: Hold) -> str:
    """A recorded hold for a person: 'promise to pay on INV-1 until 2026-03-20 (Friday)'."""
    scope = f" on {', '.join(sorted(hold.documents))}" if hold.documents else ""
    text = hold.reason.label + scope
    if hold.ends_on is not None:
        text += f" until {hold.ends_on.isoformat()}"
    elif hold.starts_on is not None:
        text += f" since {hold.starts_on.isoformat()}"
    return f"{text} ({hold.note})" if hold.note else text


def _and(items: Sequence[str]) -> str:
    """'INV-1', 'INV-1 and INV-2', 'INV-1, INV-2 and INV-3'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
