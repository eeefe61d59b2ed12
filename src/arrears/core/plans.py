"""Payment plans: a debt paid in instalments, weekly, fortnightly or monthly.

**Schedule** (`arrears.core.instalments.instalment_schedule`): the debt in equal instalments
that add up to it exactly, the rounding remainder on the last; a first payment may be larger.

**Rules** (`decide_plan`): inside the creditor's `PlanRules` a plan is accepted at once
(`approved_by` is `APPROVED_BY_RULES`); outside them it needs the SME's approval, and the
decision names every limit it goes beyond.

**Standing** (`plan_status`), from the money that reached the plan's documents since the day it
was agreed. Every allocation counts, cash or credit note: a credit note makes the debt smaller,
so it brings the end of the plan nearer. Money counts toward instalments in order, so paying
ahead covers later ones. As of a day the plan is:

- **good standing**: every instalment due so far is paid; the next one is not yet due;
- **instalment due**: the next instalment falls due today;
- **missed**: an instalment date passed unpaid, but its grace has not ended;
- **defaulted**: an instalment was still unpaid when its grace ended; the plan is over, the
  hold lifts and the ladder resumes where the documents' age puts them (a late payment does not
  revive the plan);
- **completed**: the whole plan is paid.

A plan in good standing, due or missed in grace **holds** its documents (reason
`payment_plan`) until the end of the grace of the next instalment: if nothing more arrives the
hold ends when the plan defaults, even if no one re-evaluates it. A plan that awaits the
creditor's approval holds them (reason `awaiting_approval`) until its first instalment date.

**Interest**: when the rules freeze interest, no statutory interest runs on a plan's documents
on a day the plan holds them (`interest_runs_on`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN
from enum import StrEnum

from arrears.core.deal_rules import (
    APPROVED_BY_RULES,
    DEFAULT_INSTALMENT_GRACE_DAYS,
    DealRules,
    Decision,
    RuleBreach,
    at_least_percent,
    paid_by,
    percent_text,
    reached_on,
    receipts_toward,
    share_percent,
)
from arrears.core.holds import Hold, HoldReason
from arrears.core.instalments import Frequency, Instalment, PlanError, instalment_schedule
from arrears.core.ledger import Allocation, Document
from arrears.core.money import Money


class PlanState(StrEnum):
    GOOD_STANDING = "good_standing"
    INSTALMENT_DUE = "instalment_due"
    MISSED = "missed"  # an instalment date passed unpaid, still within its grace
    DEFAULTED = "defaulted"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


HOLDING_STATES = frozenset({PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE, PlanState.MISSED})
"""States in which a plan holds its documents from the ladder."""


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """A debtor's plan to pay `documents` in `instalments`, agreed on `agreed_on`.

    `approved_by` is who accepted it: `APPROVED_BY_RULES` inside the creditor's rules, a person
    when the creditor approved it, None while it awaits approval.
    """

    reference: str
    creditor: str
    debtor: str
    documents: tuple[str, ...]
    frequency: Frequency
    instalments: tuple[Instalment, ...]
    agreed_on: date
    interest_frozen: bool = True
    grace_days: int = DEFAULT_INSTALMENT_GRACE_DAYS
    reminder_days_before: int = 3
    approved_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "frequency", Frequency(self.frequency))
        object.__setattr__(self, "documents", tuple(self.documents))
        object.__setattr__(self, "instalments", tuple(self.instalments))
        label = f"payment plan {self.reference or '(no reference)'} for {self.debtor}"
        if not self.reference.strip():
            raise PlanError(f"{label}: a plan needs a reference")
        if not self.documents:
            raise PlanError(f"{label}: a plan covers at least one document")
        if len(set(self.documents)) != len(self.documents):
            raise PlanError(f"{label}: a document is listed twice")
        if not self.instalments:
            raise PlanError(f"{label}: a plan needs at least one instalment")
        currency = self.instalments[0].amount.currency
        previous: date | None = None
        for index, instalment in enumerate(self.instalments, 1):
            where = f"{label}, instalment {instalment.number}"
            if instalment.number != index:
                raise PlanError(
                    f"{where}: instalments are numbered 1, 2, ... in order; this is number {index}"
                )
            if instalment.amount.currency != currency:
                raise PlanError(f"{where}: in {instalment.amount.currency}, the plan in {currency}")
            if not instalment.amount.is_positive or not instalment.amount.is_whole_minor_units():
                raise PlanError(
                    f"{where}: amount {instalment.amount.amount} must be positive, in whole minor units"
                )
            if previous is not None and instalment.due_on <= previous:
                raise PlanError(
                    f"{where}: due {instalment.due_on.isoformat()}, not after the instalment before"
                )
            previous = instalment.due_on
        if self.instalments[0].due_on < self.agreed_on:
            raise PlanError(
                f"{label}: the first instalment is due {self.instalments[0].due_on.isoformat()}, "
                f"before the plan was agreed on {self.agreed_on.isoformat()}"
            )
        for value, what in (
            (self.grace_days, "grace_days"),
            (self.reminder_days_before, "reminder_days_before"),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PlanError(f"{label}: {what} is {value!r}; it must be a whole number, zero or more")
        if self.approved_by is not None and not self.approved_by.strip():
            raise PlanError(f"{label}: approved_by is empty; name who approved it, or leave it None")

    @property
    def currency(self) -> str:
        return self.instalments[0].amount.currency

    @property
    def total(self) -> Money:
        return Money.total((i.amount for i in self.instalments), self.currency)

    @property
    def first_due_on(self) -> date:
        return self.instalments[0].due_on

    @property
    def last_due_on(self) -> date:
        return self.instalments[-1].due_on

    @property
    def is_approved(self) -> bool:
        return self.approved_by is not None

    def due_by(self, day: date) -> Money:
        """What the schedule asks for on or before `day`."""
        return Money.total((i.amount for i in self.instalments if i.due_on <= day), self.currency)


@dataclass(frozen=True, slots=True)
class PlanProposal:
    """A plan as proposed, and what the creditor's rules say about it."""

    plan: PaymentPlan
    decision: Decision


