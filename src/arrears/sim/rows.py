"""The fast path for bulk loading: the simulated ledger as plain tuples, no `Money` objects.

Same parameters, same rows: these are the very rows the object API (`iter_ledger`) turns
into `Document`, `Payment` and `Allocation` values, so the distributions are identical.
Amounts are integer minor units of the row's currency; dates are `datetime.date`.

Column orders (also as `DOCUMENT_COLUMNS`, `PAYMENT_COLUMNS`, `ALLOCATION_COLUMNS`):

- document: creditor, debtor, kind ('invoice' | 'credit_note'), number, issue_date,
  due_date, currency, amount_minor, open_amount_minor, status ('open' | 'part_paid' | 'paid')
- payment: creditor, reference, debtor, received_on, currency, amount_minor,
  unallocated_minor
- allocation: creditor, document (invoice number), allocated_on, currency, amount_minor,
  payment (reference or None), credit_note (number or None)

>>> row = next(iter_document_rows(SimulationParams(creditors=1, debtors=3, invoices=9, seed=2)))
>>> dict(zip(DOCUMENT_COLUMNS, row))["kind"]
'invoice'
"""

from collections.abc import Iterator

from arrears.sim.engine import (
    ALLOCATION_COLUMNS,
    DOCUMENT_COLUMNS,
    PAYMENT_COLUMNS,
    AllocationRow,
    DocumentRow,
    PaymentRow,
    RowChunk,
)
from arrears.sim.generator import iter_row_chunks
from arrears.sim.params import SimulationParams

__all__ = [
    "ALLOCATION_COLUMNS",
    "DOCUMENT_COLUMNS",
    "PAYMENT_COLUMNS",
    "AllocationRow",
    "DocumentRow",
    "PaymentRow",
    "RowChunk",
    "iter_document_rows",
    "iter_row_chunks",
]


def iter_document_rows(params: SimulationParams) -> Iterator[DocumentRow]:
    """Every simulated document (invoices and credit notes) as a tuple in `DOCUMENT_COLUMNS`
    order, streamed creditor by creditor."""
    for chunk in iter_row_chunks(params):
        yield from chunk.documents
