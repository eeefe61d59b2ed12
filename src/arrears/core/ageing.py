"""Ageing: open amounts by how long they are past due, in buckets.

An ageing report answers "how much is owed, and how late is it?" as of a date, for each
debtor and for the creditor as a whole, in each currency (amounts in different currencies
are never added together).

Rules:
- only open documents count (`Document.is_open`: status open or part-paid, open amount > 0);
- an invoice counts its open amount, a credit note counts its unapplied amount as a negative
  in the bucket of its own date, so a debtor's line nets to what the debtor owes;
- days are counted from the due date (the default) or the invoice (issue) date:
  `(as_of - reference_date).days`, so a document due today is 0 days past due ("current");
- bucket edges are configurable (`Buckets`); the default buckets are current, 1-30, 31-60,
  61-90, 91-120 and 120+.

The report keeps integer minor units (pence, cents) internally and makes `Money` only when
asked, because the store builds it from SQL aggregates for very large ledgers
(`AgeingReport.from_bucket_totals`); `ageing()` over documents goes through the same path,
so both give identical reports.
"""

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from operator import itemgetter
from typing import NamedTuple

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Allocation, Document, DocumentKind
from arrears.core.money import Money, check_currency, minor_units
from arrears.core.writeoffs import WriteOff


class InvalidBucketsError(ArrearsError, ValueError):
    """Bucket edges that do not describe a sequence of buckets."""


class InvalidAgeingInputError(ArrearsError, ValueError):
    """Documents or aggregate rows an ageing report cannot be built from."""


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

    >>> Buckets((0, 30, 60)).labels
    ('current', '1-30', '31-60', '60+')
    >>> [Buckets((0, 30, 60)).index_for(days) for days in (-5, 0, 1, 30, 31, 61)]
    [0, 0, 1, 1, 2, 3]
    """

    edges: tuple[int, ...] = (0, 30, 60, 90, 120)

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", tuple(self.edges))
        if not self.edges:
            raise InvalidBucketsError("ageing needs at least one bucket edge, such as 0 for 'current'")
        if any(isinstance(edge, bool) or not isinstance(edge, int) for edge in self.edges):
            raise InvalidBucketsError(f"bucket edges must be whole numbers of days: {self.edges}")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise InvalidBucketsError(f"bucket edges must increase: {self.edges}")

    @classmethod
    def parse(cls, text: str) -> "Buckets":
        """Buckets from edges written as a person would, for configuration and the CLI: "0,30,60,90".

        >>> Buckets.parse("0, 30, 60").edges
        (0, 30, 60)
        """
        parts = [part.strip() for part in text.split(",")]
        try:
            edges = tuple(int(part) for part in parts)
        except ValueError:
            raise InvalidBucketsError(
                f"bucket edges {text!r} are not whole numbers of days separated by commas, such as '0,30,60,90'"
            ) from None
        return cls(edges)

    def __len__(self) -> int:
        return len(self.edges) + 1

    @property
    def labels(self) -> tuple[str, ...]:
        first = "current" if self.edges[0] == 0 else f"<={self.edges[0]}"
        middle = [f"{a + 1}-{b}" for a, b in zip(self.edges, self.edges[1:], strict=False)]
        return (first, *middle, f"{self.edges[-1]}+")

    def index_for(self, days: int) -> int:
        """Bucket index for a number of days (past due, or since issue): the first bucket whose
        edge is >= days, else the last bucket."""
        return bisect_left(self.edges, days)

    def date_thresholds(self, as_of: date) -> tuple[date, ...]:
        """For the store's SQL push-down: a document whose reference date (due or issue) is
        >= thresholds[i] falls in bucket i or earlier, so bucket = the first i with
        reference_date >= thresholds[i], else the last bucket.

        days = (as_of - reference_date).days <= edge  <=>  reference_date >= as_of - edge.
        """
        return tuple(as_of - timedelta(days=edge) for edge in self.edges)


DEFAULT_BUCKETS = Buckets()

SHARE_QUANTUM = Decimal("0.1")
"""Bucket shares are percentages rounded half-up to one decimal place."""


def _minor_to_money(minor: int, currency: str) -> Money:
    return Money.from_minor_units(minor, currency)


def _plain_amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string ("1234.50", "-10.00"), for CSV and tables."""
    return format(Decimal(minor).scaleb(-minor_units(currency)), "f")


