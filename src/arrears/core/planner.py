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
Documents are read as plain `OpenItem` tuples with amounts in minor units (see
`arrears.core.snapshot`): a cycle over a million invoices builds no object per document, and
`Money` only for what leaves the planner.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from arrears.core.actions import (
    Action,
    ActionStatus,
    HistoryIndex,
    PastAction,
    Plan,
    Skip,
    SkipKind,
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
from arrears.core.ladders import (
    REASON_DOCUMENTS,
    CatchUp,
    DebtorView,
    Due,
    documents_phrase,
    number_of,
    reasons_of,
)
from arrears.core.money import Money
from arrears.core.policy import Policy, Segment, Step, segments_of
from arrears.core.snapshot import (
    LedgerSnapshot,
    OpenItem,
    SnapshotError,
    as_amounts,
    minor_balances,
)

__all__ = ["LedgerSnapshot", "SnapshotError", "plan"]  # the snapshot types are the planner's input

_STANDARD_ONLY = frozenset({Segment.STANDARD})
_NONE: Mapping[str, Any] = MappingProxyType({})


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
    open_items = snapshot.open_by_debtor()
    invoices, credit_notes = open_items.invoices, open_items.credit_notes
    debtors = {debtor.account_code: debtor for debtor in snapshot.debtors}
    actions: list[Action] = []
    skips: list[Skip] = []
    needs_balances = policy.small_balance_below is not None
    document_holds = bool(book.by_document or past.pending)
    for code in sorted(invoices):
        debtor = debtors.get(code)
        if debtor is None:
            number = invoices[code][0][0]
            raise SnapshotError(f"document {number} belongs to debtor {code!r}, which is not in the snapshot")
        last_action = past.last_action.get(code)
        if last_action == as_of:
            continue  # one step a day: this debtor already had today's
        found = invoices[code]
        notes = credit_notes.get(code, ())
        balances = minor_balances(found, notes) if notes or needs_balances else {}
        if notes:
            found = _drop_covered(code, found, balances, skips)
        segments = segments_of(debtor, as_amounts(balances), policy)
        paid = snapshot.last_payments.get(code)
        view = DebtorView(  # positional: this runs once per debtor
            code,
            found,
            segments,
            cycle.ladder(segments),
            paid,
            paid is not None and last_action is not None and paid >= last_action,
            past.progress.get(code, _NONE),
            (holds_from_flags(debtor) if debtor.flags else ()) + book.for_debtor(code),
            _document_holds(found, book.for_documents(code), past.pending.get(code, _NONE))
            if document_holds
            else {},
            past.contacts.get(code, ()),
            {},
        )
        cycle.plan_debtor(view, actions, skips)
    return Plan(creditor, as_of, policy.name, policy.version, tuple(actions), tuple(skips))


def _document_holds(
    invoices: list[OpenItem], held: Mapping[str, tuple[Hold, ...]], pending: Mapping[str, Hold]
) -> dict[str, tuple[Hold, ...]]:
    if not held and not pending:
        return {}
    found: dict[str, tuple[Hold, ...]] = {}
    for number, *_ in invoices:
        holds = held.get(number, ())
        if number in pending:
            holds = (*holds, pending[number])
        if holds:
            found[number] = holds
    return found


def _drop_covered(
    code: str, invoices: list[OpenItem], balances: Mapping[str, int], skips: list[Skip]
) -> list[OpenItem]:
    """Rule 1: invoices in a currency where unapplied credit notes cover them are not chased."""
    covered = {currency for currency, balance in balances.items() if balance <= 0}
    if not covered:
        return invoices
    for currency in sorted(covered):
        numbers = tuple(sorted(number for number, _, in_currency, _ in invoices if in_currency == currency))
        if numbers:
            credit = Money.from_minor_units(-balances[currency], currency)
            text = (
                f"unapplied credit notes cover the open invoices in {currency} "
                f"(the debtor is {credit} in credit); {_list_numbers(numbers)} not chased"
            )
            skips.append(Skip(SkipKind.COVERED_BY_CREDIT, code, None, numbers, text))
    return [invoice for invoice in invoices if invoice[2] not in covered]


class _Cycle(CatchUp):
    """One plan() call's shared state: built once, then asked about each debtor in turn."""

    def __init__(self, snapshot: LedgerSnapshot, policy: Policy, as_of: date, calendar: Calendar) -> None:
        super().__init__(policy, as_of)
        self.creditor = snapshot.creditor.code
        self.calendar = calendar
        self.reason_tails: dict[tuple[frozenset[Segment], int, int, date | None], str] = {}
        self.contacts_left_if_none = contacts_left((), as_of, calendar)
        self.not_business_day = ""
        if not calendar.is_business_day(as_of):
            following = calendar.next_business_day(as_of).isoformat()
            self.not_business_day = f"{calendar.why_not_business_day(as_of)}; next business day {following}"

    def plan_debtor(self, debtor: DebtorView, actions: list[Action], skips: list[Skip]) -> None:
        """Rules 3-9 of the module for one debtor: what is due, then what stops it."""
        if debtor.progress or debtor.document_holds:
            best, today = self.due_today(debtor, skips)
        else:
            best, today = self.due_today_afresh(debtor)
        if not today:
            return
        step = debtor.ladder.steps[best]
        if step.group:
            groups = [sorted(today, key=number_of)] if len(today) > 1 else [today]
        else:
            groups = [[item] for item in sorted(today, key=_oldest_first)]

        blocked = self.blocked(debtor)
        if blocked is not None:
            kind, why, holds = blocked
            verb = "waits" if kind is SkipKind.NOT_A_BUSINESS_DAY else "would apply"
            for group in groups:
                text = f"{documents_phrase(group)}; step {step.name!r} {verb}; {why}"
                skips.append(Skip(kind, debtor.code, step.name, _numbers(group), text, holds))
            return
        if step.needs_approval:
            left = None
        elif debtor.contacts:
            left = contacts_left(debtor.contacts, self.as_of, self.calendar)
        else:
            left = self.contacts_left_if_none
        for group in groups:
            if left is not None:
                if left <= 0:
                    contacted = ", ".join(day.isoformat() for day in sorted(debtor.contacts))
                    text = (
                        f"{documents_phrase(group)}; step {step.name!r} waits: contact cap of "
                        f"{self.calendar.max_contacts_per_7_days} in 7 days reached ({contacted})"
                    )
                    skips.append(Skip(SkipKind.CONTACT_CAP, debtor.code, step.name, _numbers(group), text))
                    continue
                left -= 1
            actions.append(self.action(debtor, step, group, best))

    def blocked(self, debtor: DebtorView) -> tuple[SkipKind, str, tuple[HoldReason, ...]] | None:
        """What stops every step for the debtor today: its holds, a payment pause, a day off."""
        if debtor.holds:
            return SkipKind.HELD, describe_holds(debtor.holds), reasons_of(debtor.holds)
        paid = debtor.paid
        pause = self.policy.pause_after_payment_days
        if paid is not None and (self.as_of - paid).days < pause:
            restarts = (paid + timedelta(days=pause)).isoformat()
            why = f"paused after the payment on {paid.isoformat()}: the ladder restarts on {restarts}"
            return SkipKind.PAUSED_AFTER_PAYMENT, why, ()
        if self.not_business_day:
            return SkipKind.NOT_A_BUSINESS_DAY, self.not_business_day, ()
        return None

    def action(self, debtor: DebtorView, step: Step, group: list[Due], position: int) -> Action:
        numbers = _numbers(group)
        episode = episode_marker(debtor.paid)
        least = min(item[3] for item in group)
        restarted = debtor.paid if debtor.paid_since_last_step else None
        key = (debtor.segments, position, least, restarted)
        tail = self.reason_tails.get(key)
        if tail is None:
            tail = self.reasons_tail(debtor, step, position, least, restarted)
            self.reason_tails[key] = tail
        return Action(  # creditor, debtor, step, channel, template, documents, amounts, planned_on,
            # status, episode, idempotency_key, reason (positional: this runs once per action)
            self.creditor,
            debtor.code,
            step.name,
            step.channel,
            step.template,
            numbers,
            _amounts(group),
            self.as_of,
            ActionStatus.AWAITING_APPROVAL if step.needs_approval else ActionStatus.PLANNED,
            episode,
            idempotency_key(self.creditor, debtor.code, step.name, episode, numbers),
            documents_phrase(group) + tail,
        )

    def reasons_tail(
        self, debtor: DebtorView, step: Step, position: int, least: int, restarted: date | None
    ) -> str:
        """An action's reason after its documents: the step, a restart, the steps caught up, the
        segments, no hold, approval. The same for every debtor with the same ladder, step,
        progress and restart day, so it is made once for them all."""
        ladder = debtor.ladder
        passed = [
            s.name
            for s, i in zip(ladder.steps[:position], ladder.indices[:position], strict=True)
            if i > least
        ]
        parts = [f"step {step.name!r} applies"]
        if restarted is not None:
            parts.append(f"the ladder restarted after the payment on {restarted.isoformat()}")
        if passed:
            parts.append(f"catching up: {_list_names(passed)} not sent")
        if debtor.segments != _STANDARD_ONLY:
            parts.append("segment " + ", ".join(sorted(s.value.replace("_", " ") for s in debtor.segments)))
        parts.append("no hold")
        if step.needs_approval:
            parts.append("needs the creditor's approval")
        return "; " + "; ".join(parts)


def _oldest_first(item: Due) -> tuple[int, str]:
    return -item[2], item[0]


def _numbers(group: list[Due]) -> tuple[str, ...]:
    if len(group) == 1:
        return (group[0][0],)
    return tuple(sorted(item[0] for item in group))


def _amounts(group: list[Due]) -> tuple[Money, ...]:
    """The open amounts the group chases, one per currency (summed exactly in minor units)."""
    if len(group) == 1:
        _, _, currency, open_minor = group[0][4]
        return (Money.from_minor_units(open_minor, currency),)
    totals: dict[str, int] = {}
    for item in group:
        _, _, currency, open_minor = item[4]
        totals[currency] = totals.get(currency, 0) + open_minor
    return tuple(Money.from_minor_units(totals[currency], currency) for currency in sorted(totals))


def _list_numbers(numbers: tuple[str, ...]) -> str:
    shown = ", ".join(numbers[:REASON_DOCUMENTS])
    more = len(numbers) - REASON_DOCUMENTS
    label = "invoice" if len(numbers) == 1 else "invoices"
    return (
        f"{label} {shown}"
        + (f" and {more} more" if more > 0 else "")
        + (" is" if len(numbers) == 1 else " are")
    )


def _list_names(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
