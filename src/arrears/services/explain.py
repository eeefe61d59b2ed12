"""Explain a debtor: its timeline, and why each past and next action happened or did not.

The timeline, oldest first, up to the day asked about:
- its documents (issued; when each open one fell due) and its payments;
- holds on it (from, lifted, ended) and the creditor's service turned off or on;
- its deals and the holds they put on the ladder: promises (taken, kept, broken), payment
  plans (agreed, defaulted, completed), settlements (agreed, paid, lapsed) and disputes
  (raised, decided), each judged from the cash as of the day asked about;
- every action planned for it, with the planner's reason, and what became of it (approved or
  rejected and why, handed to the outbox, sent, failed, worked by a controller);
- what the cycles skipped for it and why (compacted: from the first to the last day seen).

**Next**: what the planner would do next if nothing changes (no payment, no new hold), found
by running the planner, as a dry run for this debtor alone, on each following day up to
`look_ahead_days` ahead: the first day with an action, with its reason; and for the first day
looked at, the reasons nothing is planned if nothing is. It starts today if no cycle has run
for the creditor today, else tomorrow. The planner is given the holds the cycle would give it
(`arrears.services.planning_inputs`): the holds people recorded and those of the debtor's deals
as they stand on the first day; the holds in force that day are listed ("held on ...").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from arrears.core.actions import Action, Skip
from arrears.core.calendar import Calendar
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.holds import Hold
from arrears.core.ledger import Creditor, Debtor, DocumentKind
from arrears.core.money import Money
from arrears.core.planner import plan
from arrears.core.settlements import SettlementState
from arrears.services.cycle import current_policy
from arrears.services.deal_book import judge_plans, judge_promises, judge_settlements
from arrears.services.planning_inputs import deal_holds_on
from arrears.store.repositories import ActionState, StoredAction
from arrears.store.unit_of_work import UnitOfWork

DEFAULT_LOOK_AHEAD_DAYS = 60


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    on: date
    kind: str  # document, payment, hold, deal, service, action, skip
    text: str


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the planner would do next: on `on`, these actions (none within the look-ahead:
    `on` is None); `first_day_skips` say why nothing happens on the first day looked at, and
    `first_day_holds` what holds the debtor that day (people's holds and deals')."""

    first_day: date
    on: date | None
    actions: tuple[Action, ...]
    first_day_skips: tuple[Skip, ...]
    look_ahead_days: int
    first_day_holds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    creditor: Creditor
    debtor: Debtor
    as_of: date
    open_amounts: tuple[Money, ...]
    events: tuple[TimelineEvent, ...]
    next: NextStep

    def lines(self) -> list[str]:
        """The explanation as text: a heading, one line per event, then what comes next."""
        owed = ", ".join(str(amount) for amount in self.open_amounts) or "nothing"
        lines = [
            f"{self.debtor.name} ({self.debtor.account_code}) at {self.creditor.name} ({self.creditor.code}), "
            f"as of {self.as_of.isoformat()}: owes {owed}"
        ]
        if self.debtor.flags:
            lines.append("flags: " + ", ".join(sorted(flag.value for flag in self.debtor.flags)))
        for event in self.events:
            lines.append(f"{event.on.isoformat()}  {event.kind:<8}  {event.text}")
        lines.extend(self._next_lines())
        return lines

    def _next_lines(self) -> list[str]:
        following = self.next
        lines = [f"held on {following.first_day.isoformat()} by {held}" for held in following.first_day_holds]
        if following.on is None:
            lines.append(
                f"next: nothing in the {following.look_ahead_days} days from {following.first_day.isoformat()} "
                "if nothing changes"
            )
        else:
            for action in following.actions:
                waits = " (needs the creditor's approval)" if action.needs_approval else ""
                lines.append(
                    f"next: {following.on.isoformat()} step {action.step!r} by {action.channel.value}{waits}: "
                    f"{action.reason}"
                )
        if following.on != following.first_day:
            for skip in following.first_day_skips:
                lines.append(f"not on {following.first_day.isoformat()}: {skip.reason}")
        return lines


