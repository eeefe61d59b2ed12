"""Policies: a creditor's escalation ladder as data.

A **policy** is an ordered list of **steps**. Each step has an offset in days from the due date
(negative: before it), a channel, a template and conditions. The planner gives each open invoice
the latest step that fits its age; the rules for that live in `arrears.core.planner`.

A policy is validated once, when it is built: offsets strictly increase (so "the latest step
that fits" is never ambiguous), step names are unique (history refers to steps by name), and a
legal step always needs the creditor's approval. Every error names the step and the field.

**Segments** group debtors that a policy treats differently. A debtor's segments come from its
flags and its balance (`segments_of`); a step may be limited to some segments, and a
`SegmentRule` may change steps for a segment (key accounts: a call instead of an email) or limit
it to some channels (small balances: email only). `ladder_for` gives the steps one debtor gets.

**Interest on letters.** Whether a message claims statutory interest and compensation (Late
Payment of Commercial Debts (Interest) Act 1998; Directive 2011/7/EU) is the policy's decision:
`claim_interest_from` names the first step that claims them, and every later step of the ladder
claims them too (`claims_interest`). None: no step claims interest. `contractual_interest_rate`
(per cent a year) replaces the statutory rate when the creditor's contract sets one.

Policies are written as YAML or JSON (see `arrears.core.policy_format`); amounts in them are
exact decimals in the policy's currency.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Debtor, DebtorFlag
from arrears.core.money import Money, check_currency


class PolicyError(ArrearsError, ValueError):
    """A policy that cannot be used: its message names the step and the field to fix."""


class Channel(StrEnum):
    """How a step reaches the debtor."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"  # a PDF letter, posted
    CALL = "call"  # a call task for a credit controller


