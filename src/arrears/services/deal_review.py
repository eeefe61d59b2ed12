"""Review the creditor's deals as of a day: record what the cash made of them.

For each deal still open, its status as of `as_of` from the allocations (the core's functions):

- **promises**: kept (recorded with the day), or broken: recorded, and the debtor is flagged
  `broken_promise`, which moves it up the worklist; a kept promise clears the flag;
- **payment plans**: the standing (good standing, due, missed in grace, defaulted, completed) is
  recorded; a default ends the plan's hold (the ladder resumes); the reminder of an instalment
  due within the plan's reminder days is recorded once per instalment;
- **settlements**: paid (and approved): the rest of each document is written off with the reason
  `settlement` and the settlement's approver; lapsed: recorded, the ladder resumes.

Safe to repeat: a recorded state is only changed when the status changes; write-offs are made
once (`closed_on`), reminders once per instalment. The cycle's holds never depend on a review
having run (see `arrears.services.deal_book`); the review keeps lists, flags and write-offs up to
date, and is run after a bank import and by `arrears deals review`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from arrears.core.ledger import DebtorFlag
from arrears.core.money import Money
from arrears.core.plans import InstalmentReminder, PaymentPlan, PlanState, PlanStatus
from arrears.core.promises import PromiseState
from arrears.core.settlements import SettlementState
from arrears.services.deal_book import judge_plans, judge_promises, judge_settlements
from arrears.store.unit_of_work import UnitOfWork

HOLDING_PLAN_STATES = ("awaiting_approval", "good_standing", "instalment_due", "missed")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class DealReview:
    """What a review recorded (references), and the instalment reminders now due."""

    as_of: date
    kept: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # debtors newly flagged broken_promise
    plans_defaulted: list[str] = field(default_factory=list)
    plans_completed: list[str] = field(default_factory=list)
    reminders: list[InstalmentReminder] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)
    written_off: list[Money] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{len(self.kept)} promise(s) kept",
            f"{len(self.broken)} broken",
            f"{len(self.plans_defaulted)} plan(s) defaulted",
            f"{len(self.plans_completed)} completed",
            f"{len(self.reminders)} instalment reminder(s) due",
            f"{len(self.settled)} settlement(s) paid",
            f"{len(self.lapsed)} lapsed",
        ]
        return f"deals as of {self.as_of.isoformat()}: " + ", ".join(parts)


def review_deals(
    uow: UnitOfWork,
    creditor: str,
    as_of: date,
    *,
    by: str = "deal review",
    now: Callable[[], datetime] = _now,
) -> DealReview:
    """Review the creditor's deals as of `as_of` in one unit of work (see the module docstring)."""
    with uow:
        uow.creditors.lock(creditor)
        review = review_deals_in(uow, creditor, as_of, by=by)
        uow.commit()
    return review


def review_deals_in(uow: UnitOfWork, creditor: str, as_of: date, *, by: str) -> DealReview:
    """The review, inside a unit of work the caller opened (and commits)."""
    review = DealReview(as_of)
    _review_promises(uow, creditor, as_of, review)
    _review_plans(uow, creditor, as_of, review)
    _review_settlements(uow, creditor, as_of, by, review)
    return review


def _review_promises(uow: UnitOfWork, creditor: str, as_of: date, review: DealReview) -> None:
    pending = [s for s in uow.deals.promises(creditor, states=("pending",)) if s.promise.made_on <= as_of]
    for stored, status in judge_promises(uow, creditor, pending, as_of):
        promise = stored.promise
        if status.state is PromiseState.KEPT:
            uow.deals.set_promise_state(creditor, promise.reference, "kept", status.kept_on)
            review.kept.append(promise.reference)
            _set_flag(uow, creditor, promise.debtor, on=False)
        elif status.state is PromiseState.BROKEN:
            uow.deals.set_promise_state(creditor, promise.reference, "broken", status.broken_on)
            review.broken.append(promise.reference)
            if _set_flag(uow, creditor, promise.debtor, on=True):
                review.flagged.append(promise.debtor)


def _set_flag(uow: UnitOfWork, creditor: str, debtor: str, *, on: bool) -> bool:
    """Set or clear the debtor's `broken_promise` flag; True when it changed."""
    flags = set(uow.debtors.get(creditor, debtor).flags)
    if (DebtorFlag.BROKEN_PROMISE in flags) == on:
        return False
    if on:
        flags.add(DebtorFlag.BROKEN_PROMISE)
    else:
        flags.discard(DebtorFlag.BROKEN_PROMISE)
    uow.debtors.set_flags(creditor, debtor, flags)
    return True


def _review_plans(uow: UnitOfWork, creditor: str, as_of: date, review: DealReview) -> None:
    plans = [
        s
        for s in uow.deals.plans(creditor, states=HOLDING_PLAN_STATES)
        if s.plan.agreed_on <= as_of and s.plan.is_approved
    ]
    for stored, status in judge_plans(uow, creditor, plans, as_of):
        plan = stored.plan
        if status.state.value != stored.state:
            uow.deals.set_plan_state(
                creditor, plan.reference, status.state.value, status.defaulted_on or status.completed_on
            )
            if status.state is PlanState.DEFAULTED:
                review.plans_defaulted.append(plan.reference)
            elif status.state is PlanState.COMPLETED:
                review.plans_completed.append(plan.reference)
        reminder = _reminder(plan, status, as_of)
        if (
            reminder is not None
            and reminder.instalment.number not in stored.reminded
            and uow.deals.mark_reminded(creditor, plan.reference, reminder.instalment.number, as_of)
        ):
            review.reminders.append(reminder)


def _reminder(plan: PaymentPlan, status: PlanStatus, as_of: date) -> InstalmentReminder | None:
    """The reminder due on `as_of` (`arrears.core.plans.instalment_reminder`'s rule, on the
    standing already computed)."""
    if plan.approved_by is None or status.state not in (PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE):
        return None
    instalment = status.next_instalment
    if instalment is None or as_of < instalment.due_on - timedelta(days=plan.reminder_days_before):
        return None
    return InstalmentReminder(plan.reference, plan.debtor, instalment, status.next_instalment_outstanding)


def _review_settlements(uow: UnitOfWork, creditor: str, as_of: date, by: str, review: DealReview) -> None:
    settlements = [
        s
        for s in uow.deals.settlements(creditor, states=("pending", "awaiting_approval", "paid"))
        if s.settlement.agreed_on <= as_of and not (s.state == "paid" and s.closed_on is not None)
    ]
    for stored, status in judge_settlements(uow, creditor, settlements, as_of):
        settlement = stored.settlement
        if status.state is SettlementState.PAID:
            closed = None
            if settlement.approved_by is not None:
                for value in status.write_offs:
                    uow.write_offs.apply(creditor, value, requested_by=by, settlement=settlement.reference)
                    review.written_off.append(value.amount)
                closed = as_of
            if stored.state != "paid" or closed is not None:
                uow.deals.set_settlement_state(
                    creditor, settlement.reference, "paid", status.paid_on, closed_on=closed
                )
                review.settled.append(settlement.reference)
        elif status.state is SettlementState.LAPSED and stored.state != "lapsed":
            uow.deals.set_settlement_state(creditor, settlement.reference, "lapsed", settlement.deadline)
            review.lapsed.append(settlement.reference)
