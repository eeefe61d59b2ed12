"""Actions: what the planner decides, and the history it reads back.

An **action** is one planned contact: a step, a debtor, the documents it chases and the channel,
with a deterministic **idempotency key** and a reason a person can read. A **skip** is a step
that would have applied but did not, and says why (a hold, the contact cap, a weekend). A
**plan** is both lists for one creditor on one day. Past actions (`PastAction`) are the
history the planner reads: what was planned, sent, failed or skipped, on which day.

Idempotency keys and episodes
-----------------------------
The key is a hash of (creditor, debtor, step name, escalation episode, sorted document
numbers). The same debtor, step and documents always give the same key within an episode, so
running a cycle twice, or after a crash, records and sends nothing twice: the store keeps one
action per key and the outbox one message per key.

An **escalation episode** is the stretch of a debtor's ladder between two payments; its marker
is the date of the debtor's last payment ('first' before any). A payment restarts the ladder,
and in the new episode the same step may legitimately chase the same documents again (a
part-paid invoice gets the reminder that fits it, with the new balance): the new marker gives
that action a new key. The planner decides what is due from the dated history; the key only
makes recording it safe to repeat.

The policy version is deliberately not in the key: a step keeps its name across versions, so
editing a template or an offset must not make a step that was done look new.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from hashlib import sha256

from arrears.core.calendar import rolling_week
from arrears.core.holds import Hold, HoldReason
from arrears.core.money import Money
from arrears.core.policy import Channel, Policy


class ActionStatus(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # decided against by a person (an approval refused, a controller's skip)

    @property
    def is_contact(self) -> bool:
        """Whether an action in this status counts toward the contact cap: planned ones will
        reach the debtor, sent ones did; one awaiting approval has not yet."""
        return self in (ActionStatus.PLANNED, ActionStatus.SENT)


class SkipKind(StrEnum):
    HELD = "held"
    CONTACT_CAP = "contact_cap"
    NOT_A_BUSINESS_DAY = "not_a_business_day"
    PAUSED_AFTER_PAYMENT = "paused_after_payment"
    COVERED_BY_CREDIT = "covered_by_credit"  # unapplied credit notes exceed the open invoices


def episode_marker(last_payment: date | None) -> str:
    """The escalation episode a debtor is in: the date of its last payment, or 'first'."""
    return "first" if last_payment is None else f"paid-{last_payment.isoformat()}"


def idempotency_key(creditor: str, debtor: str, step: str, episode: str, documents: tuple[str, ...]) -> str:
    """A deterministic key for one (debtor, step, documents) in one episode.

    >>> idempotency_key("ACME", "D1", "due today", "first", ("INV-2", "INV-1")) == idempotency_key(
    ...     "ACME", "D1", "due today", "first", ("INV-1", "INV-2"))
    True
    """
    parts = (creditor, debtor, step, episode, *sorted(documents))
    return sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class PastAction:
    """One action from the history: `on` is the day it was planned (or sent); `episode` the
    marker it was planned in ('' when unknown)."""

    debtor: str
    step: str
    documents: tuple[str, ...]
    on: date
    status: ActionStatus = ActionStatus.SENT
    idempotency_key: str = ""
    episode: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One planned contact. `documents` are sorted numbers; `amounts` the open amounts they
    total, one per currency; `status` is planned or awaiting_approval."""

    creditor: str
    debtor: str
    step: str
    channel: Channel
    template: str
    documents: tuple[str, ...]
    amounts: tuple[Money, ...]
    planned_on: date
    status: ActionStatus
    episode: str
    idempotency_key: str
    reason: str

    @property
    def needs_approval(self) -> bool:
        return self.status is ActionStatus.AWAITING_APPROVAL

    def as_past(self, status: ActionStatus | None = None, on: date | None = None) -> PastAction:
        """This action as history, for the next cycle (by default as planned, on its day)."""
        return PastAction(
            self.debtor,
            self.step,
            self.documents,
            self.planned_on if on is None else on,
            self.status if status is None else status,
            self.idempotency_key,
            self.episode,
        )


@dataclass(frozen=True, slots=True)
class Skip:
    """A step that would have applied but was not planned, and why. `debtor` is None when the
    whole creditor is skipped (service off); `step` is None when no step is in question."""

    kind: SkipKind
    debtor: str | None
    step: str | None
    documents: tuple[str, ...]
    reason: str
    holds: tuple[HoldReason, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions and skips of one cycle: one creditor, one day, one policy version."""

    creditor: str
    as_of: date
    policy: str
    policy_version: int
    actions: tuple[Action, ...]
    skips: tuple[Skip, ...]

    @property
    def awaiting_approval(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.needs_approval)

    @property
    def contacts(self) -> tuple[Action, ...]:
        """Actions that go out without waiting for anyone."""
        return tuple(action for action in self.actions if not action.needs_approval)

    def as_history(self) -> tuple[PastAction, ...]:
        return tuple(action.as_past() for action in self.actions)


@dataclass(slots=True)
class HistoryIndex:
    """The history, indexed once per plan for the planner's dictionary look-ups.

    - `progress[debtor][document]`: (policy index, day) of the furthest step that chased the
      document in the debtor's current episode, which holds the actions planned after its last
      payment and those recorded with the current episode's marker (planned on the day of the
      payment, after it); steps the policy no longer has are left out;
    - `pending[debtor][document]`: an awaiting-approval hold for each document of an action
      that waits for the creditor, whatever the episode;
    - `last_action[debtor]`: the day of the debtor's latest action of any status;
    - `contacts[debtor]`: days of its contacts (planned or sent) in the rolling week.
    """

    progress: dict[str, dict[str, tuple[int, date]]] = field(default_factory=dict)
    pending: dict[str, dict[str, Hold]] = field(default_factory=dict)
    last_action: dict[str, date] = field(default_factory=dict)
    contacts: dict[str, list[date]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, history: Iterable[PastAction], policy: Policy, as_of: date, last_payments: Mapping[str, date]
    ) -> "HistoryIndex":
        """Index the history as of `as_of`: entries after that day are left out."""
        indexed = cls()
        week_starts, _ = rolling_week(as_of)
        for past in history:
            if past.on > as_of:
                continue
            debtor = past.debtor
            last = indexed.last_action.get(debtor)
            if last is None or past.on > last:
                indexed.last_action[debtor] = past.on
            if past.status is ActionStatus.AWAITING_APPROVAL:
                pending = indexed.pending.setdefault(debtor, {})
                note = f"step {past.step!r} planned on {past.on.isoformat()}"
                for number in past.documents:
                    pending[number] = Hold(
                        HoldReason.AWAITING_APPROVAL, debtor, frozenset({number}), note=note
                    )
            if past.status.is_contact and past.on >= week_starts:
                indexed.contacts.setdefault(debtor, []).append(past.on)
            paid = last_payments.get(debtor)
            index = policy.index_of(past.step)
            if index is None or (
                paid is not None and past.on <= paid and past.episode != episode_marker(paid)
            ):
                continue
            progress = indexed.progress.setdefault(debtor, {})
            for number in past.documents:
                current = progress.get(number)
                if current is None or (index, past.on) > current:
                    progress[number] = (index, past.on)
        return indexed


def describe_age(days_past_due: int) -> str:
    """'due in 3 days', 'due today', '1 day past due', '31 days past due'."""
    if days_past_due < 0:
        return f"due in {-days_past_due} day{'s' if days_past_due < -1 else ''}"
    if days_past_due == 0:
        return "due today"
    return f"{days_past_due} day{'s' if days_past_due > 1 else ''} past due"
