"""Alembic migrations of the store; `arrears.store.database.upgrade()` runs them."""
