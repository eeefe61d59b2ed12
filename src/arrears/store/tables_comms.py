"""Tables of the comms area (see docs/comms.md). They register on the ledger's metadata.

- `brands`: one per creditor: the brand file as JSON text, and the logos as bytes;
- `messages`: the outbox: each rendered message once, unique per (creditor, idempotency key),
  with its delivery state (queued, sending, sent, failed, dead, suppressed);
- `message_attachments`: the message's files (PDFs, the inline logo), in order;
- `message_events`: the comms part of a debtor's timeline (queued, sent, failed, bounced,
  delivered, opted out, calls logged ...);
- `sms_opt_outs`: numbers that replied STOP to a creditor's messages;
- `call_tasks`: call tasks in the worklist, one per call message;
- `call_logs`: outcomes of outbound calls and inbound calls.

Times are `UtcDateTime`: timezone-aware in code, stored in UTC on both engines.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.store.tables import Base

MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "dead", "suppressed")
CHANNELS = ("email", "sms", "letter", "call")
DELIVERY_REPORTS = ("delivered", "bounced", "undelivered")
EVENT_KINDS = (
    "queued",
    "sent",
    "attempt_failed",
    "dead",
    "retried",
    "suppressed",
    "bounced",
    "delivered",
    "undelivered",
    "opted_out",
    "opted_in",
    "call_logged",
)
CALL_TASK_STATUSES = ("open", "done")
CALL_DIRECTIONS = ("outbound", "inbound")
CALL_OUTCOMES = ("no_answer", "promise", "dispute", "wrong_number", "paid", "other")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC: SQLite keeps no offset, so every value is
    converted to UTC on the way in and read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no timezone; the store keeps aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class BrandRecord(Base):
    """A creditor's brand: `document` is the brand file as JSON (without logos)."""

    __tablename__ = "brands"

    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    logo_media_type: Mapped[str | None] = mapped_column(String(32))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    agency_logo_media_type: Mapped[str | None] = mapped_column(String(32))
    agency_logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageRecord(Base):
    """One rendered message in the outbox. `recipients` are newline-separated."""

    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        UniqueConstraint("creditor_id", "idempotency_key"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_messages_creditor_id_status_next_attempt_at", "creditor_id", "status", "next_attempt_at"),
        Index("ix_messages_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        Index("ix_messages_creditor_id_provider_ref", "creditor_id", "provider_ref"),
        Index("ix_messages_creditor_id_message_id", "creditor_id", "message_id"),
        CheckConstraint(_one_of("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(f"delivery IS NULL OR {_one_of('delivery', DELIVERY_REPORTS)}", name="delivery"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    action_key: Mapped[str] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(35))
    sender: Mapped[str] = mapped_column(String(200))
    sender_address: Mapped[str | None] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255))
    transactional: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(500))
    delivery: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MessageAttachmentRecord(Base):
    """A file of a message; `content_id` marks an inline part (the logo in the HTML)."""

    __tablename__ = "message_attachments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "message_id"], ["messages.creditor_id", "messages.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("message_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    message_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    content_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MessageEventRecord(Base):
    """Something that happened to a message or on a debtor's contact channels (its timeline)."""

    __tablename__ = "message_events"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        ForeignKeyConstraint(
            ["creditor_id", "message_id"], ["messages.creditor_id", "messages.id"], ondelete="CASCADE"
        ),
        Index(
            "ix_message_events_creditor_id_debtor_id_occurred_at", "creditor_id", "debtor_id", "occurred_at"
        ),
        Index("ix_message_events_creditor_id_message_id", "creditor_id", "message_id"),
        CheckConstraint(_one_of("kind", EVENT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)


class SmsOptOutRecord(Base):
    """A number (E.164) that asked a creditor to stop sending it SMS."""

    __tablename__ = "sms_opt_outs"
    __table_args__ = (UniqueConstraint("creditor_id", "phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    phone: Mapped[str] = mapped_column(String(32))
    keyword: Mapped[str] = mapped_column(String(32))
    opted_out_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallTaskRecord(Base):
    """A call for a credit controller to make: one per call message, in the worklist."""

    __tablename__ = "call_tasks"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        ForeignKeyConstraint(["creditor_id", "message_id"], ["messages.creditor_id", "messages.id"]),
        UniqueConstraint("creditor_id", "message_id"),
        UniqueConstraint("creditor_id", "id"),
        Index("ix_call_tasks_creditor_id_status_due_at", "creditor_id", "status", "due_at"),
        CheckConstraint(_one_of("status", CALL_TASK_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallLogRecord(Base):
    """One call made or received, and what came of it. A promise's amount is in minor units."""

    __tablename__ = "call_logs"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        ForeignKeyConstraint(["creditor_id", "task_id"], ["call_tasks.creditor_id", "call_tasks.id"]),
        Index("ix_call_logs_creditor_id_debtor_id", "creditor_id", "debtor_id"),
        CheckConstraint(_one_of("direction", CALL_DIRECTIONS), name="direction"),
        CheckConstraint(_one_of("outcome", CALL_OUTCOMES), name="outcome"),
        CheckConstraint(
            "(promised_minor IS NULL) = (promised_currency IS NULL)", name="promised_amount_with_currency"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    controller: Mapped[str | None] = mapped_column(String(200))
    logged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    promised_on: Mapped[date | None] = mapped_column(Date)
    promised_minor: Mapped[int | None] = mapped_column(BigInteger)
    promised_currency: Mapped[str | None] = mapped_column(String(3))
