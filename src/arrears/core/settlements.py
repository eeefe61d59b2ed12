"""Settlements: a lower sum agreed in full and final settlement of a debt.

A **settlement** names the documents it settles, the balance open on them when it was agreed,
the agreed sum and the day it must be paid by. Inside the creditor's pre-agreed largest discount
(`DealRules.max_settlement_discount_percent`) it is accepted at once; beyond it, it waits for the
SME's approval (`decide_settlement` names the discount and the limit).

While it waits for the money the settlement holds its documents like a promise to pay (reason
`promise_to_pay`) until the pay-by date plus grace. Then, from the cash that reached its
documents since the day it was agreed (`settlement_status`):

- **paid**: the cash reached the agreed sum by the pay-by date plus grace, or nothing is left
  open on the documents; what is still open is written off, one `WriteOff` per document with the
  reason `settlement` and the settlement's approver;
- **lapsed**: the grace ended short of the agreed sum; the full balance is owed again and the
  ladder resumes (cash paid counts as any payment does);
- **pending**: neither yet.

Only cash counts toward the agreed sum; a credit note applied meanwhile makes the balance, and
so the write-off, smaller.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from enum import StrEnum

from arrears.core.deal_rules import (
    APPROVED_BY_RULES,
    DealError,
    DealRules,
    Decision,
    RuleBreach,
    percent_text,
    reached_on,
    receipts_toward,
    share_percent,
)
from arrears.core.holds import DEFAULT_PROMISE_GRACE_DAYS, Hold, HoldReason
from arrears.core.ledger import Allocation, Document
from arrears.core.money import Money
from arrears.core.writeoffs import WriteOff, WriteOffReason


class SettlementError(DealError):
    """A settlement whose figures or documents do not fit."""


class SettlementState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    LAPSED = "lapsed"


@dataclass(frozen=True, slots=True)
class Settlement:
    """`amount` accepted in full and final settlement of `balance` open on `documents`.

    `approved_by`: `APPROVED_BY_RULES` inside the creditor's rules, a person when the creditor
    approved it, None while it awaits approval.
    """

    reference: str
    creditor: str
    debtor: str
    documents: tuple[str, ...]
    balance: Money
    amount: Money
    agreed_on: date
    pay_by: date
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS
    approved_by: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "documents", tuple(self.documents))
        label = f"settlement {self.reference or '(no reference)'} with {self.debtor}"
        if not self.reference.strip():
            raise SettlementError(f"{label}: a settlement needs a reference")
        if not self.documents or len(set(self.documents)) != len(self.documents):
            raise SettlementError(f"{label}: name each document it settles once")
        if self.amount.currency != self.balance.currency:
            raise SettlementError(
                f"{label}: the sum is in {self.amount.currency}, the balance in {self.balance.currency}"
            )
        for value, what in ((self.amount, "agreed sum"), (self.balance, "balance")):
            if not value.is_positive or not value.is_whole_minor_units():
                raise SettlementError(
                    f"{label}: the {what} {value.amount} must be positive, in whole minor units"
                )
        if self.amount > self.balance:
            raise SettlementError(
                f"{label}: the agreed sum {self.amount} is more than the balance {self.balance}; "
                "a settlement is for less than is owed"
            )
        if self.pay_by < self.agreed_on:
            raise SettlementError(
                f"{label}: to be paid by {self.pay_by.isoformat()}, before it was agreed on {self.agreed_on.isoformat()}"
            )
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int) or self.grace_days < 0:
            raise SettlementError(
                f"{label}: grace of {self.grace_days!r} days must be a whole number, zero or more"
            )
        if self.approved_by is not None and not self.approved_by.strip():
            raise SettlementError(f"{label}: approved_by is empty; name who approved it, or leave it None")

    @property
    def discount(self) -> Money:
        """What the creditor gives up: the balance less the agreed sum."""
        return self.balance - self.amount

    @property
    def discount_percent(self) -> Decimal:
        """The discount as a per cent of the balance, to two places (for people, not for rules)."""
        return share_percent(self.discount, self.balance)

    @property
    def deadline(self) -> date:
        return self.pay_by + timedelta(days=self.grace_days)

    def hold(self) -> Hold:
        """While the money is awaited, the settlement holds its documents like a promise to pay."""
        return Hold(
            HoldReason.PROMISE_TO_PAY,
            self.debtor,
            frozenset(self.documents),
            starts_on=self.agreed_on,
            ends_on=self.deadline,
            note=f"settlement {self.reference}: {self.amount} in full and final settlement by {self.pay_by.isoformat()}",
        )


@dataclass(frozen=True, slots=True)
class SettlementProposal:
    settlement: Settlement
    decision: Decision


def decide_settlement(settlement: Settlement, rules: DealRules) -> Decision:
    """Accepted when the discount is at most the creditor's `max_settlement_discount_percent` of
    the balance (compared exactly), else it needs the creditor's approval."""
    currency = rules.currency_breach(settlement.amount, f"settlement {settlement.reference}")
    if currency is not None:
        return Decision((currency,))
    limit = rules.max_settlement_discount_percent
    if settlement.discount.amount * 100 <= limit * settlement.balance.amount:
        return Decision()
    given = percent_text(share_percent(settlement.discount, settlement.balance, ROUND_UP))
    return Decision(
        (
            RuleBreach(
                "max_settlement_discount_percent",
                percent_text(limit),
                given,
                f"{settlement.amount} for {settlement.balance} is a discount of {settlement.discount} ({given}), "
                f"more than the {percent_text(limit)} the creditor agreed in advance",
            ),
        )
    )


