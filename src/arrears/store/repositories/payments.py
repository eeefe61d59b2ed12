"""Payments (cash received) and allocations (which documents the cash or a credit note settles)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, Select, Update, bindparam, case, delete, or_, select, update
from sqlalchemy.orm import aliased

from arrears.core.errors import ArrearsError, InvalidAllocationError, NotFoundError
from arrears.core.ledger import Allocation, Payment
from arrears.core.money import Money
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories._common import (
    ALLOCATIONS,
    DOCUMENTS,
    IN_CHUNK,
    INSERT_CHUNK,
    PAYMENTS,
    chunks,
)
from arrears.store.repositories.payments_links import PaymentLinks
from arrears.store.tables import OPEN_STATUSES, AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_deals import BankMatchRecord


def to_payment(creditor: str, row: Sequence[Any]) -> Payment:
    reference, received_on, currency, amount, unallocated, account_code = row
    return Payment(
        creditor=creditor,
        reference=reference,
        received_on=received_on,
        amount=Money.from_minor_units(amount, currency),
        debtor=account_code,
        unallocated=Money.from_minor_units(unallocated, currency),
    )


def select_payments(creditor_id: int) -> "Select[*tuple[Any, ...]]":
    return (
        select(
            PaymentRecord.reference,
            PaymentRecord.received_on,
            PaymentRecord.currency,
            PaymentRecord.amount_minor,
            PaymentRecord.unallocated_minor,
            DebtorRecord.account_code,
        )
        .outerjoin(DebtorRecord, DebtorRecord.id == PaymentRecord.debtor_id)
        .where(PaymentRecord.creditor_id == creditor_id)
    )


@dataclass(slots=True)
class _Source:
    """What an allocation draws on or settles, as it stands in the database."""

    id: int
    label: str
    debtor_id: int | None
    currency: str
    available: int  # open (documents) or unallocated (payments), minor units
    status: str | None = None  # documents only

    @property
    def available_as(self) -> str:
        return "open" if self.status is not None else "unallocated"


class PaymentRepository(PaymentLinks):
    def add(self, creditor: str, payments: Iterable[Payment]) -> int:
        """Add new payments in bulk; returns how many were added. References must be new for
        the creditor; a payment's debtor, when given, must exist."""
        creditor_id = self._creditor_id(creditor)
        added = 0
        for chunk in chunks(payments, INSERT_CHUNK):
            for payment in chunk:
                if payment.creditor != creditor:
                    raise WrongCreditorError(
                        f"payment {payment.reference} belongs to creditor {payment.creditor}, not {creditor}"
                    )
            codes = {payment.debtor for payment in chunk if payment.debtor is not None}
            debtor_ids = self._debtor_ids(creditor_id, codes)
            unknown = codes.difference(debtor_ids)
            if unknown:
                raise NotFoundError(f"creditor {creditor} has no debtor(s) {', '.join(sorted(unknown))}")
            rows = [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": None if payment.debtor is None else debtor_ids[payment.debtor],
                    "reference": payment.reference,
                    "received_on": payment.received_on,
                    "currency": payment.amount.currency,
                    "amount_minor": payment.amount.to_minor_units(),
                    "unallocated_minor": payment.unallocated_amount.to_minor_units(),
                }
                for payment in chunk
            ]
            references = [payment.reference for payment in chunk]
            self._insert(PAYMENTS, rows, partial(self._explain_duplicates, creditor, creditor_id, references))
            added += len(rows)
        return added

    def get(self, creditor: str, reference: str) -> Payment:
        """A payment; its `unallocated` is always given explicitly (never None)."""
        creditor_id = self._creditor_id(creditor)
        row = self._session.execute(
            select_payments(creditor_id).where(PaymentRecord.reference == reference)
        ).first()
        if row is None:
            raise NotFoundError(f"creditor {creditor} has no payment {reference!r}")
        return to_payment(creditor, row)

    def list_all(
        self, creditor: str, *, debtor: str | None = None, unallocated_only: bool = False
    ) -> list[Payment]:
        """Payments by date received then reference; one debtor's with `debtor`; only those with
        cash still unallocated with `unallocated_only`."""
        creditor_id = self._creditor_id(creditor)
        query = select_payments(creditor_id)
        if debtor is not None:
            query = query.where(PaymentRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if unallocated_only:
            query = query.where(PaymentRecord.unallocated_minor > 0)
        query = query.order_by(PaymentRecord.received_on, PaymentRecord.reference)
        return [to_payment(creditor, row) for row in self._session.execute(query)]

    def allocate(self, creditor: str, allocations: Iterable[Allocation]) -> int:
        """Record allocations of payments and credit notes to invoices; returns how many.

        Each allocation reduces the invoice's open amount and the payment's unallocated cash (or
        the credit note's open amount), and sets the documents' status (part-paid, paid). The
        batch is all-or-nothing and checked as a whole before anything moves: an unknown
        invoice, payment or credit note is a `NotFoundError`; an allocation in another currency,
        across debtors, to a written-off or settled-in-source invoice, or that would take a
        document or a payment below zero (counting every allocation of the batch) is an
        `InvalidAllocationError`. The updates are guarded in SQL as well, so two units of work
        allocating at once cannot over-settle a document between them.
        """
        batch = list(allocations)
        for allocation in batch:
            if allocation.creditor != creditor:
                raise WrongCreditorError(
                    f"allocation to {allocation.document} belongs to creditor {allocation.creditor}, not {creditor}"
                )
        if not batch:
            return 0
        creditor_id = self._creditor_id(creditor)
        invoices = self._documents(creditor, creditor_id, "invoice", {a.document for a in batch})
        notes = self._documents(
            creditor, creditor_id, "credit_note", {a.credit_note for a in batch if a.credit_note is not None}
        )
        payments = self._payments(creditor, creditor_id, {a.payment for a in batch if a.payment is not None})

        taken: dict[int, int] = defaultdict(int)  # document id -> minor units taken off its open amount
        spent: dict[int, int] = defaultdict(int)  # payment id -> minor units of cash allocated
        rows = []
        for allocation in batch:
            invoice = invoices[allocation.document]
            from_cash = allocation.payment is not None
            source = payments[str(allocation.payment)] if from_cash else notes[str(allocation.credit_note)]
            amount = allocation.amount.to_minor_units()
            _check(allocation, invoice, source)
            taken[invoice.id] += amount
            (spent if from_cash else taken)[source.id] += amount
            rows.append(
                {
                    "creditor_id": creditor_id,
                    "document_id": invoice.id,
                    "payment_id": source.id if from_cash else None,
                    "credit_note_id": None if from_cash else source.id,
                    "allocated_on": allocation.allocated_on,
                    "currency": allocation.amount.currency,
                    "amount_minor": amount,
                }
            )
        documents = {source.id: source for source in (*invoices.values(), *notes.values())}
        cash = {source.id: source for source in payments.values()}
        for document_id, amount in taken.items():
            _check_available(documents[document_id], amount, "would over-settle it")
        for payment_id, amount in spent.items():
            _check_available(cash[payment_id], amount, "is more cash than there is")

        with self._session.begin_nested():
            self._take(creditor_id, taken, documents)
            self._spend(creditor_id, spent, cash)
            for chunk in chunks(rows, INSERT_CHUNK):
                self._insert(ALLOCATIONS, chunk, lambda: None)
        return len(rows)

    def allocations(
        self, creditor: str, *, document: str | None = None, payment: str | None = None
    ) -> list[Allocation]:
        """Allocations by date then id; only those settling invoice `document`, or only those of
        payment `payment`, when given."""
        creditor_id = self._creditor_id(creditor)
        invoice = aliased(DocumentRecord)
        note = aliased(DocumentRecord)
        query = (
            select(
                invoice.number,
                AllocationRecord.amount_minor,
                AllocationRecord.currency,
                AllocationRecord.allocated_on,
                PaymentRecord.reference,
                note.number,
            )
            .join(invoice, invoice.id == AllocationRecord.document_id)
            .outerjoin(PaymentRecord, PaymentRecord.id == AllocationRecord.payment_id)
            .outerjoin(note, note.id == AllocationRecord.credit_note_id)
            .where(AllocationRecord.creditor_id == creditor_id)
            .order_by(AllocationRecord.allocated_on, AllocationRecord.id)
        )
        if document is not None:
            query = query.where(invoice.number == document, invoice.kind == "invoice")
        if payment is not None:
            query = query.where(PaymentRecord.reference == payment)
        return [
            Allocation(
                creditor=creditor,
                document=number,
                amount=Money.from_minor_units(amount, currency),
                allocated_on=allocated_on,
                payment=reference,
                credit_note=note_number,
            )
            for number, amount, currency, allocated_on, reference, note_number in self._session.execute(query)
        ]

    # --- helpers ----------------------------------------------------------------------------

    def _documents(self, creditor: str, creditor_id: int, kind: str, numbers: set[str]) -> dict[str, _Source]:
        found: dict[str, _Source] = {}
        label = kind.replace("_", " ")
        for chunk in chunks(numbers, IN_CHUNK):
            for id_, number, debtor_id, currency, open_minor, status in self._session.execute(
                select(
                    DocumentRecord.id,
                    DocumentRecord.number,
                    DocumentRecord.debtor_id,
                    DocumentRecord.currency,
                    DocumentRecord.open_minor,
                    DocumentRecord.status,
                ).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == kind,
                    DocumentRecord.number.in_(chunk),
                )
            ):
                found[number] = _Source(id_, f"{label} {number}", debtor_id, currency, open_minor, status)
        missing = numbers.difference(found)
        if missing:
            raise NotFoundError(f"creditor {creditor} has no {label} {', '.join(sorted(missing))}")
        return found

    def _payments(self, creditor: str, creditor_id: int, references: set[str]) -> dict[str, _Source]:
        found: dict[str, _Source] = {}
        for chunk in chunks(references, IN_CHUNK):
            for id_, reference, debtor_id, currency, unallocated in self._session.execute(
                select(
                    PaymentRecord.id,
                    PaymentRecord.reference,
                    PaymentRecord.debtor_id,
                    PaymentRecord.currency,
                    PaymentRecord.unallocated_minor,
                ).where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk))
            ):
                found[reference] = _Source(id_, f"payment {reference}", debtor_id, currency, unallocated)
        missing = references.difference(found)
        if missing:
            raise NotFoundError(f"creditor {creditor} has no payment {', '.join(sorted(missing))}")
        return found

    def _take(self, creditor_id: int, taken: dict[int, int], documents: dict[int, _Source]) -> None:
        """Reduce documents' open amounts, each only if it is still open and has enough open."""
        remaining = DOCUMENTS.c.open_minor - bindparam("taken")
        statement = (
            update(DOCUMENTS)
            .where(
                DOCUMENTS.c.creditor_id == creditor_id,
                DOCUMENTS.c.id == bindparam("document_id"),
                # not IN (...): an expanding list cannot go into an executemany
                or_(*(DOCUMENTS.c.status == status for status in OPEN_STATUSES)),
                DOCUMENTS.c.open_minor >= bindparam("taken"),
            )
            .values(open_minor=remaining, status=case((remaining == 0, "paid"), else_="part_paid"))
        )
        parameters = [{"document_id": key, "taken": amount} for key, amount in taken.items()]
        self._guarded_update(statement, parameters, [documents[key].label for key in taken])

    def _spend(self, creditor_id: int, spent: dict[int, int], payments: dict[int, _Source]) -> None:
        """Reduce payments' unallocated cash, each only if it has enough left."""
        statement = (
            update(PAYMENTS)
            .where(
                PAYMENTS.c.creditor_id == creditor_id,
                PAYMENTS.c.id == bindparam("payment_id"),
                PAYMENTS.c.unallocated_minor >= bindparam("spent"),
            )
            .values(unallocated_minor=PAYMENTS.c.unallocated_minor - bindparam("spent"))
        )
        parameters = [{"payment_id": key, "spent": amount} for key, amount in spent.items()]
        self._guarded_update(statement, parameters, [payments[key].label for key in spent])

    def _guarded_update(self, statement: Update, parameters: list[dict[str, int]], labels: list[str]) -> None:
        """Run an UPDATE whose WHERE refuses rows that changed since they were checked; every
        row must be updated. The amounts were checked on what this transaction read, so a row
        refused here was changed by a concurrent unit of work."""
        if not parameters:
            return
        connection = self._session.connection()
        if connection.dialect.supports_sane_multi_rowcount:
            batches = [parameters]
        else:  # count row by row where the driver cannot count an executemany
            batches = [[one] for one in parameters]
        for batch in batches:
            changed = cast(CursorResult[Any], connection.execute(statement, batch)).rowcount
            if changed != len(batch):
                shown = labels[0] if len(labels) == 1 else f"one of {', '.join(labels[:5])}"
                raise InvalidAllocationError(f"{shown} changed while it was being allocated; try again")

    def _explain_duplicates(
        self, creditor: str, creditor_id: int, references: list[str]
    ) -> ArrearsError | None:
        seen: set[str] = set()
        for reference in references:
            if reference in seen:
                return DuplicateError(f"payment {reference} is given twice for creditor {creditor}")
            seen.add(reference)
        for chunk in chunks(seen, IN_CHUNK):
            existing = self._session.scalar(
                select(PaymentRecord.reference)
                .where(PaymentRecord.creditor_id == creditor_id, PaymentRecord.reference.in_(chunk))
                .limit(1)
            )
            if existing is not None:
                return DuplicateError(f"creditor {creditor} already has payment {existing}")
        return None

    # --- added for accounting connections (arrears.services.sync_accounting) ------------------

    def upsert(self, creditor: str, payments: Iterable[Payment]) -> tuple[int, int]:
        """Add or update payments from an accounting package, matched by reference; returns
        (added, updated), `updated` counting only payments whose stored values changed. The
        package owns the date, amount, currency, unallocated cash and debtor (a payment without
        a debtor keeps the one it has). A payment given twice counts once, the last one given."""
        by_reference: dict[str, Payment] = {}
        for payment in payments:
            if payment.creditor != creditor:
                raise WrongCreditorError(
                    f"payment {payment.reference} belongs to creditor {payment.creditor}, not {creditor}"
                )
            by_reference[payment.reference] = payment
        creditor_id = self._creditor_id(creditor)
        stored: dict[str, dict[str, Any]] = {}
        for chunk in chunks(by_reference, IN_CHUNK):
            for row in self._session.execute(
                select(
                    PAYMENTS.c.id,
                    PAYMENTS.c.reference,
                    PAYMENTS.c.debtor_id,
                    PAYMENTS.c.received_on,
                    PAYMENTS.c.currency,
                    PAYMENTS.c.amount_minor,
                    PAYMENTS.c.unallocated_minor,
                ).where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.reference.in_(chunk))
            ):
                stored[row.reference] = dict(row._mapping)
        new = [payment for reference, payment in by_reference.items() if reference not in stored]
        added = self.add(creditor, new) if new else 0
        codes = {p.debtor for r, p in by_reference.items() if r in stored and p.debtor is not None}
        debtor_ids = self._debtor_ids(creditor_id, codes)
        unknown = codes.difference(debtor_ids)
        if unknown:
            raise NotFoundError(f"creditor {creditor} has no debtor(s) {', '.join(sorted(unknown))}")
        updated = 0
        for reference, current in stored.items():
            payment = by_reference[reference]
            wanted = {
                "debtor_id": current["debtor_id"] if payment.debtor is None else debtor_ids[payment.debtor],
                "received_on": payment.received_on,
                "currency": payment.amount.currency,
                "amount_minor": payment.amount.to_minor_units(),
                "unallocated_minor": payment.unallocated_amount.to_minor_units(),
            }
            if any(current[key] != value for key, value in wanted.items()):
                self._session.execute(
                    update(PAYMENTS)
                    .where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.id == current["id"])
                    .values(wanted)
                )
                updated += 1
        return added, updated

    def remove(self, creditor: str, references: Iterable[str]) -> int:
        """Delete payments (the package deleted or voided them) with their allocations; returns
        how many were deleted. Unknown references are ignored, and so are payments a bank line
        brought: the bank's cash is real whatever the package says (`unlink_from_source` gives
        it back its own reference first)."""
        creditor_id = self._creditor_id(creditor)
        removed = 0
        banked = select(BankMatchRecord.payment_id).where(BankMatchRecord.creditor_id == creditor_id)
        for chunk in chunks(set(references), IN_CHUNK):
            ids = list(
                self._session.scalars(
                    select(PAYMENTS.c.id).where(
                        PAYMENTS.c.creditor_id == creditor_id,
                        PAYMENTS.c.reference.in_(chunk),
                        PAYMENTS.c.id.not_in(banked),
                    )
                )
            )
            if not ids:
                continue
            self._session.execute(
                delete(ALLOCATIONS).where(
                    ALLOCATIONS.c.creditor_id == creditor_id, ALLOCATIONS.c.payment_id.in_(ids)
                )
            )
            self._session.execute(
                delete(PAYMENTS).where(PAYMENTS.c.creditor_id == creditor_id, PAYMENTS.c.id.in_(ids))
            )
            removed += len(ids)
        return removed

    def replace_allocations(
        self,
        creditor: str,
        allocations: Iterable[Allocation],
        *,
        payment: str | None = None,
        credit_note: str | None = None,
    ) -> int:
        """Make the allocations of one payment (or one credit note) exactly `allocations`, as an
        accounting package reports them; returns how many there now are.

        Unlike `allocate`, nothing else moves: the package's open amounts and unallocated cash
        are written with the documents and payments. Each allocation must come from the payment
        or credit note named, in its currency, to an invoice of the creditor in that currency.
        """
        if (payment is None) == (credit_note is None):
            raise InvalidAllocationError("replace the allocations of exactly one payment or one credit note")
        creditor_id = self._creditor_id(creditor)
        if payment is not None:
            source = self._payments(creditor, creditor_id, {payment})[payment]
            column = ALLOCATIONS.c.payment_id
        else:
            note = str(credit_note)
            source = self._documents(creditor, creditor_id, "credit_note", {note})[note]
            column = ALLOCATIONS.c.credit_note_id
        batch = list(allocations)
        for allocation in batch:
            if allocation.creditor != creditor:
                raise WrongCreditorError(
                    f"allocation to {allocation.document} belongs to creditor {allocation.creditor}, not {creditor}"
                )
            if (allocation.payment, allocation.credit_note) != (payment, credit_note):
                raise InvalidAllocationError(
                    f"allocation to {allocation.document} is not from {source.label}; give only its own allocations"
                )
        invoices = self._documents(creditor, creditor_id, "invoice", {a.document for a in batch})
        rows = []
        for allocation in batch:
            invoice = invoices[allocation.document]
            currency = allocation.amount.currency
            for side in (invoice, source):
                if side.currency != currency:
                    raise InvalidAllocationError(
                        f"{side.label} is in {side.currency}; the allocation to {allocation.document} is in {currency}"
                    )
            rows.append(
                {
                    "creditor_id": creditor_id,
                    "document_id": invoice.id,
                    "payment_id": source.id if payment is not None else None,
                    "credit_note_id": source.id if credit_note is not None else None,
                    "allocated_on": allocation.allocated_on,
                    "currency": currency,
                    "amount_minor": allocation.amount.to_minor_units(),
                }
            )
        with self._session.begin_nested():
            self._session.execute(
                delete(ALLOCATIONS).where(ALLOCATIONS.c.creditor_id == creditor_id, column == source.id)
            )
            self._insert(ALLOCATIONS, rows, lambda: None)
        return len(rows)


def _check(allocation: Allocation, invoice: _Source, source: _Source) -> None:
    """The rules of `arrears.core.ledger` for settling an invoice, on what the database holds."""
    currency = allocation.amount.currency
    for side in (invoice, source):
        if side.currency != currency:
            raise InvalidAllocationError(
                f"{side.label} is in {side.currency}; the allocation to {allocation.document} is in {currency}"
            )
    for side in (invoice, source):
        if side.status is not None and side.status not in OPEN_STATUSES:
            raise InvalidAllocationError(
                f"{side.label} is {side.status.replace('_', ' ')}; it cannot be allocated"
            )
    if source.debtor_id is not None and source.debtor_id != invoice.debtor_id:
        raise InvalidAllocationError(f"{source.label} and {invoice.label} are on different debtor accounts")


def _check_available(side: _Source, amount: int, consequence: str) -> None:
    if amount > side.available:
        currency = side.currency
        raise InvalidAllocationError(
            f"{side.label} has {Money.from_minor_units(side.available, currency)} {side.available_as}; allocating "
            f"{Money.from_minor_units(amount, currency)} {consequence}"
        )
