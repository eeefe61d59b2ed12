"""The record of ledger imports: who imported what, when, with what outcome, and what changed.

Also the few writes an import makes that no other repository offers: cash on account (an
unallocated payment) brought to what a newer export says.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, func, insert, select, update

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Debtor
from arrears.core.money import Money
from arrears.store.repositories._common import INSERT_CHUNK, PAYMENTS, chunks
from arrears.store.repositories.documents import DocumentRow
from arrears.store.repositories.imports_bank_cash import ImportBankCash
from arrears.store.tables import DebtorRecord, DocumentRecord, PaymentRecord, metadata
from arrears.store.tables_intake import ImportChangeRecord, ImportRecord, ImportTotalRecord

if TYPE_CHECKING:
    from arrears.store.repositories.imports_bulk import StoredDocumentFrame

IMPORTS = metadata.tables["imports"]
IMPORT_TOTALS = metadata.tables["import_totals"]
IMPORT_CHANGES = metadata.tables["import_changes"]


@dataclass(frozen=True, slots=True)
class ImportTotals:
    """What an import's accepted rows add up to in one currency."""

    currency: str
    documents: int
    invoices_open: Money
    credit_notes_open: Money
    cash_unallocated: Money

    @property
    def net_open(self) -> Money:
        """Open invoices less open credit notes less unallocated cash."""
        return self.invoices_open - self.credit_notes_open - self.cash_unallocated


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """One import as recorded. `id` is None until it is recorded."""

    creditor: str
    started_at: datetime
    finished_at: datetime
    who: str
    source: str  # file, mailbox, agent, api
    file_name: str
    content_hash: str
    size_bytes: int
    profile: str
    mode: str  # full, part
    status: str  # applied, partial, rejected, unchanged
    rows_read: int = 0
    documents: int = 0
    debtors: int = 0
    payments: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    settled: int = 0
    reopened: int = 0
    debtors_added: int = 0
    debtors_updated: int = 0
    rejected_rows: int = 0
    errors: int = 0
    quarantine_file: str | None = None
    note: str | None = None
    totals: tuple[ImportTotals, ...] = ()
    id: int | None = None


class ChangeRow(NamedTuple):
    """A change to record: about a document, a payment or a debtor (ids), with the open
    amount and status before and after where they apply, and a sentence saying what and why."""

    change: str
    detail: str
    document_id: int | None = None
    payment_id: int | None = None
    debtor_id: int | None = None
    old_open_minor: int | None = None
    new_open_minor: int | None = None
    old_status: str | None = None
    new_status: str | None = None


@dataclass(frozen=True, slots=True)
class ImportChange:
    """A recorded change, with what it is about named as a person reads it."""

    import_id: int
    change: str
    detail: str
    document: tuple[str, str] | None  # (kind, number)
    payment: str | None  # reference
    debtor: str | None  # account code
    old_open_minor: int | None
    new_open_minor: int | None
    old_status: str | None
    new_status: str | None


class StoredPayment(NamedTuple):
    id: int
    debtor: str | None
    received_on: date
    currency: str
    amount_minor: int
    unallocated_minor: int


