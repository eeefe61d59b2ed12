"""The outbox's messages as stored and their delivery state: loading messages with their
attachments, claiming due ones, recording what delivery made of them (sent, failed, dead,
deferred, suppressed, delivered or bounced) and queueing dead ones again.
`OutboxRepository` (`comms_outbox`) builds on this with writing, listing and the timeline.

Claiming is safe with several dispatchers: on PostgreSQL the due rows are selected `FOR UPDATE
SKIP LOCKED`, so two workers never claim the same message; on SQLite the caller holds the
creditor lock (SQLite has one writer at a time anyway).

**Handing over and needs checking.** Before an SMS goes to the gateway (which cannot
deduplicate), the dispatcher commits `provider_ref = 'handing-over:<UTC time>'` on the
`sending` message (`mark_handing_over`); the gateway's sid replaces it once recorded. A message
found with that mark was interrupted mid hand-over: it is looked for at the gateway, never sent
blindly. One the gateway cannot account for **needs checking**: status `dead` with
`provider_ref = 'needs-checking:<UTC time>'` (`mark_needs_checking`); a blanket `retry` leaves
it alone, and only a person who has checked may queue it again (`retry(...,
confirmed_not_sent=True)`) or record it as sent (`confirm_sent`). Both marks live in existing
columns (the status column's CHECK constraint allows only the six statuses), so they need no
migration.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update

from arrears.comms.message import Attachment, EventKind, MessageStatus, RenderedMessage, StoredMessage
from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.policy import Channel
from arrears.store.repositories._common import IN_CHUNK, Repository, chunks
from arrears.store.tables import DebtorRecord, metadata
from arrears.store.tables_comms import MessageAttachmentRecord, MessageRecord

MESSAGES: Table = metadata.tables["messages"]
EVENTS: Table = metadata.tables["message_events"]

_DUE = (MessageStatus.QUEUED.value, MessageStatus.FAILED.value)
HANDING_OVER = "handing-over:"
NEEDS_CHECKING = "needs-checking:"


def hand_over_started(provider_ref: str | None) -> datetime | None:
    """When the interrupted hand-over of a message began (a `handing-over:` or `needs-checking:`
    mark in its provider reference), or None for a message without one."""
    for prefix in (HANDING_OVER, NEEDS_CHECKING):
        if provider_ref is not None and provider_ref.startswith(prefix):
            return datetime.fromisoformat(provider_ref.removeprefix(prefix))
    return None


class NeedsCheckingError(ArrearsError):
    """A message that may have reached the debtor was named for a retry without confirming
    that a person checked it was not sent."""


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


class MessageStore(Repository):
    """Loading stored messages and changing their delivery state (see the module docstring)."""

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
        keep_hand_over: bool = False,
    ) -> None:
        """Record a failed attempt: back to `failed` until `retry_at`, or `dead` (retry_at None).
        A bounce (the recipient's system refused it) is also marked on the message. The
        hand-over mark is cleared (the provider refused: nothing went out) unless
        `keep_hand_over` (no answer came back: the next try asks the provider first)."""
        creditor_id = self._creditor_id(creditor)
        status = MessageStatus.FAILED if retry_at is not None else MessageStatus.DEAD
        values: dict[str, Any] = {"status": status.value, "claimed_at": None, "last_error": error}
        if not keep_hand_over:
            values["provider_ref"] = None
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

    def mark_handing_over(self, creditor: str, message_id: int, at: datetime) -> bool:
        """Mark a `sending` message as being handed to a provider that cannot deduplicate
        (committed by the caller before the provider is called); False if it is not sending."""
        creditor_id = self._creditor_id(creditor)
        result = self._session.execute(
            update(MessageRecord)
            .where(
                MessageRecord.creditor_id == creditor_id,
                MessageRecord.id == message_id,
                MessageRecord.status == MessageStatus.SENDING.value,
            )
            .values(provider_ref=HANDING_OVER + at.astimezone(UTC).isoformat())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_needs_checking(
        self, creditor: str, message_id: int, *, at: datetime, since: datetime, detail: str
    ) -> None:
        """The provider cannot say whether it took this message, handed over from `since`: no
        more automatic tries; a person checks (see the module docstring)."""
        creditor_id = self._creditor_id(creditor)
        self._set(
            creditor_id,
            message_id,
            status=MessageStatus.DEAD.value,
            claimed_at=None,
            last_error=detail,
            provider_ref=NEEDS_CHECKING + since.astimezone(UTC).isoformat(),
        )
        self._event(creditor_id, message_id, EventKind.DEAD, f"needs checking: {detail}", at)

    def confirm_sent(
        self, creditor: str, key: str, *, at: datetime, provider_ref: str | None, detail: str
    ) -> StoredMessage:
        """A person checked that a message needing checking did reach the provider: record it
        sent (with the provider's reference, e.g. the SMS sid, when known)."""
        stored = self.get(creditor, key)
        waiting = stored.status is MessageStatus.DEAD and (stored.provider_ref or "").startswith(
            NEEDS_CHECKING
        )
        if not waiting:
            raise ArrearsError(
                f"message {key} is {stored.status.value}, not waiting to be checked; "
                "only a message that needs checking can be confirmed sent"
            )
        self.mark_sent(creditor, stored.id, at=at, provider_ref=provider_ref, detail=detail)
        return self.get(creditor, key)

    def suppress(self, creditor: str, message_id: int, *, at: datetime, reason: str) -> None:
        """Do not send this message, and say why (an opted-out number, do not contact)."""
        creditor_id = self._creditor_id(creditor)
        self._set(
            creditor_id, message_id, status=MessageStatus.SUPPRESSED.value, claimed_at=None, last_error=reason
        )
        self._event(creditor_id, message_id, EventKind.SUPPRESSED, reason, at)

    def retry(
        self,
        creditor: str,
        *,
        at: datetime,
        keys: Sequence[str] | None = None,
        confirmed_not_sent: bool = False,
    ) -> int:
        """Queue dead (or suppressed, when named by key) messages again with a fresh count of
        attempts; without `keys`, every dead message of the creditor except those that need
        checking. A message that needs checking is queued again only when named with
        `confirmed_not_sent` (a person checked it never reached the debtor); named without it,
        the retry is refused saying what to check. Returns how many."""
        creditor_id = self._creditor_id(creditor)
        where = [MessageRecord.creditor_id == creditor_id]
        unchecked = and_(
            MessageRecord.status == MessageStatus.DEAD.value,
            MessageRecord.provider_ref.startswith(NEEDS_CHECKING, autoescape=True),
        )
        if keys is None:
            checked = or_(
                MessageRecord.provider_ref.is_(None),
                ~MessageRecord.provider_ref.startswith(NEEDS_CHECKING, autoescape=True),
            )  # NULL-safe: NOT (NULL LIKE ...) is NULL, which no row passes
            where.extend([MessageRecord.status == MessageStatus.DEAD.value, checked])
        else:
            missing = set(keys) - self.existing_keys(creditor, keys)
            if missing:
                raise NotFoundError(
                    f"creditor {creditor} has no message {sorted(missing)[0]!r} in its outbox"
                )
            if not confirmed_not_sent:
                named = select(MessageRecord.idempotency_key).where(
                    MessageRecord.creditor_id == creditor_id,
                    MessageRecord.idempotency_key.in_(list(keys)),
                    unchecked,
                )
                waiting = sorted(self._session.scalars(named))
                if waiting:
                    raise NeedsCheckingError(
                        f"message {waiting[0]} needs checking: it may already have reached the debtor. "
                        f"Check the provider's log; if it was not sent, run arrears outbox retry "
                        f"--creditor {creditor} {waiting[0]} --confirm-not-sent; if it was, run "
                        f"arrears outbox confirm-sent --creditor {creditor} {waiting[0]}"
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
                provider_ref=None,
            )
            detail = "queued again by hand" + (
                " (checked: not sent before)" if confirmed_not_sent and keys is not None else ""
            )
            self._event(creditor_id, message_id, EventKind.RETRIED, detail, at)
        return len(ids)

    def set_delivery(
        self, creditor: str, message_id: int, delivery: str, *, at: datetime, detail: str
    ) -> None:
        """Record what the provider reported after sending: delivered, bounced, undelivered."""
        creditor_id = self._creditor_id(creditor)
        self._set(creditor_id, message_id, delivery=delivery)
        self._event(creditor_id, message_id, EventKind(delivery), detail, at)