def explain_debtor(
    uow: UnitOfWork,
    debtor: str,
    as_of: date,
    *,
    creditor: str | None = None,
    look_ahead_days: int = DEFAULT_LOOK_AHEAD_DAYS,
) -> Explanation:
    """Explain one debtor of `creditor` (or of the only creditor that has this account code)."""
    with uow:
        code = creditor or _creditor_of(uow, debtor)
        creditor_value = uow.creditors.get(code)
        debtor_value = uow.debtors.get(code, debtor)
        events = _events(uow, code, debtor, as_of)
        following = _next(uow, creditor_value, debtor, as_of, look_ahead_days)
        open_amounts = tuple(
            exposure.balance
            for exposure in uow.collections.exposures(code, as_of)
            if exposure.debtor == debtor and not exposure.balance.is_zero
        )
    return Explanation(creditor_value, debtor_value, as_of, open_amounts, events, following)


def _creditor_of(uow: UnitOfWork, debtor: str) -> str:
    found = []
    for each in uow.creditors.list_all():
        try:
            uow.debtors.get(each.code, debtor)
        except NotFoundError:
            continue
        found.append(each.code)
    if not found:
        raise NotFoundError(f"no creditor has a debtor {debtor!r}")
    if len(found) > 1:
        raise ArrearsError(
            f"debtor {debtor!r} is an account of {', '.join(found)}: say which with --creditor"
        )
    return found[0]


def _events(uow: UnitOfWork, creditor: str, debtor: str, as_of: date) -> tuple[TimelineEvent, ...]:
    events: list[tuple[date, int, TimelineEvent]] = []

    def add(on: date | None, order: int, kind: str, text: str) -> None:
        if on is not None and on <= as_of:
            events.append((on, order, TimelineEvent(on, kind, text)))

    for document in uow.documents.list_for_debtor(creditor, debtor):
        label = "invoice" if document.kind is DocumentKind.INVOICE else "credit note"
        add(
            document.issue_date,
            0,
            "document",
            f"{label} {document.number} issued: {document.amount}, due {document.due_date.isoformat()}"
            + ("" if document.is_open else f" ({document.status.value.replace('_', ' ')} now)"),
        )
        if document.is_open and document.kind is DocumentKind.INVOICE:
            add(
                document.due_date,
                1,
                "document",
                f"invoice {document.number} due; {document.open_amount} open now",
            )
    for payment in uow.payments.list_all(creditor, debtor=debtor):
        add(payment.received_on, 2, "payment", f"payment {payment.reference} received: {payment.amount}")
    for stored in uow.holds.list_all(creditor, debtor=debtor):
        hold = stored.hold
        scope = f" on {', '.join(sorted(hold.documents))}" if hold.documents else ""
        note = f" ({hold.note})" if hold.note else ""
        until = f" until {hold.ends_on.isoformat()}" if hold.ends_on else ""
        add(
            hold.starts_on or stored.created_at.date(),
            3,
            "hold",
            f"hold {stored.id}: {hold.reason.label}{scope}{until}{note}",
        )
        if stored.lifted_on is not None:
            why = f": {stored.lift_note}" if stored.lift_note else ""
            add(stored.lifted_on, 3, "hold", f"hold {stored.id} ({hold.reason.label}) lifted{why}")
        elif hold.ends_on is not None:
            add(hold.ends_on + timedelta(days=1), 3, "hold", f"hold {stored.id} ({hold.reason.label}) ended")
    for on, text in _deal_events(uow, creditor, debtor, as_of):
        add(on, 3, "deal", text)
    for window in uow.service_windows.windows(creditor):
        if window.starts_on != date.min:
            add(window.starts_on, 4, "service", "the service was turned on")
        if window.ends_on is not None:
            add(window.ends_on + timedelta(days=1), 4, "service", "the service was turned off")
    for action in uow.actions.list_all(creditor, debtor=debtor):
        for on, text in _action_texts(action):
            add(on, 5, "action", text)
    for skip in uow.cycle_runs.skips(creditor, debtor=debtor):
        kind = skip.kind.value.replace("_", " ")
        step = f", step {skip.step!r}" if skip.step else ""
        if skip.last_on == skip.first_on:
            add(skip.first_on, 6, "skip", f"{kind}{step}: {skip.reason}")
        else:
            add(
                skip.first_on,
                6,
                "skip",
                f"{kind}{step}, on {skip.days} cycle days up to {skip.last_on.isoformat()}; the latest: {skip.reason}",
            )
    return tuple(event for _, _, event in sorted(events, key=lambda item: (item[0], item[1])))


