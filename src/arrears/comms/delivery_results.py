"""What delivery made of each message, and recording it: the dispatcher's outcomes and report,
and the one unit of work that writes a batch of results to the outbox, the call worklist and
the collections store (see `arrears.comms.dispatcher`).

A call message "delivered" becomes its call task, in the same transaction that marks it sent,
unless its action was already worked from the worklist (then the message is suppressed: no task
may appear twice). The action of a call stays planned or approved until a controller works the
task; every other action is marked sent or failed when its message is.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from arrears.comms.message import StoredMessage
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.policy import Channel
from arrears.store.repositories import ActionState
from arrears.store.unit_of_work import UnitOfWork


class Outcome:
    """What came of a message in one dispatch (`DeliveryOutcome.outcome`)."""

    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    NEEDS_CHECKING = "needs checking"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    creditor: str
    key: str
    action_key: str
    channel: Channel
    outcome: str
    detail: str


@dataclass(slots=True)
class DispatchReport:
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    print_batches: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.outcomes if item.outcome == outcome)

    @property
    def sent(self) -> int:
        return self.count(Outcome.SENT)

    def summary(self) -> str:
        parts = [
            f"{self.count(o)} {o}"
            for o in (Outcome.SENT, Outcome.RETRY, Outcome.DEAD, Outcome.DEFERRED, Outcome.SUPPRESSED)
        ]
        if self.count(Outcome.NEEDS_CHECKING):
            parts.append(f"{self.count(Outcome.NEEDS_CHECKING)} {Outcome.NEEDS_CHECKING}")
        return ", ".join(parts)

    def for_creditor(self, creditor: str) -> "DispatchReport":
        """The part of this report about one creditor."""
        return DispatchReport(
            [item for item in self.outcomes if item.creditor == creditor],
            [path for path in self.print_batches if f"-{creditor}-" in Path(path).name],
        )


@dataclass(slots=True)
class Result:
    """What came of one message, waiting to be recorded."""

    stored: StoredMessage
    outcome: str
    detail: str
    at: datetime
    provider_ref: str | None = None
    retry_at: datetime | None = None
    bounce: bool = False
    defer_until: datetime | None = None
    call_due: datetime | None = None
    keep_hand_over: bool = False  # no answer came back: the next try asks the provider first
    handed_over_at: datetime | None = None  # needs checking: when the interrupted hand-over began


def record_results(uow: UnitOfWork, creditor: str, results: list[Result], report: DispatchReport) -> None:
    """Write what delivery made of `results` in one unit of work under the creditor lock, then
    add them to `report`."""
    if not results:
        return
    with uow:
        uow.creditors.lock(creditor)
        sent: list[tuple[int, datetime, str | None, str]] = []
        for result in results:
            stored, message = result.stored, result.stored.message
            if result.outcome == Outcome.SENT and message.channel is Channel.CALL:
                made = _call_already_made(uow, creditor, message.idempotency_key, message.action_key)
                if made is not None:
                    result.outcome, result.detail = Outcome.SUPPRESSED, made
                    uow.outbox.suppress(creditor, stored.id, at=result.at, reason=made)
                    continue
                # the call task is the worklist's record of the call; its action stays planned
                # (or approved) until a controller works the task
                uow.calls.add_task(
                    creditor,
                    stored.id,
                    debtor=message.debtor,
                    phone=message.recipients[0] if message.recipients else None,
                    title=f"{message.step}: {message.subject}",
                    due_at=result.call_due or result.at,
                    at=result.at,
                )
                sent.append((stored.id, result.at, result.provider_ref, result.detail))
            elif result.outcome == Outcome.SENT:
                sent.append((stored.id, result.at, result.provider_ref, result.detail))
                tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=True,
                    at=result.at,
                    detail="",
                )
            elif result.outcome == Outcome.RETRY:
                uow.outbox.mark_failed(
                    creditor,
                    stored.id,
                    at=result.at,
                    error=result.detail,
                    retry_at=result.retry_at,
                    bounce=result.bounce,
                    keep_hand_over=result.keep_hand_over,
                )
            elif result.outcome == Outcome.NEEDS_CHECKING:
                assert result.handed_over_at is not None
                uow.outbox.mark_needs_checking(
                    creditor, stored.id, at=result.at, since=result.handed_over_at, detail=result.detail
                )
                # a failed action is a follow-up on the worklist: a person checks
                tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=False,
                    at=result.at,
                    detail=f"needs checking: {result.detail}",
                )
            elif result.outcome == Outcome.DEAD:
                uow.outbox.mark_failed(
                    creditor,
                    stored.id,
                    at=result.at,
                    error=result.detail,
                    retry_at=None,
                    bounce=result.bounce,
                )
                tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=False,
                    at=result.at,
                    detail=result.detail,
                )
            elif result.outcome == Outcome.DEFERRED:
                assert result.defer_until is not None
                uow.outbox.defer(creditor, stored.id, result.defer_until)
            else:
                uow.outbox.suppress(creditor, stored.id, at=result.at, reason=result.detail)
                tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=False,
                    at=result.at,
                    detail=result.detail,
                )
        uow.outbox.mark_sent_many(creditor, sent)
        uow.commit()
    report.outcomes.extend(
        DeliveryOutcome(
            creditor, r.stored.key, r.stored.message.action_key, r.stored.message.channel, r.outcome, r.detail
        )
        for r in results
    )


def _call_already_made(uow: UnitOfWork, creditor: str, key: str, action_key: str) -> str | None:
    """Why a call message must not become a task: its action was worked from the worklist (or
    decided otherwise) before the task was made. None when the task is wanted."""
    if key != action_key:
        return None
    try:
        action = uow.actions.get_by_key(creditor, action_key)
    except NotFoundError:
        return None  # a call queued without a collections action
    if action.worked_at is None and action.status in (ActionState.PLANNED, ActionState.APPROVED):
        return None
    by = f" by {action.worked_by}" if action.worked_by else ""
    return f"not put in the worklist: the call was already worked{by} (its action is {action.status.label})"


def tell_action(
    uow: UnitOfWork, creditor: str, key: str, action_key: str, *, sent: bool, at: datetime, detail: str
) -> None:
    """Report delivery back to the action in the collections store (confirmations and letter
    copies have no action of their own, and an action decided otherwise meanwhile keeps its
    status)."""
    if key != action_key:
        return
    try:
        if sent:
            uow.actions.mark_sent(creditor, action_key, at)
        else:
            uow.actions.mark_failed(creditor, action_key, at, detail)
    except ArrearsError:
        pass
