"""The worklist: call tasks and manual follow-ups for credit controllers, most urgent first,
cut to the creditor's monthly time budget.

**Tasks.** A *call task* is an action on the `call` channel that is planned or approved and
not yet worked. A *follow-up* is an action (any channel) whose delivery failed and that nobody
has followed up. Each task takes `minutes_per_call` minutes (10 unless the creditor sets it).

**Priority.** For the task's debtor, in the creditor's currency (no currency is converted):

    priority = 10 x log10(1 + A) + 5 x min(D / 30, 12) + 15 x P + 2 x S

- A, *amount at risk*: what the debtor owes past its due date, in major units (pounds);
- D, *days overdue*: days past due of its oldest overdue open invoice;
- P, *broken promises*: promises to pay that ran out (promised date plus grace) with no payment
  from the debtor between the promise and its end;
- S, *step*: the position of the task's step in the policy (0 for the first step): the further
  up the ladder, the more a call matters.

So £1,000 at risk weighs 30, £100,000 50; two months overdue 10; a broken promise 15; the phone
call of the default ladder (its fifth step) 8. Accounts with at least the creditor's flag
amount at risk (`flag_above`) are **flagged** and come first; then priority, highest first;
ties by amount at risk, then account code.

**Time budget.** A creditor may buy a number of controller hours per calendar month. The
minutes already used this month are the tasks worked since the 1st times `minutes_per_call`;
what is left decides how many tasks fit. When they do not all fit, the debtors owing the most
(their open balance) keep their tasks, as SMEs on a budget ask; the others are listed as over
budget. Without a budget nothing is cut.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from arrears.core.holds import HoldReason
from arrears.core.ledger import Creditor, Payment
from arrears.core.money import Money
from arrears.services.deal_book import broken_promises as deal_broken_promises
from arrears.store.repositories import ActionState, CollectionSettings, StoredAction, StoredHold
from arrears.store.unit_of_work import UnitOfWork

AMOUNT_WEIGHT = Decimal(10)
DAYS_WEIGHT = Decimal(5)
DAYS_CAP_MONTHS = Decimal(12)
PROMISE_WEIGHT = Decimal(15)
STEP_WEIGHT = Decimal(2)


def _now() -> datetime:
    return datetime.now(UTC)


class TaskKind(StrEnum):
    CALL = "call"
    FOLLOW_UP = "follow-up"  # a delivery failed: a person has to follow up


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One task for a controller and the figures its priority comes from."""

    action: StoredAction
    kind: TaskKind
    amount_at_risk: Money
    balance: Money
    days_overdue: int
    broken_promises: int
    step_position: int
    priority: Decimal
    flagged: bool

    @property
    def debtor(self) -> str:
        return self.action.debtor


@dataclass(frozen=True, slots=True)
class Worklist:
    """The tasks that fit the budget, in priority order, and those cut for lack of time."""

    creditor: Creditor
    as_of: date
    items: tuple[WorkItem, ...]
    over_budget: tuple[WorkItem, ...]
    settings: CollectionSettings
    used_minutes: int
    remaining_minutes: int | None  # None: no budget

    @property
    def minutes(self) -> int:
        return len(self.items) * self.settings.minutes_per_call


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


def worklist(uow: UnitOfWork, creditor: str, as_of: date, *, now: Callable[[], datetime] = _now) -> Worklist:
    """The creditor's worklist on `as_of` (see the module docstring for order and budget)."""
    with uow:
        creditor_value = uow.creditors.get(creditor)
        currency = creditor_value.currency
        settings = uow.collection_settings.get(creditor, currency)
        tasks = uow.actions.open_tasks(creditor)
        exposures = {
            exposure.debtor: exposure
            for exposure in uow.collections.exposures(creditor, as_of)
            if exposure.currency == currency
        }
        stored = uow.policies.current(creditor)
        positions = {} if stored is None else {step.name: n for n, step in enumerate(stored.policy.steps)}
        promises: dict[str, int] = {}
        for debtor in sorted({task.debtor for task in tasks}):
            holds = [
                hold
                for hold in uow.holds.list_all(creditor, debtor=debtor)
                if hold.hold.reason is HoldReason.PROMISE_TO_PAY
            ]
            if holds:
                promises[debtor] = broken_promises(
                    holds, uow.payments.list_all(creditor, debtor=debtor), as_of
                )
        # promises to pay recorded as deals (arrears.services.promises) count the same way
        from_deals = deal_broken_promises(uow, creditor, as_of, debtors={t.debtor for t in tasks})
        for debtor, count in from_deals.items():
            promises[debtor] = promises.get(debtor, 0) + count
        month_start = datetime.combine(as_of.replace(day=1), datetime.min.time(), tzinfo=UTC)
        used = uow.actions.worked_between(creditor, month_start, now()) * settings.minutes_per_call

    zero = Money.zero(currency)
    items = []
    for task in tasks:
        exposure = exposures.get(task.debtor)
        at_risk = zero if exposure is None else exposure.overdue
        oldest = None if exposure is None else exposure.oldest_due
        days = 0 if oldest is None else (as_of - oldest).days
        promises_broken = promises.get(task.debtor, 0)
        position = positions.get(task.step, 0)
        flag = settings.flag_above
        items.append(
            WorkItem(
                action=task,
                kind=TaskKind.FOLLOW_UP if task.status is ActionState.FAILED else TaskKind.CALL,
                amount_at_risk=at_risk,
                balance=zero if exposure is None else exposure.balance,
                days_overdue=days,
                broken_promises=promises_broken,
                step_position=position,
                priority=priority(at_risk.amount, days, promises_broken, position),
                flagged=flag is not None and at_risk >= flag,
            )
        )
    budget = settings.monthly_budget_minutes
    remaining = None if budget is None else max(budget - used, 0)
    kept, cut = _fit(items, remaining, settings.minutes_per_call)
    return Worklist(creditor_value, as_of, _ordered(kept), _ordered(cut), settings, used, remaining)


def _fit(
    items: list[WorkItem], remaining: int | None, minutes_per_call: int
) -> tuple[list[WorkItem], list[WorkItem]]:
    """The tasks that fit the minutes left, debtors owing the most first."""
    if remaining is None:
        return items, []
    fits = remaining // minutes_per_call
    by_balance = sorted(
        items, key=lambda item: (-item.balance.amount, -item.priority, item.debtor, item.action.id)
    )
    return by_balance[:fits], by_balance[fits:]


def _ordered(items: list[WorkItem]) -> tuple[WorkItem, ...]:
    return tuple(
        sorted(
            items,
            key=lambda item: (
                not item.flagged,
                -item.priority,
                -item.amount_at_risk.amount,
                item.debtor,
                item.action.id,
            ),
        )
    )


def work_task(
    uow: UnitOfWork,
    creditor: str,
    action_id: int,
    *,
    by: str,
    note: str = "",
    now: Callable[[], datetime] = _now,
) -> StoredAction:
    """A controller did a task: a call made (the action becomes sent) or a failed delivery
    followed up. It counts against this month's budget."""
    with uow:
        uow.creditors.lock(creditor)
        done = uow.actions.mark_worked(creditor, action_id, by=by, note=note, at=now())
        uow.commit()
    return done
