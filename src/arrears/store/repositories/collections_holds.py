"""Holds people record: disputes, promises, payment plans, customers not to contact, insolvency.

A hold covers a whole debtor or some of its documents. Lifting a hold records the first day it
no longer applies (`lifted_on`); the hold itself is kept, so that explaining a debtor's past
still shows why nothing was sent while it held.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.holds import Hold, HoldReason
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.tables import DebtorRecord, DocumentRecord
from arrears.store.tables_collections import RECORDED_HOLD_REASONS, HoldDocumentRecord, HoldRecord


class HoldError(ArrearsError, ValueError):
    """A hold that cannot be recorded or lifted as asked."""


@dataclass(frozen=True, slots=True)
class StoredHold:
    """A recorded hold: the core `Hold` as it was recorded, and its lifting."""

    id: int
    hold: Hold
    created_at: datetime
    created_by: str
    lifted_on: date | None = None
    lift_note: str | None = None

    def effective(self) -> Hold | None:
        """The hold as the planner sees it: ending the day before it was lifted; None when it
        was lifted before it started (it never held anything)."""
        if self.lifted_on is None:
            return self.hold
        last = self.lifted_on - timedelta(days=1)
        if self.hold.ends_on is not None and self.hold.ends_on <= last:
            return self.hold
        if self.hold.starts_on is not None and last < self.hold.starts_on:
            return None
        return replace(self.hold, ends_on=last)


class HoldRepository(Repository):
    def add(self, creditor: str, hold: Hold, *, by: str, at: datetime) -> StoredHold:
        """Record a hold; its debtor and documents must be the creditor's."""
        if hold.reason.value not in RECORDED_HOLD_REASONS:
            raise HoldError(
                f"a {hold.reason.label} hold is not recorded by hand: "
                + (
                    "turn the service off instead"
                    if hold.reason is HoldReason.SERVICE_OFF
                    else "the planner makes it for actions awaiting approval"
                )
            )
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, hold.debtor)
        document_ids = self._document_ids(creditor, creditor_id, debtor_id, hold)
        record = HoldRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            reason=hold.reason.value,
            starts_on=hold.starts_on,
            ends_on=hold.ends_on,
            note=hold.note,
            created_at=at,
            created_by=by[:100],
        )
        self._session.add(record)
        self._session.flush()
        for document_id in document_ids:
            self._session.add(
                HoldDocumentRecord(hold_id=record.id, document_id=document_id, creditor_id=creditor_id)
            )
        self._session.flush()
        return StoredHold(record.id, hold, at, by)

    def lift(self, creditor: str, hold_id: int, on: date, note: str = "") -> StoredHold:
        """The hold no longer applies from `on` (inclusive)."""
        found = self.get(creditor, hold_id)
        if found.lifted_on is not None:
            raise HoldError(
                f"hold {hold_id} ({found.hold.reason.label} on {found.hold.debtor}) was already lifted "
                f"on {found.lifted_on.isoformat()}"
            )
        if found.hold.ends_on is not None and found.hold.ends_on < on:
            raise HoldError(
                f"hold {hold_id} ({found.hold.reason.label} on {found.hold.debtor}) already ended on "
                f"{found.hold.ends_on.isoformat()}; there is nothing to lift"
            )
        self._session.execute(
            update(HoldRecord)
            .where(HoldRecord.creditor_id == self._creditor_id(creditor), HoldRecord.id == hold_id)
            .values(lifted_on=on, lift_note=note)
        )
        return replace(found, lifted_on=on, lift_note=note)

    def get(self, creditor: str, hold_id: int) -> StoredHold:
        found = self._load(creditor, [HoldRecord.id == hold_id])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no hold {hold_id}")
        return found[0]

    def list_all(
        self, creditor: str, *, debtor: str | None = None, active_on: date | None = None
    ) -> list[StoredHold]:
        """Holds by debtor then id; one debtor's with `debtor`; only those in force on a day
        (started, not ended, not lifted) with `active_on`."""
        conditions: list[ColumnElement[bool]] = []
        if debtor is not None:
            creditor_id = self._creditor_id(creditor)
            conditions.append(HoldRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if active_on is not None:
            conditions += [
                or_(HoldRecord.starts_on.is_(None), HoldRecord.starts_on <= active_on),
                or_(HoldRecord.ends_on.is_(None), HoldRecord.ends_on >= active_on),
                or_(HoldRecord.lifted_on.is_(None), HoldRecord.lifted_on > active_on),
            ]
        return self._load(creditor, conditions)

    def in_force(self, creditor: str, on: date, *, debtor: str | None = None) -> list[Hold]:
        """The holds in force on a day, as the planner takes them."""
        found = (stored.effective() for stored in self.list_all(creditor, debtor=debtor, active_on=on))
        return [hold for hold in found if hold is not None]

    def _load(self, creditor: str, conditions: Sequence[ColumnElement[bool]]) -> list[StoredHold]:
        creditor_id = self._creditor_id(creditor)
        rows = self._session.execute(
            select(HoldRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == HoldRecord.debtor_id)
            .where(HoldRecord.creditor_id == creditor_id, *conditions)
            .order_by(DebtorRecord.account_code, HoldRecord.id)
        ).all()
        numbers: dict[int, list[str]] = {}
        for chunk in chunks([record.id for record, _ in rows], IN_CHUNK):
            for hold_id, number in self._session.execute(
                select(HoldDocumentRecord.hold_id, DocumentRecord.number)
                .join(DocumentRecord, DocumentRecord.id == HoldDocumentRecord.document_id)
                .where(HoldDocumentRecord.creditor_id == creditor_id, HoldDocumentRecord.hold_id.in_(chunk))
            ):
                numbers.setdefault(hold_id, []).append(number)
        found = []
        for record, account_code in rows:
            created = aware(record.created_at)
            assert created is not None
            hold = Hold(
                HoldReason(record.reason),
                account_code,
                frozenset(numbers.get(record.id, ())),
                starts_on=record.starts_on,
                ends_on=record.ends_on,
                note=record.note,
            )
            found.append(
                StoredHold(record.id, hold, created, record.created_by, record.lifted_on, record.lift_note)
            )
        return found

    def _document_ids(self, creditor: str, creditor_id: int, debtor_id: int, hold: Hold) -> list[int]:
        wanted: Iterable[str] = sorted(hold.documents)
        if not hold.documents:
            return []
        rows = self._session.execute(
            select(DocumentRecord.number, DocumentRecord.id, DocumentRecord.debtor_id).where(
                DocumentRecord.creditor_id == creditor_id, DocumentRecord.number.in_(list(wanted))
            )
        ).all()
        by_number: dict[str, list[tuple[int, int]]] = {}
        for number, document_id, owner in rows:
            by_number.setdefault(number, []).append((document_id, owner))
        ids = []
        for number in wanted:
            candidates = by_number.get(number)
            if not candidates:
                raise NotFoundError(f"creditor {creditor} has no document {number!r}")
            mine = [document_id for document_id, owner in candidates if owner == debtor_id]
            if not mine:
                raise HoldError(
                    f"document {number} is not on account {hold.debtor}; hold it on its own debtor"
                )
            ids.extend(mine)
        return ids
