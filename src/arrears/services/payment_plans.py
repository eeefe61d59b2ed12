"""Agree a payment plan with a debtor; the creditor approves or rejects one outside its rules.

A plan covers open invoices of one debtor (all of them in the debtor's currency, unless some are
named) in weekly, fortnightly or monthly instalments. Inside the creditor's `PlanRules` it is
accepted at once and the debtor gets a confirmation (`payment_plan_confirmation`); outside them
it waits for the SME's approval (`approve_payment_plan`), holding the documents until its first
instalment date, and the confirmation goes when it is approved. The review
(`arrears.services.deal_review`) records its standing, the reminders before each instalment, and
a default (an instalment still unpaid after its grace) that ends the hold: the ladder resumes.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from arrears.comms.message import Instalment as MessageInstalment
from arrears.comms.message import PlanDetails
from arrears.core.deal_rules import Decision
from arrears.core.errors import ArrearsError
from arrears.core.instalments import Frequency
from arrears.core.ledger import Document
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan, PlanStatus, approve_plan, propose_plan
from arrears.services.deal_book import check_no_live_deal, judge_plans
from arrears.services.deal_confirmations import Confirmation, send_confirmation
from arrears.services.deal_rules import rules_in_force
from arrears.store.unit_of_work import UnitOfWork


class PlanRefused(ArrearsError, ValueError):
    """A plan that cannot be agreed or decided as asked."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PlanAgreed:
    """A plan as recorded: accepted under the rules, or awaiting the creditor (`decision` says
    which rules it is outside), and its confirmation."""

    plan: PaymentPlan
    decision: Decision
    confirmation: Confirmation | None


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: PaymentPlan
    recorded_state: str
    status: PlanStatus | None  # None for a rejected plan


def plan_documents(
    uow: UnitOfWork, creditor: str, debtor: str, numbers: Iterable[str] | None
) -> list[Document]:
    """The invoices a deal covers: those named (each open, of the debtor), or all the debtor's
    open invoices in its currency, oldest due first. Call inside a unit of work."""
    account = uow.debtors.get(creditor, debtor)
    if numbers is None:
        found = [
            d
            for d in uow.documents.list_open(creditor, debtor=debtor)
            if d.is_invoice and d.currency == account.currency
        ]
        if not found:
            raise PlanRefused(f"account {debtor} has no open invoices in {account.currency}")
        return sorted(found, key=lambda d: (d.due_date, d.number))
    documents = []
    for number in dict.fromkeys(numbers):
        document = uow.documents.get(creditor, number)
        if document.debtor != debtor:
            raise PlanRefused(f"invoice {number} is on account {document.debtor}, not {debtor}")
        documents.append(document)
    return documents


def propose_payment_plan(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    *,
    instalments: int,
    frequency: Frequency,
    first_due_on: date,
    agreed_on: date,
    by: str,
    documents: Iterable[str] | None = None,
    first_payment: Money | None = None,
    reference: str | None = None,
    confirm: bool = True,
    now: Callable[[], datetime] = _now,
) -> PlanAgreed:
    """Record a plan for the debtor's open invoices (see the module docstring)."""
    with uow:
        uow.creditors.lock(creditor)
        covered = plan_documents(uow, creditor, debtor, documents)
        check_no_live_deal(uow, creditor, debtor, [d.number for d in covered], agreed_on, what="payment plan")
        proposal = propose_plan(
            reference or uow.deals.next_reference(creditor, "plan"),
            covered,
            frequency=Frequency(frequency),
            instalments=instalments,
            first_due_on=first_due_on,
            agreed_on=agreed_on,
            rules=rules_in_force(uow, creditor),
            first_payment=first_payment,
        )
        state = "good_standing" if proposal.decision.accepted else "awaiting_approval"
        uow.deals.add_plan(
            creditor, proposal.plan, state=state, decision=proposal.decision.describe(), by=by, at=now()
        )
        uow.commit()
    confirmation = None
    if confirm and proposal.decision.accepted:
        confirmation = _confirm(uow, creditor, proposal.plan, agreed_on, now)
    return PlanAgreed(proposal.plan, proposal.decision, confirmation)


def approve_payment_plan(
    uow: UnitOfWork,
    creditor: str,
    reference: str,
    *,
    by: str,
    on: date,
    confirm: bool = True,
    now: Callable[[], datetime] = _now,
) -> PlanAgreed:
    """The creditor's user `by` approves a plan that was outside its rules; the debtor is sent
    the confirmation."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.deals.plan(creditor, reference)
        if stored.state != "awaiting_approval":
            raise PlanRefused(
                f"payment plan {reference} is {stored.state.replace('_', ' ')}, not awaiting approval"
            )
        plan = approve_plan(stored.plan, by)
        uow.deals.set_plan_state(creditor, reference, "good_standing", on, approved_by=by)
        uow.commit()
    confirmation = _confirm(uow, creditor, plan, on, now) if confirm else None
    return PlanAgreed(plan, Decision(), confirmation)


def reject_payment_plan(uow: UnitOfWork, creditor: str, reference: str, *, by: str, on: date) -> PaymentPlan:
    """The creditor refuses a plan awaiting its approval: its hold ends and the ladder resumes."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.deals.plan(creditor, reference)
        if stored.state != "awaiting_approval":
            raise PlanRefused(
                f"payment plan {reference} is {stored.state.replace('_', ' ')}, not awaiting approval"
            )
        uow.deals.set_plan_state(creditor, reference, "rejected", on)
        uow.commit()
    return replace(stored.plan, approved_by=None)


def list_payment_plans(
    uow: UnitOfWork, creditor: str, as_of: date, *, debtor: str | None = None
) -> list[PlanView]:
    """The creditor's plans (one debtor's with `debtor`), each with its standing as of `as_of`."""
    with uow:
        stored = uow.deals.plans(creditor, debtor=debtor)
        live = [s for s in stored if s.state != "rejected"]
        judged = {s.plan.reference: status for s, status in judge_plans(uow, creditor, live, as_of)}
    return [PlanView(s.plan, s.state, judged.get(s.plan.reference)) for s in stored]


def _confirm(
    uow: UnitOfWork, creditor: str, plan: PaymentPlan, on: date, now: Callable[[], datetime]
) -> Confirmation:
    return send_confirmation(
        uow,
        creditor,
        debtor=plan.debtor,
        template="payment_plan_confirmation",
        key=f"plan-confirmation:{plan.reference}",
        documents=plan.documents,
        details=PlanDetails(
            tuple(MessageInstalment(i.due_on, i.amount) for i in plan.instalments),
            plan.documents,
            plan.reference,
        ),
        on=on,
        reason=f"payment plan {plan.reference} agreed on {plan.agreed_on.isoformat()}",
        now=now,
    )
