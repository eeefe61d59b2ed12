"""The planner: from a ledger snapshot, a policy, the history and the holds to today's actions.

`plan()` is a pure function: the same inputs give the same plan, so a cycle can be repeated.
The rules, in the order they apply to each debtor:

1. **Which documents.** Open invoices. Credit notes are never chased; when a debtor's unapplied
   credit notes cover its open invoices in a currency, those invoices are skipped.
2. **Which ladder.** The debtor's segments (`segments_of`) choose its steps (`Policy.ladder_for`).
3. **Where each invoice stands.** Its progress is the furthest step that chased it in the current
   escalation episode (see `arrears.core.actions`): actions planned up to the day of the
   debtor's last payment belong to an earlier episode and do not count.
4. **Catch-up.** An invoice is due the *latest* step whose offset is at most its days past due,
   if it is beyond its progress; earlier steps it missed are not sent. An invoice 45 days
   overdue when the service starts gets the 30-day step, not the six before it. Going down from
   that latest step, a step is passed over for an earlier one when:
   - its `min_overdue` is not reached;
   - it is `only_if_no_payment_since_last_step` and the debtor paid since its last step (so
     after a payment the ladder restarts at a gentler step);
   - it is `legal` and the invoice's progress is not the step just before it (legal steps are
     never reached by catch-up: a letter before action follows the final notice).
   A due step with `min_days_after_previous_step` waits that long after the invoice's previous
   step (no earlier step is sent instead).
5. **One step a day.** A debtor gets at most one step a day, the most advanced one due, for all
   its invoices due that step: one action (`group`) or one per invoice. Invoices due an earlier
   step wait for a later day, when catch-up gives them what fits then. A debtor who already had
   an action today gets nothing more today.
6. **Holds.** A held invoice, or every invoice of a held debtor, is skipped with its holds as the
   reason. Holds are the explicit ones, the debtor's flags (`do_not_contact`, `insolvent`), and
   actions awaiting approval, which hold their invoices until the creditor decides.
7. **After a payment** the debtor is paused for `pause_after_payment_days`; then the ladder
   restarts in a new episode, at the step that fits each remaining invoice.
8. **Business days.** On a weekend or holiday nothing is planned: what is due is skipped with the
   reason and is still due on the next business day, where catch-up plans it.
9. **Contact cap.** Planned contacts beyond the calendar's cap per rolling 7 days are skipped
   and wait. Actions awaiting approval are not contacts yet and are not capped.
10. **Service windows.** While the service is off, nothing is planned. When it is turned on
   again, catch-up gives each debtor one step at most: no flood.

The work is linear in documents plus history: documents are grouped by debtor once, history and
holds are indexed in dictionaries once, and ladders are computed once per segment combination.
"""

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from arrears.core.actions import (
    Action,
    ActionStatus,
    HistoryIndex,
    PastAction,
    Plan,
    Skip,
    SkipKind,
    describe_age,
    episode_marker,
    idempotency_key,
)
from arrears.core.calendar import Calendar, contacts_left
from arrears.core.holds import (
    Hold,
    HoldBook,
    HoldReason,
    ServiceWindow,
    describe_holds,
    describe_service_off,
    holds_from_flags,
    service_is_on,
)
from arrears.core.ledger import Document
from arrears.core.money import Money
from arrears.core.policy import Policy, Segment, Step, segments_of
from arrears.core.snapshot import LedgerSnapshot, SnapshotError, net_balances, open_documents_by_debtor

__all__ = ["LedgerSnapshot", "SnapshotError", "plan"]  # the snapshot types are the planner's input

_REASON_DOCUMENTS = 5  # documents named in a reason before "and N more"


@dataclass(frozen=True, slots=True)
class _Ladder:
    steps: tuple[Step, ...]
    offsets: tuple[int, ...]
    indices: tuple[int, ...]  # each step's position in the policy


@dataclass(slots=True)
class _Due:
    position: int  # in the debtor's ladder
    document: Document
    days_past_due: int
    progress: int  # policy index reached in this episode, -1 for none


@dataclass(slots=True)
class _DebtorView:
    """What the rules need to know about one debtor today."""

    code: str
    invoices: list[Document]
    segments: frozenset[Segment]
    ladder: _Ladder
    paid: date | None
    paid_since_last_step: bool
    progress: Mapping[str, tuple[int, date]]
    holds: tuple[Hold, ...]  # on the whole debtor
    document_holds: dict[str, tuple[Hold, ...]]
    contacts: Sequence[date]  # in the rolling week
    overdue_at: dict[int, Decimal] = field(default_factory=dict)


