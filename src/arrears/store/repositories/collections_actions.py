"""Actions: what cycles planned, what became of them, and the history the planner reads back.

One row per action, unique per creditor by its idempotency key: recording the same action twice
(a repeated cycle, a rerun after a crash, two cycles racing past the creditor lock) keeps one
row, because the insert skips keys that exist (`ON CONFLICT DO NOTHING`) rather than failing.

Statuses: `planned` (handed to the outbox), `awaiting_approval` (the creditor decides),
`approved` and `rejected` (it did), `sent` and `failed` (what delivery made of it, or a
controller who worked a call task), `skipped` (a person decided against it). How each counts
in the planner's history is `ActionState.history_status`.

The outbox (the communications area) reads `ready_for_delivery` and reports back with
`mark_handed_over`, `mark_sent` and `mark_failed`, all keyed by the idempotency key. Call tasks
are not delivered by the outbox: controllers work them from the worklist (`mark_worked`).
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from arrears.core.actions import Action, ActionStatus, PastAction
from arrears.core.calendar import ROLLING_WEEK_DAYS
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.money import Money
from arrears.core.policy import Channel
from arrears.store.repositories._common import Repository, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.repositories.collections_writes import action_rows, engine_date, insert_actions
from arrears.store.tables import DebtorRecord
from arrears.store.tables_collections import ActionRecord

DELIVERED_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.LETTER)
"""Channels the outbox delivers; call tasks go to the worklist instead."""


class ActionStateError(ArrearsError, ValueError):
    """An action asked to change in a way its status does not allow (approving a sent one)."""


class ActionState(StrEnum):
    """An action's status in the store (a superset of the core's `ActionStatus`)."""

    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def history_status(self) -> ActionStatus:
        """How the planner counts it: an approved action is as good as planned (it will reach
        the debtor); a rejected one as skipped (done, not a contact)."""
        return _HISTORY[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


_HISTORY = {
    ActionState.PLANNED: ActionStatus.PLANNED,
    ActionState.AWAITING_APPROVAL: ActionStatus.AWAITING_APPROVAL,
    ActionState.APPROVED: ActionStatus.PLANNED,
    ActionState.REJECTED: ActionStatus.SKIPPED,
    ActionState.SENT: ActionStatus.SENT,
    ActionState.FAILED: ActionStatus.FAILED,
    ActionState.SKIPPED: ActionStatus.SKIPPED,
}
_READY = (ActionState.PLANNED.value, ActionState.APPROVED.value)


@dataclass(frozen=True, slots=True)
class StoredAction:
    """An action as the store keeps it, with what happened to it since it was planned."""

    id: int
    creditor: str
    debtor: str
    cycle_run: int
    idempotency_key: str
    step: str
    channel: Channel
    template: str
    documents: tuple[str, ...]
    amounts: tuple[Money, ...]
    status: ActionState
    episode: str
    reason: str
    planned_on: date
    effective_on: date
    policy_version: int
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    handed_over_at: datetime | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    failure: str | None = None
    worked_at: datetime | None = None
    worked_by: str | None = None
    work_note: str | None = None

    def as_past(self, as_of: date | None = None) -> PastAction:
        """This action as the planner's history, as it stood on `as_of` (default: now): one
        decided after `as_of` was still awaiting approval then, from the day it was planned."""
        if as_of is not None and self.effective_on > as_of:
            return PastAction(
                self.debtor,
                self.step,
                self.documents,
                self.planned_on,
                ActionStatus.AWAITING_APPROVAL,
                self.idempotency_key,
                self.episode,
            )
        return PastAction(
            self.debtor,
            self.step,
            self.documents,
            self.effective_on,
            self.status.history_status,
            self.idempotency_key,
            self.episode,
        )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What `ActionRepository.record` wrote: how many new rows, and the keys already there."""

    inserted: int
    already_recorded: tuple[str, ...]


