"""Statutory interest and fixed compensation on late commercial debts.

Two regimes, both for business-to-business debts only:

- **UK** - Late Payment of Commercial Debts (Interest) Act 1998 with the Late Payment of
  Commercial Debts (Rate of Interest) (No. 3) Order 2002 (SI 2002/1675), art. 4: simple
  interest at 8% a year over the Bank of England official dealing rate (Bank Rate) in force
  on 30 June (interest starting to run 1 July-31 December) or 31 December (interest starting
  1 January-30 June) immediately before the day statutory interest starts to run. That
  reference rate is fixed for the life of the debt: later changes of Bank Rate do not change it.
  Interest runs from the day after the due date (s.4). Fixed compensation once per debt, s.5A(2):
  £40 for a debt less than £1,000; £70 for £1,000 or more but less than £10,000; £100 for
  £10,000 or more.
- **EU** - Directive 2011/7/EU: simple interest at the reference rate plus 8 points (Art. 2(6)),
  the reference rate being the ECB main refinancing operations rate (Art. 2(7)(a)) in force
  on 1 January for the first half of the year and on 1 July for the second (Art. 3(2)), so
  the rate can change each half-year while the debt is late. Interest from the day after the
  due date (Art. 3(3)(a)); fixed compensation of EUR 40 (Art. 6(1)).

A contractual rate, when the creditor set one, replaces the statutory rate (no reference rate).

Day count: interest per day is principal x annual rate / 365, in leap years too (29 February is
a day of accrual like any other), as in the UK government guidance (docs/interest.md). Interest
for a day is owed on the principal unpaid when that day starts, so the day of payment counts: a
debt due on 31 March and paid on 1 April carries one day. Interest is summed exactly and rounded
half-up to the currency's minor units once, at the end, never per day.

Part payments reduce the principal from the day after they are received; interest accrues on
each period's outstanding principal. The rate table is data (`arrears/data/reference_rates.csv`)
that a user can extend; see docs/interest.md for its sources and the date it was verified to.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from functools import cache
from importlib.resources import files

from babel.dates import format_date

from arrears.core.errors import ArrearsError, InvalidAmountError
from arrears.core.ledger import Allocation, Debtor, DebtorFlag
from arrears.core.money import Money

DAYS_IN_YEAR = 365
STATUTORY_MARGIN = Decimal(8)  # percentage points over the reference rate, both regimes
_PER_CENT_YEAR = 100 * DAYS_IN_YEAR
_UK_BANDS = ((Decimal(1000), Decimal(40)), (Decimal(10000), Decimal(70)))  # (less than, sum)
_UK_TOP_BAND = Decimal(100)
_EU_COMPENSATION = Decimal(40)

_Outstanding = Callable[[date], Money]  # principal unpaid at the start of a day
_RateOn = Callable[[date], tuple[Decimal, Decimal | None, date | None]]  # rate, reference, its day


class InterestNotApplicableError(ArrearsError, ValueError):
    """Statutory interest cannot be charged on this debt (a consumer, a currency the regime
    does not cover)."""


class ReferenceRateError(ArrearsError, ValueError):
    """The reference-rate table is malformed or has no rate for the day asked."""


class Regime(StrEnum):
    UK_LATE_PAYMENT = "uk_late_payment"  # Late Payment of Commercial Debts (Interest) Act 1998
    EU_DIRECTIVE = "eu_directive"  # Directive 2011/7/EU


class RateSource(StrEnum):
    BOE = "BOE"  # Bank of England Bank Rate (official dealing rate)
    ECB = "ECB"  # ECB main refinancing operations rate


@dataclass(frozen=True, slots=True)
class ReferenceRate:
    """A central-bank rate and the day it took effect."""

    effective_date: date
    source: RateSource
    rate_percent: Decimal


class ReferenceRates:
    """A dated table of central-bank rates: each row is in force from its date until the next."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[ReferenceRate]) -> None:
        by_source: dict[RateSource, dict[date, ReferenceRate]] = {s: {} for s in RateSource}
        for row in rows:
            seen = by_source[row.source].get(row.effective_date)
            if seen is not None and seen.rate_percent != row.rate_percent:
                raise ReferenceRateError(
                    f"{row.source.value} has two rates on {row.effective_date.isoformat()}: "
                    f"{seen.rate_percent} and {row.rate_percent}; keep one"
                )
            by_source[row.source][row.effective_date] = row
        self._rows = {
            s: tuple(sorted(r.values(), key=lambda x: x.effective_date)) for s, r in by_source.items()
        }

    @classmethod
    def from_csv(cls, text: str) -> "ReferenceRates":
        """Rows from CSV text with the columns effective_date (ISO date), source (BOE or ECB)
        and rate_percent (a decimal string such as 3.75)."""
        reader = csv.DictReader(io.StringIO(text))
        missing = {"effective_date", "source", "rate_percent"} - set(reader.fieldnames or ())
        if missing:
            raise ReferenceRateError(f"reference rates: missing column(s) {', '.join(sorted(missing))}")
        return cls(_parse_row(number, row) for number, row in enumerate(reader, start=2))

    @classmethod
    def packaged(cls) -> "ReferenceRates":
        """The table shipped in `arrears/data/reference_rates.csv` (read once, then cached)."""
        return _packaged_rates()

    def rows(self, source: RateSource) -> tuple[ReferenceRate, ...]:
        return self._rows[source]

    def extended(self, rows: Iterable[ReferenceRate]) -> "ReferenceRates":
        """This table with more rows, e.g. a rate change newer than the packaged table."""
        return ReferenceRates((*self._rows[RateSource.BOE], *self._rows[RateSource.ECB], *rows))

    def in_force(self, source: RateSource, on: date) -> ReferenceRate:
        """The row in force on `on`: the latest change taking effect on or before that day."""
        found: ReferenceRate | None = None
        for row in self._rows[source]:
            if row.effective_date > on:
                break
            found = row
        if found is None:
            raise ReferenceRateError(
                f"no {source.value} rate on or before {on.isoformat()} in the reference-rate table; "
                "add the rate in force then (see docs/interest.md)"
            )
        return found


