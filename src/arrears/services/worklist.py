"""The worklist: the debtors a credit controller should call, most urgent first, each once with
all its open tasks, cut to the creditor's monthly time budget.

**Tasks.** A *call task* is one call the ladder asks for. Its record is the comms call task
(`uow.calls`, `arrears.comms.channels.call`), which the dispatcher creates when it delivers the
call action's message, with the call card rendered in the creditor's name; it is the one source
of truth, and working it logs the call against it. A call action the cycle planned (or the
creditor approved) whose message has not been delivered yet (`arrears send` or `arrears cycle
--send` not run since) is a task too, without its card, so that no call waits on the
dispatcher; each call counts once, matched by the action's idempotency key, and once worked its
message, if queued later, makes no task. (Every call the cycle plans has an action; a call
message queued without one, as tests do with `enqueue_actions`, has a call task but is not on
the worklist: log it with `arrears call log --task`.) A *follow-up* is an action (any channel)
whose delivery failed, or an SMS that needs checking, and that nobody has followed up.

**One debtor, one item.** A controller calls a debtor once, however many tasks it has (the
ladder's phone call on one invoice and call steps on others, planned on different days; a
letter that could not be delivered). So the worklist has one `WorkItem` per debtor, carrying
all its open tasks (`tasks`, the lead first: calls before follow-ups, the most advanced step
first); it takes `minutes_per_call` minutes (10 unless the creditor sets it), and working it
(`arrears.services.worklist_work`: any of its action ids, the debtor, or any of its call tasks)
logs one call and closes all its tasks together.

**Settled since.** Before listing, the tasks none of whose documents is still open (paid,
credited, written off or withdrawn since the task was planned) are closed, for good and with
the reason on the debtor's timeline (`arrears.services.worklist_tasks.close_settled`). This is
a read that writes, on purpose: the worklist is where a stale call would do harm (a controller
chasing a debtor who has paid), it is built whenever a controller looks, and closing there
needs nothing from the cycle or the dispatcher. It is idempotent: a task closes only while it
is open, so building the worklist twice, or in two processes at once, closes it once. Pass
`close_settled=False` for a pure read (the tasks are then listed as before).

**On hold.** A debtor all of whose tasks are held on `as_of` (a promise, a payment plan, a
settlement or a dispute, a hold a person recorded, the debtor flagged do not contact or
insolvent, the service turned off) is listed apart, in `on_hold`, with its holds ("on hold:
promise P-00001 on INV-1 until 2026-03-16"), and is not counted against the budget: the
controller sees why nobody should call it, and calls only when the hold ends (the task stays
open, for then). A hold on some of its documents only is shown on the item (`holds`).

**Priority.** For the item's debtor, in the creditor's currency (no currency is converted):

    priority = 10 x log10(1 + A) + 5 x min(D / 30, 12) + 15 x P + 2 x S

- A, *amount at risk*: what the debtor owes past its due date, in major units (pounds);
- D, *days overdue*: days past due of its oldest overdue open invoice;
- P, *broken promises*: promises to pay that ran out (promised date plus grace) with no payment
  from the debtor between the promise and its end;
- S, *step*: the position in the policy of the most advanced step among the debtor's tasks (0
  for the first step): the further up the ladder, the more a call matters.

So £1,000 at risk weighs 30, £100,000 50; two months overdue 10; a broken promise 15; the phone
call of the default ladder (its fifth step) 8. Accounts with at least the creditor's flag
amount at risk (`flag_above`) are **flagged** and come first; then priority, highest first;
ties by amount at risk, then account code.

**Time budget.** A creditor may buy a number of controller hours per calendar month. The
minutes already used this month are the debtors worked since the 1st (tasks worked together
count once; tasks closed as settled not at all) times `minutes_per_call`; what is left decides
how many debtors fit. When they do not all fit, the debtors owing the most (their open balance)
keep their place, as SMEs on a budget ask; the others are listed as over budget. Without a
budget nothing is cut.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from arrears.comms.channels.call import CallTask
from arrears.core.holds import HoldReason
from arrears.core.ledger import Creditor, Payment
from arrears.core.money import Money
from arrears.services.deal_book import broken_promises as deal_broken_promises
from arrears.services.planning_inputs import covers
from arrears.services.worklist_tasks import (
    ClosedTask,
    LabelledHold,
    OpenTask,
    TaskKind,
    close_settled,
    held,
    holds_on,
    lead_first,
    open_tasks,
    step_positions,
)
from arrears.services.worklist_work import WorkedDebtor, log_call, work_debtor, work_task
from arrears.store.repositories import CollectionSettings, StoredAction, StoredHold
from arrears.store.unit_of_work import UnitOfWork

__all__ = [
    "ClosedTask",
    "OpenTask",
    "TaskKind",
    "WorkItem",
    "WorkedDebtor",
    "Worklist",
    "broken_promises",
    "log_call",
    "priority",
    "work_debtor",
    "work_task",
    "worklist",
]

AMOUNT_WEIGHT = Decimal(10)
DAYS_WEIGHT = Decimal(5)
DAYS_CAP_MONTHS = Decimal(12)
PROMISE_WEIGHT = Decimal(15)
STEP_WEIGHT = Decimal(2)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One debtor to call, its open `tasks` (the lead first) and the figures its priority comes
    from; `holds` describe the holds in force on its tasks' documents, and `on_hold` says they
    hold every one of its tasks."""

    debtor: str
    tasks: tuple[OpenTask, ...]
    amount_at_risk: Money
    balance: Money
    days_overdue: int
    broken_promises: int
    step_position: int
    priority: Decimal
    flagged: bool
    holds: tuple[str, ...] = ()
    on_hold: bool = False

    @property
    def lead(self) -> OpenTask:
        return self.tasks[0]

    @property
    def kind(self) -> TaskKind:
        """A call if any of its tasks is one, else a follow-up."""
        return self.lead.kind

    @property
    def action(self) -> StoredAction:
        """The lead task's action (the most advanced call step)."""
        return self.lead.action

    @property
    def step(self) -> str:
        return self.lead.step

    @property
    def action_ids(self) -> tuple[int, ...]:
        return tuple(task.action.id for task in self.tasks)

    @property
    def call_tasks(self) -> tuple[CallTask, ...]:
        return tuple(task.call for task in self.tasks if task.call is not None)

    @property
    def task(self) -> CallTask | None:
        """The call task to read the card from (the first delivered one), if any."""
        return next(iter(self.call_tasks), None)

    @property
    def card(self) -> str | None:
        """The call card to read from, once a call's message is delivered."""
        return None if self.task is None else self.task.card

    @property
    def documents(self) -> tuple[str, ...]:
        """The documents its tasks are about, each once, in the tasks' order."""
        return tuple(dict.fromkeys(number for task in self.tasks for number in task.documents))

    @property
    def hold(self) -> str | None:
        """'on hold: promise P-00001 on INV-1 until 2026-03-16', for an item on hold."""
        return "on hold: " + "; ".join(self.holds) if self.on_hold else None


