"""Agree a settlement: a lower sum accepted in full and final settlement of open invoices.

Within the creditor's pre-agreed largest discount (`DealRules.max_settlement_discount_percent`)
it is accepted at once; beyond it, it waits for the SME (`approve_settlement`,
`reject_settlement`). While the money is awaited it holds its invoices like a promise. When the
agreed sum is paid (by the pay-by date plus grace), the review
(`arrears.services.deal_review`) writes off the rest of each invoice with the reason
`settlement` and the settlement's approver; if the grace ends short of it, it lapses and the
whole balance is owed again.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from arrears.core.deal_rules import Decision
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.core.settlements import Settlement, SettlementStatus, approve_settlement, offer_settlement
from arrears.services.deal_book import check_no_live_deal, judge_settlements
from arrears.services.deal_rules import rules_in_force
from arrears.services.payment_plans import plan_documents
from arrears.store.unit_of_work import UnitOfWork


class SettlementRefused(ArrearsError, ValueError):
    """A settlement that cannot be agreed or decided as asked."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SettlementAgreed:
    settlement: Settlement
    decision: Decision


@dataclass(frozen=True, slots=True)
class SettlementView:
    settlement: Settlement
    recorded_state: str
    closed_on: date | None
    status: SettlementStatus | None  # None for a rejected settlement


def agree_settlement(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    amount: Money,
    *,
    pay_by: date,
    agreed_on: date,
    by: str,
    documents: Iterable[str] | None = None,
    note: str = "",
    reference: str | None = None,
    now: Callable[[], datetime] = _now,
) -> SettlementAgreed:
    """Record a settlement of the debtor's open invoices (all in its currency, unless named)
    for `amount`, accepted or awaiting the creditor's approval under its rules."""
    with uow:
        uow.creditors.lock(creditor)
        covered = plan_documents(uow, creditor, debtor, documents)
        check_no_live_deal(uow, creditor, debtor, [d.number for d in covered], agreed_on, what="settlement")
        proposal = offer_settlement(
            reference or uow.deals.next_reference(creditor, "settlement"),
            covered,
            amount,
            agreed_on=agreed_on,
            pay_by=pay_by,
            rules=rules_in_force(uow, creditor),
            note=note,
        )
        state = "pending" if proposal.decision.accepted else "awaiting_approval"
        uow.deals.add_settlement(
            creditor, proposal.settlement, state=state, decision=proposal.decision.describe(), by=by, at=now()
        )
        uow.commit()
    return SettlementAgreed(proposal.settlement, proposal.decision)


def approve_settlement_offer(
    uow: UnitOfWork, creditor: str, reference: str, *, by: str, on: date
) -> Settlement:
    """The creditor's user `by` approves a settlement beyond its pre-agreed discount (if the money
    was already paid, the next review writes off the rest)."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.deals.settlement(creditor, reference)
        if stored.settlement.approved_by is not None or stored.state in ("rejected", "lapsed"):
            raise SettlementRefused(
                f"settlement {reference} is {stored.state.replace('_', ' ')}; there is nothing to approve"
            )
        settlement = approve_settlement(stored.settlement, by)
        state = "paid" if stored.state == "paid" else "pending"
        uow.deals.set_settlement_state(creditor, reference, state, stored.state_on, approved_by=by)
        uow.commit()
    return settlement


def reject_settlement(uow: UnitOfWork, creditor: str, reference: str, *, by: str, on: date) -> Settlement:
    """The creditor refuses a settlement awaiting its approval: the full balance is owed and the
    ladder resumes."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.deals.settlement(creditor, reference)
        if stored.settlement.approved_by is not None or stored.state in ("rejected", "lapsed"):
            raise SettlementRefused(
                f"settlement {reference} is {stored.state.replace('_', ' ')}, not awaiting approval"
            )
        uow.deals.set_settlement_state(creditor, reference, "rejected", on)
        uow.commit()
    return stored.settlement


def list_settlements(
    uow: UnitOfWork, creditor: str, as_of: date, *, debtor: str | None = None
) -> list[SettlementView]:
    with uow:
        stored = uow.deals.settlements(creditor, debtor=debtor)
        live = [s for s in stored if s.state != "rejected"]
        judged = {
            s.settlement.reference: status for s, status in judge_settlements(uow, creditor, live, as_of)
        }
    return [
        SettlementView(s.settlement, s.state, s.closed_on, judged.get(s.settlement.reference)) for s in stored
    ]
