"""The context every template receives (documented in docs/comms.md).

Built from plain values (creditor, debtor, documents, brand, the day), so rendering needs no
store. Amounts stay `Money` and dates stay `date`; templates format them with the `money`,
`long_date` and `short_date` filters in the message's locale, so amounts are exact and written
as the debtor's locale writes them.

Statutory interest is computed for business debtors only (the Late Payment Act and Directive
2011/7/EU do not cover consumers), on each overdue document's unpaid amount from the day after
its due date, in the regime of the creditor: UK for a GB creditor's sterling invoices, the EU
Directive for euro invoices. Documents in other currencies carry no interest figure.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from arrears.comms.brand import Brand, PaymentDetails, Presenter
from arrears.comms.message import Details, DisputeDetails, OutboundAction, PlanDetails, PromiseDetails
from arrears.comms.templates import TemplateSpec
from arrears.core.actions import describe_age
from arrears.core.errors import ArrearsError
from arrears.core.interest import Regime, statutory_interest
from arrears.core.ledger import Creditor, Debtor, DebtorFlag, Document
from arrears.core.money import Money


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
    number: str
    days: int
    interest: Money
    compensation: Money
    basis: str


@dataclass(frozen=True, slots=True)
class InterestView:
    """Statutory interest on the overdue documents of the message, as of its day.

    `claimed`: the creditor claims it now (`Brand.claim_statutory_interest`); otherwise
    templates say it may be claimed. `total_claim` is the overdue principal plus interest and
    compensation (all in `currency`).
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
    claimed: bool


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
    if currency == "GBP" and creditor.country == "GB":
        return Regime.UK_LATE_PAYMENT
    if currency == "EUR":
        return Regime.EU_DIRECTIVE
    return None


def interest_view(
    creditor: Creditor, debtor: Debtor, documents: Sequence[Document], as_of: date, *, claimed: bool
) -> InterestView | None:
    """Statutory interest on the overdue invoices, or None when it does not apply (a consumer,
    nothing overdue, a currency no regime covers, or no reference rate known for the dates)."""
    if DebtorFlag.INDIVIDUAL in debtor.flags:
        return None
    overdue = [d for d in documents if d.is_invoice and d.is_open and d.days_past_due(as_of) > 0]
    if not overdue:
        return None
    currency = overdue[0].currency
    regime = _regime(creditor, currency)
    if regime is None or any(d.currency != currency for d in overdue):
        return None
    lines: list[InterestLine] = []
    rate: Decimal | None = None
    daily = Money.zero(currency)
    try:
        for document in overdue:
            claim = statutory_interest(document.open_amount, document.due_date, as_of, regime=regime)
            rate = claim.rate
            daily = daily + claim.daily_interest
            lines.append(
                InterestLine(document.number, claim.days, claim.interest, claim.compensation, claim.basis)
            )
    except ArrearsError:
        return None
    interest = Money.total((line.interest for line in lines), currency)
    compensation_currency = "EUR" if regime is Regime.EU_DIRECTIVE else "GBP"
    compensation = Money.total((line.compensation for line in lines), compensation_currency)
    principal = Money.total((d.open_amount for d in overdue), currency)
    total_claim = principal + interest
    if compensation.currency == currency:
        total_claim = total_claim + compensation
    return InterestView(
        regime=regime.value,
        law=_LAW[regime],
        rate=rate,
        lines=tuple(lines),
        interest=interest,
        compensation=compensation,
        daily=daily.rounded(),
        principal=principal,
        total_claim=total_claim,
        claimed=claimed,
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
) -> dict[str, Any]:
    """The template context for one message (see docs/comms.md for each name)."""
    as_of = action.planned_on
    locale = locale_for(creditor, language)
    lines = tuple(document_line(document, as_of) for document in documents)
    totals = totals_of(documents, as_of)
    statement_totals = totals_of(statement, as_of)
    presenter: Presenter = brand.presenter
    reply_by = as_of + timedelta(days=spec.response_days) if spec.response_days else None
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
        "payment": payment_view(brand.payment, documents, debtor),
        "portal_url": action.portal_link or brand.portal_url,
        "interest": interest_view(creditor, debtor, documents, as_of, claimed=brand.claim_statutory_interest),
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
        **_details(action.details),
    }
