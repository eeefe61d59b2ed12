"""The outbox: rendered messages, their attachments and delivery state, and the debtor's comms
timeline. Every method takes the creditor code first.

Claiming is safe with several dispatchers: on PostgreSQL the due rows are selected `FOR UPDATE
SKIP LOCKED`, so two workers never claim the same message; on SQLite the caller holds the
creditor lock (SQLite has one writer at a time anyway).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from arrears.comms.message import (
    Attachment,
    EventKind,
    MessageStatus,
    RenderedMessage,
    StoredMessage,
    TimelineEvent,
)
from arrears.core.errors import NotFoundError
from arrears.core.policy import Channel
from arrears.store.errors import WrongCreditorError
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.tables import DebtorRecord, metadata
from arrears.store.tables_comms import MessageAttachmentRecord, MessageEventRecord, MessageRecord

MESSAGES: Table = metadata.tables["messages"]
ATTACHMENTS: Table = metadata.tables["message_attachments"]
EVENTS: Table = metadata.tables["message_events"]

_DUE = (MessageStatus.QUEUED.value, MessageStatus.FAILED.value)


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


def _stored(
    record: MessageRecord, debtor: str, creditor: str, attachments: Sequence[Attachment]
) -> StoredMessage:
    message = RenderedMessage(
        creditor=creditor,
        debtor=debtor,
        idempotency_key=record.idempotency_key,
        action_key=record.action_key,
        step=record.step,
        template=record.template,
        channel=Channel(record.channel),
        language=record.language,
        sender=record.sender,
        sender_address=record.sender_address,
        reply_to=record.reply_to,
        recipients=tuple(record.recipients.split("\n")) if record.recipients else (),
        subject=record.subject,
        text=record.body_text,
        html=record.body_html,
        attachments=tuple(attachments),
        message_id=record.message_id,
        created_at=record.created_at,
        transactional=record.transactional,
        reason=record.reason,
    )
    return StoredMessage(
        id=record.id,
        message=message,
        status=MessageStatus(record.status),
        attempts=record.attempts,
        next_attempt_at=record.next_attempt_at,
        last_error=record.last_error,
        provider_ref=record.provider_ref,
        delivery=record.delivery,
        sent_at=record.sent_at,
    )


class OutboxRepository(Repository):
    # --- writing messages ---------------------------------------------------------------------

    def existing_keys(self, creditor: str, keys: Iterable[str]) -> set[str]:
        """Those of `keys` already in the creditor's outbox."""
        creditor_id = self._creditor_id(creditor)
        found: set[str] = set()
        for chunk in chunks(set(keys), IN_CHUNK):
            found.update(
                self._session.scalars(
                    select(MessageRecord.idempotency_key).where(
                        MessageRecord.creditor_id == creditor_id, MessageRecord.idempotency_key.in_(chunk)
                    )
                )
            )
        return found

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

    def _attachments(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        found: dict[int, list[Attachment]] = {message_id: [] for message_id in message_ids}
        for chunk in chunks(message_ids, IN_CHUNK):
            rows = self._session.execute(
                select(
                    MessageAttachmentRecord.message_id,
                    MessageAttachmentRecord.filename,
                    MessageAttachmentRecord.media_type,
                    MessageAttachmentRecord.data,
                    MessageAttachmentRecord.content_id,
                )
                .where(MessageAttachmentRecord.message_id.in_(chunk))
                .order_by(MessageAttachmentRecord.message_id, MessageAttachmentRecord.position)
            )
            for message_id, filename, media_type, data, content_id in rows:
                found[message_id].append(Attachment(filename, media_type, bytes(data), content_id))
        return found

    def _load(
        self, creditor: str, where: Any, *, order: Any = None, limit: int | None = None
    ) -> list[StoredMessage]:
        creditor_id = self._creditor_id(creditor)
        statement = (
            select(MessageRecord, DebtorRecord.account_code)
            .join(DebtorRecord, DebtorRecord.id == MessageRecord.debtor_id)
            .where(MessageRecord.creditor_id == creditor_id, where)
            .order_by(*(order if order is not None else (MessageRecord.id,)))
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = list(self._session.execute(statement))
        attachments = self._attachments([record.id for record, _ in rows])
        return [_stored(record, debtor, creditor, attachments[record.id]) for record, debtor in rows]

    def get(self, creditor: str, key: str) -> StoredMessage:
        """The message with idempotency key `key`, with its attachments."""
        found = self._load(creditor, MessageRecord.idempotency_key == key)
        if not found:
            raise NotFoundError(f"creditor {creditor} has no message {key!r} in its outbox")
        return found[0]

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
    ) -> list[MessageSummary]:
        """The creditor's messages, newest first, optionally of one status or debtor."""
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

    # --- delivery state -------------------------------------------------------------------------

    def claim_due(self, creditor: str, now: datetime, *, limit: int, lease: timedelta) -> list[StoredMessage]:
        """Take up to `limit` messages due for delivery (queued, or failed and past their
        back-off, or claimed longer than `lease` ago by a process presumed dead), oldest first,
        mark them `sending` and count the attempt."""
        creditor_id = self._creditor_id(creditor)
        due = or_(
            and_(MessageRecord.status.in_(_DUE), MessageRecord.next_attempt_at <= now),
            and_(
                MessageRecord.status == MessageStatus.SENDING.value, MessageRecord.claimed_at <= now - lease
            ),
        )
        candidates = (
            select(MessageRecord.id)
            .where(MessageRecord.creditor_id == creditor_id, due)
            .order_by(MessageRecord.next_attempt_at, MessageRecord.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self._session.scalars(candidates))
        if not ids:
            return []
        for chunk in chunks(ids, IN_CHUNK):
            self._session.execute(
                update(MessageRecord)
                .where(MessageRecord.creditor_id == creditor_id, MessageRecord.id.in_(chunk))
                .values(
                    status=MessageStatus.SENDING.value, claimed_at=now, attempts=MessageRecord.attempts + 1
                )
                .execution_options(synchronize_session=False)
            )
        self._session.expire_all()
        return self._load(
            creditor, MessageRecord.id.in_(ids), order=(MessageRecord.next_attempt_at, MessageRecord.id)
        )

    def _event(self, creditor_id: int, message_id: int, kind: EventKind, detail: str, at: datetime) -> None:
        debtor_id = self._session.scalar(
            select(MessageRecord.debtor_id).where(MessageRecord.id == message_id)
        )
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

    def _set(self, creditor_id: int, message_id: int, **values: Any) -> None:
        result = self._session.execute(
            update(MessageRecord)
            .where(MessageRecord.creditor_id == creditor_id, MessageRecord.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise NotFoundError(f"there is no message {message_id} for this creditor")

    def mark_sent(
        self,
        creditor: str,
        message_id: int,
        *,
        at: datetime,
        provider_ref: str | None = None,
        detail: str = "",
    ) -> None:
        creditor_id = self._creditor_id(creditor)
        self._set(
            creditor_id,
            message_id,
            status=MessageStatus.SENT.value,
            sent_at=at,
            claimed_at=None,
            last_error=None,
            provider_ref=provider_ref,
        )
        self._event(creditor_id, message_id, EventKind.SENT, detail or "sent", at)

    def mark_sent_many(self, creditor: str, sent: Sequence[tuple[int, datetime, str | None, str]]) -> None:
        """`mark_sent` for many messages at once: (message id, sent at, provider ref, detail)."""
        if not sent:
            return
        creditor_id = self._creditor_id(creditor)
        ids = [message_id for message_id, _, _, _ in sent]
        debtors: dict[int, int] = {}
        for chunk in chunks(ids, IN_CHUNK):
            rows = self._session.execute(
                select(MessageRecord.id, MessageRecord.debtor_id).where(
                    MessageRecord.creditor_id == creditor_id, MessageRecord.id.in_(chunk)
                )
            )
            debtors.update({message_id: debtor_id for message_id, debtor_id in rows})
        missing = set(ids) - set(debtors)
        if missing:
            raise NotFoundError(f"there is no message {sorted(missing)[0]} for creditor {creditor}")
        self._session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("message"))
            .values(
                status=MessageStatus.SENT.value,
                sent_at=bindparam("at"),
                claimed_at=None,
                last_error=None,
                provider_ref=bindparam("ref"),
            ),
            [{"message": message_id, "at": at, "ref": ref} for message_id, at, ref, _ in sent],
        )
        self._session.execute(
            insert(EVENTS),
            [
                {
                    "creditor_id": creditor_id,
                    "debtor_id": debtors[message_id],
                    "message_id": message_id,
                    "occurred_at": at,
                    "kind": EventKind.SENT.value,
                    "detail": detail or "sent",
                }
                for message_id, at, _, detail in sent
            ],
        )

    def mark_failed(
        self,
        creditor: str,
        message_id: int,
        *,
        at: datetime,
        error: str,
        retry_at: datetime | None,
        bounce: bool = False,
    ) -> None:
        """Record a failed attempt: back to `failed` until `retry_at`, or `dead` (retry_at None).
        A bounce (the recipient's system refused it) is also marked on the message."""
        creditor_id = self._creditor_id(creditor)
        status = MessageStatus.FAILED if retry_at is not None else MessageStatus.DEAD
        values: dict[str, Any] = {"status": status.value, "claimed_at": None, "last_error": error}
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        if bounce:
            values["delivery"] = "bounced"
        self._set(creditor_id, message_id, **values)
        if bounce:
            self._event(creditor_id, message_id, EventKind.BOUNCED, error, at)
        kind = EventKind.ATTEMPT_FAILED if retry_at is not None else EventKind.DEAD
        detail = (
            f"{error}; next try {retry_at.isoformat(timespec='minutes')}" if retry_at is not None else error
        )
        self._event(creditor_id, message_id, kind, detail, at)

    def defer(self, creditor: str, message_id: int, until: datetime) -> None:
        """Put a claimed message back, untried, until `until` (quiet hours, the contact cap)."""
        creditor_id = self._creditor_id(creditor)
        self._set(
            creditor_id,
            message_id,
            status=MessageStatus.QUEUED.value,
            claimed_at=None,
            next_attempt_at=until,
            attempts=MessageRecord.attempts - 1,
        )

    def suppress(self, creditor: str, message_id: int, *, at: datetime, reason: str) -> None:
        """Do not send this message, and say why (an opted-out number, do not contact)."""
        creditor_id = self._creditor_id(creditor)
        self._set(
            creditor_id, message_id, status=MessageStatus.SUPPRESSED.value, claimed_at=None, last_error=reason
        )
        self._event(creditor_id, message_id, EventKind.SUPPRESSED, reason, at)

    def retry(self, creditor: str, *, at: datetime, keys: Sequence[str] | None = None) -> int:
        """Queue dead (or suppressed, when named by key) messages again with a fresh count of
        attempts; without `keys`, every dead message of the creditor. Returns how many."""
        creditor_id = self._creditor_id(creditor)
        where = [MessageRecord.creditor_id == creditor_id]
        if keys is None:
            where.append(MessageRecord.status == MessageStatus.DEAD.value)
        else:
            missing = set(keys) - self.existing_keys(creditor, keys)
            if missing:
                raise NotFoundError(
                    f"creditor {creditor} has no message {sorted(missing)[0]!r} in its outbox"
                )
            where.extend(
                [
                    MessageRecord.idempotency_key.in_(list(keys)),
                    MessageRecord.status.in_(
                        (MessageStatus.DEAD.value, MessageStatus.FAILED.value, MessageStatus.SUPPRESSED.value)
                    ),
                ]
            )
        ids = list(self._session.scalars(select(MessageRecord.id).where(*where)))
        for message_id in ids:
            self._set(
                creditor_id,
                message_id,
                status=MessageStatus.QUEUED.value,
                attempts=0,
                next_attempt_at=at,
                claimed_at=None,
            )
            self._event(creditor_id, message_id, EventKind.RETRIED, "queued again by hand", at)
        return len(ids)

    def set_delivery(
        self, creditor: str, message_id: int, delivery: str, *, at: datetime, detail: str
    ) -> None:
        """Record what the provider reported after sending: delivered, bounced, undelivered."""
        creditor_id = self._creditor_id(creditor)
        self._set(creditor_id, message_id, delivery=delivery)
        self._event(creditor_id, message_id, EventKind(delivery), detail, at)

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
