"""Write off what is left on an invoice, with a reason and an approver.

A write-off within the creditor's `write_off_without_approval_up_to` is applied at once, approved
by its rules; one beyond it is applied at once only when a creditor's user approves it as it is
asked (`approved_by=`), otherwise it waits for approval (`approve_write_off`, `refuse_write_off`).
An early-payment discount the debtor took under terms such as "2/10 net 30" is written off with
`write_off_discount` (approved by the terms). Every write-off lowers the invoice's open amount in
the same transaction as it is recorded, so the ledger always reconciles:
opening balance + invoices - credit notes - allocations - write-offs = open balance.
"""

from dataclasses import dataclass
from datetime import date

from arrears.core.deal_rules import APPROVED_BY_RULES, Decision
from arrears.core.money import Money
from arrears.core.terms import discount_write_off, parse_terms
from arrears.core.writeoffs import WriteOffReason, decide_write_off, write_off
from arrears.services.deal_rules import rules_in_force
from arrears.store.repositories import StoredWriteOff
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class WriteOffOutcome:
    """The write-off as recorded (applied, or awaiting approval) and what the rules said."""

    write_off: StoredWriteOff
    decision: Decision

    @property
    def applied(self) -> bool:
        return self.write_off.state == "applied"


def write_off_invoice(
    uow: UnitOfWork,
    creditor: str,
    document: str,
    amount: Money | None = None,
    *,
    reason: WriteOffReason,
    on: date,
    by: str,
    note: str = "",
    approved_by: str | None = None,
) -> WriteOffOutcome:
    """Write off `amount` (default: all that is open) of invoice `document` (see the module
    docstring for who approves)."""
    with uow:
        uow.creditors.lock(creditor)
        invoice = uow.documents.get(creditor, document)
        wanted = invoice.open_amount if amount is None else amount
        decision = decide_write_off(wanted, rules_in_force(uow, creditor))
        approver = approved_by or (APPROVED_BY_RULES if decision.accepted else None)
        if approver is None:
            stored = uow.write_offs.request(
                creditor, document, wanted, reason=WriteOffReason(reason), on=on, requested_by=by, note=note
            )
        else:
            value = write_off(
                invoice, wanted, reason=WriteOffReason(reason), approved_by=approver, on=on, note=note
            )
            stored = uow.write_offs.apply(creditor, value, requested_by=by)
        uow.commit()
    return WriteOffOutcome(stored, decision)


def approve_write_off(
    uow: UnitOfWork, creditor: str, write_off_id: int, *, by: str, on: date
) -> StoredWriteOff:
    """The creditor's user approves a waiting write-off; it is applied now."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.write_offs.approve(creditor, write_off_id, by=by, on=on)
        uow.commit()
    return stored


def refuse_write_off(
    uow: UnitOfWork, creditor: str, write_off_id: int, *, by: str, on: date
) -> StoredWriteOff:
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.write_offs.refuse(creditor, write_off_id, by=by, on=on)
        uow.commit()
    return stored


def write_off_discount(
    uow: UnitOfWork, creditor: str, document: str, terms: str, *, paid_on: date, by: str
) -> StoredWriteOff:
    """Write off the early-payment discount a debtor took by paying invoice `document` within the
    discount period of `terms` ("2/10 net 30"); refused when the discount was not available or
    more than it is still open."""
    with uow:
        uow.creditors.lock(creditor)
        invoice = uow.documents.get(creditor, document)
        value = discount_write_off(invoice, parse_terms(terms), paid_on)
        stored = uow.write_offs.apply(creditor, value, requested_by=by)
        uow.commit()
    return stored


def list_write_offs(
    uow: UnitOfWork, creditor: str, *, debtor: str | None = None, states: tuple[str, ...] | None = None
) -> list[StoredWriteOff]:
    with uow:
        return uow.write_offs.list(creditor, debtor=debtor, states=states)
