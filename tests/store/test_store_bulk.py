"""The bulk path loads many documents without building values, batch by batch."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from store_builders import creditor, debtor

from arrears.core.errors import NotFoundError
from arrears.store import DocumentRow, DuplicateError, SqlUnitOfWork
from arrears.store.repositories._common import INSERT_CHUNK

START = date(2025, 1, 1)
DEBTORS = 500


def invoice_rows(count: int, prefix: str = "INV") -> Iterator[DocumentRow]:
    for number in range(count):
        issued = START + timedelta(days=number % 365)
        amount = 1_00 + number % 9_999
        yield DocumentRow(
            f"D{number % DEBTORS:04d}", "invoice", f"{prefix}-{number:07d}", issued, issued + timedelta(days=30),
            "GBP", amount, amount if number % 3 else amount // 2,
        )  # fmt: skip


@pytest.fixture
def with_debtors(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", (debtor("ACME", f"D{i:04d}") for i in range(DEBTORS)))
        uow.commit()
    return uow


def test_many_rows_over_several_batches(with_debtors: SqlUnitOfWork) -> None:
    count = 2 * INSERT_CHUNK + 123
    with with_debtors as uow:
        assert uow.documents.add_rows("ACME", invoice_rows(count)) == count
        uow.commit()
    with with_debtors as uow:
        totals = uow.ledger.ageing_totals("ACME", date(2026, 1, 1))
        assert sum(row[4] for row in totals) == count
        expected_open = sum(row.open_minor for row in invoice_rows(count))
        assert sum(row[3] for row in totals) == expected_open
        assert len(uow.ledger.open_balances("ACME")) == DEBTORS


def test_a_duplicate_in_a_later_batch_names_the_number(with_debtors: SqlUnitOfWork) -> None:
    def rows() -> Iterator[DocumentRow]:
        yield from invoice_rows(INSERT_CHUNK + 10)
        yield next(invoice_rows(1))  # INV-0000000 again, in the second batch

    with with_debtors as uow, pytest.raises(DuplicateError, match="already has invoice INV-0000000"):
        uow.documents.add_rows("ACME", rows())


def test_an_unknown_debtor_is_named(with_debtors: SqlUnitOfWork) -> None:
    row = DocumentRow("NOBODY", "invoice", "X-1", START, START, "GBP", 100, 100)
    with with_debtors as uow, pytest.raises(NotFoundError, match="no debtor"):
        uow.documents.add_rows("ACME", [*invoice_rows(3), row])
