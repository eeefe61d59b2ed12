"""Instalments: a debt divided into equal parts on weekly, fortnightly or monthly dates.

`instalment_schedule` gives instalments that add up to the debt exactly, the rounding remainder
on the last (`Money.split`: 100.00 in 3 is 33.33, 33.33, 33.34). A first payment may be larger
(a deposit): then the rest is split equally over the other instalments. Monthly instalments fall
on the first date's day of the month, or the month's last day when it is shorter (31 January,
28 February, 31 March). Payment plans (`arrears.core.plans`) are built on these schedules.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from arrears.core.deal_rules import DealError
from arrears.core.money import Money


class PlanError(DealError):
    """A payment plan or schedule that cannot be: no instalments, dates out of order, a first
    payment larger than the debt, documents of another debtor."""


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int  # 1, 2, ...
    due_on: date
    amount: Money


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, on the same day of the month or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def instalment_dates(first_due_on: date, count: int, frequency: Frequency) -> tuple[date, ...]:
    """The due dates of `count` instalments from `first_due_on`."""
    if frequency is Frequency.MONTHLY:
        return tuple(add_months(first_due_on, n) for n in range(count))
    step = 7 if frequency is Frequency.WEEKLY else 14
    return tuple(first_due_on + timedelta(days=step * n) for n in range(count))


def instalment_schedule(
    total: Money,
    count: int,
    frequency: Frequency,
    first_due_on: date,
    *,
    first_payment: Money | None = None,
) -> tuple[Instalment, ...]:
    """`total` in `count` instalments adding up to it exactly.

    Without `first_payment`: equal instalments, the rounding remainder on the last. With it: the
    first instalment is `first_payment`, the rest is split equally over the others.
    """
    frequency = Frequency(frequency)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise PlanError(f"a plan needs at least one instalment, not {count!r}")
    if not total.is_positive or not total.is_whole_minor_units():
        raise PlanError(f"a plan's total {total.amount} must be positive, in whole minor units")
    if first_payment is None:
        amounts = total.split(count)
    else:
        if first_payment.currency != total.currency:
            raise PlanError(f"the first payment is in {first_payment.currency}, the debt in {total.currency}")
        if not first_payment.is_positive or not first_payment.is_whole_minor_units():
            raise PlanError(
                f"the first payment {first_payment.amount} must be positive, in whole minor units"
            )
        if first_payment > total:
            raise PlanError(f"the first payment {first_payment} is more than the debt {total}")
        rest = total - first_payment
        if count == 1 and rest.is_positive:
            raise PlanError(
                f"one instalment of {first_payment} does not pay the debt of {total}; add instalments"
            )
        if count > 1 and rest.is_zero:
            raise PlanError(f"the first payment {first_payment} pays the whole debt; make it one instalment")
        amounts = (first_payment, *rest.split(count - 1)) if count > 1 else (first_payment,)
    if any(not amount.is_positive for amount in amounts):
        raise PlanError(
            f"{total} is too little for {count} instalments of at least one minor unit; take fewer instalments"
        )
    dates = instalment_dates(first_due_on, count, frequency)
    return tuple(
        Instalment(number, due_on, amount)
        for number, (due_on, amount) in enumerate(zip(dates, amounts, strict=True), 1)
    )