_HISTORY_SQL = """
WITH acts AS (
    SELECT a.debtor_id, a.step, a.documents, a.idempotency_key, a.episode,
           CASE WHEN a.effective_on <= {p} THEN a.effective_on ELSE a.planned_on END AS on_day,
           CASE WHEN a.effective_on <= {p} THEN a.status ELSE 'awaiting_approval' END AS state
    FROM collection_actions a
    WHERE a.creditor_id = {p} AND a.planned_on <= {p}{debtor}
), last_paid AS (
    SELECT debtor_id, MAX(received_on) AS paid FROM payments
    WHERE creditor_id = {p} AND debtor_id IS NOT NULL AND received_on <= {p}
    GROUP BY debtor_id
), last_action AS (
    SELECT debtor_id, MAX(on_day) AS latest FROM acts GROUP BY debtor_id
)
SELECT b.account_code, x.step, x.documents, x.on_day, x.state, x.idempotency_key, x.episode
FROM acts x
JOIN debtors b ON b.id = x.debtor_id
JOIN last_action l ON l.debtor_id = x.debtor_id
LEFT JOIN last_paid p ON p.debtor_id = x.debtor_id
WHERE p.paid IS NULL OR x.on_day >= p.paid OR x.state = 'awaiting_approval'
   OR x.on_day >= {p} OR x.on_day = l.latest
"""


