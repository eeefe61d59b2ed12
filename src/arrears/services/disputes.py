"""Raise a dispute on an invoice (or part of it), resolve it, and report on disputes.

Raising one records it (reason code and notes), holds the whole invoice from the ladder while it
is open (`collectable_amount` says what may still be asked for by a person), acknowledges it to
the debtor (`dispute_acknowledgement`), gives the line the creditor is told (`creditor_notice`),
which says who works it under the creditor's dispute mode, and emails the creditor itself a
notice (`dispute_notice_to_creditor`, to `Brand.notify_address`): the debtor, the invoice, the
amount, reason and notes, and under `no_mediation` that chasing is paused until it decides,
under `resolve` that our controllers are working it. The notice's key is
`dispute-notice:<reference>`, so it is queued once however often it is asked for; like the
acknowledgement it is queued after the dispute is committed and never undoes it.

Resolving it records the outcome. A credit (credit note, or partially upheld) is given by a
credit note applied to the invoice: either one the creditor issued in its accounting package and
that is in the ledger already (`credit_note=`), or one Arrears adds (`CN-<dispute reference>`)
for the creditor to mirror in its package. A rejected dispute gives nothing; chasing resumes the
day it is decided.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from arrears.comms.message import DisputeDetails
from arrears.core.deal_rules import DisputeMode
from arrears.core.disputes import (
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeSummary,
    Resolver,
    collectable_amount,
    credit_note_for,
    creditor_notice,
    dispute_summary,
    raise_dispute,
    resolve_dispute,
)
from arrears.core.errors import ArrearsError
from arrears.core.ledger import Allocation, DocumentKind
from arrears.core.money import Money
from arrears.services.deal_confirmations import Confirmation, send_confirmation
from arrears.services.deal_rules import rules_in_force
from arrears.store.unit_of_work import UnitOfWork

RESPONSE_DAYS = 14
"""Days the acknowledgement says the creditor will reply within."""


class DisputeRefused(ArrearsError, ValueError):
    """A dispute that cannot be resolved as asked."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DisputeRaised:
    dispute: Dispute
    creditor_notice: str
    collectable: Money
    acknowledgement: Confirmation | None
    creditor_notification: Confirmation | None = None  # the email to the creditor itself


@dataclass(frozen=True, slots=True)
class DisputeResolved:
    dispute: Dispute
    credit_note: str | None
    credit_applied: Money


@dataclass(frozen=True, slots=True)
class DisputeReport:
    summary: DisputeSummary
    open: tuple[Dispute, ...]


def raise_invoice_dispute(
    uow: UnitOfWork,
    creditor: str,
    document: str,
    reason: DisputeReason,
    *,
    raised_on: date,
    raised_by: str,
    amount: Money | None = None,
    notes: str = "",
    reference: str | None = None,
    acknowledge: bool = True,
    notify_creditor: bool = True,
    now: Callable[[], datetime] = _now,
) -> DisputeRaised:
    """Record a dispute on `amount` of invoice `document` (default: all of it that is open and
    not already disputed); see the module docstring. `acknowledge` and `notify_creditor` queue
    the debtor's acknowledgement and the creditor's notice."""
    with uow:
        uow.creditors.lock(creditor)
        invoice = uow.documents.get(creditor, document)
        existing = [s.dispute for s in uow.disputes.list(creditor, document=document)]
        dispute = raise_dispute(
            reference or uow.deals.next_reference(creditor, "dispute"),
            invoice,
            DisputeReason(reason),
            raised_on=raised_on,
            raised_by=raised_by,
            amount=amount,
            notes=notes,
            existing=existing,
        )
        uow.disputes.add(creditor, dispute)
        mode = rules_in_force(uow, creditor).dispute_mode
        notice = creditor_notice(dispute, mode, document_amount=invoice.amount)
        collectable = collectable_amount(invoice, [*existing, dispute])
        uow.commit()
    respond_by = raised_on + timedelta(days=RESPONSE_DAYS)
    acknowledgement = None
    if acknowledge:
        acknowledgement = send_confirmation(
            uow,
            creditor,
            debtor=dispute.debtor,
            template="dispute_acknowledgement",
            key=f"dispute-acknowledgement:{dispute.reference}",
            documents=(dispute.document,),
            details=DisputeDetails(
                dispute.reference,
                raised_on,
                f"{dispute.reason.label}: {dispute.disputed} of invoice {dispute.document}"
                + (f" ({dispute.notes})" if dispute.notes else ""),
                (dispute.document,),
                respond_by,
            ),
            on=raised_on,
            reason=f"dispute {dispute.reference} raised on {raised_on.isoformat()}",
            now=now,
        )
    notification = None
    if notify_creditor:
        notification = _notify(uow, creditor, dispute, notice, mode, respond_by if acknowledge else None, now)
    return DisputeRaised(dispute, notice, collectable, acknowledgement, notification)