def _parse_row(number: int, row: dict[str, str]) -> ReferenceRate:
    raw_date, raw_source, raw_rate = (
        (row["effective_date"] or "").strip(),
        row["source"] or "",
        row["rate_percent"] or "",
    )
    try:
        effective = date.fromisoformat(raw_date)
    except ValueError:
        raise ReferenceRateError(
            f"row {number}, column effective_date: {raw_date!r} is not a YYYY-MM-DD date"
        ) from None
    try:
        source = RateSource(raw_source.strip().upper())
    except ValueError:
        raise ReferenceRateError(f"row {number}, column source: {raw_source!r} is not BOE or ECB") from None
    try:
        rate = Decimal(raw_rate.strip())
    except InvalidOperation:
        raise ReferenceRateError(f"row {number}, column rate_percent: {raw_rate!r} is not a number") from None
    if not rate.is_finite():
        raise ReferenceRateError(f"row {number}, column rate_percent: {raw_rate!r} is not a finite rate")
    return ReferenceRate(effective, source, rate)


@cache
def _packaged_rates() -> ReferenceRates:
    return ReferenceRates.from_csv(files("arrears.data").joinpath("reference_rates.csv").read_text("utf-8"))


@dataclass(frozen=True, slots=True)
class PartPayment:
    """Cash (or a credit note) that reduced the debt's principal on a day."""

    received_on: date
    amount: Money

    @classmethod
    def from_allocation(cls, allocation: Allocation) -> "PartPayment":
        return cls(allocation.allocated_on, allocation.amount)


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """Days `start`..`end` (both included) on which `principal` carried interest at `rate`."""

    start: date
    end: date
    principal: Money
    rate: Decimal  # annual, per cent
    reference_rate: Decimal | None  # None for a contractual rate
    reference_date: date | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def interest(self) -> Money:
        """Unrounded: the claim rounds the sum of its periods once."""
        return Money(_divide(self.principal.amount * self.rate * self.days), self.principal.currency)


