"""Confirmations of deals to the debtor, through the outbox: a promise to pay
(`promise_confirmation`), a payment plan (`payment_plan_confirmation`) and the acknowledgement of
a dispute (`dispute_acknowledgement`), by email, in the creditor's name.

Each confirmation has a fixed idempotency key (`promise-confirmation:P-00001`), so asking again
queues nothing twice. It is queued after the deal is committed: a confirmation that cannot be
rendered (the creditor has no brand yet, the debtor no email address) never undoes the deal; the
result says why it was not queued, and it can be sent later (`confirm_again`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from arrears.comms.message import Details, OutboundAction
from arrears.comms.outbox import enqueue_actions
from arrears.core.errors import ArrearsError
from arrears.core.policy import Channel
from arrears.store.unit_of_work import UnitOfWork

CONFIRMATION_STEP = "deal confirmation"


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What happened to a deal's confirmation: `queued` now, or already queued before, or not
    queued with the reason."""

    key: str
    template: str
    queued: bool
    already_queued: bool = False
    reason: str = ""

    def describe(self) -> str:
        if self.queued:
            return f"confirmation queued ({self.template}, key {self.key})"
        if self.already_queued:
            return f"confirmation already queued ({self.key})"
        return f"confirmation not sent: {self.reason}"


def send_confirmation(
    uow: UnitOfWork,
    creditor: str,
    *,
    debtor: str,
    template: str,
    key: str,
    documents: tuple[str, ...],
    details: Details,
    on: date,
    reason: str,
    now: Callable[[], datetime],
) -> Confirmation:
    """Render and queue one confirmation email (outside any open unit of work)."""
    with uow:
        has_brand = uow.brands.find(creditor) is not None
    if not has_brand:
        return Confirmation(
            key,
            template,
            False,
            reason=f"creditor {creditor} has no brand yet (set one with `arrears brand set`)",
        )
    action = OutboundAction(
        creditor=creditor,
        debtor=debtor,
        step=CONFIRMATION_STEP,
        channel=Channel.EMAIL,
        template=template,
        documents=documents,
        idempotency_key=key,
        reason=reason,
        planned_on=on,
        details=details,
    )
    try:
        report = enqueue_actions(uow, creditor, [action], now=now())
    except ArrearsError as error:
        return Confirmation(key, template, False, reason=str(error))
    if key in report.queued:
        return Confirmation(key, template, True)
    if key in report.already_queued:
        return Confirmation(key, template, False, already_queued=True)
    refused = "; ".join(item.reason for item in report.refused) or "the outbox did not take it"
    return Confirmation(key, template, False, reason=refused)