def notify_creditor_of_dispute(
    uow: UnitOfWork,
    creditor: str,
    reference: str,
    *,
    now: Callable[[], datetime] = _now,
) -> Confirmation:
    """Queue the notice of dispute `reference` to the creditor (again): one that could not be
    queued when the dispute was raised (no brand yet) can be sent later; one already queued is
    not queued twice (`already_queued`)."""
    with uow:
        dispute = uow.disputes.get(creditor, reference).dispute
        mode = rules_in_force(uow, creditor).dispute_mode
        invoice = uow.documents.get(creditor, dispute.document)
        notice = creditor_notice(dispute, mode, document_amount=invoice.amount)
    return _notify(uow, creditor, dispute, notice, mode, None, now)


def _notify(
    uow: UnitOfWork,
    creditor: str,
    dispute: Dispute,
    notice: str,
    mode: DisputeMode,
    respond_by: date | None,
    now: Callable[[], datetime],
) -> Confirmation:
    """The email that tells the creditor itself about a dispute (`dispute_notice_to_creditor`),
    with the fixed key `dispute-notice:<reference>`."""
    return send_confirmation(
        uow,
        creditor,
        debtor=dispute.debtor,
        template="dispute_notice_to_creditor",
        key=f"dispute-notice:{dispute.reference}",
        documents=(dispute.document,),
        details=DisputeDetails(
            dispute.reference,
            dispute.raised_on,
            notice,
            (dispute.document,),
            respond_by,
            amount=dispute.disputed,
            reason=dispute.reason.value,
            notes=dispute.notes,
            mode=DisputeMode(mode).value,
            raised_by=dispute.raised_by,
        ),
        on=dispute.raised_on,
        reason=notice,
        now=now,
    )


def resolve_invoice_dispute(
    uow: UnitOfWork,
    creditor: str,
    reference: str,
    outcome: DisputeOutcome,
    *,
    on: date,
    by: str,
    resolver: Resolver,
    credit: Money | None = None,
    credit_note: str | None = None,
    note: str = "",
) -> DisputeResolved:
    """Record the outcome of a dispute and, for a credit, apply the credit note to the invoice."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.disputes.get(creditor, reference)
        decided = resolve_dispute(
            stored.dispute,
            DisputeOutcome(outcome),
            on=on,
            by=by,
            resolver=Resolver(resolver),
            mode=rules_in_force(uow, creditor).dispute_mode,
            credit=credit,
            note=note,
        )
        assert decided.resolution is not None
        given = decided.resolution.credit
        number: str | None = None
        applied = Money.zero(given.currency)
        if given.is_positive:
            number = credit_note or f"CN-{decided.reference}"
            if credit_note is None:
                uow.documents.add(creditor, [credit_note_for(decided, number=number, issued_on=on)])
            note_document = uow.documents.get(creditor, number, DocumentKind.CREDIT_NOTE)
            if note_document.debtor != decided.debtor:
                raise DisputeRefused(
                    f"credit note {number} is on account {note_document.debtor}, not {decided.debtor}"
                )
            invoice = uow.documents.get(creditor, decided.document)
            applied = note_document.open_amount.min(given).min(invoice.open_amount)
            if applied.is_positive:
                uow.payments.allocate(
                    creditor,
                    [Allocation(creditor, decided.document, applied, on, credit_note=number)],
                )
        uow.disputes.resolve(creditor, decided, credit_note=number)
        uow.commit()
    return DisputeResolved(decided, number, applied)


def dispute_report(uow: UnitOfWork, creditor: str, as_of: date) -> DisputeReport:
    """Disputes as the creditor's reports show them: the summary and the open disputes."""
    with uow:
        disputes = [s.dispute for s in uow.disputes.list(creditor)]
    summary = dispute_summary(disputes, as_of)
    still_open = tuple(
        d
        for d in disputes
        if d.raised_on <= as_of and (d.resolution is None or d.resolution.decided_on > as_of)
    )
    return DisputeReport(summary, still_open)
