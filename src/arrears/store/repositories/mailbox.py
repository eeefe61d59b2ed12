"""The messages taken from creditors' intake mailboxes, their attachments, and how far into each
IMAP folder Arrears has read (tables in `arrears.store.tables_mailbox`).

Every method takes the creditor first and reads or changes only that creditor's rows: asking
for another creditor's attachment by its id finds nothing. Times go in timezone-aware and come
out in UTC (SQLite keeps no offset; the repository puts UTC back).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.store.errors import ConstraintError, DuplicateError
from arrears.store.repositories._common import Repository
from arrears.store.tables_mailbox import (
    MailboxAttachmentRecord,
    MailboxCursorRecord,
    MailboxMessageRecord,
)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """An attachment to record, with what became of it."""

    position: int
    filename: str
    content_type: str
    size: int
    sha256: str
    kind: str  # csv, xlsx, pdf, other
    outcome: str  # imported, rejected, to_key, ignored
    detail: str
    import_id: int | None = None
    content: bytes | None = field(default=None, repr=False)  # kept for PDFs to key in


@dataclass(frozen=True, slots=True)
class NewMailMessage:
    """A message to record as taken."""

    key: str
    internet_message_id: str | None
    source: str  # maildir, imap
    mailbox: str
    source_ref: str
    sender: str
    subject: str
    sent_at: datetime | None
    received_at: datetime
    taken_at: datetime
    size: int
    sha256: str
    status: str  # taken, ignored, malformed
    note: str | None
    attachments: tuple[NewAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment as recorded, with the message it came in (for listing)."""

    id: int
    message_id: int
    position: int
    filename: str
    content_type: str
    size: int
    kind: str
    outcome: str
    detail: str
    import_id: int | None
    keyed_at: datetime | None
    keyed_by: str | None
    sender: str
    subject: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoredMailMessage:
    """A message as recorded, with its attachments in order."""

    id: int
    creditor: str
    key: str
    internet_message_id: str | None
    source: str
    mailbox: str
    source_ref: str
    sender: str
    subject: str
    sent_at: datetime | None
    received_at: datetime
    taken_at: datetime
    size: int
    status: str
    note: str | None
    attachments: tuple[StoredAttachment, ...]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ConstraintError(f"{what} {value.isoformat()} has no timezone; give times in UTC")
    return value.astimezone(UTC)


def _attachment(record: MailboxAttachmentRecord, message: MailboxMessageRecord) -> StoredAttachment:
    return StoredAttachment(
        id=record.id,
        message_id=record.message_id,
        position=record.position,
        filename=record.filename,
        content_type=record.content_type,
        size=record.size_bytes,
        kind=record.kind,
        outcome=record.outcome,
        detail=record.detail,
        import_id=record.import_id,
        keyed_at=_optional_utc(record.keyed_at),
        keyed_by=record.keyed_by,
        sender=message.sender,
        subject=message.subject,
        received_at=_utc(message.received_at),
    )