class AgeingLine(NamedTuple):
    """One debtor's open amounts in one currency, per bucket, in signed integer minor units."""

    debtor: str  # the debtor's account code
    currency: str
    open_minor: tuple[int, ...]  # one per bucket; credit notes count negative
    document_count: int

    @property
    def total_minor(self) -> int:
        return sum(self.open_minor)

    @property
    def amounts(self) -> tuple[Money, ...]:
        """The open amount in each bucket, as Money."""
        return tuple(_minor_to_money(minor, self.currency) for minor in self.open_minor)

    @property
    def total(self) -> Money:
        """What the debtor owes in this currency (negative: the creditor owes the debtor)."""
        return _minor_to_money(self.total_minor, self.currency)


class AgeingTotal(NamedTuple):
    """The creditor's open amounts in one currency, per bucket, in signed integer minor units."""

    currency: str
    open_minor: tuple[int, ...]
    document_count: int
    debtor_count: int

    @property
    def total_minor(self) -> int:
        return sum(self.open_minor)

    @property
    def amounts(self) -> tuple[Money, ...]:
        return tuple(_minor_to_money(minor, self.currency) for minor in self.open_minor)

    @property
    def total(self) -> Money:
        return _minor_to_money(self.total_minor, self.currency)


@dataclass(frozen=True, slots=True)
class AgeingSummary:
    """The creditor's ageing in one currency, with each bucket's share of the total.

    Shares are percentages of the total open amount, each rounded half-up to one decimal
    place, so they may add up to 99.9 or 100.1. Credit notes can make a bucket negative (and
    another bucket's share above 100). When the total is zero, every share is zero.
    """

    currency: str
    labels: tuple[str, ...]
    amounts: tuple[Money, ...]
    total: Money
    shares: tuple[Decimal, ...]
    document_count: int
    debtor_count: int