def decide_plan(plan: PaymentPlan, rules: DealRules) -> Decision:
    """Check a plan against the creditor's `PlanRules`: number of instalments, term (from the day
    it is agreed to the last instalment), first payment as a share of the debt, smallest
    instalment. Each limit passed is one breach naming the limit and the plan's figure."""
    limits = rules.plans
    breaches: list[RuleBreach] = []
    currency = rules.currency_breach(plan.total, f"plan {plan.reference}")
    count = len(plan.instalments)
    if limits.max_instalments is not None and count > limits.max_instalments:
        breaches.append(
            RuleBreach(
                "max_instalments",
                str(limits.max_instalments),
                str(count),
                f"{count} instalments is more than the {limits.max_instalments} the creditor allows",
            )
        )
    term = (plan.last_due_on - plan.agreed_on).days
    if limits.max_term_days is not None and term > limits.max_term_days:
        breaches.append(
            RuleBreach(
                "max_term_days",
                f"{limits.max_term_days} days",
                f"{term} days",
                f"the last instalment is {term} days after the plan was agreed, more than the "
                f"{limits.max_term_days} days the creditor allows",
            )
        )
    first = plan.instalments[0].amount
    if not at_least_percent(first, plan.total, limits.min_first_payment_percent):
        share = percent_text(share_percent(first, plan.total, ROUND_DOWN))
        breaches.append(
            RuleBreach(
                "min_first_payment_percent",
                percent_text(limits.min_first_payment_percent),
                share,
                f"the first payment of {first} is {share} of "
                f"{plan.total}, less than the {percent_text(limits.min_first_payment_percent)} the creditor asks",
            )
        )
    if currency is not None:
        breaches.append(currency)
    elif limits.min_instalment is not None:
        smallest = min(i.amount for i in plan.instalments)
        if smallest < limits.min_instalment:
            breaches.append(
                RuleBreach(
                    "min_instalment",
                    str(limits.min_instalment),
                    str(smallest),
                    f"an instalment of {smallest} is less than the {limits.min_instalment} the creditor accepts",
                )
            )
    return Decision(tuple(breaches))


