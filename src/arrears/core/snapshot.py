"""A ledger snapshot: what the planner reads about one creditor's ledger as of a day.

The store builds it (one read of the open documents, the debtors and each debtor's last
payment); the core only reads it.

The planner reads each open document as an `OpenItem`, a plain tuple of the four values its
rules use (number, due date, currency, open amount in minor units), grouped by debtor once
(`OpenItems`). A snapshot comes in one of two forms, which plan alike:

- from `Document` values: `LedgerSnapshot(creditor, debtors, documents, last_payments)`, as
  tests, the simulator and small callers write it; `open_by_debtor()` checks and groups them
  when the planner asks (a document of another creditor is refused then);
- from plain rows: `LedgerSnapshot(creditor, debtors, last_payments=..., open_items=...)`, as
  the store reads it for a cycle over a million invoices. Building a `Document` and two
  `Money` values for every open invoice, to read four values of each, was most of the cost of
  a cycle; the rows are grouped as they are read, and `documents` is empty.

Amounts in an `OpenItem` are integer minor units, as the store keeps them: exact, and summed
without building a `Decimal` per document. The planner turns them into `Money` where an amount
leaves it (an action's amounts, a reason's text).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, Inexact
from operator import itemgetter

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind
from arrears.core.money import Money, minor_units

_EXACT = Context(prec=100, traps=[Inexact])  # scaling an amount by powers of ten must not round

OpenItem = tuple[str, date, str, int]
"""One open document as the planner reads it: (number, due date, currency, open amount in the
currency's minor units)."""


class SnapshotError(ArrearsError, ValueError):
    """A snapshot whose parts do not belong together (a document of an unknown debtor)."""


@dataclass(frozen=True, slots=True)
class OpenItems:
    """A creditor's open documents as the planner reads them: open invoices and open credit
    notes, each by debtor account code, in snapshot order."""

    invoices: Mapping[str, list[OpenItem]]
    credit_notes: Mapping[str, list[OpenItem]]


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """One creditor's ledger as of a day (see the module docstring for its two forms).

    `documents` are its open documents (others are ignored), or `open_items` the same read as
    plain rows; `last_payments` maps a debtor's account code to the day of its last payment (a
    debtor without one has never paid, as far as the ledger knows).
    """

    creditor: Creditor
    debtors: tuple[Debtor, ...]
    documents: tuple[Document, ...] = ()
    last_payments: Mapping[str, date] = field(default_factory=dict)
    open_items: OpenItems | None = None

    def open_by_debtor(self) -> OpenItems:
        """The open invoices and credit notes by debtor: `open_items` as read, or `documents`
        checked and grouped (a document of another creditor is refused: a snapshot never mixes
        tenants)."""
        if self.open_items is not None:
            return self.open_items
        creditor = self.creditor.code
        invoices: dict[str, list[OpenItem]] = {}
        credit_notes: dict[str, list[OpenItem]] = {}
        for document in self.documents:
            if document.creditor != creditor:
                raise SnapshotError(
                    f"document {document.number} belongs to creditor {document.creditor!r}, not {creditor!r}"
                )
            if not document.is_open:
                continue
            target = invoices if document.kind is DocumentKind.INVOICE else credit_notes
            item = (
                document.number,
                document.due_date,
                document.currency,
                document.open_amount.to_minor_units(),
            )
            target.setdefault(document.debtor, []).append(item)
        return OpenItems(invoices, credit_notes)


_currency_of = itemgetter(2)
_open_minor_of = itemgetter(3)


def minor_balances(invoices: Sequence[OpenItem], credit_notes: Sequence[OpenItem]) -> dict[str, int]:
    """A debtor's open invoices less its unapplied credit notes, per currency, in minor units."""
    if not credit_notes:
        currencies = set(map(_currency_of, invoices))
        if len(currencies) == 1:  # most debtors: one sum in C, no dictionary per document
            return {currencies.pop(): sum(map(_open_minor_of, invoices))}
    balances: dict[str, int] = {}
    for _, _, currency, open_minor in invoices:
        balances[currency] = balances.get(currency, 0) + open_minor
    for _, _, currency, open_minor in credit_notes:
        balances[currency] = balances.get(currency, 0) - open_minor
    return balances


def as_amounts(balances: Mapping[str, int]) -> dict[str, Decimal]:
    """Minor units per currency as exact `Decimal` amounts (1234 GBP -> 12.34)."""
    return {
        currency: Decimal(minor).scaleb(-minor_units(currency), context=_EXACT)
        for currency, minor in balances.items()
    }


def net_balances(invoices: Iterable[Document], credit_notes: Iterable[Document]) -> dict[str, Decimal]:
    """A debtor's open invoices less its unapplied credit notes, per currency."""
    balances: dict[str, Decimal] = {}
    for invoice in invoices:
        balances[invoice.currency] = balances.get(invoice.currency, Decimal(0)) + invoice.open_amount.amount
    for note in credit_notes:
        balances[note.currency] = balances.get(note.currency, Decimal(0)) - note.open_amount.amount
    return balances


def minimum_in_minor_units(amount: Money) -> Decimal:
    """A threshold in the currency's minor units, exactly (500.00 GBP -> 50000; a threshold
    finer than a minor unit keeps its fraction), to compare with `OpenItem` amounts."""
    return amount.amount.scaleb(minor_units(amount.currency), context=_EXACT)