def plan(
    snapshot: LedgerSnapshot,
    policy: Policy,
    as_of: date,
    *,
    history: Iterable[PastAction] = (),
    holds: Iterable[Hold] = (),
    calendar: Calendar | None = None,
    service_windows: Sequence[ServiceWindow] | None = None,
) -> Plan:
    """Plan one creditor's actions for `as_of` (see the module's rules).

    `history` may hold anything up to today (entries after `as_of` are ignored);
    `service_windows` None means the service is on throughout; `calendar` defaults to the
    creditor's country and timezone.
    """
    creditor = snapshot.creditor.code
    if service_windows is not None and not service_is_on(service_windows, as_of):
        reason = f"{describe_service_off(service_windows, as_of)}: nothing is planned"
        skip = Skip(SkipKind.HELD, None, None, (), reason, (HoldReason.SERVICE_OFF,))
        return Plan(creditor, as_of, policy.name, policy.version, (), (skip,))
    cycle = _Cycle(snapshot, policy, as_of, calendar or Calendar.for_creditor(snapshot.creditor))
    past = HistoryIndex.build(history, policy, as_of, snapshot.last_payments)
    book = HoldBook.active_on(holds, as_of)
    invoices, credit_notes = open_documents_by_debtor(snapshot)
    debtors = {debtor.account_code: debtor for debtor in snapshot.debtors}
    actions: list[Action] = []
    skips: list[Skip] = []
    for code in sorted(invoices):
        debtor = debtors.get(code)
        if debtor is None:
            number = invoices[code][0].number
            raise SnapshotError(f"document {number} belongs to debtor {code!r}, which is not in the snapshot")
        last_action = past.last_action.get(code)
        if last_action == as_of:
            continue  # one step a day: this debtor already had today's
        found = invoices[code]
        notes = credit_notes.get(code, ())
        balances = net_balances(found, notes) if notes or policy.small_balance_below is not None else {}
        if notes:
            found = _drop_covered(code, found, balances, skips)
        segments = segments_of(debtor, balances, policy)
        paid = snapshot.last_payments.get(code)
        view = _DebtorView(
            code=code,
            invoices=found,
            segments=segments,
            ladder=cycle.ladder(segments),
            paid=paid,
            paid_since_last_step=paid is not None and last_action is not None and paid >= last_action,
            progress=past.progress.get(code, {}),
            holds=holds_from_flags(debtor) + book.for_debtor(code),
            document_holds=_document_holds(found, book.for_documents(code), past.pending.get(code, {})),
            contacts=past.contacts.get(code, ()),
        )
        cycle.plan_debtor(view, actions, skips)
    return Plan(creditor, as_of, policy.name, policy.version, tuple(actions), tuple(skips))


def _document_holds(
    invoices: list[Document], held: Mapping[str, tuple[Hold, ...]], pending: Mapping[str, Hold]
) -> dict[str, tuple[Hold, ...]]:
    if not held and not pending:
        return {}
    found: dict[str, tuple[Hold, ...]] = {}
    for invoice in invoices:
        holds = held.get(invoice.number, ())
        if invoice.number in pending:
            holds = (*holds, pending[invoice.number])
        if holds:
            found[invoice.number] = holds
    return found


def _drop_covered(
    code: str, invoices: list[Document], balances: Mapping[str, Decimal], skips: list[Skip]
) -> list[Document]:
    """Rule 1: invoices in a currency where unapplied credit notes cover them are not chased."""
    covered = {currency for currency, balance in balances.items() if balance <= 0}
    if not covered:
        return invoices
    for currency in sorted(covered):
        numbers = tuple(sorted(i.number for i in invoices if i.currency == currency))
        if numbers:
            credit = Money(-balances[currency], currency)
            text = (
                f"unapplied credit notes cover the open invoices in {currency} "
                f"(the debtor is {credit} in credit); {_list_numbers(numbers)} not chased"
            )
            skips.append(Skip(SkipKind.COVERED_BY_CREDIT, code, None, numbers, text))
    return [invoice for invoice in invoices if invoice.currency not in covered]


