"""Collection metrics: DSO (standard and countback), best possible DSO, ADD and CEI.

Every metric is a pure function of aggregate `Money` values in one currency (mixing
currencies raises `CurrencyMismatchError`) and returns a `Decimal`:
- days (DSO, best possible DSO, ADD) are rounded half-up to one decimal place (45.3 days);
- the CEI is a percentage rounded half-up to one decimal place (78.0).

A metric that cannot be measured returns `None` rather than raising, because a report or a
dashboard should show "n/a" for a dormant debtor and carry on: DSO is undefined without
credit sales, and the CEI when nothing was collectable. Input that is wrong (a period of no
days, months with a gap) raises `InvalidMetricInputError`.

The aggregate inputs come from the store's SQL for large ledgers, or from the helpers at
the end of this module (`receivables_as_of`, `current_receivables_as_of`, `credit_sales`,
`monthly_credit_sales`), which define what each aggregate means.

Sources: DSO, best possible DSO, ADD and the CEI are the measures the Credit Research
Foundation (CRF) defines and publishes in its National Summary of Domestic Trade Receivables;
the formulas below are the CRF's. The countback method is the usual credit-management
alternative to the standard DSO, which is distorted by sales that rise or fall.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from itertools import pairwise

from arrears.core.errors import ArrearsError, CurrencyMismatchError, InvalidAllocationError
from arrears.core.ledger import Allocation, Document
from arrears.core.money import Money, check_currency
from arrears.core.writeoffs import WriteOff

DAYS_QUANTUM = Decimal("0.1")
"""DSO, best possible DSO and ADD are reported in days to one decimal place."""

PERCENT_QUANTUM = Decimal("0.1")
"""The CEI is reported as a percentage to one decimal place."""

# Explicit precision, so that results do not depend on the caller's decimal context.
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)


class InvalidMetricInputError(ArrearsError, ValueError):
    """Input a metric cannot be computed from: a period of no days, months with gaps."""


@dataclass(frozen=True, slots=True)
class MonthlySales:
    """Credit sales in one calendar month: `month` is the month's first day."""

    month: date
    amount: Money

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise InvalidMetricInputError(
                f"monthly sales are keyed by the month's first day: {self.month.isoformat()} should be "
                f"{self.month.replace(day=1).isoformat()}"
            )

    @property
    def days(self) -> int:
        """Calendar days in the month (28 to 31)."""
        return calendar.monthrange(self.month.year, self.month.month)[1]

    @property
    def last_day(self) -> date:
        return self.month.replace(day=self.days)


