"""The simulator's object API: creditors, debtors and ledgers as `arrears.core.ledger` values.

`simulate(params)` returns everything at once (tests, the demo); `iter_ledger(params)` streams
it creditor by creditor in chunks of debtors (benchmarks at a million invoices). Both give the
same values for the same parameters: the same seed always gives the same ledger.

>>> ledger = simulate(SimulationParams(creditors=1, debtors=5, invoices=40, seed=1))
>>> (len(ledger.creditors), len(ledger.debtors), len(ledger.invoices))
(1, 5, 40)
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from arrears.core.ledger import (
    Allocation,
    Creditor,
    Debtor,
    Document,
    DocumentKind,
    DocumentStatus,
    Payment,
)
from arrears.core.money import Money
from arrears.sim.behaviour import BehaviourType
from arrears.sim.engine import AllocationRow, CreditorSimulator, DocumentRow, PaymentRow, RowChunk
from arrears.sim.params import SimulationParams, creditor_plans

_KINDS = {kind.value: kind for kind in DocumentKind}
_STATUSES = {status.value: status for status in DocumentStatus}


@dataclass(frozen=True, slots=True)
class LaterPayment:
    """A payment a debtor would make after the simulation's `settled_until`: not in the ledger;
    the demo brings it in through the bank, on its day."""

    creditor: str
    debtor: str
    invoice: str
    paid_on: date
    amount: Money


@dataclass(frozen=True, slots=True)
class LedgerChunk:
    """Some debtors of one creditor with all their documents, payments and allocations.

    A chunk is self-contained: every allocation refers to a document and a payment (or credit
    note) in the same chunk. `first` is true on the creditor's first chunk, the place to
    create the creditor before loading its rows.
    """

    creditor: Creditor
    first: bool
    debtors: tuple[Debtor, ...]
    behaviours: tuple[BehaviourType, ...]  # the simulated truth, aligned with `debtors`
    documents: tuple[Document, ...]
    payments: tuple[Payment, ...]
    allocations: tuple[Allocation, ...]
    later_payments: tuple[LaterPayment, ...] = ()


@dataclass(frozen=True, slots=True)
class SimulatedLedger:
    """A whole simulated agency: every creditor's debtors and ledger, as of `as_of`."""

    as_of: date
    creditors: tuple[Creditor, ...]
    debtors: tuple[Debtor, ...]
    behaviours: dict[tuple[str, str], BehaviourType]  # (creditor, account code) -> behaviour
    documents: tuple[Document, ...]
    payments: tuple[Payment, ...]
    allocations: tuple[Allocation, ...]

    @property
    def invoices(self) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.kind is DocumentKind.INVOICE)

    @property
    def credit_notes(self) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.kind is DocumentKind.CREDIT_NOTE)


def iter_row_chunks(params: SimulationParams) -> Iterator[RowChunk]:
    """The ledger as plain rows (see `arrears.sim.rows`), creditor by creditor."""
    for plan in creditor_plans(params):
        yield from CreditorSimulator(params, plan).chunks()


def iter_ledger(params: SimulationParams) -> Iterator[LedgerChunk]:
    """The simulated ledger, creditor by creditor, `params.chunk_debtors` debtors at a time.

    Memory holds one creditor's invoice dates and numbers (a few bytes an invoice) and one
    chunk of values: a million invoices stream in about 40 MB (docs/simulator.md).
    """
    for rows in iter_row_chunks(params):
        yield _to_values(rows)


def simulate(params: SimulationParams | None = None) -> SimulatedLedger:
    """The whole simulated ledger in memory: for tests and the demo (use `iter_ledger` at scale)."""
    params = params or SimulationParams()
    creditors: list[Creditor] = []
    debtors: list[Debtor] = []
    behaviours: dict[tuple[str, str], BehaviourType] = {}
    documents: list[Document] = []
    payments: list[Payment] = []
    allocations: list[Allocation] = []
    for chunk in iter_ledger(params):
        if chunk.first:
            creditors.append(chunk.creditor)
        debtors.extend(chunk.debtors)
        for debtor, behaviour in zip(chunk.debtors, chunk.behaviours, strict=True):
            behaviours[(debtor.creditor, debtor.account_code)] = behaviour
        documents.extend(chunk.documents)
        payments.extend(chunk.payments)
        allocations.extend(chunk.allocations)
    return SimulatedLedger(
        as_of=params.as_of,
        creditors=tuple(creditors),
        debtors=tuple(debtors),
        behaviours=behaviours,
        documents=tuple(documents),
        payments=tuple(payments),
        allocations=tuple(allocations),
    )


def _to_values(rows: RowChunk) -> LedgerChunk:
    zeros: dict[str, Money] = {}

    def zero(currency: str) -> Money:
        if currency not in zeros:
            zeros[currency] = Money.from_minor_units(0, currency)
        return zeros[currency]

    return LedgerChunk(
        creditor=rows.creditor,
        first=rows.first,
        debtors=tuple(rows.debtors),
        behaviours=tuple(rows.behaviours),
        documents=tuple(_document(row, zero) for row in rows.documents),
        payments=tuple(_payment(row, zero) for row in rows.payments),
        allocations=tuple(_allocation(row) for row in rows.allocations),
        later_payments=tuple(
            LaterPayment(rows.creditor.code, debtor, number, paid_on, Money.from_minor_units(minor, currency))
            for debtor, number, paid_on, currency, minor in rows.later_payments
        ),
    )


def _document(row: DocumentRow, zero: Callable[[str], Money]) -> Document:
    creditor, debtor, kind, number, issued, due, currency, amount_minor, open_minor, status = row
    amount = Money.from_minor_units(amount_minor, currency)
    if open_minor == amount_minor:
        open_amount = amount
    elif open_minor == 0:
        open_amount = zero(currency)
    else:
        open_amount = Money.from_minor_units(open_minor, currency)
    return Document(
        creditor, debtor, _KINDS[kind], number, issued, due, amount, open_amount, _STATUSES[status]
    )


def _payment(row: PaymentRow, zero: Callable[[str], Money]) -> Payment:
    creditor, reference, debtor, received_on, currency, amount_minor, unallocated_minor = row
    unallocated = Money.from_minor_units(unallocated_minor, currency) if unallocated_minor else zero(currency)
    return Payment(
        creditor, reference, received_on, Money.from_minor_units(amount_minor, currency), debtor, unallocated
    )


def _allocation(row: AllocationRow) -> Allocation:
    creditor, document, allocated_on, currency, amount_minor, payment, credit_note = row
    return Allocation(
        creditor,
        document,
        Money.from_minor_units(amount_minor, currency),
        allocated_on,
        payment=payment,
        credit_note=credit_note,
    )