@dataclass(frozen=True, slots=True)
class AgeingReport:
    """Open amounts per bucket as of a date: one line per (debtor, currency), and totals per
    currency for the whole creditor.

    `lines` are ordered by debtor account code, then currency; `currency_totals` by currency.
    Build it with `ageing()` from documents, or with `from_bucket_totals()` from the store's
    aggregates; both give equal reports for the same ledger.
    """

    as_of: date
    basis: AgeingBasis
    buckets: Buckets
    lines: tuple[AgeingLine, ...]
    currency_totals: tuple[AgeingTotal, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "basis", AgeingBasis(self.basis))

    @classmethod
    def from_bucket_totals(
        cls,
        as_of: date,
        basis: AgeingBasis,
        buckets: Buckets,
        rows: Iterable[tuple[str, str, int, int, int]],
    ) -> "AgeingReport":
        """The report from aggregate rows, as a SQL `GROUP BY debtor, currency, bucket` gives them.

        Each row is (debtor account code, currency, bucket index, open amount, document count):
        the open amount is the signed sum (credit notes negative) in integer minor units, and
        must be a Python `int` (PostgreSQL's SUM of a bigint is a numeric: cast it to bigint).
        The bucket index is `buckets.index_for(days)`, which SQL computes from
        `buckets.date_thresholds(as_of)`. Several rows for the same (debtor, currency, bucket)
        are added together. Only open documents belong in the rows (status open or part-paid
        and open amount > 0), as `ageing()` counts them.
        """
        width = len(buckets)
        grouped: dict[tuple[str, str], list[int]] = {}
        get = grouped.get
        # The hot loop: plain ints, and a dict lookup only when the (debtor, currency) changes,
        # which is once per line when the rows come ordered as GROUP BY ... ORDER BY gives them.
        # The slot after the buckets holds the document count.
        previous_debtor: str | None = None
        previous_currency: str | None = None
        slot: list[int] = []
        for debtor, currency, index, minor, count in rows:
            if not 0 <= index < width:
                raise InvalidAgeingInputError(
                    f"debtor {debtor}: bucket index {index} is outside 0..{width - 1} for buckets {buckets.edges}; "
                    "compute it from the same buckets the report is built with"
                )
            if debtor != previous_debtor or currency != previous_currency:
                key = (debtor, currency)
                found = get(key)
                if found is None:
                    found = grouped[key] = [0] * (width + 1)
                slot = found
                previous_debtor, previous_currency = debtor, currency
            slot[index] += minor
            slot[width] += count

        make_line = AgeingLine._make
        lines: list[AgeingLine] = []
        by_currency: dict[str, list[list[int]]] = {}
        for key in sorted(grouped):
            slot = grouped[key]
            by_currency.setdefault(key[1], []).append(slot)
            lines.append(make_line((key[0], key[1], tuple(slot[:width]), slot[width])))

        currency_totals = tuple(
            _currency_total(currency, by_currency[currency], width) for currency in sorted(by_currency)
        )
        return cls(as_of, basis, buckets, tuple(lines), currency_totals)

    # --- the creditor as a whole ------------------------------------------------------------

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies that have open documents, in alphabetical order."""
        return tuple(total.currency for total in self.currency_totals)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.buckets.labels

    def currency_total(self, currency: str) -> AgeingTotal:
        """The creditor's totals in `currency`; zero in every bucket if nothing is open in it."""
        check_currency(currency)
        for total in self.currency_totals:
            if total.currency == currency:
                return total
        return AgeingTotal(currency, (0,) * len(self.buckets), 0, 0)

    def totals(self, currency: str) -> tuple[Money, ...]:
        """The creditor's open amount in each bucket, in `currency`."""
        return self.currency_total(currency).amounts

    def total(self, currency: str) -> Money:
        """The creditor's whole open amount in `currency`."""
        return self.currency_total(currency).total

    def summary(self, currency: str) -> AgeingSummary:
        """The creditor's ageing in `currency` with each bucket's share (%) of the total."""
        total = self.currency_total(currency)
        grand = total.total_minor
        if grand == 0:
            shares = tuple(Decimal("0.0") for _ in total.open_minor)
        else:
            shares = tuple(
                (Decimal(100 * minor) / Decimal(grand)).quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP)
                for minor in total.open_minor
            )
        return AgeingSummary(
            currency=currency,
            labels=self.labels,
            amounts=total.amounts,
            total=total.total,
            shares=shares,
            document_count=total.document_count,
            debtor_count=total.debtor_count,
        )

    def summaries(self) -> tuple[AgeingSummary, ...]:
        """A summary for each currency that has open documents."""
        return tuple(self.summary(currency) for currency in self.currencies)

    # --- debtors --------------------------------------------------------------------------

    def for_debtor(self, debtor: str) -> tuple[AgeingLine, ...]:
        """The debtor's lines, one per currency it has open documents in (none if it has none)."""
        start = bisect_left(self.lines, debtor, key=lambda line: line.debtor)
        found: list[AgeingLine] = []
        for line in self.lines[start:]:
            if line.debtor != debtor:
                break
            found.append(line)
        return tuple(found)

    # --- rendering --------------------------------------------------------------------------

    @property
    def header(self) -> tuple[str, ...]:
        """Column names matching `rows()` and `total_rows()`."""
        return ("debtor", "currency", *self.labels, "total", "documents")

    def rows(self, locale: str | None = None) -> Iterator[tuple[str, ...]]:
        """One row of text per line, for tables and CSV.

        Amounts are plain decimals ("1234.50") without `locale`, or formatted for a person
        in that locale ("£1,234.50" for en_GB) with it.
        """
        for line in self.lines:
            yield (
                line.debtor,
                line.currency,
                *_render(line.open_minor, line.currency, locale),
                str(line.document_count),
            )

    def total_rows(self, locale: str | None = None) -> Iterator[tuple[str, ...]]:
        """One row of text per currency with the creditor's totals; the debtor column says "total"."""
        for total in self.currency_totals:
            yield (
                "total",
                total.currency,
                *_render(total.open_minor, total.currency, locale),
                str(total.document_count),
            )


def _render(open_minor: tuple[int, ...], currency: str, locale: str | None) -> tuple[str, ...]:
    values = (*open_minor, sum(open_minor))
    if locale is None:
        return tuple(_plain_amount(minor, currency) for minor in values)
    return tuple(_minor_to_money(minor, currency).format(locale) for minor in values)


def _currency_total(currency: str, slots: list[list[int]], width: int) -> AgeingTotal:
    check_currency(currency)
    sums = [sum(map(itemgetter(position), slots)) for position in range(width + 1)]
    # Sums of ints stay ints: anything else means a row carried a Decimal or a float.
    if any(type(value) is not int for value in sums):
        raise InvalidAgeingInputError(
            f"{currency} bucket amounts and document counts must be integers (minor units); "
            "a row carried another type: cast the SQL sums to integers"
        )
    return AgeingTotal(currency, tuple(sums[:width]), sums[width], len(slots))


