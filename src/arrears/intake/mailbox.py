"""Invoices and ledgers that arrive by email: messages read from a creditor's intake mailbox
(a Maildir, `arrears.intake.mailbox_maildir`; an IMAP folder, `arrears.intake.mailbox_imap`)
into plain values.

    message = parse_message(raw)   # pure: bytes in, a ReceivedMessage out

A mailbox (`MailSource`) hands over `Incoming` messages, raw bytes with where it keeps them,
and marks a message taken once it has been recorded.

`parse_message` reads what a person and the importer need: the Message-ID (the key that makes
a message be taken once; the SHA-256 of its bytes when it has none), the sender, the subject,
the Date, and every attachment (file name, content type, bytes, and what kind of file it is).
Real mail is untidy, and the rules follow what mail programs actually send:

- attachments are found anywhere in the MIME tree (nested multipart/mixed, related and
  alternative, forwarded messages); a part is an attachment when its disposition says so or it
  has a file name (Apple Mail sends files as `inline` with a name); text parts without a name
  are the message's text; any other part without a name (an inline logo) is an attachment too,
  so that it is listed rather than silently passed over;
- file names are decoded whether the sender used RFC 2231 (`filename*=utf-8''...`, with
  continuations) or encoded words (`"=?utf-8?q?...?="`, as Outlook and Gmail do); a path in
  the name is dropped (`C:\\Exports\\ledger.csv` is `ledger.csv`);
- the kind of a file comes from its extension, then its content type, then its first bytes, so
  `application/octet-stream` named `ledger.csv`, and a CSV sent as `application/vnd.ms-excel`
  (what Windows calls CSV files), are CSV;
- a message that cannot be read as a message (no header fields, a multipart whose parts cannot
  be found, or one cut short before its closing boundary, whose attachments may be incomplete)
  is `malformed`, with the reason: it is recorded, never dropped, and nothing in it is imported;
- an attachment whose base64 is damaged is not used (a ledger read from corrupted bytes would
  be wrong), and says so.
"""

import hashlib
import mimetypes
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import Literal, Protocol, Self

from arrears.core.errors import ArrearsError

AttachmentKind = Literal["csv", "xlsx", "pdf", "other"]

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
"""Largest message read whole. Mail services cap messages at 20-50 MB; a larger one is
recorded from its header alone, as ignored, with its size."""

