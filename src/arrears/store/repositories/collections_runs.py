"""Cycle runs, and the skips they record.

A cycle that is not a dry run records one `cycle_runs` row (who, when, as of which day, the
policy version, counts and a JSON summary) in the same transaction as its actions.

Skips are many (on a weekend every debtor with something due is skipped; a held debtor is
skipped every day of its hold), so they are compacted: one row per (debtor, step, kind) with
the latest reason and documents, the first and last day it was seen, and on how many distinct
cycle days. Explaining a debtor reads them back; the run's summary keeps the day's counts.
Creditor-wide skips (the service is off) are in the run's summary only.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from arrears.core.actions import Skip, SkipKind
from arrears.core.errors import NotFoundError
from arrears.core.holds import HoldReason
from arrears.store.repositories._common import Repository
from arrears.store.repositories.collections_policies import aware
from arrears.store.repositories.collections_writes import driver_executemany, engine_date
from arrears.store.tables import DebtorRecord
from arrears.store.tables_collections import CycleRunRecord, SkipRecord

_REASONS_KEPT = 3  # reasons merged into one skip row before "and N more"

_UPSERT_SKIP = """
INSERT INTO collection_skips AS s (creditor_id, debtor_id, step, kind, holds, documents, reason,
    first_on, last_on, days, cycle_run_id)
VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 1, {p})
ON CONFLICT (creditor_id, debtor_id, step, kind) DO UPDATE SET
    days = CASE WHEN excluded.last_on > s.last_on OR excluded.first_on < s.first_on
                THEN s.days + 1 ELSE s.days END,
    first_on = CASE WHEN excluded.first_on < s.first_on THEN excluded.first_on ELSE s.first_on END,
    last_on = CASE WHEN excluded.last_on > s.last_on THEN excluded.last_on ELSE s.last_on END,
    holds = CASE WHEN excluded.last_on >= s.last_on THEN excluded.holds ELSE s.holds END,
    documents = CASE WHEN excluded.last_on >= s.last_on THEN excluded.documents ELSE s.documents END,
    reason = CASE WHEN excluded.last_on >= s.last_on THEN excluded.reason ELSE s.reason END,
    cycle_run_id = CASE WHEN excluded.last_on >= s.last_on THEN excluded.cycle_run_id ELSE s.cycle_run_id END
