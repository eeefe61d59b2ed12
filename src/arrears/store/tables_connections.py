"""Tables of the accounting-connections area (OAuth tokens, sync cursors). They register on
the ledger's metadata.

`connections`: one row per creditor and accounting package (QuickBooks Online or Xero):
- `tenant_id` is the QuickBooks company (realm) id or the Xero tenant id;
- `access_token` and `refresh_token` are stored **encrypted** (Fernet, key in
  `ARREARS_SECRET_KEY`; see `arrears.intake.accounting.tokens`): the store keeps what it is
  given and never sees them in the clear. Both are NULL once the connection is disconnected;
- one "changed since" cursor per entity pulled, as columns (there are four, fixed by the
  connectors, and a column needs nothing engine-specific), each the latest vendor update
  time a sync has written;
- times are timezone-aware (`DateTime(timezone=True)`), written in UTC.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.store.tables import Base

PROVIDERS = ("quickbooks", "xero")
CONNECTION_STATUSES = ("active", "needs_reconnect", "disconnected")
CURSOR_COLUMNS = {
    "customers": "customers_changed_since",
    "invoices": "invoices_changed_since",
    "credit_notes": "credit_notes_changed_since",
    "payments": "payments_changed_since",
}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ConnectionRecord(Base):
    """A creditor's connection to its accounting package."""

    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("creditor_id", "provider"),
        CheckConstraint(_one_of("provider", PROVIDERS), name="provider"),
        CheckConstraint(_one_of("status", CONNECTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    provider: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(64))
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scopes: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    customers_changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invoices_changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    credit_notes_changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payments_changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


__all__ = ["Base", "ConnectionRecord"]
