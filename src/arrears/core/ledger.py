"""The accounts-receivable ledger as plain values: creditors, debtors, documents, payments.

A **creditor** is the SME whose ledger Arrears manages (the tenant). A **debtor** is one of
its customer accounts. A **document** is an invoice or a credit note; its **open amount** is
what is still unpaid (or, for a credit note, still unapplied). A **payment** is cash received;
an **allocation** says which document some of that cash (or some of a credit note) settles.

Everything here is a frozen value or a pure function; amounts are `Money`, never floats.
Documents carry positive amounts whatever their kind: a credit note is its own kind, not a
negative invoice.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import TypeVar

from arrears.core.errors import CurrencyMismatchError, InvalidAllocationError, InvalidDocumentError
from arrears.core.money import Money, check_currency

_Enum = TypeVar("_Enum", bound=StrEnum)


def _enum(kind: type[_Enum], value: object, what: str) -> _Enum:
    """`value` as a member of `kind`, accepting the member's string value."""
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidDocumentError(f"{value!r} is not a {what}; use one of {allowed}") from None


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class DocumentStatus(StrEnum):
    """Where a document stands. `settled_in_source` is for documents that vanished from a full
    ledger export (never deleted); `written_off` needs a reason recorded elsewhere."""

    OPEN = "open"
    PART_PAID = "part_paid"
    PAID = "paid"
    WRITTEN_OFF = "written_off"
    SETTLED_IN_SOURCE = "settled_in_source"


class DebtorFlag(StrEnum):
    """Flags an SME or controller sets on a debtor account."""

    DO_NOT_CONTACT = "do_not_contact"
    KEY_ACCOUNT = "key_account"
    INSOLVENT = "insolvent"
    CREDIT_HOLD = "credit_hold"
    INDIVIDUAL = "individual"  # a consumer or sole trader: the Pre-Action Protocol applies
    BROKEN_PROMISE = "broken_promise"  # broke a promise to pay: up the worklist (set by deal review)


@dataclass(frozen=True, slots=True)
class PostalAddress:
    lines: tuple[str, ...]
    postcode: str = ""
    country: str = "GB"

    def as_lines(self) -> tuple[str, ...]:
        return tuple(line for line in (*self.lines, self.postcode) if line)


@dataclass(frozen=True, slots=True)
class Contact:
    """A person or mailbox at the debtor to send reminders to."""

    name: str
    email: str | None = None
    phone: str | None = None
    address: PostalAddress | None = None
    role: str = "accounts"
    primary: bool = True


@dataclass(frozen=True, slots=True)
class Creditor:
    """The SME whose ledger is managed: the tenant every row belongs to."""

    code: str
    name: str
    currency: str = "GBP"
    country: str = "GB"
    timezone: str = "Europe/London"
    locale: str = "en_GB"

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidDocumentError("a creditor needs a code")
        check_currency(self.currency)


@dataclass(frozen=True, slots=True)
class Debtor:
    """One customer account of a creditor, identified by its account code in the source ledger."""

    creditor: str
    account_code: str
    name: str
    currency: str = "GBP"
    payment_terms_days: int = 30
    credit_limit: Money | None = None
    language: str = "en"
    timezone: str = "Europe/London"
    contacts: tuple[Contact, ...] = ()
    flags: frozenset[DebtorFlag] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.account_code.strip():
            raise InvalidDocumentError("a debtor needs an account code")
        check_currency(self.currency)
        if self.payment_terms_days < 0:
            raise InvalidDocumentError(
                f"debtor {self.account_code}: payment terms of {self.payment_terms_days} days are negative"
            )
        if self.credit_limit is not None and self.credit_limit.currency != self.currency:
            raise CurrencyMismatchError(
                f"debtor {self.account_code}: the credit limit is in {self.credit_limit.currency} "
                f"but the account is in {self.currency}"
            )
        if self.credit_limit is not None and self.credit_limit.is_negative:
            raise InvalidDocumentError(f"debtor {self.account_code}: the credit limit is negative")
        # A list or set passed in would make the frozen value mutable (and unhashable).
        object.__setattr__(self, "contacts", tuple(self.contacts))
        object.__setattr__(self, "flags", frozenset(_enum(DebtorFlag, f, "flag") for f in self.flags))

    @property
    def do_not_contact(self) -> bool:
        return DebtorFlag.DO_NOT_CONTACT in self.flags

    @property
    def primary_contact(self) -> Contact | None:
        for contact in self.contacts:
            if contact.primary:
                return contact
        return self.contacts[0] if self.contacts else None


