"""Match bank credits to debtors and invoices, automatically when sure, by a person otherwise.

The scoring is pure (`arrears.core.matching.match_credit`: invoice numbers or digits in the
remittance text, the payer's known account, the payer's name, the amount; a confidence from 0
to 100). This module applies it to the store:

- **automatic** (`match_lines_in`, run by the bank import): an exact match becomes a `Payment`
  of the debtor (reference `BANK-` + the line's fingerprint), allocated to the documents the
  matcher named, in order, through `uow.payments.allocate`, so the ledger stays reconciled;
  cash beyond them stays on the debtor's account (an over-payment); a part payment leaves the
  rest open. The match is recorded with its confidence, method and reasons, by `auto`;
- **the unmatched queue**: every other credit waits with the matcher's suggestions
  (`unmatched_queue`); a person matches it to a debtor and, optionally, invoices
  (`match_line`), or ignores it as not a customer's payment (`ignore_line`). A payer account
  matched once is known from then on, so that payer's next payment scores higher;
- `rematch_queue` runs the matcher again over the queue (after new invoices were imported).

Promises and plans need nothing more: their status follows from the allocations.

**One payment, one record** (`arrears.services.payment_pairing`): before a credit is scored, it
is compared with the payments the accounting package recorded that no bank line has brought
yet. A credit that is one of them (same amount, dated within ten days, citing a document it
settles, or from its debtor's known account or name) is matched to that payment and allocates
nothing: the package's allocations stand. One with no clue is queued with the package
payment as a suggestion; a person matching it to that debtor links it the same way.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Document, Payment, allocate_payment
from arrears.core.matching import BankCredit, Candidate, MatchBook, MatchResult, match_credit
from arrears.core.money import Money
from arrears.core.payment_pairing import RecordedPayment, same_amount_nearby
from arrears.services.deal_book import load_deal_book
from arrears.services.payment_pairing import (
    link_line,
    package_payment_for,
    suggestions_for,
    waiting_package_payments,
)
from arrears.store.repositories import QueuedLine, StoredLine
from arrears.store.repositories.payments_links import bank_reference
from arrears.store.unit_of_work import UnitOfWork

AUTO_MATCHER = "auto"
MANUAL_METHOD = "manual"


class MatchRefused(ArrearsError, ValueError):
    """A bank line that cannot be matched as asked."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LineMatched:
    """A credit that became a payment: to whom, what it settled and what stayed on account.
    `linked`: the credit is a payment the accounting package had recorded already (`payment`
    is the package's); it allocated nothing, and `documents` are what the package says it
    settles."""

    line: StoredLine
    debtor: str
    payment: str
    documents: tuple[str, ...]
    allocated: Money
    on_account: Money
    confidence: int
    method: str
    linked: bool = False


@dataclass(frozen=True, slots=True)
class LineQueued:
    """A credit left for a person, with the matcher's best guess (if any)."""

    line: StoredLine
    best: Candidate | None


def payment_reference(line: StoredLine) -> str:
    """The payment a bank line becomes: `BANK-` and the first 20 characters of its fingerprint."""
    return bank_reference(line.fingerprint)


def credit_of(line: StoredLine) -> BankCredit:
    return BankCredit(
        key=str(line.id),
        booked_on=line.booking_date,
        amount=line.amount,
        narration=line.narration,
        reference=line.reference,
        counterparty_name=line.counterparty_name,
        counterparty_account=line.counterparty_account,
    )


def match_book(uow: UnitOfWork, creditor: str, as_of: date) -> MatchBook:
    """What the matcher needs of the creditor's ledger, read in one go (inside a unit of work)."""
    names = {debtor.account_code: debtor.name for debtor in uow.debtors.list_all(creditor)}
    return MatchBook(
        debtor_names=names,
        open_invoices=[d for d in uow.documents.list_open(creditor) if d.is_invoice],
        known_accounts=uow.bank.known_accounts(creditor),
        expected=load_deal_book(uow, creditor, as_of).expected_payments(),
    )


