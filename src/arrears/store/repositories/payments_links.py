"""Payments that reached the ledger by two roads, made one (`uow.payments`, see
`arrears.core.payment_pairing` for the rule and `arrears.services.payment_pairing` for its use).

A bank line matched to a debtor becomes a `BANK-...` payment allocated by Arrears, which moves
open amounts (`PaymentRepository.allocate`). When the accounting package later reports the same
payment, the bank payment takes the package's reference (`link_to_source`): its own allocations
are undone, giving their open amounts back, and the package's allocations and open amounts
replace them, as for any synced payment. The bank line keeps its match to the same payment row,
so the link is the row itself: the payment's reference is the package's id, and `bank_matches`
says which line brought the cash. When the package deletes a linked payment, the bank's cash
stays, back under its `BANK-...` reference and unallocated (`unlink_from_source`).
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arrears.core.errors import InvalidAllocationError, NotFoundError
from arrears.core.money import Money
from arrears.core.payment_pairing import RecordedPayment
from arrears.store.errors import DuplicateError
from arrears.store.repositories._common import ALLOCATIONS, DOCUMENTS, IN_CHUNK, PAYMENTS, Repository, chunks
from arrears.store.tables import AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_deals import BankMatchRecord, BankTransactionRecord

BANK_PREFIX = "BANK-"
"""References of the payments bank lines become (`arrears.services.matching.payment_reference`)."""

_MOVABLE = ("open", "part_paid", "paid")  # statuses that follow the open amount


def bank_reference(fingerprint: str) -> str:
    """The payment a bank line becomes: `BANK-` and the first 20 characters of its fingerprint."""
    return f"{BANK_PREFIX}{fingerprint[:20]}"


@dataclass(frozen=True, slots=True)
class CashAllocation:
    """An allocation of a payment's cash to an invoice, with its row id (to undo it)."""

    id: int
    payment: str
    document: str
    amount: Money
    allocated_on: date