def _scope(documents: Iterable[str]) -> str:
    numbers = sorted(documents)
    return f"on {', '.join(numbers)}" if numbers else "on the whole account"


def _deal_events(uow: UnitOfWork, creditor: str, debtor: str, as_of: date) -> list[tuple[date | None, str]]:
    """The debtor's deals and what became of them by `as_of`, judged from the cash as the cycle
    judges them (`arrears.services.deal_book`), whatever the last review recorded."""
    texts: list[tuple[date | None, str]] = []
    promises = [p for p in uow.deals.promises(creditor, debtor=debtor) if p.state != "cancelled"]
    for stored_promise, promise in judge_promises(uow, creditor, promises, as_of):
        made = stored_promise.promise
        label = f"promise {made.reference}"
        by = f" by {made.taken_by}" if made.taken_by else ""
        texts.append(
            (
                made.made_on,
                f"{label} taken ({made.channel.value}{by}): {made.amount} by {made.promised_on.isoformat()} "
                f"{_scope(made.documents)}; it holds the ladder until {made.deadline.isoformat()}",
            )
        )
        texts.append((promise.kept_on, f"{label} kept: it no longer holds; the payment restarts the ladder"))
        texts.append(
            (
                promise.broken_on,
                f"{label} broken, {promise.short} short: it no longer holds; the ladder resumes",
            )
        )
    plans = uow.deals.plans(creditor, debtor=debtor)
    for stored_plan in plans:
        agreed = stored_plan.plan
        waits = " (awaits the creditor's approval)" if agreed.approved_by is None else ""
        texts.append(
            (
                agreed.agreed_on,
                f"payment plan {agreed.reference} agreed: {len(agreed.instalments)} {agreed.frequency.value} "
                f"instalments from {agreed.instalments[0].due_on.isoformat()} {_scope(agreed.documents)}{waits}",
            )
        )
        if stored_plan.state == "rejected":
            texts.append((stored_plan.state_on, f"payment plan {agreed.reference} rejected by the creditor"))
    for stored_plan, standing in judge_plans(
        uow, creditor, [p for p in plans if p.state != "rejected"], as_of
    ):
        label = f"payment plan {stored_plan.plan.reference}"
        texts.append((standing.defaulted_on, f"{label} defaulted: it no longer holds; the ladder resumes"))
        texts.append((standing.completed_on, f"{label} completed"))
    settlements = uow.deals.settlements(creditor, debtor=debtor)
    for stored_settlement in settlements:
        offer = stored_settlement.settlement
        texts.append(
            (
                offer.agreed_on,
                f"settlement {offer.reference} agreed: {offer.amount} in full and final settlement of "
                f"{offer.balance} {_scope(offer.documents)} by {offer.pay_by.isoformat()}",
            )
        )
        if stored_settlement.state == "rejected":
            texts.append(
                (stored_settlement.state_on, f"settlement {offer.reference} rejected by the creditor")
            )
    live = [s for s in settlements if s.state != "rejected"]
    for stored_settlement, status in judge_settlements(uow, creditor, live, as_of):
        offer = stored_settlement.settlement
        texts.append((status.paid_on, f"settlement {offer.reference} paid"))
        if status.state is SettlementState.LAPSED:
            texts.append(
                (
                    offer.deadline + timedelta(days=1),
                    f"settlement {offer.reference} lapsed: it no longer holds; the full balance is owed again",
                )
            )
    for stored_dispute in uow.disputes.list(creditor, debtor=debtor):
        dispute = stored_dispute.dispute
        texts.append(
            (
                dispute.raised_on,
                f"dispute {dispute.reference} raised on {dispute.document}: {dispute.reason.label}, "
                f"{dispute.disputed} disputed; it holds {dispute.document} until it is decided",
            )
        )
        decided = dispute.resolution
        if decided is not None:
            credit = f", {decided.credit} credited" if decided.credit.is_positive else ""
            texts.append(
                (
                    decided.decided_on,
                    f"dispute {dispute.reference} decided by {decided.decided_by}: {decided.outcome.label}{credit}; "
                    "chasing resumes",
                )
            )
    return texts


