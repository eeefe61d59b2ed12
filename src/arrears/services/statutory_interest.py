"""Statutory interest and fixed compensation a creditor may claim from a debtor, invoice by
invoice, as of a day (`arrears interest DEBTOR`).

For each open invoice past its due date (`arrears.core.interest.statutory_interest`):

- **principal**: the invoice's amount less what reduced it on or before its due date (cash,
  credit notes, write-offs); what reduced it later counts as part payments from the day after;
- **regime**: the UK Late Payment Act for a creditor in the UK, Directive 2011/7/EU for one in
  the euro area (or the regime asked for); a contractual rate replaces the statutory rate;
- **payment plans**: while an approved plan that freezes interest holds the invoice (good
  standing, due, missed in grace), no interest runs; the frozen days are taken out of the claim
  exactly (the periods' unrounded interest over the days left, rounded once), and interest runs
  again from the day the plan defaults;
- an invoice the law does not cover (a consumer debtor, a foreign currency without its sterling
  value) is listed with the reason and no claim.

Whether a letter shows the claim is the policy's decision (from which step interest is claimed);
this service says what the claim is.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.core.errors import ArrearsError
from arrears.core.interest import InterestClaim, InterestPeriod, PartPayment, Regime, statutory_interest
from arrears.core.ledger import Allocation, Debtor, Document
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan, PlanState, plan_status
from arrears.store.unit_of_work import UnitOfWork

EURO_AREA = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PT",
        "SI",
        "SK",
    }
)
"""Countries that use the euro (Bulgaria from 1 January 2026), whose creditors claim under the Directive."""

_HOLDING = frozenset({PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE, PlanState.MISSED})


class InterestRefused(ArrearsError, ValueError):
    """Interest that cannot be worked out as asked."""


@dataclass(frozen=True, slots=True)
class InvoiceInterest:
    """The claim on one invoice: interest (frozen days taken out) and compensation, or the
    reason there is none (`not_claimable`)."""

    document: Document
    principal: Money
    interest: Money
    compensation: Money | None
    daily_interest: Money
    frozen: tuple[tuple[date, date], ...]
    basis: str
    claim: InterestClaim | None
    not_claimable: str = ""


@dataclass(frozen=True, slots=True)
class DebtorInterest:
    debtor: Debtor
    as_of: date
    regime: Regime
    invoices: tuple[InvoiceInterest, ...]

    def totals(self) -> dict[str, Money]:
        """Interest and compensation added up per currency."""
        found: dict[str, Money] = {}
        for item in self.invoices:
            for amount in (item.interest, item.compensation):
                if amount is not None and amount.is_positive:
                    found[amount.currency] = found.get(amount.currency, Money.zero(amount.currency)) + amount
        return dict(sorted(found.items()))


def regime_for(country: str) -> Regime:
    """The statutory regime of a creditor's country: the UK Act, or the Directive in the euro area."""
    if country.upper() == "GB":
        return Regime.UK_LATE_PAYMENT
    if country.upper() in EURO_AREA:
        return Regime.EU_DIRECTIVE
    raise InterestRefused(
        f"no statutory late-payment regime is known for a creditor in {country}; "
        "name one (uk or eu) or give the contractual rate"
    )


def interest_claims(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    as_of: date,
    *,
    regime: Regime | None = None,
    contractual_rate: Decimal | None = None,
) -> DebtorInterest:
    """What the creditor may claim from `debtor` as of `as_of`, per open overdue invoice."""
    with uow:
        account = uow.debtors.get(creditor, debtor)
        chosen = regime or regime_for(uow.creditors.get(creditor).country)
        return interest_claims_in(
            uow, creditor, account, as_of, regime=chosen, contractual_rate=contractual_rate
        )


