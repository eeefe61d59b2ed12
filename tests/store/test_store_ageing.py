"""Ageing pushed down into one SQL GROUP BY gives exactly the report the pure core computes."""

import random
from datetime import date, timedelta

import pytest
from store_builders import creditor, debtor

from arrears.core.ageing import DEFAULT_BUCKETS, AgeingBasis, Buckets, ageing
from arrears.core.ledger import Document, DocumentKind, DocumentStatus, status_for
from arrears.core.money import Money
from arrears.store import SqlUnitOfWork

AS_OF = date(2026, 3, 31)
CURRENCIES = {"GBP": 100_00, "EUR": 100_00, "JPY": 10_000}  # largest amount in minor units


def random_ledger(seed: int, creditor_code: str, count: int) -> list[Document]:
    """Documents of every kind and status, with due and issue dates on and around every bucket
    edge (including the edges themselves), in three currencies."""
    rng = random.Random(seed)
    around_edges = [
        AS_OF - timedelta(days=edge + shift) for edge in (0, 30, 60, 90, 120, 7) for shift in (-1, 0, 1)
    ]
    documents = []
    for number in range(count):
        currency = rng.choice(list(CURRENCIES))
        amount = rng.randint(1, CURRENCIES[currency])
        open_minor = rng.choice([amount, amount, rng.randint(0, amount), 0])
        status = rng.choice([None, None, None, DocumentStatus.WRITTEN_OFF, DocumentStatus.SETTLED_IN_SOURCE])
        if status is None and open_minor == 0 and rng.random() < 0.3:
            status = DocumentStatus.OPEN  # "open" with nothing open: not in the ageing
        due = (
            rng.choice(around_edges) if rng.random() < 0.5 else AS_OF + timedelta(days=rng.randint(-400, 60))
        )
        issued = due - timedelta(days=rng.choice([0, 14, 30, 45]))
        kind = DocumentKind.CREDIT_NOTE if rng.random() < 0.15 else DocumentKind.INVOICE
        total = Money.from_minor_units(amount, currency)
        still_open = Money.from_minor_units(open_minor, currency)
        documents.append(
            Document(
                creditor=creditor_code,
                debtor=f"D{rng.randint(1, 12):02d}",
                kind=kind,
                number=f"{kind.value[:2].upper()}-{number:05d}",
                issue_date=issued,
                due_date=due,
                amount=total,
                open_amount=still_open,
                status=status or status_for(total, still_open),
            )
        )
    return documents


@pytest.fixture(scope="function")
def loaded(uow: SqlUnitOfWork) -> tuple[SqlUnitOfWork, list[Document]]:
    documents = random_ledger(20260331, "ACME", 600)
    with uow:
        for code in ("ACME", "BETA"):  # BETA's ledger must not leak into ACME's ageing
            uow.creditors.add(creditor(code))
            uow.debtors.add(code, [debtor(code, f"D{i:02d}") for i in range(1, 13)])
        uow.documents.add("ACME", documents)
        uow.documents.add("BETA", random_ledger(2, "BETA", 200))
        uow.commit()
    return uow, documents


@pytest.mark.parametrize("basis", list(AgeingBasis))
@pytest.mark.parametrize(
    "buckets", [DEFAULT_BUCKETS, Buckets((0,)), Buckets((-7, 0, 7, 45)), Buckets((30, 60, 90))], ids=str
)
def test_pushed_down_ageing_equals_the_pure_ageing(
    loaded: tuple[SqlUnitOfWork, list[Document]], basis: AgeingBasis, buckets: Buckets
) -> None:
    uow, documents = loaded
    with uow:
        for as_of in (AS_OF, AS_OF - timedelta(days=45), AS_OF + timedelta(days=1)):
            expected = ageing(documents, as_of, buckets, basis)
            assert uow.ledger.ageing_report("ACME", as_of, buckets, basis) == expected


def test_ageing_totals_are_plain_integers_in_order(loaded: tuple[SqlUnitOfWork, list[Document]]) -> None:
    uow, _ = loaded
    with uow:
        rows = uow.ledger.ageing_totals("ACME", AS_OF)
    assert rows == sorted(rows, key=lambda row: (row[0], row[1], row[2]))
    assert all(type(value) is int for row in rows for value in row[2:])
    assert {row[1] for row in rows} == set(CURRENCIES)


def test_a_small_ageing_by_hand(uow: SqlUnitOfWork) -> None:
    def doc(number: str, due: date, amount: int, kind: DocumentKind = DocumentKind.INVOICE) -> Document:
        money = Money.from_minor_units(amount, "GBP")
        return Document("ACME", "D01", kind, number, due - timedelta(days=30), due, money, money)

    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "D01")])
        uow.documents.add(
            "ACME",
            [
                doc("I-1", AS_OF, 100_00),  # due today: current
                doc("I-2", AS_OF - timedelta(days=30), 40_00),  # 30 days: 1-30
                doc("I-3", AS_OF - timedelta(days=31), 25_00),  # 31 days: 31-60
                doc("C-1", AS_OF - timedelta(days=31), 5_00, DocumentKind.CREDIT_NOTE),  # negative, 31-60
                doc("I-4", AS_OF - timedelta(days=121), 1_00),  # 120+
            ],
        )
        assert uow.ledger.ageing_totals("ACME", AS_OF) == [
            ("D01", "GBP", 0, 100_00, 1),
            ("D01", "GBP", 1, 40_00, 1),
            ("D01", "GBP", 2, 20_00, 2),
            ("D01", "GBP", 5, 1_00, 1),
        ]


def test_snapshot_holds_open_documents_issued_by_the_date(
    loaded: tuple[SqlUnitOfWork, list[Document]],
) -> None:
    uow, documents = loaded
    as_of = AS_OF - timedelta(days=30)
    with uow:
        snapshot = uow.ledger.snapshot("ACME", as_of)
    expected = {d.number for d in documents if d.is_open and d.issue_date <= as_of}
    assert {d.number for d in snapshot.documents} == expected
    assert {(d.kind, d.number): d for d in snapshot.documents} == {
        (d.kind, d.number): d for d in documents if d.is_open and d.issue_date <= as_of
    }
    assert [d.account_code for d in snapshot.debtors] == [f"D{i:02d}" for i in range(1, 13)]
    assert snapshot.creditor.code == "ACME" and snapshot.as_of == as_of
    assert all(d.debtor == "D03" for d in snapshot.documents_of("D03"))


def test_ageing_at_past_dates_counts_back_like_the_core(uow: SqlUnitOfWork) -> None:
    """A simulated ledger with a year of payments and credit notes: ageing in SQL at past dates
    (documents not yet issued left out, later allocations added back) equals the pure ageing of
    the same documents and allocations, on both bases."""
    from arrears.services.simulate_ledger import simulate_ledger
    from arrears.sim import SimulationParams, simulate

    params = SimulationParams(creditors=1, debtors=25, invoices=300, seed=5, as_of=date(2026, 6, 30))
    simulate_ledger(lambda: uow, params)
    expected = simulate(params)
    code = expected.creditors[0].code
    for as_of in (date(2025, 10, 31), date(2026, 2, 14), date(2026, 6, 30)):
        for basis in AgeingBasis:
            with uow:
                stored = uow.ledger.ageing_report(code, as_of, DEFAULT_BUCKETS, basis)
            pure = ageing(expected.documents, as_of, DEFAULT_BUCKETS, basis, allocations=expected.allocations)
            assert stored == pure
            assert stored.currencies  # something was open on each date
