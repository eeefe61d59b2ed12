"""Domain errors: each carries a message a person can act on."""


class ArrearsError(Exception):
    """Base of every error Arrears reports to a person.

    Entry points turn it into one line and a non-zero exit (CLI) or a 4xx (API).
    """


class UnknownCurrencyError(ArrearsError, ValueError):
    """A currency code that is not an ISO 4217 code."""


class CurrencyMismatchError(ArrearsError, ValueError):
    """Two amounts in different currencies were combined."""


class InvalidAmountError(ArrearsError, ValueError):
    """An amount that cannot be money: a float, NaN, infinite, or finer than the currency allows."""


class InvalidDocumentError(ArrearsError, ValueError):
    """A document (invoice or credit note) whose fields contradict each other."""


class InvalidAllocationError(ArrearsError, ValueError):
    """An allocation that would over-settle a document or spend more cash than there is."""


class NotFoundError(ArrearsError, LookupError):
    """A creditor, debtor or document that does not exist (for this creditor)."""