def interest_claims_in(
    uow: UnitOfWork,
    creditor: str,
    account: Debtor,
    as_of: date,
    *,
    regime: Regime,
    contractual_rate: Decimal | None = None,
    documents: Collection[str] | None = None,
) -> DebtorInterest:
    """`interest_claims` inside a unit of work the caller opened (the outbox reads the claims a
    letter prints in the same read as the rest of what it renders); `documents` limits it to
    some invoice numbers."""
    debtor = account.account_code
    chosen = regime
    invoices = sorted(
        (
            d
            for d in uow.documents.list_for_debtor(creditor, debtor)
            if d.is_invoice
            and d.is_open
            and d.due_date < as_of
            and (documents is None or d.number in documents)
        ),
        key=lambda d: (d.due_date, d.number),
    )
    plans = [
        stored.plan
        for stored in uow.deals.plans(creditor, debtor=debtor)
        if stored.state != "rejected" and stored.plan.interest_frozen and stored.plan.is_approved
    ]
    plan_allocations = uow.deals.allocations_for(
        creditor, documents={n for p in plans for n in p.documents}, since=None
    )
    results = []
    for invoice in invoices:
        reductions = [
            PartPayment(a.allocated_on, a.amount)
            for a in uow.payments.allocations(creditor, document=invoice.number)
        ]
        reductions += [
            PartPayment(w.on, w.amount)
            for w in uow.write_offs.list(creditor, document=invoice.number, states=("applied",))
        ]
        frozen = tuple(
            span
            for plan in plans
            if invoice.number in plan.documents
            for span in [_frozen_span(plan, plan_allocations, invoice, as_of)]
            if span is not None
        )
        results.append(_claim(invoice, reductions, as_of, chosen, contractual_rate, account, frozen))
    return DebtorInterest(account, as_of, chosen, tuple(results))


def _frozen_span(
    plan: PaymentPlan, allocations: Sequence[Allocation], invoice: Document, as_of: date
) -> tuple[date, date] | None:
    """The days an interest-frozen plan held `invoice`, up to `as_of` (None: none)."""
    toward = [a for a in allocations if a.document in plan.documents]
    status = plan_status(plan, toward, as_of)
    start = max(plan.agreed_on, invoice.due_date + timedelta(days=1))
    if status.state in _HOLDING:
        end = as_of
    elif status.state is PlanState.DEFAULTED and status.defaulted_on is not None:
        end = status.defaulted_on - timedelta(days=1)
    elif status.state is PlanState.COMPLETED and status.completed_on is not None:
        end = status.completed_on
    else:
        return None
    end = min(end, as_of)
    return (start, end) if start <= end else None


def _claim(
    invoice: Document,
    reductions: list[PartPayment],
    as_of: date,
    regime: Regime,
    contractual_rate: Decimal | None,
    debtor: Debtor,
    frozen: tuple[tuple[date, date], ...],
) -> InvoiceInterest:
    currency = invoice.currency
    zero = Money.zero(currency)
    early = Money.total((p.amount for p in reductions if p.received_on <= invoice.due_date), currency)
    principal = invoice.amount - early
    later = [p for p in reductions if p.received_on > invoice.due_date]
    try:
        claim = statutory_interest(
            principal,
            invoice.due_date,
            as_of,
            regime=regime,
            contractual_rate=contractual_rate,
            payments=later,
            debtor=debtor,
        )
    except ArrearsError as error:
        return InvoiceInterest(invoice, principal, zero, None, zero, frozen, "", None, str(error))
    if not frozen:
        return InvoiceInterest(
            invoice,
            principal,
            claim.interest,
            claim.compensation,
            claim.daily_interest,
            (),
            claim.basis,
            claim,
        )
    interest = Money.total(
        (_unfrozen_interest(period, frozen) for period in claim.periods), currency
    ).rounded()
    held_now = any(start <= as_of <= end for start, end in frozen)
    daily = zero if held_now else claim.daily_interest
    spans = "; ".join(f"{start.isoformat()} to {end.isoformat()}" for start, end in frozen)
    basis = f"{claim.basis} Interest was frozen under a payment plan {spans}; those days are not claimed: {interest.format()}."
    return InvoiceInterest(invoice, principal, interest, claim.compensation, daily, frozen, basis, claim)


def _unfrozen_interest(period: InterestPeriod, frozen: tuple[tuple[date, date], ...]) -> Money:
    """The period's unrounded interest over its days outside the frozen spans."""
    days = period.days
    for start, end in frozen:
        overlap = (min(end, period.end) - max(start, period.start)).days + 1
        days -= max(overlap, 0)
    if days <= 0:
        return Money.zero(period.principal.currency)
    return _scaled(period, days)


def _scaled(period: InterestPeriod, days: int) -> Money:
    """The period's interest for `days` of its days (unrounded, exact as the core computes it)."""
    kept = InterestPeriod(
        period.start,
        period.start + timedelta(days=days - 1),
        period.principal,
        period.rate,
        period.reference_rate,
        period.reference_date,
    )
    return kept.interest
