"""Approvals: actions that wait for the creditor's decision, with the evidence to decide on.

A step with `needs_approval` (every legal step: a letter before action, a referral) is planned
as `awaiting_approval`; its documents are held until the creditor decides. The queue shows
each such action with its evidence: the documents it chases as they stand today (amount, open
amount, days past due), the debtor's earlier actions, its holds and its payments.

- **Approve** (`approve`): the action becomes `approved`; the outbox picks it up like a planned
  one, and in the history it counts from the day of the decision (the next step keeps its
  distance from the day the letter really goes). An action whose documents have all been paid
  meanwhile is refused: reject it instead.
- **Deals that came since.** A deal made after the action was planned may now hold its debtor
  or documents: a pending promise or settlement, a payment plan, an open dispute. The cycle
  would not plan the action today, so the queue warns about it (`ApprovalRequest.deal_holds`)
  and approving it is refused with the hold named ("promise P-00001 on INV-1 until
  2026-03-16"), unless the creditor overrides it (`override=True`) with a reason, which is kept
  with the decision. The holds are those the cycle plans with (`arrears.services.planning_inputs`).
- **Reject** (`reject`, a reason is required): the action becomes `rejected` and counts as done
  (the ladder does not ask again for the same step). When the step is legal, the creditor has
  declined to go legal on these documents, so a `do_not_contact` hold is recorded on them too
  (the note says why), or the next legal step would ask again a fortnight later;
  `keep_chasing=True` leaves the documents on the ladder.

Decisions take the creditor lock first, like cycles, so a decision and a cycle never interleave.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from arrears.core.errors import ArrearsError
from arrears.core.holds import Hold, HoldReason
from arrears.core.ledger import Debtor, Document, Payment
from arrears.core.money import Money
from arrears.core.policy import PolicyError
from arrears.services.planning_inputs import DealHold, deal_holds_on
from arrears.store.repositories import ActionState, StoredAction, StoredHold
from arrears.store.unit_of_work import UnitOfWork

DEFAULT_DECIDED_BY = "creditor"


class ApprovalError(ArrearsError, ValueError):
    """A decision that cannot be taken as asked (no reason for a rejection, nothing left open)."""


class HeldByDealError(ApprovalError):
    """Approving an action that a deal made since now holds, without overriding it."""

    def __init__(self, message: str, holds: tuple[DealHold, ...]) -> None:
        super().__init__(message)
        self.holds = holds


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DocumentEvidence:
    """A document an action chases, as it stands on the day the queue is read."""

    document: Document
    days_past_due: int

    @property
    def is_open(self) -> bool:
        return self.document.is_open


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One action awaiting the creditor, and what the creditor needs to decide on it."""

    action: StoredAction
    debtor: Debtor
    documents: tuple[DocumentEvidence, ...]
    history: tuple[StoredAction, ...]  # the debtor's other actions, oldest first
    holds: tuple[StoredHold, ...]
    payments: tuple[Payment, ...]
    deal_holds: tuple[DealHold, ...] = ()  # deals that now hold what the action chases

    @property
    def held_by_deal(self) -> bool:
        """A deal now holds the action's debtor or documents: the cycle would not plan it today."""
        return bool(self.deal_holds)

    def warning(self) -> str:
        """'now held by promise P-00001 on INV-1 until 2026-03-16: approving needs --override'."""
        if not self.deal_holds:
            return ""
        held = "; ".join(labelled.describe() for labelled in self.deal_holds)
        return f"now held by {held}: the cycle would not send it today; approving it needs an override"

    def open_amounts(self) -> tuple[Money, ...]:
        """What is still open today on the documents the action chases, per currency."""
        totals: dict[str, Money] = {}
        for evidence in self.documents:
            if evidence.is_open:
                amount = evidence.document.open_amount
                totals[amount.currency] = totals.get(amount.currency, Money.zero(amount.currency)) + amount
        return tuple(totals[currency] for currency in sorted(totals))


@dataclass(frozen=True, slots=True)
class Decision:
    """The action after the decision, the hold a rejection of a legal step recorded, and the
    deal holds an approval overrode."""

    action: StoredAction
    hold: StoredHold | None = None
    overridden: tuple[DealHold, ...] = ()


def pending_approvals(uow: UnitOfWork, as_of: date, *, creditor: str | None = None) -> list[ApprovalRequest]:
    """Every action awaiting approval (of one creditor, or of all), oldest first, with its evidence."""
    with uow:
        codes = [creditor] if creditor else [each.code for each in uow.creditors.list_all()]
        found = []
        for code in codes:
            waiting = uow.actions.list_all(code, statuses=[ActionState.AWAITING_APPROVAL])
            deal_holds = deal_holds_on(uow, code, as_of) if waiting else []
            for action in waiting:
                found.append(_evidence(uow, code, action, as_of, deal_holds))
        return found


