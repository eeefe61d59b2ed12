"""The rule for bank cash a ledger's source has not recorded yet (`arrears.core.bank_cash`)."""

from hypothesis import given
from hypothesis import strategies as st

from arrears.core.bank_cash import BankCash, bank_cash_kept, recorded_by_source, unrecorded_by_source


def cash(payment: str, minor: int) -> BankCash:
    return BankCash(payment, minor, ((0, minor),))


def test_the_source_open_amount_less_the_bank_cash_it_has_not_recorded() -> None:
    assert bank_cash_kept(100_000, [(1, 40_000)]) == (60_000, [])
    assert bank_cash_kept(100_000, []) == (100_000, [])


def test_bank_cash_beyond_what_the_source_leaves_open_gives_way_newest_first() -> None:
    assert bank_cash_kept(70_000, [(1, 50_000), (2, 50_000)]) == (0, [(2, 30_000)])
    assert bank_cash_kept(0, [(1, 50_000), (2, 20_000)]) == (0, [(2, 20_000), (1, 50_000)])


def test_a_fall_of_at_least_a_payments_cash_records_it_oldest_first_and_whole() -> None:
    first, second = cash("BANK-1", 40_000), cash("BANK-2", 10_000)
    assert recorded_by_source(100_000, 60_000, [first, second]) == [first]
    assert recorded_by_source(100_000, 50_000, [first, second]) == [first, second]
    assert recorded_by_source(100_000, 70_000, [first, second]) == [second]  # 30,000: only the 10,000 fits
    assert recorded_by_source(100_000, 95_000, [first, second]) == []  # another, smaller payment


def test_no_fall_records_nothing_and_the_previous_figure_never_exceeds_the_amount() -> None:
    waiting = [cash("BANK-1", 100_000)]
    assert recorded_by_source(100_000, 100_000, waiting) == []
    assert recorded_by_source(100_000, 120_000, waiting) == []
    # a stored open amount that did not allow for the bank's cash (200,000 > the amount)
    assert recorded_by_source(200_000, 100_000, waiting, amount=100_000) == []
    assert recorded_by_source(200_000, 100_000, waiting) == waiting


def test_recorded_cash_an_older_figure_leaves_no_room_for_counts_apart_again_newest_first() -> None:
    assert unrecorded_by_source(100_000, 100_000, [("BANK-1", 60_000), ("BANK-2", 40_000)]) == [
        ("BANK-2", 40_000),
        ("BANK-1", 60_000),
    ]
    assert unrecorded_by_source(100_000, 50_000, [("BANK-1", 60_000), ("BANK-2", 40_000)]) == [
        ("BANK-2", 40_000),
        ("BANK-1", 10_000),
    ]
    assert unrecorded_by_source(120_000, 20_000, [("BANK-1", 100_000)]) == []  # the invoice grew


amounts = st.integers(min_value=1, max_value=10**9)


@given(source_open=st.integers(0, 10**9), bank=st.lists(amounts, max_size=6))
def test_kept_open_plus_bank_cash_left_is_the_source_figure_and_never_below_zero(
    source_open: int, bank: list[int]
) -> None:
    allocations = list(enumerate(bank))
    kept, releases = bank_cash_kept(source_open, allocations)
    released = sum(minor for _, minor in releases)
    assert kept == max(0, source_open - sum(bank))
    assert released == max(0, sum(bank) - source_open)
    assert kept + (sum(bank) - released) == source_open  # the file's figure, the bank's cash in it once
    assert all(0 < minor <= bank[i] for i, minor in releases)
    assert [i for i, _ in releases] == sorted((i for i, _ in releases), reverse=True)


@given(
    previous=st.integers(0, 10**9), source_open=st.integers(0, 10**9), waiting=st.lists(amounts, max_size=6)
)
def test_what_is_recorded_is_whole_payments_the_fall_covers(
    previous: int, source_open: int, waiting: list[int]
) -> None:
    bank = [cash(f"BANK-{i}", minor) for i, minor in enumerate(waiting)]
    recorded = recorded_by_source(previous, source_open, bank)
    assert sum(c.minor for c in recorded) <= max(0, previous - source_open)
    assert [bank.index(c) for c in recorded] == sorted(bank.index(c) for c in recorded)


@given(amount=amounts, source_open=st.integers(0, 10**9), recorded=st.lists(amounts, max_size=6))
def test_after_counting_apart_open_and_recorded_cash_fit_in_the_amount(
    amount: int, source_open: int, recorded: list[int]
) -> None:
    source_open = min(source_open, amount)
    given_back = unrecorded_by_source(amount, source_open, [(f"BANK-{i}", m) for i, m in enumerate(recorded)])
    left = sum(recorded) - sum(minor for _, minor in given_back)
    assert source_open + left <= amount
    assert left == min(sum(recorded), amount - source_open)  # no more given back than needed