@dataclass(frozen=True, slots=True)
class Worklist:
    """The debtors that fit the budget, in priority order; those cut for lack of time; those on
    hold (not counted); and the tasks closed as settled while it was built."""

    creditor: Creditor
    as_of: date
    items: tuple[WorkItem, ...]
    over_budget: tuple[WorkItem, ...]
    settings: CollectionSettings
    used_minutes: int
    remaining_minutes: int | None  # None: no budget
    on_hold: tuple[WorkItem, ...] = ()
    closed: tuple[ClosedTask, ...] = ()

    @property
    def minutes(self) -> int:
        return len(self.items) * self.settings.minutes_per_call

    def find(self, *, action_id: int | None = None, debtor: str | None = None) -> WorkItem | None:
        """The item with the action `action_id` among its tasks, or of `debtor`."""
        for item in (*self.items, *self.over_budget, *self.on_hold):
            if (action_id is not None and action_id in item.action_ids) or item.debtor == debtor:
                return item
        return None


def priority(amount_at_risk: Decimal, days_overdue: int, broken_promises: int, step_position: int) -> Decimal:
    """The worklist's priority score (see the module docstring), to two decimal places.

    >>> priority(Decimal(1000), 60, 1, 4)
    Decimal('63.00')
    """
    amount = (Decimal(1) + max(amount_at_risk, Decimal(0))).log10()
    months = min(Decimal(max(days_overdue, 0)) / 30, DAYS_CAP_MONTHS)
    score = (
        AMOUNT_WEIGHT * amount
        + DAYS_WEIGHT * months
        + PROMISE_WEIGHT * broken_promises
        + STEP_WEIGHT * step_position
    )
    return score.quantize(Decimal("0.01"))


def broken_promises(holds: Iterable[StoredHold], payments: Iterable[Payment], as_of: date) -> int:
    """Promises to pay that ended before `as_of` (their date plus grace, or lifted) with no
    payment received from their start (or the day they were recorded) to their end."""
    received = [payment.received_on for payment in payments]
    count = 0
    for stored in holds:
        hold = stored.effective()
        if hold is None or hold.reason is not HoldReason.PROMISE_TO_PAY or hold.ends_on is None:
            continue
        if hold.ends_on >= as_of:
            continue  # still running
        start = hold.starts_on or stored.created_at.date()
        if not any(start <= day <= hold.ends_on for day in received):
            count += 1
    return count


