"""Payment terms with early-payment discounts ("2/10 net 30"), and the fees a debtor may be charged.

**Terms.** "2/10 net 30" means: 2% off if paid within 10 days of the invoice date, otherwise the
whole amount within 30 days. `parse_terms` reads that notation ("net 30", "2.5/15 net 45",
also "2/10 n/30" and "2% 10 net 30") into `PaymentTerms`; a string it cannot read is an
`ArrearsError` naming the text and the form expected. The discount is on the invoice's gross
amount, rounded half-up to minor units, and is available while the invoice is still open, up to
and including the last day of the discount period (`discount_if_paid_on`). Pre-due reminders
show it (`early_payment_offer`). A discount taken is recorded as a write-off with the reason
`early_payment_discount` (`discount_write_off`). UK VAT: since 1 April 2015 VAT is due on the
amount actually paid, so the creditor's accounting package may issue a credit note for the
discount instead; either way the debtor's balance is the same.

**Fees.** A creditor may allow fees under its contract with the debtor (`DealRules.fees`: a fee
on a returned payment, an administration fee). `charge_fee` refuses a fee the creditor does not
allow or above its amount; `fee_invoice` turns it into a ledger invoice, so that it is chased and
reconciled like any other document.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from babel.dates import format_date

from arrears.core.deal_rules import DealError, DealRules, FeeKind, percent_text
from arrears.core.ledger import Document, DocumentKind
from arrears.core.money import Money
from arrears.core.writeoffs import WriteOff, WriteOffReason, write_off


class TermsError(DealError):
    """Payment terms that cannot be read or do not make sense."""


class FeeError(DealError):
    """A fee the creditor does not allow, or more than it allows."""


_FORM = "write them as 'net 30' or '2/10 net 30' (2% off if paid within 10 days, otherwise due in 30)"
_TERMS = re.compile(
    r"""^\s*
    (?:(?P<percent>\d+(?:\.\d+)?)\s*(?:%\s*/?|/)\s*(?P<days>\d+)\s*(?:days?)?\s*,?\s*)?
    (?:net|n)\s*/?\s*(?P<net>\d+)\s*(?:days?)?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """Due `net_days` after the invoice date; `discount_percent` off if paid within
    `discount_days` of it (both None: no early-payment discount)."""

    net_days: int
    discount_percent: Decimal | None = None
    discount_days: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.net_days, bool) or not isinstance(self.net_days, int) or self.net_days < 0:
            raise TermsError(
                f"payment terms: net days {self.net_days!r} must be a whole number, zero or more"
            )
        if (self.discount_percent is None) != (self.discount_days is None):
            raise TermsError("payment terms: an early-payment discount needs both its per cent and its days")
        if self.discount_percent is not None and self.discount_days is not None:
            if isinstance(self.discount_percent, bool | float) or not isinstance(
                self.discount_percent, Decimal | int
            ):
                raise TermsError(
                    f"payment terms: discount {self.discount_percent!r} must be an exact Decimal"
                )
            object.__setattr__(self, "discount_percent", Decimal(self.discount_percent))
            if not (0 < Decimal(self.discount_percent) < 100):
                raise TermsError(
                    f"payment terms {self.text!r}: a discount of {self.discount_percent}% must be more than 0 and less than 100"
                )
            if isinstance(self.discount_days, bool) or not isinstance(self.discount_days, int):
                raise TermsError(
                    f"payment terms: discount days {self.discount_days!r} must be a whole number"
                )
            if self.discount_days > self.net_days:
                raise TermsError(
                    f"payment terms {self.text!r}: the discount period ({self.discount_days} days) ends after "
                    f"the payment is due ({self.net_days} days)"
                )

    @property
    def has_discount(self) -> bool:
        return self.discount_percent is not None

    @property
    def text(self) -> str:
        """The canonical notation: '2/10 net 30', '2.5/15 net 45', 'net 30'."""
        if self.discount_percent is None or self.discount_days is None:
            return f"net {self.net_days}"
        return f"{percent_text(self.discount_percent)[:-1]}/{self.discount_days} net {self.net_days}"

    def due_date(self, issued_on: date) -> date:
        return issued_on + timedelta(days=self.net_days)

    def discount_deadline(self, issued_on: date) -> date | None:
        """The last day the discount may be taken (None without a discount)."""
        if self.discount_days is None:
            return None
        return issued_on + timedelta(days=self.discount_days)


def parse_terms(text: str) -> PaymentTerms:
    """'2/10 net 30' -> PaymentTerms(30, Decimal('2'), 10); 'net 30' -> PaymentTerms(30).

    >>> parse_terms("2.5/15 net 45").text
    '2.5/15 net 45'
    """
    if not isinstance(text, str):
        raise TermsError(f"payment terms {text!r} are not text; {_FORM}")
    found = _TERMS.match(text)
    if found is None:
        raise TermsError(f"payment terms {text!r} cannot be read; {_FORM}")
    net_days = int(found["net"])
    if found["percent"] is None:
        return PaymentTerms(net_days)
    try:
        return PaymentTerms(net_days, Decimal(found["percent"]), int(found["days"]))
    except TermsError as error:
        raise TermsError(f"payment terms {text!r}: {str(error).split(': ', 1)[-1]}") from None


