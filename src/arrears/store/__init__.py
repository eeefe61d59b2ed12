"""The store: the only part of Arrears that knows SQL.

SQLAlchemy 2 models (`tables`), Alembic migrations shipped in the package (`migrations`,
run by `database.upgrade`), repositories that turn rows into the frozen values of
`arrears.core.ledger` and back (`repositories`), and a unit of work (`unit_of_work`).
SQLite and PostgreSQL run the same code; see docs/store.md.
"""

from arrears.store.database import current_revision, make_engine, session_factory, upgrade
from arrears.store.errors import ConstraintError, DuplicateError, StoreError, WrongCreditorError
from arrears.store.repositories import DocumentRow, LedgerSnapshot, PeriodSales, Receivables
from arrears.store.unit_of_work import SqlUnitOfWork, UnitOfWork

__all__ = [
    "ConstraintError",
    "DocumentRow",
    "DuplicateError",
    "LedgerSnapshot",
    "PeriodSales",
    "Receivables",
    "SqlUnitOfWork",
    "StoreError",
    "UnitOfWork",
    "WrongCreditorError",
    "current_revision",
    "make_engine",
    "session_factory",
    "upgrade",
]
