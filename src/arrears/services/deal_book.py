"""The deals in force on a day, judged from the cash, in one read: what the cycle, the review,
the matcher and the worklist need to know about promises, plans, settlements and disputes.

Everything here works inside a unit of work the caller has opened (the cycle reads holds inside
its own transaction), and writes nothing. Each deal's state is computed with the core's status
functions from the allocations as they stand (`promise_status`, `plan_status`,
`settlement_status`); the state a review recorded is not trusted, so holds are right even on a
day no review has run.

- `load_deal_book(uow, creditor, as_of)`: the deals that may hold on `as_of` with their status;
- `deal_holds(uow, creditor, as_of)`: their holds, for the planner;
- `broken_promises(uow, creditor, as_of)`: promises broken by `as_of`, per debtor, for the worklist;
- `check_no_live_deal(...)`: refuse a second live deal on the same documents.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.holds import Hold
from arrears.core.ledger import Allocation, Document, Payment
from arrears.core.matching import ExpectedPayment
from arrears.core.plans import PlanState, PlanStatus, plan_status
from arrears.core.promises import PromiseState, PromiseStatus, promise_status
from arrears.core.settlements import SettlementState, SettlementStatus, settlement_status
from arrears.store.repositories import StoredDispute, StoredPlan, StoredPromise, StoredSettlement
from arrears.store.unit_of_work import UnitOfWork

CLOSED_PLAN_STATES = frozenset({"rejected"})
CLOSED_SETTLEMENT_STATES = frozenset({"rejected"})


class DealConflictError(ArrearsError, ValueError):
    """A deal on documents another live deal already covers."""


@dataclass(frozen=True, slots=True)
class DealBook:
    """The creditor's deals that may hold on `as_of`, each with its status as of that day."""

    as_of: date
    promises: tuple[tuple[StoredPromise, PromiseStatus], ...] = ()
    plans: tuple[tuple[StoredPlan, PlanStatus], ...] = ()
    settlements: tuple[tuple[StoredSettlement, SettlementStatus], ...] = ()
    disputes: tuple[StoredDispute, ...] = ()

    def holds(self) -> list[Hold]:
        """The holds the deals put on the ladder on `as_of` (see docs/deals.md, "Holds at a glance")."""
        found: list[Hold] = []
        for _, promise in self.promises:
            if promise.hold is not None:
                found.append(promise.hold)
        for _, plan in self.plans:
            if plan.hold is not None:
                found.append(plan.hold)
        for _, settlement in self.settlements:
            if settlement.hold is not None:
                found.append(settlement.hold)
        for stored in self.disputes:
            hold = stored.dispute.hold()
            if hold is not None:
                found.append(hold)
        return [hold for hold in found if hold.is_active(self.as_of)]

    def expected_payments(self) -> list[ExpectedPayment]:
        """Payments the live deals wait for: what a pending promise still lacks, the unpaid part
        of a plan's next instalment, what a pending settlement still lacks."""
        found: list[ExpectedPayment] = []
        for stored, status in self.promises:
            if status.state is PromiseState.PENDING and status.short.is_positive:
                promise = stored.promise
                found.append(
                    ExpectedPayment(
                        promise.debtor,
                        status.short,
                        tuple(sorted(promise.documents)),
                        f"promise {promise.reference}",
                        promise.reference,
                    )
                )
        for held, plan in self.plans:
            if plan.state in (PlanState.GOOD_STANDING, PlanState.INSTALMENT_DUE, PlanState.MISSED):
                instalment = plan.next_instalment
                if instalment is not None and plan.next_instalment_outstanding.is_positive:
                    found.append(
                        ExpectedPayment(
                            held.plan.debtor,
                            plan.next_instalment_outstanding,
                            held.plan.documents,
                            f"payment plan {held.plan.reference}, instalment {instalment.number}",
                            held.plan.reference,
                        )
                    )
        for agreed, settlement in self.settlements:
            if settlement.state is SettlementState.PENDING and settlement.still_to_pay.is_positive:
                found.append(
                    ExpectedPayment(
                        agreed.settlement.debtor,
                        settlement.still_to_pay,
                        agreed.settlement.documents,
                        f"settlement {agreed.settlement.reference}",
                        agreed.settlement.reference,
                    )
                )
        return found

    def live_documents(self) -> dict[str, str]:
        """Document number -> the live deal covering it (pending promise, holding plan or one
        awaiting approval, pending settlement)."""
        found: dict[str, str] = {}
        for stored, promise in self.promises:
            if promise.state is PromiseState.PENDING:
                for number in stored.promise.documents:
                    found.setdefault(number, f"promise {stored.promise.reference}")
        for held, plan in self.plans:
            if plan.hold is not None:
                for number in held.plan.documents:
                    found.setdefault(number, f"payment plan {held.plan.reference}")
        for agreed, settlement in self.settlements:
            if settlement.state is SettlementState.PENDING:
                for number in agreed.settlement.documents:
                    found.setdefault(number, f"settlement {agreed.settlement.reference}")
        return found

    def whole_account_promises(self) -> dict[str, str]:
        """Debtor -> its pending promise on the whole account."""
        return {
            stored.promise.debtor: f"promise {stored.promise.reference}"
            for stored, status in self.promises
            if status.state is PromiseState.PENDING and not stored.promise.documents
        }


