"""The pairing rule: when a bank payment and a package payment are one payment."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from arrears.core.money import Money
from arrears.core.payment_pairing import (
    PAIRING_WINDOW_DAYS,
    LineClues,
    RecordedPayment,
    cited_numbers,
    pair_payments,
    payment_for_line,
    same_amount_nearby,
)

DAY = date(2026, 3, 9)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def paid(reference: str, debtor: str | None, amount: str, days: int = 0, *documents: str) -> RecordedPayment:
    return RecordedPayment(reference, debtor, DAY + timedelta(days=days), gbp(amount), frozenset(documents))


def test_same_debtor_amount_and_near_dates_pair() -> None:
    arriving = [paid("quickbooks:1", "D1", "100.00", 2, "INV-1")]
    waiting = [paid("BANK-a", "D1", "100.00", 0, "INV-1")]

    assert pair_payments(arriving, waiting) == {"quickbooks:1": "BANK-a"}


def test_another_debtor_amount_currency_or_a_date_out_of_the_window_do_not_pair() -> None:
    waiting = [paid("BANK-a", "D1", "100.00")]
    for arriving in (
        paid("quickbooks:1", "D2", "100.00"),
        paid("quickbooks:1", "D1", "100.01"),
        paid("quickbooks:1", None, "100.00"),
        paid("quickbooks:1", "D1", "100.00", PAIRING_WINDOW_DAYS + 1),
        RecordedPayment("quickbooks:1", "D1", DAY, Money.of("100.00", "EUR")),
    ):
        assert pair_payments([arriving], waiting) == {}, arriving
    assert pair_payments([paid("quickbooks:1", "D1", "100.00", -PAIRING_WINDOW_DAYS)], waiting) == {
        "quickbooks:1": "BANK-a"
    }


def test_a_bank_payment_settling_the_same_documents_is_preferred_and_each_pairs_once() -> None:
    arriving = [
        paid("quickbooks:1", "D1", "100.00", 0, "INV-1"),
        paid("quickbooks:2", "D1", "100.00", 0, "INV-2"),
    ]
    waiting = [paid("BANK-a", "D1", "100.00", 0, "INV-2"), paid("BANK-b", "D1", "100.00", 5, "INV-1")]

    # the nearer date would take BANK-a for quickbooks:1; the shared invoice decides first
    assert pair_payments(arriving, waiting) == {"quickbooks:1": "BANK-b", "quickbooks:2": "BANK-a"}
    assert pair_payments(arriving, waiting[:1]) == {"quickbooks:2": "BANK-a"}


def test_without_shared_documents_the_nearest_date_wins() -> None:
    arriving = [paid("quickbooks:1", "D1", "100.00", 3, "INV-9")]
    waiting = [paid("BANK-a", "D1", "100.00", 0), paid("BANK-b", "D1", "100.00", 4)]

    assert pair_payments(arriving, waiting) == {"quickbooks:1": "BANK-b"}


def test_a_line_citing_what_a_package_payment_settles_is_that_payment() -> None:
    waiting = [
        paid("quickbooks:1", "D1", "250.00", 1, "INV-1"),
        paid("quickbooks:2", "D2", "250.00", 0, "INV-7"),
    ]

    found = payment_for_line(gbp("250.00"), DAY, LineClues(cited=frozenset({"INV-1"})), waiting)

    assert found is not None and found.reference == "quickbooks:1"


def test_a_line_citing_other_documents_is_another_payment_whoever_the_payer() -> None:
    waiting = [paid("quickbooks:1", "D1", "250.00", 0, "INV-1")]
    clues = LineClues(cited=frozenset({"INV-2"}), debtors=frozenset({"D1"}))

    assert payment_for_line(gbp("250.00"), DAY, clues, waiting) is None


def test_a_line_citing_nothing_pairs_by_its_payer_and_not_without_a_clue() -> None:
    waiting = [paid("quickbooks:1", "D1", "250.00", 0, "INV-1"), paid("quickbooks:2", "D2", "250.00", 0)]

    by_payer = payment_for_line(gbp("250.00"), DAY, LineClues(debtors=frozenset({"D2"})), waiting)
    assert by_payer is not None and by_payer.reference == "quickbooks:2"
    assert payment_for_line(gbp("250.00"), DAY, LineClues(), waiting) is None
    assert [p.reference for p in same_amount_nearby(gbp("250.00"), DAY, waiting)] == [
        "quickbooks:1",
        "quickbooks:2",
    ]
    assert (
        payment_for_line(
            gbp("250.00"), DAY + timedelta(days=11), LineClues(debtors=frozenset({"D2"})), waiting
        )
        is None
    )


def test_citations_are_read_as_the_matcher_reads_them() -> None:
    numbers = ["INV-000123", "INV-123456", "1037", "INV-7"]

    assert cited_numbers("payment inv 000123 thanks", numbers) == {"INV-000123"}
    assert cited_numbers("REF 000123456", numbers) == {"INV-123456"}
    assert cited_numbers("Invoice 1037", numbers) == {"1037"}
    assert cited_numbers("INV7", numbers) == {"INV-7"}
    assert cited_numbers("7 apples", numbers) == frozenset()  # three digits or fewer cite nothing


@given(
    st.lists(st.tuples(st.sampled_from(["D1", "D2"]), st.integers(1, 3), st.integers(-12, 12)), max_size=6),
    st.lists(st.tuples(st.sampled_from(["D1", "D2"]), st.integers(1, 3), st.integers(-12, 12)), max_size=6),
)
def test_pairs_are_one_to_one_and_always_of_the_same_payment(
    arriving_rows: list[tuple[str, int, int]], waiting_rows: list[tuple[str, int, int]]
) -> None:
    arriving = [paid(f"quickbooks:{i}", d, f"{a}00.00", days) for i, (d, a, days) in enumerate(arriving_rows)]
    waiting = [paid(f"BANK-{i}", d, f"{a}00.00", days) for i, (d, a, days) in enumerate(waiting_rows)]

    pairs = pair_payments(arriving, waiting)

    assert len(set(pairs.values())) == len(pairs)
    by_reference = {p.reference: p for p in (*arriving, *waiting)}
    for source, bank in pairs.items():
        one, other = by_reference[source], by_reference[bank]
        assert (one.debtor, one.amount) == (other.debtor, other.amount)
        assert abs((one.received_on - other.received_on).days) <= PAIRING_WINDOW_DAYS
    # nothing pairable is left unpaired
    unpaired = [p for p in arriving if p.reference not in pairs]
    free = [w for w in waiting if w.reference not in pairs.values()]
    assert pair_payments(unpaired, free) == {}
