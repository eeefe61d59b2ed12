"""Disputes: a debtor contests a document, or part of it, with a reason.

A **dispute** is raised on one invoice for all of its open amount or a part of it, with a reason
code (goods not received, wrong price, quality, already paid, not ordered, other) and notes. The
SME is told (`creditor_notice`) and the dispute appears in its reports (`dispute_summary`).
Who works it depends on the creditor's `DisputeMode`: in **no mediation** Arrears reports the
dispute and waits for the SME's decision (only the creditor may resolve it); in **resolve**
controllers work it too. It ends with one of three outcomes:

- **credit note**: upheld in full; the creditor credits the disputed amount (`credit_note_for`);
- **rejected**: the hold lifts and chasing resumes for the whole open amount;
- **partially upheld**: a credit note for part of the disputed amount; the rest is chased.

**A partial dispute holds the whole document.** The planner holds whole documents, and a
reminder quoting the document's open amount would ask for the disputed part too; so an open
dispute holds its document from the ladder (reason `dispute`), whatever part it covers, and
`collectable_amount(document, disputes)` says how much is still undisputed. The worklist and
statements show that figure, so that a controller can ask for the undisputed part by phone or
letter while the dispute is worked.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from arrears.core.deal_rules import DealError, DisputeMode
from arrears.core.holds import Hold, HoldReason
from arrears.core.ledger import Document, DocumentKind
from arrears.core.money import Money


class DisputeError(DealError):
    """A dispute that does not fit its document, or a resolution the creditor's mode forbids."""


class DisputeReason(StrEnum):
    GOODS_NOT_RECEIVED = "goods_not_received"
    WRONG_PRICE = "wrong_price"
    QUALITY = "quality"
    ALREADY_PAID = "already_paid"
    NOT_ORDERED = "not_ordered"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class DisputeOutcome(StrEnum):
    CREDIT_NOTE = "credit_note"  # upheld in full
    REJECTED = "rejected"
    PARTIALLY_UPHELD = "partially_upheld"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Resolver(StrEnum):
    """Who decides a dispute: the creditor (the SME's user) or a credit controller."""

    CREDITOR = "creditor"
    CONTROLLER = "controller"


@dataclass(frozen=True, slots=True)
class DisputeResolution:
    """How a dispute ended: the outcome, the credit given (zero when rejected), who and when."""

    outcome: DisputeOutcome
    decided_on: date
    decided_by: str
    resolver: Resolver
    credit: Money
    note: str = ""


@dataclass(frozen=True, slots=True)
class Dispute:
    """`disputed` of invoice `document` contested by the debtor since `raised_on`.

    `raised_by` is who recorded it: a controller's name, or "portal" for the debtor itself.
    """

    reference: str
    creditor: str
    debtor: str
    document: str
    disputed: Money
    reason: DisputeReason
    raised_on: date
    raised_by: str
    notes: str = ""
    resolution: DisputeResolution | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", DisputeReason(self.reason))
        label = f"dispute {self.reference or '(no reference)'} on {self.document}"
        if not self.reference.strip():
            raise DisputeError(f"{label}: a dispute needs a reference")
        if not self.disputed.is_positive or not self.disputed.is_whole_minor_units():
            raise DisputeError(
                f"{label}: the disputed amount {self.disputed.amount} must be positive, in whole minor units"
            )
        if self.reason is DisputeReason.OTHER and not self.notes.strip():
            raise DisputeError(f"{label}: the reason is 'other'; say what is disputed in the notes")
        if self.resolution is not None and self.resolution.decided_on < self.raised_on:
            raise DisputeError(
                f"{label}: resolved on {self.resolution.decided_on.isoformat()}, before it was raised on "
                f"{self.raised_on.isoformat()}"
            )

    @property
    def is_open(self) -> bool:
        return self.resolution is None

    @property
    def label(self) -> str:
        return f"dispute {self.reference} on {self.document}"

    def hold(self) -> Hold | None:
        """The hold on the document while the dispute is open (see the module doc: a partial
        dispute holds the whole document). A resolved dispute held until the day before its
        decision, so chasing resumes on the day it is decided; one decided the day it was raised
        never held (None)."""
        ends_on: date | None = None
        if self.resolution is not None:
            if self.resolution.decided_on <= self.raised_on:
                return None
            ends_on = self.resolution.decided_on - timedelta(days=1)
        return Hold(
            HoldReason.DISPUTE,
            self.debtor,
            frozenset({self.document}),
            starts_on=self.raised_on,
            ends_on=ends_on,
            note=f"dispute {self.reference}: {self.reason.label}, {self.disputed} disputed",
        )


