"""Write-offs: taking an unpaid amount off a document, with a reason and someone's approval.

A **write-off** is a value: the document, the amount, the reason, who approved it and the day.
`apply_write_off` applies it to a `Document`: the open amount goes down, and a document written
off in full is `written_off`. It never takes off more than is open, never touches a credit note
(apply or refund it instead) and never a document already written off or settled in the source.

Who approves: a person named in `approved_by`, or `APPROVED_BY_RULES` when the creditor's rules
let it through (a settlement inside the pre-agreed discount, a small balance under
`DealRules.write_off_without_approval_up_to`); `decide_write_off` says which.
"""

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from arrears.core.deal_rules import DealError, DealRules, Decision, RuleBreach
from arrears.core.ledger import Document, DocumentStatus, status_for
from arrears.core.money import Money


class WriteOffError(DealError):
    """A write-off that does not fit its document: more than is open, another currency, a credit
    note, a document already closed."""


class WriteOffReason(StrEnum):
    SETTLEMENT = "settlement"  # the rest of a debt settled in full and final settlement
    EARLY_PAYMENT_DISCOUNT = "early_payment_discount"  # "2/10 net 30": the discount taken
    SMALL_BALANCE = "small_balance"  # not worth chasing
    BAD_DEBT = "bad_debt"  # cannot be recovered
    INSOLVENCY = "insolvency"  # the debtor is insolvent; any dividend comes through the practitioner
    GOODWILL = "goodwill"  # a commercial concession
    OTHER = "other"  # say why in the note

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class WriteOff:
    """`amount` of document `document` (a number) written off on `on`, for `reason`."""

    creditor: str
    debtor: str
    document: str
    amount: Money
    reason: WriteOffReason
    approved_by: str
    on: date
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", WriteOffReason(self.reason))
        label = f"write-off on {self.document}"
        if not self.amount.is_positive or not self.amount.is_whole_minor_units():
            raise WriteOffError(
                f"{label}: amount {self.amount.amount} must be positive, in whole minor units"
            )
        if not self.approved_by.strip():
            raise WriteOffError(f"{label}: say who approved it (approved_by is empty)")
        if self.reason is WriteOffReason.OTHER and not self.note.strip():
            raise WriteOffError(f"{label}: the reason is 'other'; say why in the note")

    def describe(self) -> str:
        """'INV-1: £150.00 written off on 2026-03-20 (settlement; approved by Jo Bloggs)'."""
        note = f": {self.note}" if self.note else ""
        return (
            f"{self.document}: {self.amount.format()} written off on {self.on.isoformat()} "
            f"({self.reason.label}{note}; approved by {self.approved_by})"
        )


def write_off(
    document: Document,
    amount: Money | None = None,
    *,
    reason: WriteOffReason,
    approved_by: str,
    on: date,
    note: str = "",
) -> WriteOff:
    """A write-off of `amount` (default: all that is open) of `document`, checked against it."""
    value = WriteOff(
        creditor=document.creditor,
        debtor=document.debtor,
        document=document.number,
        amount=document.open_amount if amount is None else amount,
        reason=reason,
        approved_by=approved_by,
        on=on,
        note=note,
    )
    _check_fits(document, value)
    return value


def _check_fits(document: Document, value: WriteOff) -> None:
    label = f"write-off of {value.amount} on {document.number}"
    if (document.creditor, document.debtor, document.number) != (
        value.creditor,
        value.debtor,
        value.document,
    ):
        raise WriteOffError(
            f"{label}: it is for {value.creditor}/{value.debtor}/{value.document}, not "
            f"{document.creditor}/{document.debtor}/{document.number}"
        )
    if not document.is_invoice:
        raise WriteOffError(
            f"{label}: {document.number} is a credit note; apply it to an invoice or refund it"
        )
    if value.amount.currency != document.currency:
        raise WriteOffError(f"{label}: the document is in {document.currency}")
    if document.status in (DocumentStatus.WRITTEN_OFF, DocumentStatus.SETTLED_IN_SOURCE):
        raise WriteOffError(f"{label}: the document is already {document.status.value.replace('_', ' ')}")
    if value.amount > document.open_amount:
        raise WriteOffError(
            f"{label}: only {document.open_amount} is open; a write-off cannot take off more than is owed"
        )
    if value.on < document.issue_date:
        raise WriteOffError(
            f"{label}: dated {value.on.isoformat()}, before the document was issued on {document.issue_date.isoformat()}"
        )


def apply_write_off(document: Document, write_off: WriteOff) -> Document:
    """The document after the write-off: open amount down by its amount; `written_off` when
    nothing is left open, otherwise the status that follows from the open amount (part paid)."""
    _check_fits(document, write_off)
    open_amount = document.open_amount - write_off.amount
    status = DocumentStatus.WRITTEN_OFF if open_amount.is_zero else status_for(document.amount, open_amount)
    return replace(document, open_amount=open_amount, status=status)


def decide_write_off(amount: Money, rules: DealRules) -> Decision:
    """Whether the creditor's rules let a write-off of `amount` through without a person's
    approval (`write_off_without_approval_up_to`, inclusive)."""
    currency = rules.currency_breach(amount, f"a write-off of {amount}")
    if currency is not None:
        return Decision((currency,))
    limit = rules.write_off_without_approval_up_to
    if limit is None:
        return Decision(
            (
                RuleBreach(
                    "write_off_without_approval_up_to",
                    "none",
                    str(amount),
                    f"the creditor approves every write-off; {amount} needs its approval",
                ),
            )
        )
    if amount > limit:
        return Decision(
            (
                RuleBreach(
                    "write_off_without_approval_up_to",
                    str(limit),
                    str(amount),
                    f"a write-off of {amount} is more than the {limit} the creditor lets through without approval",
                ),
            )
        )
    return Decision()