@dataclass(frozen=True, slots=True)
class Document:
    """An invoice or a credit note.

    `amount` is the document's gross total, always positive; `open_amount` is what is still
    unpaid (invoice) or unapplied (credit note), between zero and `amount`.
    """

    creditor: str
    debtor: str  # the debtor's account code
    kind: DocumentKind
    number: str
    issue_date: date
    due_date: date
    amount: Money
    open_amount: Money
    status: DocumentStatus = DocumentStatus.OPEN
    external_reference: str | None = None
    po_number: str | None = None

    def __post_init__(self) -> None:
        # The store and importers hand over plain strings; "invoice" must not be taken for a
        # credit note by the `is DocumentKind.INVOICE` tests below.
        object.__setattr__(self, "kind", _enum(DocumentKind, self.kind, "document kind"))
        object.__setattr__(self, "status", _enum(DocumentStatus, self.status, "document status"))
        label = f"{self.kind.value.replace('_', ' ')} {self.number}"
        if not self.number.strip():
            raise InvalidDocumentError("a document needs a number")
        if self.due_date < self.issue_date:
            raise InvalidDocumentError(
                f"{label}: due date {self.due_date.isoformat()} is before the issue date "
                f"{self.issue_date.isoformat()}"
            )
        if self.amount.currency != self.open_amount.currency:
            raise InvalidDocumentError(
                f"{label}: amount is in {self.amount.currency} but open amount in {self.open_amount.currency}"
            )
        if not self.amount.is_positive:
            hint = " (a credit note is its own kind of document, not a negative invoice)"
            raise InvalidDocumentError(
                f"{label}: amount {self.amount.amount} must be positive{hint if self.kind is DocumentKind.INVOICE else ''}"
            )
        if self.open_amount.is_negative or self.open_amount > self.amount:
            raise InvalidDocumentError(
                f"{label}: open amount {self.open_amount.amount} must be between 0 and the amount {self.amount.amount}"
            )
        if not self.amount.is_whole_minor_units() or not self.open_amount.is_whole_minor_units():
            raise InvalidDocumentError(
                f"{label}: amounts must be in whole minor units of {self.amount.currency}"
            )

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def is_invoice(self) -> bool:
        return self.kind is DocumentKind.INVOICE

    @property
    def is_open(self) -> bool:
        return self.open_amount.is_positive and self.status in (DocumentStatus.OPEN, DocumentStatus.PART_PAID)

    @property
    def signed_open_amount(self) -> Money:
        """Open amount as it counts toward the debtor's balance: credit notes reduce it."""
        return self.open_amount if self.is_invoice else -self.open_amount

    def days_past_due(self, as_of: date) -> int:
        """Whole days since the due date (negative: days until it). Due today is 0."""
        return (as_of - self.due_date).days

    def with_open_amount(self, open_amount: Money) -> "Document":
        """The same document with a new open amount and the status that follows from it."""
        return replace(self, open_amount=open_amount, status=status_for(self.amount, open_amount))


def status_for(amount: Money, open_amount: Money) -> DocumentStatus:
    """Status implied by how much of a document is still open."""
    if open_amount.is_zero:
        return DocumentStatus.PAID
    if open_amount < amount:
        return DocumentStatus.PART_PAID
    return DocumentStatus.OPEN