def _covering(action: StoredAction, deal_holds: list[DealHold]) -> tuple[DealHold, ...]:
    return tuple(labelled for labelled in deal_holds if labelled.covers(action.debtor, action.documents))


def _evidence(
    uow: UnitOfWork, creditor: str, action: StoredAction, as_of: date, deal_holds: list[DealHold]
) -> ApprovalRequest:
    documents = {
        document.number: document for document in uow.documents.list_for_debtor(creditor, action.debtor)
    }
    chased = tuple(
        DocumentEvidence(documents[number], (as_of - documents[number].due_date).days)
        for number in action.documents
        if number in documents
    )
    history = tuple(
        other for other in uow.actions.list_all(creditor, debtor=action.debtor) if other.id != action.id
    )
    return ApprovalRequest(
        action=action,
        debtor=uow.debtors.get(creditor, action.debtor),
        documents=chased,
        history=history,
        holds=tuple(uow.holds.list_all(creditor, debtor=action.debtor)),
        payments=tuple(uow.payments.list_all(creditor, debtor=action.debtor)),
        deal_holds=_covering(action, deal_holds),
    )


def approve(
    uow: UnitOfWork,
    creditor: str,
    action_id: int,
    *,
    on: date,
    by: str = DEFAULT_DECIDED_BY,
    reason: str = "",
    override: bool = False,
    now: Callable[[], datetime] = _now,
) -> Decision:
    """Approve an action awaiting approval: it goes to the outbox, counting from `on`.

    Refused when nothing it chases is open any more, and when a deal now holds its debtor or
    documents on `on` (`HeldByDealError`, naming the holds) unless `override`, which needs a
    reason; the holds overridden are kept in the decision's note."""
    note = reason.strip()
    overridden: tuple[DealHold, ...] = ()
    with uow:
        uow.creditors.lock(creditor)
        action = uow.actions.get(creditor, action_id)
        if action.status is ActionState.AWAITING_APPROVAL:
            request = _evidence(
                uow, creditor, action, on, deal_holds_on(uow, creditor, on, debtor=action.debtor)
            )
            label = f"action {action_id} ({action.step!r} for {action.debtor})"
            if request.documents and not any(evidence.is_open for evidence in request.documents):
                raise ApprovalError(
                    f"{label} chases {', '.join(action.documents)}, and nothing of it is open any more: "
                    "reject it instead"
                )
            overridden = request.deal_holds
            if overridden:
                held = "; ".join(labelled.describe() for labelled in overridden)
                if not override:
                    raise HeldByDealError(
                        f"{label} is held by {held} since it was planned: the cycle would not send it "
                        "today. Reject it, wait until the hold ends, or approve it with --override and a "
                        "--reason",
                        overridden,
                    )
                if not note:
                    raise ApprovalError(
                        f"give a reason to override {held} for {label} (--reason): the creditor's record needs it"
                    )
                note = f"override of {held}: {note}"
        decided = uow.actions.decide(creditor, action_id, approve=True, by=by, note=note, on=on, at=now())
        uow.commit()
    return Decision(decided, overridden=overridden)


def reject(
    uow: UnitOfWork,
    creditor: str,
    action_id: int,
    *,
    on: date,
    reason: str,
    by: str = DEFAULT_DECIDED_BY,
    keep_chasing: bool = False,
    now: Callable[[], datetime] = _now,
) -> Decision:
    """Reject an action awaiting approval, with a reason. A rejected legal step also holds its
    documents (`do_not_contact`) unless `keep_chasing` (see the module docstring)."""
    if not reason.strip():
        raise ApprovalError(
            f"give a reason to reject action {action_id} (--reason): the creditor's record needs it"
        )
    at = now()
    with uow:
        uow.creditors.lock(creditor)
        decided = uow.actions.decide(
            creditor, action_id, approve=False, by=by, note=reason.strip(), on=on, at=at
        )
        hold = None
        if not keep_chasing and _is_legal(uow, creditor, decided):
            note = f"the creditor declined {decided.step!r} on {on.isoformat()}: {reason.strip()}"
            hold = uow.holds.add(
                creditor,
                Hold(
                    HoldReason.DO_NOT_CONTACT,
                    decided.debtor,
                    frozenset(decided.documents),
                    starts_on=on,
                    note=note,
                ),
                by=by,
                at=at,
            )
        uow.commit()
    return Decision(decided, hold)


def _is_legal(uow: UnitOfWork, creditor: str, action: StoredAction) -> bool:
    """Whether the action's step is legal in the policy version it was planned under."""
    try:
        stored = uow.policies.get(creditor, action.policy_version)
        return stored.policy.step(action.step).legal
    except (PolicyError, ArrearsError):
        current = uow.policies.current(creditor)
        index = None if current is None else current.policy.index_of(action.step)
        return current is not None and index is not None and current.policy.steps[index].legal
