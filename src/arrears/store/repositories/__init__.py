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
"""

from arrears.store.repositories._common import CreditorIds
from arrears.store.repositories.creditors import CreditorRepository
from arrears.store.repositories.debtors import DebtorRepository
from arrears.store.repositories.documents import DocumentRepository, DocumentRow
from arrears.store.repositories.ledger import AgeingTotalRow, LedgerQueries, LedgerSnapshot
from arrears.store.repositories.metrics import MetricsQueries, PeriodSales, Receivables
from arrears.store.repositories.payments import PaymentRepository

__all__ = [
    "AgeingTotalRow",
    "CreditorIds",
    "CreditorRepository",
    "DebtorRepository",
    "DocumentRepository",
    "DocumentRow",
    "LedgerQueries",
    "LedgerSnapshot",
    "MetricsQueries",
    "PaymentRepository",
    "PeriodSales",
    "Receivables",
]
