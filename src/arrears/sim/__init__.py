"""Seeded ledger and debtor-behaviour simulator for the demo, the tests and the benchmarks.

>>> from arrears.sim import SimulationParams, simulate
>>> ledger = simulate(SimulationParams(creditors=2, debtors=20, invoices=200, seed=7))
>>> len(ledger.invoices)
200

See docs/simulator.md for the model and where its figures come from.
"""

from arrears.sim.behaviour import PROFILES, BehaviourProfile, BehaviourType, sample_days_late
from arrears.sim.generator import (
    LaterPayment,
    LedgerChunk,
    SimulatedLedger,
    iter_ledger,
    iter_row_chunks,
    simulate,
)
from arrears.sim.params import SimulationError, SimulationParams, creditor_plans
from arrears.sim.rows import (
    ALLOCATION_COLUMNS,
    DOCUMENT_COLUMNS,
    PAYMENT_COLUMNS,
    AllocationRow,
    DocumentRow,
    PaymentRow,
    RowChunk,
    iter_document_rows,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "DOCUMENT_COLUMNS",
    "PAYMENT_COLUMNS",
    "PROFILES",
    "AllocationRow",
    "BehaviourProfile",
    "BehaviourType",
    "DocumentRow",
    "LaterPayment",
    "LedgerChunk",
    "PaymentRow",
    "RowChunk",
    "SimulatedLedger",
    "SimulationError",
    "SimulationParams",
    "creditor_plans",
    "iter_document_rows",
    "iter_ledger",
    "iter_row_chunks",
    "sample_days_late",
    "simulate",
]