@dataclass(frozen=True, slots=True)
class Payment:
    """Cash received from a debtor (or not yet matched to one: `debtor` is None)."""

    creditor: str
    reference: str
    received_on: date
    amount: Money
    debtor: str | None = None
    unallocated: Money | None = None  # None means the whole amount is unallocated

    def __post_init__(self) -> None:
        if not self.amount.is_positive:
            raise InvalidAllocationError(f"payment {self.reference}: amount must be positive")
        if not self.amount.is_whole_minor_units():
            raise InvalidAllocationError(
                f"payment {self.reference}: {self.amount.amount} is not in whole minor units of "
                f"{self.amount.currency}"
            )
        if self.unallocated is not None:
            if self.unallocated.currency != self.amount.currency:
                raise InvalidAllocationError(
                    f"payment {self.reference}: unallocated cash in another currency"
                )
            if self.unallocated.is_negative or self.unallocated > self.amount:
                raise InvalidAllocationError(
                    f"payment {self.reference}: unallocated {self.unallocated.amount} is outside 0..{self.amount.amount}"
                )

    @property
    def unallocated_amount(self) -> Money:
        return self.amount if self.unallocated is None else self.unallocated


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a payment or a credit note that settles part of an invoice, on a date."""

    creditor: str
    document: str  # the invoice number settled
    amount: Money
    allocated_on: date
    payment: str | None = None  # payment reference, or
    credit_note: str | None = None  # credit note number

    def __post_init__(self) -> None:
        if (self.payment is None) == (self.credit_note is None):
            raise InvalidAllocationError("an allocation comes from exactly one payment or one credit note")
        if not self.amount.is_positive:
            raise InvalidAllocationError(f"allocation to {self.document}: amount must be positive")


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """What allocating cash did: the allocations made, the documents as they now stand, and
    the cash left over (an over-payment stays as unallocated cash on the debtor's account)."""

    allocations: tuple[Allocation, ...]
    documents: tuple[Document, ...]
    left_over: Money


def allocate_payment(
    payment: Payment,
    invoices: Sequence[Document],
    *,
    on: date | None = None,
) -> AllocationResult:
    """Settle invoices with a payment's unallocated cash, in the order given.

    Typical use is oldest due first (sort by due date before calling). A payment smaller than
    the invoices settles them partly; a larger one leaves the rest unallocated (over-payment).
    The whole list is checked before any cash moves, and refused, not skipped silently, if it
    holds a credit note, an invoice in another currency, of another creditor or (when the
    payment is matched to a debtor) of another debtor, a written-off or settled-in-source
    invoice, or the same invoice twice.
    """
    return _settle(
        payment.unallocated_amount,
        invoices,
        on or payment.received_on,
        f"payment {payment.reference}",
        payment.creditor,
        payment.debtor,
        lambda document, amount, day: Allocation(
            payment.creditor, document, amount, day, payment=payment.reference
        ),
    )


def apply_credit_note(credit_note: Document, invoices: Sequence[Document], *, on: date) -> AllocationResult:
    """Apply a credit note's open amount to invoices, in the order given.

    The invoices are checked as for `allocate_payment`; a credit note settles only its own
    debtor's invoices. The updated credit note comes last in the result's documents.
    """
    if credit_note.is_invoice:
        raise InvalidAllocationError(f"{credit_note.number} is an invoice, not a credit note")
    result = _settle(
        credit_note.open_amount,
        invoices,
        on,
        f"credit note {credit_note.number}",
        credit_note.creditor,
        credit_note.debtor,
        lambda document, amount, day: Allocation(
            credit_note.creditor, document, amount, day, credit_note=credit_note.number
        ),
    )
    applied = credit_note.open_amount - result.left_over
    updated_note = credit_note.with_open_amount(credit_note.open_amount - applied)
    return AllocationResult(result.allocations, (*result.documents, updated_note), result.left_over)


AllocationFactory = Callable[[str, Money, date], Allocation]


_NOT_SETTLEABLE = (DocumentStatus.WRITTEN_OFF, DocumentStatus.SETTLED_IN_SOURCE)


def _check_settleable(
    source: str, available: Money, invoices: Sequence[Document], creditor: str, debtor: str | None
) -> None:
    """Refuse the whole list before anything moves, so that a bad document is reported
    whether or not the money would have reached it."""
    seen: set[str] = set()
    for invoice in invoices:
        if not invoice.is_invoice:
            raise InvalidAllocationError(
                f"{invoice.number} is a credit note; {source} can settle only invoices"
            )
        if invoice.currency != available.currency:
            raise InvalidAllocationError(
                f"invoice {invoice.number} is in {invoice.currency}, {source} is in {available.currency}"
            )
        if invoice.creditor != creditor:
            raise InvalidAllocationError(
                f"invoice {invoice.number} belongs to creditor {invoice.creditor}, {source} to {creditor}"
            )
        if debtor is not None and invoice.debtor != debtor:
            raise InvalidAllocationError(
                f"invoice {invoice.number} is on account {invoice.debtor}, {source} on account {debtor}"
            )
        if invoice.status in _NOT_SETTLEABLE:
            # Settling it would bring a debt already taken off the balance back onto it.
            raise InvalidAllocationError(
                f"invoice {invoice.number} is {invoice.status.value.replace('_', ' ')}; reopen it first"
            )
        if invoice.number in seen:
            # Both copies would start from the same open amount and over-settle the invoice.
            raise InvalidAllocationError(f"invoice {invoice.number} is listed twice")
        seen.add(invoice.number)


def _settle(
    available: Money,
    invoices: Sequence[Document],
    on: date,
    source: str,
    creditor: str,
    debtor: str | None,
    make: AllocationFactory,
) -> AllocationResult:
    _check_settleable(source, available, invoices, creditor, debtor)
    allocations: list[Allocation] = []
    updated: list[Document] = []
    remaining = available
    for invoice in invoices:
        if remaining.is_zero:
            break
        if not invoice.open_amount.is_positive:
            continue
        amount = remaining.min(invoice.open_amount)
        allocations.append(make(invoice.number, amount, on))
        updated.append(invoice.with_open_amount(invoice.open_amount - amount))
        remaining = remaining - amount
    return AllocationResult(tuple(allocations), tuple(updated), remaining)


def open_balance(documents: Iterable[Document], payments: Iterable[Payment], currency: str) -> Money:
    """A debtor's open balance in one currency: open invoices less unapplied credit notes less
    unallocated cash. Positive means the debtor owes; negative means the creditor owes back."""
    balance = Money.zero(currency)
    for document in documents:
        if document.currency == currency and document.status not in (
            DocumentStatus.WRITTEN_OFF,
            DocumentStatus.SETTLED_IN_SOURCE,
        ):
            balance = balance + document.signed_open_amount
    for payment in payments:
        if payment.amount.currency == currency:
            balance = balance - payment.unallocated_amount
    return balance


def open_balances(documents: Iterable[Document], payments: Iterable[Payment]) -> dict[str, Money]:
    """Open balance in each currency the debtor's documents and payments use."""
    documents = list(documents)
    payments = list(payments)
    currencies = {d.currency for d in documents} | {p.amount.currency for p in payments}
    return {c: open_balance(documents, payments, c) for c in sorted(currencies)}