@dataclass(frozen=True, slots=True)
class InterestClaim:
    """Interest and fixed compensation claimable on one late debt as of a day.

    `rate`, `reference_rate` and `reference_date` are those of the latest period (the rate now
    accruing); `daily_interest` is what each further day adds on the principal still unpaid.
    """

    regime: Regime
    principal: Money
    due_date: date
    as_of: date
    contractual: bool
    rate: Decimal | None
    reference_rate: Decimal | None
    reference_date: date | None
    days: int
    daily_interest: Money
    interest: Money  # rounded half-up to minor units, once
    compensation: Money  # GBP (UK Act) or EUR (Directive); zero when none is due
    periods: tuple[InterestPeriod, ...]
    basis: str  # one sentence for a letter


def uk_reference_date(interest_from: date) -> date:
    """30 June or 31 December immediately before the day statutory interest starts to run
    (SI 2002/1675 art. 4): interest starting 1 January-30 June takes 31 December before.

    >>> uk_reference_date(date(2024, 7, 1)), uk_reference_date(date(2024, 6, 30))
    (datetime.date(2024, 6, 30), datetime.date(2023, 12, 31))
    """
    if interest_from.month <= 6:
        return date(interest_from.year - 1, 12, 31)
    return date(interest_from.year, 6, 30)


