"""Where each invoice stands on its debtor's ladder: rules 3 and 4 of the planner (progress in
the current episode, and catch-up), and the phrase that names invoices and their age.

Internal to `arrears.core.planner`, which reads the rules in its docstring; split from it to
keep each module short. Everything here runs once per open invoice, so it works on the plain
`OpenItem` tuples of the snapshot and on tables built once per ladder: the position an age
reaches, looked up once per due date, and the step catch-up gives an invoice no step chased
yet (`Ladder.afresh`), so that most invoices of a first cycle need no condition checked.
"""

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter

from arrears.core.actions import Skip, SkipKind, describe_age
from arrears.core.holds import Hold, HoldReason, describe_holds
from arrears.core.policy import Policy, Segment, Step
from arrears.core.snapshot import OpenItem, minimum_in_minor_units

REASON_DOCUMENTS = 5  # documents named in a reason before "and N more"
_age = lru_cache(maxsize=1024)(describe_age)  # a few hundred distinct ages: each worded once


@dataclass(slots=True)
class Ladder:
    """The steps one combination of segments gets, with what the planner looks up per invoice."""

    steps: tuple[Step, ...]
    offsets: tuple[int, ...]
    indices: tuple[int, ...]  # each step's position in the policy
    minimums: tuple[Decimal | None, ...]  # each step's min_overdue in minor units
    # For an invoice no step chased in this episode, by the position its age reaches: the step
    # catch-up gives it before any `min_overdue` is checked (legal steps passed over), for a
    # debtor that has not paid since its last step and for one that has (`only_if_no_payment_
    # since_last_step` steps passed over too); -1 for none. See `CatchUp.due_today_afresh`.
    afresh: tuple[int, ...]
    afresh_after_payment: tuple[int, ...]
    placed: dict[date, tuple[int, int, int]] = field(default_factory=dict)  # by due date: days, afresh


Due = tuple[str, int, int, int, OpenItem]
"""An invoice due a step today: (its number, the step's position in the debtor's ladder, days
past due, the policy index it reached in this episode or -1 for none, the invoice). A tuple:
one is made per open invoice."""


number_of = itemgetter(0)  # of a Due: sorting by it keeps the sort stable and in C


@dataclass(slots=True)
class DebtorView:
    """What the rules need to know about one debtor today."""

    code: str
    invoices: list[OpenItem]
    segments: frozenset[Segment]
    ladder: Ladder
    paid: date | None
    paid_since_last_step: bool
    progress: Mapping[str, tuple[int, date]]
    holds: tuple[Hold, ...]  # on the whole debtor
    document_holds: dict[str, tuple[Hold, ...]]
    contacts: Sequence[date]  # in the rolling week
    overdue_at: dict[int, int]  # what it owes at least N days past due, in minor units (a cache)


