"""What a ledger import adds, written in bulk: new debtors, and new documents held column by column.

A large, clean ledger file is read column by column (`arrears.intake.clean_csv`), and the
documents it adds stay that way, as a `DocumentFrame`: a sequence of `DocumentRow`s backed by a
Polars frame, so that a million of them cost tens of megabytes rather than hundreds, and no
Python object per document is ever made on the way to SQLite. `add_document_frame()` writes one
with the driver's `executemany` in batches, the parameters made by Polars (debtor ids joined on,
dates as the `Date` type writes them).

Both writers here refuse what the repositories' own `add` methods refuse, and say why in the
same words: when the database refuses a batch, the batch is rolled back to its savepoint and
written again through `DocumentRepository.add_rows` (or `DebtorRepository.add`), which explains
the refusal (a number that exists already, an unknown debtor, a broken constraint).
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import polars as pl
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Debtor
from arrears.store.repositories._common import CONTACTS, DEBTORS, DOCUMENTS, CreditorIds, Repository, chunks
from arrears.store.repositories.debtors import DebtorRepository, contact_rows, debtor_row, to_debtor
from arrears.store.repositories.documents import DocumentRepository, DocumentRow, StoredDocument

BULK_INDEX_ROWS = 100_000
"""From this many documents added at once to a table holding fewer, its plain indexes are
built after the rows are in rather than kept up to date row by row."""
BULK_CACHE_ROWS = 50_000
BATCH = 50_000
"""Documents per executemany: large enough to amortise the call, small for memory."""

_INSERT_DOCUMENTS = (
    "INSERT INTO documents (creditor_id, debtor_id, kind, number, issue_date, due_date, currency, "
    "amount_minor, open_minor, status, external_reference, po_number) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
DOCUMENT_SCHEMA = {
    "debtor": pl.String,
    "kind": pl.String,
    "number": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "open_minor": pl.Int64,
    "status": pl.String,
    "external_reference": pl.String,
    "po_number": pl.String,
}
"""The columns of a `DocumentFrame`: `DocumentRow`'s fields, in its order."""


class DocumentFrame(Sequence[DocumentRow]):
    """Documents to add, as a Polars frame with `DOCUMENT_SCHEMA`'s columns; read as a sequence,
    each is a `DocumentRow` (made when it is read)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame.select(list(DOCUMENT_SCHEMA)).cast(DOCUMENT_SCHEMA)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.frame.height

    @overload
    def __getitem__(self, index: int) -> DocumentRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[DocumentRow]: ...
    def __getitem__(self, index: int | slice) -> DocumentRow | list[DocumentRow]:
        if isinstance(index, slice):
            return [DocumentRow._make(row) for row in self.frame[index].iter_rows()]
        if not -self.frame.height <= index < self.frame.height:
            raise IndexError(index)
        return DocumentRow._make(self.frame.row(index))

    def __iter__(self) -> Iterator[DocumentRow]:
        for batch in self.frame.iter_slices(10_000):
            yield from map(DocumentRow._make, batch.iter_rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DocumentFrame):
            return self.frame.equals(other.frame)
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DocumentFrame({self.frame.height} documents)"


STORED_SCHEMA = {
    "kind": pl.String,
    "number": pl.String,
    "id": pl.Int64,
    "debtor": pl.String,
    "issue_date": pl.Date,
    "due_date": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "open_minor": pl.Int64,
    "status": pl.String,
    "external_reference": pl.String,
    "po_number": pl.String,
}
"""The columns of a `StoredDocumentFrame`: the key, then `StoredDocument`'s fields."""


