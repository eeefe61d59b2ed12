"""Accounting packages as a source of the ledger: QuickBooks Online and Xero.

The connectors (`quickbooks.QuickBooksConnector`, `xero.XeroConnector`) pull customers,
invoices, credit notes and payments changed since a cursor, through the vendors' own clients,
and hand them over as `arrears.core.ledger` values in a `SourceBatch`;
`arrears.services.sync_accounting` writes them. The vendor SDKs are imported only by the
connector modules, so importing this package stays cheap. See docs/accounting-connections.md.
"""

from arrears.intake.accounting.common import (
    AccountingError,
    Entity,
    EntityCounts,
    Provider,
    RateLimitError,
    ReconnectNeeded,
    RetryPolicy,
    SourceBatch,
    SourceDataError,
    SyncResult,
)
from arrears.intake.accounting.tokens import OAuthToken, TokenCipher, TokenError, generate_key

__all__ = [
    "AccountingError",
    "Entity",
    "EntityCounts",
    "OAuthToken",
    "Provider",
    "RateLimitError",
    "ReconnectNeeded",
    "RetryPolicy",
    "SourceBatch",
    "SourceDataError",
    "SyncResult",
    "TokenCipher",
    "TokenError",
    "generate_key",
]