def load_deal_book(uow: UnitOfWork, creditor: str, as_of: date, *, debtor: str | None = None) -> DealBook:
    """The deals that may hold on `as_of` (one debtor's with `debtor`), judged as of that day.
    Call inside an open unit of work."""
    promises = [
        stored
        for stored in uow.deals.promises(creditor, debtor=debtor, in_force_on=as_of)
        if stored.state != "cancelled"
    ]
    plans = [
        stored
        for stored in uow.deals.plans(creditor, debtor=debtor, in_force_on=as_of)
        if stored.state not in CLOSED_PLAN_STATES
    ]
    settlements = [
        stored
        for stored in uow.deals.settlements(creditor, debtor=debtor, in_force_on=as_of)
        if stored.state not in CLOSED_SETTLEMENT_STATES
    ]
    disputes = uow.disputes.list(creditor, debtor=debtor, in_force_on=as_of)
    return DealBook(
        as_of,
        tuple(judge_promises(uow, creditor, promises, as_of)),
        tuple(judge_plans(uow, creditor, plans, as_of)),
        tuple(judge_settlements(uow, creditor, settlements, as_of)),
        tuple(disputes),
    )


def judge_promises(
    uow: UnitOfWork, creditor: str, promises: Collection[StoredPromise], as_of: date
) -> list[tuple[StoredPromise, PromiseStatus]]:
    """Each promise's status as of `as_of` (allocations read in bulk)."""
    if not promises:
        return []
    allocations = _allocations(uow, creditor, promises, [], [])
    whole_account = {s.promise.debtor for s in promises if not s.promise.documents}
    payments = _payments(uow, creditor, whole_account)
    numbers = {code: _debtor_numbers(uow, creditor, code) for code in sorted(whole_account)}
    judged = []
    for stored in promises:
        promise = stored.promise
        wanted = set(promise.documents) if promise.documents else numbers[promise.debtor]
        toward = [a for a in allocations if a.document in wanted]
        judged.append(
            (stored, promise_status(promise, toward, as_of, payments=payments.get(promise.debtor, ())))
        )
    return judged


def judge_plans(
    uow: UnitOfWork, creditor: str, plans: Collection[StoredPlan], as_of: date
) -> list[tuple[StoredPlan, PlanStatus]]:
    """Each plan's standing as of `as_of` (allocations read in bulk)."""
    if not plans:
        return []
    allocations = _allocations(uow, creditor, [], plans, [])
    return [
        (stored, plan_status(stored.plan, _toward(allocations, stored.plan.documents), as_of))
        for stored in plans
    ]


def judge_settlements(
    uow: UnitOfWork, creditor: str, settlements: Collection[StoredSettlement], as_of: date
) -> list[tuple[StoredSettlement, SettlementStatus]]:
    """Each settlement's status as of `as_of`, on its documents as they stand now."""
    if not settlements:
        return []
    allocations = _allocations(uow, creditor, [], [], settlements)
    return [
        (
            stored,
            settlement_status(
                stored.settlement,
                _documents(uow, creditor, stored.settlement.documents),
                _toward(allocations, stored.settlement.documents),
                as_of,
            ),
        )
        for stored in settlements
    ]


