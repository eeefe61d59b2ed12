"""SMS opt-outs and the call worklist: what debtors asked and what controllers did."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from arrears.comms.channels.call import (
    CallDirection,
    CallError,
    CallLog,
    CallOutcome,
    CallTask,
    CallTaskStatus,
)
from arrears.comms.message import EventKind
from arrears.core.errors import NotFoundError
from arrears.core.money import Money
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.tables import DebtorRecord, metadata
from arrears.store.tables_comms import (
    CallLogRecord,
    CallTaskRecord,
    MessageRecord,
    SmsOptOutRecord,
)

CALL_TASKS: Table = metadata.tables["call_tasks"]
CALL_LOGS: Table = metadata.tables["call_logs"]
EVENTS: Table = metadata.tables["message_events"]


class OptOutRepository(Repository):
    """Numbers (E.164) that asked a creditor to stop sending SMS."""

    def opt_out(self, creditor: str, phone: str, *, keyword: str, at: datetime) -> bool:
        """Record an opt-out; False when the number had already opted out."""
        creditor_id = self._creditor_id(creditor)
        row = {"creditor_id": creditor_id, "phone": phone, "keyword": keyword[:32], "opted_out_at": at}
        dialect = self._session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(metadata.tables["sms_opt_outs"]).on_conflict_do_nothing(
            index_elements=["creditor_id", "phone"]
        )
        result = self._session.execute(statement.returning(SmsOptOutRecord.id), [row])
        return bool(list(result))

    def opt_in(self, creditor: str, phone: str) -> bool:
        """Lift an opt-out (the number replied START); False when there was none."""
        creditor_id = self._creditor_id(creditor)
        result = self._session.execute(
            delete(SmsOptOutRecord)
            .where(SmsOptOutRecord.creditor_id == creditor_id, SmsOptOutRecord.phone == phone)
            .returning(SmsOptOutRecord.id)
        )
        return bool(list(result))

    def opted_out(self, creditor: str, phones: Iterable[str]) -> set[str]:
        """Those of `phones` that opted out."""
        creditor_id = self._creditor_id(creditor)
        found: set[str] = set()
        for chunk in chunks(set(phones), IN_CHUNK):
            found.update(
                self._session.scalars(
                    select(SmsOptOutRecord.phone).where(
                        SmsOptOutRecord.creditor_id == creditor_id, SmsOptOutRecord.phone.in_(chunk)
                    )
                )
            )
        return found


class CallRepository(Repository):
    """Call tasks in the worklist and the log of calls."""

    def add_task(
        self,
        creditor: str,
        message_id: int,
        *,
        debtor: str,
        phone: str | None,
        title: str,
        due_at: datetime,
        at: datetime,
    ) -> bool:
        """Put the call of message `message_id` in the worklist; False when it is already there
        (a delivery repeated after a crash)."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        exists = self._session.scalar(
            select(CallTaskRecord.id).where(
                CallTaskRecord.creditor_id == creditor_id, CallTaskRecord.message_id == message_id
            )
        )
        if exists is not None:
            return False
        self._session.execute(
            insert(CALL_TASKS),
            [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_id,
                    "message_id": message_id,
                    "phone": phone,
                    "title": title[:200],
                    "due_at": due_at,
                    "status": CallTaskStatus.OPEN.value,
                    "created_at": at,
                }
            ],
        )
        return True

    def tasks(self, creditor: str, *, status: CallTaskStatus | None = CallTaskStatus.OPEN) -> list[CallTask]:
        """Call tasks by due time (open ones by default); the worklist orders them by priority."""
        conditions = [] if status is None else [CallTaskRecord.status == status.value]
        return self._tasks(creditor, conditions)

    def get_task(self, creditor: str, task_id: int) -> CallTask:
        found = self._tasks(creditor, [CallTaskRecord.id == task_id])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no call task {task_id}")
        return found[0]

    def tasks_for_actions(self, creditor: str, action_keys: Iterable[str]) -> dict[str, CallTask]:
        """The call task (open or done) made for each of these actions, by action key; an action
        whose call message was not delivered yet has none."""
        found: dict[str, CallTask] = {}
        for chunk in chunks(sorted(set(action_keys)), IN_CHUNK):
            for task in self._tasks(creditor, [MessageRecord.action_key.in_(chunk)]):
                found.setdefault(task.action_key, task)
        return found

    def _tasks(self, creditor: str, conditions: list[Any]) -> list[CallTask]:
        creditor_id = self._creditor_id(creditor)
        statement = (
            select(
                CallTaskRecord,
                DebtorRecord.account_code,
                MessageRecord.idempotency_key,
                MessageRecord.body_text,
                MessageRecord.action_key,
                MessageRecord.step,
            )
            .join(DebtorRecord, DebtorRecord.id == CallTaskRecord.debtor_id)
            .join(MessageRecord, MessageRecord.id == CallTaskRecord.message_id)
            .where(CallTaskRecord.creditor_id == creditor_id, *conditions)
            .order_by(CallTaskRecord.due_at, CallTaskRecord.id)
        )
        return [
            CallTask(
                id=record.id,
                creditor=creditor,
                debtor=debtor,
                message_key=key,
                phone=record.phone,
                title=record.title,
                due_at=record.due_at,
                status=CallTaskStatus(record.status),
                card=card,
                action_key=action_key,
                step=step,
            )
            for record, debtor, key, card, action_key, step in self._session.execute(statement)
        ]

    def log(self, creditor: str, call: CallLog) -> int:
        """Log a call (closing its task, if it had one) and put it on the debtor's timeline."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, call.debtor)
        if call.task_id is not None:
            task_debtor = self._session.scalar(
                select(CallTaskRecord.debtor_id).where(
                    CallTaskRecord.creditor_id == creditor_id, CallTaskRecord.id == call.task_id
                )
            )
            if task_debtor is None:
                raise NotFoundError(f"creditor {creditor} has no call task {call.task_id}")
            if task_debtor != debtor_id:
                raise NotFoundError(f"call task {call.task_id} is not for debtor {call.debtor}")
            self._session.execute(
                update(CallTaskRecord)
                .where(CallTaskRecord.id == call.task_id)
                .values(status=CallTaskStatus.DONE.value)
                .execution_options(synchronize_session=False)
            )
        amount = call.promised_amount
        ids = list(
            self._session.scalars(
                insert(CALL_LOGS).returning(CallLogRecord.id),
                [
                    {
                        "creditor_id": creditor_id,
                        "debtor_id": debtor_id,
                        "task_id": call.task_id,
                        "direction": call.direction.value,
                        "outcome": call.outcome.value,
                        "note": call.note,
                        "controller": call.controller,
                        "logged_at": call.logged_at,
                        "promised_on": call.promised_on,
                        "promised_minor": amount.to_minor_units() if amount is not None else None,
                        "promised_currency": amount.currency if amount is not None else None,
                    }
                ],
            )
        )
        self._session.execute(
            insert(EVENTS),
            [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_id,
                    "message_id": None,
                    "occurred_at": call.logged_at,
                    "kind": EventKind.CALL_LOGGED.value,
                    "detail": call.describe(),
                }
            ],
        )
        return ids[0]

    def logs(self, creditor: str, debtor: str) -> list[CallLog]:
        """The debtor's calls, oldest first."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        records = self._session.scalars(
            select(CallLogRecord)
            .where(CallLogRecord.creditor_id == creditor_id, CallLogRecord.debtor_id == debtor_id)
            .order_by(CallLogRecord.logged_at, CallLogRecord.id)
        )
        return [
            CallLog(
                creditor=creditor,
                debtor=debtor,
                direction=CallDirection(record.direction),
                outcome=CallOutcome(record.outcome),
                logged_at=record.logged_at,
                note=record.note,
                controller=record.controller,
                task_id=record.task_id,
                promised_amount=(
                    Money.from_minor_units(record.promised_minor, record.promised_currency)
                    if record.promised_minor is not None and record.promised_currency is not None
                    else None
                ),
                promised_on=record.promised_on,
            )
            for record in records
        ]

    def close_tasks(self, creditor: str, task_ids: Iterable[int]) -> list[int]:
        """Close open call tasks without logging a call (the worklist closes a task whose
        documents were settled since it was planned); returns those that were still open, so a
        repeat, or another worker closing them first, changes nothing."""
        creditor_id = self._creditor_id(creditor)
        closed: list[int] = []
        for chunk in chunks(sorted(set(task_ids)), IN_CHUNK):
            closed += self._session.scalars(
                update(CallTaskRecord)
                .where(
                    CallTaskRecord.creditor_id == creditor_id,
                    CallTaskRecord.id.in_(chunk),
                    CallTaskRecord.status == CallTaskStatus.OPEN.value,
                )
                .values(status=CallTaskStatus.DONE.value)
                .returning(CallTaskRecord.id)
                .execution_options(synchronize_session=False)
            )
        return sorted(closed)

    def log_together(self, creditor: str, calls: Sequence[CallLog], *, timeline: str) -> list[int]:
        """Log one call made for several call tasks of one debtor: one log per task (each
        closes its task and carries the outcome), and one entry, `timeline`, on the debtor's
        timeline, since the debtor was called once. Every call must be for the same debtor and
        each task must be that debtor's; returns the logs' ids, in order."""
        if not calls:
            return []
        debtors = {call.debtor for call in calls}
        if len(debtors) != 1:
            raise CallError(f"calls logged together must be for one debtor, not {', '.join(sorted(debtors))}")
        creditor_id = self._creditor_id(creditor)
        debtor = calls[0].debtor
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        task_ids = sorted({call.task_id for call in calls if call.task_id is not None})
        owners = {
            task_id: owner
            for task_id, owner in self._session.execute(
                select(CallTaskRecord.id, CallTaskRecord.debtor_id).where(
                    CallTaskRecord.creditor_id == creditor_id, CallTaskRecord.id.in_(task_ids)
                )
            )
        }
        for task_id in task_ids:
            if task_id not in owners:
                raise NotFoundError(f"creditor {creditor} has no call task {task_id}")
            if owners[task_id] != debtor_id:
                raise NotFoundError(f"call task {task_id} is not for debtor {debtor}")
        if task_ids:
            self._session.execute(
                update(CallTaskRecord)
                .where(CallTaskRecord.creditor_id == creditor_id, CallTaskRecord.id.in_(task_ids))
                .values(status=CallTaskStatus.DONE.value)
                .execution_options(synchronize_session=False)
            )
        ids = [
            self._session.scalars(
                insert(CALL_LOGS).returning(CallLogRecord.id),
                [
                    {
                        "creditor_id": creditor_id,
                        "debtor_id": debtor_id,
                        "task_id": call.task_id,
                        "direction": call.direction.value,
                        "outcome": call.outcome.value,
                        "note": call.note,
                        "controller": call.controller,
                        "logged_at": call.logged_at,
                        "promised_on": call.promised_on,
                        "promised_minor": (
                            None if call.promised_amount is None else call.promised_amount.to_minor_units()
                        ),
                        "promised_currency": (
                            None if call.promised_amount is None else call.promised_amount.currency
                        ),
                    }
                ],
            ).one()
            for call in calls
        ]
        self._session.execute(
            insert(EVENTS),
            [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_id,
                    "message_id": None,
                    "occurred_at": calls[0].logged_at,
                    "kind": EventKind.CALL_LOGGED.value,
                    "detail": timeline,
                }
            ],
        )
        return ids
