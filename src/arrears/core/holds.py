"""Holds: reasons not to chase a document or a debtor for now.

A **hold** covers a whole debtor or some of its documents, from an optional start date to an
optional end date (both inclusive). While it is active the planner contacts nobody about what
it covers: the step that would have applied is recorded as a skip, with the hold as its reason,
and the ladder resumes where it fits once the hold ends.

Where holds come from:
- recorded by a controller or the debtor portal: a dispute, a promise to pay (`promise_to_pay`:
  until the promised date plus a grace period), a payment plan;
- the creditor's choices: customers it nominates not to contact (the part-ledger service);
- debtor flags (`holds_from_flags`): `do_not_contact`, `insolvent`;
- the planner itself: documents whose action awaits the creditor's approval, and the whole
  creditor while its service is turned off (`ServiceWindow`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Debtor, DebtorFlag

DEFAULT_PROMISE_GRACE_DAYS = 3
"""Days after a promised payment date before the ladder resumes: a UK bank transfer (BACS)
can take three working days to arrive, so a promise kept on its date may land later."""


class HoldError(ArrearsError, ValueError):
    """A hold or service window whose dates contradict each other."""


class HoldReason(StrEnum):
    DISPUTE = "dispute"
    PROMISE_TO_PAY = "promise_to_pay"
    PAYMENT_PLAN = "payment_plan"
    DO_NOT_CONTACT = "do_not_contact"  # excluded by the creditor: part-ledger service, or flagged
    SERVICE_OFF = "service_off"  # the creditor turned the service off
    AWAITING_APPROVAL = "awaiting_approval"  # an action on these documents waits for the creditor
    INSOLVENCY = "insolvency"  # the debtor is in an insolvency process: claims go to the practitioner

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Hold:
    """A reason not to chase a debtor (`documents` empty) or some of its documents.

    `starts_on` and `ends_on` are inclusive; None means "from always" and "until lifted".
    """

    reason: HoldReason
    debtor: str
    documents: frozenset[str] = frozenset()
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.debtor.strip():
            raise HoldError(f"a {self.reason.label} hold needs the debtor's account code")
        if not isinstance(self.documents, frozenset):
            object.__setattr__(self, "documents", frozenset(self.documents))
        if self.starts_on is not None and self.ends_on is not None and self.ends_on < self.starts_on:
            raise HoldError(
                f"{self.reason.label} hold on {self.debtor}: ends on {self.ends_on.isoformat()}, "
                f"before it starts on {self.starts_on.isoformat()}"
            )

    @property
    def covers_whole_debtor(self) -> bool:
        return not self.documents

    def is_active(self, on: date) -> bool:
        return (self.starts_on is None or self.starts_on <= on) and (
            self.ends_on is None or on <= self.ends_on
        )

    def describe(self) -> str:
        """'promise to pay until 2026-03-20 (will pay Friday)'."""
        text = self.reason.label
        if self.ends_on is not None:
            text += f" until {self.ends_on.isoformat()}"
        elif self.starts_on is not None:
            text += f" since {self.starts_on.isoformat()}"
        return f"{text} ({self.note})" if self.note else text


def promise_to_pay(
    debtor: str,
    promised_on: date,
    *,
    documents: Iterable[str] = (),
    made_on: date | None = None,
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
    note: str = "",
) -> Hold:
    """A promise to pay holds the ladder until the promised date plus `grace_days`.

    A kept promise shows as a payment and restarts the ladder; a broken one simply ends, and the
    ladder resumes at the step that fits the documents' age.
    """
    if grace_days < 0:
        raise HoldError(f"promise to pay by {debtor}: grace of {grace_days} days is negative")
    return Hold(
        HoldReason.PROMISE_TO_PAY,
        debtor,
        frozenset(documents),
        starts_on=made_on,
        ends_on=promised_on + timedelta(days=grace_days),
        note=note,
    )


def holds_from_flags(debtor: Debtor) -> tuple[Hold, ...]:
    """Holds implied by a debtor's flags: `do_not_contact` and `insolvent` stop all contact."""
    holds = []
    if DebtorFlag.DO_NOT_CONTACT in debtor.flags:
        holds.append(
            Hold(HoldReason.DO_NOT_CONTACT, debtor.account_code, note="debtor flagged do not contact")
        )
    if DebtorFlag.INSOLVENT in debtor.flags:
        holds.append(Hold(HoldReason.INSOLVENCY, debtor.account_code, note="debtor flagged insolvent"))
    return tuple(holds)


def describe_holds(holds: Iterable[Hold]) -> str:
    """'held: dispute since 2026-03-01; promise to pay until 2026-03-20'."""
    return "held: " + "; ".join(hold.describe() for hold in holds)


@dataclass(frozen=True, slots=True)
class HoldBook:
    """The holds active on one day, indexed for the planner's lookups (built once per plan)."""

    on: date
    by_debtor: Mapping[str, tuple[Hold, ...]] = field(default_factory=dict)
    by_document: Mapping[str, Mapping[str, tuple[Hold, ...]]] = field(default_factory=dict)

    @classmethod
    def active_on(cls, holds: Iterable[Hold], on: date) -> "HoldBook":
        by_debtor: dict[str, list[Hold]] = {}
        by_document: dict[str, dict[str, list[Hold]]] = {}
        for hold in holds:
            if not hold.is_active(on):
                continue
            if hold.covers_whole_debtor:
                by_debtor.setdefault(hold.debtor, []).append(hold)
            else:
                documents = by_document.setdefault(hold.debtor, {})
                for number in hold.documents:
                    documents.setdefault(number, []).append(hold)
        return cls(
            on,
            {debtor: tuple(found) for debtor, found in by_debtor.items()},
            {
                debtor: {number: tuple(found) for number, found in documents.items()}
                for debtor, documents in by_document.items()
            },
        )

    def for_debtor(self, debtor: str) -> tuple[Hold, ...]:
        """Holds on the whole debtor."""
        return self.by_debtor.get(debtor, ())

    def for_documents(self, debtor: str) -> Mapping[str, tuple[Hold, ...]]:
        """Holds on single documents of the debtor, by document number."""
        return self.by_document.get(debtor, {})


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """A period when the service is on for a creditor: from `starts_on` (turned on) to
    `ends_on` inclusive (the last day before it was turned off; None: still on)."""

    starts_on: date
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise HoldError(
                f"service window ends on {self.ends_on.isoformat()}, before it starts on {self.starts_on.isoformat()}"
            )

    def includes(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def service_is_on(windows: Iterable[ServiceWindow], on: date) -> bool:
    """Whether the service is on for the creditor on a day."""
    return any(window.includes(on) for window in windows)


def describe_service_off(windows: Iterable[ServiceWindow], on: date) -> str:
    """Why nothing is planned: 'the service is off since 2026-02-01' or 'not yet turned on'."""
    ended = [window.ends_on for window in windows if window.ends_on is not None and window.ends_on < on]
    if ended:
        return f"the service is off since {(max(ended) + timedelta(days=1)).isoformat()}"
    return f"the service is not on for this creditor on {on.isoformat()}"
