"""Drawing one creditor's ledger as plain rows: integer minor units, no `Money` on the hot path.

Both the object API (`arrears.sim.generator`) and the bulk-loading fast path
(`arrears.sim.rows`) read these rows, so they hold exactly the same ledger.

Invoice amounts
---------------
Log-normal (an assumption: no published distribution of SME invoice sizes was found):
- each creditor has a median net invoice of £850 x LogNormal(0, 0.5), its line of trade;
- each debtor has its own scale around it, x LogNormal(0, 0.8) (a café and a contractor buy
  differently from the same wholesaler);
- each invoice varies around its debtor's scale, x LogNormal(0, 0.6).
So within a creditor ln(net) is normal with sigma 1.0 (sqrt(0.8^2 + 0.6^2)) around ln(median);
across creditors sigma is about 1.12. Net prices are whole pounds 60% of the time, at least
£5 and at most £250,000; UK debtors are charged VAT at 20% (rounded half-up to the penny),
foreign debtors are zero-rated exports. The gross amount is the document's amount.

Issue dates
-----------
Over the `history_days` days up to `as_of`, weekdays only (weekends carry 2% of a weekday's
weight), with a mild seasonality (quieter in August and December) and a month-end billing
peak (the last weekday of a month weighs 2.5 times another day). 15% of debtors are new
customers (first invoice late in the period) and 12% lapsed ones (last invoice early in it).
Invoice numbers run in issue-date order per creditor from a random starting number.
"""

import calendar
import math
import random
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from arrears.core.ledger import Creditor, Debtor
from arrears.sim.behaviour import PROFILES, BehaviourProfile, BehaviourType, pick_behaviour, sample_days_late
from arrears.sim.debtors import DebtorFactory
from arrears.sim.params import CreditorPlan, SimulationParams, apportion

DocumentRow = tuple[str, str, str, str, date, date, str, int, int, str]
PaymentRow = tuple[str, str, str, date, str, int, int]
AllocationRow = tuple[str, str, date, str, int, str | None, str | None]
LaterPaymentRow = tuple[str, str, date, str, int]

DOCUMENT_COLUMNS = (
    "creditor", "debtor", "kind", "number", "issue_date", "due_date",
    "currency", "amount_minor", "open_amount_minor", "status",
)  # fmt: skip
"""Column order of a document row. kind is 'invoice' or 'credit_note'; status is 'open',
'part_paid' or 'paid'; amounts are integer minor units of `currency`."""

PAYMENT_COLUMNS = (
    "creditor",
    "reference",
    "debtor",
    "received_on",
    "currency",
    "amount_minor",
    "unallocated_minor",
)
"""Column order of a payment row."""

ALLOCATION_COLUMNS = (
    "creditor",
    "document",
    "allocated_on",
    "currency",
    "amount_minor",
    "payment",
    "credit_note",
)
"""Column order of an allocation row: exactly one of payment (a reference) and credit_note
(a credit note number) is set; document is the invoice number settled."""

MEDIAN_NET_INVOICE_POUNDS = 850.0
SIGMA_CREDITOR, SIGMA_DEBTOR, SIGMA_INVOICE = 0.5, 0.8, 0.6
ADJUSTMENT_CREDIT_NOTE_SHARE = 0.015  # invoices given a price-adjustment or returns credit note
OVERPAYMENT_SHARE = 0.01  # payments that exceed what they settle
_SEASON = (0.95, 1.0, 1.1, 0.95, 1.0, 1.05, 1.0, 0.8, 1.05, 1.1, 1.1, 0.75)  # January..December

# Settlement events on an invoice; on one day a credit note goes first, then part, then rest.
_CREDIT_APPLIED, _CREDIT_ON_ACCOUNT, _PAY_PART, _PAY_REST = 0, 1, 2, 3
_STATUS = ("open", "part_paid", "paid")
_AD_HOC, _WEEKLY, _MONTH_END = 0, 1, 2


