"""The cycle's invariants against the store, on SQLite and PostgreSQL, for random simulated
ledgers, policies, holds, exclusions and service windows, replayed day by day for 30 days
through `run_cycle` (with actions awaiting approval approved a few days later):

- no idempotency key is recorded twice, and no (debtor, step, documents) twice in an episode;
- a held, excluded or insolvent debtor, a held document, or a creditor whose service is off
  is never contacted;
- each day's cycle plans exactly what the pure planner plans from the full history (so the
  store's narrowed history read loses nothing the planner needs).
"""

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from collections_builders import new_uow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from arrears.core.calendar import Calendar
from arrears.core.holds import Hold, HoldReason, holds_from_flags
from arrears.core.ledger import Allocation, DebtorFlag, DocumentStatus, Payment
from arrears.core.money import Money
from arrears.core.planner import plan
from arrears.core.policy import Channel, Policy, Segment, SegmentRule, Step
from arrears.policies import default_uk
from arrears.services import approvals
from arrears.services.cycle import run_cycle
from arrears.sim import SimulationParams, simulate
from arrears.store.repositories import ActionState

DAYS = 30
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RECORDABLE = (
    HoldReason.DISPUTE,
    HoldReason.PROMISE_TO_PAY,
    HoldReason.PAYMENT_PLAN,
    HoldReason.DO_NOT_CONTACT,
    HoldReason.INSOLVENCY,
)
_codes = itertools.count(1)


@dataclass(frozen=True)
class Scenario:
    seed: int
    start: date
    policy: Policy | None  # None: the shipped ladder
    holds: list[tuple[int, HoldReason, int | None, int | None, bool]]
    excluded: set[int]
    off: tuple[int, int] | None  # days (from the start) the service goes off, then on again
    approve_after: int
    payments: list[tuple[int, int]]  # (debtor, day): half its oldest open invoice is paid that day