class CatchUp:
    """One plan() call's ladders and ages (built once), asked which step each invoice is due."""

    def __init__(self, policy: Policy, as_of: date) -> None:
        self.policy = policy
        self.as_of = as_of
        self.ladders: dict[frozenset[Segment], Ladder] = {}
        self.ages: dict[date, int] = {}  # days past due, by due date

    def ladder(self, segments: frozenset[Segment]) -> Ladder:
        """The ladder of a combination of segments (rule 2), built once per plan."""
        found = self.ladders.get(segments)
        if found is None:
            steps = self.policy.ladder_for(segments)
            indices = []
            for step in steps:
                index = self.policy.index_of(step.name)
                assert index is not None, "ladder_for gives the policy's own steps"
                indices.append(index)
            minimums = tuple(
                None if step.min_overdue is None else minimum_in_minor_units(step.min_overdue)
                for step in steps
            )
            found = Ladder(
                steps,
                tuple(step.offset_days for step in steps),
                tuple(indices),
                minimums,
                passed_over(steps, after_payment=False),
                passed_over(steps, after_payment=True),
            )
            self.ladders[segments] = found
        return found

    def due_today(self, debtor: DebtorView, skips: list[Skip]) -> tuple[int, list[Due]]:
        """The most advanced step due today (its position in the ladder) and the invoices due it
        that no hold stops; held invoices are skipped, each with its holds."""
        due_step = self.due_step
        due = [found for invoice in debtor.invoices if (found := due_step(debtor, invoice)) is not None]
        if debtor.document_holds:
            free = []
            for item in due:
                number = item[0]
                held = debtor.document_holds.get(number)
                if held:
                    step = debtor.ladder.steps[item[1]]
                    text = (
                        f"{documents_phrase([item])}; step {step.name!r} would apply; {describe_holds(held)}"
                    )
                    skips.append(
                        Skip(SkipKind.HELD, debtor.code, step.name, (number,), text, reasons_of(held))
                    )
                else:
                    free.append(item)
            due = free
        if not due:
            return -1, []
        best = max(item[1] for item in due)
        return best, [item for item in due if item[1] == best]

    def due_today_afresh(self, debtor: DebtorView) -> tuple[int, list[Due]]:
        """`due_today` for a debtor whose invoices no step chased in this episode (a first
        cycle, a new episode) and none of which is held: most are due the step at their age
        outright, found with one look-up per due date; the others go through `due_step`."""
        ladder = debtor.ladder
        paid = debtor.paid_since_last_step
        minimums = ladder.minimums
        placed = ladder.placed
        best = 0  # the first step's position: an invoice due no step has position -1
        today: list[Due] = []
        for invoice in debtor.invoices:
            place = placed.get(invoice[1])
            if place is None:
                days = self.days_past_due(invoice[1])
                reached = bisect_right(ladder.offsets, days) - 1
                afresh = -1 if reached < 0 else ladder.afresh[reached]
                after_payment = -1 if reached < 0 else ladder.afresh_after_payment[reached]
                place = placed[invoice[1]] = (days, afresh, after_payment)
            days, afresh, after_payment = place
            position = after_payment if paid else afresh
            if position < best:
                continue  # only the most advanced step is planned today: no need to look closer
            if minimums[position] is None:
                item = (invoice[0], position, days, -1, invoice)
            else:
                found = self.due_step(debtor, invoice)
                if found is None or found[1] < best:
                    continue
                item = found
            if item[1] > best:
                best = item[1]
                today = [item]
            else:
                today.append(item)
        return best, today

    def days_past_due(self, due_date: date) -> int:
        """Whole days since the due date (negative: days until it), worked out once per date."""
        days = self.ages.get(due_date)
        if days is None:
            days = self.ages[due_date] = (self.as_of - due_date).days
        return days

    def due_step(self, debtor: DebtorView, invoice: OpenItem) -> Due | None:
        """Catch-up (rule 4): the latest step that fits the invoice's age and conditions, if
        the invoice has not reached it in this episode and it keeps its distance."""
        days = self.ages.get(invoice[1])
        if days is None:
            days = self.days_past_due(invoice[1])
        ladder = debtor.ladder
        position = bisect_right(ladder.offsets, days) - 1
        reached = debtor.progress.get(invoice[0]) if debtor.progress else None
        reached_index = -1 if reached is None else reached[0]
        while position >= 0 and ladder.indices[position] > reached_index:
            step = ladder.steps[position]
            if (
                (step.only_if_no_payment_since_last_step and debtor.paid_since_last_step)
                or (step.legal and (position == 0 or ladder.indices[position - 1] != reached_index))
                or (step.min_overdue is not None and not self.meets_minimum(debtor, invoice, position))
            ):
                position -= 1
                continue
            wait = step.min_days_after_previous_step
            if wait and reached is not None and (self.as_of - reached[1]).days < wait:
                return None  # not yet: the step keeps its distance from the previous one
            return (invoice[0], position, days, reached_index, invoice)
        return None

    def meets_minimum(self, debtor: DebtorView, invoice: OpenItem, position: int) -> bool:
        """`min_overdue`: a per-document step compares the invoice's open amount; a grouped one
        what the debtor owes at least `offset_days` past due on invoices not held (plus this
        invoice, when it is held, to say which step its hold stops). No currency is converted:
        an invoice in another currency does not meet a minimum. Amounts are compared in minor
        units, exactly."""
        step = debtor.ladder.steps[position]
        minimum = debtor.ladder.minimums[position]
        assert step.min_overdue is not None and minimum is not None
        number, _, currency, open_minor = invoice
        wanted = step.min_overdue.currency
        if currency != wanted:
            return False
        if not step.group:
            return open_minor >= minimum
        offset = step.offset_days
        total = debtor.overdue_at.get(offset)
        if total is None:
            held = debtor.document_holds
            total = sum(
                other_open
                for other_number, other_due, other_currency, other_open in debtor.invoices
                if other_currency == wanted
                and self.days_past_due(other_due) >= offset
                and other_number not in held
            )
            debtor.overdue_at[offset] = total
        if number in debtor.document_holds:
            total += open_minor
        return total >= minimum


def passed_over(steps: tuple[Step, ...], *, after_payment: bool) -> tuple[int, ...]:
    """For each position, the step catch-up gives an invoice no step chased in this episode,
    before `min_overdue`: going down past legal steps (never reached by catch-up) and, after a
    payment, past `only_if_no_payment_since_last_step` steps (rule 4); -1 for none."""
    found = []
    for position in range(len(steps)):
        while position >= 0 and (
            steps[position].legal or (after_payment and steps[position].only_if_no_payment_since_last_step)
        ):
            position -= 1
        found.append(position)
    return tuple(found)


def reasons_of(holds: tuple[Hold, ...]) -> tuple[HoldReason, ...]:
    """The reasons of holds, as a skip records them."""
    return tuple(hold.reason for hold in holds)


def documents_phrase(group: list[Due]) -> str:
    """'invoice INV-104 is 31 days past due' or 'invoices INV-1 (45 days past due), ...'."""
    if len(group) == 1:
        item = group[0]
        return f"invoice {item[0]} is {_age(item[2])}"
    named = [f"{item[0]} ({_age(item[2])})" for item in group[:REASON_DOCUMENTS]]
    more = len(group) - REASON_DOCUMENTS
    return "invoices " + ", ".join(named) + (f" and {more} more" if more > 0 else "")
