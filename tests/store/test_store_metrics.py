"""Receivables and credit sales computed in SQL, on a small ledger worked out by hand."""

from datetime import date

import pytest
from store_builders import credit_note, creditor, debtor, document, money, payment

from arrears.core.errors import UnknownCurrencyError
from arrears.core.ledger import Allocation, DocumentStatus
from arrears.store import PeriodSales, Receivables, SqlUnitOfWork


@pytest.fixture
def ledger(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    """ACME (GBP), debtors D1 and D2:

    | document | issued     | due        | amount  | what happens                                     |
    |----------|------------|------------|---------|--------------------------------------------------|
    | INV-1    | 2026-01-10 | 2026-02-09 | 1000.00 | 600 paid 02-05 (P-1), 400 paid 03-25 (P-2)       |
    | INV-4    | 2026-01-05 | 2026-02-04 |  200.00 | written off                                      |
    | INV-2    | 2026-02-15 | 2026-03-17 |  500.00 | CN-1 applied 100 on 03-01, 50 paid 03-25 (P-2)   |
    | CN-1     | 2026-02-20 | 2026-02-20 |  100.00 | applied to INV-2 on 03-01                        |
    | INV-3    | 2026-03-20 | 2026-04-19 |  300.00 | open (D2)                                        |
    | INV-EUR  | 2026-02-01 | 2026-03-03 |  999.00 EUR, another currency                       |

    BETA has an invoice too, which must count nowhere in ACME's figures.
    """
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.creditors.add(creditor("BETA"))
        uow.debtors.add("ACME", [debtor("ACME", "D1"), debtor("ACME", "D2")])
        uow.debtors.add("BETA", [debtor("BETA", "D1")])
        uow.documents.add(
            "ACME",
            [
                document("ACME", "D1", "INV-1", date(2026, 1, 10), date(2026, 2, 9), "1000.00"),
                document(
                    "ACME",
                    "D1",
                    "INV-4",
                    date(2026, 1, 5),
                    date(2026, 2, 4),
                    "200.00",
                    status=DocumentStatus.WRITTEN_OFF,
                ),
                document("ACME", "D1", "INV-2", date(2026, 2, 15), date(2026, 3, 17), "500.00"),
                credit_note("ACME", "D1", "CN-1", date(2026, 2, 20), "100.00"),
                document("ACME", "D2", "INV-3", date(2026, 3, 20), date(2026, 4, 19), "300.00"),
                document(
                    "ACME", "D1", "INV-EUR", date(2026, 2, 1), date(2026, 3, 3), "999.00", currency="EUR"
                ),
            ],
        )
        uow.documents.add(
            "BETA", [document("BETA", "D1", "INV-1", date(2026, 1, 10), date(2026, 2, 9), "7777.00")]
        )
        uow.payments.add(
            "ACME",
            [
                payment("ACME", "P-1", date(2026, 2, 5), "600.00", "D1"),
                payment("ACME", "P-2", date(2026, 3, 25), "450.00", "D1"),
            ],
        )
        uow.payments.allocate(
            "ACME",
            [
                Allocation("ACME", "INV-1", money("600.00"), date(2026, 2, 5), payment="P-1"),
                Allocation("ACME", "INV-2", money("100.00"), date(2026, 3, 1), credit_note="CN-1"),
                Allocation("ACME", "INV-1", money("400.00"), date(2026, 3, 25), payment="P-2"),
                Allocation("ACME", "INV-2", money("50.00"), date(2026, 3, 25), payment="P-2"),
            ],
        )
        uow.commit()
    return uow


@pytest.mark.parametrize(
    ("at", "outstanding", "not_yet_due"),
    [
        (date(2026, 1, 4), "0.00", "0.00"),  # before anything was issued
        (date(2026, 1, 31), "1000.00", "1000.00"),  # INV-1, not due until 02-09 (INV-4 written off)
        (date(2026, 2, 28), "800.00", "500.00"),  # INV-1 400 past due, INV-2 500 not due, CN-1 -100 past due
        (date(2026, 3, 1), "800.00", "400.00"),  # applying CN-1 moves nothing in total
        (date(2026, 3, 31), "650.00", "300.00"),  # INV-2 350 past due, INV-3 300 not due
    ],
)
def test_receivables_outstanding_at_a_past_date(
    ledger: SqlUnitOfWork, at: date, outstanding: str, not_yet_due: str
) -> None:
    with ledger as uow:
        receivables = uow.metrics.receivables("ACME", "GBP", at)
    assert receivables == Receivables(at, money(outstanding), money(not_yet_due))
    assert receivables.past_due == money(outstanding) - money(not_yet_due)


def test_receivables_in_another_currency_are_kept_apart(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        assert uow.metrics.currencies("ACME") == ("EUR", "GBP")
        assert uow.metrics.receivables("ACME", "EUR", date(2026, 3, 31)).outstanding == money("999.00", "EUR")
        assert uow.metrics.receivables("ACME", "USD", date(2026, 3, 31)).outstanding == money("0.00", "USD")
        with pytest.raises(UnknownCurrencyError):
            uow.metrics.receivables("ACME", "XYZ", date(2026, 3, 31))


@pytest.mark.parametrize(
    ("start", "end", "sales"),
    [
        (date(2026, 1, 1), date(2026, 3, 31), "1900.00"),  # 1000 + 200 + 500 + 300 - 100
        (date(2026, 2, 1), date(2026, 2, 28), "400.00"),  # 500 - 100
        (date(2026, 1, 10), date(2026, 1, 10), "1000.00"),  # both ends included
        (date(2026, 4, 1), date(2026, 4, 30), "0.00"),
    ],
)
def test_credit_sales_in_a_date_range(ledger: SqlUnitOfWork, start: date, end: date, sales: str) -> None:
    with ledger as uow:
        assert uow.metrics.credit_sales("ACME", "GBP", start, end) == money(sales)


def test_monthly_credit_sales_up_to_a_month_end(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        months = uow.metrics.monthly_credit_sales("ACME", "GBP", date(2026, 3, 31), 4)
    assert months == (
        PeriodSales(date(2025, 12, 1), date(2025, 12, 31), money("0.00")),
        PeriodSales(date(2026, 1, 1), date(2026, 1, 31), money("1200.00")),
        PeriodSales(date(2026, 2, 1), date(2026, 2, 28), money("400.00")),
        PeriodSales(date(2026, 3, 1), date(2026, 3, 31), money("300.00")),
    )
    assert [period.days for period in months] == [31, 31, 28, 31]


def test_monthly_credit_sales_up_to_a_mid_month_date(ledger: SqlUnitOfWork) -> None:
    with ledger as uow:
        months = uow.metrics.monthly_credit_sales("ACME", "GBP", date(2026, 3, 15), 2)
        assert uow.metrics.monthly_credit_sales("ACME", "GBP", date(2026, 3, 20), 1) == (
            PeriodSales(date(2026, 3, 1), date(2026, 3, 20), money("300.00")),
        )
    assert months == (
        PeriodSales(date(2026, 2, 1), date(2026, 2, 28), money("400.00")),
        PeriodSales(date(2026, 3, 1), date(2026, 3, 15), money("0.00")),  # INV-3 comes on the 20th
    )


def test_monthly_credit_sales_need_a_month(ledger: SqlUnitOfWork) -> None:
    with ledger as uow, pytest.raises(ValueError, match="at least one month"):
        uow.metrics.monthly_credit_sales("ACME", "GBP", date(2026, 3, 31), 0)


@pytest.mark.parametrize("at", [date(2026, 1, 31), date(2026, 2, 9), date(2026, 3, 1), date(2026, 3, 31)])
def test_receivables_in_sql_equal_the_core_definition(ledger: SqlUnitOfWork, at: date) -> None:
    """The SQL and `arrears.core.metrics` must agree on every date, written-off documents,
    credit-note applications and due-today documents included."""
    from arrears.core import metrics

    with ledger:
        documents = [
            *ledger.documents.list_for_debtor("ACME", "D1"),
            *ledger.documents.list_for_debtor("ACME", "D2"),
        ]
        allocations = ledger.payments.allocations("ACME")
        stored = ledger.metrics.receivables("ACME", "GBP", at)
    assert stored.outstanding == metrics.receivables_as_of(documents, allocations, at, "GBP")
    assert stored.not_yet_due == metrics.current_receivables_as_of(documents, allocations, at, "GBP")


def test_simulated_ledger_metrics_in_sql_equal_the_core(uow: SqlUnitOfWork) -> None:
    """A simulated ledger loaded through the simulation service: receivables, the part not yet
    due and credit sales agree with the pure core at month ends across the history."""
    from arrears.core import metrics
    from arrears.services.simulate_ledger import simulate_ledger
    from arrears.sim import SimulationParams, simulate

    params = SimulationParams(creditors=1, debtors=30, invoices=400, seed=11, as_of=date(2026, 6, 30))
    simulate_ledger(lambda: uow, params)
    expected = simulate(params)
    code = expected.creditors[0].code
    for at in (
        date(2025, 9, 30),
        date(2025, 12, 31),
        date(2026, 3, 31),
        date(2026, 6, 15),
        date(2026, 6, 30),
    ):
        with uow:
            stored = uow.metrics.receivables(code, "GBP", at)
            sales = uow.metrics.credit_sales(code, "GBP", date(at.year, at.month, 1), at)
        assert stored.outstanding == metrics.receivables_as_of(
            expected.documents, expected.allocations, at, "GBP"
        )
        assert stored.not_yet_due == metrics.current_receivables_as_of(
            expected.documents, expected.allocations, at, "GBP"
        )
        assert sales == metrics.credit_sales(expected.documents, date(at.year, at.month, 1), at, "GBP")
