"""Payment plans and settlements in the store (part of `uow.deals`, see `deals.py`)."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update

from arrears.core.errors import NotFoundError
from arrears.core.instalments import Frequency, Instalment
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan
from arrears.core.settlements import Settlement
from arrears.store.repositories._common import IN_CHUNK, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.repositories.deals_base import DealTables
from arrears.store.tables import DebtorRecord
from arrears.store.tables_deals import (
    PaymentPlanRecord,
    PlanDocumentRecord,
    PlanInstalmentRecord,
    SettlementDocumentRecord,
    SettlementRecord,
)


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A plan, its recorded state, why it needed approval (`decision`) and the reminders recorded
    (instalment number -> day)."""

    plan: PaymentPlan
    state: str
    state_on: date | None
    decision: str
    created_by: str
    created_at: datetime
    reminded: dict[int, date] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredSettlement:
    settlement: Settlement
    state: str
    state_on: date | None
    closed_on: date | None
    decision: str
    created_by: str
    created_at: datetime


class PlanAndSettlementTables(DealTables):
    # --- payment plans --------------------------------------------------------------------------

    def add_plan(
        self, creditor: str, plan: PaymentPlan, *, state: str, decision: str, by: str, at: datetime
    ) -> StoredPlan:
        creditor_id = self._creditor_id(creditor)
        self._check_creditor(creditor, plan.creditor, f"payment plan {plan.reference}")
        debtor_id = self._debtor_id(creditor, creditor_id, plan.debtor)
        document_ids = self.document_ids(creditor, plan.debtor, plan.documents)
        self._unique(PaymentPlanRecord, creditor_id, plan.reference, "payment plan")
        record = PaymentPlanRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            reference=plan.reference,
            frequency=plan.frequency.value,
            currency=plan.currency,
            total_minor=plan.total.to_minor_units(),
            agreed_on=plan.agreed_on,
            first_due_on=plan.first_due_on,
            last_due_on=plan.last_due_on,
            grace_days=plan.grace_days,
            reminder_days_before=plan.reminder_days_before,
            interest_frozen=plan.interest_frozen,
            approved_by=None if plan.approved_by is None else plan.approved_by[:100],
            decision=decision,
            state=state,
            state_on=None,
            created_by=by[:100],
            created_at=at,
        )
        self._session.add(record)
        self._session.flush()
        self._session.add_all(
            PlanDocumentRecord(
                plan_id=record.id, document_id=document_ids[number], creditor_id=creditor_id, position=n
            )
            for n, number in enumerate(plan.documents)
        )
        self._session.add_all(
            PlanInstalmentRecord(
                plan_id=record.id,
                number=instalment.number,
                creditor_id=creditor_id,
                due_on=instalment.due_on,
                amount_minor=instalment.amount.to_minor_units(),
                reminded_on=None,
            )
            for instalment in plan.instalments
        )
        self._session.flush()
        return StoredPlan(plan, state, None, decision, by, at)

    def plan(self, creditor: str, reference: str) -> StoredPlan:
        found = self.plans(creditor, references=[reference])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no payment plan {reference!r}")
        return found[0]

    def plans(
        self,
        creditor: str,
        *,
        debtor: str | None = None,
        states: Collection[str] | None = None,
        in_force_on: date | None = None,
        references: Sequence[str] | None = None,
    ) -> list[StoredPlan]:
        """Plans by debtor then day agreed; `in_force_on`: agreed by then, and the day is not
        after the grace of the last instalment (the plan may still hold)."""
        creditor_id = self._creditor_id(creditor)
        conditions: list[ColumnElement[bool]] = [PaymentPlanRecord.creditor_id == creditor_id]
        if debtor is not None:
            conditions.append(PaymentPlanRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if states is not None:
            conditions.append(PaymentPlanRecord.state.in_(list(states)))
        if references is not None:
            conditions.append(PaymentPlanRecord.reference.in_(list(references)))
        if in_force_on is not None:
            conditions.append(PaymentPlanRecord.agreed_on <= in_force_on)
        found_rows = self._session.execute(
            select(PaymentPlanRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == PaymentPlanRecord.debtor_id)
            .where(*conditions)
            .order_by(DebtorRecord.account_code, PaymentPlanRecord.agreed_on, PaymentPlanRecord.id)
        ).all()
        rows = [
            (record, code)
            for record, code in found_rows
            if in_force_on is None or in_force_on <= record.last_due_on + timedelta(days=record.grace_days)
        ]
        ids = [record.id for record, _ in rows]
        numbers = self._child_numbers(
            PlanDocumentRecord, PlanDocumentRecord.plan_id, creditor_id, ids, ordered=True
        )
        instalments: dict[int, list[PlanInstalmentRecord]] = {}
        for chunk in chunks(ids, IN_CHUNK):
            for instalment in self._session.scalars(
                select(PlanInstalmentRecord)
                .where(
                    PlanInstalmentRecord.creditor_id == creditor_id, PlanInstalmentRecord.plan_id.in_(chunk)
                )
                .order_by(PlanInstalmentRecord.plan_id, PlanInstalmentRecord.number)
            ):
                instalments.setdefault(instalment.plan_id, []).append(instalment)
        found = []
        for record, account_code in rows:
            created = aware(record.created_at)
            assert created is not None
            own = instalments.get(record.id, [])
            plan = PaymentPlan(
                reference=record.reference,
                creditor=creditor,
                debtor=account_code,
                documents=tuple(numbers.get(record.id, ())),
                frequency=Frequency(record.frequency),
                instalments=tuple(
                    Instalment(i.number, i.due_on, Money.from_minor_units(i.amount_minor, record.currency))
                    for i in own
                ),
                agreed_on=record.agreed_on,
                interest_frozen=record.interest_frozen,
                grace_days=record.grace_days,
                reminder_days_before=record.reminder_days_before,
                approved_by=record.approved_by,
            )
            reminded = {i.number: i.reminded_on for i in own if i.reminded_on is not None}
            found.append(
                StoredPlan(
                    plan, record.state, record.state_on, record.decision, record.created_by, created, reminded
                )
            )
        return found

    def set_plan_state(
        self, creditor: str, reference: str, state: str, on: date | None, *, approved_by: str | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state, "state_on": on}
        if approved_by is not None:
            values["approved_by"] = approved_by[:100]
        self._set(PaymentPlanRecord, creditor, reference, "payment plan", **values)

    def mark_reminded(self, creditor: str, reference: str, number: int, on: date) -> bool:
        """Record the reminder of instalment `number`; False when it was recorded already."""
        creditor_id = self._creditor_id(creditor)
        plan_id = self._id_of(PaymentPlanRecord, creditor_id, reference, "payment plan", creditor)
        result = self._session.execute(
            update(PlanInstalmentRecord)
            .where(
                PlanInstalmentRecord.creditor_id == creditor_id,
                PlanInstalmentRecord.plan_id == plan_id,
                PlanInstalmentRecord.number == number,
                PlanInstalmentRecord.reminded_on.is_(None),
            )
            .values(reminded_on=on)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- settlements ----------------------------------------------------------------------------

    def add_settlement(
        self, creditor: str, settlement: Settlement, *, state: str, decision: str, by: str, at: datetime
    ) -> StoredSettlement:
        creditor_id = self._creditor_id(creditor)
        self._check_creditor(creditor, settlement.creditor, f"settlement {settlement.reference}")
        debtor_id = self._debtor_id(creditor, creditor_id, settlement.debtor)
        document_ids = self.document_ids(creditor, settlement.debtor, settlement.documents)
        self._unique(SettlementRecord, creditor_id, settlement.reference, "settlement")
        record = SettlementRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            reference=settlement.reference,
            currency=settlement.amount.currency,
            balance_minor=settlement.balance.to_minor_units(),
            amount_minor=settlement.amount.to_minor_units(),
            agreed_on=settlement.agreed_on,
            pay_by=settlement.pay_by,
            grace_days=settlement.grace_days,
            deadline=settlement.deadline,
            approved_by=None if settlement.approved_by is None else settlement.approved_by[:100],
            decision=decision,
            note=settlement.note,
            state=state,
            state_on=None,
            closed_on=None,
            created_by=by[:100],
            created_at=at,
        )
        self._session.add(record)
        self._session.flush()
        self._session.add_all(
            SettlementDocumentRecord(
                settlement_id=record.id, document_id=document_ids[number], creditor_id=creditor_id, position=n
            )
            for n, number in enumerate(settlement.documents)
        )
        self._session.flush()
        return StoredSettlement(settlement, state, None, None, decision, by, at)

    def settlement(self, creditor: str, reference: str) -> StoredSettlement:
        found = self.settlements(creditor, references=[reference])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no settlement {reference!r}")
        return found[0]

    def settlements(
        self,
        creditor: str,
        *,
        debtor: str | None = None,
        states: Collection[str] | None = None,
        in_force_on: date | None = None,
        references: Sequence[str] | None = None,
    ) -> list[StoredSettlement]:
        creditor_id = self._creditor_id(creditor)
        conditions: list[ColumnElement[bool]] = [SettlementRecord.creditor_id == creditor_id]
        if debtor is not None:
            conditions.append(SettlementRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if states is not None:
            conditions.append(SettlementRecord.state.in_(list(states)))
        if in_force_on is not None:
            conditions += [
                SettlementRecord.agreed_on <= in_force_on,
                SettlementRecord.deadline >= in_force_on,
            ]
        if references is not None:
            conditions.append(SettlementRecord.reference.in_(list(references)))
        rows = self._session.execute(
            select(SettlementRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == SettlementRecord.debtor_id)
            .where(*conditions)
            .order_by(DebtorRecord.account_code, SettlementRecord.agreed_on, SettlementRecord.id)
        ).all()
        numbers = self._child_numbers(
            SettlementDocumentRecord,
            SettlementDocumentRecord.settlement_id,
            creditor_id,
            [r.id for r, _ in rows],
            ordered=True,
        )
        found = []
        for record, account_code in rows:
            created = aware(record.created_at)
            assert created is not None
            settlement = Settlement(
                reference=record.reference,
                creditor=creditor,
                debtor=account_code,
                documents=tuple(numbers.get(record.id, ())),
                balance=Money.from_minor_units(record.balance_minor, record.currency),
                amount=Money.from_minor_units(record.amount_minor, record.currency),
                agreed_on=record.agreed_on,
                pay_by=record.pay_by,
                grace_days=record.grace_days,
                approved_by=record.approved_by,
                note=record.note,
            )
            found.append(
                StoredSettlement(
                    settlement,
                    record.state,
                    record.state_on,
                    record.closed_on,
                    record.decision,
                    record.created_by,
                    created,
                )
            )
        return found

    def set_settlement_state(
        self,
        creditor: str,
        reference: str,
        state: str,
        on: date | None,
        *,
        approved_by: str | None = None,
        closed_on: date | None = None,
    ) -> None:
        values: dict[str, Any] = {"state": state, "state_on": on}
        if approved_by is not None:
            values["approved_by"] = approved_by[:100]
        if closed_on is not None:
            values["closed_on"] = closed_on
        self._set(SettlementRecord, creditor, reference, "settlement", **values)
