"""Ageing: open amounts by how long they are past due, in buckets.

(Contract stub: the bucket definition below is shared with the store's SQL push-down;
the report values and the `ageing()` function are built on it.)
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class AgeingBasis(StrEnum):
    """What the days are counted from: the due date (the default) or the invoice (issue) date."""

    DUE_DATE = "due-date"
    INVOICE_DATE = "invoice-date"


@dataclass(frozen=True, slots=True)
class Buckets:
    """Bucket edges in days. With edges (0, 30, 60, 90, 120) the buckets are
    current (<= 0 days), 1-30, 31-60, 61-90, 91-120 and 120+ (> 120 days).

    A bucket i (0 < i < len(edges)) holds days in edges[i-1]+1 .. edges[i]; the first holds
    days <= edges[0]; the last holds days > edges[-1].
    """

    edges: tuple[int, ...] = (0, 30, 60, 90, 120)

    def __post_init__(self) -> None:
        if not self.edges:
            raise ValueError("ageing needs at least one bucket edge")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"bucket edges must increase: {self.edges}")

    def __len__(self) -> int:
        return len(self.edges) + 1

    @property
    def labels(self) -> tuple[str, ...]:
        first = "current" if self.edges[0] == 0 else f"<={self.edges[0]}"
        middle = [f"{a + 1}-{b}" for a, b in zip(self.edges, self.edges[1:], strict=False)]
        return (first, *middle, f"{self.edges[-1]}+")

    def index_for(self, days: int) -> int:
        """Bucket index for a number of days (past due, or since issue)."""
        for index, edge in enumerate(self.edges):
            if days <= edge:
                return index
        return len(self.edges)

    def date_thresholds(self, as_of: date) -> tuple[date, ...]:
        """For the store's SQL push-down: a document whose reference date (due or issue) is
        >= thresholds[i] falls in bucket i or earlier, so bucket = the first i with
        reference_date >= thresholds[i], else the last bucket.

        days = (as_of - reference_date).days <= edge  <=>  reference_date >= as_of - edge.
        """
        return tuple(as_of - timedelta(days=edge) for edge in self.edges)


DEFAULT_BUCKETS = Buckets()
