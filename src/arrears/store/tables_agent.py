"""Tables of the sync-agent area: upload tokens and the files agents uploaded (see
docs/sync-agent.md). They register on the ledger's metadata.

- `upload_tokens`: one row per token a creditor's sync agent authenticates with. The token
  itself is never stored: only its public `key_id` (to find the row, shown in listings) and
  the SHA-256 of the whole token (`secret_hash`). A token belongs to exactly one creditor;
  revoking sets `revoked_at` (the row stays, so uploads keep pointing at it).
- `agent_uploads`: one row per upload the server answered for good (an import report, or an
  error a person must act on): which token sent it, the agent's idempotency key (unique per
  creditor, so a retry gets the earlier answer), the file's name, size and SHA-256, the mode,
  the import it became (NULL when the file could not be read at all), the HTTP status and the
  JSON answer, replayed as it was to a retry.
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

UPLOAD_MODES = ("full", "part")
UPLOAD_STATUSES = ("applied", "partial", "rejected", "unchanged", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UploadTokenRecord(Base):
    """A creditor's upload token, as its hash."""

    __tablename__ = "upload_tokens"
    __table_args__ = (
        UniqueConstraint("key_id"),
        UniqueConstraint("creditor_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AgentUploadRecord(Base):
    """One file a sync agent uploaded, and the answer it was given."""

    __tablename__ = "agent_uploads"
    __table_args__ = (
        UniqueConstraint("creditor_id", "idempotency_key"),
        Index("ix_agent_uploads_creditor_id_content_hash", "creditor_id", "content_hash"),
        ForeignKeyConstraint(["creditor_id", "token_id"], ["upload_tokens.creditor_id", "upload_tokens.id"]),
        ForeignKeyConstraint(["creditor_id", "import_id"], ["imports.creditor_id", "imports.id"]),
        CheckConstraint(_one_of("mode", UPLOAD_MODES), name="mode"),
        CheckConstraint(_one_of("status", UPLOAD_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    token_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(Integer)
    http_status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)


__all__ = ["AgentUploadRecord", "Base", "UploadTokenRecord"]
