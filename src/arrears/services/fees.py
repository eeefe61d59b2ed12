"""Charge a debtor a fee the creditor allows (a returned payment, an administration fee).

The fee must be one the creditor's deal rules allow, at their amount or less
(`arrears.core.terms.charge_fee`). It becomes a ledger invoice (`FEE-F-00001`), chased and
reconciled like any other, and is recorded with the invoice it became.
"""

from dataclasses import dataclass
from datetime import date

from arrears.core.deal_rules import FeeKind
from arrears.core.ledger import Document
from arrears.core.money import Money
from arrears.core.terms import Fee, charge_fee, fee_invoice
from arrears.services.deal_rules import rules_in_force
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class FeeCharged:
    fee: Fee
    invoice: Document


def charge_debtor_fee(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    kind: FeeKind,
    *,
    on: date,
    by: str,
    amount: Money | None = None,
    note: str = "",
    due_days: int = 0,
) -> FeeCharged:
    """Charge the fee and add its invoice, due `due_days` after `on`."""
    with uow:
        uow.creditors.lock(creditor)
        uow.debtors.get(creditor, debtor)
        reference = uow.deals.next_reference(creditor, "fee")
        fee = charge_fee(
            rules_in_force(uow, creditor),
            creditor,
            debtor,
            FeeKind(kind),
            on=on,
            reference=reference,
            amount=amount,
            note=note,
        )
        invoice = fee_invoice(fee, number=f"FEE-{reference}", due_days=due_days)
        uow.documents.add(creditor, [invoice])
        uow.deals.add_fee(creditor, fee, invoice=invoice.number, by=by)
        uow.commit()
    return FeeCharged(fee, invoice)
