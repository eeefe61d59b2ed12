"""Bank cash the ledger's source has not recorded yet: what it leaves open on an invoice, and when
the source has caught up with it.

Arrears allocates a matched bank line's cash to invoices at once (a `BANK-...` payment); the
accounting package, or the ledger file exported from it, records the same payment only once the
bookkeeper has entered it. Until then the source still shows the invoice open, and taking its
figure as it stands would chase the debtor for money already received. The rule (see
`arrears.core.payment_pairing` for pairing whole payments, and docs/bank-statements.md, "One
payment, one record"):

- **open amount = the source's open amount less the bank cash the source has not recorded yet**,
  never below zero (`bank_cash_kept`);
- when the source leaves less open than that bank cash (it credited the invoice, or recorded the
  payment in a form that cannot be recognised), the bank's allocations give way, newest first:
  their cash goes back on the payer's account, so nothing is counted twice;
- a ledger file names no payments for what it shows paid, only open amounts, so **the source has
  recorded a bank payment's cash when its open amount has gone down by at least that cash** since
  the ledger last took it (`recorded_by_source`); the source's previous figure is the stored open
  amount plus the bank cash still waiting, which is what the ledger kept the last time. The
  oldest bank cash is taken first, each payment whole or not at all, as the bookkeeper enters
  a payment the bank brought: so a source that recorded another, smaller payment meanwhile does
  not count as having recorded the bank's;
- **a source that shows more open than the bank cash it recorded leaves room for** (an older
  export imported again, a payment the bookkeeper took out) no longer records that cash
  (`unrecorded_by_source`): it counts apart again, newest first, so that an invoice is never
  open for cash the bank has brought. The invariant kept: open amount + the bank's allocations
  to the invoice <= its amount.

Pure, in integer minor units of the invoice's currency (exact; the callers hold `Money`).
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BankCash:
    """One bank payment's cash on one invoice that the source has not recorded yet: the payment,
    how much (minor units) and the allocations it is in, oldest first, as (allocation id, minor
    units), so that what gives way can be undone newest first."""

    payment: str
    minor: int
    allocations: tuple[tuple[int, int], ...]


def bank_cash_kept(source_open: int, bank: Sequence[tuple[int, int]]) -> tuple[int, list[tuple[int, int]]]:
    """The open amount to keep for an invoice whose source shows `source_open`, given the bank
    cash allocated to it that the source has not recorded (`bank`: (allocation id, minor units),
    oldest first), and the parts of those allocations that give way because the source leaves
    no room for them: (allocation id, minor units), newest first."""
    unknown = sum(minor for _, minor in bank)
    excess = unknown - source_open
    releases: list[tuple[int, int]] = []
    for allocation_id, minor in reversed(bank):
        if excess <= 0:
            break
        part = min(minor, excess)
        releases.append((allocation_id, part))
        excess -= part
    return source_open - min(unknown, source_open), releases


def recorded_by_source(
    previous_open: int, source_open: int, waiting: Sequence[BankCash], *, amount: int | None = None
) -> list[BankCash]:
    """Of the bank cash `waiting` on an invoice (oldest first), what the source has recorded now
    that it shows `source_open` where it showed `previous_open` before (never more than the
    invoice's `amount`, when given): each payment's cash, oldest first, that the fall in the open
    amount still covers whole."""
    if amount is not None:
        previous_open = min(previous_open, amount)
    fall = previous_open - source_open
    recorded: list[BankCash] = []
    for cash in waiting:
        if 0 < cash.minor <= fall:
            recorded.append(cash)
            fall -= cash.minor
    return recorded


def unrecorded_by_source(
    amount: int, source_open: int, recorded: Sequence[tuple[str, int]]
) -> list[tuple[str, int]]:
    """Of the bank cash the source had recorded on an invoice (`recorded`: (payment, minor units),
    oldest first), what it no longer does now that it shows `source_open` of `amount` open: the
    part that leaves the open amount and the recorded cash together above the amount, newest
    first, as (payment, minor units)."""
    excess = sum(minor for _, minor in recorded) - (amount - source_open)
    dropped: list[tuple[str, int]] = []
    for payment, minor in reversed(recorded):
        if excess <= 0:
            break
        part = min(minor, excess)
        if part > 0:
            dropped.append((payment, part))
            excess -= part
    return dropped
