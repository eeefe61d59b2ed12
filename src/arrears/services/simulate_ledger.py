"""Write a simulated ledger into the store (the demo, tests and benchmarks use it)."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from arrears.core.ledger import Document, DocumentStatus
from arrears.core.money import Money
from arrears.sim import LaterPayment, SimulationParams, creditor_plans, iter_ledger
from arrears.store.errors import DuplicateError
from arrears.store.unit_of_work import SqlUnitOfWork


@dataclass(slots=True)
class SimulationReport:
    """What was written: counts per creditor and the open amount per currency."""

    creditors: list[str] = field(default_factory=list)
    debtors: int = 0
    invoices: int = 0
    credit_notes: int = 0
    payments: int = 0
    allocations: int = 0
    open_minor: dict[str, int] = field(default_factory=dict)
    # with `settled_until`: what debtors would pay after it (not written; the demo replays them)
    later_payments: list[LaterPayment] = field(default_factory=list)

    def open_amounts(self) -> dict[str, Money]:
        return {
            currency: Money.from_minor_units(minor, currency)
            for currency, minor in sorted(self.open_minor.items())
        }


def total_debtors(params: SimulationParams) -> int:
    """How many debtors the simulation will write (for a progress bar)."""
    return sum(plan.debtors for plan in creditor_plans(params))


def simulate_ledger(
    unit_of_work: Callable[[], SqlUnitOfWork],
    params: SimulationParams,
    *,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Simulate the ledger of `params` and write it, one transaction per chunk of debtors.

    Documents go in with their whole amount open and payments with all their cash unallocated;
    then the simulated allocations are recorded through the store, which takes them off the
    open amounts exactly as a real payment would. So the stored ledger reconciles by the same
    rules as any other, and the result equals the simulator's own open amounts.
    Creditor codes that already exist in the store are a clear error before anything is written.
    """
    planned = [plan.creditor.code for plan in creditor_plans(params)]
    with unit_of_work() as uow:
        existing = sorted({creditor.code for creditor in uow.creditors.list_all()}.intersection(planned))
    if existing:
        # The simulator always names its creditors C001, C002, ...: a second run into the same
        # store collides, whatever the seed.
        raise DuplicateError(
            f"creditor(s) {', '.join(existing)} already exist and the simulator names its creditors "
            "C001, C002, ...: simulate into a fresh workspace (`arrears --home NEW_FOLDER init`, then sim there)"
        )
    report = SimulationReport()
    for chunk in iter_ledger(params):
        creditor = chunk.creditor.code
        with unit_of_work() as uow:
            if chunk.first:
                uow.creditors.add(chunk.creditor)
                report.creditors.append(creditor)
            uow.debtors.add(creditor, chunk.debtors)
            uow.documents.add(creditor, (_unpaid(document) for document in chunk.documents))
            uow.payments.add(creditor, (replace(payment, unallocated=None) for payment in chunk.payments))
            uow.payments.allocate(creditor, chunk.allocations)
            uow.commit()
        report.debtors += len(chunk.debtors)
        report.payments += len(chunk.payments)
        report.allocations += len(chunk.allocations)
        report.later_payments.extend(chunk.later_payments)
        for document in chunk.documents:
            if document.is_invoice:
                report.invoices += 1
            else:
                report.credit_notes += 1
            minor = document.signed_open_amount.to_minor_units()
            report.open_minor[document.currency] = report.open_minor.get(document.currency, 0) + minor
        if progress is not None:
            progress(len(chunk.debtors))
    return report


def _unpaid(document: Document) -> Document:
    return replace(document, open_amount=document.amount, status=DocumentStatus.OPEN)


__all__ = ["SimulationReport", "simulate_ledger", "total_debtors"]