class StoredDocumentFrame(Mapping[tuple[str, str], StoredDocument]):
    """The creditor's documents as an import compares a file with them (what
    `DocumentRepository.import_index` gives, by (kind, number)), held as a Polars frame with
    `STORED_SCHEMA`'s columns: a ledger of a million documents is compared column by column
    (`arrears.intake.ledger_sync_frames`) without a tuple per document. Read as a mapping, a
    document is made when it is looked up."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame.select(list(STORED_SCHEMA)).cast(STORED_SCHEMA)  # type: ignore[arg-type]
        self._positions: dict[tuple[str, str], int] | None = None

    def __len__(self) -> int:
        return self.frame.height

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return zip(self.frame["kind"].to_list(), self.frame["number"].to_list(), strict=True)

    def __getitem__(self, key: tuple[str, str]) -> StoredDocument:
        if self._positions is None:
            self._positions = {found: position for position, found in enumerate(self)}
        return StoredDocument._make(self.frame.row(self._positions[key])[2:])


def _make_indexes(connection: Connection, statements: list[str]) -> None:
    """Run the CREATE INDEX statements set aside, letting SQLite sort with helper threads (a
    third faster on two cores); the connection's own setting is put back afterwards."""
    threads = connection.exec_driver_sql("PRAGMA threads").scalar_one()
    connection.exec_driver_sql(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
    try:
        for statement in statements:
            connection.exec_driver_sql(statement)
    finally:
        connection.exec_driver_sql(f"PRAGMA threads = {int(threads)}")


class BulkImports(Repository):
    """The bulk writes of a ledger import (used through `ImportRepository`)."""

    def __init__(self, session: Session, creditor_ids: CreditorIds) -> None:
        super().__init__(session, creditor_ids)

    def add_documents(self, creditor: str, documents: Sequence[DocumentRow]) -> int:
        """Add documents an import has checked and found new: a `DocumentFrame` on SQLite the
        columnar way, anything else through `DocumentRepository.add_checked_rows`. On SQLite, a
        load larger than the table has its plain indexes built at the end (see
        `_set_aside_indexes`), or else a page cache big enough to keep them in memory."""
        connection = self._session.connection()
        if connection.dialect.name != "sqlite":
            return self._documents().add_checked_rows(creditor, documents)
        indexes = self._set_aside_indexes(len(documents))
        if not indexes and len(documents) >= BULK_CACHE_ROWS:
            # measured: a million-row load into a large table writes in about half the time
            # with 256 MB than with SQLite's 2 MB default; the setting stays with the connection
            connection.exec_driver_sql(f"PRAGMA cache_size = -{256 * 1024}")
        try:
            if isinstance(documents, DocumentFrame):
                return self._add_frame(creditor, documents)
            return self._documents().add_checked_rows(creditor, documents)
        finally:
            if indexes:
                _make_indexes(connection, indexes)

    def _add_frame(self, creditor: str, documents: DocumentFrame) -> int:
        creditor_id = self._creditor_id(creditor)
        frame = documents.frame
        codes = frame["debtor"].unique().to_list()
        debtor_ids = self._all_debtor_ids(creditor_id)
        unknown = [code for code in codes if code not in debtor_ids]
        if unknown:
            shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
            raise NotFoundError(f"creditor {creditor} has no debtor(s) {shown}: add them first")
        ids = {code: debtor_ids[code] for code in codes}
        parameters = frame.select(
            pl.lit(creditor_id, pl.Int64),
            pl.col("debtor").replace_strict(ids, return_dtype=pl.Int64),
            "kind",
            "number",
            pl.col("issue_date").dt.to_string("%Y-%m-%d"),  # as SQLAlchemy's SQLite Date writes it
            pl.col("due_date").dt.to_string("%Y-%m-%d"),
            "currency",
            "amount_minor",
            "open_minor",
            "status",
            "external_reference",
            "po_number",
        )
        connection = self._session.connection()
        for start in range(0, parameters.height, BATCH):
            batch = parameters.slice(start, BATCH)
            try:
                with self._session.begin_nested():
                    connection.exec_driver_sql(_INSERT_DOCUMENTS, batch.rows())
            except IntegrityError:
                # written again the checked way, which says why the database refuses it
                self._documents().add_rows(creditor, documents[start : start + BATCH])
        return parameters.height

    def _set_aside_indexes(self, rows: int) -> list[str]:
        """Before adding `rows` documents to a SQLite table that holds fewer: drop its plain
        (non-unique) indexes and return the statements that make them again, to run once the
        rows are in. Building an index over sorted keys at the end is much cheaper than
        inserting a million random keys one by one (measured: a quarter of a million-row load's
        time). It all happens inside the import's transaction (SQLite's DDL is transactional):
        other connections see the indexes throughout, and a rollback restores them. The unique
        indexes stay: they check each row as it comes."""
        if rows < BULK_INDEX_ROWS:
            return []
        connection = self._session.connection()
        existing = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM documents").scalar_one()
        if existing > rows:
            return []
        found = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' "
            "AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%'"
        ).all()
        quote = connection.dialect.identifier_preparer.quote
        for name, _ in found:
            connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
        return [sql for _, sql in found]

    def add_debtors(self, creditor: str, debtors: Sequence[Debtor]) -> int:
        """`DebtorRepository.add` for many new debtors at once: their rows in one executemany,
        their ids read back by account code, then their contacts in one more."""
        if not debtors:
            return 0
        creditor_id = self._creditor_id(creditor)
        for debtor in debtors:
            if debtor.creditor != creditor:
                return self._debtors().add(creditor, debtors)  # it says what is wrong
        try:
            with self._session.begin_nested():
                self._executemany(DEBTORS, [debtor_row(creditor_id, debtor) for debtor in debtors])
        except IntegrityError:
            return self._debtors().add(creditor, debtors)  # it says which account code exists
        ids = self._all_debtor_ids(creditor_id)
        contacts: list[dict[str, Any]] = []
        for debtor in debtors:
            contacts.extend(contact_rows(creditor_id, ids[debtor.account_code], debtor.contacts))
        for chunk in chunks(contacts, BATCH):
            self._insert(CONTACTS, chunk, lambda: None)
        return len(debtors)

    def document_frame(self, creditor: str) -> StoredDocumentFrame:
        """Every document of the creditor, as `DocumentRepository.import_index` reads them, in
        one query straight into columns."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                DOCUMENTS.c.kind,
                DOCUMENTS.c.number,
                DOCUMENTS.c.id,
                DEBTORS.c.account_code,
                DOCUMENTS.c.issue_date,
                DOCUMENTS.c.due_date,
                DOCUMENTS.c.currency,
                DOCUMENTS.c.amount_minor,
                DOCUMENTS.c.open_minor,
                DOCUMENTS.c.status,
                DOCUMENTS.c.external_reference,
                DOCUMENTS.c.po_number,
            )
            .select_from(DOCUMENTS.join(DEBTORS, DEBTORS.c.id == DOCUMENTS.c.debtor_id))
            .where(DOCUMENTS.c.creditor_id == creditor_id)
        )
        connection = self._session.connection()
        if connection.dialect.name != "sqlite":
            batches = [
                pl.DataFrame(rows, schema=STORED_SCHEMA, orient="row")
                for rows in self._session.execute(query).partitions(BATCH)
            ]
            return StoredDocumentFrame(pl.concat(batches) if batches else pl.DataFrame(schema=STORED_SCHEMA))
        # SQLite: the driver's own rows (dates as the ISO text SQLite holds, dated by Polars),
        # without SQLAlchemy's processing of each value: a third of the time for a million
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        schema = {**STORED_SCHEMA, "issue_date": pl.String, "due_date": pl.String}
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            batches = []
            while rows := cursor.fetchmany(BATCH):
                batches.append(pl.DataFrame(rows, schema=schema, orient="row"))
        finally:
            cursor.close()
        frame = pl.concat(batches) if batches else pl.DataFrame(schema=schema)
        dated = frame.with_columns(
            pl.col(name).str.to_date("%Y-%m-%d") for name in ("issue_date", "due_date")
        )
        return StoredDocumentFrame(dated)

    def debtor_index(self, creditor: str) -> dict[str, Debtor]:
        """Every debtor of the creditor with its contacts, by account code: what
        `DebtorRepository.list_all` gives (made by the same `to_debtor`), read as plain rows
        rather than ORM records, which for 100,000 debtors is several times faster."""
        creditor_id = self._creditor_id(creditor)
        contacts: dict[int, list[Any]] = {}
        for contact in self._session.execute(
            select(CONTACTS)
            .where(CONTACTS.c.creditor_id == creditor_id)
            .order_by(CONTACTS.c.debtor_id, CONTACTS.c.position)
        ):
            contacts.setdefault(contact.debtor_id, []).append(contact)
        records = self._session.execute(
            select(DEBTORS).where(DEBTORS.c.creditor_id == creditor_id).order_by(DEBTORS.c.account_code)
        )
        return {
            record.account_code: to_debtor(creditor, record, contacts.get(record.id, ()))  # type: ignore[arg-type]
            for record in records
        }

    def _all_debtor_ids(self, creditor_id: int) -> dict[str, int]:
        """Account code -> id of every debtor of the creditor, in one query."""
        query = select(DEBTORS.c.account_code, DEBTORS.c.id).where(DEBTORS.c.creditor_id == creditor_id)
        return {code: debtor_id for code, debtor_id in self._session.execute(query).all()}

    def _documents(self) -> DocumentRepository:
        return DocumentRepository(self._session, self._creditor_id)

    def _debtors(self) -> DebtorRepository:
        return DebtorRepository(self._session, self._creditor_id)