@dataclass(slots=True)
class RowChunk:
    """A group of debtors of one creditor with all their documents, payments and allocations.

    Everything a row refers to is in the same chunk: allocations name documents and payments
    of these debtors only.
    """

    creditor: Creditor
    first: bool  # the creditor's first chunk
    debtors: list[Debtor] = field(default_factory=list)
    behaviours: list[BehaviourType] = field(default_factory=list)  # aligned with debtors
    documents: list[DocumentRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    allocations: list[AllocationRow] = field(default_factory=list)
    # payments debtors would make after `settled_until` (debtor, invoice, day, currency, minor units)
    later_payments: list[LaterPaymentRow] = field(default_factory=list)


def day_weights(start: date, days: int) -> list[float]:
    """Cumulative weights of the issue days start .. start + days - 1."""
    cumulative: list[float] = []
    total = 0.0
    for offset in range(days):
        day = start + timedelta(days=offset)
        weight = _SEASON[day.month - 1] if day.weekday() < 5 else 0.02
        if day.weekday() < 5 and _last_weekday(day.year, day.month) == day.toordinal():
            weight *= 2.5
        total += weight
        cumulative.append(total)
    return cumulative


def _last_weekday(year: int, month: int) -> int:
    """Ordinal of the last Monday-to-Friday day of a month."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last.toordinal() - max(0, last.weekday() - 4)


def _month_end_run(ordinal: int) -> int:
    """The month-end payment run on or after a day: the last weekday of its month, or of the next."""
    day = date.fromordinal(ordinal)
    run = _last_weekday(day.year, day.month)
    if ordinal <= run:
        return run
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return _last_weekday(year, month)


class CreditorSimulator:
    """Draws one creditor's debtors and ledger from the creditor's own random streams."""

    def __init__(self, params: SimulationParams, plan: CreditorPlan) -> None:
        self.params = params
        self.plan = plan
        self.creditor = plan.creditor.code
        self.as_of = params.as_of.toordinal()
        self.settled_until = (params.settled_until or params.as_of).toordinal()
        self.start = self.as_of - params.history_days + 1
        # date objects for every day a row can carry (issue .. latest due date), made once
        self._dates = [date.fromordinal(o) for o in range(self.start, self.as_of + 61)]
        shares = params.behaviour_shares or {b: p.share for b, p in PROFILES.items()}
        self._behaviours = [b for b in PROFILES if shares.get(b, 0) > 0]
        self._cumulative = list(_accumulate(shares[b] for b in self._behaviours))
        self._credit_note_number = 0
        self._payment_number = 0

    # --- pass 1: who is invoiced how often, and when ----------------------------------------

    def _plan(self) -> "tuple[list[int], array[int], array[int], float, int]":
        rng = random.Random(self.plan.seed + ":plan")
        debtors, invoices, days = self.plan.debtors, self.plan.invoices, self.params.history_days
        counts = apportion(invoices, [rng.lognormvariate(0, 1.1) for _ in range(debtors)])
        cumulative = day_weights(self._dates[0], days)
        issue_days: array[int] = array("i")
        for count in counts:
            if not count:
                continue
            low, high, r = 0, days, rng.random()
            if r < 0.15:
                low = int(rng.random() * days * 0.8)
            elif r < 0.27:
                high = days - int(rng.random() * days * 0.8)
            base = cumulative[low - 1] if low else 0.0
            span = cumulative[high - 1] - base
            drawn = [
                min(bisect_right(cumulative, base + rng.random() * span), high - 1) for _ in range(count)
            ]
            drawn.sort()
            issue_days.extend(drawn)
        # Number invoices in issue-date order (a counting sort: there are few distinct days).
        per_day = [0] * days
        for day in issue_days:
            per_day[day] += 1
        next_number = [0] * days
        running = rng.randint(1000, 40000)
        for day in range(days):
            next_number[day] = running
            running += per_day[day]
        numbers: array[int] = array("q", bytes(8 * len(issue_days)))
        for position, day in enumerate(issue_days):
            numbers[position] = next_number[day]
            next_number[day] += 1
        median = MEDIAN_NET_INVOICE_POUNDS * rng.lognormvariate(0, SIGMA_CREDITOR)
        ranked = sorted(counts, reverse=True)
        busy_threshold = max(12, ranked[min(len(ranked) - 1, debtors * 3 // 100)])
        return counts, issue_days, numbers, median, busy_threshold

    # --- pass 2: each debtor's identity, invoices and settlements ----------------------------

    def chunks(self) -> Iterator[RowChunk]:
        """The creditor's ledger, `chunk_debtors` debtors at a time."""
        counts, issue_days, numbers, median, busy_threshold = self._plan()
        self._credit_note_number = self._payment_number = 0
        rng = random.Random(self.plan.seed + ":ledger")
        factory = DebtorFactory(rng, self.creditor, self.params.foreign_currency_share)
        chunk = RowChunk(self.plan.creditor, first=True)
        position = 0
        for count in counts:
            behaviour = pick_behaviour(rng, self._cumulative, self._behaviours)
            profile = PROFILES[behaviour]
            scale = median * rng.lognormvariate(0, SIGMA_DEBTOR)
            own_days = issue_days[position : position + count]
            active_months = max(1.0, (own_days[-1] - own_days[0] + 1) / 30.4) if count else 1.0
            monthly = int(count / active_months * scale * 120 * math.exp(SIGMA_INVOICE**2 / 2))
            debtor, traits = factory.draw(
                behaviour, busy=count >= busy_threshold, monthly_billing_minor=monthly
            )
            chunk.debtors.append(debtor)
            chunk.behaviours.append(behaviour)
            run = _MONTH_END if profile.month_end_run else (_WEEKLY if rng.random() < 0.45 else _AD_HOC)
            run_weekday = rng.randint(0, 4)
            payments: dict[int, list[tuple[str, int]]] = {}
            for k in range(count):
                issue = self.start + own_days[k]
                net = math.exp(SIGMA_INVOICE * rng.gauss()) * scale
                net = min(max(net, 5.0), 250_000.0)
                net_minor = int(net) * 100 if rng.random() < 0.6 else int(net * 100)
                amount = net_minor + (net_minor * 20 + 50) // 100 if traits.charges_vat else net_minor
                self._invoice(
                    chunk,
                    rng,
                    debtor.account_code,
                    traits.currency,
                    f"INV-{numbers[position + k]:06d}",
                    issue,
                    issue + traits.terms_days,
                    amount,
                    traits.terms_days,
                    profile,
                    (run, run_weekday),
                    payments,
                )
            position += count
            self._payments(chunk, rng, debtor.account_code, traits.currency, payments)
            if len(chunk.debtors) >= self.params.chunk_debtors:
                yield chunk
                chunk = RowChunk(self.plan.creditor, first=False)
        if chunk.debtors or chunk.first:
            yield chunk

    def _pay_date(self, intended: int, issue: int, run: tuple[int, int]) -> int:
        """The day cash arrives: the debtor's payment run nearest to (or, month end, after) the
        intended day; never before the invoice."""
        mode, run_weekday = run
        weekday = (intended + 6) % 7  # date.fromordinal(1) is a Monday
        if mode == _MONTH_END:
            intended = _month_end_run(intended)
        elif mode == _WEEKLY:
            shift = (run_weekday - weekday + 3) % 7 - 3  # nearest run day, -3..+3
            intended += shift
        elif weekday == 5:
            intended -= 1  # Saturday: Friday's bank run
        elif weekday == 6:
            intended += 1  # Sunday: Monday's
        return max(intended, issue)

    def _invoice(
        self,
        chunk: RowChunk,
        rng: random.Random,
        debtor: str,
        currency: str,
        number: str,
        issue: int,
        due: int,
        amount: int,
        terms: int,
        profile: BehaviourProfile,
        run: tuple[int, int],
        payments: dict[int, list[tuple[str, int]]],
    ) -> None:
        """One invoice: its settlement events up to `settled_until`, and the rows they leave."""
        events = self._settlement_events(rng, issue, due, amount, terms, profile, run)
        open_amount = amount  # what the ledger shows: settlements up to `settled_until`
        full_open = amount  # what it would show with every settlement up to `as_of`
        credit_notes: list[DocumentRow] = []
        for day, kind, value in sorted(events):
            if day > self.as_of:
                break
            late = day > self.settled_until  # `_payments` hands late payments back as later payments
            if kind in (_CREDIT_APPLIED, _CREDIT_ON_ACCOUNT):
                applied = min(value, full_open) if kind == _CREDIT_APPLIED else 0
                full_open -= applied
                if late:
                    continue
                self._credit_note_number += 1
                note = f"CRN-{self._credit_note_number:06d}"
                when = self._dates[day - self.start]
                remaining = value - applied
                status = _STATUS[2 if remaining == 0 else (1 if remaining < value else 0)]
                credit_notes.append(
                    (
                        self.creditor,
                        debtor,
                        "credit_note",
                        note,
                        when,
                        when,
                        currency,
                        value,
                        remaining,
                        status,
                    )
                )
                if applied:
                    chunk.allocations.append((self.creditor, number, when, currency, applied, None, note))
                    open_amount -= applied
            elif full_open > 0:
                paid = full_open if kind == _PAY_REST else max(1, full_open * value // 1000)
                payments.setdefault(day, []).append((number, paid))
                full_open -= paid
                if not late:
                    open_amount -= paid
        status = _STATUS[2 if open_amount == 0 else (1 if open_amount < amount else 0)]
        dates = self._dates
        chunk.documents.append(
            (
                self.creditor,
                debtor,
                "invoice",
                number,
                dates[issue - self.start],
                dates[due - self.start],
                currency,
                amount,
                open_amount,
                status,
            )
        )
        chunk.documents.extend(credit_notes)

    def _settlement_events(
        self,
        rng: random.Random,
        issue: int,
        due: int,
        amount: int,
        terms: int,
        profile: BehaviourProfile,
        run: tuple[int, int],
    ) -> list[tuple[int, int, int]]:
        """What will happen to an invoice, as (day, event, value), whether or not by `as_of`.

        Values: a credit note's amount in minor units, a part payment's share in thousandths
        of the amount then open, nothing (0) for paying the rest.
        """
        events: list[tuple[int, int, int]] = []
        u = rng.random()
        if u < profile.never_pays_share:
            if rng.random() < 0.25:  # a token part payment, then nothing more
                intended = due + sample_days_late(rng, profile, terms)
                events.append((self._pay_date(intended, issue, run), _PAY_PART, rng.randint(100, 500)))
        elif u < profile.never_pays_share + profile.dispute_share:
            outcome = rng.random()
            if outcome < 0.45:  # part credited, the rest paid once the credit note is in
                credited = max(100, amount * rng.randint(10, 50) // 100)
                note_day = issue + rng.randint(10, 60)
                events.append((note_day, _CREDIT_APPLIED, min(credited, amount)))
                intended = note_day + rng.randint(3, 30)
                events.append((self._pay_date(intended, issue, run), _PAY_REST, 0))
            elif outcome < 0.60:  # cancelled by a credit note for the whole amount
                events.append((issue + rng.randint(7, 60), _CREDIT_APPLIED, amount))
            else:  # paid in full once the query is resolved
                intended = due + max(0, sample_days_late(rng, profile, terms)) + rng.randint(30, 90)
                events.append((self._pay_date(intended, issue, run), _PAY_REST, 0))
        elif u < profile.never_pays_share + profile.dispute_share + profile.part_payment_share:
            first = self._pay_date(due + sample_days_late(rng, profile, terms), issue, run)
            events.append((first, _PAY_PART, rng.randint(300, 700)))
            if profile.behaviour is not BehaviourType.NON_PAYER or rng.random() < 0.5:
                events.append((self._pay_date(first + rng.randint(14, 60), issue, run), _PAY_REST, 0))
        else:
            intended = due + sample_days_late(rng, profile, terms)
            events.append((self._pay_date(intended, issue, run), _PAY_REST, 0))
        if rng.random() < ADJUSTMENT_CREDIT_NOTE_SHARE:
            credited = max(100, amount * rng.randint(5, 30) // 100)
            kind = _CREDIT_APPLIED if rng.random() < 0.7 else _CREDIT_ON_ACCOUNT
            events.append((issue + rng.randint(1, 25), kind, min(credited, amount)))
        return events

    def _payments(
        self,
        chunk: RowChunk,
        rng: random.Random,
        debtor: str,
        currency: str,
        payments: dict[int, list[tuple[str, int]]],
    ) -> None:
        """One payment per debtor and day, settling every invoice paid that day; a few
        over-pay (paid twice, or rounded up to the next hundred) and leave cash unallocated."""
        for day in sorted(payments):
            settled = payments[day]
            total = sum(amount for _, amount in settled)
            unallocated = 0
            if rng.random() < OVERPAYMENT_SHARE:
                if rng.random() < 0.5:
                    unallocated = max(amount for _, amount in settled)
                else:
                    unallocated = 10_000 - total % 10_000
            self._payment_number += 1
            reference = f"RCT-{self._payment_number:07d}"
            when = self._dates[day - self.start]
            if day > self.settled_until:
                # the same draws as a full run, so the ledger up to `settled_until` is identical
                chunk.later_payments.extend(
                    (debtor, number, when, currency, paid) for number, paid in settled
                )
                continue
            chunk.payments.append(
                (self.creditor, reference, debtor, when, currency, total + unallocated, unallocated)
            )
            for number, amount in settled:
                chunk.allocations.append((self.creditor, number, when, currency, amount, reference, None))


def _accumulate(values: Iterator[float] | list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total
