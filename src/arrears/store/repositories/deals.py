"""Deals with debtors: the creditor's deal rules, promises to pay, payment plans, settlements
and fees (disputes and write-offs are in `deals_disputes` and `deals_write_offs`).

Deals are stored as the core agreed them (`arrears.core.promises.Promise`, `plans.PaymentPlan`,
`settlements.Settlement`) with the state the last review found. The state column serves lists
and reports; services judge a deal from the allocations with the core's status functions, so a
review that has not run yet never makes a hold wrong.
"""

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import aliased

from arrears.core.deal_rules import DealRules
from arrears.core.deal_rules_format import rules_from_dict, rules_to_dict
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.instalments import Frequency, Instalment
from arrears.core.ledger import Allocation
from arrears.core.money import Money
from arrears.core.plans import PaymentPlan
from arrears.core.promises import Promise, PromiseChannel
from arrears.core.settlements import Settlement
from arrears.core.terms import Fee
from arrears.store.errors import DuplicateError, WrongCreditorError
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.tables import AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_deals import (
    DealRulesRecord,
    DisputeRecord,
    FeeRecord,
    PaymentPlanRecord,
    PlanDocumentRecord,
    PlanInstalmentRecord,
    PromiseDocumentRecord,
    PromiseRecord,
    SettlementDocumentRecord,
    SettlementRecord,
)


class DealStoreError(ArrearsError, ValueError):
    """A deal that cannot be stored as asked (documents of another debtor, a reference in use)."""


REFERENCE_PREFIXES = {"promise": "P", "plan": "PP", "settlement": "S", "dispute": "D", "fee": "F"}


@dataclass(frozen=True, slots=True)
class StoredRules:
    version: int
    rules: DealRules
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class StoredPromise:
    """A promise and the state the last review recorded (`state_on`: the day kept or broken)."""

    promise: Promise
    state: str
    state_on: date | None
    created_at: datetime


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