class MailboxRepository(Repository):
    def is_taken(self, creditor: str, key: str) -> bool:
        """Whether a message with this key (Message-ID or content hash) was taken already."""
        found = self._session.scalar(
            select(MailboxMessageRecord.id).where(
                MailboxMessageRecord.creditor_id == self._creditor_id(creditor),
                MailboxMessageRecord.message_key == key,
            )
        )
        return found is not None

    def record(self, creditor: str, message: NewMailMessage) -> StoredMailMessage:
        """Record a taken message and its attachments. A message whose key the creditor has
        already is a `DuplicateError` (the unit of work stays usable)."""
        creditor_id = self._creditor_id(creditor)
        record = MailboxMessageRecord(
            creditor_id=creditor_id,
            message_key=message.key,
            internet_message_id=message.internet_message_id,
            source=message.source,
            mailbox=message.mailbox[:500],
            source_ref=message.source_ref[:255],
            sender=message.sender,
            subject=message.subject,
            sent_at=None if message.sent_at is None else _aware(message.sent_at, "sent_at"),
            received_at=_aware(message.received_at, "received_at"),
            taken_at=_aware(message.taken_at, "taken_at"),
            size_bytes=message.size,
            content_hash=message.sha256,
            status=message.status,
            note=message.note,
        )
        try:
            with self._session.begin_nested():
                self._session.add(record)
                self._session.flush()
                for attachment in message.attachments:
                    self._session.add(
                        MailboxAttachmentRecord(
                            creditor_id=creditor_id,
                            message_id=record.id,
                            position=attachment.position,
                            filename=attachment.filename[:255],
                            content_type=attachment.content_type[:255],
                            size_bytes=attachment.size,
                            content_hash=attachment.sha256,
                            kind=attachment.kind,
                            outcome=attachment.outcome,
                            detail=attachment.detail,
                            import_id=attachment.import_id,
                            content=attachment.content,
                        )
                    )
                self._session.flush()
        except IntegrityError as error:
            if self.is_taken(creditor, message.key):
                raise DuplicateError(
                    f"creditor {creditor} has taken the message {message.key} already"
                ) from error
            raise ConstraintError(
                f"the database refused the message {message.key}: {str(error.orig).strip().splitlines()[0]}"
            ) from error
        return self.get(creditor, record.id)

    def get(self, creditor: str, message_id: int) -> StoredMailMessage:
        record = self._session.scalar(
            select(MailboxMessageRecord).where(
                MailboxMessageRecord.creditor_id == self._creditor_id(creditor),
                MailboxMessageRecord.id == message_id,
            )
        )
        if record is None:
            raise NotFoundError(f"creditor {creditor} has no mailbox message #{message_id}")
        return self._messages(creditor, [record])[0]

    def list_recent(self, creditor: str, limit: int = 50) -> list[StoredMailMessage]:
        """The creditor's messages, newest first (by when they arrived)."""
        records = self._session.scalars(
            select(MailboxMessageRecord)
            .where(MailboxMessageRecord.creditor_id == self._creditor_id(creditor))
            .order_by(MailboxMessageRecord.received_at.desc(), MailboxMessageRecord.id.desc())
            .limit(limit)
        )
        return self._messages(creditor, list(records))

    def _messages(self, creditor: str, records: Sequence[MailboxMessageRecord]) -> list[StoredMailMessage]:
        by_id = {record.id: record for record in records}
        attachments: dict[int, list[StoredAttachment]] = {record.id: [] for record in records}
        if by_id:
            rows = self._session.scalars(
                select(MailboxAttachmentRecord)
                .where(
                    MailboxAttachmentRecord.creditor_id == self._creditor_id(creditor),
                    MailboxAttachmentRecord.message_id.in_(list(by_id)),
                )
                .order_by(MailboxAttachmentRecord.message_id, MailboxAttachmentRecord.position)
            )
            for row in rows:
                attachments[row.message_id].append(_attachment(row, by_id[row.message_id]))
        return [
            StoredMailMessage(
                id=record.id,
                creditor=creditor,
                key=record.message_key,
                internet_message_id=record.internet_message_id,
                source=record.source,
                mailbox=record.mailbox,
                source_ref=record.source_ref,
                sender=record.sender,
                subject=record.subject,
                sent_at=_optional_utc(record.sent_at),
                received_at=_utc(record.received_at),
                taken_at=_utc(record.taken_at),
                size=record.size_bytes,
                status=record.status,
                note=record.note,
                attachments=tuple(attachments[record.id]),
            )
            for record in records
        ]

    def to_key(self, creditor: str) -> list[StoredAttachment]:
        """PDFs waiting for a person to key them in, oldest first (a queue)."""
        rows = self._session.execute(
            select(MailboxAttachmentRecord, MailboxMessageRecord)
            .join(
                MailboxMessageRecord,
                (MailboxMessageRecord.creditor_id == MailboxAttachmentRecord.creditor_id)
                & (MailboxMessageRecord.id == MailboxAttachmentRecord.message_id),
            )
            .where(
                MailboxAttachmentRecord.creditor_id == self._creditor_id(creditor),
                MailboxAttachmentRecord.outcome == "to_key",
            )
            .order_by(MailboxMessageRecord.received_at, MailboxAttachmentRecord.id)
        )
        return [_attachment(attachment, message) for attachment, message in rows]

    def attachment(self, creditor: str, attachment_id: int) -> StoredAttachment:
        attachment, message = self._attachment_records(creditor, attachment_id)
        return _attachment(attachment, message)

    def content(self, creditor: str, attachment_id: int) -> bytes:
        """The bytes kept for an attachment (PDFs to key in)."""
        attachment, _ = self._attachment_records(creditor, attachment_id)
        if attachment.content is None:
            raise NotFoundError(
                f"attachment #{attachment_id} ({attachment.filename}) was {attachment.outcome}, "
                "not kept: only PDFs to key in are kept"
            )
        return attachment.content

    def mark_keyed(self, creditor: str, attachment_id: int, *, who: str, at: datetime) -> StoredAttachment:
        """A person has keyed the PDF in: it leaves the queue, with who and when."""
        attachment, message = self._attachment_records(creditor, attachment_id)
        if attachment.outcome == "keyed":
            when = _optional_utc(attachment.keyed_at)
            raise ArrearsError(
                f"attachment #{attachment_id} ({attachment.filename}) was keyed already, by "
                f"{attachment.keyed_by} on {when:%Y-%m-%d %H:%M} UTC"
            )
        if attachment.outcome != "to_key":
            raise ArrearsError(
                f"attachment #{attachment_id} ({attachment.filename}) is not a PDF waiting to be keyed "
                f"in: it was {attachment.outcome}"
            )
        attachment.outcome = "keyed"
        attachment.keyed_at = _aware(at, "keyed_at")
        attachment.keyed_by = who[:200]
        self._session.flush()
        return _attachment(attachment, message)

    def _attachment_records(
        self, creditor: str, attachment_id: int
    ) -> tuple[MailboxAttachmentRecord, MailboxMessageRecord]:
        row = self._session.execute(
            select(MailboxAttachmentRecord, MailboxMessageRecord)
            .join(
                MailboxMessageRecord,
                (MailboxMessageRecord.creditor_id == MailboxAttachmentRecord.creditor_id)
                & (MailboxMessageRecord.id == MailboxAttachmentRecord.message_id),
            )
            .where(
                MailboxAttachmentRecord.creditor_id == self._creditor_id(creditor),
                MailboxAttachmentRecord.id == attachment_id,
            )
        ).first()
        if row is None:
            raise NotFoundError(f"creditor {creditor} has no mailbox attachment #{attachment_id}")
        return row[0], row[1]

    def position(self, creditor: str, mailbox: str) -> str | None:
        """How far into `mailbox` (an IMAP folder's label) the creditor's intake has read."""
        return self._session.scalar(
            select(MailboxCursorRecord.position).where(
                MailboxCursorRecord.creditor_id == self._creditor_id(creditor),
                MailboxCursorRecord.mailbox == mailbox[:500],
            )
        )

    def set_position(self, creditor: str, mailbox: str, position: str, *, at: datetime) -> None:
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(MailboxCursorRecord).where(
                MailboxCursorRecord.creditor_id == creditor_id,
                MailboxCursorRecord.mailbox == mailbox[:500],
            )
        )
        if record is None:
            record = MailboxCursorRecord(creditor_id=creditor_id, mailbox=mailbox[:500])
            self._session.add(record)
        record.position = position[:100]
        record.updated_at = _aware(at, "updated_at")
        self._session.flush()
