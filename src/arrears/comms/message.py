"""The values the outbox takes in and keeps: an outbound action, and the message rendered for it.

An **outbound action** is what the outbox needs to know about one planned contact: creditor,
debtor, step, channel, template, the documents it chases, its idempotency key and reason. The
cycle's `arrears.core.actions.Action` becomes one with `OutboundAction.from_action`; a service
recording a promise, a payment plan or a dispute makes one for the confirmation, with its
details (`PromiseDetails`, `PlanDetails`, `DisputeDetails`).

A **rendered message** is rendered once, stored with its idempotency key, and delivered from the
store as it is: subject, text and HTML parts, attachments (PDF bytes), recipients, and a
Message-ID derived from the key, so that a retry after a crash is the same message.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from hashlib import sha256

from arrears.core.actions import Action
from arrears.core.money import Money
from arrears.core.policy import Channel


@dataclass(frozen=True, slots=True)
class PromiseDetails:
    """A debtor's promise to pay `amount` by `pay_by` (for the promise confirmation)."""

    amount: Money
    pay_by: date
    documents: tuple[str, ...] = ()
    method: str | None = None  # "bank transfer", "card"


@dataclass(frozen=True, slots=True)
class Instalment:
    due_on: date
    amount: Money


@dataclass(frozen=True, slots=True)
class PlanDetails:
    """An agreed payment plan (for its confirmation); instalments in date order.

    For an instalment reminder, `reminding` is the number (from 1) of the instalment falling due
    and `paid` what the plan's documents have received since it was agreed."""

    instalments: tuple[Instalment, ...]
    documents: tuple[str, ...] = ()
    reference: str | None = None
    reminding: int | None = None
    paid: Money | None = None

    @property
    def total(self) -> Money:
        first = self.instalments[0].amount
        return Money.total((instalment.amount for instalment in self.instalments), first.currency)


@dataclass(frozen=True, slots=True)
class DisputeDetails:
    """A query or dispute the debtor raised (for its acknowledgement, and the notice that tells
    the creditor about it)."""

    reference: str
    received_on: date
    summary: str
    documents: tuple[str, ...] = ()
    respond_by: date | None = None
    # for the notice to the creditor (`dispute_notice_to_creditor`):
    amount: Money | None = None  # the part disputed
    reason: str | None = None  # the reason code, e.g. "wrong_price"
    notes: str = ""
    mode: str | None = None  # the creditor's dispute mode: "no_mediation" or "resolve"
    raised_by: str | None = None


Details = PromiseDetails | PlanDetails | DisputeDetails


@dataclass(frozen=True, slots=True)
class OutboundAction:
    """One contact to render and queue. `documents` are document numbers; `planned_on` is the
    day the message speaks as of (its date, days past due, interest)."""

    creditor: str
    debtor: str
    step: str
    channel: Channel
    template: str
    documents: tuple[str, ...]
    idempotency_key: str
    reason: str
    planned_on: date
    details: Details | None = None
    portal_link: str | None = None  # a link to this debtor's portal page, when the portal made one

    @classmethod
    def from_action(cls, action: Action, *, portal_link: str | None = None) -> "OutboundAction":
        return cls(
            creditor=action.creditor,
            debtor=action.debtor,
            step=action.step,
            channel=action.channel,
            template=action.template,
            documents=action.documents,
            idempotency_key=action.idempotency_key,
            reason=action.reason,
            planned_on=action.planned_on,
            portal_link=portal_link,
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file carried by a message. `content_id` marks an inline part (the logo in HTML)."""

    filename: str
    media_type: str
    data: bytes = field(repr=False)
    content_id: str | None = None

    @property
    def inline(self) -> bool:
        return self.content_id is not None


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message ready to deliver.

    - `idempotency_key`: unique per creditor: the action's key, or for a letter's email copy the
      key with `:email-copy`; `action_key` is the action's key in both cases;
    - `recipients`: email addresses, a phone number (SMS, call) or, for a letter, the debtor's
      name and postal address lines;
    - `sender`: the display name, and `sender_address` the email address or SMS sender ID;
    - `message_id`: `<key.creditor@domain>`, the same every time the key is rendered;
    - `transactional`: a confirmation, not counted against the contact cap.
    """

    creditor: str
    debtor: str
    idempotency_key: str
    action_key: str
    step: str
    template: str
    channel: Channel
    language: str
    sender: str
    sender_address: str | None
    reply_to: str | None
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    message_id: str
    created_at: datetime
    transactional: bool = False
    reason: str = ""


def message_id_for(creditor: str, idempotency_key: str, domain: str | None) -> str:
    """A stable RFC 5322 Message-ID for a key: a retry of the same message carries the same id,
    so a mail system (and a person) sees one message, not two.

    >>> message_id_for("ACME", "0f3a", "acme.example")
    '<0f3a.a8308e8e@acme.example>'
    """
    tag = sha256(creditor.encode("utf-8")).hexdigest()[:8]
    local = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in idempotency_key)
    return f"<{local}.{tag}@{domain or 'arrears.invalid'}>"


class MessageStatus(StrEnum):
    """Where a message stands in the outbox.

    queued -> sending -> sent; a failed try goes back to `failed` (retried after a back-off)
    until the attempts run out, then `dead` (kept, visible, retryable with `outbox retry`);
    `suppressed` messages were not sent on purpose (the number opted out, the debtor is not to
    be contacted). A `sending` message whose claim is older than the lease is taken again:
    the process that claimed it is presumed dead.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


class EventKind(StrEnum):
    """What the debtor's comms timeline records."""

    QUEUED = "queued"
    SENT = "sent"
    ATTEMPT_FAILED = "attempt_failed"
    DEAD = "dead"
    RETRIED = "retried"
    SUPPRESSED = "suppressed"
    BOUNCED = "bounced"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    CALL_LOGGED = "call_logged"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as the outbox holds it: the rendered message and its delivery state."""

    id: int
    message: RenderedMessage
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    provider_ref: str | None = None
    delivery: str | None = None
    sent_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.message.idempotency_key


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One entry of a debtor's comms timeline (newest last)."""

    occurred_at: datetime
    kind: EventKind
    detail: str
    message_key: str | None = None
    channel: Channel | None = None
