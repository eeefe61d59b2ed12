"""Disputes: raised on (part of) one invoice, resolved with an outcome and maybe a credit note."""

from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from arrears.core.disputes import Dispute, DisputeOutcome, DisputeReason, DisputeResolution, Resolver
from arrears.core.errors import NotFoundError
from arrears.core.money import Money
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories.deals_base import DealFilters, DealListing, DealStoreError, DealTables
from arrears.store.tables import DocumentRecord
from arrears.store.tables_deals import DisputeRecord


@dataclass(frozen=True, slots=True)
class StoredDispute:
    """A dispute and, once resolved with a credit, the number of the credit note that gave it."""

    dispute: Dispute
    credit_note: str | None = None


# A dispute decided on a day no longer holds that day.
DISPUTES = DealListing(
    DisputeRecord,
    started=DisputeRecord.raised_on,
    in_force=lambda day: [
        DisputeRecord.raised_on <= day,
        or_(DisputeRecord.decided_on.is_(None), DisputeRecord.decided_on > day),
    ],
)


class DisputeRepository(DealTables):
    def add(self, creditor: str, dispute: Dispute) -> StoredDispute:
        """Record a dispute raised on an invoice of its debtor."""
        if dispute.creditor != creditor:
            raise WrongCreditorError(
                f"dispute {dispute.reference} belongs to creditor {dispute.creditor}, not {creditor}"
            )
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, dispute.debtor)
        document_id = self._invoice_id(creditor, creditor_id, dispute.document, debtor_id, dispute.debtor)
        if self._session.scalar(
            select(DisputeRecord.id).where(
                DisputeRecord.creditor_id == creditor_id, DisputeRecord.reference == dispute.reference
            )
        ):
            raise DuplicateError(f"dispute {dispute.reference} exists already; choose another reference")
        self._session.add(
            DisputeRecord(
                creditor_id=creditor_id,
                debtor_id=debtor_id,
                document_id=document_id,
                reference=dispute.reference,
                currency=dispute.disputed.currency,
                disputed_minor=dispute.disputed.to_minor_units(),
                reason=dispute.reason.value,
                raised_on=dispute.raised_on,
                raised_by=dispute.raised_by[:100],
                notes=dispute.notes,
            )
        )
        self._session.flush()
        if dispute.resolution is not None:
            self.resolve(creditor, dispute)
        return StoredDispute(dispute)

    def resolve(self, creditor: str, dispute: Dispute, *, credit_note: str | None = None) -> StoredDispute:
        """Record the outcome of a dispute (`dispute.resolution`), and the credit note that gave
        the credit when there is one (it must be a credit note of the same debtor)."""
        resolution = dispute.resolution
        if resolution is None:
            raise DealStoreError(f"{dispute.label}: no outcome to record")
        creditor_id = self._creditor_id(creditor)
        note_id: int | None = None
        if credit_note is not None:
            debtor_id = self._debtor_id(creditor, creditor_id, dispute.debtor)
            note_id = self._session.scalar(
                select(DocumentRecord.id).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == "credit_note",
                    DocumentRecord.number == credit_note,
                    DocumentRecord.debtor_id == debtor_id,
                )
            )
            if note_id is None:
                raise NotFoundError(
                    f"creditor {creditor} has no credit note {credit_note!r} on account {dispute.debtor}"
                )
        result = self._session.execute(
            update(DisputeRecord)
            .where(
                DisputeRecord.creditor_id == creditor_id,
                DisputeRecord.reference == dispute.reference,
                DisputeRecord.outcome.is_(None),
            )
            .values(
                outcome=resolution.outcome.value,
                decided_on=resolution.decided_on,
                decided_by=resolution.decided_by[:100],
                resolver=resolution.resolver.value,
                credit_minor=resolution.credit.to_minor_units(),
                resolution_note=resolution.note,
                credit_note_id=note_id,
            )
        )
        if not getattr(result, "rowcount", 0):
            found = self.get(creditor, dispute.reference)  # NotFoundError when there is none
            raise DealStoreError(f"{found.dispute.label} is already resolved")
        return StoredDispute(dispute, credit_note)

    def get(self, creditor: str, reference: str) -> StoredDispute:
        return self._only(self.list(creditor, references=[reference]), creditor, "dispute", reference)

    def list(
        self,
        creditor: str,
        *,
        document: str | None = None,
        open_only: bool = False,
        **filters: Unpack[DealFilters],
    ) -> list[StoredDispute]:
        """Disputes by debtor, then day raised. `in_force_on`: raised by then and not decided
        before it (a dispute decided that day no longer holds)."""
        creditor_id = self._creditor_id(creditor)
        invoice = aliased(DocumentRecord)
        note = aliased(DocumentRecord)
        query = (
            self._deal_query(
                DISPUTES, creditor, creditor_id, columns=(invoice.number, note.number), **filters
            )
            .join(invoice, invoice.id == DisputeRecord.document_id)
            .outerjoin(note, note.id == DisputeRecord.credit_note_id)
        )
        if document is not None:
            query = query.where(invoice.number == document)
        if open_only:
            query = query.where(DisputeRecord.outcome.is_(None))
        rows = self._session.execute(query).all()
        found = []
        for record, account_code, number, note_number in rows:
            resolution = None
            if record.outcome is not None and record.decided_on is not None:
                resolution = DisputeResolution(
                    outcome=DisputeOutcome(record.outcome),
                    decided_on=record.decided_on,
                    decided_by=record.decided_by or "",
                    resolver=Resolver(record.resolver or Resolver.CREDITOR.value),
                    credit=Money.from_minor_units(record.credit_minor or 0, record.currency),
                    note=record.resolution_note or "",
                )
            dispute = Dispute(
                reference=record.reference,
                creditor=creditor,
                debtor=account_code,
                document=number,
                disputed=Money.from_minor_units(record.disputed_minor, record.currency),
                reason=DisputeReason(record.reason),
                raised_on=record.raised_on,
                raised_by=record.raised_by,
                notes=record.notes,
                resolution=resolution,
            )
            found.append(StoredDispute(dispute, note_number))
        return found

    def _invoice_id(self, creditor: str, creditor_id: int, number: str, debtor_id: int, debtor: str) -> int:
        row = self._session.execute(
            select(DocumentRecord.id, DocumentRecord.debtor_id).where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.kind == "invoice",
                DocumentRecord.number == number,
            )
        ).first()
        if row is None:
            raise NotFoundError(f"creditor {creditor} has no invoice {number!r}")
        if row[1] != debtor_id:
            raise DealStoreError(f"invoice {number} is not on account {debtor}")
        return int(row[0])
