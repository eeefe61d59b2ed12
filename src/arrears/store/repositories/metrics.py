"""Aggregates the receivables metrics (DSO, countback DSO, CEI...) are computed from, in SQL.

All figures are for one creditor in one currency, in exact money. Rules shared by them:
- a document counts from its issue date; a credit note counts against the invoices;
- "outstanding at a date" counts back from today's open amounts, adding back what was
  allocated after that date (the definition of `arrears.core.metrics.receivables_as_of`), so
  a ledger imported without its payment history never shows as open what is settled today;
- a write-off recorded in Arrears is dated: an invoice written off on day W counts (less what
  was allocated to it by then) up to the end of W-1, and not from W; a document written off
  or settled in the source system counts only its allocations after the date (the store does
  not know when it left the ledger); all of them stay in the credit sales.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, case, select

from arrears.core.money import Money, check_currency
from arrears.store.repositories._common import Repository
from arrears.store.repositories.ledger import bucket_index, open_minor_at, summed
from arrears.store.tables import DocumentRecord


@dataclass(frozen=True, slots=True)
class Receivables:
    """What was owed at the end of a day, and the part of it not yet due then."""

    at: date
    outstanding: Money
    not_yet_due: Money

    @property
    def past_due(self) -> Money:
        return self.outstanding - self.not_yet_due


@dataclass(frozen=True, slots=True)
class PeriodSales:
    """Credit sales (invoices less credit notes issued) from `start` to `end`, both included."""

    start: date
    end: date
    sales: Money

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _signed(amount: SQLColumnExpression[int]) -> ColumnElement[int]:
    return case((DocumentRecord.kind == "invoice", amount), else_=-amount)


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month `months_back` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


class MetricsQueries(Repository):
    def currencies(self, creditor: str) -> tuple[str, ...]:
        """The currencies the creditor's documents are in, alphabetically: one set of metrics each."""
        creditor_id = self._creditor_id(creditor)
        return tuple(
            self._session.scalars(
                select(DocumentRecord.currency)
                .where(DocumentRecord.creditor_id == creditor_id)
                .distinct()
                .order_by(DocumentRecord.currency)
            )
        )

    def receivables(self, creditor: str, currency: str, at: date) -> Receivables:
        """Receivables outstanding at the end of `at`, and the part not yet due then.

        The definition of `arrears.core.metrics.receivables_as_of`, in one query: over the
        documents issued on or before `at`, each invoice adds and each credit note subtracts
            its open amount today (zero unless open or part-paid)
            + the allocations to it (from it, for a credit note) dated after `at`
            + the write-offs of it (an invoice) applied after `at`.
        With a complete allocation history that is "issued by then, less allocated by then";
        counting back from today keeps it right for a ledger imported without its payment
        history, and on the latest date it equals the ageing total. Applying a credit note
        leaves the total unchanged; unallocated cash does not reduce it. An invoice written off
        in Arrears on day W is owed up to the end of W-1; one written off or settled in the
        source system (no write-off recorded here) counts only its allocations after `at`.

        not_yet_due = the same sum over the documents due on or after `at` (due that day is
        not late yet: the ageing report's "current" bucket).
        """
        check_currency(currency)
        creditor_id = self._creditor_id(creditor)
        open_at = open_minor_at(creditor_id, at)
        open_then = open_at.amount
        query = (
            select(
                summed(_signed(open_then)),
                summed(case((DocumentRecord.due_date >= at, _signed(open_then)), else_=0)),
            )
            .select_from(DocumentRecord)
            .where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.currency == currency,
                DocumentRecord.issue_date <= at,
            )
        )
        for join in open_at.joins:
            query = query.outerjoin(*join)
        outstanding, not_yet_due = self._session.execute(query).one()
        return Receivables(
            at=at,
            outstanding=Money.from_minor_units(int(outstanding), currency),
            not_yet_due=Money.from_minor_units(int(not_yet_due), currency),
        )

    def credit_sales(self, creditor: str, currency: str, start: date, end: date) -> Money:
        """Invoices less credit notes issued from `start` to `end` (both included), whatever
        has happened to them since (paid, written off, settled in the source)."""
        check_currency(currency)
        creditor_id = self._creditor_id(creditor)
        total = self._session.scalar(
            select(summed(_signed(DocumentRecord.amount_minor))).where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.currency == currency,
                DocumentRecord.issue_date >= start,
                DocumentRecord.issue_date <= end,
            )
        )
        return Money.from_minor_units(int(total or 0), currency)

    def monthly_credit_sales(
        self, creditor: str, currency: str, at: date, months: int
    ) -> tuple[PeriodSales, ...]:
        """Credit sales per calendar month for the `months` months up to `at`, oldest first.

        The last period is the month of `at` from its first day to `at` itself (a part month
        unless `at` is a month end); the others are whole calendar months. This is what
        countback DSO walks back through. One query: a CASE puts each document in its month.
        """
        if months < 1:
            raise ValueError(f"monthly credit sales need at least one month, not {months}")
        check_currency(currency)
        creditor_id = self._creditor_id(creditor)
        starts = [month_start(at, back) for back in range(months)]  # newest first
        by_month = (
            select(
                bucket_index(DocumentRecord.issue_date, starts).label("month"),
                _signed(DocumentRecord.amount_minor).label("amount"),
            )
            .where(
                DocumentRecord.creditor_id == creditor_id,
                DocumentRecord.currency == currency,
                DocumentRecord.issue_date >= starts[-1],
                DocumentRecord.issue_date <= at,
            )
            .subquery()
        )
        totals = {
            int(month): int(amount)
            for month, amount in self._session.execute(
                select(by_month.c.month, summed(by_month.c.amount)).group_by(by_month.c.month)
            )
        }
        periods = []
        for back, start in enumerate(starts):
            end = at if back == 0 else month_start(at, back - 1) - timedelta(days=1)
            periods.append(PeriodSales(start, end, Money.from_minor_units(totals.get(back, 0), currency)))
        return tuple(reversed(periods))