def propose_plan(
    reference: str,
    documents: Sequence[Document],
    *,
    frequency: Frequency,
    instalments: int,
    first_due_on: date,
    agreed_on: date,
    rules: DealRules,
    first_payment: Money | None = None,
) -> PlanProposal:
    """A plan for the open amounts of `documents` (invoices of one debtor), checked against the
    creditor's rules: accepted at once (`approved_by` = `APPROVED_BY_RULES`) or awaiting approval.

    The plan takes the rules' grace, reminder days and interest freeze.
    """
    if not documents:
        raise PlanError(f"payment plan {reference}: name the documents it pays")
    first_document = documents[0]
    for document in documents:
        label = f"payment plan {reference}, document {document.number}"
        if not document.is_invoice:
            raise PlanError(f"{label}: a credit note; apply it to the invoices before planning what is left")
        if (document.creditor, document.debtor) != (first_document.creditor, first_document.debtor):
            raise PlanError(
                f"{label}: on account {document.debtor}, the plan on {first_document.debtor}; one plan, one debtor"
            )
        if document.currency != first_document.currency:
            raise PlanError(f"{label}: in {document.currency}, the plan in {first_document.currency}")
        if not document.is_open:
            raise PlanError(f"{label}: nothing is open on it ({document.status.value.replace('_', ' ')})")
    total = Money.total((d.open_amount for d in documents), first_document.currency)
    schedule = instalment_schedule(total, instalments, frequency, first_due_on, first_payment=first_payment)
    plan = PaymentPlan(
        reference=reference,
        creditor=first_document.creditor,
        debtor=first_document.debtor,
        documents=tuple(d.number for d in documents),
        frequency=frequency,
        instalments=schedule,
        agreed_on=agreed_on,
        interest_frozen=rules.plans.interest_frozen,
        grace_days=rules.plans.grace_days,
        reminder_days_before=rules.plans.reminder_days_before,
    )
    decision = decide_plan(plan, rules)
    if decision.accepted:
        plan = replace(plan, approved_by=APPROVED_BY_RULES)
    return PlanProposal(plan, decision)


def approve_plan(plan: PaymentPlan, by: str) -> PaymentPlan:
    """The plan as approved by the creditor's user `by`."""
    if not by.strip():
        raise PlanError(f"payment plan {plan.reference}: name who approves it")
    return replace(plan, approved_by=by)


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """Where a plan stands on `as_of`.

    - `paid`: money that reached the plan's documents since it was agreed, up to `as_of`;
    - `next_instalment`: the first instalment not fully covered (None when completed);
    - `next_instalment_outstanding`: what is still to pay on it;
    - `behind`: what instalments due before `as_of` ask for beyond what was paid (due today
      is not behind yet);
    - `defaulted_on`: the day after the grace of the instalment that defaulted the plan;
    - `completed_on`: the day the money reached the plan's total;
    - `hold`: the plan's hold on its documents, or None when it holds nothing.
    """

    plan: PaymentPlan
    state: PlanState
    as_of: date
    paid: Money
    next_instalment: Instalment | None
    next_instalment_outstanding: Money
    behind: Money
    defaulted_on: date | None
    completed_on: date | None
    hold: Hold | None

    @property
    def holds_documents(self) -> bool:
        return self.state in HOLDING_STATES

    def describe(self) -> str:
        """'payment plan PP-1: missed; instalment 2 of 4 due 2026-04-01, 250.00 GBP behind'."""
        head = f"payment plan {self.plan.reference}: {self.state.label}"
        if self.state is PlanState.COMPLETED and self.completed_on is not None:
            return f"{head} on {self.completed_on.isoformat()}"
        if self.state is PlanState.DEFAULTED and self.defaulted_on is not None:
            return f"{head} on {self.defaulted_on.isoformat()}, {self.behind} behind"
        assert self.next_instalment is not None
        text = (
            f"{head}; instalment {self.next_instalment.number} of {len(self.plan.instalments)} "
            f"due {self.next_instalment.due_on.isoformat()}, {self.next_instalment_outstanding} to pay"
        )
        return f"{text}, {self.behind} behind" if self.behind.is_positive else text


