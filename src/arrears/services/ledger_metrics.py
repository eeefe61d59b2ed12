"""DSO (standard and countback), best possible DSO, ADD and CEI for a creditor."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.core import metrics
from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.store.repositories.metrics import month_start
from arrears.store.unit_of_work import UnitOfWork

COUNTBACK_MONTHS = 24


@dataclass(frozen=True, slots=True)
class CurrencyMetrics:
    """The metrics of one creditor in one currency for the period `start`..`end`."""

    currency: str
    start: date
    end: date
    receivables: Money
    current_receivables: Money
    credit_sales: Money
    dso: Decimal | None
    dso_countback: Decimal | None
    best_possible_dso: Decimal | None
    average_days_delinquent: Decimal | None
    collection_effectiveness: Decimal | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class CreditorMetrics:
    creditor: Creditor
    currencies: tuple[CurrencyMetrics, ...]


def period_ending(as_of: date, months: int) -> tuple[date, date]:
    """The `months` whole calendar months that end on the last month end on or before `as_of`.

    Metrics are a month-end measure: DSO on the 17th mixes half a month of sales with a whole
    month of receivables, so a date inside a month reports on the month before it.
    """
    if months < 1:
        raise ValueError(f"the period needs at least one month, not {months}")
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    end = as_of if as_of.day == last_day else as_of.replace(day=1) - timedelta(days=1)
    return month_start(end, months - 1), end


def ledger_metrics(uow: UnitOfWork, creditor: str, as_of: date, *, months: int = 3) -> CreditorMetrics:
    """The creditor's metrics in each currency it has documents in, for `months` whole months
    ending at the last month end on or before `as_of` (see `period_ending`)."""
    start, end = period_ending(as_of, months)
    with uow:
        creditor_value = uow.creditors.get(creditor)
        results = []
        for currency in uow.metrics.currencies(creditor):
            ending = uow.metrics.receivables(creditor, currency, end)
            beginning = uow.metrics.receivables(creditor, currency, start - timedelta(days=1))
            sales = uow.metrics.credit_sales(creditor, currency, start, end)
            monthly = [
                metrics.MonthlySales(period.start, period.sales)
                for period in uow.metrics.monthly_credit_sales(creditor, currency, end, COUNTBACK_MONTHS)
            ]
            days = metrics.days_in_period(start, end)
            results.append(
                CurrencyMetrics(
                    currency=currency,
                    start=start,
                    end=end,
                    receivables=ending.outstanding,
                    current_receivables=ending.not_yet_due,
                    credit_sales=sales,
                    dso=metrics.dso_standard(ending.outstanding, sales, days),
                    dso_countback=metrics.dso_countback(ending.outstanding, monthly),
                    best_possible_dso=metrics.best_possible_dso(ending.not_yet_due, sales, days),
                    average_days_delinquent=metrics.average_days_delinquent(
                        ending.outstanding, ending.not_yet_due, sales, days
                    ),
                    collection_effectiveness=metrics.collection_effectiveness_index(
                        beginning.outstanding, sales, ending.outstanding, ending.not_yet_due
                    ),
                )
            )
    return CreditorMetrics(creditor_value, tuple(results))
