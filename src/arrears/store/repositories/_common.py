"""What every repository shares: the session, creditor look-up, chunking and error translation."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Date, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.store.errors import ConstraintError
from arrears.store.tables import CreditorRecord, DebtorRecord, metadata

T = TypeVar("T")

# Bound parameters per IN (...) list: well under SQLite's limit of 32766 variables.
IN_CHUNK = 900
# Rows per executemany: large enough to amortise the round trip, small enough for memory.
INSERT_CHUNK = 10_000

CREDITORS: Table = metadata.tables["creditors"]
CREDITOR_LOCKS: Table = metadata.tables["creditor_locks"]
DEBTORS: Table = metadata.tables["debtors"]
CONTACTS: Table = metadata.tables["contacts"]
DOCUMENTS: Table = metadata.tables["documents"]
PAYMENTS: Table = metadata.tables["payments"]
ALLOCATIONS: Table = metadata.tables["allocations"]


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class CreditorIds:
    """Creditor code -> row id, looked up once per unit of work.

    Forgotten on rollback: an id read inside a rolled-back transaction may not exist.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._ids: dict[str, int] = {}

    def __call__(self, code: str) -> int:
        found = self._ids.get(code)
        if found is None:
            found = self._session.scalar(select(CreditorRecord.id).where(CreditorRecord.code == code))
            if found is None:
                raise NotFoundError(f"there is no creditor {code!r}: add the creditor first")
            self._ids[code] = found
        return found

    def remember(self, code: str, creditor_id: int) -> None:
        self._ids[code] = creditor_id

    def forget(self) -> None:
        self._ids.clear()


def _sqlite_date(value: date | None) -> str | None:
    """A date as SQLAlchemy's SQLite `Date` type stores it (ISO 8601 text)."""
    if value is None:
        return None
    return value.isoformat() if type(value) is date else date(value.year, value.month, value.day).isoformat()


class Repository:
    """Base of the repositories: each method takes the creditor code first and works only on
    that creditor's rows."""

    def __init__(self, session: Session, creditor_ids: CreditorIds) -> None:
        self._session = session
        self._creditor_id = creditor_ids

    def _debtor_ids(self, creditor_id: int, account_codes: Iterable[str]) -> dict[str, int]:
        """Account code -> debtor id for those of `account_codes` the creditor has."""
        found: dict[str, int] = {}
        for chunk in chunks(set(account_codes), IN_CHUNK):
            rows = self._session.execute(
                select(DebtorRecord.account_code, DebtorRecord.id).where(
                    DebtorRecord.creditor_id == creditor_id, DebtorRecord.account_code.in_(chunk)
                )
            )
            found.update((code, debtor_id) for code, debtor_id in rows)
        return found

    def _debtor_id(self, creditor: str, creditor_id: int, account_code: str) -> int:
        found = self._debtor_ids(creditor_id, [account_code])
        if account_code not in found:
            raise NotFoundError(f"creditor {creditor} has no debtor {account_code!r}")
        return found[account_code]

    def _insert(
        self,
        table: Table,
        rows: Sequence[dict[str, Any]],
        explain: Callable[[], ArrearsError | None],
        *,
        return_ids: bool = False,
    ) -> list[int]:
        """Insert `rows` in one executemany inside a savepoint; with `return_ids`, the new
        rows' ids in the order of `rows`.

        If the database refuses them, the savepoint is rolled back (the unit of work stays
        usable) and `explain()` names the offending key; failing that, the database's own
        message is passed on.
        """
        if not rows:
            return []
        try:
            with self._session.begin_nested():
                if not return_ids:
                    self._executemany(table, rows)
                    return []
                statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                return list(self._session.scalars(statement, rows))
        except IntegrityError as error:
            explained = explain()
            if explained is not None:
                raise explained from error
            raise ConstraintError(
                f"the database refused rows for {table.name}: {str(error.orig).strip().splitlines()[0]}"
            ) from error

    def _executemany(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Write many rows the fastest way the engine offers; the rows read back the same
        whichever way they went in."""
        connection = self._session.connection()
        columns = list(rows[0])
        preparer = connection.dialect.identifier_preparer
        table_name = preparer.format_table(table)
        column_names = ", ".join(preparer.quote(column) for column in columns)
        if connection.dialect.name == "sqlite":
            # The driver's executemany with positional rows: SQLAlchemy's per-row parameter
            # processing is about a third of the time of a million-row load. Dates are
            # written as its `Date` type writes them.
            dates = [index for index, column in enumerate(columns) if isinstance(table.c[column].type, Date)]
            parameters = []
            for row in rows:
                values = [row[column] for column in columns]
                for index in dates:
                    values[index] = _sqlite_date(values[index])
                parameters.append(tuple(values))
            placeholders = ", ".join("?" for _ in columns)
            connection.exec_driver_sql(
                f"INSERT INTO {table_name} ({column_names}) VALUES ({placeholders})", parameters
            )
        elif connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
            # COPY: several times faster than executemany for large loads.
            _copy(connection, f"COPY {table_name} ({column_names}) FROM STDIN", columns, rows)
        else:
            connection.execute(insert(table), rows)


def _copy(connection: Connection, sql: str, columns: list[str], rows: Sequence[dict[str, Any]]) -> None:
    import psycopg

    driver_connection = connection.connection.driver_connection
    if driver_connection is None:
        raise RuntimeError("the connection to PostgreSQL is closed")
    try:
        with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
    except psycopg.IntegrityError as error:
        # as SQLAlchemy would have raised it, so that `_insert` explains it the same way
        raise IntegrityError(sql, None, error) from error