def discount_if_paid_on(document: Document, day: date, terms: PaymentTerms) -> Money:
    """The early-payment discount the debtor may deduct if it pays `document` in full on `day`:
    the terms' per cent of the gross amount, rounded half-up, when `day` is within the discount
    period (invoice date + discount days, inclusive) and the invoice is still open; else zero.
    Never more than is open."""
    zero = Money.zero(document.currency)
    deadline = terms.discount_deadline(document.issue_date)
    if (
        terms.discount_percent is None
        or deadline is None
        or not document.is_invoice
        or not document.is_open
        or day < document.issue_date
        or day > deadline
    ):
        return zero
    discount = (document.amount * terms.discount_percent * Decimal("0.01")).rounded()
    return discount.min(document.open_amount)


@dataclass(frozen=True, slots=True)
class EarlyPaymentOffer:
    """What a pre-due reminder shows: pay `pay` by `pay_by` instead of the open amount, saving `discount`."""

    document: str
    terms: PaymentTerms
    open_amount: Money
    discount: Money
    pay: Money
    pay_by: date

    def text(self, locale: str = "en_GB") -> str:
        """'Pay £980.00 by 11 March 2026 instead of £1,000.00 and save £20.00 (2% early-payment discount).'"""
        assert self.terms.discount_percent is not None
        return (
            f"Pay {self.pay.format(locale)} by {format_date(self.pay_by, format='long', locale=locale)} instead of "
            f"{self.open_amount.format(locale)} and save {self.discount.format(locale)} "
            f"({percent_text(self.terms.discount_percent)} early-payment discount)."
        )


def early_payment_offer(document: Document, terms: PaymentTerms, as_of: date) -> EarlyPaymentOffer | None:
    """The discount offer to show on a reminder sent on `as_of`, or None when none is available."""
    discount = discount_if_paid_on(document, as_of, terms)
    deadline = terms.discount_deadline(document.issue_date)
    if not discount.is_positive or deadline is None:
        return None
    return EarlyPaymentOffer(
        document.number, terms, document.open_amount, discount, document.open_amount - discount, deadline
    )


def discount_write_off(document: Document, terms: PaymentTerms, paid_on: date) -> WriteOff:
    """The write-off of the discount a debtor took by paying within the discount period.

    Call it when the payment leaves exactly the discount open; it is approved by the terms
    themselves. Refused (`TermsError`) when no discount was available on `paid_on`, or when more
    than the discount is still open (the debtor paid too little; chase the rest).
    """
    discount = discount_if_paid_on(document, paid_on, terms)
    if not discount.is_positive:
        raise TermsError(
            f"invoice {document.number}: no early-payment discount under {terms.text!r} for a payment on "
            f"{paid_on.isoformat()}"
        )
    if document.open_amount != discount:
        raise TermsError(
            f"invoice {document.number}: {document.open_amount} is open, not the {discount} discount; "
            "write off only what the terms allow"
        )
    return write_off(
        document,
        discount,
        reason=WriteOffReason.EARLY_PAYMENT_DISCOUNT,
        approved_by=f"payment terms {terms.text}",
        on=paid_on,
    )


# --- fees ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee charged to a debtor on `charged_on`, allowed by the creditor's rules."""

    creditor: str
    debtor: str
    kind: FeeKind
    amount: Money
    charged_on: date
    reference: str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FeeKind(self.kind))
        if not self.amount.is_positive or not self.amount.is_whole_minor_units():
            raise FeeError(
                f"fee {self.reference}: amount {self.amount.amount} must be positive, in whole minor units"
            )
        if self.kind is FeeKind.OTHER and not self.note.strip():
            raise FeeError(f"fee {self.reference}: the kind is 'other'; say what it is for in the note")


def charge_fee(
    rules: DealRules,
    creditor: str,
    debtor: str,
    kind: FeeKind,
    *,
    on: date,
    reference: str,
    amount: Money | None = None,
    note: str = "",
) -> Fee:
    """A fee of `kind` (default: the amount the creditor set), refused when the creditor does not
    allow that fee or `amount` is above what it allows."""
    kind = FeeKind(kind)
    rule = rules.fee_rule(kind)
    if rule is None:
        allowed = ", ".join(r.kind.label for r in rules.fees) or "none"
        raise FeeError(f"fee {reference}: the creditor does not allow {kind.label} fees (allowed: {allowed})")
    charged = rule.amount if amount is None else amount
    if charged.currency != rule.amount.currency or charged > rule.amount:
        raise FeeError(
            f"fee {reference}: {charged} is more than the {rule.amount} {kind.label} fee the creditor allows"
        )
    return Fee(creditor, debtor, kind, charged, on, reference, note or rule.description)


def fee_invoice(fee: Fee, *, number: str, due_days: int = 0) -> Document:
    """The fee as a ledger invoice, due `due_days` after it is charged."""
    if due_days < 0:
        raise FeeError(f"fee {fee.reference}: due_days {due_days} is negative")
    return Document(
        creditor=fee.creditor,
        debtor=fee.debtor,
        kind=DocumentKind.INVOICE,
        number=number,
        issue_date=fee.charged_on,
        due_date=fee.charged_on + timedelta(days=due_days),
        amount=fee.amount,
        open_amount=fee.amount,
        external_reference=fee.reference,
    )
