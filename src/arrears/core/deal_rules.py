"""The creditor's deal rules: what a controller may agree with a debtor without asking the SME.

An SME sets these once, in advance, when it hands its ledger over:

- **plan limits** (`PlanRules`): the most instalments or the longest term, the smallest first
  payment (a share of the debt), the smallest instalment, whether statutory interest is frozen
  while a plan is kept, and the grace after each instalment date;
- **the largest settlement discount** (per cent of the balance) it accepts in full and final
  settlement;
- **the fees** it allows a debtor to be charged (`FeeRule`, e.g. a fee on a returned payment);
- **how disputes are handled** (`DisputeMode`): "no mediation" (the SME decides, Arrears
  reports and waits) or "resolve" (controllers work them);
- **the grace after a promised date** and the largest write-off it lets through without asking.

A deal inside the rules is accepted at once; outside them it waits for the SME's approval. Every
check returns a `Decision` that names each rule broken, its limit and the figure that broke it,
so a controller can tell the debtor what would be accepted.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from arrears.core.errors import ArrearsError
from arrears.core.holds import DEFAULT_PROMISE_GRACE_DAYS
from arrears.core.ledger import Allocation
from arrears.core.money import Money, check_currency

APPROVED_BY_RULES = "creditor's pre-agreed rules"
"""`approved_by` of a deal accepted because it is inside the creditor's rules."""

DEFAULT_INSTALMENT_GRACE_DAYS = DEFAULT_PROMISE_GRACE_DAYS
"""Days after an instalment date before a plan defaults: as for a promise, a bank transfer made
on the day may take up to three working days to arrive."""


class DealError(ArrearsError, ValueError):
    """A promise, plan, settlement, dispute, write-off, fee or term that cannot be what it says;
    the message names the deal, the field and the figure."""


class DealRulesError(DealError):
    """Deal rules that contradict themselves (a negative limit, a percentage over 100)."""


class DisputeMode(StrEnum):
    """Who works a creditor's disputes."""

    NO_MEDIATION = "no_mediation"  # Arrears reports the dispute to the SME and waits for its decision
    RESOLVE = "resolve"  # controllers work the dispute and record its outcome


class FeeKind(StrEnum):
    """Fees a creditor may allow a debtor to be charged (under its contract with the debtor)."""

    RETURNED_PAYMENT = "returned_payment"  # a direct debit or cheque returned unpaid
    ADMINISTRATION = "administration"  # e.g. setting up a payment plan
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


def percent(value: object, what: str) -> Decimal:
    """`value` as an exact percentage between 0 and 100; a float is refused."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise DealRulesError(f"{what}: {value!r} must be an exact per cent (Decimal or int), not a float")
    result = Decimal(value)
    if not result.is_finite() or result < 0 or result > 100:
        raise DealRulesError(f"{what}: {value} per cent must be between 0 and 100")
    return result


def percent_text(value: Decimal) -> str:
    """'2.5%', '20%': a percentage without trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def share_percent(part: Money, whole: Money, rounding: str = ROUND_HALF_UP) -> Decimal:
    """`part` as a per cent of `whole`, to two places, for messages (never for comparisons).

    A message about a breached limit rounds away from the limit (`ROUND_UP` past a maximum,
    `ROUND_DOWN` under a minimum), so that 20.001% is never shown as "20%, more than 20%".
    """
    if whole.is_zero:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 50
        return (part.amount * 100 / whole.amount).quantize(Decimal("0.01"), rounding=rounding)


def at_least_percent(part: Money, whole: Money, minimum: Decimal) -> bool:
    """Whether `part` is at least `minimum` per cent of `whole`, compared exactly (no division)."""
    return part.amount * 100 >= minimum * whole.amount


