"""Write-offs: amounts taken off documents with a reason and an approver, or awaiting approval.

Applying a write-off lowers the document's open amount in the same transaction as the row is
written, by an UPDATE guarded in SQL (`open_minor >= amount`, still open), so two units of work
can never take more off a document than it has open; a document written off in full becomes
`written_off`, a partial write-off leaves it `part_paid`. The rules are the core's
(`arrears.core.writeoffs.apply_write_off`), checked on the document as stored.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, select, update
from sqlalchemy.orm import aliased

from arrears.core.errors import NotFoundError
from arrears.core.ledger import Document, DocumentKind
from arrears.core.money import Money
from arrears.core.writeoffs import WriteOff, WriteOffReason, apply_write_off, write_off
from arrears.store.errors import ConstraintError, WrongCreditorError
from arrears.store.repositories._common import DOCUMENTS
from arrears.store.repositories.deals_base import DealTables
from arrears.store.repositories.documents import select_documents, to_document
from arrears.store.tables import OPEN_STATUSES, DebtorRecord, DocumentRecord
from arrears.store.tables_deals import SettlementRecord, WriteOffRecord


@dataclass(frozen=True, slots=True)
class StoredWriteOff:
    """A write-off as recorded. `decided_by` approved it (or refused it); None while it waits."""

    id: int
    debtor: str
    document: str
    amount: Money
    reason: WriteOffReason
    state: str
    on: date
    note: str
    requested_by: str
    decided_by: str | None
    decided_on: date | None
    settlement: str | None


class WriteOffRepository(DealTables):
    def apply(
        self, creditor: str, value: WriteOff, *, requested_by: str, settlement: str | None = None
    ) -> StoredWriteOff:
        """Take `value` off its document now (approved: `value.approved_by`) and record it."""
        if value.creditor != creditor:
            raise WrongCreditorError(
                f"write-off on {value.document} belongs to creditor {value.creditor}, not {creditor}"
            )
        creditor_id = self._creditor_id(creditor)
        document_id, debtor_id = self._take(creditor, creditor_id, value)
        record = WriteOffRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            document_id=document_id,
            settlement_id=self._settlement_id(creditor_id, settlement),
            currency=value.amount.currency,
            amount_minor=value.amount.to_minor_units(),
            reason=value.reason.value,
            state="applied",
            written_off_on=value.on,
            note=value.note,
            requested_by=requested_by[:100],
            decided_by=value.approved_by[:100],
            decided_on=value.on,
        )
        self._session.add(record)
        self._session.flush()
        return self.get(creditor, record.id)

    def request(
        self,
        creditor: str,
        document: str,
        amount: Money,
        *,
        reason: WriteOffReason,
        on: date,
        requested_by: str,
        note: str = "",
    ) -> StoredWriteOff:
        """Record a write-off that awaits the creditor's approval (the document is not changed)."""
        current = self._document(creditor, document)
        # the core's checks, as if approved by the person asking: amount, reason, date, status
        value = write_off(current, amount, reason=reason, approved_by=requested_by or "?", on=on, note=note)
        apply_write_off(current, value)
        creditor_id = self._creditor_id(creditor)
        document_id, debtor_id = self._ids(creditor_id, document)
        record = WriteOffRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            document_id=document_id,
            settlement_id=None,
            currency=amount.currency,
            amount_minor=amount.to_minor_units(),
            reason=value.reason.value,
            state="awaiting_approval",
            written_off_on=on,
            note=note,
            requested_by=requested_by[:100],
            decided_by=None,
            decided_on=None,
        )
        self._session.add(record)
        self._session.flush()
        return self.get(creditor, record.id)

    def approve(self, creditor: str, write_off_id: int, *, by: str, on: date) -> StoredWriteOff:
        """Approve a waiting write-off: it is taken off its document now, dated `on`."""
        found = self._waiting(creditor, write_off_id)
        value = WriteOff(
            creditor, found.debtor, found.document, found.amount, found.reason, by, on, found.note
        )
        creditor_id = self._creditor_id(creditor)
        self._take(creditor, creditor_id, value)
        self._session.execute(
            update(WriteOffRecord)
            .where(WriteOffRecord.creditor_id == creditor_id, WriteOffRecord.id == write_off_id)
            .values(state="applied", decided_by=by[:100], decided_on=on, written_off_on=on)
        )
        return self.get(creditor, write_off_id)

    def refuse(self, creditor: str, write_off_id: int, *, by: str, on: date) -> StoredWriteOff:
        self._waiting(creditor, write_off_id)
        self._session.execute(
            update(WriteOffRecord)
            .where(
                WriteOffRecord.creditor_id == self._creditor_id(creditor), WriteOffRecord.id == write_off_id
            )
            .values(state="refused", decided_by=by[:100], decided_on=on)
        )
        return self.get(creditor, write_off_id)

    def get(self, creditor: str, write_off_id: int) -> StoredWriteOff:
        found = self.list(creditor, ids=[write_off_id])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no write-off {write_off_id}")
        return found[0]

    def list(
        self,
        creditor: str,
        *,
        debtor: str | None = None,
        document: str | None = None,
        states: Collection[str] | None = None,
        ids: Collection[int] | None = None,
        since: date | None = None,
    ) -> list[StoredWriteOff]:
        """Write-offs by day then id."""
        creditor_id = self._creditor_id(creditor)
        settlement = aliased(SettlementRecord)
        conditions = self._deal_filters(WriteOffRecord, creditor, creditor_id, debtor=debtor, states=states)
        if document is not None:
            conditions.append(DocumentRecord.number == document)
        if ids is not None:
            conditions.append(WriteOffRecord.id.in_(list(ids)))
        if since is not None:
            conditions.append(WriteOffRecord.written_off_on >= since)
        rows = self._session.execute(
            select(WriteOffRecord, DebtorRecord.account_code, DocumentRecord.number, settlement.reference)
            .join(DebtorRecord, DebtorRecord.id == WriteOffRecord.debtor_id)
            .join(DocumentRecord, DocumentRecord.id == WriteOffRecord.document_id)
            .outerjoin(settlement, settlement.id == WriteOffRecord.settlement_id)
            .where(*conditions)
            .order_by(WriteOffRecord.written_off_on, WriteOffRecord.id)
        ).all()
        return [
            StoredWriteOff(
                id=record.id,
                debtor=code,
                document=number,
                amount=Money.from_minor_units(record.amount_minor, record.currency),
                reason=WriteOffReason(record.reason),
                state=record.state,
                on=record.written_off_on,
                note=record.note,
                requested_by=record.requested_by,
                decided_by=record.decided_by,
                decided_on=record.decided_on,
                settlement=reference,
            )
            for record, code, number, reference in rows
        ]

    # --- helpers --------------------------------------------------------------------------------

    def _document(self, creditor: str, number: str) -> Document:
        row = self._session.execute(
            select_documents(self._creditor_id(creditor)).where(
                DocumentRecord.kind == DocumentKind.INVOICE.value, DocumentRecord.number == number
            )
        ).first()
        if row is None:
            raise NotFoundError(f"creditor {creditor} has no invoice {number!r}")
        return to_document(creditor, row)

    def _ids(self, creditor_id: int, number: str) -> tuple[int, int]:
        row = self._session.execute(
            select(DocumentRecord.id, DocumentRecord.debtor_id).where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.kind == "invoice",
                DocumentRecord.number == number,
            )
        ).one()
        return int(row[0]), int(row[1])

    def _take(self, creditor: str, creditor_id: int, value: WriteOff) -> tuple[int, int]:
        """Check `value` against the stored document (the core's rules) and lower its open amount."""
        current = self._document(creditor, value.document)
        apply_write_off(current, value)
        document_id, debtor_id = self._ids(creditor_id, value.document)
        amount = value.amount.to_minor_units()
        remaining = DOCUMENTS.c.open_minor - amount
        result = self._session.execute(
            update(DOCUMENTS)
            .where(
                DOCUMENTS.c.creditor_id == creditor_id,
                DOCUMENTS.c.id == document_id,
                DOCUMENTS.c.status.in_(OPEN_STATUSES),
                DOCUMENTS.c.open_minor >= amount,
            )
            .values(open_minor=remaining, status=case((remaining == 0, "written_off"), else_="part_paid"))
        )
        if getattr(result, "rowcount", 0) != 1:
            raise ConstraintError(
                f"invoice {value.document} changed while it was being written off; look at it again and retry"
            )
        return document_id, debtor_id

    def _waiting(self, creditor: str, write_off_id: int) -> StoredWriteOff:
        found = self.get(creditor, write_off_id)
        if found.state != "awaiting_approval":
            raise ConstraintError(
                f"write-off {write_off_id} on {found.document} is {found.state.replace('_', ' ')}, not awaiting approval"
            )
        return found

    def _settlement_id(self, creditor_id: int, reference: str | None) -> int | None:
        if reference is None:
            return None
        found = self._session.scalar(
            select(SettlementRecord.id).where(
                SettlementRecord.creditor_id == creditor_id, SettlementRecord.reference == reference
            )
        )
        if found is None:
            raise NotFoundError(f"there is no settlement {reference!r}")
        return int(found)