class _Cycle:
    """One plan() call's shared state: built once, then asked about each debtor in turn."""

    def __init__(self, snapshot: LedgerSnapshot, policy: Policy, as_of: date, calendar: Calendar) -> None:
        self.creditor = snapshot.creditor.code
        self.policy = policy
        self.as_of = as_of
        self.calendar = calendar
        self.last_payments = snapshot.last_payments
        self.ladders: dict[frozenset[Segment], _Ladder] = {}
        self.not_business_day = ""
        if not calendar.is_business_day(as_of):
            following = calendar.next_business_day(as_of).isoformat()
            self.not_business_day = f"{calendar.why_not_business_day(as_of)}; next business day {following}"

    def ladder(self, segments: frozenset[Segment]) -> _Ladder:
        found = self.ladders.get(segments)
        if found is None:
            steps = self.policy.ladder_for(segments)
            indices = []
            for step in steps:
                index = self.policy.index_of(step.name)
                assert index is not None, "ladder_for gives the policy's own steps"
                indices.append(index)
            found = _Ladder(steps, tuple(step.offset_days for step in steps), tuple(indices))
            self.ladders[segments] = found
        return found

    def plan_debtor(self, debtor: _DebtorView, actions: list[Action], skips: list[Skip]) -> None:
        """Rules 3-9 of the module for one debtor: what is due, then what stops it."""
        due = [found for invoice in debtor.invoices if (found := self.due_step(debtor, invoice)) is not None]
        free = []
        for item in due:
            held = debtor.document_holds.get(item.document.number)
            if held:
                step = debtor.ladder.steps[item.position]
                text = f"{_documents_phrase([item])}; step {step.name!r} would apply; {describe_holds(held)}"
                numbers = (item.document.number,)
                skips.append(Skip(SkipKind.HELD, debtor.code, step.name, numbers, text, _reasons(held)))
            else:
                free.append(item)
        if not free:
            return
        best = max(item.position for item in free)
        step = debtor.ladder.steps[best]
        today = [item for item in free if item.position == best]
        if step.group:
            groups = [sorted(today, key=lambda item: item.document.number)]
        else:
            groups = [
                [item] for item in sorted(today, key=lambda item: (-item.days_past_due, item.document.number))
            ]

        blocked = self.blocked(debtor)
        if blocked is not None:
            kind, why, holds = blocked
            verb = "waits" if kind is SkipKind.NOT_A_BUSINESS_DAY else "would apply"
            for group in groups:
                text = f"{_documents_phrase(group)}; step {step.name!r} {verb}; {why}"
                skips.append(Skip(kind, debtor.code, step.name, _numbers(group), text, holds))
            return
        left = None if step.needs_approval else contacts_left(debtor.contacts, self.as_of, self.calendar)
        for group in groups:
            if left is not None:
                if left <= 0:
                    days = ", ".join(day.isoformat() for day in sorted(debtor.contacts))
                    text = (
                        f"{_documents_phrase(group)}; step {step.name!r} waits: contact cap of "
                        f"{self.calendar.max_contacts_per_7_days} in 7 days reached ({days})"
                    )
                    skips.append(Skip(SkipKind.CONTACT_CAP, debtor.code, step.name, _numbers(group), text))
                    continue
                left -= 1
            actions.append(self.action(debtor, step, group, best))

    def due_step(self, debtor: _DebtorView, invoice: Document) -> _Due | None:
        """Catch-up (rule 4): the latest step that fits the invoice's age and conditions, if
        the invoice has not reached it in this episode and it keeps its distance."""
        days = (self.as_of - invoice.due_date).days
        ladder = debtor.ladder
        position = bisect_right(ladder.offsets, days) - 1
        reached = debtor.progress.get(invoice.number)
        reached_index = -1 if reached is None else reached[0]
        while position >= 0 and ladder.indices[position] > reached_index:
            step = ladder.steps[position]
            if (
                (step.only_if_no_payment_since_last_step and debtor.paid_since_last_step)
                or (step.legal and (position == 0 or ladder.indices[position - 1] != reached_index))
                or (step.min_overdue is not None and not self.meets_minimum(debtor, invoice, step))
            ):
                position -= 1
                continue
            wait = step.min_days_after_previous_step
            if wait and reached is not None and (self.as_of - reached[1]).days < wait:
                return None  # not yet: the step keeps its distance from the previous one
            return _Due(position, invoice, days, reached_index)
        return None

    def meets_minimum(self, debtor: _DebtorView, invoice: Document, step: Step) -> bool:
        """`min_overdue`: a per-document step compares the invoice's open amount; a grouped one
        what the debtor owes at least `offset_days` past due on invoices not held (plus this
        invoice, when it is held, to say which step its hold stops). No currency is converted:
        an invoice in another currency does not meet a minimum."""
        minimum = step.min_overdue
        assert minimum is not None
        if invoice.currency != minimum.currency:
            return False
        if not step.group:
            return invoice.open_amount.amount >= minimum.amount
        total = debtor.overdue_at.get(step.offset_days)
        if total is None:
            total = sum(
                (
                    other.open_amount.amount
                    for other in debtor.invoices
                    if other.currency == minimum.currency
                    and (self.as_of - other.due_date).days >= step.offset_days
                    and other.number not in debtor.document_holds
                ),
                Decimal(0),
            )
            debtor.overdue_at[step.offset_days] = total
        if invoice.number in debtor.document_holds:
            total += invoice.open_amount.amount
        return total >= minimum.amount

    def blocked(self, debtor: _DebtorView) -> tuple[SkipKind, str, tuple[HoldReason, ...]] | None:
        """What stops every step for the debtor today: its holds, a payment pause, a day off."""
        if debtor.holds:
            return SkipKind.HELD, describe_holds(debtor.holds), _reasons(debtor.holds)
        paid = debtor.paid
        pause = self.policy.pause_after_payment_days
        if paid is not None and (self.as_of - paid).days < pause:
            restarts = (paid + timedelta(days=pause)).isoformat()
            why = f"paused after the payment on {paid.isoformat()}: the ladder restarts on {restarts}"
            return SkipKind.PAUSED_AFTER_PAYMENT, why, ()
        if self.not_business_day:
            return SkipKind.NOT_A_BUSINESS_DAY, self.not_business_day, ()
        return None

    def action(self, debtor: _DebtorView, step: Step, group: list[_Due], position: int) -> Action:
        numbers = _numbers(group)
        episode = episode_marker(debtor.paid)
        ladder = debtor.ladder
        least = min(item.progress for item in group)
        passed = [
            s.name
            for s, i in zip(ladder.steps[:position], ladder.indices[:position], strict=True)
            if i > least
        ]
        parts = [f"{_documents_phrase(group)}; step {step.name!r} applies"]
        if debtor.paid_since_last_step and debtor.paid is not None:
            parts.append(f"the ladder restarted after the payment on {debtor.paid.isoformat()}")
        if passed:
            parts.append(f"catching up: {_list_names(passed)} not sent")
        if debtor.segments != {Segment.STANDARD}:
            parts.append("segment " + ", ".join(sorted(s.value.replace("_", " ") for s in debtor.segments)))
        parts.append("no hold")
        if step.needs_approval:
            parts.append("needs the creditor's approval")
        return Action(
            creditor=self.creditor,
            debtor=debtor.code,
            step=step.name,
            channel=step.channel,
            template=step.template,
            documents=numbers,
            amounts=_amounts(group),
            planned_on=self.as_of,
            status=ActionStatus.AWAITING_APPROVAL if step.needs_approval else ActionStatus.PLANNED,
            episode=episode,
            idempotency_key=idempotency_key(self.creditor, debtor.code, step.name, episode, numbers),
            reason="; ".join(parts),
        )