_COUNTS = (
    "rows_read",
    "documents",
    "debtors",
    "payments",
    "added",
    "updated",
    "unchanged",
    "settled",
    "reopened",
    "debtors_added",
    "debtors_updated",
    "rejected_rows",
    "errors",
)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ImportRepository(ImportBankCash):
    """The record of imports (below) and what an import reads and writes of the bank's cash
    (`ImportBankCash`: bank allocations, the bank cash imports found recorded, releases)."""

    def record(self, creditor: str, summary: ImportSummary) -> int:
        """Record an import and its totals; returns its id."""
        creditor_id = self._creditor_id(creditor)
        values: dict[str, Any] = {
            "creditor_id": creditor_id,
            "started_at": summary.started_at,
            "finished_at": summary.finished_at,
            "who": summary.who[:200],
            "source": summary.source,
            "file_name": summary.file_name[:500],
            "content_hash": summary.content_hash,
            "size_bytes": summary.size_bytes,
            "profile": summary.profile,
            "mode": summary.mode,
            "status": summary.status,
            "quarantine_file": summary.quarantine_file,
            "note": summary.note,
        }
        values.update({name: getattr(summary, name) for name in _COUNTS})
        import_id = self._session.scalar(insert(IMPORTS).values(values).returning(IMPORTS.c.id))
        assert import_id is not None
        totals = [
            {
                "creditor_id": creditor_id,
                "import_id": import_id,
                "currency": total.currency,
                "documents": total.documents,
                "invoices_open_minor": total.invoices_open.to_minor_units(),
                "credit_notes_open_minor": total.credit_notes_open.to_minor_units(),
                "cash_unallocated_minor": total.cash_unallocated.to_minor_units(),
            }
            for total in summary.totals
        ]
        if totals:
            self._session.execute(insert(IMPORT_TOTALS), totals)
        return int(import_id)

    def add_changes(self, creditor: str, import_id: int, changes: Iterable[ChangeRow]) -> int:
        """Record what an import changed; returns how many changes."""
        creditor_id = self._creditor_id(creditor)
        added = 0
        for chunk in chunks(changes, INSERT_CHUNK):
            rows = [
                {"creditor_id": creditor_id, "import_id": import_id, **change._asdict()} for change in chunk
            ]
            self._session.execute(insert(IMPORT_CHANGES), rows)
            added += len(rows)
        return added

    def list_recent(self, creditor: str, limit: int = 50) -> list[ImportSummary]:
        """The creditor's imports, newest first."""
        creditor_id = self._creditor_id(creditor)
        records = list(
            self._session.scalars(
                select(ImportRecord)
                .where(ImportRecord.creditor_id == creditor_id)
                .order_by(ImportRecord.started_at.desc(), ImportRecord.id.desc())
                .limit(limit)
            )
        )
        return self._summaries(creditor, creditor_id, records)

    def get(self, creditor: str, import_id: int) -> ImportSummary:
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(ImportRecord).where(ImportRecord.creditor_id == creditor_id, ImportRecord.id == import_id)
        )
        if record is None:
            raise NotFoundError(f"creditor {creditor} has no import #{import_id}")
        return self._summaries(creditor, creditor_id, [record])[0]

    def latest(
        self, creditor: str, statuses: Sequence[str] = ("applied", "partial", "unchanged")
    ) -> ImportSummary | None:
        """The creditor's most recent import with one of `statuses`."""
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(ImportRecord)
            .where(ImportRecord.creditor_id == creditor_id, ImportRecord.status.in_(statuses))
            .order_by(ImportRecord.started_at.desc(), ImportRecord.id.desc())
            .limit(1)
        )
        return None if record is None else self._summaries(creditor, creditor_id, [record])[0]

    def changes(
        self, creditor: str, import_id: int | None = None, *, document: tuple[str, str] | None = None
    ) -> list[ImportChange]:
        """Recorded changes, oldest first: of one import, or about one document (kind, number)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                ImportChangeRecord.import_id,
                ImportChangeRecord.change,
                ImportChangeRecord.detail,
                DocumentRecord.kind,
                DocumentRecord.number,
                PaymentRecord.reference,
                DebtorRecord.account_code,
                ImportChangeRecord.old_open_minor,
                ImportChangeRecord.new_open_minor,
                ImportChangeRecord.old_status,
                ImportChangeRecord.new_status,
            )
            .outerjoin(DocumentRecord, DocumentRecord.id == ImportChangeRecord.document_id)
            .outerjoin(PaymentRecord, PaymentRecord.id == ImportChangeRecord.payment_id)
            .outerjoin(DebtorRecord, DebtorRecord.id == ImportChangeRecord.debtor_id)
            .where(ImportChangeRecord.creditor_id == creditor_id)
            .order_by(ImportChangeRecord.id)
        )
        if import_id is not None:
            query = query.where(ImportChangeRecord.import_id == import_id)
        if document is not None:
            query = query.where(DocumentRecord.kind == document[0], DocumentRecord.number == document[1])
        return [
            ImportChange(
                row[0],
                row[1],
                row[2],
                None if row[3] is None else (row[3], row[4]),
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                row[10],
            )
            for row in self._session.execute(query)
        ]

    def settled_reason(self, creditor: str, kind: str, number: str) -> str | None:
        """Why a document is settled in the source: the latest such change recorded for it."""
        found = [
            c for c in self.changes(creditor, document=(kind, number)) if c.change == "settled_in_source"
        ]
        return found[-1].detail if found else None

    def documents_without_due_date(self, creditor: str) -> set[int]:
        """Ids of documents whose due date was assumed (the source gave none) and not given since:
        the latest of their due-date changes is `due_date_assumed`."""
        creditor_id = self._creditor_id(creditor)
        latest = (
            select(ImportChangeRecord.document_id, func.max(ImportChangeRecord.id).label("last"))
            .where(
                ImportChangeRecord.creditor_id == creditor_id,
                ImportChangeRecord.change.in_(("due_date_assumed", "due_date_given")),
            )
            .group_by(ImportChangeRecord.document_id)
            .subquery()
        )
        query = (
            select(ImportChangeRecord.document_id)
            .join(latest, latest.c.last == ImportChangeRecord.id)
            .where(ImportChangeRecord.change == "due_date_assumed")
        )
        return {int(document_id) for document_id in self._session.scalars(query) if document_id is not None}

    def add_documents(self, creditor: str, documents: Sequence[DocumentRow]) -> int:
        """Add the documents an import checked and found new: a `DocumentFrame` (a large clean
        file) column by column, any other rows as `DocumentRepository.add_checked_rows` does."""
        from arrears.store.repositories.imports_bulk import BulkImports  # Polars only when needed

        return BulkImports(self._session, self._creditor_id).add_documents(creditor, documents)

    def document_frame(self, creditor: str) -> "StoredDocumentFrame":
        """Every document of the creditor by (kind, number), as `DocumentRepository.import_index`
        gives them but held column by column: what a file read that way is compared with."""
        from arrears.store.repositories.imports_bulk import BulkImports

        return BulkImports(self._session, self._creditor_id).document_frame(creditor)

    def debtor_index(self, creditor: str) -> dict[str, Debtor]:
        """Every debtor of the creditor with its contacts, by account code (as
        `DebtorRepository.list_all` gives them, read faster): what an import compares with."""
        from arrears.store.repositories.imports_bulk import BulkImports

        return BulkImports(self._session, self._creditor_id).debtor_index(creditor)

    def add_debtors(self, creditor: str, debtors: Sequence[Debtor]) -> int:
        """Add an import's new debtors with their contacts, as `DebtorRepository.add` does,
        with one executemany for the lot (a ledger of 100,000 debtors)."""
        from arrears.store.repositories.imports_bulk import BulkImports

        return BulkImports(self._session, self._creditor_id).add_debtors(creditor, debtors)

    # --- cash on account ------------------------------------------------------------------

    def payment_index(self, creditor: str) -> dict[str, StoredPayment]:
        """Every payment of the creditor by reference, in one query."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                PaymentRecord.reference,
                PaymentRecord.id,
                DebtorRecord.account_code,
                PaymentRecord.received_on,
                PaymentRecord.currency,
                PaymentRecord.amount_minor,
                PaymentRecord.unallocated_minor,
            )
            .outerjoin(DebtorRecord, DebtorRecord.id == PaymentRecord.debtor_id)
            .where(PaymentRecord.creditor_id == creditor_id)
        )
        return {row[0]: StoredPayment._make(row[1:]) for row in self._session.execute(query)}

    def imported_payment_ids(self, creditor: str) -> set[int]:
        """Ids of the payments an import added (cash on account read from a ledger file)."""
        creditor_id = self._creditor_id(creditor)
        query = select(ImportChangeRecord.payment_id).where(
            ImportChangeRecord.creditor_id == creditor_id, ImportChangeRecord.change == "cash_added"
        )
        return {int(payment_id) for payment_id in self._session.scalars(query) if payment_id is not None}

    def payment_ids(self, creditor: str, references: Iterable[str]) -> dict[str, int]:
        creditor_id = self._creditor_id(creditor)
        found: dict[str, int] = {}
        for chunk in chunks(set(references), 900):
            for reference, payment_id in self._session.execute(
                select(PaymentRecord.reference, PaymentRecord.id).where(
                    PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk)
                )
            ):
                found[reference] = payment_id
        return found

    def debtor_ids(self, creditor: str, codes: Iterable[str]) -> dict[str, int]:
        """Debtor ids by account code, for those of `codes` the creditor has."""
        return self._debtor_ids(self._creditor_id(creditor), codes)

    def set_unallocated(self, creditor: str, amounts: Sequence[tuple[int, int, int]]) -> int:
        """Set (payment id, amount, unallocated) as a newer export says; returns how many."""
        creditor_id = self._creditor_id(creditor)
        statement = (
            update(PAYMENTS)
            .where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.id == bindparam("b_id"))
            .values(amount_minor=bindparam("b_amount"), unallocated_minor=bindparam("b_unallocated"))
        )
        for chunk in chunks(amounts, INSERT_CHUNK):
            parameters = [{"b_id": i, "b_amount": a, "b_unallocated": u} for i, a, u in chunk]
            self._session.connection().execute(statement, parameters)
        return len(amounts)

    # --- reading ----------------------------------------------------------------------------

    def _summaries(self, creditor: str, creditor_id: int, records: list[ImportRecord]) -> list[ImportSummary]:
        ids = [record.id for record in records]
        totals: dict[int, list[ImportTotals]] = {}
        if ids:
            for row in self._session.scalars(
                select(ImportTotalRecord)
                .where(ImportTotalRecord.creditor_id == creditor_id, ImportTotalRecord.import_id.in_(ids))
                .order_by(ImportTotalRecord.currency)
            ):
                totals.setdefault(row.import_id, []).append(
                    ImportTotals(
                        row.currency,
                        row.documents,
                        Money.from_minor_units(row.invoices_open_minor, row.currency),
                        Money.from_minor_units(row.credit_notes_open_minor, row.currency),
                        Money.from_minor_units(row.cash_unallocated_minor, row.currency),
                    )
                )
        return [
            ImportSummary(
                creditor=creditor,
                started_at=_aware(record.started_at),
                finished_at=_aware(record.finished_at),
                who=record.who,
                source=record.source,
                file_name=record.file_name,
                content_hash=record.content_hash,
                size_bytes=record.size_bytes,
                profile=record.profile,
                mode=record.mode,
                status=record.status,
                quarantine_file=record.quarantine_file,
                note=record.note,
                totals=tuple(totals.get(record.id, ())),
                id=record.id,
                **{name: getattr(record, name) for name in _COUNTS},
            )
            for record in records
        ]
