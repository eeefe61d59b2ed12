"""Tables of the comms area (see docs/store.md). They register on the ledger's metadata."""

from arrears.store.tables import Base

__all__ = ["Base"]
