"""The outbox: rendered messages, their attachments and delivery state, and the debtor's comms
timeline. Every method takes the creditor code first. Loading messages and their delivery
state (claiming, sent, failed, dead, hand-overs that need checking) are in `comms_delivery`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from arrears.comms.message import EventKind, MessageStatus, RenderedMessage, StoredMessage, TimelineEvent
from arrears.core.errors import NotFoundError
from arrears.core.policy import Channel
from arrears.store.errors import WrongCreditorError
from arrears.store.repositories._common import IN_CHUNK, chunks
from arrears.store.repositories.comms_delivery import (
    HANDING_OVER,
    NEEDS_CHECKING,
    MessageStore,
    NeedsCheckingError,
    hand_over_started,
)
from arrears.store.tables import DebtorRecord, metadata
from arrears.store.tables_comms import MessageEventRecord, MessageRecord

MESSAGES: Table = metadata.tables["messages"]
ATTACHMENTS: Table = metadata.tables["message_attachments"]
EVENTS: Table = metadata.tables["message_events"]

__all__ = [
    "HANDING_OVER",
    "NEEDS_CHECKING",
    "MessageSummary",
    "NeedsCheckingError",
    "OutboxRepository",
    "hand_over_started",
]


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """A message as `outbox list` shows it (without its bodies and attachments)."""

    id: int
    key: str
    debtor: str
    channel: Channel
    template: str
    subject: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    delivery: str | None
    provider_ref: str | None = None

    @property
    def needs_checking(self) -> bool:
        """A person has to check whether it reached the debtor (see the module docstring)."""
        return self.status is MessageStatus.DEAD and (self.provider_ref or "").startswith(NEEDS_CHECKING)

    @property
    def state(self) -> str:
        """Its status as `outbox list` shows it: 'needs checking' apart from other dead ones."""
        return "needs checking" if self.needs_checking else self.status.value


class OutboxRepository(MessageStore):
    # --- writing messages ---------------------------------------------------------------------

    def add(self, creditor: str, messages: Sequence[RenderedMessage], *, at: datetime) -> list[str]:
        """Queue rendered messages; a key already queued is left as it is (the insert does
        nothing on conflict, so two processes queueing the same key at once store it once).
        Returns the keys actually added, in order."""
        if not messages:
            return []
        creditor_id = self._creditor_id(creditor)
        for message in messages:
            if message.creditor != creditor:
                raise WrongCreditorError(
                    f"message {message.idempotency_key} is for creditor {message.creditor}, not {creditor}"
                )
        debtor_ids = self._debtor_ids(creditor_id, (message.debtor for message in messages))
        for message in messages:
            if message.debtor not in debtor_ids:
                raise NotFoundError(f"creditor {creditor} has no debtor {message.debtor!r}")
        rows: list[dict[str, Any]] = [
            {
                "creditor_id": creditor_id,
                "debtor_id": debtor_ids[message.debtor],
                "idempotency_key": message.idempotency_key,
                "action_key": message.action_key,
                "step": message.step,
                "template": message.template,
                "channel": message.channel.value,
                "language": message.language,
                "sender": message.sender,
                "sender_address": message.sender_address,
                "reply_to": message.reply_to,
                "recipients": "\n".join(message.recipients),
                "subject": message.subject,
                "body_text": message.text,
                "body_html": message.html,
                "message_id": message.message_id,
                "transactional": message.transactional,
                "reason": message.reason,
                "status": MessageStatus.QUEUED.value,
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": message.created_at,
            }
            for message in messages
        ]
        dialect = self._session.get_bind().dialect.name
        table = MESSAGES
        statement: Any
        if dialect == "postgresql":
            statement = postgresql.insert(table).on_conflict_do_nothing(
                index_elements=["creditor_id", "idempotency_key"]
            )
        elif dialect == "sqlite":
            statement = sqlite.insert(table).on_conflict_do_nothing(
                index_elements=["creditor_id", "idempotency_key"]
            )
        else:
            statement = insert(table)
        statement = statement.returning(table.c.id, table.c.idempotency_key)
        added: dict[str, int] = {}
        for chunk in chunks(rows, 1000):
            added.update((key, message_id) for message_id, key in self._session.execute(statement, chunk))
        by_key = {message.idempotency_key: message for message in messages}
        attachment_rows: list[dict[str, Any]] = [
            {
                "creditor_id": creditor_id,
                "message_id": message_id,
                "position": position,
                "filename": attachment.filename,
                "media_type": attachment.media_type,
                "content_id": attachment.content_id,
                "data": attachment.data,
            }
            for key, message_id in added.items()
            for position, attachment in enumerate(by_key[key].attachments)
        ]
        for chunk in chunks(attachment_rows, 500):
            self._session.execute(insert(ATTACHMENTS), chunk)
        event_rows: list[dict[str, Any]] = [
            {
                "creditor_id": creditor_id,
                "debtor_id": debtor_ids[by_key[key].debtor],
                "message_id": message_id,
                "occurred_at": at,
                "kind": EventKind.QUEUED.value,
                "detail": f"{by_key[key].channel.value} {by_key[key].template!r} queued: {by_key[key].subject}",
            }
            for key, message_id in added.items()
        ]
        for chunk in chunks(event_rows, 1000):
            self._session.execute(insert(EVENTS), chunk)
        return [message.idempotency_key for message in messages if message.idempotency_key in added]

    # --- reading --------------------------------------------------------------------------------

    def find_by_provider_ref(self, creditor: str, provider_ref: str) -> StoredMessage | None:
        found = self._load(creditor, MessageRecord.provider_ref == provider_ref)
        return found[0] if found else None

    def find_by_message_id(self, creditor: str, message_id: str) -> StoredMessage | None:
        found = self._load(creditor, MessageRecord.message_id == message_id)
        return found[0] if found else None

    def list_messages(
        self,
        creditor: str,
        *,
        status: MessageStatus | None = None,
        debtor: str | None = None,
        limit: int | None = 200,
        needs_checking: bool = False,
    ) -> list[MessageSummary]:
        """The creditor's messages, newest first, optionally of one status or debtor, or only
        those that need checking."""
        creditor_id = self._creditor_id(creditor)
        statement = (
            select(MessageRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == MessageRecord.debtor_id)
            .where(MessageRecord.creditor_id == creditor_id)
            .order_by(MessageRecord.id.desc())
        )
        if status is not None:
            statement = statement.where(MessageRecord.status == status.value)
        if debtor is not None:
            statement = statement.where(DebtorRecord.account_code == debtor)
        if needs_checking:
            statement = statement.where(
                MessageRecord.status == MessageStatus.DEAD.value,
                MessageRecord.provider_ref.startswith(NEEDS_CHECKING, autoescape=True),
            )
        if limit is not None:
            statement = statement.limit(limit)
        return [
            MessageSummary(
                id=record.id,
                key=record.idempotency_key,
                debtor=code,
                channel=Channel(record.channel),
                template=record.template,
                subject=record.subject,
                status=MessageStatus(record.status),
                attempts=record.attempts,
                next_attempt_at=record.next_attempt_at,
                created_at=record.created_at,
                sent_at=record.sent_at,
                last_error=record.last_error,
                delivery=record.delivery,
                provider_ref=record.provider_ref,
            )
            for record, code in self._session.execute(statement)
        ]

    def counts(self, creditor: str) -> dict[MessageStatus, int]:
        """How many of the creditor's messages are in each status."""
        creditor_id = self._creditor_id(creditor)
        rows = self._session.execute(
            select(MessageRecord.status, func.count())
            .where(MessageRecord.creditor_id == creditor_id)
            .group_by(MessageRecord.status)
        )
        return {MessageStatus(status): count for status, count in rows}

    # --- debtors and the timeline ---------------------------------------------------------------

    def contact_times(
        self, creditor: str, debtors: Iterable[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """When each debtor was sent a collection message (not a confirmation) since `since`."""
        creditor_id = self._creditor_id(creditor)
        ids = self._debtor_ids(creditor_id, debtors)
        codes = {debtor_id: code for code, debtor_id in ids.items()}
        found: dict[str, list[datetime]] = {code: [] for code in ids}
        for chunk in chunks(list(codes), IN_CHUNK):
            rows = self._session.execute(
                select(MessageRecord.debtor_id, MessageRecord.sent_at).where(
                    MessageRecord.creditor_id == creditor_id,
                    MessageRecord.debtor_id.in_(chunk),
                    MessageRecord.status == MessageStatus.SENT.value,
                    MessageRecord.transactional.is_(False),
                    MessageRecord.sent_at >= since,
                )
            )
            for debtor_id, sent_at in rows:
                if sent_at is not None:
                    found[codes[debtor_id]].append(sent_at)
        return found

    def not_to_contact(self, creditor: str, debtors: Iterable[str]) -> dict[str, str]:
        """Debtors flagged do-not-contact or insolvent, with the reason, among `debtors`."""
        creditor_id = self._creditor_id(creditor)
        found: dict[str, str] = {}
        for chunk in chunks(set(debtors), IN_CHUNK):
            rows = self._session.execute(
                select(
                    DebtorRecord.account_code, DebtorRecord.flag_do_not_contact, DebtorRecord.flag_insolvent
                ).where(
                    DebtorRecord.creditor_id == creditor_id,
                    DebtorRecord.account_code.in_(chunk),
                    or_(DebtorRecord.flag_do_not_contact.is_(True), DebtorRecord.flag_insolvent.is_(True)),
                )
            )
            for code, do_not_contact, _insolvent in rows:
                found[code] = (
                    "the debtor is flagged do not contact"
                    if do_not_contact
                    else "the debtor is flagged insolvent"
                )
        return found

    def record_event(
        self,
        creditor: str,
        debtor: str | None,
        kind: EventKind,
        detail: str,
        *,
        at: datetime,
        message_id: int | None = None,
    ) -> None:
        """Add an entry to a debtor's timeline (or the creditor's, for a number no debtor has)."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor) if debtor is not None else None
        self._session.execute(
            insert(EVENTS),
            [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_id,
                    "message_id": message_id,
                    "occurred_at": at,
                    "kind": kind.value,
                    "detail": detail,
                }
            ],
        )

    def timeline(self, creditor: str, debtor: str) -> list[TimelineEvent]:
        """The debtor's comms timeline, oldest first."""
        creditor_id = self._creditor_id(creditor)
        debtor_id = self._debtor_id(creditor, creditor_id, debtor)
        rows = self._session.execute(
            select(
                MessageEventRecord.occurred_at,
                MessageEventRecord.kind,
                MessageEventRecord.detail,
                MessageRecord.idempotency_key,
                MessageRecord.channel,
            )
            .outerjoin(MessageRecord, MessageRecord.id == MessageEventRecord.message_id)
            .where(MessageEventRecord.creditor_id == creditor_id, MessageEventRecord.debtor_id == debtor_id)
            .order_by(MessageEventRecord.occurred_at, MessageEventRecord.id)
        )
        return [
            TimelineEvent(occurred_at, EventKind(kind), detail, key, Channel(channel) if channel else None)
            for occurred_at, kind, detail, key, channel in rows
        ]

    def debtor_for_recipient(self, creditor: str, channel: Channel, recipient: str) -> str | None:
        """The debtor most recently sent a message on `channel` at `recipient` (a number that
        replies STOP, an address that bounces), or None."""
        creditor_id = self._creditor_id(creditor)
        return self._session.scalar(
            select(DebtorRecord.account_code)
            .join(MessageRecord, MessageRecord.debtor_id == DebtorRecord.id)
            .where(
                MessageRecord.creditor_id == creditor_id,
                MessageRecord.channel == channel.value,
                MessageRecord.recipients == recipient,
            )
            .order_by(MessageRecord.id.desc())
            .limit(1)
        )
