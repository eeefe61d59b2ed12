"""Reminders before each instalment of a payment plan, by email, in the creditor's name.

A plan's `reminder_days_before` (from the creditor's deal rules when the plan was agreed,
`PlanRules.reminder_days_before`, 3 days by default) says how early the debtor is reminded. On a
day from then up to the instalment's due date, a plan that is approved and in good standing (or
whose instalment falls due today) with that instalment not yet paid gets one reminder
(`instalment_reminder`): the instalment, what is still to pay on it, what the plan has received
and what is left, and how to pay. A day missed (no run over a weekend) is caught up, up to the
due date itself; once the date has passed the instalment is missed, and the plan's grace and
default take over, not reminders.

**Once per instalment, ever.** The key is `plan-reminder:<plan>:<instalment number>`, the same as
`arrears.core.plans.InstalmentReminder.key`; the outbox stores one message per key, so a second
run on the same or a later day queues nothing. The instalment is also marked reminded on the plan
(`uow.deals.mark_reminded`), for the plan's record.

**Not sent** for plans awaiting approval, rejected, defaulted or completed (each plan's standing
is judged again from the allocations, not taken from the state a review recorded), nor to a
debtor flagged do-not-contact or insolvent or held `do_not_contact` (the creditor excluded it):
those are listed as skipped, with the reason.

Reminders are transactional (part of an arrangement the debtor asked for), so the dispatcher
does not count them against the weekly contact cap; they still respect a do-not-contact flag set
after they were queued. `plan_instalment_reminders` only reads and says what is due;
`remind_instalments` queues them; `arrears plan remind` runs it, and the daily send step should
call it once per creditor (see docs/deals.md).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from arrears.comms.message import Instalment as MessageInstalment
from arrears.comms.message import OutboundAction, PlanDetails
from arrears.comms.outbox import Refused, enqueue_actions
from arrears.core.holds import HoldReason
from arrears.core.ledger import DebtorFlag
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan, PlanState, PlanStatus
from arrears.core.policy import Channel
from arrears.services.deal_book import judge_plans
from arrears.store.repositories import StoredPlan
from arrears.store.unit_of_work import UnitOfWork

REMINDER_STEP = "instalment reminder"
REMINDER_TEMPLATE = "instalment_reminder"
LIVE_PLAN_STATES = ("good_standing", "instalment_due", "missed")
"""Recorded states of an approved plan that may still be kept (the others are over)."""
_NO_CONTACT_FLAGS = {
    DebtorFlag.DO_NOT_CONTACT: "flagged do not contact",
    DebtorFlag.INSOLVENT: "flagged insolvent",
}


def _now() -> datetime:
    return datetime.now(UTC)


def reminder_key(plan: str, instalment: int) -> str:
    """The idempotency key of the reminder of instalment `instalment` of plan `plan`."""
    return f"plan-reminder:{plan}:{instalment}"


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder due as of the day, and the outbound action that sends it."""

    plan: str
    debtor: str
    instalment: int
    of: int
    due_on: date
    amount_to_pay: Money
    action: OutboundAction

    @property
    def key(self) -> str:
        return self.action.idempotency_key

    def describe(self) -> str:
        return (
            f"{self.debtor}: plan {self.plan}, instalment {self.instalment} of {self.of}, "
            f"{self.amount_to_pay} due {self.due_on.isoformat()}"
        )


@dataclass(frozen=True, slots=True)
class SkippedReminder:
    plan: str
    debtor: str
    instalment: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """What `plan_instalment_reminders` found due on `as_of`: reminders to queue, those whose
    key is already in the outbox (sent before), and those not to send, with the reason."""

    creditor: str
    as_of: date
    due: tuple[DueReminder, ...] = ()
    already_sent: tuple[str, ...] = ()
    skipped: tuple[SkippedReminder, ...] = ()


@dataclass(frozen=True, slots=True)
class RemindersSent:
    """What `remind_instalments` did: the reminders queued now, keys already queued before,
    those refused by the outbox or skipped (with reasons), and why nothing was queued at all
    (`problem`: no brand yet)."""

    plan: ReminderPlan
    queued: tuple[str, ...] = ()
    already_queued: tuple[str, ...] = ()
    refused: tuple[Refused, ...] = field(default=())
    problem: str = ""

    def summary(self) -> str:
        text = (
            f"instalment reminders for {self.plan.creditor} as of {self.plan.as_of.isoformat()}: "
            f"{len(self.queued)} queued, {len(self.already_queued)} already sent, "
            f"{len(self.refused)} refused, {len(self.plan.skipped)} skipped"
        )
        return f"{text} ({self.problem})" if self.problem else text