def ageing(
    documents: Iterable[Document],
    as_of: date,
    buckets: Buckets = DEFAULT_BUCKETS,
    basis: AgeingBasis = AgeingBasis.DUE_DATE,
    *,
    allocations: Iterable[Allocation] = (),
    write_offs: Iterable[WriteOff] = (),
) -> AgeingReport:
    """Ageing of one creditor's open documents as of `as_of`.

    Days are `(as_of - due_date).days` (or from the issue date on the invoice-date basis); an
    invoice counts its open amount and a credit note its unapplied amount as a negative, each
    in the bucket of its own date. Documents issued after `as_of` did not exist yet and are left
    out. Documents of more than one creditor are refused, because debtor account codes are
    only unique within a creditor.

    The open amount at `as_of` counts back from today's, as `arrears.core.metrics` does: what is
    open now (nothing for paid, written-off and settled-in-source documents) plus the
    `allocations` dated after `as_of` (to an invoice, or from a credit note) plus the applied
    `write_offs` of an invoice dated after `as_of` (written off on day W, it was still owed at
    the end of W-1). So a past date shows what was open then; with nothing later (as of today)
    it is today's ledger. A document written off in the source system, with no write-off
    given, counts only its later allocations: when it left the ledger is not known.

    >>> from arrears.core.ledger import Document, DocumentKind
    >>> def invoice(number, due, amount):
    ...     money = Money.of(amount, "GBP")
    ...     return Document("ACME", "D1", DocumentKind.INVOICE, number, date(2026, 1, 1), due, money, money)
    >>> report = ageing([invoice("I1", date(2026, 3, 31), "100.00"), invoice("I2", date(2026, 2, 20), "40.00")],
    ...                 as_of=date(2026, 3, 31))
    >>> dict(zip(report.labels, (str(m.amount) for m in report.totals("GBP"))))
    {'current': '100.00', '1-30': '0.00', '31-60': '40.00', '61-90': '0.00', '91-120': '0.00', '120+': '0.00'}
    """
    basis = AgeingBasis(basis)
    settled_later: dict[tuple[str, str], int] = {}
    for allocation in allocations:
        if allocation.allocated_on > as_of:
            key = (
                (DocumentKind.INVOICE.value, allocation.document)
                if allocation.credit_note is None
                else (DocumentKind.CREDIT_NOTE.value, allocation.credit_note)
            )
            settled_later[key] = settled_later.get(key, 0) + allocation.amount.to_minor_units()
            if allocation.credit_note is not None:
                invoice_key = (DocumentKind.INVOICE.value, allocation.document)
                settled_later[invoice_key] = (
                    settled_later.get(invoice_key, 0) + allocation.amount.to_minor_units()
                )
    for written_off in write_offs:
        if written_off.on > as_of:
            key = (DocumentKind.INVOICE.value, written_off.document)
            settled_later[key] = settled_later.get(key, 0) + written_off.amount.to_minor_units()
    return AgeingReport.from_bucket_totals(
        as_of, basis, buckets, _bucket_rows(documents, as_of, buckets, basis, settled_later)
    )


def _bucket_rows(
    documents: Iterable[Document],
    as_of: date,
    buckets: Buckets,
    basis: AgeingBasis,
    settled_later: dict[tuple[str, str], int],
) -> Iterator[tuple[str, str, int, int, int]]:
    by_due_date = basis is AgeingBasis.DUE_DATE
    creditor: str | None = None
    for document in documents:
        if creditor is None:
            creditor = document.creditor
        elif document.creditor != creditor:
            raise InvalidAgeingInputError(
                f"ageing is per creditor, but documents of {creditor} and {document.creditor} were given: "
                "age each creditor's ledger separately"
            )
        if document.issue_date > as_of:
            continue
        open_minor = document.open_amount.to_minor_units() if document.is_open else 0
        open_minor += settled_later.get((document.kind.value, document.number), 0)
        if open_minor <= 0:
            continue
        reference = document.due_date if by_due_date else document.issue_date
        index = buckets.index_for((as_of - reference).days)
        yield document.debtor, document.currency, index, open_minor if document.is_invoice else -open_minor, 1