@dataclass(frozen=True, slots=True)
class RuleBreach:
    """One rule a deal is outside: the rule's name, its limit and the deal's figure, as text."""

    rule: str
    limit: str
    actual: str
    message: str


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True, slots=True)
class Decision:
    """A deal checked against the creditor's rules: accepted, or needs approval because of
    `breaches` (each naming the rule, its limit and the deal's figure)."""

    breaches: tuple[RuleBreach, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return Verdict.NEEDS_APPROVAL if self.breaches else Verdict.ACCEPTED

    @property
    def accepted(self) -> bool:
        return not self.breaches

    @property
    def needs_approval(self) -> bool:
        return bool(self.breaches)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(breach.message for breach in self.breaches)

    def describe(self) -> str:
        """'accepted: within the creditor's rules' or 'needs the creditor's approval: ...; ...'."""
        if not self.breaches:
            return "accepted: within the creditor's rules"
        return "needs the creditor's approval: " + "; ".join(self.reasons)


def _check_days(value: int | None, what: str, *, minimum: int = 0) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DealRulesError(f"{what} is {value!r}; it must be a whole number of at least {minimum}")


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The creditor's limits on payment plans.

    - `max_instalments`: the most instalments (None: no limit);
    - `max_term_days`: the most days from the day the plan is agreed to its last instalment;
    - `min_first_payment_percent`: the first instalment is at least this share of the debt;
    - `min_instalment`: no instalment smaller than this (None: no minimum);
    - `interest_frozen`: no statutory interest runs on the plan's documents while it is kept;
    - `grace_days`: days after an instalment date before a missed instalment defaults the plan;
    - `reminder_days_before`: a reminder goes this many days before each instalment.
    """

    max_instalments: int | None = 12
    max_term_days: int | None = 365
    min_first_payment_percent: Decimal = Decimal(0)
    min_instalment: Money | None = None
    interest_frozen: bool = True
    grace_days: int = DEFAULT_INSTALMENT_GRACE_DAYS
    reminder_days_before: int = 3

    def __post_init__(self) -> None:
        _check_days(self.max_instalments, "plan rules: max_instalments", minimum=1)
        _check_days(self.max_term_days, "plan rules: max_term_days")
        _check_days(self.grace_days, "plan rules: grace_days")
        _check_days(self.reminder_days_before, "plan rules: reminder_days_before")
        object.__setattr__(
            self,
            "min_first_payment_percent",
            percent(self.min_first_payment_percent, "plan rules: min_first_payment_percent"),
        )
        if self.min_instalment is not None and self.min_instalment.is_negative:
            raise DealRulesError(f"plan rules: min_instalment {self.min_instalment} is negative")


@dataclass(frozen=True, slots=True)
class FeeRule:
    """A fee the creditor allows: its kind and the most that may be charged each time."""

    kind: FeeKind
    amount: Money
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FeeKind(self.kind))
        if not self.amount.is_positive or not self.amount.is_whole_minor_units():
            raise DealRulesError(
                f"fee rule {self.kind.value}: amount {self.amount.amount} must be positive, in whole minor units"
            )


@dataclass(frozen=True, slots=True)
class DealRules:
    """Everything a creditor decided in advance about deals with its debtors (see module doc).

    Amounts are in `currency`; a deal in another currency is never inside an amount rule.
    `write_off_without_approval_up_to` lets small balances go without asking (None: every
    write-off needs a person's approval).
    """

    currency: str = "GBP"
    plans: PlanRules = field(default_factory=PlanRules)
    max_settlement_discount_percent: Decimal = Decimal(0)
    fees: tuple[FeeRule, ...] = ()
    dispute_mode: DisputeMode = DisputeMode.NO_MEDIATION
    promise_grace_days: int = DEFAULT_PROMISE_GRACE_DAYS
    write_off_without_approval_up_to: Money | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)
        object.__setattr__(
            self,
            "max_settlement_discount_percent",
            percent(self.max_settlement_discount_percent, "deal rules: max_settlement_discount_percent"),
        )
        object.__setattr__(self, "dispute_mode", DisputeMode(self.dispute_mode))
        object.__setattr__(self, "fees", tuple(self.fees))
        _check_days(self.promise_grace_days, "deal rules: promise_grace_days")
        seen: set[FeeKind] = set()
        for rule in self.fees:
            if rule.kind in seen:
                raise DealRulesError(f"deal rules: two fee rules for {rule.kind.value}; keep one")
            seen.add(rule.kind)
            if rule.amount.currency != self.currency:
                raise DealRulesError(
                    f"deal rules: the {rule.kind.label} fee is in {rule.amount.currency}, the rules in {self.currency}"
                )
        for name, amount in (
            ("plans.min_instalment", self.plans.min_instalment),
            ("write_off_without_approval_up_to", self.write_off_without_approval_up_to),
        ):
            if amount is not None and amount.currency != self.currency:
                raise DealRulesError(
                    f"deal rules: {name} is in {amount.currency}, the rules in {self.currency}"
                )
        if (
            self.write_off_without_approval_up_to is not None
            and self.write_off_without_approval_up_to.is_negative
        ):
            raise DealRulesError("deal rules: write_off_without_approval_up_to is negative")

    def fee_rule(self, kind: FeeKind) -> FeeRule | None:
        """The rule allowing a fee of `kind`, or None when the creditor does not allow it."""
        for rule in self.fees:
            if rule.kind is kind:
                return rule
        return None

    def currency_breach(self, amount: Money, what: str) -> RuleBreach | None:
        """A breach when `amount` is not in the rules' currency (no amount rule can be checked)."""
        if amount.currency == self.currency:
            return None
        return RuleBreach(
            "currency",
            self.currency,
            amount.currency,
            f"{what} is in {amount.currency}; the creditor's rules are in {self.currency}, so only it can agree",
        )


# --- cash toward a deal -----------------------------------------------------------------------
# Promises, plans and settlements are all judged by the money that reached their documents
# between two days; these two helpers count it the same way for all three.


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money that reached a deal on a day (cash, or a credit note where the deal counts them)."""

    on: date
    amount: Money


def receipts_toward(
    allocations: Iterable[Allocation],
    documents: Collection[str] | None,
    *,
    currency: str,
    since: date,
    until: date,
    cash_only: bool,
) -> tuple[Receipt, ...]:
    """Allocations to `documents` (None: to any document) dated `since`..`until` inclusive, in
    date order; credit-note allocations are left out when `cash_only`. Allocations in another
    currency cannot settle the deal's documents and are left out."""
    found = [
        Receipt(allocation.allocated_on, allocation.amount)
        for allocation in allocations
        if since <= allocation.allocated_on <= until
        and allocation.amount.currency == currency
        and (documents is None or allocation.document in documents)
        and not (cash_only and allocation.payment is None)
    ]
    return tuple(sorted(found, key=lambda receipt: receipt.on))


def paid_by(receipts: Iterable[Receipt], day: date, currency: str) -> Money:
    """What the receipts add up to on `day` (inclusive)."""
    return Money.total((receipt.amount for receipt in receipts if receipt.on <= day), currency)


def reached_on(receipts: Iterable[Receipt], target: Money) -> date | None:
    """The day the receipts, added up in date order, first reach `target` (None: never)."""
    total = Money.zero(target.currency)
    for receipt in receipts:
        total = total + receipt.amount
        if total >= target:
            return receipt.on
    return None