def match_lines_in(
    uow: UnitOfWork,
    creditor: str,
    lines: Sequence[StoredLine],
    *,
    as_of: date,
    at: datetime,
) -> tuple[list[LineMatched], list[LineQueued]]:
    """Match unmatched credit lines inside the caller's unit of work: exact ones become payments,
    the others are queued (or their suggestions refreshed)."""
    credits = [line for line in lines if line.state == "unmatched" and line.amount.is_positive]
    if not credits:
        return [], []
    book = match_book(uow, creditor, as_of)
    waiting = waiting_package_payments(uow, creditor)
    matched: list[LineMatched] = []
    queued: list[LineQueued] = []
    for line in credits:
        known = package_payment_for(line, book, waiting)
        if known is not None:
            payment, confidence, reason = known
            link_line(
                uow, creditor, line, payment, confidence=confidence, reason=reason, by=AUTO_MATCHER, at=at
            )
            waiting.remove(payment)
            matched.append(_linked(line, payment, confidence))
            continue
        result = match_credit(credit_of(line), book)
        chosen = result.automatic
        if chosen is not None:
            done, documents = _apply(
                uow,
                creditor,
                line,
                chosen.debtor,
                chosen.documents,
                confidence=chosen.confidence,
                method=chosen.method,
                reasons=chosen.reasons,
                by=AUTO_MATCHER,
                at=at,
            )
            for document in documents:
                book.replace(document)
            matched.append(done)
            continue
        offered = suggestions_for(line, waiting)
        best_debtor = None if result.best is None else result.best.debtor
        if best_debtor is None and offered:
            best_debtor = str(offered[0]["debtor"])
        uow.bank.enqueue(
            creditor,
            line.id,
            best_debtor=best_debtor,
            best_confidence=0 if result.best is None else result.best.confidence,
            suggestions=offered + _suggestions(result),
            at=at,
        )
        queued.append(LineQueued(line, result.best))
    return matched, queued


def match_line(
    uow: UnitOfWork,
    creditor: str,
    line_id: int,
    debtor: str,
    *,
    by: str,
    documents: Iterable[str] | None = None,
    now: Callable[[], datetime] = _now,
) -> LineMatched:
    """A person matches an unmatched credit to `debtor`: it becomes the debtor's payment, allocated
    to `documents` in the order given, or to its open invoices oldest due first; cash beyond them
    stays on account."""
    with uow:
        uow.creditors.lock(creditor)
        line = uow.bank.line(creditor, line_id)
        if line.state != "unmatched" or not line.amount.is_positive:
            raise MatchRefused(
                f"bank line {line_id} is {line.state}; only an unmatched credit can be matched"
            )
        uow.debtors.get(creditor, debtor)
        if documents is None:
            numbers = tuple(
                d.number
                for d in sorted(
                    uow.documents.list_open(creditor, debtor=debtor), key=lambda d: (d.due_date, d.number)
                )
                if d.is_invoice and d.currency == line.amount.currency
            )
        else:
            numbers = tuple(dict.fromkeys(documents))
            for number in numbers:
                found = uow.documents.get(creditor, number)
                if found.debtor != debtor:
                    raise MatchRefused(f"invoice {number} is on account {found.debtor}, not {debtor}")
        package = _package_payment_of(uow, creditor, line, debtor, None if documents is None else numbers)
        if package is not None:
            link_line(
                uow,
                creditor,
                line,
                package,
                confidence=100,
                reason=f"matched to {debtor} by {by}",
                by=by,
                at=now(),
            )
            uow.commit()
            return _linked(line, package, 100)
        done, _ = _apply(
            uow,
            creditor,
            line,
            debtor,
            numbers,
            confidence=100,
            method=MANUAL_METHOD,
            reasons=(f"matched by {by}",),
            by=by,
            at=now(),
        )
        uow.commit()
    return done


