"""A ledger snapshot: what the planner reads about one creditor's ledger as of a day.

The store builds it (one read of the open documents, the debtors and each debtor's last
payment); the core only reads it. Documents are grouped by debtor once, so that the planner's
work stays linear in the number of documents.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind


class SnapshotError(ArrearsError, ValueError):
    """A snapshot whose parts do not belong together (a document of an unknown debtor)."""


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """One creditor's ledger as of a day.

    `documents` are its open documents (others are ignored); `last_payments` maps a debtor's
    account code to the day of its last payment (a debtor without one has never paid, as far as
    the ledger knows).
    """

    creditor: Creditor
    debtors: tuple[Debtor, ...]
    documents: tuple[Document, ...]
    last_payments: Mapping[str, date] = field(default_factory=dict)


def open_documents_by_debtor(
    snapshot: LedgerSnapshot,
) -> tuple[dict[str, list[Document]], dict[str, list[Document]]]:
    """Open invoices and open credit notes, each by debtor account code, in snapshot order.

    A document of another creditor is refused: a snapshot never mixes tenants.
    """
    creditor = snapshot.creditor.code
    invoices: dict[str, list[Document]] = {}
    credit_notes: dict[str, list[Document]] = {}
    for document in snapshot.documents:
        if document.creditor != creditor:
            raise SnapshotError(
                f"document {document.number} belongs to creditor {document.creditor!r}, not {creditor!r}"
            )
        if not document.is_open:
            continue
        target = invoices if document.kind is DocumentKind.INVOICE else credit_notes
        found = target.get(document.debtor)
        if found is None:
            target[document.debtor] = [document]
        else:
            found.append(document)
    return invoices, credit_notes


def net_balances(invoices: Iterable[Document], credit_notes: Iterable[Document]) -> dict[str, Decimal]:
    """A debtor's open invoices less its unapplied credit notes, per currency."""
    balances: dict[str, Decimal] = {}
    for invoice in invoices:
        balances[invoice.currency] = balances.get(invoice.currency, Decimal(0)) + invoice.open_amount.amount
    for note in credit_notes:
        balances[note.currency] = balances.get(note.currency, Decimal(0)) - note.open_amount.amount
    return balances
