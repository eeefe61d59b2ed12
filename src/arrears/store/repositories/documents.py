"""Documents: invoices and credit notes, one at a time or a million at once."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Select, select

from arrears.core.errors import ArrearsError, InvalidDocumentError, NotFoundError
from arrears.core.ledger import Document, DocumentKind, DocumentStatus
from arrears.core.money import Money, check_currency
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories._common import DOCUMENTS, IN_CHUNK, INSERT_CHUNK, Repository, chunks
from arrears.store.tables import (
    DOCUMENT_KINDS,
    DOCUMENT_STATUSES,
    OPEN_STATUSES,
    DebtorRecord,
    DocumentRecord,
)


class DocumentRow(NamedTuple):
    """A document as plain values, for bulk loading without building `Document`s.

    A plain tuple in this order, or a mapping with these keys, is accepted too. Amounts are
    integer minor units (pence for GBP, yen for JPY, fils for BHD), both positive for credit notes.
    """

    debtor: str  # the debtor's account code
    kind: str  # "invoice" or "credit_note"
    number: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    open_minor: int
    status: str = "open"
    external_reference: str | None = None
    po_number: str | None = None


def row_of(document: Document) -> DocumentRow:
    return DocumentRow(
        document.debtor,
        document.kind.value,
        document.number,
        document.issue_date,
        document.due_date,
        document.currency,
        document.amount.to_minor_units(),
        document.open_amount.to_minor_units(),
        document.status.value,
        document.external_reference,
        document.po_number,
    )


def _checked(row: DocumentRow | Sequence[Any] | Mapping[str, Any]) -> DocumentRow:
    """The row as a `DocumentRow`, refused with the reason if it cannot be a document.

    The same rules as `Document`, checked on plain values because building a million
    `Document`s is what the bulk path avoids.
    """
    try:
        if isinstance(row, DocumentRow):
            checked = row
        elif isinstance(row, Mapping):
            checked = DocumentRow(**row)
        else:
            checked = DocumentRow(*row)
    except TypeError as error:
        raise InvalidDocumentError(
            f"{row!r} is not a document row ({error}); give {', '.join(DocumentRow._fields)}"
        ) from None
    label = f"{checked.kind} {checked.number}"
    problem = None
    amount, open_amount = checked.amount_minor, checked.open_minor
    if checked.kind not in DOCUMENT_KINDS:
        problem = f"kind must be one of {', '.join(DOCUMENT_KINDS)}"
    elif checked.status not in DOCUMENT_STATUSES:
        problem = f"status must be one of {', '.join(DOCUMENT_STATUSES)}"
    elif not isinstance(checked.number, str) or not checked.number.strip():
        problem = "a document needs a number"
    elif type(checked.issue_date) is not date or type(checked.due_date) is not date:
        problem = "issue and due dates must be dates"
    elif type(amount) is not int or type(open_amount) is not int:
        problem = "amounts must be integers in minor units"
    elif amount <= 0:
        problem = f"amount {amount} must be positive"
    elif not 0 <= open_amount <= amount:
        problem = f"open amount {open_amount} must be between 0 and the amount {amount}"
    elif checked.due_date < checked.issue_date:
        problem = f"due date {checked.due_date} is before the issue date {checked.issue_date}"
    if problem is not None:
        raise InvalidDocumentError(f"{label}: {problem}")
    check_currency(checked.currency)
    return checked


DOCUMENT_COLUMNS = (
    DebtorRecord.account_code,
    DocumentRecord.kind,
    DocumentRecord.number,
    DocumentRecord.issue_date,
    DocumentRecord.due_date,
    DocumentRecord.currency,
    DocumentRecord.amount_minor,
    DocumentRecord.open_minor,
    DocumentRecord.status,
    DocumentRecord.external_reference,
    DocumentRecord.po_number,
)


def select_documents(creditor_id: int) -> "Select[*tuple[Any, ...]]":
    """The creditor's documents as rows `to_document` reads, with the debtor's account code."""
    return (
        select(*DOCUMENT_COLUMNS)
        .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
        .where(DocumentRecord.creditor_id == creditor_id)
    )


def to_document(creditor: str, row: Sequence[Any]) -> Document:
    (
        account_code,
        kind,
        number,
        issue_date,
        due_date,
        currency,
        amount,
        open_amount,
        status,
        reference,
        po,
    ) = row
    return Document(
        creditor=creditor,
        debtor=account_code,
        kind=DocumentKind(kind),
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        amount=Money.from_minor_units(amount, currency),
        open_amount=Money.from_minor_units(open_amount, currency),
        status=DocumentStatus(status),
        external_reference=reference,
        po_number=po,
    )


class DocumentRepository(Repository):
    def add(self, creditor: str, documents: Iterable[Document]) -> int:
        """Add new documents in bulk; returns how many were added.

        Their debtors must exist; (kind, number) must be new for the creditor.
        """

        def rows() -> Iterator[DocumentRow]:
            for document in documents:
                if document.creditor != creditor:
                    raise WrongCreditorError(
                        f"document {document.number} belongs to creditor {document.creditor}, not {creditor}"
                    )
                yield row_of(document)

        return self.add_rows(creditor, rows())

    def add_rows(self, creditor: str, rows: Iterable[DocumentRow | Sequence[Any] | Mapping[str, Any]]) -> int:
        """Add documents given as plain rows (`DocumentRow`, tuples in its order, or mappings).

        The fast path for large loads: no `Document` or ORM objects are built; rows are checked
        by the same rules, then written with one executemany per 10,000 rows. Each batch is
        all-or-nothing (`DuplicateError` names an existing or repeated number, `NotFoundError`
        an unknown debtor); the unit of work decides whether earlier batches are kept.
        """
        creditor_id = self._creditor_id(creditor)
        debtor_ids: dict[str, int] = {}
        added = 0
        for chunk in chunks(rows, INSERT_CHUNK):
            checked = [_checked(row) for row in chunk]
            wanted = {row.debtor for row in checked}.difference(debtor_ids)
            if wanted:
                debtor_ids.update(self._debtor_ids(creditor_id, wanted))
                unknown = wanted.difference(debtor_ids)
                if unknown:
                    shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
                    raise NotFoundError(f"creditor {creditor} has no debtor(s) {shown}: add them first")
            values = [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_ids[row.debtor],
                    "kind": str(row.kind),
                    "number": row.number,
                    "issue_date": row.issue_date,
                    "due_date": row.due_date,
                    "currency": row.currency,
                    "amount_minor": row.amount_minor,
                    "open_minor": row.open_minor,
                    "status": str(row.status),
                    "external_reference": row.external_reference,
                    "po_number": row.po_number,
                }
                for row in checked
            ]
            self._insert(DOCUMENTS, values, partial(self._explain_duplicates, creditor, creditor_id, checked))
            added += len(values)
        return added

    def get(self, creditor: str, number: str, kind: DocumentKind = DocumentKind.INVOICE) -> Document:
        creditor_id = self._creditor_id(creditor)
        row = self._session.execute(
            select_documents(creditor_id).where(
                DocumentRecord.kind == DocumentKind(kind).value, DocumentRecord.number == number
            )
        ).first()
        if row is None:
            raise NotFoundError(
                f"creditor {creditor} has no {DocumentKind(kind).value.replace('_', ' ')} {number!r}"
            )
        return to_document(creditor, row)

    def list_open(
        self, creditor: str, *, debtor: str | None = None, due_on_or_before: date | None = None
    ) -> list[Document]:
        """Open documents (open or part-paid, something still open), by due date then number;
        only one debtor's with `debtor`, only those due by a date with `due_on_or_before`."""
        creditor_id = self._creditor_id(creditor)
        query = select_documents(creditor_id).where(
            DocumentRecord.status.in_(OPEN_STATUSES), DocumentRecord.open_minor > 0
        )
        if debtor is not None:
            query = query.where(DocumentRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if due_on_or_before is not None:
            query = query.where(DocumentRecord.due_date <= due_on_or_before)
        query = query.order_by(DocumentRecord.due_date, DocumentRecord.number, DocumentRecord.kind)
        return [to_document(creditor, row) for row in self._session.execute(query)]

    def list_for_debtor(self, creditor: str, debtor: str) -> list[Document]:
        """All of a debtor's documents whatever their status, by issue date then number."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select_documents(creditor_id)
            .where(DocumentRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
            .order_by(DocumentRecord.issue_date, DocumentRecord.number, DocumentRecord.kind)
        )
        return [to_document(creditor, row) for row in self._session.execute(query)]

    def _explain_duplicates(
        self, creditor: str, creditor_id: int, rows: list[DocumentRow]
    ) -> ArrearsError | None:
        seen: set[tuple[str, str]] = set()
        for row in rows:
            key = (str(row.kind), row.number)
            if key in seen:
                return DuplicateError(
                    f"{key[0].replace('_', ' ')} {key[1]} is given twice for creditor {creditor}"
                )
            seen.add(key)
        for chunk in chunks({number for _, number in seen}, IN_CHUNK):
            existing = self._session.execute(
                select(DocumentRecord.kind, DocumentRecord.number).where(
                    DocumentRecord.creditor_id == creditor_id, DocumentRecord.number.in_(chunk)
                )
            )
            for kind, number in existing:
                if (kind, number) in seen:
                    return DuplicateError(
                        f"creditor {creditor} already has {kind.replace('_', ' ')} {number}"
                    )
        return None