def raise_dispute(
    reference: str,
    document: Document,
    reason: DisputeReason,
    *,
    raised_on: date,
    raised_by: str,
    amount: Money | None = None,
    notes: str = "",
    existing: Iterable[Dispute] = (),
) -> Dispute:
    """A dispute on `amount` of `document` (default: all that is not already disputed).

    Refused for a credit note, for an amount in another currency, and for more than the open
    amount not already under an open dispute (`existing`: the document's other disputes).
    """
    label = f"dispute {reference} on {document.number}"
    if document.kind is not DocumentKind.INVOICE:
        raise DisputeError(f"{label}: {document.number} is a credit note; a debtor disputes invoices")
    undisputed = collectable_amount(document, existing)
    disputed = undisputed if amount is None else amount
    if disputed.currency != document.currency:
        raise DisputeError(
            f"{label}: the amount is in {disputed.currency}, the invoice in {document.currency}"
        )
    if disputed > undisputed:
        already = disputed_amount(document, existing)
        raise DisputeError(
            f"{label}: {disputed} disputed but only {undisputed} of the invoice is open and not already disputed "
            f"({document.open_amount} open, {already} under other disputes)"
        )
    if not disputed.is_positive:
        raise DisputeError(f"{label}: nothing of {document.number} is open and undisputed")
    return Dispute(
        reference=reference,
        creditor=document.creditor,
        debtor=document.debtor,
        document=document.number,
        disputed=disputed,
        reason=reason,
        raised_on=raised_on,
        raised_by=raised_by,
        notes=notes,
    )


def who_decides(mode: DisputeMode) -> frozenset[Resolver]:
    """Who may resolve a dispute under the creditor's mode: only the creditor in "no mediation"."""
    if DisputeMode(mode) is DisputeMode.NO_MEDIATION:
        return frozenset({Resolver.CREDITOR})
    return frozenset({Resolver.CREDITOR, Resolver.CONTROLLER})


def resolve_dispute(
    dispute: Dispute,
    outcome: DisputeOutcome,
    *,
    on: date,
    by: str,
    resolver: Resolver,
    mode: DisputeMode,
    credit: Money | None = None,
    note: str = "",
) -> Dispute:
    """The dispute with its outcome.

    `credit`: for a credit note, the disputed amount (the default; another figure is refused:
    that is a partial uphold); for partially upheld, more than zero and less than the disputed
    amount; for rejected, none. In "no mediation" mode only the creditor resolves.
    """
    outcome = DisputeOutcome(outcome)
    label = dispute.label
    if dispute.resolution is not None:
        raise DisputeError(f"{label}: already resolved ({dispute.resolution.outcome.label})")
    if not by.strip():
        raise DisputeError(f"{label}: name who decided it")
    if Resolver(resolver) not in who_decides(mode):
        raise DisputeError(
            f"{label}: this creditor decides its disputes itself (no mediation); report it and wait for "
            "the creditor's decision"
        )
    zero = Money.zero(dispute.disputed.currency)
    if outcome is DisputeOutcome.REJECTED:
        if credit is not None and not credit.is_zero:
            raise DisputeError(
                f"{label}: a rejected dispute gives no credit; record a partial uphold instead"
            )
        given = zero
    elif outcome is DisputeOutcome.CREDIT_NOTE:
        given = dispute.disputed if credit is None else credit
        if given != dispute.disputed:
            raise DisputeError(
                f"{label}: a credit note upholds the whole {dispute.disputed}; for {given} record a partial uphold"
            )
    else:
        if credit is None:
            raise DisputeError(f"{label}: a partial uphold needs the credit given")
        given = credit
        if given.currency != dispute.disputed.currency or not (zero < given < dispute.disputed):
            raise DisputeError(
                f"{label}: a partial uphold credits more than nothing and less than the {dispute.disputed} disputed, "
                f"not {given}"
            )
        if not given.is_whole_minor_units():
            raise DisputeError(f"{label}: the credit {given.amount} is not in whole minor units")
    return replace(dispute, resolution=DisputeResolution(outcome, on, by, Resolver(resolver), given, note))


