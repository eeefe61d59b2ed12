"""Run a cycle: plan a creditor's actions for a day, record them and hand them to the outbox.

One cycle is one unit of work, so it either happens whole or not at all:

1. take the creditor's lock (first statement: PostgreSQL's advisory lock, SQLite's lock row), so
   that a second cycle for the same creditor waits until this one commits (SQLite gives up
   after its 30 s busy timeout with a clear error);
2. read the policy (the shipped UK ladder, recorded as version 1, when the creditor has none),
   the service windows, the holds in force, the ledger snapshot and the history of actions;
3. plan (`arrears.core.planner.plan`, pure);
4. write a `cycle_runs` row, the new actions (status `planned`: handed to the outbox, which
   picks up planned and approved actions; or `awaiting_approval`) and the day's skips;
5. commit.

Safe to repeat: the planner never plans again what the history shows, and the store keeps one
action per idempotency key whatever happens, so a second run on the same day adds no action.
A crash anywhere before the commit leaves nothing behind; the next run plans the same actions
with the same keys. A crash after the commit leaves the run recorded; the next run adds nothing.

`ARREARS_CYCLE_CRASH_AT` (`planned`, `stored` or `committed`) makes the process exit on the spot
at that point: a fault-injection hook for the crash test (tests/e2e/test_cycle_crash.py), unset
in normal use.
"""

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from arrears.core.actions import Action, ActionStatus, Plan, Skip, SkipKind
from arrears.core.calendar import Calendar
from arrears.core.errors import ArrearsError
from arrears.core.holds import HoldReason
from arrears.core.planner import plan
from arrears.core.policy import Policy
from arrears.policies import DEFAULT_UK, default_uk
from arrears.services.planning_inputs import planning_holds
from arrears.store.unit_of_work import UnitOfWork

CRASH_VARIABLE = "ARREARS_CYCLE_CRASH_AT"
CRASH_POINTS = ("planned", "stored", "committed")
CRASH_EXIT_CODE = 86
DEFAULT_RUN_BY = "arrears cycle"


