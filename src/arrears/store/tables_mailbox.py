"""Tables of the mailbox area: every message taken from a creditor's intake mailbox, what became
of each of its attachments, and how far into each IMAP folder Arrears has read (see
docs/intake.md, "Mailbox"). They register on the ledger's metadata.

The same rules as the ledger's tables: every row has `creditor_id`; a row pointing at a message
or an import does so through a composite foreign key `(creditor_id, x_id)`, so a row of creditor
A can never point at creditor B's message or import; kinds and outcomes are short strings
checked by CHECK constraints; times are timezone-aware, written in UTC.

- `mailbox_messages`: one row per message taken, whatever became of it (`taken`: its
  attachments were handled; `ignored`: nothing in it to take, with the reason; `malformed`: it
  could not be read as a message, with the reason). `message_key` is its Message-ID, or the
  SHA-256 of its bytes when it has none: unique per creditor, so a message is taken once.
- `mailbox_attachments`: one row per attachment, in the message's order: `imported` (through
  the ledger importer; `import_id` is the import), `rejected` (the importer refused the file;
  `detail` holds its errors), `to_key` and then `keyed` (a PDF invoice for a person to key in;
  its bytes are in `content`), `ignored` (with the reason).
- `mailbox_cursors`: per creditor and IMAP folder, the last UID taken (with the folder's
  UIDVALIDITY), so the next run fetches only what came after it.

PDFs are kept in the database rather than in workspace files: they are small (an invoice is
tens of kilobytes), they are written in the same transaction as the row that lists them (no
file without its row, no row without its file), every worker sharing the PostgreSQL store sees
them, a backup of the database holds them, and the creditor scoping of every query covers them.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.store.tables import Base

MAILBOX_SOURCES = ("maildir", "imap")
MESSAGE_STATUSES = ("taken", "ignored", "malformed")
ATTACHMENT_KINDS = ("csv", "xlsx", "pdf", "other")
ATTACHMENT_OUTCOMES = ("imported", "rejected", "to_key", "keyed", "ignored")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class MailboxMessageRecord(Base):
    """A message taken from a creditor's intake mailbox."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (
        UniqueConstraint("creditor_id", "id"),
        UniqueConstraint("creditor_id", "message_key"),
        Index("ix_mailbox_messages_creditor_id_received_at", "creditor_id", "received_at"),
        CheckConstraint(_one_of("source", MAILBOX_SOURCES), name="source"),
        CheckConstraint(_one_of("status", MESSAGE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    message_key: Mapped[str] = mapped_column(String(255))
    internet_message_id: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    mailbox: Mapped[str] = mapped_column(String(500))
    source_ref: Mapped[str] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class MailboxAttachmentRecord(Base):
    """An attachment of a taken message, and what became of it."""

    __tablename__ = "mailbox_attachments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["creditor_id", "message_id"], ["mailbox_messages.creditor_id", "mailbox_messages.id"]
        ),
        ForeignKeyConstraint(["creditor_id", "import_id"], ["imports.creditor_id", "imports.id"]),
        UniqueConstraint("message_id", "position"),
        Index("ix_mailbox_attachments_creditor_id_outcome", "creditor_id", "outcome"),
        CheckConstraint(_one_of("kind", ATTACHMENT_KINDS), name="kind"),
        CheckConstraint(_one_of("outcome", ATTACHMENT_OUTCOMES), name="outcome"),
        CheckConstraint("outcome NOT IN ('to_key', 'keyed') OR content IS NOT NULL", name="pdf_kept"),
        CheckConstraint("(outcome = 'keyed') = (keyed_at IS NOT NULL)", name="keyed_when"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    message_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    keyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    keyed_by: Mapped[str | None] = mapped_column(String(200))


class MailboxCursorRecord(Base):
    """How far into one IMAP folder Arrears has read for a creditor."""

    __tablename__ = "mailbox_cursors"
    __table_args__ = (UniqueConstraint("creditor_id", "mailbox"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    mailbox: Mapped[str] = mapped_column(String(500))
    position: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


__all__ = [
    "ATTACHMENT_KINDS",
    "ATTACHMENT_OUTCOMES",
    "MAILBOX_SOURCES",
    "MESSAGE_STATUSES",
    "Base",
    "MailboxAttachmentRecord",
    "MailboxCursorRecord",
    "MailboxMessageRecord",
]