class Segment(StrEnum):
    """A group of debtors a policy may treat differently (see `segments_of`)."""

    STANDARD = "standard"  # in none of the segments below
    KEY_ACCOUNT = "key_account"  # flagged key_account by the creditor
    SMALL_BALANCE = "small_balance"  # owes less than the policy's small_balance_below
    INDIVIDUAL = "individual"  # a consumer or sole trader: the Pre-Action Protocol for Debt Claims applies


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the ladder.

    - `offset_days`: from the due date; -7 is a week before it, 30 is a month after.
    - `needs_approval`: the action waits for the creditor's approval; `legal` steps always do.
    - `group`: one message per debtor for all its documents at this step (default), or one
      message per document.
    - `min_overdue`: the step applies only when the debtor owes at least this much that is at
      least `offset_days` past due (a per-document step: when the document's open amount is).
    - `segments`: the step applies only to debtors in one of these segments (empty: to all).
    - `only_if_no_payment_since_last_step`: the step is not where the ladder restarts after a
      payment: if the debtor paid since its last step, the planner picks an earlier step.
    - `min_days_after_previous_step`: the step waits at least this long after the document's
      previous step (a letter before action gives the debtor 14 days to answer before a referral).
    """

    name: str
    offset_days: int
    channel: Channel
    template: str
    needs_approval: bool = False
    legal: bool = False
    group: bool = True
    min_overdue: Money | None = None
    segments: frozenset[Segment] = frozenset()
    only_if_no_payment_since_last_step: bool = False
    min_days_after_previous_step: int = 0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PolicyError("a step needs a name")
        label = f"step {self.name!r}"
        if not self.template.strip():
            raise PolicyError(f"{label}: template is empty; name the template that renders the message")
        if self.min_days_after_previous_step < 0:
            raise PolicyError(
                f"{label}: min_days_after_previous_step is {self.min_days_after_previous_step}; "
                "it must be zero or more"
            )
        if self.min_overdue is not None and self.min_overdue.is_negative:
            raise PolicyError(f"{label}: min_overdue {self.min_overdue} is negative")
        if not isinstance(self.segments, frozenset):
            object.__setattr__(self, "segments", frozenset(self.segments))
        if self.legal and not self.needs_approval:
            # Legal steps commit the creditor to proceedings: never automatic.
            object.__setattr__(self, "needs_approval", True)


@dataclass(frozen=True, slots=True)
class StepChange:
    """How a segment changes one step: any field left as None keeps the step's own value."""

    step: str
    channel: Channel | None = None
    template: str | None = None
    min_days_after_previous_step: int | None = None

    def apply(self, step: Step) -> Step:
        return replace(
            step,
            channel=step.channel if self.channel is None else self.channel,
            template=step.template if self.template is None else self.template,
            min_days_after_previous_step=(
                step.min_days_after_previous_step
                if self.min_days_after_previous_step is None
                else self.min_days_after_previous_step
            ),
        )


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """What changes for debtors in `segment`: step changes first, then the channel limit
    (`channels` empty: any channel; otherwise steps on other channels are left out)."""

    segment: Segment
    channels: frozenset[Channel] = frozenset()
    changes: tuple[StepChange, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.channels, frozenset):
            object.__setattr__(self, "channels", frozenset(self.channels))


@dataclass(frozen=True, slots=True)
class Policy:
    """A creditor's escalation ladder, versioned: every edit in the web app makes a new version.

    Steps are identified by name across versions, so that history written under version 1 still
    counts under version 2; renaming a step makes it a new step.
    """

    name: str
    version: int
    steps: tuple[Step, ...]
    currency: str = "GBP"
    small_balance_below: Money | None = None
    segment_rules: tuple[SegmentRule, ...] = ()
    pause_after_payment_days: int = 7
    claim_interest_from: str | None = None
    contractual_interest_rate: Decimal | None = None
    _by_name: Mapping[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        label = f"policy {self.name!r}"
        if not self.name.strip():
            raise PolicyError("a policy needs a name")
        if self.version < 1:
            raise PolicyError(f"{label}: version {self.version} must be 1 or more")
        check_currency(self.currency)
        label = f"{label} v{self.version}"
        if not self.steps:
            raise PolicyError(f"{label}: has no steps; a ladder needs at least one")
        if self.pause_after_payment_days < 0:
            raise PolicyError(f"{label}: pause_after_payment_days must be zero or more")
        by_name: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            where = f"{label}, step {index + 1} {step.name!r}"
            if step.name in by_name:
                raise PolicyError(f"{where}: the name is already used by step {by_name[step.name] + 1}")
            if index and step.offset_days <= self.steps[index - 1].offset_days:
                previous = self.steps[index - 1]
                raise PolicyError(
                    f"{where}: offset_days {step.offset_days} must be after the previous step "
                    f"{previous.name!r} ({previous.offset_days}); steps are listed in order of offset"
                )
            if step.min_overdue is not None and step.min_overdue.currency != self.currency:
                raise PolicyError(
                    f"{where}: min_overdue is in {step.min_overdue.currency}, the policy in {self.currency}"
                )
            by_name[step.name] = index
        object.__setattr__(self, "_by_name", by_name)
        self._check_interest(label, by_name)
        if self.small_balance_below is not None and self.small_balance_below.currency != self.currency:
            raise PolicyError(
                f"{label}: small_balance_below is in {self.small_balance_below.currency}, "
                f"the policy in {self.currency}"
            )
        seen: set[Segment] = set()
        for rule in self.segment_rules:
            where = f"{label}, segment {rule.segment.value!r}"
            if rule.segment in seen:
                raise PolicyError(f"{where}: has two rules; merge them into one")
            seen.add(rule.segment)
            if rule.segment is Segment.SMALL_BALANCE and self.small_balance_below is None:
                raise PolicyError(f"{where}: has a rule but the policy sets no small_balance_below threshold")
            for change in rule.changes:
                if change.step not in by_name:
                    raise PolicyError(
                        f"{where}: changes step {change.step!r}, which the policy does not have"
                    )

    def _check_interest(self, label: str, by_name: Mapping[str, int]) -> None:
        if self.claim_interest_from is not None and self.claim_interest_from not in by_name:
            known = ", ".join(repr(step.name) for step in self.steps)
            raise PolicyError(
                f"{label}, field claim_interest_from: {self.claim_interest_from!r} is not a step of the "
                f"policy; name one of {known}, or leave it out to claim interest on no letter"
            )
        rate = self.contractual_interest_rate
        if rate is not None:
            if not isinstance(rate, Decimal) or not rate.is_finite():
                raise PolicyError(
                    f"{label}, field contractual_interest_rate: {rate!r} is not an exact number; "
                    "write it as a decimal, e.g. 8 or 8.5 (per cent a year)"
                )
            if not Decimal(0) < rate <= Decimal(100):
                raise PolicyError(
                    f"{label}, field contractual_interest_rate: {rate}% a year must be more than 0 "
                    "and at most 100"
                )

    def claims_interest(self, step: str) -> bool:
        """Whether a message at `step` claims statutory interest and compensation: the step is
        `claim_interest_from` or a later step of the ladder. A name the policy does not have (a
        confirmation, a step of an older version) claims nothing."""
        if self.claim_interest_from is None:
            return False
        index = self._by_name.get(step)
        return index is not None and index >= self._by_name[self.claim_interest_from]

    def step(self, name: str) -> Step:
        """The step called `name`; `PolicyError` if there is none."""
        index = self._by_name.get(name)
        if index is None:
            raise PolicyError(f"policy {self.name!r} v{self.version} has no step {name!r}")
        return self.steps[index]

    def index_of(self, name: str) -> int | None:
        """Position of the step called `name` in the ladder, or None for a step this version lacks."""
        return self._by_name.get(name)

    def ladder_for(self, segments: Iterable[Segment]) -> tuple[Step, ...]:
        """The steps a debtor in `segments` gets, in order.

        Steps limited to other segments are left out; then each matching segment rule applies,
        in the order the policy lists them: its step changes, then its channel limit.
        """
        member = frozenset(segments)
        steps = [step for step in self.steps if not step.segments or step.segments & member]
        rules = [rule for rule in self.segment_rules if rule.segment in member]
        for rule in rules:
            changes = {change.step: change for change in rule.changes}
            steps = [changes[step.name].apply(step) if step.name in changes else step for step in steps]
        for rule in rules:
            if rule.channels:
                steps = [step for step in steps if step.channel in rule.channels]
        return tuple(steps)


def segments_of(debtor: Debtor, balances: Mapping[str, Decimal], policy: Policy) -> frozenset[Segment]:
    """The segments a debtor belongs to, from its flags and its open balances.

    `balances` maps currency to the debtor's net open balance (open invoices less unapplied
    credit notes). A debtor is a small balance when it owes something, less than the policy's
    `small_balance_below`, and all of it in the policy's currency (the core converts no
    currencies). A debtor in none of the segments is `standard`.
    """
    found: set[Segment] = set()
    if DebtorFlag.KEY_ACCOUNT in debtor.flags:
        found.add(Segment.KEY_ACCOUNT)
    if DebtorFlag.INDIVIDUAL in debtor.flags:
        found.add(Segment.INDIVIDUAL)
    threshold = policy.small_balance_below
    if threshold is not None:
        owed = {currency: amount for currency, amount in balances.items() if amount > 0}
        if owed and set(owed) == {threshold.currency} and owed[threshold.currency] < threshold.amount:
            found.add(Segment.SMALL_BALANCE)
    return frozenset(found) if found else frozenset({Segment.STANDARD})