def ignore_line(
    uow: UnitOfWork, creditor: str, line_id: int, *, by: str, note: str, now: Callable[[], datetime] = _now
) -> StoredLine:
    """A person takes a credit out of the queue: not a customer's payment (say what in `note`)."""
    if not note.strip():
        raise MatchRefused(
            f"bank line {line_id}: say why it is not a customer's payment (a refund, interest...)"
        )
    with uow:
        uow.creditors.lock(creditor)
        uow.bank.ignore(creditor, line_id, by=by, at=now(), note=note)
        line = uow.bank.line(creditor, line_id)
        uow.commit()
    return line


def unmatched_queue(uow: UnitOfWork, creditor: str) -> list[QueuedLine]:
    """The credits waiting for a person, oldest first, with the matcher's suggestions."""
    with uow:
        return uow.bank.queue(creditor)


def rematch_queue(
    uow: UnitOfWork, creditor: str, as_of: date, *, now: Callable[[], datetime] = _now
) -> tuple[list[LineMatched], list[LineQueued]]:
    """Run the matcher again over the queue: lines now exact are matched, the others get fresh
    suggestions."""
    with uow:
        uow.creditors.lock(creditor)
        lines = [queued.line for queued in uow.bank.queue(creditor)]
        result = match_lines_in(uow, creditor, lines, as_of=as_of, at=now())
        uow.commit()
    return result


def _package_payment_of(
    uow: UnitOfWork, creditor: str, line: StoredLine, debtor: str, numbers: Sequence[str] | None
) -> RecordedPayment | None:
    """The debtor's package payment (of the line's amount, near its date) a person's match
    means, if any: settling one of `numbers` when they are given (or nothing at all)."""
    mine = [payment for payment in waiting_package_payments(uow, creditor) if payment.debtor == debtor]
    candidates = same_amount_nearby(line.amount, line.booking_date, mine)
    if numbers is not None:
        candidates = [p for p in candidates if not p.documents or p.documents & set(numbers)]
    return candidates[0] if candidates else None


def _linked(line: StoredLine, payment: RecordedPayment, confidence: int) -> LineMatched:
    zero = Money.from_minor_units(0, line.amount.currency)  # '0.00', as amounts are shown
    return LineMatched(
        line,
        str(payment.debtor),
        payment.reference,
        tuple(sorted(payment.documents)),
        zero,
        zero,
        confidence,
        f"linked to {payment.reference}",
        linked=True,
    )


def _apply(
    uow: UnitOfWork,
    creditor: str,
    line: StoredLine,
    debtor: str,
    numbers: Sequence[str],
    *,
    confidence: int,
    method: str,
    reasons: Sequence[str],
    by: str,
    at: datetime,
) -> tuple[LineMatched, tuple[Document, ...]]:
    """The line becomes the debtor's payment, allocated to the open ones of `numbers` in order."""
    payment = Payment(creditor, payment_reference(line), line.booking_date, line.amount, debtor=debtor)
    uow.payments.add(creditor, [payment])
    invoices = [
        document
        for document in (uow.documents.get(creditor, number) for number in numbers)
        if document.is_open and document.currency == line.amount.currency
    ]
    result = allocate_payment(payment, invoices, on=line.booking_date)
    if result.allocations:
        uow.payments.allocate(creditor, result.allocations)
    uow.bank.record_match(
        creditor,
        line.id,
        payment=payment.reference,
        debtor=debtor,
        confidence=confidence,
        method=method,
        reasons=reasons,
        by=by,
        at=at,
    )
    allocated = Money.total((a.amount for a in result.allocations), line.amount.currency)
    done = LineMatched(
        line,
        debtor,
        payment.reference,
        tuple(a.document for a in result.allocations),
        allocated,
        result.left_over,
        confidence,
        method,
    )
    return done, result.documents


def _suggestions(result: MatchResult) -> list[dict[str, Any]]:
    return [
        {
            "debtor": candidate.debtor,
            "documents": list(candidate.documents),
            "confidence": candidate.confidence,
            "method": candidate.method,
            "reasons": list(candidate.reasons),
        }
        for candidate in result.candidates[:5]
    ]