def due_instalment(plan: PaymentPlan, status: PlanStatus, as_of: date) -> bool:
    """Whether the next instalment's reminder is due on `as_of` (the rule of
    `arrears.core.plans.instalment_reminder`, on a standing already computed)."""
    if plan.approved_by is None or status.state not in (PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE):
        return False
    instalment = status.next_instalment
    return instalment is not None and as_of >= instalment.due_on - timedelta(days=plan.reminder_days_before)


def plan_instalment_reminders(uow: UnitOfWork, creditor: str, as_of: date) -> ReminderPlan:
    """The instalment reminders due on `as_of` for the creditor's plans (see the module
    docstring). Reads only; opens its own unit of work."""
    due: list[DueReminder] = []
    skipped: list[SkippedReminder] = []
    with uow:
        uow.creditors.get(creditor)
        stored = [
            s
            for s in uow.deals.plans(creditor, states=LIVE_PLAN_STATES)
            if s.plan.is_approved and s.plan.agreed_on <= as_of
        ]
        for held, status in judge_plans(uow, creditor, stored, as_of):
            plan = held.plan
            if not due_instalment(plan, status, as_of):
                continue
            assert status.next_instalment is not None
            number = status.next_instalment.number
            blocked = _no_contact(uow, creditor, held, as_of)
            if blocked:
                skipped.append(SkippedReminder(plan.reference, plan.debtor, number, blocked))
                continue
            due.append(_reminder(held, status, as_of))
        existing = uow.outbox.existing_keys(creditor, [r.key for r in due])
    return ReminderPlan(
        creditor,
        as_of,
        tuple(r for r in due if r.key not in existing),
        tuple(sorted(existing)),
        tuple(skipped),
    )


def remind_instalments(
    uow: UnitOfWork, creditor: str, as_of: date, *, now: Callable[[], datetime] = _now
) -> RemindersSent:
    """Queue the reminders due on `as_of` in the outbox (each key once) and mark each queued
    instalment reminded; safe to repeat."""
    planned = plan_instalment_reminders(uow, creditor, as_of)
    if not planned.due:
        return RemindersSent(planned, already_queued=planned.already_sent)
    with uow:
        has_brand = uow.brands.find(creditor) is not None
    if not has_brand:
        return RemindersSent(
            planned,
            already_queued=planned.already_sent,
            problem=f"creditor {creditor} has no brand yet (set one with `arrears brand set`)",
        )
    report = enqueue_actions(uow, creditor, [r.action for r in planned.due], now=now())
    queued = set(report.queued)
    done = [r for r in planned.due if r.key in queued or r.key in report.already_queued]
    if done:
        with uow:
            uow.creditors.lock(creditor)
            for reminder in done:
                uow.deals.mark_reminded(creditor, reminder.plan, reminder.instalment, as_of)
            uow.commit()
    return RemindersSent(
        planned,
        tuple(r.key for r in planned.due if r.key in queued),
        planned.already_sent + tuple(report.already_queued),
        report.refused,
    )


def _no_contact(uow: UnitOfWork, creditor: str, held: StoredPlan, as_of: date) -> str:
    """Why the plan's debtor must not be reminded, or '' when it may."""
    plan = held.plan
    flags = uow.debtors.get(creditor, plan.debtor).flags
    for flag, reason in _NO_CONTACT_FLAGS.items():
        if flag in flags:
            return f"debtor {plan.debtor} is {reason}"
    for hold in uow.holds.in_force(creditor, as_of, debtor=plan.debtor):
        if hold.reason in (HoldReason.DO_NOT_CONTACT, HoldReason.INSOLVENCY) and (
            hold.covers_whole_debtor or hold.documents & set(plan.documents)
        ):
            return f"debtor {plan.debtor} is held: {hold.describe()}"
    return ""


def _reminder(held: StoredPlan, status: PlanStatus, as_of: date) -> DueReminder:
    plan = held.plan
    instalment = status.next_instalment
    assert instalment is not None
    count = len(plan.instalments)
    details = PlanDetails(
        tuple(MessageInstalment(i.due_on, i.amount) for i in plan.instalments),
        plan.documents,
        plan.reference,
        reminding=instalment.number,
        paid=status.paid,
    )
    action = OutboundAction(
        creditor=plan.creditor,
        debtor=plan.debtor,
        step=REMINDER_STEP,
        channel=Channel.EMAIL,
        template=REMINDER_TEMPLATE,
        documents=plan.documents,
        idempotency_key=reminder_key(plan.reference, instalment.number),
        reason=(
            f"payment plan {plan.reference}: instalment {instalment.number} of {count}, "
            f"{status.next_instalment_outstanding} due {instalment.due_on.isoformat()}; reminded "
            f"{plan.reminder_days_before} days before"
        ),
        planned_on=as_of,
        details=details,
    )
    return DueReminder(
        plan.reference,
        plan.debtor,
        instalment.number,
        count,
        instalment.due_on,
        status.next_instalment_outstanding,
        action,
    )
