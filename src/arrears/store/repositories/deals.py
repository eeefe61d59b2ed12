"""Deals with debtors: the creditor's deal rules, promises to pay, payment plans, settlements
and fees (plans and settlements are in `deals_plans`, disputes and write-offs in
`deals_disputes` and `deals_write_offs`).

Deals are stored as the core agreed them (`arrears.core.promises.Promise`, `plans.PaymentPlan`,
`settlements.Settlement`) with the state the last review found. The state column serves lists
and reports; services judge a deal from the allocations with the core's status functions, so a
review that has not run yet never makes a hold wrong.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Unpack

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from arrears.core.deal_rules import DealRules
from arrears.core.deal_rules_format import rules_from_dict, rules_to_dict
from arrears.core.ledger import Allocation
from arrears.core.money import Money
from arrears.core.promises import Promise, PromiseChannel
from arrears.core.terms import Fee
from arrears.store.repositories._common import IN_CHUNK, chunks
from arrears.store.repositories.collections_policies import aware
from arrears.store.repositories.deals_base import (
    REFERENCE_PREFIXES,
    DealListing,
    DealStoreError,
    DealTables,
    StatedDealFilters,
)
from arrears.store.repositories.deals_plans import PlanAndSettlementTables, StoredPlan, StoredSettlement
from arrears.store.tables import AllocationRecord, DebtorRecord, DocumentRecord, PaymentRecord
from arrears.store.tables_deals import (
    DealRulesRecord,
    DisputeRecord,
    FeeRecord,
    PaymentPlanRecord,
    PromiseDocumentRecord,
    PromiseRecord,
    SettlementRecord,
)


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


PROMISES = DealListing(
    PromiseRecord,
    started=PromiseRecord.made_on,
    in_force=lambda day: [PromiseRecord.made_on <= day, PromiseRecord.deadline >= day],
)


class DealRepository(PlanAndSettlementTables):
    """Deal rules, promises, plans and settlements (`deals_plans`), fees, and the cash toward them."""

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
        creditor_id, debtor_id, document_ids = self._new_deal(creditor, PromiseRecord, promise, "promise")
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
        self._add_with_documents(
            record, PromiseDocumentRecord, "promise_id", list(document_ids.values()), ordered=False
        )
        return StoredPromise(promise, "pending", None, at)

    def promise(self, creditor: str, reference: str) -> StoredPromise:
        return self._only(self.promises(creditor, references=[reference]), creditor, "promise", reference)

    def promises(self, creditor: str, **filters: Unpack[StatedDealFilters]) -> list[StoredPromise]:
        """Promises by debtor then day made; `in_force_on`: made by then, deadline not passed."""
        creditor_id = self._creditor_id(creditor)
        rows = self._session.execute(self._deal_query(PROMISES, creditor, creditor_id, **filters)).all()
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


__all__ = [
    "REFERENCE_PREFIXES",
    "DealRepository",
    "DealStoreError",
    "DealTables",
    "StoredPlan",
    "StoredPromise",
    "StoredRules",
    "StoredSettlement",
]
