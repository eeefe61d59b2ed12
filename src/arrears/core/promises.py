"""Promises to pay: an amount by a date, taken on a call, by email or in the debtor portal.

A **promise** holds the ladder for what it covers (the debtor, or some documents) until the
promised date plus a grace period (`arrears.core.holds.promise_to_pay`: a transfer made on the
day can take three working days to arrive). Its state follows from the cash, as of a day:

- **kept**: the money reaching the debtor between the day the promise was made and the promised
  date plus grace adds up to the promised amount; the payment restarts the ladder;
- **broken**: the grace ended short of it; the hold is gone, the debtor is flagged as having
  broken a promise and moves up the worklist (the service records the flag; see docs/deals.md);
- **pending**: neither yet; the promise holds.

What counts as the debtor's money (`promise_status`): cash allocations (never credit notes: a
promise is about cash) to the promised documents, or to any of the debtor's documents for a
promise on the whole account; plus, when the caller passes the debtor's payments, cash it sent
that is still unallocated on its account, received in the same days.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from babel.dates import format_date

from arrears.core.deal_rules import DealError, DealRules, Receipt, reached_on, receipts_toward
from arrears.core.holds import DEFAULT_PROMISE_GRACE_DAYS, Hold, promise_to_pay
from arrears.core.ledger import Allocation, Payment
from arrears.core.money import Money


class PromiseError(DealError):
    """A promise to pay whose fields contradict each other."""


class PromiseChannel(StrEnum):
    """Where the promise was taken."""

    CALL = "call"
    EMAIL = "email"
    PORTAL = "portal"


class PromiseState(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class Promise:
    """The debtor's promise to pay `amount` by `promised_on`, made on `made_on`.

    `documents` empty: the promise is on the whole account. `grace_days` are added to the
    promised date before the promise is broken.
    """

    reference: str
    creditor: str
    debtor: str
    amount: Money
    promised_on: date
    made_on: date
    channel: PromiseChannel
    documents: frozenset[str] = field(default_factory=frozenset)
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS
    taken_by: str = ""  # the controller, or "portal"
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", PromiseChannel(self.channel))
        object.__setattr__(self, "documents", frozenset(self.documents))
        label = f"promise {self.reference or '(no reference)'} by {self.debtor}"
        if not self.reference.strip():
            raise PromiseError(f"{label}: a promise needs a reference")
        if not self.debtor.strip():
            raise PromiseError(f"{label}: a promise needs the debtor's account code")
        if not self.amount.is_positive or not self.amount.is_whole_minor_units():
            raise PromiseError(f"{label}: amount {self.amount.amount} must be positive, in whole minor units")
        if self.promised_on < self.made_on:
            raise PromiseError(
                f"{label}: promised date {self.promised_on.isoformat()} is before the day it was made, "
                f"{self.made_on.isoformat()}"
            )
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int) or self.grace_days < 0:
            raise PromiseError(
                f"{label}: grace of {self.grace_days!r} days must be a whole number, zero or more"
            )

    @property
    def deadline(self) -> date:
        """The last day cash counts toward the promise: the promised date plus the grace."""
        return self.promised_on + timedelta(days=self.grace_days)

    def hold(self) -> Hold:
        """The hold this promise puts on the ladder while it is pending."""
        return promise_to_pay(
            self.debtor,
            self.promised_on,
            documents=self.documents,
            made_on=self.made_on,
            grace_days=self.grace_days,
            note=f"promise {self.reference}: {self.amount} by {self.promised_on.isoformat()}",
        )


def take_promise(
    reference: str,
    creditor: str,
    debtor: str,
    amount: Money,
    promised_on: date,
    *,
    made_on: date,
    channel: PromiseChannel,
    rules: DealRules,
    documents: Iterable[str] = (),
    taken_by: str = "",
    note: str = "",
) -> Promise:
    """A promise with the creditor's grace (`DealRules.promise_grace_days`)."""
    return Promise(
        reference=reference,
        creditor=creditor,
        debtor=debtor,
        amount=amount,
        promised_on=promised_on,
        made_on=made_on,
        channel=channel,
        documents=frozenset(documents),
        grace_days=rules.promise_grace_days,
        taken_by=taken_by,
        note=note,
    )


