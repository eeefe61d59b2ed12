"""Tables of the intake area: the record of every ledger import and what it changed (see
docs/intake.md, "What an import records"). They register on the ledger's metadata.

The same rules as the ledger's tables: every row has `creditor_id`; a row pointing at an
import, a document, a payment or a debtor does so through a composite foreign key
`(creditor_id, x_id)`; money is integer minor units; kinds and statuses are short strings
checked by CHECK constraints.

- `imports`: one row per import (applied, partly applied, rejected or found unchanged): who,
  when, from where (file, mailbox, agent), the file's name, size and SHA-256, the profile, full
  or part ledger, the counts (rows, documents, debtors, added, updated, unchanged, settled...).
- `import_totals`: per import and currency, what the file's accepted rows add up to.
- `import_changes`: what an import changed beyond adding rows: a document updated (old and new
  open amount and status, and which fields), settled in the source because a full export no
  longer had it (with the reason), reopened, added without a due date (the date was assumed
  from the debtor's terms) or given one later; cash on account changed; a debtor's details
  updated; cash on account added (so that a later full import clears only cash an import
  brought, never a payment recorded from a bank statement). Adding a document writes no row here, so a first import of a million documents
  writes a handful of rows, not a million.
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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.store.tables import Base

IMPORT_STATUSES = ("applied", "partial", "rejected", "unchanged")
IMPORT_MODES = ("full", "part")
IMPORT_SOURCES = ("file", "mailbox", "agent", "api")
CHANGE_KINDS = (
    "updated",
    "settled_in_source",
    "reopened",
    "due_date_assumed",
    "due_date_given",
    "cash_added",
    "cash_updated",
    "cash_cleared",
    "debtor_updated",
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportRecord(Base):
    """One ledger import, whatever its outcome."""

    __tablename__ = "imports"
    __table_args__ = (
        UniqueConstraint("creditor_id", "id"),
        Index("ix_imports_creditor_id_started_at", "creditor_id", "started_at"),
        CheckConstraint(_one_of("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(_one_of("mode", IMPORT_MODES), name="mode"),
        CheckConstraint(_one_of("source", IMPORT_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    who: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    profile: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(Integer)
    documents: Mapped[int] = mapped_column(Integer)
    debtors: Mapped[int] = mapped_column(Integer)
    payments: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    settled: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    debtors_added: Mapped[int] = mapped_column(Integer)
    debtors_updated: Mapped[int] = mapped_column(Integer)
    rejected_rows: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    quarantine_file: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)


class ImportTotalRecord(Base):
    """What an import's accepted rows add up to in one currency."""

    __tablename__ = "import_totals"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "import_id"], ["imports.creditor_id", "imports.id"]),
        UniqueConstraint("import_id", "currency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    import_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    documents: Mapped[int] = mapped_column(Integer)
    invoices_open_minor: Mapped[int] = mapped_column(BigInteger)
    credit_notes_open_minor: Mapped[int] = mapped_column(BigInteger)
    cash_unallocated_minor: Mapped[int] = mapped_column(BigInteger)


class ImportChangeRecord(Base):
    """One change an import made to a document, to cash on account or to a debtor."""

    __tablename__ = "import_changes"
    __table_args__ = (
        ForeignKeyConstraint(["creditor_id", "import_id"], ["imports.creditor_id", "imports.id"]),
        ForeignKeyConstraint(["creditor_id", "document_id"], ["documents.creditor_id", "documents.id"]),
        ForeignKeyConstraint(["creditor_id", "payment_id"], ["payments.creditor_id", "payments.id"]),
        ForeignKeyConstraint(["creditor_id", "debtor_id"], ["debtors.creditor_id", "debtors.id"]),
        Index("ix_import_changes_creditor_id_import_id", "creditor_id", "import_id"),
        Index("ix_import_changes_creditor_id_document_id", "creditor_id", "document_id"),
        CheckConstraint(_one_of("change", CHANGE_KINDS), name="change"),
        CheckConstraint(
            "(document_id IS NOT NULL) OR (payment_id IS NOT NULL) OR (debtor_id IS NOT NULL)",
            name="about_something",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    import_id: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(24))
    document_id: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(Integer)
    debtor_id: Mapped[int | None] = mapped_column(Integer)
    old_open_minor: Mapped[int | None] = mapped_column(BigInteger)
    new_open_minor: Mapped[int | None] = mapped_column(BigInteger)
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)


__all__ = [
    "CHANGE_KINDS",
    "IMPORT_MODES",
    "IMPORT_SOURCES",
    "IMPORT_STATUSES",
    "Base",
    "ImportChangeRecord",
    "ImportRecord",
    "ImportTotalRecord",
]
