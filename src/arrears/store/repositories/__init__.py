"""Repositories: rows in, frozen domain values out. Every method takes the creditor code first
and never reads or changes another creditor's rows.

| attribute of the unit of work | repository            | about                                          |
|-------------------------------|-----------------------|------------------------------------------------|
| `creditors`                   | `CreditorRepository`  | the tenants; the creditor lock                 |
| `debtors`                     | `DebtorRepository`    | customer accounts and their contacts           |
| `documents`                   | `DocumentRepository`  | invoices and credit notes (bulk path: `add_rows`) |
| `payments`                    | `PaymentRepository`   | cash received and allocations                  |
| `ledger`                      | `LedgerQueries`       | snapshots, open balances, ageing in SQL        |
| `metrics`                     | `MetricsQueries`      | receivables and credit sales for DSO and kin   |
| `connections`                 | `ConnectionRepository`| accounting-package connections (tokens, cursors) |
| `imports`                     | `ImportRepository`    | ledger imports: who, when, counts, what changed |
| `policies`                    | `PolicyRepository`    | versions of a creditor's escalation ladder     |
| `service_windows`             | `ServiceWindowRepository` | turning the service on and off             |
| `collection_settings`         | `CollectionSettingsRepository` | worklist time budget and flag amount  |
| `holds`                       | `HoldRepository`      | disputes, promises, exclusions people record   |
| `actions`                     | `ActionRepository`    | planned actions, approvals, delivery status    |
| `cycle_runs`                  | `CycleRunRepository`  | cycle runs and the skips they recorded         |
| `collections`                 | `CollectionQueries`   | the planner's snapshot, debtors' exposure      |
| `brands`                      | `BrandRepository`     | how each creditor appears in messages          |
| `outbox`                      | `OutboxRepository`    | rendered messages, delivery state, timeline    |
| `opt_outs`                    | `OptOutRepository`    | numbers that replied STOP                      |
| `calls`                       | `CallRepository`      | call tasks in the worklist, call logs          |
| `deals`                       | `DealRepository`      | deal rules, promises, payment plans, settlements, fees |
| `disputes`                    | `DisputeRepository`   | disputes on invoices and their outcomes        |
| `write_offs`                  | `WriteOffRepository`  | write-offs applied or awaiting approval        |
| `bank`                        | `BankRepository`      | bank statements, lines, matches, unmatched queue |
| `mailbox`                     | `MailboxRepository`   | messages taken from intake mailboxes, PDFs to key |
| `upload_tokens`               | `UploadTokenRepository` | sync agents' upload tokens (hashes only)     |
| `agent_uploads`               | `AgentUploadRepository` | files agents uploaded, the answers given     |
"""

from arrears.store.repositories._common import CreditorIds
from arrears.store.repositories.agent_uploads import (
    AgentUploadRepository,
    NewUpload,
    StoredToken,
    StoredUpload,
    UploadTokenRepository,
)
from arrears.store.repositories.bank import BankRepository, QueuedLine, StoredLine, StoredMatch
from arrears.store.repositories.collections_actions import ActionRepository, ActionState, StoredAction
from arrears.store.repositories.collections_holds import HoldRepository, StoredHold
from arrears.store.repositories.collections_policies import (
    CollectionSettings,
    CollectionSettingsRepository,
    PolicyRepository,
    ServiceWindowRepository,
    StoredPolicy,
)
from arrears.store.repositories.collections_runs import CycleRun, CycleRunRepository, StoredSkip
from arrears.store.repositories.collections_snapshot import CollectionQueries, DebtorExposure
from arrears.store.repositories.comms_brands import BrandRepository
from arrears.store.repositories.comms_contacts import CallRepository, OptOutRepository
from arrears.store.repositories.comms_outbox import MessageSummary, OutboxRepository
from arrears.store.repositories.connections import ConnectionRepository, StoredConnection
from arrears.store.repositories.creditors import CreditorRepository
from arrears.store.repositories.deals import (
    DealRepository,
    DealStoreError,
    StoredPlan,
    StoredPromise,
    StoredRules,
    StoredSettlement,
)
from arrears.store.repositories.deals_disputes import DisputeRepository, StoredDispute
from arrears.store.repositories.deals_write_offs import StoredWriteOff, WriteOffRepository
from arrears.store.repositories.debtors import DebtorRepository
from arrears.store.repositories.documents import DocumentRepository, DocumentRow, StoredDocument
from arrears.store.repositories.imports import (
    ChangeRow,
    ImportChange,
    ImportRepository,
    ImportSummary,
    ImportTotals,
    StoredPayment,
)
from arrears.store.repositories.ledger import AgeingTotalRow, LedgerQueries, LedgerSnapshot
from arrears.store.repositories.mailbox import MailboxRepository
from arrears.store.repositories.metrics import MetricsQueries, PeriodSales, Receivables
from arrears.store.repositories.payments import PaymentRepository

__all__ = [
    "ActionRepository",
    "ActionState",
    "AgeingTotalRow",
    "AgentUploadRepository",
    "BankRepository",
    "BrandRepository",
    "CallRepository",
    "ChangeRow",
    "CollectionQueries",
    "CollectionSettings",
    "CollectionSettingsRepository",
    "ConnectionRepository",
    "CreditorIds",
    "CreditorRepository",
    "CycleRun",
    "CycleRunRepository",
    "DealRepository",
    "DealStoreError",
    "DebtorExposure",
    "DebtorRepository",
    "DisputeRepository",
    "DocumentRepository",
    "DocumentRow",
    "HoldRepository",
    "ImportChange",
    "ImportRepository",
    "ImportSummary",
    "ImportTotals",
    "LedgerQueries",
    "LedgerSnapshot",
    "MailboxRepository",
    "MessageSummary",
    "MetricsQueries",
    "NewUpload",
    "OptOutRepository",
    "OutboxRepository",
    "PaymentRepository",
    "PeriodSales",
    "PolicyRepository",
    "QueuedLine",
    "Receivables",
    "ServiceWindowRepository",
    "StoredAction",
    "StoredConnection",
    "StoredDispute",
    "StoredDocument",
    "StoredHold",
    "StoredLine",
    "StoredMatch",
    "StoredPayment",
    "StoredPlan",
    "StoredPolicy",
    "StoredPromise",
    "StoredRules",
    "StoredSettlement",
    "StoredSkip",
    "StoredToken",
    "StoredUpload",
    "StoredWriteOff",
    "UploadTokenRepository",
    "WriteOffRepository",
]
