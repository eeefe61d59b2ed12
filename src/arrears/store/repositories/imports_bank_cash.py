"""What a ledger import needs to know about the bank's cash (used through `ImportRepository`).

A bank line matched to a debtor is a `BANK-...` payment whose cash Arrears allocated to
invoices (`arrears.services.matching`); it keeps that reference until a payment of the
accounting package is linked to it (`PaymentLinks.link_to_source`). A ledger file names no
payments for what it shows paid, so when a file's open amounts show that the source has
recorded a bank payment's cash on an invoice, the import records that as a change (kind
`cash_cleared`, about both the invoice and the bank payment; `old_open_minor` the cash counted
apart from the source's figures before, `new_open_minor` after: cash, 0): the bank cash is in
the source's figures from then on, and is not taken off them again. A file that no longer
shows it (an older export imported again) records the opposite change (0, cash).
See `arrears.core.bank_cash` and docs/intake.md "Sync: importing again".
"""

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select

from arrears.store.repositories._common import Repository
from arrears.store.repositories.payments_links import BANK_PREFIX, release_allocations
from arrears.store.tables import AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_intake import ImportChangeRecord

BANK_CASH_RECORDED = "cash_cleared"
"""The change kind that says an import found a bank payment's cash on an invoice in the source's
figures (with both `document_id` and `payment_id`; cash on account cleared has no document)."""


class BankAllocation(NamedTuple):
    """An allocation of a bank payment not linked to the package's (`BANK-...`) to an invoice,
    with the invoice as stored."""

    id: int
    allocated_on: date
    minor: int
    payment_id: int
    payment: str
    document_id: int
    number: str
    debtor: str
    currency: str
    amount_minor: int
    open_minor: int
    status: str


class ImportBankCash(Repository):
    def bank_allocations(self, creditor: str) -> list[BankAllocation]:
        """Every allocation of the creditor's bank payments not linked to the package's to an
        invoice, oldest first (by date, then id)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                AllocationRecord.id,
                AllocationRecord.allocated_on,
                AllocationRecord.amount_minor,
                PaymentRecord.id,
                PaymentRecord.reference,
                DocumentRecord.id,
                DocumentRecord.number,
                DebtorRecord.account_code,
                DocumentRecord.currency,
                DocumentRecord.amount_minor,
                DocumentRecord.open_minor,
                DocumentRecord.status,
            )
            .join(PaymentRecord, PaymentRecord.id == AllocationRecord.payment_id)
            .join(DocumentRecord, DocumentRecord.id == AllocationRecord.document_id)
            .join(DebtorRecord, DebtorRecord.id == DocumentRecord.debtor_id)
            .where(
                AllocationRecord.creditor_id == creditor_id,
                PaymentRecord.creditor_id == creditor_id,
                PaymentRecord.reference.startswith(BANK_PREFIX, autoescape=True),
                DocumentRecord.kind == "invoice",
            )
            .order_by(AllocationRecord.allocated_on, AllocationRecord.id)
        )
        return [BankAllocation._make(row) for row in self._session.execute(query)]

    def bank_cash_recorded(self, creditor: str) -> dict[tuple[int, int], int]:
        """(invoice id, bank payment id) -> the cash (minor units) imports found the source has
        recorded, over all the creditor's imports (what they found recorded less what they found
        no longer recorded)."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(
                ImportChangeRecord.document_id,
                ImportChangeRecord.payment_id,
                func.sum(
                    func.coalesce(ImportChangeRecord.old_open_minor, 0)
                    - func.coalesce(ImportChangeRecord.new_open_minor, 0)
                ),
            )
            .where(
                ImportChangeRecord.creditor_id == creditor_id,
                ImportChangeRecord.change == BANK_CASH_RECORDED,
                ImportChangeRecord.document_id.is_not(None),
                ImportChangeRecord.payment_id.is_not(None),
            )
            .group_by(ImportChangeRecord.document_id, ImportChangeRecord.payment_id)
        )
        recorded: dict[tuple[int, int], int] = {}
        for document_id, payment_id, minor in self._session.execute(query):
            if document_id is not None and payment_id is not None:
                recorded[(int(document_id), int(payment_id))] = int(minor or 0)
        return recorded

    def release_bank_cash(self, creditor: str, parts: Sequence[tuple[int, int]]) -> int:
        """Undo (parts of) bank allocations, given as (allocation id, minor units): the cash goes
        back on the payment's account (unallocated). The invoices' open amounts are left to the
        import, which sets them from the file. Returns the minor units released."""
        creditor_id = self._creditor_id(creditor)
        wanted: dict[int, int] = {}
        for allocation_id, minor in parts:
            wanted[allocation_id] = wanted.get(allocation_id, 0) + minor
        release_allocations(self._session, creditor_id, creditor, wanted)
        return sum(wanted.values())
