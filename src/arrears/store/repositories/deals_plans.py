"""Payment plans and settlements in the store (part of `uow.deals`, see `deals.py`)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import select, update

from arrears.core.instalments import Frequency, Instalment
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan
from arrears.core.settlements import Settlement
from arrears.store.repositories._common import IN_CHUNK, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.repositories.deals_base import DealListing, DealTables, StatedDealFilters
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


# A plan's end (the grace after its last instalment) is date arithmetic, checked in `plans`.
PLANS = DealListing(
    PaymentPlanRecord,
    started=PaymentPlanRecord.agreed_on,
    in_force=lambda day: [PaymentPlanRecord.agreed_on <= day],
)
SETTLEMENTS = DealListing(
    SettlementRecord,
    started=SettlementRecord.agreed_on,
    in_force=lambda day: [SettlementRecord.agreed_on <= day, SettlementRecord.deadline >= day],
)


class PlanAndSettlementTables(DealTables):
    # --- payment plans --------------------------------------------------------------------------

    def add_plan(
        self, creditor: str, plan: PaymentPlan, *, state: str, decision: str, by: str, at: datetime
    ) -> StoredPlan:
        creditor_id, debtor_id, document_ids = self._new_deal(
            creditor, PaymentPlanRecord, plan, "payment plan"
        )
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
        ids = [document_ids[number] for number in plan.documents]
        self._add_with_documents(record, PlanDocumentRecord, "plan_id", ids, ordered=True)
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
        return self._only(self.plans(creditor, references=[reference]), creditor, "payment plan", reference)

    def plans(self, creditor: str, **filters: Unpack[StatedDealFilters]) -> list[StoredPlan]:
        """Plans by debtor then day agreed; `in_force_on`: agreed by then, and the day is not
        after the grace of the last instalment (the plan may still hold)."""
        creditor_id = self._creditor_id(creditor)
        found_rows = self._session.execute(self._deal_query(PLANS, creditor, creditor_id, **filters)).all()
        day = filters.get("in_force_on")
        rows = [
            (record, code)
            for record, code in found_rows
            if day is None or day <= record.last_due_on + timedelta(days=record.grace_days)
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
        creditor_id, debtor_id, document_ids = self._new_deal(
            creditor, SettlementRecord, settlement, "settlement"
        )
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
        ids = [document_ids[number] for number in settlement.documents]
        self._add_with_documents(record, SettlementDocumentRecord, "settlement_id", ids, ordered=True)
        return StoredSettlement(settlement, state, None, None, decision, by, at)

    def settlement(self, creditor: str, reference: str) -> StoredSettlement:
        found = self.settlements(creditor, references=[reference])
        return self._only(found, creditor, "settlement", reference)

    def settlements(self, creditor: str, **filters: Unpack[StatedDealFilters]) -> list[StoredSettlement]:
        creditor_id = self._creditor_id(creditor)
        rows = self._session.execute(self._deal_query(SETTLEMENTS, creditor, creditor_id, **filters)).all()
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