def worklist(
    uow: UnitOfWork,
    creditor: str,
    as_of: date,
    *,
    now: Callable[[], datetime] = _now,
    close_settled_tasks: bool = True,
) -> Worklist:
    """The creditor's worklist on `as_of` (see the module docstring for items, settled tasks,
    holds, order and budget). Closing settled tasks commits; nothing else is written."""
    with uow:
        creditor_value = uow.creditors.get(creditor)
        currency = creditor_value.currency
        settings = uow.collection_settings.get(creditor, currency)
        tasks = open_tasks(uow, creditor)
        closed: list[ClosedTask] = []
        if close_settled_tasks:
            closed = close_settled(uow, creditor, tasks, at=now())
            gone = {done.task.action.id for done in closed}
            tasks = [task for task in tasks if task.action.id not in gone]
        debtors = {task.debtor for task in tasks}
        exposures = {
            exposure.debtor: exposure
            for exposure in uow.collections.exposures(creditor, as_of)
            if exposure.currency == currency
        }
        positions = step_positions(uow, creditor)
        promises = _broken_promises(uow, creditor, as_of, debtors)
        holds = holds_on(uow, creditor, as_of, debtors)
        month_start = datetime.combine(as_of.replace(day=1), datetime.min.time(), tzinfo=UTC)
        used = uow.actions.calls_worked_between(creditor, month_start, now()) * settings.minutes_per_call
        if closed:
            uow.commit()

    zero = Money.zero(currency)
    flag = settings.flag_above
    by_debtor: dict[str, list[OpenTask]] = {}
    for task in tasks:
        by_debtor.setdefault(task.debtor, []).append(task)
    active: list[WorkItem] = []
    held_items: list[WorkItem] = []
    for debtor, mine in by_debtor.items():
        exposure = exposures.get(debtor)
        at_risk = zero if exposure is None else exposure.overdue
        oldest = None if exposure is None else exposure.oldest_due
        days = 0 if oldest is None else (as_of - oldest).days
        promises_broken = promises.get(debtor, 0)
        position = max(positions.get(task.step, 0) for task in mine)
        on_debtor = holds.get(debtor, [])
        item = WorkItem(
            debtor=debtor,
            tasks=tuple(lead_first(mine, positions)),
            amount_at_risk=at_risk,
            balance=zero if exposure is None else exposure.balance,
            days_overdue=days,
            broken_promises=promises_broken,
            step_position=position,
            priority=priority(at_risk.amount, days, promises_broken, position),
            flagged=flag is not None and at_risk >= flag,
            holds=_touching(on_debtor, mine),
            on_hold=bool(on_debtor) and all(held(task, on_debtor) for task in mine),
        )
        (held_items if item.on_hold else active).append(item)
    budget = settings.monthly_budget_minutes
    remaining = None if budget is None else max(budget - used, 0)
    kept, cut = _fit(active, remaining, settings.minutes_per_call)
    return Worklist(
        creditor_value,
        as_of,
        _ordered(kept),
        _ordered(cut),
        settings,
        used,
        remaining,
        _ordered(held_items),
        tuple(closed),
    )


def _broken_promises(uow: UnitOfWork, creditor: str, as_of: date, debtors: set[str]) -> dict[str, int]:
    """Each debtor's broken promises: those recorded as holds, and those recorded as deals
    (`arrears.services.promises`), which count the same way."""
    promises: dict[str, int] = {}
    for debtor in sorted(debtors):
        holds = [
            hold
            for hold in uow.holds.list_all(creditor, debtor=debtor)
            if hold.hold.reason is HoldReason.PROMISE_TO_PAY
        ]
        if holds:
            promises[debtor] = broken_promises(holds, uow.payments.list_all(creditor, debtor=debtor), as_of)
    for debtor, count in deal_broken_promises(uow, creditor, as_of, debtors=debtors).items():
        promises[debtor] = promises.get(debtor, 0) + count
    return promises


def _touching(holds: Iterable[LabelledHold], tasks: Iterable[OpenTask]) -> tuple[str, ...]:
    """The descriptions of the holds that hold any document of `tasks`, each once."""
    mine = list(tasks)
    return tuple(
        dict.fromkeys(
            labelled.text
            for labelled in holds
            if any(covers(labelled.hold, task.debtor, task.documents) for task in mine)
        )
    )


def _fit(
    items: list[WorkItem], remaining: int | None, minutes_per_call: int
) -> tuple[list[WorkItem], list[WorkItem]]:
    """The debtors that fit the minutes left, one call each, those owing the most first."""
    if remaining is None:
        return items, []
    fits = remaining // minutes_per_call
    by_balance = sorted(items, key=lambda item: (-item.balance.amount, -item.priority, item.debtor))
    return by_balance[:fits], by_balance[fits:]


def _ordered(items: list[WorkItem]) -> tuple[WorkItem, ...]:
    return tuple(
        sorted(
            items,
            key=lambda item: (not item.flagged, -item.priority, -item.amount_at_risk.amount, item.debtor),
        )
    )
