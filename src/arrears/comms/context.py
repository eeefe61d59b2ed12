"""The context every template receives (documented in docs/comms.md).

Built from plain values (creditor, debtor, documents, brand, the day), so rendering needs no
store. Amounts stay `Money` and dates stay `date`; templates format them with the `money`,
`long_date` and `short_date` filters in the message's locale, so amounts are exact and written
as the debtor's locale writes them.

Statutory interest is claimed only on a step the creditor's policy says claims it
(`Policy.claims_interest`: from `claim_interest_from` onward), and only from business debtors
(the Late Payment Act and Directive 2011/7/EU do not cover consumers). The outbox passes the
claims `arrears.services.statutory_interest` works out from the store (part payments, credit
notes and write-offs as reductions, days a payment plan froze interest left out); without them
(a preview, a test) interest is computed here on each overdue document's open amount from the
day after its due date, which can only understate. Either way the regime is the creditor's: UK
for a GB creditor's sterling invoices, the EU Directive for euro invoices; the policy's
contractual rate replaces the statutory one. Documents in other currencies carry no figure.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from arrears.comms.brand import Brand, PaymentDetails, Presenter
from arrears.comms.message import (
    Details,
    DisputeDetails,
    Instalment,
    OutboundAction,
    PlanDetails,
    PromiseDetails,
)
from arrears.comms.templates import TemplateSpec
from arrears.core.actions import describe_age
from arrears.core.errors import ArrearsError
from arrears.core.interest import InterestClaim, Regime, statutory_interest
from arrears.core.ledger import Creditor, Debtor, DebtorFlag, Document
from arrears.core.money import Money
from arrears.core.policy import Policy
from arrears.policies import default_uk
from arrears.services.statutory_interest import EURO_AREA


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One document as templates show it. `days_past_due` is negative before the due date."""

    number: str
    kind: str  # "invoice" or "credit note"
    issue_date: date
    due_date: date
    amount: Money
    open_amount: Money
    days_past_due: int
    overdue: bool
    age: str  # "due in 7 days", "due today", "31 days past due"
    reference: str | None
    po_number: str | None


@dataclass(frozen=True, slots=True)
class Totals:
    """Open amounts of some documents in one currency: all, overdue, not yet due."""

    currency: str
    open: Money
    overdue: Money
    not_due: Money
    count: int


@dataclass(frozen=True, slots=True)
class DebtorView:
    account_code: str
    name: str
    contact_name: str | None
    email: str | None
    phone: str | None
    address_lines: tuple[str, ...]
    individual: bool
    key_account: bool


@dataclass(frozen=True, slots=True)
class InterestLine:
    """The claim on one document: `principal` the amount interest runs on (the open amount, or
    the amount unpaid when it fell due when part payments are known), `days` late."""

    number: str
    days: int
    principal: Money
    rate: Decimal | None
    interest: Money
    compensation: Money
    basis: str


@dataclass(frozen=True, slots=True)
class InterestView:
    """Interest and compensation claimed on the overdue documents of the message, as of its day.

    `interest` and `compensation` are the lines' sums (each line rounded once, as the claim on
    each invoice is); `principal` is what is open on those documents and `total_claim` that plus
    interest and compensation (compensation counts only when in the documents' currency: the UK
    Act's sum is in pounds). `contractual`: the creditor's contractual rate replaces the
    statutory one. `claimed` is always True (kept for templates written when a brand could
    choose to only mention interest).
    """

    regime: str
    law: str
    rate: Decimal | None
    lines: tuple[InterestLine, ...]
    interest: Money
    compensation: Money
    daily: Money
    principal: Money
    total_claim: Money
    claimed: bool = True
    contractual: bool = False


class ClaimedInvoice(Protocol):
    """One invoice's claim as `arrears.services.statutory_interest.InvoiceInterest` gives it."""

    @property
    def document(self) -> Document: ...
    @property
    def interest(self) -> Money: ...
    @property
    def compensation(self) -> Money | None: ...
    @property
    def daily_interest(self) -> Money: ...
    @property
    def basis(self) -> str: ...
    @property
    def claim(self) -> InterestClaim | None: ...


@dataclass(frozen=True, slots=True)
class InstalmentView:
    """The instalment an instalment reminder is about, and where the plan stands.

    `to_pay` is what is still to pay on it (less than `amount` when money paid ahead covers part
    of it); `left` is what the plan still asks for, this instalment included; `left_after` what
    it will ask for once this one is paid; `covered_ahead` what earlier payments already cover
    of this one; `later` the instalments after it."""

    number: int
    count: int
    due_on: date
    amount: Money
    to_pay: Money
    covered_ahead: Money
    paid: Money
    left: Money
    left_after: Money
    later: tuple[Instalment, ...]


@dataclass(frozen=True, slots=True)
class PaymentView:
    account_name: str | None
    iban: str | None
    bic: str | None
    sort_code: str | None
    account_number: str | None
    link: str | None
    reference: str  # what the debtor should quote with the payment


