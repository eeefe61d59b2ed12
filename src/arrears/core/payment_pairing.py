"""One payment, one record: pairing the cash the bank shows with the cash the accounting package
records.

A real payment can reach Arrears by two roads: a bank statement line matched to a debtor (a
`BANK-...` payment, allocated by Arrears), and the accounting package (a synced
`quickbooks:<Id>` / `xero:<Id>` payment, or cash on account in a ledger file) once the
bookkeeper has entered it. Counted on both, it would settle its invoice twice. The rule:

- **The package is the ledger of record** for the payments it reports and for open amounts.
  The bank is first with the news; the package has the last word.
- **Sync after bank**: a payment new from the package *is* a bank payment not yet linked when
  they are of the same debtor, currency and amount, and dated within `PAIRING_WINDOW_DAYS` of
  each other. If several qualify, one that settles a document the package payment settles
  comes first (then the nearest date, then the earliest). The pair becomes one payment
  (`pair_payments`).
- **Bank after sync**: a credit line *is* a package payment no bank line has claimed yet when
  they are of the same currency and amount, dated within the window, and the line points at
  the payment: it cites a document the payment settles, or (citing nothing) the payer's
  account or name is the payment's debtor's (`payment_for_line`). A line that cites other
  documents is another payment. A line with no clue at all is left to a person (the package
  payment is offered as a suggestion).
- Anything that cannot be paired goes in as it always did.

Pure: no I/O and no clock; the services read the payments and apply the pairs.
"""

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from arrears.core.matching import normalised_number
from arrears.core.money import Money

PAIRING_WINDOW_DAYS = 10
"""Days between the bank's booking date and the date the package gives the payment within which
the two are taken to be one payment: a bookkeeper enters a transfer on the day it lands or a
few days later, and a UK cheque takes up to six working days to clear."""

MIN_CITED_DIGITS = 4

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_DIGITS_AT_END = re.compile(r"(\d+)$")


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """A payment as pairing sees it: its reference, debtor (None: not known), the day received,
    the amount, and the invoices it settles."""

    reference: str
    debtor: str | None
    received_on: date
    amount: Money
    documents: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LineClues:
    """What a bank line says about whom and what it pays: the document numbers its remittance
    text cites (of those that matter), and the debtors its payer's account or name point at."""

    cited: frozenset[str] = frozenset()
    debtors: frozenset[str] = frozenset()


def within_window(first: date, second: date, window_days: int = PAIRING_WINDOW_DAYS) -> bool:
    return abs((first - second).days) <= window_days


def could_be_one(
    arriving: RecordedPayment, waiting: RecordedPayment, window_days: int = PAIRING_WINDOW_DAYS
) -> bool:
    """Same debtor (both known), same currency and amount, dated within the window."""
    return (
        arriving.debtor is not None
        and arriving.debtor == waiting.debtor
        and arriving.amount == waiting.amount
        and within_window(arriving.received_on, waiting.received_on, window_days)
    )


def _nearest(
    candidates: Iterable[RecordedPayment], day: date, taken: Collection[str]
) -> RecordedPayment | None:
    free = [candidate for candidate in candidates if candidate.reference not in taken]
    if not free:
        return None
    return min(free, key=lambda c: (abs((c.received_on - day).days), c.received_on, c.reference))


def pair_payments(
    arriving: Sequence[RecordedPayment],
    waiting: Sequence[RecordedPayment],
    *,
    window_days: int = PAIRING_WINDOW_DAYS,
) -> dict[str, str]:
    """Pair payments new from the package (`arriving`) with bank payments not yet linked
    (`waiting`): arriving reference -> waiting reference, each used at most once.

    Two passes, so that a candidate settling the same documents is never taken by a payment
    that merely has the same amount: first pairs that share a document, then the rest; within
    a pass, in the order given, the nearest date wins (then the earlier, then the reference).
    """
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for sharing in (True, False):
        for payment in arriving:
            if payment.reference in pairs:
                continue
            candidates = [
                other
                for other in waiting
                if could_be_one(payment, other, window_days)
                and (not sharing or bool(payment.documents & other.documents))
            ]
            chosen = _nearest(candidates, payment.received_on, taken)
            if chosen is not None:
                pairs[payment.reference] = chosen.reference
                taken.add(chosen.reference)
    return pairs


def payment_for_line(
    amount: Money,
    booked_on: date,
    clues: LineClues,
    waiting: Sequence[RecordedPayment],
    *,
    window_days: int = PAIRING_WINDOW_DAYS,
) -> RecordedPayment | None:
    """The package payment (not yet claimed by a bank line) that a credit line is, if the line
    points at exactly that cash (see the module docstring); None otherwise."""
    candidates = [
        payment
        for payment in waiting
        if payment.debtor is not None
        and payment.amount == amount
        and within_window(payment.received_on, booked_on, window_days)
    ]
    if clues.cited:
        chosen = [payment for payment in candidates if payment.documents & clues.cited]
    elif clues.debtors:
        chosen = [payment for payment in candidates if payment.debtor in clues.debtors]
    else:
        return None
    return _nearest(chosen, booked_on, ())


def same_amount_nearby(
    amount: Money,
    booked_on: date,
    waiting: Sequence[RecordedPayment],
    *,
    window_days: int = PAIRING_WINDOW_DAYS,
) -> list[RecordedPayment]:
    """Package payments a line with no clue may be, nearest first: suggestions for a person."""
    found = [
        payment
        for payment in waiting
        if payment.debtor is not None
        and payment.amount == amount
        and within_window(payment.received_on, booked_on, window_days)
    ]
    return sorted(found, key=lambda p: (abs((p.received_on - booked_on).days), p.received_on, p.reference))


def _digits_key(number: str) -> str | None:
    normal = normalised_number(number)
    if normal.isdigit():
        return None
    found = _DIGITS_AT_END.search(normal)
    if found is None:
        return None
    digits = found.group(1).lstrip("0")
    return digits if len(digits) >= MIN_CITED_DIGITS else None


def cited_numbers(text: str, numbers: Iterable[str]) -> frozenset[str]:
    """Those of `numbers` that `text` cites, as the matcher reads citations: the number with any
    punctuation or spacing ('INV-000123', 'inv 000123', 'INV000123'), or its significant
    digits alone ('123' is too short; '000123456' cites 'INV-123456')."""
    tokens = [token for token in _NOT_ALNUM.split(text.upper()) if token]
    joined = {
        "".join(tokens[start : start + size]) for size in (1, 2, 3) for start in range(len(tokens) - size + 1)
    }
    digits = {token.lstrip("0") for token in tokens if token.isdigit()}
    found = set()
    for number in numbers:
        if normalised_number(number) in joined:
            found.add(number)
            continue
        key = _digits_key(number)
        if key is not None and key in digits:
            found.add(number)
    return frozenset(found)
