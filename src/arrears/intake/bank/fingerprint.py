"""Bank line fingerprints: the same real transaction gets the same fingerprint wherever it is
printed, and two real transactions get two.

A transaction can reach Arrears more than once: the same file imported again, a statement
repeated on two pages of a file, two downloads whose date ranges overlap (1-15 March, then
10-31 March). An import records each fingerprint once per creditor, so the fingerprint must
be the transaction's identity, not the line's position in a file.

- **The bank's own id, when the line has one** (`bank_reference`: camt `AcctSvcrRef` of the
  transaction or of its entry, the MT940 `:61:` reference after `//`, OFX `FITID`, a bank CSV
  column the profile maps to `transaction_id_column`): the identity is the account, the booking
  date, the amount and that id. Two payments the bank booked apart have two ids, however alike.
- **Otherwise, the line's facts**: the account, booking date, amount, counterparty (name and
  account), the payer's reference, the end-to-end id and the narration, whitespace folded.

To that identity is added an **occurrence number: how many identical identities came before
it in the same statement** (a camt `Stmt`, an MT940 `:20:` block, an OFX `STMTRS`, a CSV file).
Two 50.00 GBP payments from the same payer with the same reference on the same day are
occurrences 0 and 1 and both go in. The count restarts with each statement, so a statement
that overlaps another (the same statement id again, a page repeated, or the same account over
overlapping dates) numbers the lines of the days they share alike, and an overlapping line
is recognised instead of being imported again.

A download that cuts a day short is no trouble: identical lines have no order, only a count,
so the fuller download adds just the occurrences the shorter one lacked. What cannot be told
apart without a bank id: two identical lines on two pages of one statement (separate
statements in the file) are taken for one line printed twice.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from arrears.core.money import Money

#: Bump when the recipe changes, so old and new fingerprints never collide.
FINGERPRINT_VERSION = "bank-line-v2"


class LineFacts(NamedTuple):
    """What a statement line says about its transaction, as the fingerprint reads it."""

    booking_date: date
    amount: Money
    bank_reference: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    reference: str | None
    end_to_end_id: str | None
    narration: str


def normalise_text(text: str) -> str:
    """Whitespace collapsed to single spaces, ends trimmed: how narrations are compared."""
    return " ".join(text.split())


def statement_fingerprints(account: str, lines: Iterable[LineFacts]) -> list[str]:
    """The fingerprints of one statement's lines, in order (see the module docstring)."""
    occurrences: Counter[str] = Counter()
    fingerprints = []
    for line in lines:
        identity = line_identity(account, line)
        fingerprints.append(_hash(identity, occurrences[identity]))
        occurrences[identity] += 1
    return fingerprints


def line_identity(account: str, line: LineFacts) -> str:
    """The transaction a line stands for: by the bank's id when it has one, else by its facts."""
    common = [
        FINGERPRINT_VERSION,
        "".join(account.split()).upper(),
        line.booking_date.isoformat(),
        line.amount.currency,
        format(line.amount.amount.normalize(), "f"),
    ]
    bank_id = normalise_text(line.bank_reference or "")
    if bank_id:
        return "\x1f".join([*common, "bank id", bank_id])
    facts = [
        line.counterparty_name or "",
        "".join((line.counterparty_account or "").split()).upper(),
        line.reference or "",
        line.end_to_end_id or "",
        line.narration,
    ]
    return "\x1f".join([*common, "line", *(normalise_text(fact) for fact in facts)])


def _hash(identity: str, occurrence: int) -> str:
    return hashlib.sha256(f"{identity}\x1f{occurrence}".encode()).hexdigest()