def _crash_point(point: str) -> None:
    """Exit at once, as a killed process would, when the crash test asks for `point`."""
    if os.environ.get(CRASH_VARIABLE) == point:
        os._exit(CRASH_EXIT_CODE)


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a cycle builds and plans.

    A cycle makes millions of small objects that hold no reference cycles (documents, money,
    actions); the collector would scan them again and again as they pile up, which measured at
    close to half of a million-invoice cycle. Reference counting still frees everything; the
    collector runs again as soon as the block ends (it is process-wide, so this stays short:
    one creditor's cycle).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_shipped_default = cache(default_uk)  # a Policy is immutable: parse the shipped YAML once


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did for one creditor on one day.

    `actions` are the new actions it recorded (on a dry run: would have recorded), planned or
    awaiting approval; `already_recorded` counts actions it planned that the store already had
    (a race or a repeated run: kept once by their key). `skipped_by_reason` counts the day's
    skips by reason ('held: dispute', 'contact cap', 'not a business day', ...).
    """

    creditor: str
    as_of: date
    dry_run: bool
    policy_name: str
    policy_version: int
    service_on: bool
    actions: tuple[Action, ...]
    already_recorded: int = 0
    skipped_by_reason: tuple[tuple[str, int], ...] = ()
    run_id: int | None = None
    service_note: str = ""

    @property
    def planned(self) -> tuple[Action, ...]:
        """New actions handed to the outbox (or, for calls, to the worklist)."""
        return tuple(action for action in self.actions if action.status is ActionStatus.PLANNED)

    @property
    def awaiting_approval(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.status is ActionStatus.AWAITING_APPROVAL)

    @property
    def skipped(self) -> int:
        return sum(count for _, count in self.skipped_by_reason)

    def by_step_and_channel(self) -> list[tuple[str, str, int, int]]:
        """(step, channel, planned, awaiting approval) for each step with new actions, in the
        order the steps were first planned."""
        planned: Counter[tuple[str, str]] = Counter()
        waiting: Counter[tuple[str, str]] = Counter()
        order: dict[tuple[str, str], None] = {}
        for action in self.actions:
            key = (action.step, action.channel.value)
            order.setdefault(key, None)
            (waiting if action.needs_approval else planned)[key] += 1
        return [
            (step, channel, planned[(step, channel)], waiting[(step, channel)]) for step, channel in order
        ]

    def summary_lines(self) -> list[str]:
        """The report as lines a person reads: what was planned, what waits, what was skipped."""
        mode = " (dry run: nothing recorded)" if self.dry_run else ""
        head = (
            f"{self.creditor} as of {self.as_of.isoformat()}{mode}: {len(self.planned)} planned, "
            f"{len(self.awaiting_approval)} awaiting approval, {self.skipped} skipped"
            f" (policy {self.policy_name!r} v{self.policy_version})"
        )
        lines = [head]
        if not self.service_on:
            lines.append(f"  {self.service_note or 'the service is off'}")
        if self.already_recorded:
            lines.append(
                f"  {self.already_recorded} planned action(s) were already recorded and were kept once"
            )
        for step, channel, planned, waiting in self.by_step_and_channel():
            parts = [f"{planned} planned"] if planned else []
            if waiting:
                parts.append(f"{waiting} awaiting approval")
            lines.append(f"  {step} ({channel}): {', '.join(parts)}")
        for reason, count in self.skipped_by_reason:
            lines.append(f"  skipped, {reason}: {count}")
        return lines

    def summary(self) -> str:
        return "\n".join(self.summary_lines())

    def as_record(self) -> dict[str, Any]:
        """The summary kept with the run (JSON)."""
        return {
            "by_step_and_channel": [list(row) for row in self.by_step_and_channel()],
            "skipped_by_reason": dict(self.skipped_by_reason),
            "service": self.service_note,
        }


def skip_reason(skip: Skip) -> str:
    """A skip's reason as counted in reports: 'held: dispute', 'contact cap', 'service off'."""
    if skip.kind is SkipKind.HELD:
        if skip.debtor is None and HoldReason.SERVICE_OFF in skip.holds:
            return "service off"
        labels = sorted({hold.label for hold in skip.holds}) or ["hold"]
        return "held: " + ", ".join(labels)
    return skip.kind.value.replace("_", " ")


def count_skips(skips: tuple[Skip, ...]) -> tuple[tuple[str, int], ...]:
    counts = Counter(skip_reason(skip) for skip in skips)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(slots=True)
class _Inputs:
    policy: Policy
    plan: Plan
    service_on: bool
    service_note: str = ""


def current_policy(uow: UnitOfWork, creditor: str, *, record_default: bool, by: str, at: datetime) -> Policy:
    """The creditor's current policy. A creditor that never set one has the shipped UK ladder,
    recorded as its version 1 on its first real cycle (so that a later change to the shipped
    file does not silently change a ladder a creditor is already on)."""
    stored = uow.policies.current(creditor)
    if stored is not None:
        return stored.policy
    if not record_default:
        return _shipped_default()
    return uow.policies.add(creditor, _shipped_default(), source=f"shipped {DEFAULT_UK}", by=by, at=at).policy


def _plan(uow: UnitOfWork, creditor: str, as_of: date, *, dry_run: bool, by: str, at: datetime) -> _Inputs:
    creditor_value = uow.creditors.get(creditor)
    policy = current_policy(uow, creditor, record_default=not dry_run, by=by, at=at)
    windows = uow.service_windows.windows(creditor)
    result = plan(
        uow.collections.snapshot(creditor, as_of),
        policy,
        as_of,
        history=uow.actions.history(creditor, as_of),
        # holds people recorded, and those of deals (promises, plans, settlements, disputes): the
        # same list explain and approvals read
        holds=planning_holds(uow, creditor, as_of),
        calendar=Calendar.for_creditor(creditor_value),
        service_windows=windows or None,
    )
    creditor_skips = [skip for skip in result.skips if skip.debtor is None]
    return _Inputs(policy, result, not creditor_skips, creditor_skips[0].reason if creditor_skips else "")


def run_cycle(
    uow: UnitOfWork,
    creditor: str,
    as_of: date,
    *,
    dry_run: bool = False,
    run_by: str = DEFAULT_RUN_BY,
    now: Callable[[], datetime] = _now,
) -> CycleReport:
    """Plan, record and hand over one creditor's actions for `as_of` (see the module docstring).

    With `dry_run`, nothing is locked or written: the report says what the cycle would do now.
    """
    with paused_garbage_collector(), uow:
        if not dry_run:
            uow.creditors.lock(creditor)  # first: a second cycle for this creditor waits here
        inputs = _plan(uow, creditor, as_of, dry_run=dry_run, by=run_by, at=now())
        _crash_point("planned")
        result = inputs.plan
        report = CycleReport(
            creditor=creditor,
            as_of=as_of,
            dry_run=dry_run,
            policy_name=inputs.policy.name,
            policy_version=inputs.policy.version,
            service_on=inputs.service_on,
            actions=result.actions,
            skipped_by_reason=count_skips(result.skips),
            service_note=inputs.service_note,
        )
        if dry_run:
            return report
        run_id = uow.cycle_runs.start(
            creditor,
            as_of,
            policy_name=inputs.policy.name,
            policy_version=inputs.policy.version,
            service_on=inputs.service_on,
            by=run_by,
            at=now(),
        )
        recorded = uow.actions.record(creditor, run_id, result.actions, inputs.policy.version)
        uow.cycle_runs.record_skips(creditor, run_id, as_of, result.skips)
        _crash_point("stored")
        if recorded.already_recorded:
            known = set(recorded.already_recorded)
            report = replace(
                report, actions=tuple(a for a in result.actions if a.idempotency_key not in known)
            )
        report = replace(report, run_id=run_id, already_recorded=len(recorded.already_recorded))
        uow.cycle_runs.finish(
            creditor,
            run_id,
            planned=len(report.planned),
            awaiting_approval=len(report.awaiting_approval),
            already_recorded=report.already_recorded,
            skipped=report.skipped,
            summary=report.as_record(),
            at=now(),
        )
        uow.commit()
    _crash_point("committed")
    return report


def run_cycles(
    unit_of_work_factory: Callable[[], UnitOfWork],
    creditor: str,
    start: date,
    end: date,
    *,
    run_by: str = DEFAULT_RUN_BY,
) -> list[CycleReport]:
    """Run the creditor's cycle day by day from `start` to `end` (both included), each day in a
    unit of work of its own, as a daily scheduler would (the demo replays a month this way)."""
    if end < start:
        raise ArrearsError(f"the cycles end on {end.isoformat()}, before they start on {start.isoformat()}")
    return [run_cycle(unit_of_work_factory(), creditor, day, run_by=run_by) for day in _days(start, end)]


def cycle_creditors(
    unit_of_work_factory: Callable[[], UnitOfWork],
    as_of: date,
    *,
    creditor: str | None = None,
    dry_run: bool = False,
    run_by: str = DEFAULT_RUN_BY,
) -> list[CycleReport]:
    """One creditor's cycle, or every creditor's (by code) when none is named, each in a unit of
    work of its own: a creditor's cycle never waits for another's to be planned."""
    if creditor is None:
        with unit_of_work_factory() as uow:
            codes = [each.code for each in uow.creditors.list_all()]
    else:
        codes = [creditor]
    return [run_cycle(unit_of_work_factory(), code, as_of, dry_run=dry_run, run_by=run_by) for code in codes]


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
