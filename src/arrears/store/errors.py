"""Errors the store reports to a person (all `ArrearsError`s, so entry points print one line).

Unknown creditors, debtors, documents and payments raise `arrears.core.errors.NotFoundError`;
over-allocation raises `arrears.core.errors.InvalidAllocationError`.
"""

from arrears.core.errors import ArrearsError


class StoreError(ArrearsError):
    """Something the database refused."""


class DuplicateError(StoreError, ValueError):
    """A natural key that already exists for this creditor (a debtor account code, a document
    number of the same kind, a payment reference, a creditor code)."""


class WrongCreditorError(StoreError, ValueError):
    """A value of one creditor handed to a repository call made for another."""


class ConstraintError(StoreError, ValueError):
    """A row the schema's rules refuse (a foreign key, a check constraint)."""