def eu_reference_date(day: date) -> date:
    """1 January or 1 July of the half-year containing `day` (Directive 2011/7/EU Art. 3(2))."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def fixed_compensation(regime: Regime, late_debt: Money, *, sterling_value: Money | None = None) -> Money:
    """The fixed sum due once statutory interest starts to run on a debt.

    UK (Act s.5A(2)): £40 for a debt less than £1,000, £70 for £1,000 or more but less than
    £10,000, £100 for £10,000 or more; a debt in another currency is banded on its sterling
    value, which the caller gives (Arrears never converts currencies). EU (Art. 6(1)): EUR 40.
    """
    if regime is Regime.EU_DIRECTIVE:
        _require_euro(late_debt)
        return Money(_EU_COMPENSATION, "EUR")
    banded = late_debt
    if late_debt.currency != "GBP":
        if sterling_value is None or sterling_value.currency != "GBP":
            raise InterestNotApplicableError(
                f"the fixed sum under the Late Payment Act is banded on the debt in pounds; this debt is in "
                f"{late_debt.currency}: give its sterling value (sterling_value=Money(..., 'GBP'))"
            )
        banded = sterling_value
    for less_than, amount in _UK_BANDS:
        if banded.amount < less_than:
            return Money(amount, "GBP")
    return Money(_UK_TOP_BAND, "GBP")


def statutory_interest(
    principal: Money,
    due_date: date,
    as_of: date,
    *,
    regime: Regime = Regime.UK_LATE_PAYMENT,
    contractual_rate: Decimal | None = None,
    rates: ReferenceRates | None = None,
    payments: Sequence[PartPayment] = (),
    debtor: Debtor | None = None,
    sterling_value: Money | None = None,
) -> InterestClaim:
    """Interest and compensation claimable on `principal`, due on `due_date`, as of `as_of`.

    Interest accrues on each day from the day after `due_date` to `as_of` (both included) on
    the principal still unpaid at the end of the day before; `payments` received after `as_of`
    are ignored. `contractual_rate` (annual per cent) replaces the statutory rate; under the UK
    Act it also removes the s.5A fixed sum, which is due only once *statutory* interest runs,
    while the Directive's EUR 40 is due whenever interest for late payment is (Art. 2(5), 6(1)).
    The fixed sum is banded on the principal still unpaid when interest starts to run.
    """
    if debtor is not None and DebtorFlag.INDIVIDUAL in debtor.flags:
        raise InterestNotApplicableError(
            f"debtor {debtor.account_code} is flagged as an individual: the Late Payment Act and "
            "Directive 2011/7/EU cover business-to-business debts only; interest on a consumer debt "
            "follows the contract and consumer credit law, which Arrears does not compute"
        )
    if principal.is_negative:
        raise InvalidAmountError(f"principal {principal} is negative")
    if regime is Regime.EU_DIRECTIVE:
        _require_euro(principal)
    if contractual_rate is not None:
        contractual_rate = _check_rate(contractual_rate)
    table = rates if rates is not None else ReferenceRates.packaged()
    interest_from = due_date + timedelta(days=1)
    counted = sorted((p for p in payments if p.received_on <= as_of), key=lambda p: p.received_on)
    for payment in counted:
        if payment.amount.currency != principal.currency:
            raise InvalidAmountError(
                f"payment of {payment.amount} on {payment.received_on.isoformat()} is not in {principal.currency}"
            )
    if sum((p.amount.amount for p in counted), Decimal(0)) > principal.amount:
        raise InvalidAmountError(f"payments add up to more than the principal {principal}")

    def outstanding_on(day: date) -> Money:
        paid = sum((p.amount.amount for p in counted if p.received_on < day), Decimal(0))
        return Money(principal.amount - paid, principal.currency)

    def rate_on(day: date) -> tuple[Decimal, Decimal | None, date | None]:
        if contractual_rate is not None:
            return contractual_rate, None, None
        if regime is Regime.UK_LATE_PAYMENT:
            reference_day, source = uk_reference_date(interest_from), RateSource.BOE
        else:
            reference_day, source = eu_reference_date(day), RateSource.ECB
        reference = table.in_force(source, reference_day).rate_percent
        return reference + STATUTORY_MARGIN, reference, reference_day

    periods = _periods(
        interest_from, as_of, counted, regime, contractual_rate is None, outstanding_on, rate_on
    )
    numerator = sum((p.principal.amount * p.rate * p.days for p in periods), Decimal(0))
    interest = Money(_divide(numerator), principal.currency).rounded()
    late_debt = outstanding_on(interest_from)
    compensation_currency = "EUR" if regime is Regime.EU_DIRECTIVE else "GBP"
    compensation = Money.zero(compensation_currency)
    if periods and not (contractual_rate is not None and regime is Regime.UK_LATE_PAYMENT):
        compensation = fixed_compensation(regime, late_debt, sterling_value=sterling_value)
    last = periods[-1] if periods else None
    still_owed = outstanding_on(as_of + timedelta(days=1))
    daily = Money.zero(principal.currency)
    if last is not None and still_owed.is_positive:
        daily = Money(_divide(still_owed.amount * last.rate), principal.currency)
    return InterestClaim(
        regime=regime,
        principal=principal,
        due_date=due_date,
        as_of=as_of,
        contractual=contractual_rate is not None,
        rate=last.rate if last else None,
        reference_rate=last.reference_rate if last else None,
        reference_date=last.reference_date if last else None,
        days=sum(p.days for p in periods),
        daily_interest=daily,
        interest=interest,
        compensation=compensation,
        periods=periods,
        basis=_basis(regime, periods, interest, compensation, due_date, as_of, bool(counted)),
    )


def _periods(
    interest_from: date,
    as_of: date,
    payments: Sequence[PartPayment],
    regime: Regime,
    statutory: bool,
    outstanding_on: _Outstanding,
    rate_on: _RateOn,
) -> tuple[InterestPeriod, ...]:
    """Split interest_from..as_of where the principal or (EU, statutory) the rate changes."""
    if as_of < interest_from:
        return ()
    starts = {interest_from}
    starts.update(p.received_on + timedelta(days=1) for p in payments)
    if regime is Regime.EU_DIRECTIVE and statutory:
        for year in range(interest_from.year, as_of.year + 1):
            starts.update((date(year, 1, 1), date(year, 7, 1)))
    ordered = sorted(day for day in starts if interest_from <= day <= as_of)
    periods: list[InterestPeriod] = []
    for index, start in enumerate(ordered):
        end = ordered[index + 1] - timedelta(days=1) if index + 1 < len(ordered) else as_of
        owed = outstanding_on(start)
        if not owed.is_positive:
            continue
        rate, reference, reference_day = rate_on(start)
        periods.append(InterestPeriod(start, end, owed, rate, reference, reference_day))
    return tuple(periods)


def _divide(numerator: Decimal) -> Decimal:
    """numerator / (100 x 365) to 28 significant digits, whatever the caller's decimal context.

    28 digits cannot misplace a half-up tie at two places: the quotient either terminates (the
    numerator is a multiple of 73) within those digits or repeats with 1/73's period, which has no
    long run of 9s or 0s.
    """
    with localcontext() as context:
        context.prec = 28
        return numerator / _PER_CENT_YEAR


def _check_rate(rate: object) -> Decimal:
    if isinstance(rate, bool | float) or not isinstance(rate, Decimal | int):
        raise InvalidAmountError(
            f"rate {rate!r} must be a Decimal (per cent a year), not {type(rate).__name__}"
        )
    value = Decimal(rate)
    if not value.is_finite() or value < 0:
        raise InvalidAmountError(f"rate {rate} must be a finite, non-negative per cent a year")
    return value


def _require_euro(amount: Money) -> None:
    if amount.currency != "EUR":
        raise InterestNotApplicableError(
            f"the Directive regime here uses the ECB rate and the EUR 40 sum, for euro debts; this debt is in "
            f"{amount.currency}: use the national central bank rate of the Member State as a contractual rate"
        )


def _long_date(day: date) -> str:
    return str(format_date(day, "d MMMM y", locale="en_GB"))


def _basis(
    regime: Regime,
    periods: Sequence[InterestPeriod],
    interest: Money,
    compensation: Money,
    due_date: date,
    as_of: date,
    part_paid: bool,
) -> str:
    if not periods:
        return f"No interest is due: nothing was overdue on {_long_date(as_of)} (due {_long_date(due_date)})."
    first, last = periods[0], periods[-1]
    on_what = " on the balance unpaid each day" if part_paid else ""
    span = f"from {_long_date(first.start)} to {_long_date(last.end)} ({sum(p.days for p in periods)} days)"
    if first.reference_rate is None:
        head = f"Interest at the contractual rate of {first.rate:.2f}% a year"
    elif regime is Regime.UK_LATE_PAYMENT:
        head = (
            "Statutory interest under the Late Payment of Commercial Debts (Interest) Act 1998 at "
            f"{first.rate:.2f}% a year (8% over the Bank of England base rate of {first.reference_rate:.2f}% "
            f"in force on {_long_date(first.reference_date or first.start)})"
        )
    else:
        rates = _distinct_rates(periods)
        if len(rates) == 1:
            rate, reference, _, _ = rates[0]
            days = sorted({p.reference_date for p in periods if p.reference_date is not None})
            how = (
                f"at {rate:.2f}% a year (8 points over the ECB main refinancing rate of {reference:.2f}% "
                f"in force on {' and on '.join(_long_date(day) for day in days)})"
            )
        else:
            listed = ", ".join(f"{rate:.2f}% from {_long_date(start)}" for rate, _, _, start in rates)
            how = (
                "at 8 points over the ECB main refinancing rate in force on 1 January or 1 July "
                f"of each half-year ({listed})"
            )
        head = f"Statutory interest for late payment under Directive 2011/7/EU {how}"
    sentence = f"{head}, simple interest{on_what} {span}: {interest.format()}."
    if compensation.is_positive:
        law = (
            "section 5A of the Act"
            if regime is Regime.UK_LATE_PAYMENT
            else "Article 6 of Directive 2011/7/EU"
        )
        sentence += f" Fixed compensation under {law}: {compensation.format()}."
    return sentence


def _distinct_rates(periods: Sequence[InterestPeriod]) -> list[tuple[Decimal, Decimal, date, date]]:
    """(rate, reference rate, reference date, first day) for each run of periods at one rate."""
    runs: list[tuple[Decimal, Decimal, date, date]] = []
    for period in periods:
        if period.reference_rate is None or period.reference_date is None:
            continue
        if not runs or runs[-1][0] != period.rate:
            runs.append((period.rate, period.reference_rate, period.reference_date, period.start))
    return runs
