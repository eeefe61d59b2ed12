"""The planner's invariants, for random ledgers, policies, holds and service windows.

Each example replays the planner day by day, feeding each day's actions back as history (as
the cycle service does), and checks what must hold whatever the inputs:
- the same (debtor, step, documents) is never planned twice in one escalation episode, and no
  idempotency key is ever planned twice;
- a held, excluded or insolvent debtor, a held document, or a creditor whose service is off is
  never contacted;
- a debtor gets at most one step a day, contacts only on business days, and no more contacts
  in any rolling 7 days than the cap.
"""

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.core.actions import Action, ActionStatus, PastAction
from arrears.core.calendar import Calendar
from arrears.core.holds import Hold, HoldReason, ServiceWindow, holds_from_flags, service_is_on
from arrears.core.ledger import Creditor, Debtor, DebtorFlag, Document, DocumentKind
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, plan
from arrears.core.policy import Channel, Policy, Segment, SegmentRule, Step, StepChange
from arrears.policies import default_uk

START = date(2026, 1, 5)
CREDITOR = Creditor("acme", "Acme Supplies Ltd")
DEBTORS = ("D1", "D2", "D3")


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    offsets = sorted(draw(st.sets(st.integers(-14, 130), min_size=1, max_size=7)))
    steps = []
    for n, offset in enumerate(offsets):
        legal = n > 0 and draw(st.booleans()) and draw(st.booleans())
        steps.append(
            Step(
                name=f"step {n} at {offset}",
                offset_days=offset,
                channel=draw(st.sampled_from(Channel)),
                template=f"template_{n}",
                needs_approval=draw(st.booleans()) and draw(st.booleans()),
                legal=legal,
                group=draw(st.booleans()) or draw(st.booleans()),
                min_overdue=Money.of(draw(st.integers(1, 1500)), "GBP")
                if n and draw(st.booleans())
                else None,
                segments=draw(st.sets(st.sampled_from(Segment), max_size=2))
                if draw(st.booleans())
                else frozenset(),
                only_if_no_payment_since_last_step=draw(st.booleans()),
                min_days_after_previous_step=draw(st.integers(0, 20)),
            )
        )
    rules = [SegmentRule(Segment.SMALL_BALANCE, channels=frozenset({Channel.EMAIL}))]
    if draw(st.booleans()):
        rules.append(
            SegmentRule(Segment.KEY_ACCOUNT, changes=(StepChange(steps[0].name, channel=Channel.CALL),))
        )
    return Policy(
        "random",
        1,
        tuple(steps),
        small_balance_below=Money.of(draw(st.integers(1, 300)), "GBP"),
        segment_rules=tuple(rules),
        pause_after_payment_days=draw(st.integers(0, 10)),
    )


@st.composite
def ledgers(draw: st.DrawFn) -> LedgerSnapshot:
    debtors = tuple(
        Debtor(
            CREDITOR.code,
            code,
            f"Customer {code}",
            flags=draw(st.sampled_from([frozenset()] * 3 + [frozenset({flag}) for flag in DebtorFlag])),
        )
        for code in DEBTORS
    )
    documents = []
    for n in range(draw(st.integers(1, 12))):
        due = START + timedelta(days=draw(st.integers(-150, 60)))
        amount = Money.from_minor_units(draw(st.integers(100, 300_000)), "GBP")
        kind = DocumentKind.CREDIT_NOTE if draw(st.integers(0, 9)) == 0 else DocumentKind.INVOICE
        documents.append(
            Document(
                CREDITOR.code,
                draw(st.sampled_from(DEBTORS)),
                kind,
                f"DOC-{n}",
                due - timedelta(days=30),
                due,
                amount,
                amount,
            )
        )
    last_payments = {
        code: START - timedelta(days=draw(st.integers(1, 200)))
        for code in draw(st.sets(st.sampled_from(DEBTORS)))
    }
    return LedgerSnapshot(CREDITOR, debtors, tuple(documents), last_payments)


def days_from_start(low: int, high: int) -> st.SearchStrategy[date]:
    return st.integers(low, high).map(lambda days: START + timedelta(days=days))


@st.composite
def holds(draw: st.DrawFn) -> list[Hold]:
    found = []
    for _ in range(draw(st.integers(0, 4))):
        starts_on = draw(st.none() | days_from_start(-10, 100))
        ends_on = draw(st.none() | days_from_start(0, 120))
        if starts_on is not None and ends_on is not None and ends_on < starts_on:
            starts_on, ends_on = ends_on, starts_on
        documents = draw(st.sets(st.sampled_from([f"DOC-{n}" for n in range(12)]), max_size=2))
        reason = draw(st.sampled_from(HoldReason))
        found.append(Hold(reason, draw(st.sampled_from(DEBTORS)), frozenset(documents), starts_on, ends_on))
    return found


@st.composite
def service_windows(draw: st.DrawFn) -> list[ServiceWindow] | None:
    if draw(st.booleans()):
        return None
    first_on = draw(days_from_start(0, 20))
    first_off = first_on + timedelta(days=draw(st.integers(0, 40)))
    second_on = first_off + timedelta(days=draw(st.integers(2, 60)))
    return [ServiceWindow(first_on, first_off), ServiceWindow(second_on)]