def deal_holds(uow: UnitOfWork, creditor: str, as_of: date) -> list[Hold]:
    """The holds the creditor's deals put on the ladder on `as_of`: pending promises and
    settlements, plans in good standing (or awaiting approval), open disputes. For the cycle's
    hold loading; call inside an open unit of work."""
    return load_deal_book(uow, creditor, as_of).holds()


def broken_promises(
    uow: UnitOfWork, creditor: str, as_of: date, *, debtors: Collection[str] | None = None
) -> dict[str, int]:
    """How many promises each debtor had broken by `as_of` (kept and pending ones do not count),
    judged from the cash whether or not a review recorded it. For the worklist's priority; call
    inside an open unit of work."""
    wanted = None if debtors is None else set(debtors)
    candidates = [
        stored
        for stored in uow.deals.promises(creditor, states=("pending", "broken"))
        if stored.promise.deadline < as_of and (wanted is None or stored.promise.debtor in wanted)
    ]
    counts: dict[str, int] = {}
    recorded = [stored for stored in candidates if stored.state == "broken"]
    judged = judge_promises(uow, creditor, [s for s in candidates if s.state != "broken"], as_of)
    broken = recorded + [stored for stored, status in judged if status.is_broken]
    for stored in broken:
        counts[stored.promise.debtor] = counts.get(stored.promise.debtor, 0) + 1
    return counts


def check_no_live_deal(
    uow: UnitOfWork, creditor: str, debtor: str, documents: Iterable[str], on: date, *, what: str
) -> None:
    """Refuse a new deal on documents that a live deal covers already (money paid toward both
    would count twice); a promise on the whole account refuses a second one."""
    book = load_deal_book(uow, creditor, on, debtor=debtor)
    numbers = sorted(set(documents))
    if not numbers:
        taken = book.whole_account_promises().get(debtor)
        if taken is not None:
            raise DealConflictError(
                f"{what}: account {debtor} already has {taken} pending on the whole account"
            )
        return
    live = book.live_documents()
    for number in numbers:
        if number in live:
            raise DealConflictError(
                f"{what}: invoice {number} is already covered by {live[number]}; wait until it is kept, "
                "paid or over, or record the new terms on it instead"
            )


# --- helpers --------------------------------------------------------------------------------


def _allocations(
    uow: UnitOfWork,
    creditor: str,
    promises: Iterable[StoredPromise],
    plans: Iterable[StoredPlan],
    settlements: Iterable[StoredSettlement],
) -> list[Allocation]:
    documents: set[str] = set()
    debtors: set[str] = set()
    starts: list[date] = []
    for stored in promises:
        starts.append(stored.promise.made_on)
        if stored.promise.documents:
            documents.update(stored.promise.documents)
        else:
            debtors.add(stored.promise.debtor)
    for plan in plans:
        starts.append(plan.plan.agreed_on)
        documents.update(plan.plan.documents)
    for settlement in settlements:
        starts.append(settlement.settlement.agreed_on)
        documents.update(settlement.settlement.documents)
    if not starts:
        return []
    return uow.deals.allocations_for(creditor, documents=documents, debtors=debtors, since=min(starts))


def _toward(allocations: list[Allocation], documents: Collection[str]) -> list[Allocation]:
    wanted = set(documents)
    return [a for a in allocations if a.document in wanted]


def _debtor_numbers(uow: UnitOfWork, creditor: str, debtor: str) -> set[str]:
    return {d.number for d in uow.documents.list_for_debtor(creditor, debtor) if d.is_invoice}


def _payments(uow: UnitOfWork, creditor: str, debtors: Iterable[str]) -> dict[str, list[Payment]]:
    return {code: uow.payments.list_all(creditor, debtor=code) for code in sorted(set(debtors))}


def _documents(uow: UnitOfWork, creditor: str, numbers: Iterable[str]) -> list[Document]:
    found = []
    for number in numbers:
        try:
            found.append(uow.documents.get(creditor, number))
        except NotFoundError:
            continue
    return found