_LAW = {
    Regime.UK_LATE_PAYMENT: "the Late Payment of Commercial Debts (Interest) Act 1998",
    Regime.EU_DIRECTIVE: "Directive 2011/7/EU on combating late payment in commercial transactions",
}


def document_line(document: Document, as_of: date) -> DocumentLine:
    days = document.days_past_due(as_of)
    return DocumentLine(
        number=document.number,
        kind=document.kind.value.replace("_", " "),
        issue_date=document.issue_date,
        due_date=document.due_date,
        amount=document.amount,
        open_amount=document.open_amount,
        days_past_due=days,
        overdue=days > 0,
        age=describe_age(days),
        reference=document.external_reference,
        po_number=document.po_number,
    )


def totals_of(documents: Sequence[Document], as_of: date) -> tuple[Totals, ...]:
    """Totals per currency (in order of first appearance); credit notes reduce them."""
    by_currency: dict[str, list[Document]] = {}
    for document in documents:
        by_currency.setdefault(document.currency, []).append(document)
    result = []
    for currency, found in by_currency.items():
        signed = [(document, document.signed_open_amount) for document in found]
        open_total = Money.total((amount for _, amount in signed), currency)
        overdue = Money.total(
            (
                amount
                for document, amount in signed
                if document.is_invoice and document.days_past_due(as_of) > 0
            ),
            currency,
        )
        result.append(Totals(currency, open_total, overdue, open_total - overdue, len(found)))
    return tuple(result)


def _regime(creditor: Creditor, currency: str) -> Regime | None:
    """The creditor's regime, as `arrears.services.statutory_interest.regime_for` chooses it,
    for the currencies it covers without a conversion (sterling under the UK Act, euros under
    the Directive)."""
    if currency == "GBP" and creditor.country == "GB":
        return Regime.UK_LATE_PAYMENT
    if currency == "EUR" and creditor.country in EURO_AREA:
        return Regime.EU_DIRECTIVE
    return None


def interest_view(
    creditor: Creditor,
    debtor: Debtor,
    documents: Sequence[Document],
    as_of: date,
    *,
    claims: Sequence[ClaimedInvoice] | None = None,
    contractual_rate: Decimal | None = None,
) -> InterestView | None:
    """Interest and compensation on the overdue invoices among `documents`, or None when none
    is claimable (a consumer, nothing overdue, mixed or uncovered currencies, no reference rate
    known for the dates).

    `claims` are the invoices' claims worked out from the store (they take precedence); without
    them each overdue invoice's open amount is charged from the day after its due date."""
    if DebtorFlag.INDIVIDUAL in debtor.flags:
        return None
    overdue = [d for d in documents if d.is_invoice and d.is_open and d.days_past_due(as_of) > 0]
    if not overdue:
        return None
    currency = overdue[0].currency
    if any(d.currency != currency for d in overdue):
        return None
    found: list[tuple[Document, InterestClaim, Money, Money]] = []
    if claims is not None:
        by_number = {item.document.number: item for item in claims}
        for document in overdue:
            item = by_number.get(document.number)
            if item is not None and item.claim is not None:
                found.append((document, item.claim, item.interest, item.daily_interest))
    else:
        regime = _regime(creditor, currency)
        if regime is None:
            return None
        try:
            for document in overdue:
                claim = statutory_interest(
                    document.open_amount,
                    document.due_date,
                    as_of,
                    regime=regime,
                    contractual_rate=contractual_rate,
                    debtor=debtor,
                )
                found.append((document, claim, claim.interest, claim.daily_interest))
        except ArrearsError:
            return None
    if not found:
        return None
    return _interest_totals(found, currency)


def _interest_totals(
    found: Sequence[tuple[Document, InterestClaim, Money, Money]], currency: str
) -> InterestView:
    regime = found[0][1].regime
    compensation_currency = "EUR" if regime is Regime.EU_DIRECTIVE else "GBP"
    lines = tuple(
        InterestLine(
            document.number,
            claim.days,
            claim.principal,
            claim.rate,
            interest,
            claim.compensation.rounded(),
            claim.basis,
        )
        for document, claim, interest, _ in found
    )
    interest = Money.total((line.interest for line in lines), currency)
    compensation = Money.total((line.compensation for line in lines), compensation_currency)
    principal = Money.total((document.open_amount for document, *_ in found), currency)
    total_claim = principal + interest
    if compensation.currency == currency:
        total_claim = total_claim + compensation
    daily = Money.total((daily for *_, daily in found), currency)
    contractual = any(claim.contractual for _, claim, _, _ in found)
    return InterestView(
        regime=regime.value,
        law="the contract" if contractual else _LAW[regime],
        rate=found[-1][1].rate,
        lines=lines,
        interest=interest,
        compensation=compensation,
        daily=daily.rounded(),
        principal=principal,
        total_claim=total_claim,
        contractual=contractual,
    )


