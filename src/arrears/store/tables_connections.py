"""Tables of the accounting-connections area (OAuth tokens, sync cursors). They register on
the ledger's metadata."""

from arrears.store.tables import Base

__all__ = ["Base"]
