"""The planner's view of a ledger snapshot: open documents as plain rows, amounts in minor units."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind, DocumentStatus
from arrears.core.money import Money
from arrears.core.snapshot import (
    LedgerSnapshot,
    OpenItems,
    SnapshotError,
    as_amounts,
    minimum_in_minor_units,
    minor_balances,
    net_balances,
)

CREDITOR = Creditor("acme", "Acme Supplies Ltd")
DUE = date(2026, 3, 10)


def document(
    number: str,
    debtor: str = "D1",
    amount: str = "100.00",
    open_amount: str | None = None,
    *,
    kind: DocumentKind = DocumentKind.INVOICE,
    currency: str = "GBP",
    status: DocumentStatus = DocumentStatus.OPEN,
    creditor: str = CREDITOR.code,
) -> Document:
    total = Money.of(amount, currency)
    still_open = total if open_amount is None else Money.of(open_amount, currency)
    return Document(creditor, debtor, kind, number, DUE - timedelta(days=30), DUE, total, still_open, status)


def test_open_documents_are_grouped_by_debtor_in_snapshot_order_as_plain_rows() -> None:
    snapshot = LedgerSnapshot(
        CREDITOR,
        (Debtor(CREDITOR.code, "D1", "One"), Debtor(CREDITOR.code, "D2", "Two")),
        (
            document("INV-2", "D1", "12.34"),
            document("INV-1", "D2", "7000", currency="JPY"),
            document("CN-1", "D1", "5.00", kind=DocumentKind.CREDIT_NOTE),
            document("INV-3", "D1", "50.00", "20.00", status=DocumentStatus.PART_PAID),
            document("INV-4", "D1", "50.00", "0", status=DocumentStatus.PAID),  # not open: left out
            document("INV-5", "D1", "50.00", status=DocumentStatus.WRITTEN_OFF),  # nor this
        ),
    )

    assert snapshot.open_by_debtor() == OpenItems(
        {
            "D1": [("INV-2", DUE, "GBP", 1234), ("INV-3", DUE, "GBP", 2000)],
            "D2": [("INV-1", DUE, "JPY", 7000)],
        },
        {"D1": [("CN-1", DUE, "GBP", 500)]},
    )


def test_rows_read_by_the_store_are_given_back_as_read() -> None:
    rows = OpenItems({"D1": [("INV-1", DUE, "GBP", 100)]}, {})
    snapshot = LedgerSnapshot(CREDITOR, (), open_items=rows)

    assert snapshot.open_by_debtor() is rows and snapshot.documents == ()


def test_a_document_of_another_creditor_is_refused_when_grouped() -> None:
    snapshot = LedgerSnapshot(CREDITOR, (), (document("INV-1", creditor="other"),))

    with pytest.raises(SnapshotError, match="belongs to creditor 'other', not 'acme'"):
        snapshot.open_by_debtor()


amounts = st.lists(
    st.tuples(st.sampled_from(["GBP", "EUR", "JPY", "BHD"]), st.integers(1, 10**15)), max_size=8
)


@given(invoices=amounts, credit_notes=amounts)
def test_balances_in_minor_units_are_the_net_balances_exactly(
    invoices: list[tuple[str, int]], credit_notes: list[tuple[str, int]]
) -> None:
    def documents(found: list[tuple[str, int]], kind: DocumentKind) -> list[Document]:
        return [
            Document(
                CREDITOR.code,
                "D1",
                kind,
                f"{kind.value}-{n}",
                DUE,
                DUE,
                Money.from_minor_units(minor, currency),
                Money.from_minor_units(minor, currency),
            )
            for n, (currency, minor) in enumerate(found)
        ]

    def rows(found: list[tuple[str, int]]) -> list[tuple[str, date, str, int]]:
        return [(f"X-{n}", DUE, currency, minor) for n, (currency, minor) in enumerate(found)]

    expected = net_balances(
        documents(invoices, DocumentKind.INVOICE), documents(credit_notes, DocumentKind.CREDIT_NOTE)
    )

    assert as_amounts(minor_balances(rows(invoices), rows(credit_notes))) == expected


def test_a_minimum_in_minor_units_keeps_a_fraction_of_a_minor_unit() -> None:
    assert minimum_in_minor_units(Money.of("250.00", "GBP")) == 25000
    assert minimum_in_minor_units(Money.of("0.005", "GBP")) == Decimal("0.5")
    assert minimum_in_minor_units(Money.of("1000", "JPY")) == 1000