def replay(
    ledger: LedgerSnapshot,
    policy: Policy,
    days: int,
    *,
    holds: list[Hold],
    windows: list[ServiceWindow] | None,
    calendar: Calendar,
    approve_after_days: int | None,
    payments: dict[str, list[date]] | None = None,
) -> list[Action]:
    history: list[PastAction] = []
    planned: list[Action] = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        if payments:
            paid = dict(ledger.last_payments)
            for code, dates in payments.items():
                latest = max((d for d in dates if d <= day), default=None)
                if latest is not None and (code not in paid or latest > paid[code]):
                    paid[code] = latest
            ledger = replace(ledger, last_payments=paid)
        if approve_after_days is not None:
            history = [
                replace(entry, status=ActionStatus.SENT)
                if entry.status is ActionStatus.AWAITING_APPROVAL
                and (day - entry.on).days >= approve_after_days
                else entry
                for entry in history
            ]
        result = plan(
            ledger, policy, day, history=history, holds=holds, calendar=calendar, service_windows=windows
        )
        planned.extend(result.actions)
        history.extend(result.as_history())
    return planned


def assert_never_contacts_the_held(
    actions: list[Action],
    ledger: LedgerSnapshot,
    holds: list[Hold],
    windows: list[ServiceWindow] | None,
    calendar: Calendar,
) -> None:
    flagged = {hold.debtor for debtor in ledger.debtors for hold in holds_from_flags(debtor)}
    for action in actions:
        day = action.planned_on
        assert action.debtor not in flagged, action
        assert windows is None or service_is_on(windows, day), action
        assert calendar.is_business_day(day), action
        for hold in holds:
            if hold.debtor == action.debtor and hold.is_active(day):
                assert hold.documents and not hold.documents & set(action.documents), (action, hold)


def assert_one_step_a_day_within_the_cap(actions: list[Action], calendar: Calendar) -> None:
    steps_a_day = {(a.debtor, a.planned_on): a.step for a in actions}
    assert all(steps_a_day[(a.debtor, a.planned_on)] == a.step for a in actions)
    cap = calendar.max_contacts_per_7_days
    if cap is None:
        return
    contacts = [a for a in actions if a.status is ActionStatus.PLANNED]
    for action in contacts:
        window = [
            other
            for other in contacts
            if other.debtor == action.debtor and 0 <= (action.planned_on - other.planned_on).days < 7
        ]
        assert len(window) <= cap, window


any_policy = st.one_of(st.just(default_uk()), policies())
caps = st.sampled_from([None, 1, 2, 3]).map(lambda cap: Calendar(max_contacts_per_7_days=cap))
replay_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@replay_settings
@given(
    ledger=ledgers(),
    policy=any_policy,
    holds=holds(),
    windows=service_windows(),
    calendar=caps,
    approve_after_days=st.none() | st.integers(0, 10),
)
def test_daily_replay_never_repeats_an_action_nor_contacts_the_held(
    ledger: LedgerSnapshot,
    policy: Policy,
    holds: list[Hold],
    windows: list[ServiceWindow] | None,
    calendar: Calendar,
    approve_after_days: int | None,
) -> None:
    actions = replay(
        ledger,
        policy,
        200,
        holds=holds,
        windows=windows,
        calendar=calendar,
        approve_after_days=approve_after_days,
    )

    repeated = Counter((a.debtor, a.step, a.documents) for a in actions)
    assert max(repeated.values(), default=1) == 1, repeated.most_common(3)
    assert len({a.idempotency_key for a in actions}) == len(actions)
    assert_never_contacts_the_held(actions, ledger, holds, windows, calendar)
    assert_one_step_a_day_within_the_cap(actions, calendar)


@replay_settings
@given(
    ledger=ledgers(),
    policy=any_policy,
    holds=holds(),
    calendar=caps,
    payment_days=st.dictionaries(st.sampled_from(DEBTORS), st.lists(st.integers(0, 150), max_size=3)),
)
def test_payments_restart_the_ladder_without_repeating_an_action_in_an_episode(
    ledger: LedgerSnapshot,
    policy: Policy,
    holds: list[Hold],
    calendar: Calendar,
    payment_days: dict[str, list[int]],
) -> None:
    payments = {code: [START + timedelta(days=d) for d in days] for code, days in payment_days.items()}

    actions = replay(
        ledger,
        policy,
        160,
        holds=holds,
        windows=None,
        calendar=calendar,
        approve_after_days=3,
        payments=payments,
    )

    repeated = Counter((a.debtor, a.step, a.documents, a.episode) for a in actions)
    assert max(repeated.values(), default=1) == 1, repeated.most_common(3)
    assert len({a.idempotency_key for a in actions}) == len(actions)
    assert_never_contacts_the_held(actions, ledger, holds, None, calendar)
    assert_one_step_a_day_within_the_cap(actions, calendar)


@replay_settings
@given(ledger=ledgers(), policy=any_policy, holds=holds(), windows=service_windows(), calendar=caps)
def test_a_snapshot_read_as_plain_rows_plans_exactly_as_its_documents(
    ledger: LedgerSnapshot,
    policy: Policy,
    holds: list[Hold],
    windows: list[ServiceWindow] | None,
    calendar: Calendar,
) -> None:
    rows = LedgerSnapshot(
        ledger.creditor,
        ledger.debtors,
        last_payments=ledger.last_payments,
        open_items=ledger.open_by_debtor(),
    )
    history: list[PastAction] = []
    for offset in range(0, 120, 3):
        day = START + timedelta(days=offset)
        from_documents = plan(
            ledger, policy, day, history=history, holds=holds, calendar=calendar, service_windows=windows
        )
        from_rows = plan(
            rows, policy, day, history=history, holds=holds, calendar=calendar, service_windows=windows
        )
        assert from_rows == from_documents
        history.extend(from_documents.as_history())
