"""Creditors: the tenants. Every other repository takes a creditor code first."""

from typing import Any, cast

from sqlalchemy import CursorResult, literal, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Creditor
from arrears.store.errors import DuplicateError, StoreError
from arrears.store.repositories._common import CREDITOR_LOCKS, Repository
from arrears.store.tables import CreditorRecord

# First key of PostgreSQL's two-key advisory lock: "ARRE" in ASCII, so Arrears' creditor locks
# cannot collide with another application's single-key locks on the same database.
ADVISORY_LOCK_NAMESPACE = 0x41525245


def _creditor(record: CreditorRecord) -> Creditor:
    return Creditor(
        code=record.code,
        name=record.name,
        currency=record.currency,
        country=record.country,
        timezone=record.timezone,
        locale=record.locale,
    )


class CreditorRepository(Repository):
    def add(self, creditor: Creditor) -> None:
        """Add a creditor; its code must be new."""
        exists = self._session.scalar(select(CreditorRecord.id).where(CreditorRecord.code == creditor.code))
        if exists is not None:
            raise DuplicateError(f"there is already a creditor {creditor.code!r}")
        record = CreditorRecord(
            code=creditor.code,
            name=creditor.name,
            currency=creditor.currency,
            country=creditor.country,
            timezone=creditor.timezone,
            locale=creditor.locale,
        )
        self._session.add(record)
        self._session.flush()
        self._creditor_id.remember(creditor.code, record.id)

    def get(self, creditor: str) -> Creditor:
        record = self._session.scalar(select(CreditorRecord).where(CreditorRecord.code == creditor))
        if record is None:
            raise NotFoundError(f"there is no creditor {creditor!r}: add the creditor first")
        return _creditor(record)

    def list_all(self) -> list[Creditor]:
        """All creditors, by code."""
        records = self._session.scalars(select(CreditorRecord).order_by(CreditorRecord.code))
        return [_creditor(record) for record in records]

    def lock(self, creditor: str) -> None:
        """Hold the creditor's lock until the unit of work ends (commit or rollback).

        Two units of work that lock the same creditor run one after the other. Take it first
        thing in the unit of work, before reading what the work depends on.

        On PostgreSQL it is a transaction-scoped advisory lock (`pg_advisory_xact_lock`), which
        blocks no reader or other writer. On SQLite it is one write to the creditor's lock row,
        which takes SQLite's single write lock until the transaction ends; done as the first
        statement, a second unit of work waits for it (up to the busy timeout). SQLite cannot
        make a transaction that has already read into a writer while another writes, so there
        the lock taken late fails rather than waits: `StoreError` says so.
        """
        dialect = self._session.get_bind().dialect.name
        if dialect == "sqlite":
            self._lock_row(creditor)
            return
        creditor_id = self._creditor_id(creditor)
        if dialect == "postgresql":
            self._session.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :creditor_id)"),
                {"namespace": ADVISORY_LOCK_NAMESPACE, "creditor_id": creditor_id},
            )
        else:
            self._session.execute(
                select(CreditorRecord.id).where(CreditorRecord.id == creditor_id).with_for_update()
            )

    def _lock_row(self, creditor: str) -> None:
        # One statement that finds the creditor and writes its lock row, so that the write lock
        # is the first thing the transaction asks SQLite for.
        statement = (
            sqlite_insert(CREDITOR_LOCKS)
            .from_select(
                ["creditor_id", "taken"],
                select(CreditorRecord.id, literal(1)).where(CreditorRecord.code == creditor),
            )
            .on_conflict_do_update(
                index_elements=[CREDITOR_LOCKS.c.creditor_id], set_={"taken": CREDITOR_LOCKS.c.taken + 1}
            )
        )
        try:
            written = cast(CursorResult[Any], self._session.execute(statement)).rowcount
        except OperationalError as error:
            if "locked" not in str(error.orig):
                raise
            raise StoreError(
                f"could not lock creditor {creditor}: another unit of work holds it. Take the lock first "
                "thing in the unit of work, before any read, so that it waits instead"
            ) from error
        if written == 0:
            raise NotFoundError(f"there is no creditor {creditor!r}: add the creditor first")
