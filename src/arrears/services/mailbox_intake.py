"""Take the new messages of a creditor's intake mailbox: ledgers through the file importer, PDF
invoices into a queue for a person to key in, everything else recorded with the reason.

    with MaildirSource(Path("/srv/mail/acme-invoices")) as source:
        report = ingest_mailbox(uow, "ACME", source)

For each message the mailbox hands over as new (`arrears.intake.mailbox_maildir`: unseen;
`arrears.intake.mailbox_imap`: a UID above the last one taken), read by
`arrears.intake.mailbox.parse_message`:

1. it is parsed; a message whose key (its Message-ID, else the hash of its bytes) the creditor
   has taken already is only marked seen again, so running the intake twice changes nothing;
2. each CSV or Excel attachment goes through `import_ledger` on its own: profile detected,
   all or nothing per file, recorded as an import from the `mailbox` by the sender. Its outcome
   (the import's number and what it did, or every error) is recorded against the attachment,
   and a file that fails does not stop the others. A file that would settle most of the ledger
   is refused here as by `arrears import` (nobody is there to confirm it);
3. a PDF is kept, in the database with the row that lists it, as an invoice **to key in**,
   listed with the sender, the subject, when it arrived and its file name;
4. anything else is recorded with the reason: another type of file (`ignored: an image...`), a
   message without attachments, one too large to read, one that is malformed. Nothing is
   dropped silently;
5. the message and its attachments are recorded in one transaction, with the mailbox's new
   position (IMAP), and only then is the message marked seen in the mailbox (never deleted).

A crash after an import but before the record leaves the message unseen: the next run takes it
again, and re-importing the same rows changes nothing (the importer's own rule), so nothing is
counted twice.
"""

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

from arrears.core.errors import ArrearsError
from arrears.intake import mailbox
from arrears.intake.mailbox import (
    Attachment,
    Incoming,
    MailSource,
    ReceivedMessage,
    parse_message,
)
from arrears.services.import_ledger import ImportReport, Mode, import_ledger
from arrears.store.errors import DuplicateError
from arrears.store.repositories.mailbox import (
    NewAttachment,
    NewMailMessage,
    StoredAttachment,
    StoredMailMessage,
)
from arrears.store.unit_of_work import UnitOfWork

