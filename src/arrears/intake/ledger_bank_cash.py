"""The bank's cash in a ledger import's plan (pure): an export that still shows an invoice open
after the bank paid it does not reopen it.

A bank line matched to a debtor is a `BANK-...` payment whose cash Arrears has allocated to
invoices. The file comes from the accounting package, which records that payment only once the
bookkeeper has entered it; until then its export shows the invoice as open as before. The
import applies the rule the accounting sync applies (`arrears.core.bank_cash`):

- an invoice the file lists is kept with **the file's open amount less the bank cash the source
  has not recorded yet**, never below zero; where the file leaves less open than that cash, the
  bank's allocations give way, newest first, and their cash goes back on the payer's account;
- **the source has recorded** a bank payment's cash when the invoice's open amount in the file is
  lower, by at least that cash, than the source's figure the ledger last took (the stored open
  amount plus the bank cash waiting): that cash is then in the file's figures, and recorded so
  (`BankCashPlan.recorded`), never to be taken off them again. A full export that no longer
  lists the invoice shows it settled: all its bank cash is recorded. A part ledger says nothing
  of the invoices it does not list;
- a file that shows more open than the recorded bank cash leaves room for (an older export
  imported again) no longer records it (`BankCashPlan.unrecorded`): it counts apart again.

The plan's document updates carry the open amounts to keep (an update that then changes
nothing is dropped), `SyncPlan.bank_cash` says what the bank's cash did, and the import's
totals stay the file's: `BankCashPlan.pending` is the difference, bank cash not yet in the file.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from arrears.core.bank_cash import BankCash, bank_cash_kept, recorded_by_source, unrecorded_by_source
from arrears.store.repositories.documents import DocumentRow, StoredDocument
from arrears.store.repositories.imports_bank_cash import BankAllocation

if TYPE_CHECKING:
    from arrears.intake.ledger_sync import SyncPlan


@dataclass(frozen=True, slots=True)
class PaymentCash:
    """One bank payment's cash on one invoice: its allocations, oldest first, as (allocation id,
    minor units), and how much of it the source's figures include (`recorded`, taken to be the
    oldest allocations)."""

    payment: str
    payment_id: int
    allocations: tuple[tuple[int, int], ...]
    recorded: int = 0

    @property
    def total(self) -> int:
        return sum(minor for _, minor in self.allocations)

    def waiting(self) -> tuple[tuple[int, int], ...]:
        """The allocations (parts) the source has not recorded, oldest first."""
        already = self.recorded
        left = []
        for allocation_id, minor in self.allocations:
            taken = min(already, minor)
            already -= taken
            if minor > taken:
                left.append((allocation_id, minor - taken))
        return tuple(left)


@dataclass(frozen=True, slots=True)
class InvoiceBankCash:
    """An invoice as stored, with the cash the bank's payments not linked to the package's have
    on it, per payment (in the order of their first allocation)."""

    document_id: int
    number: str
    debtor: str
    currency: str
    amount_minor: int
    open_minor: int
    status: str
    payments: tuple[PaymentCash, ...]

    @property
    def waiting_minor(self) -> int:
        return sum(payment.total - payment.recorded for payment in self.payments)


class BankCashRecorded(NamedTuple):
    """Bank cash the file's figures show the source has recorded on an invoice (`minor` > 0), or
    no longer records (`minor` < 0)."""

    document_id: int
    number: str
    debtor: str
    currency: str
    payment_id: int
    payment: str
    minor: int


class BankCashReleased(NamedTuple):
    """Part of a bank allocation that gives way: the file leaves no room for it on the invoice."""

    allocation_id: int
    minor: int
    document_id: int
    number: str
    debtor: str
    currency: str
    payment_id: int
    payment: str
    source_open: int


class BankCashPending(NamedTuple):
    """An invoice the file lists whose open amount the ledger keeps lower by bank cash the file
    does not show yet."""

    number: str
    debtor: str
    currency: str
    source_open: int
    open_minor: int
    payments: tuple[str, ...]

    @property
    def minor(self) -> int:
        return self.source_open - self.open_minor


@dataclass(slots=True)
class BankCashPlan:
    """What the bank's cash does in an import: recorded in the source (or no longer), given way,
    still pending, and the file's cash on account that is a bank payment (file reference -> bank
    reference)."""

    recorded: list[BankCashRecorded] = field(default_factory=list)
    released: list[BankCashReleased] = field(default_factory=list)
    pending: list[BankCashPending] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)

    def pending_by_currency(self) -> dict[str, int]:
        """Bank cash not yet in the file, per currency (minor units): what the ledger's open
        invoices are below the file's."""
        totals: dict[str, int] = {}
        for pending in self.pending:
            totals[pending.currency] = totals.get(pending.currency, 0) + pending.minor
        return dict(sorted(totals.items()))