class ActionRepository(Repository):
    def record(
        self, creditor: str, cycle_run: int, actions: Sequence[Action], policy_version: int
    ) -> Recorded:
        """Write a cycle's actions, each once: a key the creditor already has is left as it is
        (and reported in `already_recorded`), never duplicated, never an error."""
        if not actions:
            return Recorded(0, ())
        creditor_id = self._creditor_id(creditor)
        debtor_ids = self._ids_of(creditor, creditor_id, {action.debtor for action in actions})
        rows = action_rows(self._session, creditor_id, debtor_ids, cycle_run, actions, policy_version)
        count = insert_actions(self._session, rows)
        if count == len(actions):
            return Recorded(count, ())
        mine = set(
            self._session.scalars(
                select(ActionRecord.idempotency_key).where(
                    ActionRecord.creditor_id == creditor_id, ActionRecord.cycle_run_id == cycle_run
                )
            )
        )
        return Recorded(count, tuple(a.idempotency_key for a in actions if a.idempotency_key not in mine))

    def history(self, creditor: str, as_of: date, *, debtor: str | None = None) -> list[PastAction]:
        """The history the planner needs on `as_of`, read in one query.

        Each action as it stood on `as_of` (`StoredAction.as_past(as_of)`); of those, everything
        the planner's `HistoryIndex` would use from the full history, and nothing it would not:
        each debtor's actions since its last payment (its current episode, counted from the
        payment day itself), those awaiting approval whatever their age, those in the rolling
        week (the contact cap) and those on the debtor's latest action day (whether it paid
        since its last step). Older episodes are left in the table, not read.
        """
        creditor_id = self._creditor_id(creditor)
        as_date = engine_date(self._session)
        day = as_date(as_of)
        week_starts = as_date(as_of - timedelta(days=ROLLING_WEEK_DAYS - 1))
        parameters: list[Any] = [day, day, creditor_id, day]
        debtor_filter = ""
        if debtor is not None:
            debtor_filter = " AND a.debtor_id = {p}"
            parameters.append(self._debtor_id(creditor, creditor_id, debtor))
        parameters += [creditor_id, day, week_starts]
        connection = self._session.connection()
        marker = "?" if connection.dialect.name == "sqlite" else "%s"
        sql = _HISTORY_SQL.replace("{debtor}", debtor_filter).replace("{p}", marker)
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        dates: dict[Any, date] = {}
        statuses = {state.value: state.history_status for state in ActionState}
        found = []
        try:
            cursor.execute(sql, parameters)
            for code, step, documents, on, status, key, episode in cursor.fetchall():
                day_on = dates.get(on)
                if day_on is None:
                    day_on = dates[on] = on if isinstance(on, date) else date.fromisoformat(on)
                found.append(
                    PastAction(
                        code, step, tuple(json.loads(documents)), day_on, statuses[status], key, episode
                    )
                )
        finally:
            cursor.close()
        return found

    def get(self, creditor: str, action_id: int) -> StoredAction:
        found = self._load(creditor, [ActionRecord.id == action_id])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no action {action_id}")
        return found[0]

    def get_by_key(self, creditor: str, idempotency_key: str) -> StoredAction:
        found = self._load(creditor, [ActionRecord.idempotency_key == idempotency_key])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no action with key {idempotency_key!r}")
        return found[0]

    def list_all(
        self,
        creditor: str,
        *,
        debtor: str | None = None,
        statuses: Iterable[ActionState] | None = None,
        channels: Iterable[Channel] | None = None,
        cycle_run: int | None = None,
        limit: int | None = None,
    ) -> list[StoredAction]:
        """Actions by id (the order they were planned in), filtered as asked."""
        conditions: list[ColumnElement[bool]] = []
        if debtor is not None:
            creditor_id = self._creditor_id(creditor)
            conditions.append(ActionRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if statuses is not None:
            conditions.append(ActionRecord.status.in_([ActionState(s).value for s in statuses]))
        if channels is not None:
            conditions.append(ActionRecord.channel.in_([Channel(c).value for c in channels]))
        if cycle_run is not None:
            conditions.append(ActionRecord.cycle_run_id == cycle_run)
        return self._load(creditor, conditions, limit=limit)

    def ready_for_delivery(
        self, creditor: str, *, channels: Iterable[Channel] = DELIVERED_CHANNELS, limit: int | None = None
    ) -> list[StoredAction]:
        """Actions the outbox should render and send: planned or approved, not handed over yet,
        on the channels it delivers (calls are worked from the worklist), oldest first."""
        return self._load(
            creditor,
            [
                ActionRecord.status.in_(_READY),
                ActionRecord.handed_over_at.is_(None),
                ActionRecord.channel.in_([Channel(c).value for c in channels]),
            ],
            limit=limit,
        )

    def mark_handed_over(self, creditor: str, keys: Iterable[str], at: datetime) -> int:
        """The outbox has taken these actions (one message per key); returns how many changed."""
        creditor_id = self._creditor_id(creditor)
        changed = 0
        for chunk in chunks(sorted(set(keys)), 900):
            result = self._session.execute(
                update(ActionRecord)
                .where(
                    ActionRecord.creditor_id == creditor_id,
                    ActionRecord.idempotency_key.in_(chunk),
                    ActionRecord.handed_over_at.is_(None),
                )
                .values(handed_over_at=at)
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
        return changed

    def mark_sent(self, creditor: str, idempotency_key: str, at: datetime) -> StoredAction:
        """Delivered (or, for a call task, made). Allowed from planned, approved or failed."""
        return self._move(
            creditor,
            idempotency_key,
            (ActionState.PLANNED, ActionState.APPROVED, ActionState.FAILED, ActionState.SENT),
            {"status": ActionState.SENT.value, "sent_at": at},
            "marked sent",
        )

    def mark_failed(self, creditor: str, idempotency_key: str, at: datetime, failure: str) -> StoredAction:
        """Delivery failed for good (retries are the outbox's business); a controller follows up."""
        return self._move(
            creditor,
            idempotency_key,
            (ActionState.PLANNED, ActionState.APPROVED, ActionState.FAILED),
            {"status": ActionState.FAILED.value, "failed_at": at, "failure": failure},
            "marked failed",
        )

    def decide(
        self, creditor: str, action_id: int, *, approve: bool, by: str, note: str, on: date, at: datetime
    ) -> StoredAction:
        """The creditor's decision on an action awaiting approval; from `on` it counts in the
        history (an approved letter goes out now, not on the day it was planned)."""
        action = self.get(creditor, action_id)
        if action.status is not ActionState.AWAITING_APPROVAL:
            when = f" on {action.decided_at.date().isoformat()}" if action.decided_at else ""
            raise ActionStateError(
                f"action {action_id} ({action.step!r} for {action.debtor}) is {action.status.label}{when}; "
                "only an action awaiting approval can be approved or rejected"
            )
        state = ActionState.APPROVED if approve else ActionState.REJECTED
        self._session.execute(
            update(ActionRecord)
            .where(ActionRecord.creditor_id == self._creditor_id(creditor), ActionRecord.id == action_id)
            .values(
                status=state.value,
                decided_at=at,
                decided_by=by[:100],
                decision_note=note,
                effective_on=max(on, action.planned_on),
            )
        )
        return self.get(creditor, action_id)

    def open_tasks(self, creditor: str) -> list[StoredAction]:
        """The worklist's tasks: call tasks planned or approved and not yet worked, and failed
        actions (any channel) nobody has followed up."""
        return self._load(
            creditor,
            [
                ActionRecord.worked_at.is_(None),
                or_(
                    and_(ActionRecord.channel == Channel.CALL.value, ActionRecord.status.in_(_READY)),
                    ActionRecord.status == ActionState.FAILED.value,
                ),
            ],
        )

    def mark_worked(self, creditor: str, action_id: int, *, by: str, note: str, at: datetime) -> StoredAction:
        """A controller did the task: a call task becomes sent; a failed action stays failed,
        followed up."""
        action = self.get(creditor, action_id)
        if action.worked_at is not None:
            raise ActionStateError(
                f"action {action_id} was already worked on {action.worked_at.date().isoformat()}"
                + (f" by {action.worked_by}" if action.worked_by else "")
            )
        values: dict[str, Any] = {"worked_at": at, "worked_by": by[:100], "work_note": note}
        if action.channel is Channel.CALL and action.status.value in _READY:
            values.update(status=ActionState.SENT.value, sent_at=at)
        elif action.status is not ActionState.FAILED:
            raise ActionStateError(
                f"action {action_id} ({action.step!r} by {action.channel.value}, {action.status.label}) is not "
                "on the worklist: only call tasks and failed actions are worked by hand"
            )
        self._session.execute(
            update(ActionRecord)
            .where(ActionRecord.creditor_id == self._creditor_id(creditor), ActionRecord.id == action_id)
            .values(values)
        )
        return self.get(creditor, action_id)

    def worked_between(self, creditor: str, start: datetime, end: datetime) -> int:
        """How many tasks controllers worked in [start, end)."""
        creditor_id = self._creditor_id(creditor)
        return int(
            self._session.scalar(
                select(func.count()).where(
                    ActionRecord.creditor_id == creditor_id,
                    ActionRecord.worked_at >= start,
                    ActionRecord.worked_at < end,
                )
            )
            or 0
        )

    def calls_worked_between(self, creditor: str, start: datetime, end: datetime) -> int:
        """How many times controllers worked a debtor in [start, end): the tasks of one debtor
        worked together (one call) share their `worked_at` and count once; tasks the worklist
        closed by itself (`skip_open_tasks`) do not count."""
        creditor_id = self._creditor_id(creditor)
        worked = (
            select(ActionRecord.debtor_id, ActionRecord.worked_at)
            .where(
                ActionRecord.creditor_id == creditor_id,
                ActionRecord.worked_at >= start,
                ActionRecord.worked_at < end,
                ActionRecord.status != ActionState.SKIPPED.value,
            )
            .distinct()
            .subquery()
        )
        return int(self._session.scalar(select(func.count()).select_from(worked)) or 0)

    def skip_open_tasks(
        self, creditor: str, action_ids: Iterable[int], *, by: str, note: str, at: datetime
    ) -> list[int]:
        """Take tasks off the worklist without anyone working them (their documents were settled
        since): each still open (a call planned or approved, or a failed action, not worked)
        becomes `skipped`, with who closed it, when and why in its work fields. Returns those
        that were still open, so a repeat, or another worker closing them first, changes
        nothing."""
        creditor_id = self._creditor_id(creditor)
        closed: list[int] = []
        for chunk in chunks(sorted(set(action_ids)), 900):
            closed += self._session.scalars(
                update(ActionRecord)
                .where(
                    ActionRecord.creditor_id == creditor_id,
                    ActionRecord.id.in_(chunk),
                    ActionRecord.worked_at.is_(None),
                    or_(
                        and_(ActionRecord.channel == Channel.CALL.value, ActionRecord.status.in_(_READY)),
                        ActionRecord.status == ActionState.FAILED.value,
                    ),
                )
                .values(status=ActionState.SKIPPED.value, worked_at=at, worked_by=by[:100], work_note=note)
                .returning(ActionRecord.id)
                .execution_options(synchronize_session=False)
            )
        return sorted(closed)

    def _move(
        self,
        creditor: str,
        idempotency_key: str,
        allowed: tuple[ActionState, ...],
        values: dict[str, Any],
        verb: str,
    ) -> StoredAction:
        action = self.get_by_key(creditor, idempotency_key)
        if action.status not in allowed:
            raise ActionStateError(
                f"action {action.id} ({action.step!r} for {action.debtor}) is {action.status.label} and cannot "
                f"be {verb}"
            )
        self._session.execute(
            update(ActionRecord)
            .where(ActionRecord.creditor_id == self._creditor_id(creditor), ActionRecord.id == action.id)
            .values(values)
        )
        return self.get(creditor, action.id)

    def _ids_of(self, creditor: str, creditor_id: int, codes: set[str]) -> dict[str, int]:
        if len(codes) > 4 * 900:  # one read of every debtor (on the driver) beats many IN lists
            connection = self._session.connection()
            marker = "?" if connection.dialect.name == "sqlite" else "%s"
            driver = connection.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor()
            try:
                cursor.execute(
                    f"SELECT account_code, id FROM debtors WHERE creditor_id = {marker}", [creditor_id]
                )
                found = dict(cursor.fetchall())
            finally:
                cursor.close()
        else:
            found = self._debtor_ids(creditor_id, codes)
        missing = codes.difference(found)
        if missing:
            raise NotFoundError(f"creditor {creditor} has no debtor(s) {', '.join(sorted(missing)[:5])}")
        return found

    def _load(
        self, creditor: str, conditions: Sequence[ColumnElement[bool]], *, limit: int | None = None
    ) -> list[StoredAction]:
        creditor_id = self._creditor_id(creditor)
        query = (
            select(ActionRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == ActionRecord.debtor_id)
            .where(ActionRecord.creditor_id == creditor_id, *conditions)
            .order_by(ActionRecord.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            to_stored_action(creditor, record, code) for record, code in self._session.execute(query).all()
        ]


def to_stored_action(creditor: str, record: ActionRecord, account_code: str) -> StoredAction:
    amounts = json.loads(record.amounts)
    return StoredAction(
        id=record.id,
        creditor=creditor,
        debtor=account_code,
        cycle_run=record.cycle_run_id,
        idempotency_key=record.idempotency_key,
        step=record.step,
        channel=Channel(record.channel),
        template=record.template,
        documents=tuple(json.loads(record.documents)),
        amounts=tuple(
            Money.from_minor_units(int(minor), currency) for currency, minor in sorted(amounts.items())
        ),
        status=ActionState(record.status),
        episode=record.episode,
        reason=record.reason,
        planned_on=record.planned_on,
        effective_on=record.effective_on,
        policy_version=record.policy_version,
        decided_at=aware(record.decided_at),
        decided_by=record.decided_by,
        decision_note=record.decision_note,
        handed_over_at=aware(record.handed_over_at),
        sent_at=aware(record.sent_at),
        failed_at=aware(record.failed_at),
        failure=record.failure,
        worked_at=aware(record.worked_at),
        worked_by=record.worked_by,
        work_note=record.work_note,
    )