"""


@dataclass(frozen=True, slots=True)
class CycleRun:
    """One recorded cycle. `summary` holds the counts by step and channel and skips by reason."""

    id: int
    creditor: str
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    run_by: str
    policy_name: str
    policy_version: int
    service_on: bool
    planned: int
    awaiting_approval: int
    already_recorded: int
    skipped: int
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredSkip:
    """What cycles skipped for one (debtor, step, kind), from `first_on` to `last_on` on `days`
    cycle days; `reason` and `documents` are the latest."""

    debtor: str
    step: str | None
    kind: SkipKind
    holds: tuple[HoldReason, ...]
    documents: tuple[str, ...]
    reason: str
    first_on: date
    last_on: date
    days: int


class CycleRunRepository(Repository):
    def start(
        self,
        creditor: str,
        as_of: date,
        *,
        policy_name: str,
        policy_version: int,
        service_on: bool,
        by: str,
        at: datetime,
    ) -> int:
        """Open a run (counts zero until `finish`); returns its id."""
        record = CycleRunRecord(
            creditor_id=self._creditor_id(creditor),
            as_of=as_of,
            started_at=at,
            finished_at=None,
            run_by=by[:100],
            policy_name=policy_name[:200],
            policy_version=policy_version,
            service_on=service_on,
            planned=0,
            awaiting_approval=0,
            already_recorded=0,
            skipped=0,
            summary="{}",
        )
        self._session.add(record)
        self._session.flush()
        return record.id

    def finish(
        self,
        creditor: str,
        run_id: int,
        *,
        planned: int,
        awaiting_approval: int,
        already_recorded: int,
        skipped: int,
        summary: dict[str, Any],
        at: datetime,
    ) -> None:
        self._session.execute(
            update(CycleRunRecord)
            .where(CycleRunRecord.creditor_id == self._creditor_id(creditor), CycleRunRecord.id == run_id)
            .values(
                finished_at=at,
                planned=planned,
                awaiting_approval=awaiting_approval,
                already_recorded=already_recorded,
                skipped=skipped,
                summary=json.dumps(summary, sort_keys=True),
            )
        )

    def record_skips(self, creditor: str, run_id: int, as_of: date, skips: Sequence[Skip]) -> int:
        """Fold the day's debtor skips into the compacted rows; returns how many rows it touched."""
        creditor_id = self._creditor_id(creditor)
        merged: dict[tuple[str, str, str], list[Skip]] = {}
        for skip in skips:
            if skip.debtor is not None:
                merged.setdefault((skip.debtor, skip.step or "", skip.kind.value), []).append(skip)
        if not merged:
            return 0
        codes = {debtor for debtor, _, _ in merged}
        if len(codes) > 3600:
            ids = dict(
                self._session.execute(
                    select(DebtorRecord.account_code, DebtorRecord.id).where(
                        DebtorRecord.creditor_id == creditor_id
                    )
                ).all()
            )
        else:
            ids = self._debtor_ids(creditor_id, codes)
        day = engine_date(self._session)(as_of)
        rows = []
        for (debtor, step, kind), group in merged.items():
            documents = sorted({number for skip in group for number in skip.documents})
            holds = sorted({hold.value for skip in group for hold in skip.holds})
            reasons = list(dict.fromkeys(skip.reason for skip in group))
            reason = "; ".join(reasons[:_REASONS_KEPT])
            if len(reasons) > _REASONS_KEPT:
                reason += f"; and {len(reasons) - _REASONS_KEPT} more"
            rows.append(
                (
                    creditor_id,
                    ids[debtor],
                    step,
                    kind,
                    ",".join(holds),
                    json.dumps(documents),
                    reason,
                    day,
                    day,
                    run_id,
                )
            )
        driver_executemany(self._session, _UPSERT_SKIP, rows)
        return len(rows)

    def get(self, creditor: str, run_id: int) -> CycleRun:
        found = self.list_all(creditor, run_id=run_id)
        if not found:
            raise NotFoundError(f"creditor {creditor} has no cycle run {run_id}")
        return found[0]

    def list_all(
        self, creditor: str, *, as_of: date | None = None, run_id: int | None = None, limit: int | None = None
    ) -> list[CycleRun]:
        """Runs, the latest first; only those as of a day with `as_of`."""
        query = select(CycleRunRecord).where(CycleRunRecord.creditor_id == self._creditor_id(creditor))
        if as_of is not None:
            query = query.where(CycleRunRecord.as_of == as_of)
        if run_id is not None:
            query = query.where(CycleRunRecord.id == run_id)
        query = query.order_by(CycleRunRecord.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [_run(creditor, record) for record in self._session.scalars(query)]

    def skips(self, creditor: str, *, debtor: str | None = None) -> list[StoredSkip]:
        """Compacted skips by debtor, then the day they were first seen."""
        creditor_id = self._creditor_id(creditor)
        query = (
            select(SkipRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == SkipRecord.debtor_id)
            .where(SkipRecord.creditor_id == creditor_id)
        )
        if debtor is not None:
            query = query.where(SkipRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        query = query.order_by(DebtorRecord.account_code, SkipRecord.first_on, SkipRecord.id)
        return [
            StoredSkip(
                debtor=code,
                step=record.step or None,
                kind=SkipKind(record.kind),
                holds=tuple(HoldReason(value) for value in record.holds.split(",") if value),
                documents=tuple(json.loads(record.documents)),
                reason=record.reason,
                first_on=record.first_on,
                last_on=record.last_on,
                days=record.days,
            )
            for record, code in self._session.execute(query).all()
        ]


def _run(creditor: str, record: CycleRunRecord) -> CycleRun:
    started = aware(record.started_at)
    assert started is not None
    return CycleRun(
        id=record.id,
        creditor=creditor,
        as_of=record.as_of,
        started_at=started,
        finished_at=aware(record.finished_at),
        run_by=record.run_by,
        policy_name=record.policy_name,
        policy_version=record.policy_version,
        service_on=record.service_on,
        planned=record.planned,
        awaiting_approval=record.awaiting_approval,
        already_recorded=record.already_recorded,
        skipped=record.skipped,
        summary=json.loads(record.summary),
    )