def instalment_view(plan: PlanDetails) -> InstalmentView | None:
    """The instalment a reminder is about (`plan.reminding`), or None for a plan's confirmation."""
    if plan.reminding is None:
        return None
    if not 1 <= plan.reminding <= len(plan.instalments):
        raise ArrearsError(
            f"plan {plan.reference}: instalment {plan.reminding} is not one of its {len(plan.instalments)}"
        )
    total = plan.total
    paid = plan.paid if plan.paid is not None else Money.zero(total.currency)
    due = plan.instalments[plan.reminding - 1]
    through = Money.total((i.amount for i in plan.instalments[: plan.reminding]), total.currency)
    to_pay = due.amount.min(through - paid) if through > paid else Money.zero(total.currency)
    left = total - paid if total > paid else Money.zero(total.currency)
    return InstalmentView(
        number=plan.reminding,
        count=len(plan.instalments),
        due_on=due.due_on,
        amount=due.amount,
        to_pay=to_pay,
        covered_ahead=due.amount - to_pay,
        paid=paid,
        left=left,
        left_after=left - to_pay,
        later=plan.instalments[plan.reminding :],
    )


def debtor_view(debtor: Debtor) -> DebtorView:
    contact = debtor.primary_contact
    address = next((c.address for c in debtor.contacts if c.address is not None), None)
    return DebtorView(
        account_code=debtor.account_code,
        name=debtor.name,
        contact_name=contact.name if contact is not None and contact.name.strip() else None,
        email=contact.email if contact is not None else None,
        phone=contact.phone if contact is not None else None,
        address_lines=address.as_lines() if address is not None else (),
        individual=DebtorFlag.INDIVIDUAL in debtor.flags,
        key_account=DebtorFlag.KEY_ACCOUNT in debtor.flags,
    )


def payment_view(payment: PaymentDetails, documents: Sequence[Document], debtor: Debtor) -> PaymentView:
    reference = documents[0].number if len(documents) == 1 else debtor.account_code
    return PaymentView(
        account_name=payment.account_name,
        iban=payment.iban_formatted,
        bic=payment.bic,
        sort_code=payment.sort_code,
        account_number=payment.account_number,
        link=payment.payment_link,
        reference=reference,
    )


def locale_for(creditor: Creditor, language: str) -> str:
    """The creditor's locale when it speaks the template language (en_GB for English), else
    the language itself (Babel's default region for it)."""
    if creditor.locale.replace("-", "_").split("_")[0].lower() == language:
        return creditor.locale.replace("-", "_")
    return language


def _details(details: Details | None) -> dict[str, Any]:
    return {
        "promise": details if isinstance(details, PromiseDetails) else None,
        "plan": details if isinstance(details, PlanDetails) else None,
        "dispute": details if isinstance(details, DisputeDetails) else None,
    }


def message_context(
    *,
    action: OutboundAction,
    spec: TemplateSpec,
    creditor: Creditor,
    debtor: Debtor,
    documents: Sequence[Document],
    statement: Sequence[Document],
    brand: Brand,
    language: str,
    controller: str | None = None,
    policy: Policy | None = None,
    claims: Sequence[ClaimedInvoice] | None = None,
) -> dict[str, Any]:
    """The template context for one message (see docs/comms.md for each name).

    `policy` decides whether the action's step claims interest (None: the shipped UK ladder, as
    for a creditor that never set one); `claims` are the debtor's interest claims from the store."""
    as_of = action.planned_on
    locale = locale_for(creditor, language)
    lines = tuple(document_line(document, as_of) for document in documents)
    totals = totals_of(documents, as_of)
    statement_totals = totals_of(statement, as_of)
    presenter: Presenter = brand.presenter
    reply_by = as_of + timedelta(days=spec.response_days) if spec.response_days else None
    ladder = policy if policy is not None else _shipped_policy()
    interest = None
    if ladder.claims_interest(action.step):
        interest = interest_view(
            creditor,
            debtor,
            documents,
            as_of,
            claims=claims,
            contractual_rate=ladder.contractual_interest_rate,
        )
    details = _details(action.details)
    payment = payment_view(brand.payment, documents, debtor)
    instalment = instalment_view(details["plan"]) if details["plan"] is not None else None
    if instalment is not None and details["plan"].reference:
        payment = replace(payment, reference=details["plan"].reference)
    return {
        "creditor": {
            "code": creditor.code,
            "name": brand.trading_name,
            "legal_name": brand.display_legal_name,
        },
        "brand": brand,
        "presenter": presenter,
        "debtor": debtor_view(debtor),
        "documents": lines,
        "statement": tuple(document_line(document, as_of) for document in statement),
        "totals": totals,
        "total": totals[0] if len(totals) == 1 else None,
        "statement_totals": statement_totals,
        "max_days_past_due": max((line.days_past_due for line in lines), default=0),
        "payment": payment,
        "portal_url": action.portal_link or brand.portal_url,
        "interest": interest,
        "instalment": instalment,
        "as_of": as_of,
        "reply_by": reply_by,
        "response_days": spec.response_days,
        "step": action.step,
        "template": spec.name,
        "title": spec.title,
        "channel": action.channel.value,
        "language": language,
        "locale": locale,
        "controller": controller,
        "notify_address": brand.notify_address,
        **details,
    }


@cache
def _shipped_policy() -> Policy:
    """The shipped UK ladder, read once per process (it is parsed from YAML)."""
    return default_uk()