@dataclass(frozen=True, slots=True)
class PromiseStatus:
    """Where a promise stands on `as_of`.

    `paid` is the money counted toward it so far; `short` what is still missing (zero once
    kept); `kept_on` the day the money reached the promised amount; `broken_on` the first day
    after the grace (set once broken). `hold` is the promise's hold while it is pending, else
    None: a kept or broken promise no longer holds the ladder.
    """

    promise: Promise
    state: PromiseState
    as_of: date
    paid: Money
    short: Money
    kept_on: date | None
    broken_on: date | None
    hold: Hold | None

    @property
    def is_broken(self) -> bool:
        return self.state is PromiseState.BROKEN

    def describe(self) -> str:
        """'promise P-1 of 500.00 GBP by 2026-03-20: broken on 2026-03-24, 200.00 GBP paid, 300.00 GBP short'."""
        head = f"promise {self.promise.reference} of {self.promise.amount} by {self.promise.promised_on.isoformat()}"
        if self.state is PromiseState.KEPT and self.kept_on is not None:
            return f"{head}: kept on {self.kept_on.isoformat()}"
        if self.state is PromiseState.BROKEN and self.broken_on is not None:
            return f"{head}: broken on {self.broken_on.isoformat()}, {self.paid} paid, {self.short} short"
        return f"{head}: pending until {self.promise.deadline.isoformat()}, {self.paid} paid so far"


def promise_status(
    promise: Promise,
    allocations: Iterable[Allocation],
    as_of: date,
    *,
    payments: Iterable[Payment] = (),
) -> PromiseStatus:
    """Kept, broken or pending as of `as_of`, from the cash that reached the debtor.

    Counts, for days from `made_on` to the earlier of `as_of` and the deadline (promised date
    plus grace): cash allocations to the promised documents (any document when the promise is on
    the whole account; the caller passes the debtor's allocations), and the unallocated part of
    the debtor's `payments` received then. Credit notes never count. Cash after the deadline does
    not mend a broken promise: it is a payment like any other.
    """
    currency = promise.amount.currency
    until = min(as_of, promise.deadline)
    receipts = list(
        receipts_toward(
            allocations,
            promise.documents or None,
            currency=currency,
            since=promise.made_on,
            until=until,
            cash_only=True,
        )
    )
    receipts.extend(
        Receipt(payment.received_on, payment.unallocated_amount)
        for payment in payments
        if payment.debtor == promise.debtor
        and payment.amount.currency == currency
        and promise.made_on <= payment.received_on <= until
        and payment.unallocated_amount.is_positive
    )
    receipts.sort(key=lambda receipt: receipt.on)
    paid = Money.total((receipt.amount for receipt in receipts), currency)
    short = Money.zero(currency) if paid >= promise.amount else promise.amount - paid
    kept_on = reached_on(receipts, promise.amount)
    if kept_on is not None:
        return PromiseStatus(promise, PromiseState.KEPT, as_of, paid, short, kept_on, None, None)
    if as_of > promise.deadline:
        broken_on = promise.deadline + timedelta(days=1)
        return PromiseStatus(promise, PromiseState.BROKEN, as_of, paid, short, None, broken_on, None)
    return PromiseStatus(promise, PromiseState.PENDING, as_of, paid, short, None, None, promise.hold())


def confirmation_text(promise: Promise, *, creditor_name: str, locale: str = "en_GB") -> str:
    """The confirmation sent to the debtor when a promise is taken, in the creditor's name.

    It repeats what was promised and what happens if the money does not arrive; it does not
    mention the grace, which is the creditor's allowance for bank delays, not a later date.
    """
    when = format_date(promise.promised_on, format="long", locale=locale)
    what = (
        f" towards {_documents_phrase(promise.documents)}"
        if promise.documents
        else f" on account {promise.debtor}"
    )
    return (
        f"Thank you. {creditor_name} has noted your promise to pay {promise.amount.format(locale)}"
        f"{what} by {when}. We will not send you reminders about it until then. "
        "If the payment has not reached us by that date, reminders will resume."
    )


def _documents_phrase(numbers: Iterable[str]) -> str:
    ordered = sorted(numbers)
    return ("invoice " if len(ordered) == 1 else "invoices ") + ", ".join(ordered)
