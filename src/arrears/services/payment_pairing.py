"""The pairing rule (`arrears.core.payment_pairing`) applied to the store: one real payment that
arrives both from the bank and from the accounting package is counted once.

Inside the caller's unit of work (the sync's, the bank import's, a person's match):

- **sync after bank** (`link_synced_payments`): each payment new from the package is paired
  with a bank payment not yet linked; the bank payment takes the package's reference and its
  own allocations are undone, so that the package's allocations (and open amounts) are the
  only ones (`PaymentRepository.link_to_source`);
- **the package's open amounts and the bank's cash** (`keep_bank_cash`): an invoice the package
  reports is stored with the package's open amount less the bank cash Arrears allocated to it
  that the package has not recorded yet (bank payments not linked), so a sync before the
  bookkeeper enters a payment does not reopen what the bank paid. When the package's open
  amount is smaller than that bank cash (the package recorded the payment under a form that
  could not be paired, or credited the invoice), the bank's allocations give way, newest
  first: their cash goes back on the payer's account, and nothing is counted twice;
- **bank after sync** (`package_payment_for`, `link_line`): a credit line that is a package
  payment no bank line has claimed becomes the line's match, with nothing allocated again;
- **package deletes a linked payment** (`unlink_deleted`): the bank's cash stays, on account.

A ledger file import applies the same rule (`arrears.services.import_bank_cash`): its cash on
account is paired through `link_synced_payments`, and its open amounts keep the bank's cash
through the same `arrears.core.bank_cash.bank_cash_kept` as `keep_bank_cash`.

So for every debtor, at any time: opening + invoices - credit notes - cash allocations -
write-offs = open balance, and no open amount goes below zero
(`tests/store/test_payment_pairing_properties.py`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from arrears.core.bank_cash import bank_cash_kept
from arrears.core.ledger import Document, DocumentKind, DocumentStatus, status_for
from arrears.core.matching import MatchBook, name_words, normalised_account
from arrears.core.money import Money
from arrears.core.payment_pairing import (
    LineClues,
    RecordedPayment,
    cited_numbers,
    pair_payments,
    payment_for_line,
    same_amount_nearby,
)
from arrears.intake.accounting.common import Provider, SourceBatch, SourcePayment
from arrears.store.repositories import StoredLine
from arrears.store.unit_of_work import UnitOfWork

SOURCE_PREFIXES = tuple(f"{provider.value}:" for provider in Provider)
"""References of payments synced from an accounting package (`quickbooks:<Id>`, `xero:<Id>`)."""

CITED_CONFIDENCE = 95
PAYER_CONFIDENCE = 90
_FOLLOWS_OPEN_AMOUNT = (DocumentStatus.OPEN, DocumentStatus.PART_PAID, DocumentStatus.PAID)


def link_synced_payments(
    uow: UnitOfWork, creditor: str, arriving: Sequence[RecordedPayment]
) -> dict[str, str]:
    """Pair payments new from the package with bank payments not yet linked, and link each
    pair (the bank payment takes the package's reference); package reference -> the bank
    payment's old reference. Call before the package's documents and payments are written."""
    if not arriving:
        return {}
    pairs = pair_payments(arriving, uow.payments.bank_payments_unlinked(creditor))
    for source, bank in pairs.items():
        uow.payments.link_to_source(creditor, bank, source)
    return pairs


def link_batch_payments(
    uow: UnitOfWork, creditor: str, payments: Sequence[SourcePayment], batch: SourceBatch
) -> list[str]:
    """Link the batch's payments that are new to the ledger with the bank payments they are
    (`link_synced_payments`); a line for each link. The invoices a payment settles are read
    from the batch (new invoices) and the ledger."""
    known = uow.payments.existing(creditor, [source.payment.reference for source in payments])
    new = [source for source in payments if source.payment.reference not in known]
    if not new:
        return []
    numbers = {
        str(document.external_reference): document.number
        for document in batch.documents
        if document.kind is DocumentKind.INVOICE and document.external_reference
    }
    wanted = {a.invoice_reference for source in new for a in source.allocations} - set(numbers)
    numbers.update(uow.documents.numbers_by_reference(creditor, DocumentKind.INVOICE, wanted))
    arriving = [
        RecordedPayment(
            source.payment.reference,
            source.payment.debtor,
            source.payment.received_on,
            source.payment.amount,
            frozenset(
                numbers[a.invoice_reference] for a in source.allocations if a.invoice_reference in numbers
            ),
        )
        for source in new
    ]
    pairs = link_synced_payments(uow, creditor, arriving)
    return [
        f"payment {source} is the bank's payment {bank}: linked, counted once"
        for source, bank in sorted(pairs.items())
    ]


def keep_bank_cash(
    uow: UnitOfWork, creditor: str, documents: Sequence[Document]
) -> tuple[list[Document], list[str]]:
    """The package's invoices as the ledger keeps them (see the module docstring): open amount
    less the bank cash the package does not know yet; bank cash beyond the package's open
    amount released to the payer's account. Returns the documents to write and a line for
    each release."""
    invoices = [d for d in documents if d.kind is DocumentKind.INVOICE and d.external_reference]
    stored = uow.documents.numbers_by_reference(
        creditor, DocumentKind.INVOICE, [str(d.external_reference) for d in invoices]
    )
    # an invoice of the same number without a reference (from a file import) is the one the
    # sync adopts
    adopted = uow.documents.references_by_number(creditor, DocumentKind.INVOICE, {d.number for d in invoices})
    for document in invoices:
        if str(document.external_reference) not in stored and adopted.get(document.number, "") is None:
            stored[str(document.external_reference)] = document.number
    if not stored:
        return list(documents), []
    by_number: dict[str, list[tuple[int, int, str]]] = {}  # number -> (allocation id, minor, payment)
    for allocation in uow.payments.cash_allocations(creditor, documents=stored.values(), bank_only=True):
        by_number.setdefault(allocation.document, []).append(
            (allocation.id, allocation.amount.to_minor_units(), allocation.payment)
        )
    kept: list[Document] = []
    notes: list[str] = []
    for document in documents:
        number = (
            stored.get(str(document.external_reference)) if document.kind is DocumentKind.INVOICE else None
        )
        bank = by_number.get(number or "", [])
        if not bank:
            kept.append(document)
            continue
        left, releases = bank_cash_kept(
            document.open_amount.to_minor_units(),
            [(allocation_id, minor) for allocation_id, minor, _ in bank],
        )
        payment_of = {allocation_id: reference for allocation_id, _, reference in bank}
        for allocation_id, part in releases:  # newest first
            notes.append(
                f"invoice {number}: {Money.from_minor_units(part, document.currency)} of bank payment "
                f"{payment_of[allocation_id]} goes back on {document.debtor}'s account: the package has only "
                f"{document.open_amount} open on it"
            )
        uow.payments.unallocate(creditor, releases)
        open_amount = Money.from_minor_units(left, document.currency)
        status = document.status
        if status in _FOLLOWS_OPEN_AMOUNT:
            status = status_for(document.amount, open_amount)
        kept.append(replace(document, open_amount=open_amount, status=status))
    return kept, notes


def unlink_deleted(uow: UnitOfWork, creditor: str, references: Iterable[str]) -> list[str]:
    """Package payments the package deleted that a bank line brought too: the bank's cash stays
    (back under its `BANK-...` reference, on account). A line for each."""
    restored = uow.payments.unlink_from_source(creditor, references)
    return [
        f"payment {source} was deleted in the package; the bank's payment {bank} stays, on account"
        for source, bank in sorted(restored.items())
    ]


# --- bank after sync --------------------------------------------------------------------------


def waiting_package_payments(uow: UnitOfWork, creditor: str) -> list[RecordedPayment]:
    """Payments the package recorded (synced, or cash on account from a ledger file) that no
    bank line has brought yet."""
    return uow.payments.source_payments_unclaimed(
        creditor, prefixes=SOURCE_PREFIXES, include_ids=uow.imports.imported_payment_ids(creditor)
    )


def clues_of(line: StoredLine, book: MatchBook, waiting: Sequence[RecordedPayment]) -> LineClues:
    """What the line's remittance and payer say (see `arrears.core.payment_pairing.LineClues`):
    documents cited, among the package payments' and the open invoices; the debtors its known
    account or its payer's name point at."""
    text = " ".join(part for part in (line.reference, line.narration) if part)
    full, digits = book.cited(text)
    known = {number for payment in waiting for number in payment.documents}
    cited = cited_numbers(text, known) | frozenset(full) | frozenset(digits)
    payer = name_words(" ".join(part for part in (line.counterparty_name, line.narration) if part))
    account = normalised_account(line.counterparty_account or "")
    debtors = set(book.known_accounts.get(account, frozenset())) if account else set()
    debtors.update(
        payment.debtor
        for payment in waiting
        if payment.debtor is not None and book.name_score(payment.debtor, payer)
    )
    return LineClues(cited, frozenset(debtors))


def package_payment_for(
    line: StoredLine, book: MatchBook, waiting: Sequence[RecordedPayment]
) -> tuple[RecordedPayment, int, str] | None:
    """The package payment the line is, with a confidence and the reason, or None."""
    clues = clues_of(line, book, waiting)
    found = payment_for_line(line.amount, line.booking_date, clues, waiting)
    if found is None:
        return None
    if clues.cited:
        settled = ", ".join(sorted(found.documents & clues.cited))
        return found, CITED_CONFIDENCE, f"the remittance cites {settled}, which {found.reference} settles"
    return found, PAYER_CONFIDENCE, f"the payer is {found.debtor}, who paid {found.reference}"


def link_line(
    uow: UnitOfWork,
    creditor: str,
    line: StoredLine,
    payment: RecordedPayment,
    *,
    confidence: int,
    reason: str,
    by: str,
    at: datetime,
) -> None:
    """The credit line is the package's payment: matched to it, nothing allocated again."""
    uow.bank.record_match(
        creditor,
        line.id,
        payment=payment.reference,
        debtor=str(payment.debtor),
        confidence=confidence,
        method=f"linked to {payment.reference}",
        reasons=(
            f"the package recorded {payment.reference} of {payment.amount} on {payment.received_on.isoformat()}",
            reason,
        ),
        by=by,
        at=at,
    )


def suggestions_for(line: StoredLine, waiting: Sequence[RecordedPayment]) -> list[dict[str, object]]:
    """Package payments of the same amount near the line's date, for a person to confirm."""
    return [
        {
            "debtor": payment.debtor,
            "documents": sorted(payment.documents),
            "confidence": 50,
            "method": "package payment",
            "reasons": [
                f"the package recorded {payment.reference} of {payment.amount} from {payment.debtor} on "
                f"{payment.received_on.isoformat()}; matching the line to {payment.debtor} links it"
            ],
        }
        for payment in same_amount_nearby(line.amount, line.booking_date, waiting)[:3]
    ]