def plan_status(
    plan: PaymentPlan,
    allocations: Iterable[Allocation],
    as_of: date,
    *,
    grace_days: int | None = None,
) -> PlanStatus:
    """The plan's standing as of `as_of`, from the allocations to its documents (see module doc).

    `grace_days` overrides the plan's own grace. Instalments are covered in order by the money
    paid; an instalment defaults the plan when what was paid by the end of its grace does not
    reach the schedule's running total up to and including it.
    """
    grace = timedelta(days=plan.grace_days if grace_days is None else grace_days)
    currency = plan.currency
    receipts = receipts_toward(
        allocations,
        set(plan.documents),
        currency=currency,
        since=plan.agreed_on,
        until=as_of,
        cash_only=False,
    )
    paid = paid_by(receipts, as_of, currency)
    zero = Money.zero(currency)
    behind = plan.due_by(as_of - timedelta(days=1)) - paid
    behind = behind if behind.is_positive else zero

    completed_on = reached_on(receipts, plan.total)
    due_so_far = zero
    for instalment in plan.instalments:
        due_so_far = due_so_far + instalment.amount
        grace_ends = instalment.due_on + grace
        if grace_ends >= as_of:
            break
        if completed_on is not None and completed_on <= grace_ends:
            break
        if paid_by(receipts, grace_ends, currency) < due_so_far:
            defaulted_on = grace_ends + timedelta(days=1)
            return PlanStatus(
                plan, PlanState.DEFAULTED, as_of, paid, None, zero, behind, defaulted_on, None, None
            )
    if completed_on is not None:
        return PlanStatus(plan, PlanState.COMPLETED, as_of, paid, None, zero, zero, None, completed_on, None)

    covered = zero
    for instalment in plan.instalments:
        covered = covered + instalment.amount
        if covered > paid:
            outstanding = instalment.amount.min(covered - paid)
            if as_of < instalment.due_on:
                state = PlanState.GOOD_STANDING
            elif as_of == instalment.due_on:
                state = PlanState.INSTALMENT_DUE
            else:
                state = PlanState.MISSED
            return PlanStatus(
                plan,
                state,
                as_of,
                paid,
                instalment,
                outstanding,
                behind,
                None,
                None,
                _plan_hold(plan, instalment, grace),
            )
    raise AssertionError("unreachable: a plan not completed has an instalment not covered")


def _plan_hold(plan: PaymentPlan, instalment: Instalment, grace: timedelta) -> Hold:
    if plan.approved_by is None:
        return Hold(
            HoldReason.AWAITING_APPROVAL,
            plan.debtor,
            frozenset(plan.documents),
            starts_on=plan.agreed_on,
            ends_on=plan.first_due_on,
            note=f"payment plan {plan.reference} awaits the creditor's approval",
        )
    return Hold(
        HoldReason.PAYMENT_PLAN,
        plan.debtor,
        frozenset(plan.documents),
        starts_on=plan.agreed_on,
        ends_on=instalment.due_on + grace,
        note=f"payment plan {plan.reference}: instalment {instalment.number} of {instalment.amount} "
        f"due {instalment.due_on.isoformat()}",
    )


@dataclass(frozen=True, slots=True)
class InstalmentReminder:
    """A reminder that an instalment falls due, sent `days_before` it (or later, up to the day,
    when a cycle missed the exact day). `key` identifies it, so that it is sent once."""

    plan: str
    debtor: str
    instalment: Instalment
    amount_to_pay: Money

    @property
    def key(self) -> str:
        return f"plan-reminder:{self.plan}:{self.instalment.number}"


def instalment_reminder(
    plan: PaymentPlan,
    allocations: Iterable[Allocation],
    as_of: date,
) -> InstalmentReminder | None:
    """The reminder due on `as_of`, if any: the next instalment falls due within the plan's
    `reminder_days_before` days, is not yet paid, and the plan is approved and in good standing
    (or due today). The caller sends each `key` once."""
    if plan.approved_by is None:
        return None
    status = plan_status(plan, allocations, as_of)
    if status.state not in (PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE):
        return None
    instalment = status.next_instalment
    if instalment is None or as_of < instalment.due_on - timedelta(days=plan.reminder_days_before):
        return None
    return InstalmentReminder(plan.reference, plan.debtor, instalment, status.next_instalment_outstanding)


def interest_runs_on(
    document: Document,
    day: date,
    plans: Iterable[PaymentPlan],
    allocations: Sequence[Allocation],
) -> bool:
    """Whether statutory interest runs on `document` on `day`.

    It runs on a day after the due date while something is open, unless an approved plan with
    interest frozen covers the document and holds it that day (good standing, due, or missed in
    grace; `plan_status` as of `day`). Once a plan defaults, interest runs again from the day it
    defaulted; the days it was frozen are not claimed back.
    """
    if not document.is_invoice or day <= document.due_date or not document.open_amount.is_positive:
        return False
    for plan in plans:
        if (
            plan.interest_frozen
            and plan.approved_by is not None
            and document.number in plan.documents
            and plan.creditor == document.creditor
            and plan.debtor == document.debtor
            and plan.agreed_on <= day
            and plan_status(plan, allocations, day).holds_documents
        ):
            return False
    return True