def _action_texts(action: StoredAction) -> list[tuple[date, str]]:
    label = f"action {action.id}, step {action.step!r} by {action.channel.value}"
    texts = [(action.planned_on, f"{label} planned ({action.status.label} now): {action.reason}")]
    if action.decided_at is not None:
        verb = "approved" if action.status is not ActionState.REJECTED else "rejected"
        by = f" by {action.decided_by}" if action.decided_by else ""
        note = f": {action.decision_note}" if action.decision_note else ""
        texts.append((action.effective_on, f"{label} {verb}{by}{note}"))
    if action.handed_over_at is not None:
        texts.append((action.handed_over_at.date(), f"{label} handed to the outbox"))
    if action.sent_at is not None and action.worked_at is None:
        texts.append((action.sent_at.date(), f"{label} sent"))
    if action.failed_at is not None:
        texts.append((action.failed_at.date(), f"{label} failed: {action.failure or 'no reason given'}"))
    if action.worked_at is not None:
        note = f": {action.work_note}" if action.work_note else ""
        texts.append(
            (action.worked_at.date(), f"{label} worked by {action.worked_by or 'a controller'}{note}")
        )
    return texts


def _next(uow: UnitOfWork, creditor: Creditor, debtor: str, as_of: date, look_ahead_days: int) -> NextStep:
    code = creditor.code
    ran_today = bool(uow.cycle_runs.list_all(code, as_of=as_of, limit=1))
    first = as_of + timedelta(days=1) if ran_today else as_of
    policy = current_policy(uow, code, record_default=False, by="", at=datetime.now(UTC))
    snapshot = uow.collections.snapshot(code, first, debtor=debtor)
    history = uow.actions.history(code, first, debtor=debtor)
    # people's holds whenever they hold (the look-ahead passes their start), and the deals' holds
    # as they stand on the first day: with no payment, each ends as its deal would
    recorded = [
        (stored.id, hold)
        for stored in uow.holds.list_all(code, debtor=debtor)
        if (hold := stored.effective()) is not None
    ]
    deals = deal_holds_on(uow, code, first, debtor=debtor)
    holds = [hold for _, hold in recorded] + [labelled.hold for labelled in deals]
    held = tuple(
        [f"hold {hold_id}: {_held(hold)}" for hold_id, hold in recorded if hold.is_active(first)]
        + [labelled.describe() for labelled in deals]
    )
    windows = uow.service_windows.windows(code) or None
    calendar = Calendar.for_creditor(creditor)
    first_skips: tuple[Skip, ...] = ()
    for offset in range(look_ahead_days):
        day = first + timedelta(days=offset)
        result = plan(
            snapshot, policy, day, history=history, holds=holds, calendar=calendar, service_windows=windows
        )
        if offset == 0:
            first_skips = result.skips
        if result.actions:
            return NextStep(first, day, result.actions, first_skips, look_ahead_days, held)
    return NextStep(first, None, (), first_skips, look_ahead_days, held)


def _held(hold: Hold) -> str:
    """'dispute on INV-2 since 2026-03-10 (wrong goods)'."""
    text = hold.reason.label + (f" {_scope(hold.documents)}" if hold.documents else "")
    if hold.ends_on is not None:
        text += f" until {hold.ends_on.isoformat()}"
    elif hold.starts_on is not None:
        text += f" since {hold.starts_on.isoformat()}"
    return f"{text} ({hold.note})" if hold.note else text
