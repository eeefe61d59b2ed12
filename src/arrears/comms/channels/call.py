"""Call tasks: the call channel puts a task in the controllers' worklist, with the call card
(what to say, outbound and inbound) the template rendered.

The call task is the one record of a call to make: the worklist (`arrears.services.worklist`)
lists open call tasks in its priority order, and working one logs the call against it.
Delivering a call message is writing its task, in the same transaction that marks the message
sent, and there is at most one task per message (a unique key), so a delivery repeated after a
crash never makes a second task. Controllers then log what came of each call (`CallOutcome`),
and log calls the debtor made to them (inbound) the same way; each log is an entry on the
debtor's timeline. A promise taken on the phone carries its amount and date, for the service
that records promises (and sends the promise confirmation).
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from arrears.core.errors import ArrearsError
from arrears.core.money import Money


class CallError(ArrearsError, ValueError):
    """A call log that does not add up (a promise without its amount, a task of another debtor)."""


class CallOutcome(StrEnum):
    NO_ANSWER = "no_answer"
    PROMISE = "promise"  # a promise to pay: amount and date
    DISPUTE = "dispute"  # a query or dispute about an invoice
    WRONG_NUMBER = "wrong_number"
    PAID = "paid"  # says it has paid: to be matched with the bank
    OTHER = "other"


class CallDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class CallTaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class CallTask:
    """A call for a controller to make: `card` is the call card's text; `action_key` the
    idempotency key of the collections action it came from (the message's), `step` its step."""

    id: int
    creditor: str
    debtor: str
    message_key: str
    phone: str | None
    title: str
    due_at: datetime
    status: CallTaskStatus
    card: str
    action_key: str = ""
    step: str = ""


@dataclass(frozen=True, slots=True)
class CallLog:
    """One call made (outbound, usually for a task) or received (inbound), and its outcome."""

    creditor: str
    debtor: str
    direction: CallDirection
    outcome: CallOutcome
    logged_at: datetime
    note: str = ""
    controller: str | None = None
    task_id: int | None = None
    promised_amount: Money | None = None
    promised_on: date | None = None

    def __post_init__(self) -> None:
        has_promise = self.promised_amount is not None or self.promised_on is not None
        if self.outcome is CallOutcome.PROMISE and (self.promised_amount is None or self.promised_on is None):
            raise CallError(
                f"a promise logged for debtor {self.debtor} needs the amount and the date promised"
            )
        if has_promise and self.outcome is not CallOutcome.PROMISE:
            raise CallError(
                f"an amount and date promised go with the outcome 'promise', not {self.outcome.value!r}"
            )
        if self.promised_amount is not None and not self.promised_amount.is_positive:
            raise CallError(f"the amount promised by debtor {self.debtor} must be positive")
        if self.direction is CallDirection.INBOUND and self.task_id is not None:
            raise CallError("an inbound call is not made for a call task; leave task_id empty")

    def describe(self) -> str:
        """One line for the timeline: 'outbound call: promise of £500.00 by 2026-05-08 (Sam)'."""
        what = self.outcome.value.replace("_", " ")
        if self.promised_amount is not None and self.promised_on is not None:
            what = f"promise of {self.promised_amount.format()} by {self.promised_on.isoformat()}"
        who = f" ({self.controller})" if self.controller else ""
        note = f": {self.note}" if self.note else ""
        return f"{self.direction.value} call: {what}{who}{note}"