MAX_KEY_CHARS = 255
_EXTENSIONS: dict[str, AttachmentKind] = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".pdf": "pdf"}
_TYPES: dict[str, AttachmentKind] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/comma-separated-values": "csv",
    "text/tab-separated-values": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
}
_ARCHIVES = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar")
_DAMAGED = (email_errors.InvalidBase64CharactersDefect, email_errors.InvalidBase64LengthDefect)
_STRUCTURE = {
    email_errors.NoBoundaryInMultipartDefect: "it says it is multipart but names no boundary, so its parts cannot be told apart",
    email_errors.StartBoundaryNotFoundDefect: "its MIME boundary never appears, so its parts cannot be found",
    email_errors.CloseBoundaryNotFoundDefect: "it ends before its closing MIME boundary: it was probably cut short, so its attachments may be incomplete",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailboxError(ArrearsError):
    """A mailbox that cannot be read: not a Maildir, an IMAP server that cannot be reached or
    refuses the login. The message says which mailbox and what to do."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message."""

    position: int  # 1, 2, ... in the order the message holds them
    filename: str  # as the sender named it (decoded), or one made up when it has none
    content_type: str  # lower case, e.g. "application/pdf"
    inline: bool  # Content-Disposition: inline
    content: bytes = field(repr=False)
    kind: AttachmentKind
    unusable: str | None = None  # why it cannot be used (always set for kind "other")

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message as Arrears reads it."""

    key: str  # its Message-ID, or "sha256:<hex>" of its bytes when it has none
    message_id: str | None
    sender: str
    subject: str
    sent_at: datetime | None  # the Date header, when it is a date
    size: int
    sha256: str
    attachments: tuple[Attachment, ...] = ()
    malformed: str | None = None  # why it cannot be read as a message
    notes: tuple[str, ...] = ()  # what was odd but did not stop it (a Date that is no date...)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as a mailbox hands it over, before it is parsed."""

    ref: str  # where the mailbox keeps it: a Maildir key, an IMAP UID
    raw: bytes = field(repr=False)  # the whole message, or only its header when `too_large`
    size: int
    received_at: datetime | None  # when the mailbox got it (delivery time, IMAP INTERNALDATE)
    position: str | None = None  # the mailbox's position after this message (IMAP: "uidvalidity:uid")

    @property
    def too_large(self) -> bool:
        return self.size > MAX_MESSAGE_BYTES


class MailSource(Protocol):
    """A creditor's intake mailbox: the unseen messages, and a way to mark one as taken."""

    kind: str  # "maildir" or "imap"
    label: str  # which mailbox, as recorded with each message

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def incoming(self, position: str | None) -> Iterator[Incoming]:
        """The messages not yet taken, oldest first; `position` is the last one recorded."""
        ...

    def mark_taken(self, ref: str) -> None:
        """Mark the message seen (never delete it)."""
        ...


# --- parsing ------------------------------------------------------------------------------------


def parse_message(raw: bytes, *, headers_only: bool = False, size: int | None = None) -> ReceivedMessage:
    """Read a message's header fields and attachments (see the module docstring).

    `headers_only`: `raw` is only the header of a message too large to read (`size` bytes).
    """
    digest = hashlib.sha256(raw).hexdigest()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    notes: list[str] = []
    message_id = _message_id(message, notes)
    sent_at = _date(message, notes)
    base = ReceivedMessage(
        key=_key(message_id, digest),
        message_id=message_id,
        sender=_header(message, "From", notes) or "(no sender)",
        subject=_header(message, "Subject", notes) or "(no subject)",
        sent_at=sent_at,
        size=len(raw) if size is None else size,
        sha256=digest,
    )
    if not message.keys():
        return _with(base, notes, malformed="not an email message: it has no header fields")
    if headers_only:
        return _with(base, notes)
    problem = _structure_problem(message)
    if problem is not None:
        return _with(base, notes, malformed=problem)
    return _with(base, notes, attachments=tuple(_attachments(message)))


def _with(
    base: ReceivedMessage,
    notes: list[str],
    *,
    malformed: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> ReceivedMessage:
    return ReceivedMessage(
        key=base.key,
        message_id=base.message_id,
        sender=base.sender,
        subject=base.subject,
        sent_at=base.sent_at,
        size=base.size,
        sha256=base.sha256,
        attachments=attachments,
        malformed=malformed,
        notes=tuple(notes),
    )


def _header(message: Message, name: str, notes: list[str]) -> str | None:
    """A header field's text, decoded and unfolded; the raw text when the parser chokes on it."""
    try:
        value = message.get(name)
    except Exception as error:  # the header registry raises on some malformed fields
        notes.append(f"the {name} header could not be parsed ({type(error).__name__}); kept as written")
        value = _raw_header(message, name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    if name == "From" and "@" not in text:
        raw = _raw_header(message, name)  # "<<bad>>" parses to "<>": keep what the sender wrote
        text = " ".join((raw or text).split())
    return text


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            text = str(value)
            try:
                return str(make_header(decode_header(text)))
            except (ValueError, LookupError, email_errors.HeaderParseError):
                return text
    return None


def _message_id(message: Message, notes: list[str]) -> str | None:
    text = _header(message, "Message-ID", notes)
    if not text:
        return None
    text = text.strip().removeprefix("<").removesuffix(">").strip()
    return text or None


def _key(message_id: str | None, digest: str) -> str:
    """The message's identity: its Message-ID; the hash of the ID when the ID is too long to
    index; the hash of its bytes when it has none."""
    if message_id is None:
        return f"sha256:{digest}"
    if len(message_id) > MAX_KEY_CHARS:
        return "id-sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return message_id


def _date(message: Message, notes: list[str]) -> datetime | None:
    try:
        value = message.get("Date")
    except Exception:
        value = None
    if value is None:
        return None
    moment = getattr(value, "datetime", None)
    if not isinstance(moment, datetime):
        notes.append(f"the Date header {' '.join(str(value).split())!r} is not a date")
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _structure_problem(message: Message) -> str | None:
    for part in message.walk():
        for defect in part.defects:
            for kind, reason in _STRUCTURE.items():
                if isinstance(defect, kind):
                    return reason
    return None


def _attachments(message: Message) -> Iterator[Attachment]:
    position = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type().lower()
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if filename is None and disposition != "attachment" and _is_text_body(content_type):
            continue  # the message's own text
        position += 1
        yield _attachment(part, position, filename, content_type, inline=disposition != "attachment")


def _is_text_body(content_type: str) -> bool:
    return content_type.startswith("text/") and _TYPES.get(content_type) is None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # a parameter the parser cannot read
        name = None
    if name is None:
        return None
    name = _CONTROL.sub("", str(name)).strip()
    name = PureWindowsPath(PurePosixPath(name).name).name.strip()
    if name in ("", ".", ".."):
        return None
    if len(name) > 255:
        stem, suffix = os.path.splitext(name)
        name = stem[: 255 - len(suffix[:16])] + suffix[:16]
    return name


def _attachment(
    part: Message, position: int, filename: str | None, content_type: str, *, inline: bool
) -> Attachment:
    unusable: str | None = None
    try:
        payload = part.get_payload(decode=True)
    except Exception as error:  # a transfer encoding the library cannot undo
        payload, unusable = b"", f"its content cannot be decoded ({type(error).__name__})"
    content = payload if isinstance(payload, bytes) else b""
    if unusable is None and any(isinstance(defect, _DAMAGED) for defect in part.defects):
        unusable = "its base64 encoding is damaged, so the file cannot be read as sent"
    if filename is None:
        extension = mimetypes.guess_extension(content_type) or ""
        filename = f"attachment-{position}{extension}"
    kind = attachment_kind(filename, content_type, content)
    if unusable is None:
        unusable = _why_unusable(filename, content_type, content, kind)
    return Attachment(position, filename, content_type, inline, content, kind, unusable)


def attachment_kind(filename: str, content_type: str, content: bytes) -> AttachmentKind:
    """What a file is: by its extension, else its content type, else its first bytes."""
    by_extension = _EXTENSIONS.get(os.path.splitext(filename.lower())[1])
    if by_extension is not None:
        return by_extension
    by_type = _TYPES.get(content_type.lower())
    if by_type is not None:
        return by_type
    if _looks_like_pdf(content):
        return "pdf"
    return "other"


def _looks_like_pdf(content: bytes) -> bool:
    # PDF readers accept the header anywhere in the first 1024 bytes.
    return b"%PDF-" in content[:1024]


def _why_unusable(filename: str, content_type: str, content: bytes, kind: AttachmentKind) -> str | None:
    if not content:
        return "it is empty (0 bytes)"
    if kind == "pdf":
        return None if _looks_like_pdf(content) else f"it is named {filename} but is not a PDF document"
    if kind != "other":
        return None
    lower = filename.lower()
    extension = os.path.splitext(lower)[1]
    if content_type == "application/octet-stream":  # "some bytes": the name says more
        content_type = mimetypes.guess_type(lower, strict=False)[0] or content_type
    if lower == "winmail.dat" or content_type == "application/ms-tnef":
        return (
            "Outlook's winmail.dat (TNEF): the files inside it are not unpacked; "
            "ask the sender to send plain attachments (HTML or plain text mail, not Rich Text)"
        )
    if extension == ".xls" or content_type == "application/vnd.ms-excel":
        return "an old Excel workbook (.xls): Arrears reads .xlsx and CSV; ask for one of those"
    if extension == ".p7s" or content_type in (
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
    ):
        return "the message's digital signature"
    if extension in _ARCHIVES or content_type in ("application/zip", "application/x-zip-compressed"):
        return "an archive: the files inside it are not unpacked; ask for the files themselves"
    if content_type.startswith("image/"):
        return f"an image ({content_type}), not a ledger or an invoice"
    return (
        f"a file of type {content_type} ({extension or 'no extension'}): Arrears takes ledgers as "
        "CSV or Excel (.xlsx) and invoices as PDF"
    )