class PaymentLinks(Repository):
    def cash_allocations(
        self,
        creditor: str,
        *,
        documents: Collection[str] | None = None,
        payments: Collection[str] | None = None,
        bank_only: bool = False,
    ) -> list[CashAllocation]:
        """Allocations of cash (not credit notes), by date then id; only those to invoices
        `documents`, of payments `payments`, or of bank payments not yet linked (`bank_only`)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                AllocationRecord.id,
                PaymentRecord.reference,
                DocumentRecord.number,
                AllocationRecord.amount_minor,
                AllocationRecord.currency,
                AllocationRecord.allocated_on,
            )
            .join(PaymentRecord, PaymentRecord.id == AllocationRecord.payment_id)
            .join(DocumentRecord, DocumentRecord.id == AllocationRecord.document_id)
            .where(AllocationRecord.creditor_id == creditor_id)
            .order_by(AllocationRecord.allocated_on, AllocationRecord.id)
        )
        if bank_only:
            query = query.where(PaymentRecord.reference.startswith(BANK_PREFIX, autoescape=True))
        if documents is not None and payments is not None:
            raise ValueError("narrow cash allocations by documents or by payments, not both")
        if documents is None and payments is None:
            rows = list(self._session.execute(query))
        else:
            column = DocumentRecord.number if documents is not None else PaymentRecord.reference
            values = sorted(set(documents if documents is not None else payments or ()))
            rows = [
                row
                for chunk in chunks(values, IN_CHUNK)
                for row in self._session.execute(query.where(column.in_(chunk)))
            ]
            rows.sort(key=lambda row: (row[5], row[0]))
        return [
            CashAllocation(id_, reference, number, Money.from_minor_units(amount, currency), on)
            for id_, reference, number, amount, currency, on in rows
        ]

    def unallocate(self, creditor: str, parts: Iterable[tuple[int, int]]) -> int:
        """Undo (part of) cash allocations, given as (allocation id, minor units): the invoice's
        open amount grows back (status open or part-paid again; a written-off or settled
        document keeps its status), the payment's cash is unallocated again, and the allocation
        shrinks or goes. Returns the minor units released."""
        creditor_id = self._creditor_id(creditor)
        wanted = dict(parts)
        if not wanted:
            return 0
        back_to_documents = release_allocations(self._session, creditor_id, creditor, wanted)
        for document_id, minor in back_to_documents.items():
            current = self._session.execute(
                select(DOCUMENTS.c.open_minor, DOCUMENTS.c.amount_minor, DOCUMENTS.c.status).where(
                    DOCUMENTS.c.creditor_id == creditor_id, DOCUMENTS.c.id == document_id
                )
            ).one()
            opened = min(current.open_minor + minor, current.amount_minor)
            status = current.status
            if status in _MOVABLE:
                status = (
                    "open" if opened == current.amount_minor else ("paid" if opened == 0 else "part_paid")
                )
            self._session.execute(
                update(DOCUMENTS)
                .where(DOCUMENTS.c.creditor_id == creditor_id, DOCUMENTS.c.id == document_id)
                .values(open_minor=opened, status=status)
            )
        return sum(wanted.values())

    def link_to_source(self, creditor: str, reference: str, source_reference: str) -> int:
        """The bank payment `reference` is the package's payment `source_reference`: it takes that
        reference, and its own allocations are undone (the package's replace them); returns the
        minor units released. The bank line's match still points at it."""
        creditor_id = self._creditor_id(creditor)
        if self._payment_id(creditor_id, source_reference) is not None:
            raise DuplicateError(f"creditor {creditor} already has payment {source_reference}")
        if self._payment_id(creditor_id, reference) is None:
            raise NotFoundError(f"creditor {creditor} has no payment {reference!r}")
        own = self.cash_allocations(creditor, payments=[reference])
        released = self.unallocate(
            creditor, [(allocation.id, allocation.amount.to_minor_units()) for allocation in own]
        )
        self._session.execute(
            update(PAYMENTS)
            .where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.reference == reference)
            .values(reference=source_reference)
        )
        return released

    def unlink_from_source(self, creditor: str, references: Iterable[str]) -> dict[str, str]:
        """Of the package payments `references`, those a bank line brought too go back to being
        the bank's: their reference is `BANK-...` again, the package's allocations go (they
        moved no open amount) and their cash is unallocated. Returns package reference -> bank
        reference for each; the others are left alone."""
        creditor_id = self._creditor_id(creditor)
        found: dict[str, str] = {}
        for chunk in chunks(sorted(set(references)), IN_CHUNK):
            for payment_id, reference, fingerprint in self._session.execute(
                select(PaymentRecord.id, PaymentRecord.reference, BankTransactionRecord.fingerprint)
                .join(BankMatchRecord, BankMatchRecord.payment_id == PaymentRecord.id)
                .join(BankTransactionRecord, BankTransactionRecord.id == BankMatchRecord.transaction_id)
                .where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk))
            ):
                restored = bank_reference(fingerprint)
                self._session.execute(
                    delete(ALLOCATIONS).where(
                        ALLOCATIONS.c.creditor_id == creditor_id, ALLOCATIONS.c.payment_id == payment_id
                    )
                )
                self._session.execute(
                    update(PAYMENTS)
                    .where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.id == payment_id)
                    .values(reference=restored, unallocated_minor=PAYMENTS.c.amount_minor)
                )
                found[reference] = restored
        return found

    def linked_to_bank(self, creditor: str, references: Iterable[str]) -> set[str]:
        """Those of `references` whose payment a bank line brought (matched or linked)."""
        creditor_id = self._creditor_id(creditor)
        found: set[str] = set()
        for chunk in chunks(sorted(set(references)), IN_CHUNK):
            found.update(
                self._session.scalars(
                    select(PaymentRecord.reference)
                    .join(BankMatchRecord, BankMatchRecord.payment_id == PaymentRecord.id)
                    .where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk))
                )
            )
        return found

    def bank_payments_unlinked(self, creditor: str) -> list[RecordedPayment]:
        """Payments bank lines became (`BANK-...`) that no package payment has been linked to,
        with the invoices their cash settles: what a payment new from the package may be."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(PaymentRecord.id)
            .join(BankMatchRecord, BankMatchRecord.payment_id == PaymentRecord.id)
            .where(
                PaymentRecord.creditor_id == creditor_id,
                PaymentRecord.reference.startswith(BANK_PREFIX, autoescape=True),
            )
        )
        return self._recorded(creditor_id, list(self._session.scalars(query)))

    def source_payments_unclaimed(
        self, creditor: str, *, prefixes: Collection[str], include_ids: Collection[int] = ()
    ) -> list[RecordedPayment]:
        """Payments the package recorded (references starting with one of `prefixes`, and the
        payments `include_ids`: cash on account from ledger files) that no bank line has
        brought, with the invoices they settle: what a new bank line may be."""
        creditor_id = self._creditor_id(creditor)
        banked = select(BankMatchRecord.payment_id).where(BankMatchRecord.creditor_id == creditor_id)
        ids: set[int] = set()
        for prefix in prefixes:
            ids.update(
                self._session.scalars(
                    select(PaymentRecord.id).where(
                        PaymentRecord.creditor_id == creditor_id,
                        PaymentRecord.reference.startswith(prefix, autoescape=True),
                        PaymentRecord.id.not_in(banked),
                    )
                )
            )
        for chunk in chunks(sorted(set(include_ids)), IN_CHUNK):
            ids.update(
                self._session.scalars(
                    select(PaymentRecord.id).where(
                        PaymentRecord.creditor_id == creditor_id,
                        PaymentRecord.id.in_(chunk),
                        PaymentRecord.id.not_in(banked),
                    )
                )
            )
        return self._recorded(creditor_id, sorted(ids))

    def _recorded(self, creditor_id: int, ids: list[int]) -> list[RecordedPayment]:
        """The payments `ids` as pairing sees them, by day received then reference."""
        found = []
        for chunk in chunks(ids, IN_CHUNK):
            settles: dict[int, set[str]] = {}
            for payment_id, number in self._session.execute(
                select(AllocationRecord.payment_id, DocumentRecord.number)
                .join(DocumentRecord, DocumentRecord.id == AllocationRecord.document_id)
                .where(AllocationRecord.creditor_id == creditor_id, AllocationRecord.payment_id.in_(chunk))
            ):
                if payment_id is not None:
                    settles.setdefault(payment_id, set()).add(number)
            for payment_id, reference, code, received_on, currency, amount in self._session.execute(
                select(
                    PaymentRecord.id,
                    PaymentRecord.reference,
                    DebtorRecord.account_code,
                    PaymentRecord.received_on,
                    PaymentRecord.currency,
                    PaymentRecord.amount_minor,
                )
                .outerjoin(DebtorRecord, DebtorRecord.id == PaymentRecord.debtor_id)
                .where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.id.in_(chunk))
            ):
                found.append(
                    RecordedPayment(
                        reference,
                        code,
                        received_on,
                        Money.from_minor_units(amount, currency),
                        frozenset(settles.get(payment_id, ())),
                    )
                )
        return sorted(found, key=lambda payment: (payment.received_on, payment.reference))

    def existing(self, creditor: str, references: Iterable[str]) -> set[str]:
        """Those of `references` the creditor has a payment under."""
        creditor_id = self._creditor_id(creditor)
        found: set[str] = set()
        for chunk in chunks(sorted(set(references)), IN_CHUNK):
            found.update(
                self._session.scalars(
                    select(PaymentRecord.reference).where(
                        PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk)
                    )
                )
            )
        return found

    def _payment_id(self, creditor_id: int, reference: str) -> int | None:
        return self._session.scalar(
            select(PaymentRecord.id).where(
                PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference == reference
            )
        )


def release_allocations(
    session: Session, creditor_id: int, creditor: str, wanted: Mapping[int, int]
) -> dict[int, int]:
    """Shrink or delete the cash allocations `wanted` (allocation id -> minor units) and put the
    cash back on their payments (unallocated); returns the minor units released per document,
    for the caller to reopen (or not: an import sets open amounts from its file)."""
    rows = {
        row.id: row
        for chunk in chunks(sorted(wanted), IN_CHUNK)
        for row in session.execute(
            select(
                ALLOCATIONS.c.id,
                ALLOCATIONS.c.payment_id,
                ALLOCATIONS.c.document_id,
                ALLOCATIONS.c.amount_minor,
            ).where(ALLOCATIONS.c.creditor_id == creditor_id, ALLOCATIONS.c.id.in_(chunk))
        )
    }
    back_to_documents: dict[int, int] = {}
    back_to_payments: dict[int, int] = {}
    for allocation_id, minor in wanted.items():
        row = rows.get(allocation_id)
        if row is None or row.payment_id is None:
            raise NotFoundError(f"creditor {creditor} has no cash allocation {allocation_id}")
        if not 0 < minor <= row.amount_minor:
            raise InvalidAllocationError(
                f"allocation {allocation_id} is {row.amount_minor} minor units; cannot release {minor}"
            )
        where = (ALLOCATIONS.c.creditor_id == creditor_id, ALLOCATIONS.c.id == allocation_id)
        if minor == row.amount_minor:
            session.execute(delete(ALLOCATIONS).where(*where))
        else:
            session.execute(
                update(ALLOCATIONS).where(*where).values(amount_minor=ALLOCATIONS.c.amount_minor - minor)
            )
        back_to_documents[row.document_id] = back_to_documents.get(row.document_id, 0) + minor
        back_to_payments[row.payment_id] = back_to_payments.get(row.payment_id, 0) + minor
    for payment_id, minor in back_to_payments.items():
        session.execute(
            update(PAYMENTS)
            .where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.id == payment_id)
            .values(unallocated_minor=PAYMENTS.c.unallocated_minor + minor)
        )
    return back_to_documents
