"""Documents: invoices and credit notes, one at a time or a million at once."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from arrears.core.errors import ArrearsError, InvalidDocumentError, NotFoundError
from arrears.core.ledger import Document, DocumentKind, DocumentStatus
from arrears.core.money import Money, check_currency
from arrears.store.errors import ConstraintError, DuplicateError, WrongCreditorError
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


class StoredDocument(NamedTuple):
    """A document as a ledger import compares it with a file's row (amounts in minor units)."""

    id: int
    debtor: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    open_minor: int
    status: str
    external_reference: str | None
    po_number: str | None


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

    # --- added for accounting connections (arrears.services.sync_accounting) ------------------
    # (the columns an upsert from an accounting package sets: `_SOURCE_COLUMNS`, below the class)

    def upsert_by_reference(self, creditor: str, documents: Iterable[Document]) -> tuple[int, int]:
        """Add or update documents from an accounting package, matched by kind and
        `external_reference` (the package's id); returns (added, updated), `updated` counting
        only documents whose stored values changed.

        The package owns everything but one thing: a document written off in Arrears stays
        written off (its amounts still follow the package). A document of the same kind and
        number without an external reference (from an earlier file import, say) is taken to be
        the same document and adopted. Every document needs an external reference; debtors
        must exist; a document given twice counts once, the last one given.
        """
        by_key: dict[tuple[str, str], DocumentRow] = {}
        for document in documents:
            if document.creditor != creditor:
                raise WrongCreditorError(
                    f"document {document.number} belongs to creditor {document.creditor}, not {creditor}"
                )
            if not document.external_reference:
                raise InvalidDocumentError(f"{document.kind.value} {document.number}: no external reference")
            by_key[(document.kind.value, document.external_reference)] = row_of(document)
        creditor_id = self._creditor_id(creditor)
        added = updated = 0
        for chunk in chunks(by_key.items(), INSERT_CHUNK):
            rows = dict(chunk)
            stored = self._stored_by_reference(creditor_id, rows)
            codes = {row.debtor for row in rows.values()}
            debtor_ids = self._debtor_ids(creditor_id, codes)
            unknown = codes.difference(debtor_ids)
            if unknown:
                shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
                raise NotFoundError(f"creditor {creditor} has no debtor(s) {shown}: add them first")
            new: list[DocumentRow] = []
            changes: list[dict[str, Any]] = []
            for key, row in rows.items():
                _checked(row)
                found = stored.get(key)
                if found is None:
                    new.append(row)
                    continue
                document_id, current = found
                status = "written_off" if current["status"] == "written_off" else row.status
                wanted = {
                    "number": row.number,
                    "debtor_id": debtor_ids[row.debtor],
                    "issue_date": row.issue_date,
                    "due_date": row.due_date,
                    "currency": row.currency,
                    "amount_minor": row.amount_minor,
                    "open_minor": row.open_minor,
                    "status": status,
                    "external_reference": row.external_reference,
                    "po_number": row.po_number,
                }
                if wanted != current:
                    changes.append({"b_id": document_id, **{f"b_{k}": v for k, v in wanted.items()}})
            if changes:
                statement = (
                    update(DOCUMENTS)
                    .where(DOCUMENTS.c.creditor_id == creditor_id, DOCUMENTS.c.id == bindparam("b_id"))
                    .values({column: bindparam(f"b_{column}") for column in _SOURCE_COLUMNS})
                )
                with self._session.begin_nested():
                    self._session.connection().execute(statement, changes)
                updated += len(changes)
            if new:
                added += self.add_rows(creditor, new)
        return added, updated

    def numbers_by_reference(
        self, creditor: str, kind: DocumentKind, references: Iterable[str]
    ) -> dict[str, str]:
        """External reference -> number, for those of `references` the creditor has (of `kind`)."""
        creditor_id = self._creditor_id(creditor)
        found: dict[str, str] = {}
        for chunk in chunks(set(references), IN_CHUNK):
            for reference, number in self._session.execute(
                select(DocumentRecord.external_reference, DocumentRecord.number).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == DocumentKind(kind).value,
                    DocumentRecord.external_reference.in_(chunk),
                )
            ):
                found[str(reference)] = number
        return found

    def references_by_number(
        self, creditor: str, kind: DocumentKind, numbers: Iterable[str]
    ) -> dict[str, str | None]:
        """Number -> external reference (None when it has none), for those of `numbers` in use."""
        creditor_id = self._creditor_id(creditor)
        found: dict[str, str | None] = {}
        for chunk in chunks(set(numbers), IN_CHUNK):
            for number, reference in self._session.execute(
                select(DocumentRecord.number, DocumentRecord.external_reference).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == DocumentKind(kind).value,
                    DocumentRecord.number.in_(chunk),
                )
            ):
                found[number] = reference
        return found

    def withdraw(self, creditor: str, kind: DocumentKind, references: Iterable[str]) -> int:
        """Mark documents the package voided or deleted as `settled_in_source` with nothing open
        (they stay, with their history); returns how many changed. Unknown references are ignored."""
        creditor_id = self._creditor_id(creditor)
        changed = 0
        for chunk in chunks(set(references), IN_CHUNK):
            result = self._session.execute(
                update(DOCUMENTS)
                .where(
                    DOCUMENTS.c.creditor_id == creditor_id,
                    DOCUMENTS.c.kind == DocumentKind(kind).value,
                    DOCUMENTS.c.external_reference.in_(chunk),
                    DOCUMENTS.c.status != "settled_in_source",
                )
                .values(status="settled_in_source", open_minor=0)
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        return changed

    def _stored_by_reference(
        self, creditor_id: int, rows: Mapping[tuple[str, str], DocumentRow]
    ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
        """(kind, reference) -> (id, the columns an upsert sets) for the stored documents the rows
        match: by reference, else by kind and number among documents without a reference."""
        columns = (
            DOCUMENTS.c.id,
            DOCUMENTS.c.kind,
            DOCUMENTS.c.number,
            DOCUMENTS.c.debtor_id,
            DOCUMENTS.c.issue_date,
            DOCUMENTS.c.due_date,
            DOCUMENTS.c.currency,
            DOCUMENTS.c.amount_minor,
            DOCUMENTS.c.open_minor,
            DOCUMENTS.c.status,
            DOCUMENTS.c.external_reference,
            DOCUMENTS.c.po_number,
        )

        def values(row: Any) -> tuple[int, dict[str, Any]]:
            mapping = dict(row._mapping)
            document_id = mapping.pop("id")
            mapping.pop("kind")
            return document_id, mapping

        found: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        for chunk in chunks({reference for _, reference in rows}, IN_CHUNK):
            for row in self._session.execute(
                select(*columns).where(
                    DOCUMENTS.c.creditor_id == creditor_id, DOCUMENTS.c.external_reference.in_(chunk)
                )
            ):
                found[(row.kind, row.external_reference)] = values(row)
        by_number = {
            (kind, row.number): (kind, reference)
            for (kind, reference), row in rows.items()
            if (kind, reference) not in found
        }
        for chunk in chunks({number for _, number in by_number}, IN_CHUNK):
            for row in self._session.execute(
                select(*columns).where(
                    DOCUMENTS.c.creditor_id == creditor_id,
                    DOCUMENTS.c.external_reference.is_(None),
                    DOCUMENTS.c.number.in_(chunk),
                )
            ):
                key = by_number.get((row.kind, row.number))
                if key is not None:
                    found[key] = values(row)
        return found

    # --- added for ledger imports (arrears.services.import_ledger) --------------------------

    def import_index(self, creditor: str) -> dict[tuple[str, str], StoredDocument]:
        """Every document of the creditor by (kind, number), in one query: what an import diffs
        a file against."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                DocumentRecord.kind,
                DocumentRecord.number,
                DocumentRecord.id,
                DebtorRecord.account_code,
                DocumentRecord.issue_date,
                DocumentRecord.due_date,
                DocumentRecord.currency,
                DocumentRecord.amount_minor,
                DocumentRecord.open_minor,
                DocumentRecord.status,
                DocumentRecord.external_reference,
                DocumentRecord.po_number,
            )
            .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
            .where(DocumentRecord.creditor_id == creditor_id)
        )
        return {(row[0], row[1]): StoredDocument._make(row[2:]) for row in self._session.execute(query)}

    def ids_by_key(self, creditor: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Document ids by (kind, number) for those of `keys` the creditor has."""
        creditor_id = self._creditor_id(creditor)
        wanted = set(keys)
        found: dict[tuple[str, str], int] = {}
        for chunk in chunks({number for _, number in wanted}, IN_CHUNK):
            for kind, number, document_id in self._session.execute(
                select(DocumentRecord.kind, DocumentRecord.number, DocumentRecord.id).where(
                    DocumentRecord.creditor_id == creditor_id, DocumentRecord.number.in_(chunk)
                )
            ):
                if (kind, number) in wanted:
                    found[(kind, number)] = document_id
        return found

    def update_from_import(self, creditor: str, updates: Sequence[tuple[int, DocumentRow]]) -> int:
        """Set documents (by id) to what an import read for them: debtor, dates, currency,
        amounts, status, references. Rows are checked as `add_rows` checks them; debtors must
        exist. One executemany per 10,000; returns how many were updated."""
        creditor_id = self._creditor_id(creditor)
        debtor_ids: dict[str, int] = {}
        updated = 0
        statement = (
            update(DOCUMENTS)
            .where(DOCUMENTS.c.creditor_id == creditor_id, DOCUMENTS.c.id == bindparam("b_id"))
            .values({column: bindparam(f"b_{column}") for column in _IMPORTED_COLUMNS})
        )
        for chunk in chunks(updates, INSERT_CHUNK):
            checked = [(document_id, _checked(row)) for document_id, row in chunk]
            wanted = {row.debtor for _, row in checked}.difference(debtor_ids)
            if wanted:
                debtor_ids.update(self._debtor_ids(creditor_id, wanted))
                unknown = wanted.difference(debtor_ids)
                if unknown:
                    shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
                    raise NotFoundError(f"creditor {creditor} has no debtor(s) {shown}: add them first")
            parameters = [
                {
                    "b_id": document_id,
                    "b_debtor_id": debtor_ids[row.debtor],
                    "b_issue_date": row.issue_date,
                    "b_due_date": row.due_date,
                    "b_currency": row.currency,
                    "b_amount_minor": row.amount_minor,
                    "b_open_minor": row.open_minor,
                    "b_status": str(row.status),
                    "b_external_reference": row.external_reference,
                    "b_po_number": row.po_number,
                }
                for document_id, row in checked
            ]
            with self._session.begin_nested():
                self._session.connection().execute(statement, parameters)
            updated += len(parameters)
        return updated

    def add_checked_rows(self, creditor: str, rows: Sequence[DocumentRow]) -> int:
        """`add_rows` for rows a ledger import has already checked by the same rules: the same
        writes and the same refusals (a number that exists or is given twice, an unknown debtor,
        and whatever the schema's constraints refuse), without checking each row again. On
        SQLite the driver's parameters are built straight from the rows (dates as the `Date`
        type writes them), which saves a third of a million-row import's Python time."""
        connection = self._session.connection()
        if connection.dialect.name != "sqlite":
            return self.add_rows(creditor, rows)
        creditor_id = self._creditor_id(creditor)
        wanted = {row.debtor for row in rows}
        debtor_ids = self._debtor_ids(creditor_id, wanted)
        unknown = wanted.difference(debtor_ids)
        if unknown:
            shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
            raise NotFoundError(f"creditor {creditor} has no debtor(s) {shown}: add them first")
        texts: dict[date, str] = {}

        def text(day: date) -> str:
            found = texts.get(day)
            if found is None:
                found = texts[day] = day.isoformat()
            return found

        statement = (
            "INSERT INTO documents (creditor_id, debtor_id, kind, number, issue_date, due_date, currency, "
            "amount_minor, open_minor, status, external_reference, po_number) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        added = 0
        for chunk in chunks(rows, 5 * INSERT_CHUNK):
            parameters = [
                (
                    creditor_id,
                    debtor_ids[row.debtor],
                    row.kind,
                    row.number,
                    text(row.issue_date),
                    text(row.due_date),
                    row.currency,
                    row.amount_minor,
                    row.open_minor,
                    row.status,
                    row.external_reference,
                    row.po_number,
                )
                for row in chunk
            ]
            try:
                with self._session.begin_nested():
                    connection.exec_driver_sql(statement, parameters)
            except IntegrityError as error:
                explained = self._explain_duplicates(creditor, creditor_id, list(chunk))
                if explained is not None:
                    raise explained from error
                raise ConstraintError(
                    f"the database refused documents: {str(error.orig).strip().splitlines()[0]}"
                ) from error
            added += len(parameters)
        return added

    def settle_in_source(self, creditor: str, ids: Iterable[int]) -> int:
        """Mark open or part-paid documents (by id) settled in the source: a full-ledger export
        no longer lists them. Nothing is deleted; the open amount becomes zero (what it was is
        for the caller to record). Returns how many changed."""
        creditor_id = self._creditor_id(creditor)
        changed = 0
        for chunk in chunks(ids, IN_CHUNK):
            result = self._session.execute(
                update(DOCUMENTS)
                .where(
                    DOCUMENTS.c.creditor_id == creditor_id,
                    DOCUMENTS.c.id.in_(chunk),
                    DOCUMENTS.c.status.in_(OPEN_STATUSES),
                )
                .values(status="settled_in_source", open_minor=0)
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        return changed


_IMPORTED_COLUMNS = (
    "debtor_id",
    "issue_date",
    "due_date",
    "currency",
    "amount_minor",
    "open_minor",
    "status",
    "external_reference",
    "po_number",
)

_SOURCE_COLUMNS = (
    "number",
    "debtor_id",
    "issue_date",
    "due_date",
    "currency",
    "amount_minor",
    "open_minor",
    "status",
    "external_reference",
    "po_number",
)