def _reasons(holds: tuple[Hold, ...]) -> tuple[HoldReason, ...]:
    return tuple(hold.reason for hold in holds)


def _numbers(group: list[_Due]) -> tuple[str, ...]:
    return tuple(sorted(item.document.number for item in group))


def _amounts(group: list[_Due]) -> tuple[Money, ...]:
    totals: dict[str, Decimal] = {}
    for item in group:
        currency = item.document.currency
        totals[currency] = totals.get(currency, Decimal(0)) + item.document.open_amount.amount
    return tuple(Money(totals[currency], currency) for currency in sorted(totals))


def _documents_phrase(group: list[_Due]) -> str:
    """'invoice INV-104 is 31 days past due' or 'invoices INV-1 (45 days past due), ...'."""
    if len(group) == 1:
        item = group[0]
        return f"invoice {item.document.number} is {describe_age(item.days_past_due)}"
    named = [
        f"{item.document.number} ({describe_age(item.days_past_due)})" for item in group[:_REASON_DOCUMENTS]
    ]
    more = len(group) - _REASON_DOCUMENTS
    return "invoices " + ", ".join(named) + (f" and {more} more" if more > 0 else "")


def _list_numbers(numbers: tuple[str, ...]) -> str:
    shown = ", ".join(numbers[:_REASON_DOCUMENTS])
    more = len(numbers) - _REASON_DOCUMENTS
    label = "invoice" if len(numbers) == 1 else "invoices"
    return (
        f"{label} {shown}"
        + (f" and {more} more" if more > 0 else "")
        + (" is" if len(numbers) == 1 else " are")
    )


def _list_names(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