def days_in_period(start: date, end: date) -> int:
    """Days from `start` to `end`, both included: 1 January to 31 March 2026 is 90 days.

    >>> days_in_period(date(2026, 1, 1), date(2026, 3, 31))
    90
    """
    if end < start:
        raise InvalidMetricInputError(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    return (end - start).days + 1


# --- the metrics ----------------------------------------------------------------------------


def dso_standard(receivables: Money, credit_sales: Money, days: int) -> Decimal | None:
    """Days sales outstanding, standard method: how many days of sales are still unpaid.

    Rule (CRF): DSO = receivables at the end of the period / credit sales in the period
    × days in the period, in days to one decimal place.

    `None` when the period's credit sales are zero or negative (credit notes exceeding
    invoices): days of sales cannot be measured against no sales. Receivables below zero
    (credits exceeding debts) give a negative DSO, a sign to look at the ledger.

    Worked example: 120,000.00 owed on 31 March after first-quarter credit sales of
    180,000.00 over 90 days is two thirds of the quarter's sales: 60 days.

    >>> dso_standard(Money.of("120000.00", "GBP"), Money.of("180000.00", "GBP"), 90)
    Decimal('60.0')
    """
    _one_currency(("receivables", receivables), ("credit sales", credit_sales))
    _check_days(days)
    if not credit_sales.is_positive:
        return None
    return _round_days(_days_of_sales(receivables, credit_sales, days))


def dso_countback(receivables: Money, monthly_sales: Iterable[MonthlySales]) -> Decimal | None:
    """Days sales outstanding, countback method: how far back the unpaid sales reach.

    Rule: start with the receivables at the end of the latest month given and walk back a
    month at a time, subtracting each month's credit sales, until what is left is no more than
    a month's sales. The DSO is the calendar days of the whole months used up plus that last
    month's days in the proportion (what is left / its sales). Unlike the standard method it
    is not distorted when sales rise or fall, because each day is weighed by its own month.
    The period ends at the end of the latest month given; the months must be consecutive.

    `0.0` when nothing is owed (receivables zero or below); `None` when the receivables are
    more than the sales of all the months given put together: give more months.

    Worked example: 100,000.00 owed on 31 March 2026; March sales 60,000.00 use up 31 days and
    leave 40,000.00; February's 30,000.00 use up its 28 days and leave 10,000.00, which is a
    fifth of January's 50,000.00, so a fifth of its 31 days: 31 + 28 + 6.2 = 65.2 days.

    >>> def sales(year, month, amount):
    ...     return MonthlySales(date(year, month, 1), Money.of(amount, "GBP"))
    >>> dso_countback(
    ...     Money.of("100000.00", "GBP"),
    ...     [sales(2026, 1, "50000.00"), sales(2026, 2, "30000.00"), sales(2026, 3, "60000.00")],
    ... )
    Decimal('65.2')
    """
    months = _consecutive_latest_first(monthly_sales)
    _one_currency(("receivables", receivables), *((f"sales for {m.month:%B %Y}", m.amount) for m in months))
    remaining = receivables.amount
    if remaining <= 0:
        return _round_days(Decimal(0))
    days = Decimal(0)
    for month in months:
        sales = month.amount.amount
        if sales > 0 and remaining <= sales:
            fraction = _CONTEXT.divide(_CONTEXT.multiply(remaining, Decimal(month.days)), sales)
            return _round_days(days + fraction)
        remaining -= sales
        days += month.days
    return None


def best_possible_dso(current_receivables: Money, credit_sales: Money, days: int) -> Decimal | None:
    """Best possible DSO: the DSO the ledger would have if every customer paid on its due date.

    Rule (CRF): best possible DSO = current (not yet due) receivables at the end of the period
    / credit sales in the period × days in the period, in days to one decimal place. It is
    set by the payment terms and the pattern of sales, not by collection work.

    `None` when the period's credit sales are zero or negative, as for `dso_standard`.

    Worked example: of the 120,000.00 owed on 31 March, 75,000.00 is not yet due; against
    first-quarter credit sales of 180,000.00 over 90 days that is 37.5 days.

    >>> best_possible_dso(Money.of("75000.00", "GBP"), Money.of("180000.00", "GBP"), 90)
    Decimal('37.5')
    """
    _one_currency(("current receivables", current_receivables), ("credit sales", credit_sales))
    _check_days(days)
    if not credit_sales.is_positive:
        return None
    return _round_days(_days_of_sales(current_receivables, credit_sales, days))


def average_days_delinquent(
    receivables: Money, current_receivables: Money, credit_sales: Money, days: int
) -> Decimal | None:
    """Average days delinquent (ADD): the days of DSO that are due to late payment.

    Rule (CRF): ADD = DSO (standard method) − best possible DSO. Both are rounded to one
    decimal place first, so that the three figures on a report add up as printed.

    `None` when the period's credit sales are zero or negative, as for `dso_standard`.

    Worked example: with a DSO of 60.0 days and a best possible DSO of 37.5 days (the
    examples above), customers take on average 22.5 days longer than their terms.

    >>> average_days_delinquent(
    ...     Money.of("120000.00", "GBP"), Money.of("75000.00", "GBP"), Money.of("180000.00", "GBP"), 90
    ... )
    Decimal('22.5')
    """
    dso = dso_standard(receivables, credit_sales, days)
    best = best_possible_dso(current_receivables, credit_sales, days)
    if dso is None or best is None:
        return None
    return dso - best


def collection_effectiveness_index(
    beginning_receivables: Money,
    credit_sales: Money,
    ending_receivables: Money,
    ending_current_receivables: Money,
) -> Decimal | None:
    """Collection effectiveness index (CEI): the share of what could be collected in a period
    that was collected, as a percentage; 100 means everything that fell due was collected.

    Rule (CRF): CEI = (beginning receivables + credit sales − ending total receivables)
    / (beginning receivables + credit sales − ending current receivables) × 100, as a
    percentage to one decimal place. The numerator is what was collected (or credited or
    written off); the denominator is what was collectable, leaving out what is not yet due.
    Beginning receivables are those at the end of the day before the period starts
    (`receivables_as_of(..., start - 1 day, ...)`); ending ones at the end of its last day.

    `None` when nothing was collectable (the denominator is zero or negative).

    Worked example: 100,000.00 owed on 31 December, 180,000.00 of credit sales in the first
    quarter, 120,000.00 owed on 31 March of which 75,000.00 not yet due: 160,000.00 collected
    of 205,000.00 collectable, 78.0 %.

    >>> collection_effectiveness_index(
    ...     Money.of("100000.00", "GBP"),
    ...     Money.of("180000.00", "GBP"),
    ...     Money.of("120000.00", "GBP"),
    ...     Money.of("75000.00", "GBP"),
    ... )
    Decimal('78.0')
    """
    _one_currency(
        ("beginning receivables", beginning_receivables),
        ("credit sales", credit_sales),
        ("ending receivables", ending_receivables),
        ("ending current receivables", ending_current_receivables),
    )
    available = beginning_receivables.amount + credit_sales.amount
    collectable = available - ending_current_receivables.amount
    if collectable <= 0:
        return None
    collected = available - ending_receivables.amount
    percent = _CONTEXT.divide(_CONTEXT.multiply(collected, Decimal(100)), collectable)
    return percent.quantize(PERCENT_QUANTUM, rounding=ROUND_HALF_UP, context=_CONTEXT)


# --- the aggregate inputs from ledger values -------------------------------------------------


def receivables_as_of(
    documents: Iterable[Document],
    allocations: Iterable[Allocation],
    as_of: date,
    currency: str,
    *,
    write_offs: Iterable[WriteOff] = (),
) -> Money:
    """What the debtors owed in `currency` at the end of the day `as_of`.

    Definition (the store's SQL computes the same): over the documents in `currency` issued on
    or before `as_of`, each invoice adds and each credit note subtracts
        its open amount today (zero unless the document is open or part-paid)
        + the allocations to it dated after `as_of`
        + for an invoice, the `write_offs` (applied) of it dated after `as_of`
    (for an invoice, allocations whose `document` is its number; for a credit note, those whose
    `credit_note` is its number, matched within the same creditor).

    With a complete allocation history this is the familiar "invoices issued by then, less
    the allocations dated by then; less credit notes issued by then, less their own
    applications". Counting back from today's open amounts keeps it right where the history
    is incomplete, as in a ledger imported without its payments: it never counts as open what
    is settled today, and on the latest date it equals the ageing report's total. Unallocated
    cash is not deducted, as ageing does not deduct it. An invoice written off on day W was
    still owed at the end of W-1 (less what was allocated to it by then), and is not from W.
    A document written off or settled in the source system, with no write-off given, counts
    only the allocations after `as_of`, because the ledger does not say when the rest was closed.

    Raises `InvalidAllocationError` when a document's allocations exceed its amount.
    """
    return _receivables(documents, allocations, write_offs, as_of, currency, current_only=False)


def current_receivables_as_of(
    documents: Iterable[Document],
    allocations: Iterable[Allocation],
    as_of: date,
    currency: str,
    *,
    write_offs: Iterable[WriteOff] = (),
) -> Money:
    """The part of `receivables_as_of` that was not yet due at the end of `as_of`.

    The same definition over the documents whose due date is on or after `as_of` (a document
    due that day is not yet late), which is the ageing report's "current" bucket with the
    default buckets. A credit note counts by its own due date, as in ageing.
    """
    return _receivables(documents, allocations, write_offs, as_of, currency, current_only=True)


def credit_sales(documents: Iterable[Document], start: date, end: date, currency: str) -> Money:
    """Credit sales in `currency` from `start` to `end`, both days included.

    Definition (the store's SQL computes the same): the amounts of the invoices issued in the
    period less the amounts of the credit notes issued in it, whatever their status today (a
    sale later written off was still a sale). It may be negative when credits exceed sales.

    >>> from arrears.core.ledger import DocumentKind
    >>> def document(kind, number, issued, amount):
    ...     money = Money.of(amount, "GBP")
    ...     return Document("ACME", "D1", kind, number, issued, issued, money, money)
    >>> credit_sales(
    ...     [
    ...         document(DocumentKind.INVOICE, "I1", date(2026, 3, 2), "1000.00"),
    ...         document(DocumentKind.CREDIT_NOTE, "C1", date(2026, 3, 9), "150.00"),
    ...         document(DocumentKind.INVOICE, "I2", date(2026, 4, 1), "500.00"),
    ...     ],
    ...     date(2026, 3, 1),
    ...     date(2026, 3, 31),
    ...     "GBP",
    ... )
    Money(amount=Decimal('850.00'), currency='GBP')
    """
    check_currency(currency)
    days_in_period(start, end)  # refuses a period that ends before it starts
    total = Money.zero(currency)
    for document in documents:
        if document.currency == currency and start <= document.issue_date <= end:
            total = total + document.amount if document.is_invoice else total - document.amount
    return total


def monthly_credit_sales(
    documents: Iterable[Document], first_month: date, last_month: date, currency: str
) -> tuple[MonthlySales, ...]:
    """`credit_sales` for each calendar month from the month of `first_month` to the month of
    `last_month`, oldest first, ready for `dso_countback`; months without sales are zero."""
    check_currency(currency)
    if last_month < first_month:
        raise InvalidMetricInputError(
            f"the last month ({last_month.isoformat()}) is before the first ({first_month.isoformat()})"
        )
    starts: list[date] = []
    month = first_month.replace(day=1)
    while month <= last_month:
        starts.append(month)
        month = _next_month(month)
    totals = {start: Money.zero(currency) for start in starts}
    for document in documents:
        if document.currency != currency:
            continue
        key = document.issue_date.replace(day=1)
        if key in totals:
            totals[key] = (
                totals[key] + document.amount if document.is_invoice else totals[key] - document.amount
            )
    return tuple(MonthlySales(start, totals[start]) for start in starts)


# --- helpers ---------------------------------------------------------------------------------


def _receivables(
    documents: Iterable[Document],
    allocations: Iterable[Allocation],
    write_offs: Iterable[WriteOff],
    as_of: date,
    currency: str,
    *,
    current_only: bool,
) -> Money:
    check_currency(currency)
    settled_later: dict[tuple[str, str], Money] = {}  # invoice -> allocated after as_of
    applied_later: dict[tuple[str, str], Money] = {}  # credit note -> applied after as_of
    settled_total: dict[tuple[str, str], Money] = {}
    applied_total: dict[tuple[str, str], Money] = {}
    for allocation in allocations:
        invoice_key = (allocation.creditor, allocation.document)
        _add(settled_total, invoice_key, allocation.amount)
        if allocation.credit_note is not None:
            _add(applied_total, (allocation.creditor, allocation.credit_note), allocation.amount)
        if allocation.allocated_on > as_of:
            _add(settled_later, invoice_key, allocation.amount)
            if allocation.credit_note is not None:
                _add(applied_later, (allocation.creditor, allocation.credit_note), allocation.amount)
    for written_off in write_offs:
        if written_off.on > as_of:  # taken off the invoice after as_of: it was still owed then
            _add(settled_later, (written_off.creditor, written_off.document), written_off.amount)

    total = Money.zero(currency)
    for document in documents:
        if document.currency != currency or document.issue_date > as_of:
            continue
        if current_only and document.due_date < as_of:
            continue
        key = (document.creditor, document.number)
        later, all_time = (
            (settled_later, settled_total) if document.is_invoice else (applied_later, applied_total)
        )
        allocated = all_time.get(key)
        if allocated is not None and allocated > document.amount:
            verb = "allocated to invoice" if document.is_invoice else "applied from credit note"
            raise InvalidAllocationError(
                f"{allocated.amount} {currency} is {verb} {document.number}, more than its amount "
                f"{document.amount.amount}: correct the allocations"
            )
        # Count back from today: what is open now, plus what was settled after as_of.
        open_then = document.open_amount if document.is_open else Money.zero(currency)
        open_then = open_then + later.get(key, Money.zero(currency))
        total = total + open_then if document.is_invoice else total - open_then
    return total


def _add(totals: dict[tuple[str, str], Money], key: tuple[str, str], amount: Money) -> None:
    previous = totals.get(key)
    totals[key] = amount if previous is None else previous + amount


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _consecutive_latest_first(monthly_sales: Iterable[MonthlySales]) -> list[MonthlySales]:
    months = sorted(monthly_sales, key=lambda sales: sales.month, reverse=True)
    for later, earlier in pairwise(months):
        if _next_month(earlier.month) != later.month:
            problem = "twice" if earlier.month == later.month else f"then {earlier.month:%B %Y}, with a gap"
            raise InvalidMetricInputError(
                f"countback needs consecutive months: {later.month:%B %Y} is given {problem}; "
                "give one figure per month, zero for a month without sales"
            )
    return months


def _one_currency(*named_amounts: tuple[str, Money]) -> None:
    currencies = {amount.currency for _, amount in named_amounts}
    if len(currencies) > 1:
        described = ", ".join(f"{name} in {amount.currency}" for name, amount in named_amounts)
        raise CurrencyMismatchError(
            f"a metric is computed in one currency, but got {described}: compute each currency separately"
        )


def _check_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidMetricInputError(
            f"the period must be a whole number of days, at least 1, not {days!r}: use days_in_period(start, end)"
        )


def _days_of_sales(amount: Money, credit_sales: Money, days: int) -> Decimal:
    return _CONTEXT.divide(_CONTEXT.multiply(amount.amount, Decimal(days)), credit_sales.amount)


def _round_days(days: Decimal) -> Decimal:
    return days.quantize(DAYS_QUANTUM, rounding=ROUND_HALF_UP, context=_CONTEXT)
