"""What to simulate: the parameters, and how debtors and invoices are split across creditors."""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor
from arrears.sim.behaviour import PROFILES, BehaviourType
from arrears.sim.names import creditor_name


class SimulationError(ArrearsError, ValueError):
    """Simulation parameters that cannot produce a ledger."""


@dataclass(frozen=True, slots=True)
class SimulationParams:
    """The size, seed and shape of a simulated agency's ledgers.

    `debtors` and `invoices` are totals over all creditors, split unevenly (a few large
    clients, many small ones) unless `creditor_sizes` gives each creditor's (debtors,
    invoices) explicitly. Credit notes come on top of `invoices`. History runs over the
    `history_days` days up to and including `as_of`; nothing after `as_of` exists.
    `settled_until` (at most `as_of`) stops the settlements (payments and credit notes) there:
    invoices keep being issued up to `as_of`, but nothing is paid after `settled_until`, so that
    the demo can replay the days after it with its own payments.
    """

    creditors: int = 3
    debtors: int = 2000
    invoices: int = 50_000
    seed: int = 7
    as_of: date = date(2025, 6, 30)
    history_days: int = 365
    foreign_currency_share: float = 0.02  # debtors invoiced in EUR (70%) or USD (30%)
    behaviour_shares: Mapping[BehaviourType, float] | None = None  # None: the calibrated mix
    creditor_sizes: Sequence[tuple[int, int]] | None = None  # explicit (debtors, invoices) each
    chunk_debtors: int = 500  # debtors per streamed chunk
    settled_until: date | None = None  # None: settlements run up to as_of

    def __post_init__(self) -> None:
        if self.creditor_sizes is not None:
            sizes = tuple((int(d), int(i)) for d, i in self.creditor_sizes)
            object.__setattr__(self, "creditor_sizes", sizes)
            object.__setattr__(self, "creditors", len(sizes))
            object.__setattr__(self, "debtors", sum(d for d, _ in sizes))
            object.__setattr__(self, "invoices", sum(i for _, i in sizes))
            if any(d < 1 or i < 0 for d, i in sizes):
                raise SimulationError("each creditor needs at least one debtor and no negative invoice count")
        if self.creditors < 1:
            raise SimulationError(f"creditors is {self.creditors}: simulate at least one creditor")
        if self.debtors < self.creditors:
            raise SimulationError(
                f"{self.debtors} debtors cannot be spread over {self.creditors} creditors: give at least one each"
            )
        if self.invoices < 0:
            raise SimulationError(f"invoices is {self.invoices}: it cannot be negative")
        if self.history_days < 30:
            raise SimulationError(
                f"history_days is {self.history_days}: simulate at least 30 days of history"
            )
        if not 0 <= self.foreign_currency_share <= 1:
            raise SimulationError("foreign_currency_share is a share between 0 and 1")
        if self.settled_until is not None and self.settled_until > self.as_of:
            raise SimulationError(
                f"settled_until ({self.settled_until.isoformat()}) is after as_of ({self.as_of.isoformat()})"
            )
        if self.chunk_debtors < 1:
            raise SimulationError("chunk_debtors must be at least 1")
        if self.behaviour_shares is not None:
            unknown = set(self.behaviour_shares) - set(PROFILES)
            if unknown or any(s < 0 for s in self.behaviour_shares.values()):
                raise SimulationError("behaviour_shares maps behaviour types to non-negative shares")
            if sum(self.behaviour_shares.values()) <= 0:
                raise SimulationError("behaviour_shares must give at least one type a positive share")


@dataclass(frozen=True, slots=True)
class CreditorPlan:
    """One creditor to simulate: who it is, how big, and the seed of its own random stream."""

    index: int
    creditor: Creditor
    debtors: int
    invoices: int
    seed: str


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Whole parts of `total` in proportion to `weights`, adding up exactly (largest remainder).

    Each part first gets `minimum`; the rest is shared by weight, rounded down, and the units
    left over go to the parts with the largest remainders (ties: earlier parts first).
    """
    count = len(weights)
    spare = total - minimum * count
    if count == 0 or spare < 0:
        raise SimulationError(f"cannot split {total} into {count} parts of at least {minimum}")
    weight_sum = math.fsum(weights)
    exact = [spare * w / weight_sum for w in weights] if weight_sum > 0 else [spare / count] * count
    parts = [int(e) for e in exact]
    left_over = spare - sum(parts)
    by_remainder = sorted(range(count), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return [p + minimum for p in parts]


def creditor_plans(params: SimulationParams) -> list[CreditorPlan]:
    """The creditors of the simulated agency, with their sizes.

    Names come first from the seed alone, so creditor n keeps its name whatever the sizes.
    Each creditor's ledger is drawn from its own stream, seeded by (seed, creditor index), so
    with explicit `creditor_sizes` resizing one creditor leaves the others unchanged.
    """
    rng = random.Random(params.seed)
    names: list[str] = []
    while len(names) < params.creditors:
        name = creditor_name(rng)
        if name not in names:
            names.append(name)
    if params.creditor_sizes is not None:
        sizes = list(params.creditor_sizes)
    else:
        # Agencies have a few large clients and a long tail of small ones.
        size_weights = [rng.lognormvariate(0, 0.9) for _ in range(params.creditors)]
        debtor_counts = apportion(params.debtors, size_weights, minimum=1)
        intensity = [d * rng.lognormvariate(0, 0.3) for d in debtor_counts]
        sizes = list(zip(debtor_counts, apportion(params.invoices, intensity), strict=True))
    return [
        CreditorPlan(
            index=i,
            creditor=Creditor(code=f"C{i + 1:03d}", name=names[i]),
            debtors=debtors,
            invoices=invoices,
            seed=f"arrears.sim:{params.seed}:creditor:{i}",
        )
        for i, (debtors, invoices) in enumerate(sizes)
    ]