def credit_note_for(dispute: Dispute, *, number: str, issued_on: date) -> Document:
    """The credit note that gives the debtor the credit a resolution granted, as a ledger
    document to apply to the invoice (`arrears.core.ledger.apply_credit_note`). The creditor
    issues it in its accounting package under `number`."""
    if dispute.resolution is None or not dispute.resolution.credit.is_positive:
        raise DisputeError(f"{dispute.label}: no credit was granted, so no credit note is due")
    credit = dispute.resolution.credit
    return Document(
        creditor=dispute.creditor,
        debtor=dispute.debtor,
        kind=DocumentKind.CREDIT_NOTE,
        number=number,
        issue_date=issued_on,
        due_date=issued_on,
        amount=credit,
        open_amount=credit,
        external_reference=dispute.reference,
    )


def _open_disputes_of(document: Document, disputes: Iterable[Dispute]) -> list[Dispute]:
    return [
        d
        for d in disputes
        if d.is_open
        and d.document == document.number
        and d.debtor == document.debtor
        and d.creditor == document.creditor
    ]


def disputed_amount(document: Document, disputes: Iterable[Dispute]) -> Money:
    """What open disputes contest on `document`, at most its open amount (cash paid since a
    dispute was raised may leave less open than was disputed)."""
    total = Money.total((d.disputed for d in _open_disputes_of(document, disputes)), document.currency)
    return total.min(document.open_amount)


def collectable_amount(document: Document, disputes: Iterable[Dispute]) -> Money:
    """What may still be asked for on `document`: its open amount less what open disputes contest."""
    return document.open_amount - disputed_amount(document, disputes)


def dispute_holds(disputes: Iterable[Dispute]) -> tuple[Hold, ...]:
    """The disputes' holds, for the planner (each active from the day the dispute was raised
    until the day before it was decided)."""
    return tuple(hold for hold in (d.hold() for d in disputes) if hold is not None)


def creditor_notice(dispute: Dispute, mode: DisputeMode, *, document_amount: Money | None = None) -> str:
    """The line the SME is told when a dispute is raised, saying who works it under its mode."""
    part = f"{dispute.disputed}" if document_amount is None else f"{dispute.disputed} of {document_amount}"
    notes = f': "{dispute.notes}"' if dispute.notes else ""
    if DisputeMode(mode) is DisputeMode.NO_MEDIATION:
        then = "Reminders on this invoice are paused until you decide: credit note, rejected or partially upheld."
    else:
        then = "Reminders on this invoice are paused while our credit controllers work it with the customer."
    return (
        f"Dispute {dispute.reference}: account {dispute.debtor} disputes {part} on invoice {dispute.document} "
        f"({dispute.reason.label}){notes}, raised {dispute.raised_on.isoformat()}. {then}"
    )


@dataclass(frozen=True, slots=True)
class DisputeSummary:
    """Disputes as the creditor's reports show them on `as_of`."""

    as_of: date
    open_count: int
    open_amounts: Mapping[str, Money]  # by currency
    open_by_reason: Mapping[DisputeReason, int]
    oldest_open_days: int | None
    resolved_by_outcome: Mapping[DisputeOutcome, int]
    credit_given: Mapping[str, Money]  # by currency


def dispute_summary(disputes: Iterable[Dispute], as_of: date) -> DisputeSummary:
    """Open disputes (raised on or before `as_of`, not resolved by then) and outcomes so far."""
    open_disputes: list[Dispute] = []
    resolved: list[DisputeResolution] = []
    for dispute in disputes:
        if dispute.raised_on > as_of:
            continue
        if dispute.resolution is not None and dispute.resolution.decided_on <= as_of:
            resolved.append(dispute.resolution)
        else:
            open_disputes.append(dispute)
    open_amounts: dict[str, Money] = {}
    for dispute in open_disputes:
        currency = dispute.disputed.currency
        open_amounts[currency] = open_amounts.get(currency, Money.zero(currency)) + dispute.disputed
    credit_given: dict[str, Money] = {}
    for resolution in resolved:
        currency = resolution.credit.currency
        credit_given[currency] = credit_given.get(currency, Money.zero(currency)) + resolution.credit
    return DisputeSummary(
        as_of=as_of,
        open_count=len(open_disputes),
        open_amounts=dict(sorted(open_amounts.items())),
        open_by_reason=dict(Counter(d.reason for d in open_disputes)),
        oldest_open_days=max(((as_of - d.raised_on).days for d in open_disputes), default=None),
        resolved_by_outcome=dict(Counter(r.outcome for r in resolved)),
        credit_given=dict(sorted(credit_given.items())),
    )
