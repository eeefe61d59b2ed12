"""Counting back to a past date adds back write-offs made after it: an invoice written off on
day W was owed at the end of W-1 and is not at the end of W, in ageing and in receivables alike."""

from datetime import date, timedelta

import pytest

from arrears.core.ageing import ageing
from arrears.core.ledger import Allocation, Document, DocumentKind, DocumentStatus
from arrears.core.metrics import current_receivables_as_of, receivables_as_of
from arrears.core.money import Money
from arrears.core.writeoffs import WriteOff, WriteOffReason

W = date(2026, 3, 2)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(number: str, amount: str, open_amount: str, status: DocumentStatus) -> Document:
    return Document(
        "ACME", "D1", DocumentKind.INVOICE, number, date(2026, 1, 5), date(2026, 2, 4), gbp(amount),
        gbp(open_amount), status,
    )  # fmt: skip


# Today: INV-1 (500) had 100 paid on 02-10 and the other 400 written off on W; INV-2 (250) had
# 50 written off on W and 200 is open; INV-3 (80) was written off in the source system.
DOCUMENTS = [
    invoice("INV-1", "500.00", "0.00", DocumentStatus.WRITTEN_OFF),
    invoice("INV-2", "250.00", "200.00", DocumentStatus.PART_PAID),
    invoice("INV-3", "80.00", "0.00", DocumentStatus.WRITTEN_OFF),
]
ALLOCATIONS = [Allocation("ACME", "INV-1", gbp("100.00"), date(2026, 2, 10), payment="P-1")]
WRITE_OFFS = [
    WriteOff("ACME", "D1", "INV-1", gbp("400.00"), WriteOffReason.BAD_DEBT, "Jo", W),
    WriteOff("ACME", "D1", "INV-2", gbp("50.00"), WriteOffReason.GOODWILL, "Jo", W),
]


@pytest.mark.parametrize(
    ("as_of", "owed"),
    [
        (date(2026, 2, 9), "750.00"),
        (W - timedelta(days=1), "650.00"),
        (W, "200.00"),
        (date(2026, 6, 30), "200.00"),
    ],
)
def test_receivables_and_ageing_count_a_write_off_back_until_the_day_before_it(
    as_of: date, owed: str
) -> None:
    receivables = receivables_as_of(DOCUMENTS, ALLOCATIONS, as_of, "GBP", write_offs=WRITE_OFFS)
    report = ageing(DOCUMENTS, as_of, allocations=ALLOCATIONS, write_offs=WRITE_OFFS)

    assert receivables == gbp(owed)
    assert report.total("GBP") == receivables  # INV-3 (no write-off known) never counts
    assert current_receivables_as_of(DOCUMENTS, ALLOCATIONS, as_of, "GBP", write_offs=WRITE_OFFS) == gbp("0")


def test_without_the_write_offs_a_written_off_invoice_counts_only_its_later_allocations() -> None:
    day_before = W - timedelta(days=1)

    assert receivables_as_of(DOCUMENTS, ALLOCATIONS, day_before, "GBP") == gbp("200.00")
    assert ageing(DOCUMENTS, day_before, allocations=ALLOCATIONS).total("GBP") == gbp("200.00")