def offer_settlement(
    reference: str,
    documents: Sequence[Document],
    amount: Money,
    *,
    agreed_on: date,
    pay_by: date,
    rules: DealRules,
    note: str = "",
) -> SettlementProposal:
    """A settlement of the open amounts of `documents` (invoices of one debtor) for `amount`,
    checked against the creditor's rules: accepted at once or awaiting approval."""
    if not documents:
        raise SettlementError(f"settlement {reference}: name the documents it settles")
    first = documents[0]
    for document in documents:
        label = f"settlement {reference}, document {document.number}"
        if not document.is_invoice:
            raise SettlementError(f"{label}: a credit note; apply it to the invoices first")
        if (document.creditor, document.debtor, document.currency) != (
            first.creditor,
            first.debtor,
            first.currency,
        ):
            raise SettlementError(
                f"{label}: on account {document.debtor} in {document.currency}; the settlement is with "
                f"{first.debtor} in {first.currency}"
            )
        if not document.is_open:
            raise SettlementError(
                f"{label}: nothing is open on it ({document.status.value.replace('_', ' ')})"
            )
    settlement = Settlement(
        reference=reference,
        creditor=first.creditor,
        debtor=first.debtor,
        documents=tuple(d.number for d in documents),
        balance=Money.total((d.open_amount for d in documents), first.currency),
        amount=amount,
        agreed_on=agreed_on,
        pay_by=pay_by,
        grace_days=rules.promise_grace_days,
        note=note,
    )
    decision = decide_settlement(settlement, rules)
    if decision.accepted:
        settlement = replace(settlement, approved_by=APPROVED_BY_RULES)
    return SettlementProposal(settlement, decision)


def approve_settlement(settlement: Settlement, by: str) -> Settlement:
    """The settlement as approved by the creditor's user `by`."""
    if not by.strip():
        raise SettlementError(f"settlement {settlement.reference}: name who approves it")
    return replace(settlement, approved_by=by)


@dataclass(frozen=True, slots=True)
class SettlementStatus:
    """Where a settlement stands on `as_of`: the cash paid toward it, what is still to pay, the
    day it was paid, the write-offs that close it (once paid and approved) and its hold (while
    pending)."""

    settlement: Settlement
    state: SettlementState
    as_of: date
    paid: Money
    still_to_pay: Money
    paid_on: date | None
    write_offs: tuple[WriteOff, ...]
    hold: Hold | None

    @property
    def awaiting_approval(self) -> bool:
        """Paid, but the creditor has not approved it yet: nothing is written off until it does."""
        return self.state is SettlementState.PAID and self.settlement.approved_by is None


def settlement_status(
    settlement: Settlement,
    documents: Sequence[Document],
    allocations: Iterable[Allocation],
    as_of: date,
) -> SettlementStatus:
    """Paid, lapsed or pending as of `as_of` (see module doc).

    `documents` are the settlement's documents as they stand now (their open amounts are what is
    written off); `allocations` those to them. Cash from `agreed_on` to the earlier of `as_of`
    and the pay-by date plus grace counts.
    """
    by_number = {d.number: d for d in documents}
    missing = [n for n in settlement.documents if n not in by_number]
    if missing:
        raise SettlementError(
            f"settlement {settlement.reference}: document(s) {', '.join(missing)} not given; pass all it settles"
        )
    currency = settlement.amount.currency
    zero = Money.zero(currency)
    receipts = receipts_toward(
        allocations,
        set(settlement.documents),
        currency=currency,
        since=settlement.agreed_on,
        until=min(as_of, settlement.deadline),
        cash_only=True,
    )
    paid = Money.total((r.amount for r in receipts), currency)
    still_to_pay = settlement.amount - paid if paid < settlement.amount else zero
    settled = [by_number[n] for n in settlement.documents]
    left_open = Money.total((d.open_amount for d in settled if d.is_open), currency)
    paid_on = reached_on(receipts, settlement.amount)
    if paid_on is None and left_open.is_zero:
        paid_on = max((r.on for r in receipts), default=settlement.agreed_on)
    if paid_on is not None:
        write_offs: tuple[WriteOff, ...] = ()
        if settlement.approved_by is not None:
            write_offs = tuple(
                WriteOff(
                    creditor=settlement.creditor,
                    debtor=settlement.debtor,
                    document=document.number,
                    amount=document.open_amount,
                    reason=WriteOffReason.SETTLEMENT,
                    approved_by=settlement.approved_by,
                    on=max(paid_on, document.issue_date),
                    note=f"settlement {settlement.reference}: {settlement.amount} accepted in full and final "
                    f"settlement of {settlement.balance}",
                )
                for document in settled
                if document.is_open
            )
        return SettlementStatus(
            settlement, SettlementState.PAID, as_of, paid, zero, paid_on, write_offs, None
        )
    if as_of > settlement.deadline:
        return SettlementStatus(settlement, SettlementState.LAPSED, as_of, paid, still_to_pay, None, (), None)
    return SettlementStatus(
        settlement, SettlementState.PENDING, as_of, paid, still_to_pay, None, (), settlement.hold()
    )