class DealRepository(Repository):
    # --- rules ------------------------------------------------------------------------------

    def set_rules(self, creditor: str, rules: DealRules, *, by: str, at: datetime) -> StoredRules:
        """Record a new version of the creditor's deal rules (the old ones stay as history)."""
        creditor_id = self._creditor_id(creditor)
        latest = self._session.scalar(
            select(func.max(DealRulesRecord.version)).where(DealRulesRecord.creditor_id == creditor_id)
        )
        version = (latest or 0) + 1
        self._session.add(
            DealRulesRecord(
                creditor_id=creditor_id,
                version=version,
                body=json.dumps(rules_to_dict(rules), sort_keys=True),
                created_at=at,
                created_by=by[:100],
            )
        )
        self._session.flush()
        return StoredRules(version, rules, at, by)

    def rules(self, creditor: str) -> StoredRules | None:
        """The creditor's current deal rules (the latest version), or None when it set none."""
        history = self._rules(creditor, latest_only=True)
        return history[0] if history else None

    def rules_history(self, creditor: str) -> list[StoredRules]:
        """Every version of the creditor's rules, newest first."""
        return self._rules(creditor, latest_only=False)

    def _rules(self, creditor: str, *, latest_only: bool) -> list[StoredRules]:
        query = (
            select(DealRulesRecord)
            .where(DealRulesRecord.creditor_id == self._creditor_id(creditor))
            .order_by(DealRulesRecord.version.desc())
        )
        if latest_only:
            query = query.limit(1)
        found = []
        for record in self._session.scalars(query):
            created = aware(record.created_at)
            assert created is not None
            rules = rules_from_dict(json.loads(record.body), f"deal rules v{record.version} of {creditor}")
            found.append(StoredRules(record.version, rules, created, record.created_by))
        return found

    # --- references ---------------------------------------------------------------------------

    def next_reference(self, creditor: str, kind: str) -> str:
        """The next free reference for a deal of `kind` (promise, plan, settlement, dispute, fee):
        'P-00001', 'PP-00001', ... Take the creditor lock first when two processes may add deals."""
        tables: dict[str, Any] = {
            "promise": PromiseRecord,
            "plan": PaymentPlanRecord,
            "settlement": SettlementRecord,
            "dispute": DisputeRecord,
            "fee": FeeRecord,
        }
        table = tables[kind]
        prefix = REFERENCE_PREFIXES[kind]
        creditor_id = self._creditor_id(creditor)
        count = self._session.scalar(
            select(func.count()).select_from(table).where(table.creditor_id == creditor_id)
        )
        number = (count or 0) + 1
        while True:
            reference = f"{prefix}-{number:05d}"
            taken = self._session.scalar(
                select(table.id).where(table.creditor_id == creditor_id, table.reference == reference)
            )
            if taken is None:
                return reference
            number += 1

    # --- promises -----------------------------------------------------------------------------

    def add_promise(self, creditor: str, promise: Promise, *, at: datetime) -> StoredPromise:
        creditor_id = self._creditor_id(creditor)
        self._check_creditor(creditor, promise.creditor, f"promise {promise.reference}")
        debtor_id = self._debtor_id(creditor, creditor_id, promise.debtor)
        document_ids = self.document_ids(creditor, promise.debtor, promise.documents)
        self._unique(PromiseRecord, creditor_id, promise.reference, "promise")
        record = PromiseRecord(
            creditor_id=creditor_id,
            debtor_id=debtor_id,
            reference=promise.reference,
            currency=promise.amount.currency,
            amount_minor=promise.amount.to_minor_units(),
            made_on=promise.made_on,
            promised_on=promise.promised_on,
            grace_days=promise.grace_days,
            deadline=promise.deadline,
            channel=promise.channel.value,
            taken_by=promise.taken_by[:100],
            note=promise.note,
            state="pending",
            state_on=None,
            created_at=at,
        )
        self._session.add(record)
        self._session.flush()
        self._session.add_all(
            PromiseDocumentRecord(promise_id=record.id, document_id=document_id, creditor_id=creditor_id)
            for document_id in document_ids.values()
        )
        self._session.flush()
        return StoredPromise(promise, "pending", None, at)

    def promise(self, creditor: str, reference: str) -> StoredPromise:
        found = self.promises(creditor, references=[reference])
        if not found:
            raise NotFoundError(f"creditor {creditor} has no promise {reference!r}")
        return found[0]

    def promises(
        self,
        creditor: str,
        *,
        debtor: str | None = None,
        states: Collection[str] | None = None,
        in_force_on: date | None = None,
        references: Sequence[str] | None = None,
    ) -> list[StoredPromise]:
        """Promises by debtor then day made; `in_force_on`: made by then, deadline not passed."""
        creditor_id = self._creditor_id(creditor)
        conditions: list[ColumnElement[bool]] = [PromiseRecord.creditor_id == creditor_id]
        if debtor is not None:
            conditions.append(PromiseRecord.debtor_id == self._debtor_id(creditor, creditor_id, debtor))
        if states is not None:
            conditions.append(PromiseRecord.state.in_(list(states)))
        if in_force_on is not None:
            conditions += [PromiseRecord.made_on <= in_force_on, PromiseRecord.deadline >= in_force_on]
        if references is not None:
            conditions.append(PromiseRecord.reference.in_(list(references)))
        rows = self._session.execute(
            select(PromiseRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == PromiseRecord.debtor_id)
            .where(*conditions)
            .order_by(DebtorRecord.account_code, PromiseRecord.made_on, PromiseRecord.id)
        ).all()
        numbers = self._child_numbers(
            PromiseDocumentRecord, PromiseDocumentRecord.promise_id, creditor_id, [r.id for r, _ in rows]
        )
        found = []
        for record, account_code in rows:
            created = aware(record.created_at)
            assert created is not None
            promise = Promise(
                reference=record.reference,
                creditor=creditor,
                debtor=account_code,
                amount=Money.from_minor_units(record.amount_minor, record.currency),
                promised_on=record.promised_on,
                made_on=record.made_on,
                channel=PromiseChannel(record.channel),
                documents=frozenset(numbers.get(record.id, ())),
                grace_days=record.grace_days,
                taken_by=record.taken_by,
                note=record.note,
            )
            found.append(StoredPromise(promise, record.state, record.state_on, created))
        return found

    def set_promise_state(self, creditor: str, reference: str, state: str, on: date | None) -> None:
        self._set(PromiseRecord, creditor, reference, "promise", state=state, state_on=on)

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

    # --- fees -----------------------------------------------------------------------------------

    def add_fee(self, creditor: str, fee: Fee, *, invoice: str, by: str) -> None:
        """Record a fee and the ledger invoice (already added) it became."""
        creditor_id = self._creditor_id(creditor)
        self._check_creditor(creditor, fee.creditor, f"fee {fee.reference}")
        debtor_id = self._debtor_id(creditor, creditor_id, fee.debtor)
        document_id = self.document_ids(creditor, fee.debtor, [invoice])[invoice]
        self._unique(FeeRecord, creditor_id, fee.reference, "fee")
        self._session.add(
            FeeRecord(
                creditor_id=creditor_id,
                debtor_id=debtor_id,
                document_id=document_id,
                reference=fee.reference,
                kind=fee.kind.value,
                currency=fee.amount.currency,
                amount_minor=fee.amount.to_minor_units(),
                charged_on=fee.charged_on,
                note=fee.note,
                created_by=by[:100],
            )
        )
        self._session.flush()

    # --- cash toward deals ------------------------------------------------------------------------

    def allocations_for(
        self,
        creditor: str,
        *,
        documents: Iterable[str] = (),
        debtors: Iterable[str] = (),
        since: date | None = None,
    ) -> list[Allocation]:
        """Allocations (cash and credit notes) to the invoices `documents` or to any invoice of
        `debtors`, dated `since` or later, by date; in bulk, for judging many deals at once."""
        creditor_id = self._creditor_id(creditor)
        invoice = aliased(DocumentRecord)
        note = aliased(DocumentRecord)
        owner = aliased(DebtorRecord)
        base = (
            select(
                invoice.number,
                AllocationRecord.amount_minor,
                AllocationRecord.currency,
                AllocationRecord.allocated_on,
                PaymentRecord.reference,
                note.number,
                AllocationRecord.id,
            )
            .join(invoice, invoice.id == AllocationRecord.document_id)
            .outerjoin(PaymentRecord, PaymentRecord.id == AllocationRecord.payment_id)
            .outerjoin(note, note.id == AllocationRecord.credit_note_id)
            .where(AllocationRecord.creditor_id == creditor_id)
        )
        if since is not None:
            base = base.where(AllocationRecord.allocated_on >= since)
        rows: dict[int, Any] = {}
        for chunk in chunks(sorted(set(documents)), IN_CHUNK):
            for row in self._session.execute(
                base.where(invoice.number.in_(chunk), invoice.kind == "invoice")
            ):
                rows[row[-1]] = row
        codes = sorted(set(debtors))
        if codes:
            for chunk in chunks(codes, IN_CHUNK):
                query = base.join(owner, owner.id == invoice.debtor_id).where(owner.account_code.in_(chunk))
                for row in self._session.execute(query):
                    rows[row[-1]] = row
        ordered = sorted(rows.values(), key=lambda row: (row[3], row[-1]))
        return [
            Allocation(
                creditor=creditor,
                document=number,
                amount=Money.from_minor_units(amount, currency),
                allocated_on=allocated_on,
                payment=reference,
                credit_note=note_number,
            )
            for number, amount, currency, allocated_on, reference, note_number, _ in ordered
        ]

    # --- helpers ----------------------------------------------------------------------------------

    def document_ids(self, creditor: str, debtor: str, numbers: Iterable[str]) -> dict[str, int]:
        """Invoice number -> id for invoices of `debtor`; an unknown number, or one on another
        account, is an error naming it."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        found: dict[str, tuple[int, int]] = {}
        for chunk in chunks(wanted, IN_CHUNK):
            for number, document_id, owner in self._session.execute(
                select(DocumentRecord.number, DocumentRecord.id, DocumentRecord.debtor_id).where(
                    DocumentRecord.creditor_id == creditor_id,
                    DocumentRecord.kind == "invoice",
                    DocumentRecord.number.in_(chunk),
                )
            ):
                found[number] = (document_id, owner)
        ids: dict[str, int] = {}
        for number in wanted:
            if number not in found:
                raise NotFoundError(f"creditor {creditor} has no invoice {number!r}")
            document_id, owner = found[number]
            if owner != debtor_id:
                raise DealStoreError(f"invoice {number} is not on account {debtor}")
            ids[number] = document_id
        return ids

    def _child_numbers(
        self, table: Any, parent: Any, creditor_id: int, ids: list[int], *, ordered: bool = False
    ) -> dict[int, list[str]]:
        numbers: dict[int, list[tuple[int, str]]] = {}
        for chunk in chunks(ids, IN_CHUNK):
            query = (
                select(parent, DocumentRecord.number, table.position if ordered else DocumentRecord.number)
                .join(DocumentRecord, DocumentRecord.id == table.document_id)
                .where(table.creditor_id == creditor_id, parent.in_(chunk))
            )
            for parent_id, number, position in self._session.execute(query):
                numbers.setdefault(parent_id, []).append((position, number))
        return {key: [number for _, number in sorted(values)] for key, values in numbers.items()}

    @staticmethod
    def _check_creditor(creditor: str, owner: str, what: str) -> None:
        if owner != creditor:
            raise WrongCreditorError(f"{what} belongs to creditor {owner}, not {creditor}")

    def _unique(self, table: Any, creditor_id: int, reference: str, what: str) -> None:
        if self._session.scalar(
            select(table.id).where(table.creditor_id == creditor_id, table.reference == reference)
        ):
            raise DuplicateError(f"{what} {reference} exists already; choose another reference")

    def _id_of(self, table: Any, creditor_id: int, reference: str, what: str, creditor: str) -> int:
        found = self._session.scalar(
            select(table.id).where(table.creditor_id == creditor_id, table.reference == reference)
        )
        if found is None:
            raise NotFoundError(f"creditor {creditor} has no {what} {reference!r}")
        return int(found)

    def _set(self, table: Any, creditor: str, reference: str, what: str, **values: Any) -> None:
        creditor_id = self._creditor_id(creditor)
        record_id = self._id_of(table, creditor_id, reference, what, creditor)
        self._session.execute(
            update(table).where(table.creditor_id == creditor_id, table.id == record_id).values(**values)
        )