SHOWN_ERRORS = 50
"""Errors of a refused file kept in the attachment's detail; the import record counts them all."""


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one run took from a mailbox."""

    creditor: str
    mailbox: str
    messages: tuple[StoredMailMessage, ...]  # taken in this run, in the order they arrived
    already_taken: int  # handed over again but taken before (marked seen again)

    def count(self, outcome: str) -> int:
        """Attachments with this outcome (imported, rejected, to_key, ignored)."""
        return sum(1 for m in self.messages for a in m.attachments if a.outcome == outcome)

    def messages_with(self, status: str) -> int:
        return sum(1 for message in self.messages if message.status == status)


def ingest_mailbox(
    uow: UnitOfWork,
    creditor: str,
    source: MailSource,
    *,
    profile_folders: Sequence[Path] = (),
    mode: Mode = "full",
    now: datetime | None = None,
) -> IngestReport:
    """Take every new message of `source` for `creditor` (see the module docstring).

    `source` must be open (`with source:`). An unknown creditor is an error before anything is
    read. A mailbox that fails part-way (a dropped connection) raises `MailboxError`; what was
    recorded before stays recorded, and the next run carries on from there.
    """
    with uow:
        uow.creditors.get(creditor)
        position = uow.mailbox.position(creditor, source.label)
    taken: list[StoredMailMessage] = []
    already = 0
    with tempfile.TemporaryDirectory(prefix="arrears-mailbox-") as scratch:
        for incoming in source.incoming(position):
            message = parse_message(incoming.raw, headers_only=incoming.too_large, size=incoming.size)
            with uow:
                seen_before = uow.mailbox.is_taken(creditor, message.key)
                if seen_before and incoming.position is not None:
                    uow.mailbox.set_position(creditor, source.label, incoming.position, at=_now(now))
                    uow.commit()
            if seen_before:
                source.mark_taken(incoming.ref)
                already += 1
                continue
            attachments = tuple(
                _take(uow, creditor, message, attachment, Path(scratch), profile_folders, mode, now)
                for attachment in message.attachments
            )
            record = _new_message(source, incoming, message, attachments, _now(now))
            stored: StoredMailMessage | None
            with uow:
                try:
                    stored = uow.mailbox.record(creditor, record)
                except DuplicateError:
                    stored = None  # another run took it meanwhile
                if incoming.position is not None:
                    uow.mailbox.set_position(creditor, source.label, incoming.position, at=_now(now))
                uow.commit()
            source.mark_taken(incoming.ref)
            if stored is None:
                already += 1
            else:
                taken.append(stored)
    return IngestReport(creditor, source.label, tuple(taken), already)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _new_message(
    source: MailSource,
    incoming: Incoming,
    message: ReceivedMessage,
    attachments: tuple[NewAttachment, ...],
    now: datetime,
) -> NewMailMessage:
    status, note = "taken", None
    if message.malformed is not None:
        status, note = "malformed", message.malformed
    elif incoming.too_large:
        status = "ignored"
        note = (
            f"the message is {_size(incoming.size)}, more than the {_size(mailbox.MAX_MESSAGE_BYTES)} "
            "Arrears reads: its attachments were not read; import the files with `arrears import`"
        )
    elif not attachments:
        status, note = "ignored", "no attachment: nothing to import or key in"
    elif all(attachment.outcome == "ignored" for attachment in attachments):
        status, note = "ignored", "no ledger (CSV, .xlsx) or PDF invoice among its attachments"
    if message.notes:
        note = "; ".join([*([note] if note else []), *message.notes])
    return NewMailMessage(
        key=message.key,
        internet_message_id=message.message_id,
        source=source.kind,
        mailbox=source.label,
        source_ref=incoming.ref,
        sender=message.sender,
        subject=message.subject,
        sent_at=message.sent_at,
        received_at=incoming.received_at or message.sent_at or now,
        taken_at=now,
        size=message.size,
        sha256=message.sha256,
        status=status,
        note=note,
        attachments=attachments,
    )


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size:,} bytes"


def _take(
    uow: UnitOfWork,
    creditor: str,
    message: ReceivedMessage,
    attachment: Attachment,
    scratch: Path,
    profile_folders: Sequence[Path],
    mode: Mode,
    now: datetime | None,
) -> NewAttachment:
    """What becomes of one attachment: imported or refused, kept to key in, or ignored."""

    def outcome(
        outcome: str, detail: str, *, import_id: int | None = None, content: bytes | None = None
    ) -> NewAttachment:
        return NewAttachment(
            attachment.position,
            attachment.filename,
            attachment.content_type,
            attachment.size,
            attachment.sha256,
            attachment.kind,
            outcome,
            detail,
            import_id=import_id,
            content=content,
        )

    if attachment.unusable is not None:
        return outcome("ignored", attachment.unusable)
    if attachment.kind == "pdf":
        return outcome("to_key", "a PDF invoice: kept for a person to key in", content=attachment.content)
    folder = scratch / f"{message.sha256[:16]}-{attachment.position}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(attachment.filename)
    path.write_bytes(attachment.content)
    try:
        report = import_ledger(
            uow,
            creditor,
            path,
            who=_who(message.sender),
            source="mailbox",
            mode=mode,
            profile_folders=profile_folders,
            now=now,
        )
    except ArrearsError as error:  # a file that cannot be read at all, a mass settle...
        return outcome("rejected", str(error))
    finally:
        path.unlink(missing_ok=True)
    if report.rejected:
        return outcome("rejected", _refusal(report), import_id=report.summary.id)
    return outcome("imported", _applied(report), import_id=report.summary.id)


def _file_name(name: str) -> str:
    """The attachment's own name for the file the importer reads (its records show it), within
    the 255 bytes a file name may have."""
    safe = "".join("_" if character in "/\\\x00" else character for character in name) or "attachment"
    while len(safe.encode("utf-8", "surrogateescape")) > 250:
        stem, dot, suffix = safe.rpartition(".")
        safe = f"{stem[:-1]}.{suffix}" if dot and len(suffix) <= 10 and stem else safe[:-1]
    return safe


def _who(sender: str) -> str:
    address = parseaddr(sender)[1] or sender
    return f"{address} (mailbox)"[:200]


def _applied(report: ImportReport) -> str:
    summary = report.summary
    if summary.status == "unchanged":
        return f"import #{summary.id}: unchanged ({summary.note})"
    return (
        f"import #{summary.id} {summary.status} as {report.profile_title}: {summary.added} added, "
        f"{summary.updated} updated, {summary.settled} settled in the source, {summary.reopened} reopened, "
        f"{summary.unchanged} unchanged; debtors {summary.debtors_added} added, {summary.debtors_updated} updated"
    )


def _refusal(report: ImportReport) -> str:
    summary = report.summary
    lines = [
        f"import #{summary.id} rejected as {report.profile_title}: {len(report.errors)} error(s), nothing written"
    ]
    lines += [str(error) for error in report.errors[:SHOWN_ERRORS]]
    if len(report.errors) > SHOWN_ERRORS:
        lines.append(
            f"... and {len(report.errors) - SHOWN_ERRORS} more: import the file with `arrears import` to see all"
        )
    return "\n".join(lines)


def mailbox_messages(uow: UnitOfWork, creditor: str, *, limit: int = 50) -> list[StoredMailMessage]:
    """The creditor's messages taken from its mailbox, newest first."""
    with uow:
        return uow.mailbox.list_recent(creditor, limit)


def to_key(uow: UnitOfWork, creditor: str) -> list[StoredAttachment]:
    """PDF invoices waiting to be keyed in, oldest first."""
    with uow:
        return uow.mailbox.to_key(creditor)


def pdf_to_key(uow: UnitOfWork, creditor: str, attachment_id: int) -> tuple[StoredAttachment, bytes]:
    """A kept PDF and its bytes, for a person to open."""
    with uow:
        return uow.mailbox.attachment(creditor, attachment_id), uow.mailbox.content(creditor, attachment_id)


def mark_keyed(
    uow: UnitOfWork, creditor: str, attachment_id: int, *, who: str, now: datetime | None = None
) -> StoredAttachment:
    """A person has keyed the PDF in: it leaves the queue, recorded with who and when."""
    with uow:
        keyed = uow.mailbox.mark_keyed(creditor, attachment_id, who=who, at=_now(now))
        uow.commit()
    return keyed