def bank_cash_on_invoices(
    allocations: Sequence[BankAllocation], recorded: Mapping[tuple[int, int], int]
) -> list[InvoiceBankCash]:
    """The bank's cash per invoice (in the order of their oldest bank allocation) and per payment,
    with what imports found the source had recorded of it (`recorded`, by (invoice id, payment
    id); never more than the allocations)."""
    by_invoice: dict[int, dict[int, list[BankAllocation]]] = {}
    for allocation in allocations:  # oldest first
        by_invoice.setdefault(allocation.document_id, {}).setdefault(allocation.payment_id, []).append(
            allocation
        )
    invoices: list[InvoiceBankCash] = []
    for document_id, by_payment in by_invoice.items():
        payments = []
        for payment_id, parts in by_payment.items():
            cash = PaymentCash(parts[0].payment, payment_id, tuple((part.id, part.minor) for part in parts))
            found = max(0, min(recorded.get((document_id, payment_id), 0), cash.total))
            payments.append(replace(cash, recorded=found))
        first = next(iter(by_payment.values()))[0]
        invoices.append(
            InvoiceBankCash(
                document_id,
                first.number,
                first.debtor,
                first.currency,
                first.amount_minor,
                first.open_minor,
                first.status,
                tuple(payments),
            )
        )
    return invoices


def plan_bank_cash(
    plan: "SyncPlan",
    invoices: Sequence[InvoiceBankCash],
    listed: Collection[str],
    full: bool,
    stored_documents: Mapping[tuple[str, str], StoredDocument],
) -> None:
    """Apply the rule (see the module docstring) to a plan whose documents are planned from the
    file: `invoices` are those with bank cash, `listed` the invoice numbers the file has among
    theirs, `full` whether the file is the whole ledger."""
    from arrears.intake.ledger_sync import DocumentUpdate, _changed, _status

    updates = {update.id: position for position, update in enumerate(plan.documents_to_update)}
    dropped: set[int] = set()
    for invoice in invoices:
        if invoice.status == "written_off":
            continue  # Arrears' decision: the import leaves it as it is
        position = updates.get(invoice.document_id)
        amount = invoice.amount_minor
        if position is not None:
            source_open = plan.documents_to_update[position].row.open_minor
            amount = plan.documents_to_update[position].row.amount_minor
        elif invoice.number in listed:
            source_open = invoice.open_minor  # the file has it as stored
        elif full:
            source_open = 0  # no longer in the whole ledger: settled in the source
        else:
            continue
        kept = _settle(plan.bank_cash, invoice, source_open, amount, listed=invoice.number in listed)
        if position is None:
            if invoice.number in listed and kept != source_open:
                # listed as stored, but the stored open amount did not allow for the bank's cash
                stored = stored_documents[("invoice", invoice.number)]
                row = DocumentRow(
                    stored.debtor,
                    "invoice",
                    invoice.number,
                    stored.issue_date,
                    stored.due_date,
                    stored.currency,
                    stored.amount_minor,
                    kept,
                    _status(stored.amount_minor, kept),
                    stored.external_reference,
                    stored.po_number,
                )
                change = DocumentUpdate(stored.id, "invoice", row, stored, "updated", _changed(row, stored))
                plan.documents_to_update.append(change)
                plan.unchanged -= 1
            continue
        update = plan.documents_to_update[position]
        row = update.row._replace(open_minor=kept, status=_status(update.row.amount_minor, kept))
        fields = _changed(row, update.old)
        if fields:
            plan.documents_to_update[position] = update._replace(row=row, fields=fields)
        else:
            dropped.add(position)
            plan.unchanged += 1
    if dropped:
        plan.documents_to_update = [u for i, u in enumerate(plan.documents_to_update) if i not in dropped]


def _settle(
    cash: BankCashPlan, invoice: InvoiceBankCash, source_open: int, amount: int, *, listed: bool
) -> int:
    """The open amount to keep for `invoice` when the file shows `source_open` of `amount`; what
    the bank's cash did goes into `cash`."""
    payments = list(invoice.payments)

    def note(payment: PaymentCash, minor: int) -> None:
        cash.recorded.append(
            BankCashRecorded(
                invoice.document_id,
                invoice.number,
                invoice.debtor,
                invoice.currency,
                payment.payment_id,
                payment.payment,
                minor,
            )
        )

    dropped = dict(unrecorded_by_source(amount, source_open, [(p.payment, p.recorded) for p in payments]))
    if dropped:  # the file shows more open than the recorded cash leaves room for
        for position, payment in enumerate(payments):
            if payment.payment in dropped:
                note(payment, -dropped[payment.payment])
                payments[position] = replace(payment, recorded=payment.recorded - dropped[payment.payment])
    else:
        waiting = [
            BankCash(p.payment, p.total - p.recorded, p.waiting()) for p in payments if p.total > p.recorded
        ]
        previous = invoice.open_minor + invoice.waiting_minor
        found = {c.payment for c in recorded_by_source(previous, source_open, waiting, amount=amount)}
        for position, payment in enumerate(payments):
            if payment.payment in found:
                note(payment, payment.total - payment.recorded)
                payments[position] = replace(payment, recorded=payment.total)
    payment_of = {allocation_id: p for p in payments for allocation_id, _ in p.waiting()}
    kept, releases = bank_cash_kept(source_open, [part for p in payments for part in p.waiting()])
    for allocation_id, minor in releases:
        payment = payment_of[allocation_id]
        cash.released.append(
            BankCashReleased(
                allocation_id,
                minor,
                invoice.document_id,
                invoice.number,
                invoice.debtor,
                invoice.currency,
                payment.payment_id,
                payment.payment,
                source_open,
            )
        )
    if listed and kept < source_open:
        still = tuple(p.payment for p in payments if p.total > p.recorded)
        cash.pending.append(
            BankCashPending(invoice.number, invoice.debtor, invoice.currency, source_open, kept, still)
        )
    return kept