@st.composite
def policies(draw: st.DrawFn) -> Policy | None:
    if draw(st.booleans()):
        return None
    offsets = sorted(draw(st.sets(st.integers(-10, 120), min_size=1, max_size=6)))
    steps = []
    for n, offset in enumerate(offsets):
        steps.append(
            Step(
                name=f"step {n}",
                offset_days=offset,
                channel=draw(st.sampled_from(Channel)),
                template=f"template_{n}",
                needs_approval=draw(st.booleans()) and draw(st.booleans()),
                legal=n > 0 and draw(st.booleans()) and draw(st.booleans()),
                group=draw(st.booleans()) or draw(st.booleans()),
                min_overdue=Money.of(draw(st.integers(1, 2000)), "GBP")
                if n and draw(st.booleans())
                else None,
                only_if_no_payment_since_last_step=draw(st.booleans()),
                min_days_after_previous_step=draw(st.integers(0, 15)),
            )
        )
    return Policy(
        "random",
        1,
        tuple(steps),
        small_balance_below=Money.of(draw(st.integers(1, 300)), "GBP"),
        segment_rules=(SegmentRule(Segment.SMALL_BALANCE, channels=frozenset({Channel.EMAIL})),),
        pause_after_payment_days=draw(st.integers(0, 10)),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = date(2026, 1, 5) + timedelta(days=draw(st.integers(0, 60)))
    debtors = 10
    holds = [
        (
            draw(st.integers(0, debtors - 1)),
            draw(st.sampled_from(RECORDABLE)),
            draw(st.none() | st.integers(-5, DAYS)),
            draw(st.none() | st.integers(0, 20)),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    off = None
    if draw(st.booleans()):
        first = draw(st.integers(1, DAYS - 2))
        off = (first, first + draw(st.integers(1, 15)))
    return Scenario(
        seed=draw(st.integers(0, 10_000)),
        start=start,
        policy=draw(policies()),
        holds=holds,
        excluded=draw(st.sets(st.integers(0, debtors - 1), max_size=2)),
        off=off,
        approve_after=draw(st.integers(1, 5)),
        payments=draw(st.lists(st.tuples(st.integers(0, debtors - 1), st.integers(1, DAYS - 1)), max_size=4)),
    )


def load_ledger(engine: Engine, code: str, seed: int, start: date) -> list[str]:
    """A small simulated ledger as of `start` for a creditor called `code`; its account codes."""
    ledger = simulate(
        SimulationParams(creditors=1, debtors=10, invoices=90, seed=seed, as_of=start, history_days=150)
    )
    (creditor,) = ledger.creditors
    with new_uow(engine) as uow:
        uow.creditors.add(replace(creditor, code=code))
        uow.debtors.add(code, [replace(debtor, creditor=code) for debtor in ledger.debtors])
        uow.documents.add(
            code,
            [
                replace(d, creditor=code, open_amount=d.amount, status=DocumentStatus.OPEN)
                for d in ledger.documents
            ],
        )
        uow.payments.add(code, [replace(p, creditor=code, unallocated=None) for p in ledger.payments])
        uow.payments.allocate(code, [replace(a, creditor=code) for a in ledger.allocations])
        uow.commit()
    return [debtor.account_code for debtor in ledger.debtors]


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_replayed_cycles_never_repeat_an_action_nor_contact_the_held(
    engine: Engine, scenario: Scenario
) -> None:
    code = f"P{next(_codes):04d}"
    start = scenario.start
    accounts = load_ledger(engine, code, scenario.seed, start)
    with new_uow(engine) as uow:
        if scenario.policy is not None:
            uow.policies.add(code, scenario.policy, source="random", by="test", at=NOW)
        for index in scenario.excluded:
            uow.debtors.set_flags(code, accounts[index], {DebtorFlag.DO_NOT_CONTACT})
        for index, reason, first, length, on_a_document in scenario.holds:
            account = accounts[index]
            open_numbers = [d.number for d in uow.documents.list_open(code, debtor=account) if d.is_invoice]
            documents = frozenset(open_numbers[:1]) if on_a_document and open_numbers else frozenset()
            starts_on = None if first is None else start + timedelta(days=first)
            ends_on = None if length is None else (starts_on or start) + timedelta(days=length)
            uow.holds.add(code, Hold(reason, account, documents, starts_on, ends_on), by="test", at=NOW)
        uow.commit()
        calendar = Calendar.for_creditor(uow.creditors.get(code))
    policy = scenario.policy or default_uk()

    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        if scenario.off is not None and offset in scenario.off:
            with new_uow(engine) as uow:
                if offset == scenario.off[0]:
                    uow.service_windows.turn_off(code, day)
                else:
                    uow.service_windows.turn_on(code, day)
                uow.commit()
        approve_waiting(engine, code, day, scenario.approve_after)
        for index, paid_on in scenario.payments:
            if paid_on == offset:
                pay_half(engine, code, accounts[index], day)
        with new_uow(engine) as uow:
            expected = plan(
                uow.collections.snapshot(code, day),
                policy,
                day,
                history=[action.as_past(day) for action in uow.actions.list_all(code)],
                holds=uow.holds.in_force(code, day),
                calendar=calendar,
                service_windows=uow.service_windows.windows(code) or None,
            )
        report = run_cycle(new_uow(engine), code, day)
        assert report.actions == expected.actions

    with new_uow(engine) as uow:
        actions = uow.actions.list_all(code)
        debtors = {debtor.account_code: debtor for debtor in uow.debtors.list_all(code)}
        holds = [h for stored in uow.holds.list_all(code) if (h := stored.effective()) is not None]
        windows = uow.service_windows.windows(code)
    keys = [action.idempotency_key for action in actions]
    assert len(keys) == len(set(keys))
    chased = [(a.debtor, a.step, a.documents, a.episode) for a in actions]
    assert len(chased) == len(set(chased))
    excluded = {code for code, debtor in debtors.items() if holds_from_flags(debtor)}
    for action in actions:
        day = action.planned_on
        assert action.debtor not in excluded, action
        assert not windows or any(window.includes(day) for window in windows), action
        for hold in holds:
            if hold.debtor == action.debtor and hold.is_active(day):
                assert hold.documents and not hold.documents & set(action.documents), (action, hold)


def approve_waiting(engine: Engine, code: str, day: date, after_days: int) -> None:
    """The creditor approves what has waited `after_days` days."""
    with new_uow(engine) as uow:
        waiting = uow.actions.list_all(code, statuses=[ActionState.AWAITING_APPROVAL])
    for action in waiting:
        if (day - action.planned_on).days >= after_days:
            try:
                approvals.approve(new_uow(engine), code, action.id, on=day, by="test")
            except approvals.ApprovalError:
                approvals.reject(new_uow(engine), code, action.id, on=day, reason="nothing left open")


def pay_half(engine: Engine, code: str, account: str, day: date) -> None:
    """The debtor pays half of its oldest open invoice (a new escalation episode starts)."""
    with new_uow(engine) as uow:
        invoices = [d for d in uow.documents.list_open(code, debtor=account) if d.is_invoice]
        if not invoices:
            return
        oldest = invoices[0]
        half = Money.from_minor_units(max(oldest.open_amount.to_minor_units() // 2, 1), oldest.currency)
        reference = f"PROP-{account}-{day.isoformat()}-{next(_codes)}"
        uow.payments.add(code, [Payment(code, reference, day, half, account)])
        uow.payments.allocate(code, [Allocation(code, oldest.number, half, day, payment=reference)])
        uow.commit()
