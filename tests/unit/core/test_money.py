"""Money: exact amounts in one currency, rounded half-up to that currency's minor units."""

from decimal import Decimal

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.errors import (
    ArrearsError,
    CurrencyMismatchError,
    InvalidAmountError,
    UnknownCurrencyError,
)
from arrears.core.money import Money, check_currency, minor_units

CURRENCIES = sorted(list_currencies())
EVERYDAY_CURRENCIES = ["GBP", "EUR", "USD", "JPY", "BHD", "KWD", "CHF", "CLF"]

currencies = st.sampled_from(EVERYDAY_CURRENCIES)
amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=6, allow_nan=False, allow_infinity=False
)


@st.composite
def same_currency_moneys(draw: st.DrawFn, count: int) -> tuple[Money, ...]:
    currency = draw(currencies)
    return tuple(Money.of(draw(amounts), currency) for _ in range(count))


@st.composite
def rounded_moneys(draw: st.DrawFn) -> Money:
    """Money in whole minor units of any known currency."""
    currency = draw(st.sampled_from(CURRENCIES))
    return Money.from_minor_units(draw(st.integers(-(10**15), 10**15)), currency)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


# --- construction -----------------------------------------------------------------------


def test_money_takes_decimal_int_or_decimal_string() -> None:
    assert Money.of(Decimal("12.34"), "GBP") == Money.of("12.34", "GBP")
    assert Money.of(12, "GBP").amount == Decimal(12)
    assert Money.of(" 1234.50 ", "EUR").amount == Decimal("1234.50")


@pytest.mark.parametrize("value", [0.1, 1.0, float("nan")])
def test_float_is_refused_because_it_cannot_hold_pennies_exactly(value: float) -> None:
    with pytest.raises(InvalidAmountError, match="float"):
        Money.of(value, "GBP")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmountError, match="float"):
        Money(value, "GBP")  # type: ignore[arg-type]


def test_bool_is_not_an_amount() -> None:
    with pytest.raises(InvalidAmountError):
        Money.of(True, "GBP")


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), "inf", "abc", ""]
)
def test_non_finite_or_unparseable_amounts_are_refused(value: Decimal | str) -> None:
    with pytest.raises(InvalidAmountError):
        Money.of(value, "GBP")


def test_unknown_currency_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownCurrencyError, match=r"'XYZ'.*ISO 4217"):
        Money.of("1", "XYZ")


@pytest.mark.parametrize("code", ["gbp", "GB", "", "POUND"])
def test_currency_codes_are_upper_case_iso_4217(code: str) -> None:
    with pytest.raises(UnknownCurrencyError):
        check_currency(code)


def test_domain_errors_are_arrears_errors_and_value_errors() -> None:
    for error in (UnknownCurrencyError, CurrencyMismatchError, InvalidAmountError):
        assert issubclass(error, ArrearsError)
        assert issubclass(error, ValueError)


def test_money_is_immutable() -> None:
    money = gbp("1.00")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(("currency", "places"), [("GBP", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3), ("KWD", 3)])
def test_each_currency_has_its_own_minor_units(currency: str, places: int) -> None:
    assert minor_units(currency) == places


def test_equal_amounts_written_differently_are_equal_and_hash_alike() -> None:
    assert gbp("1") == gbp("1.00")
    assert hash(gbp("1")) == hash(gbp("1.00"))
    assert gbp("1") != Money.of("1", "EUR")


# --- arithmetic ---------------------------------------------------------------------------


def test_addition_and_subtraction_are_exact() -> None:
    assert gbp("0.10") + gbp("0.20") == gbp("0.30")
    assert gbp("1000000000000000000000.01") - gbp("0.01") == gbp("1000000000000000000000")


def test_a_small_amount_is_not_lost_beside_a_large_one() -> None:
    """The default decimal context keeps 28 digits and would drop the penny here."""
    large = gbp("1" + "0" * 30)
    assert (large + gbp("0.01")) - large == gbp("0.01")


def test_an_amount_too_long_to_hold_exactly_is_an_error_not_a_rounding() -> None:
    with pytest.raises(InvalidAmountError, match="significant digits"):
        gbp("1e200") + gbp("0.01")


def test_multiplying_by_a_decimal_keeps_fractions_of_a_minor_unit_until_rounded() -> None:
    interest = gbp("100.00") * Decimal("0.00333")
    assert interest == gbp("0.333")
    assert interest.rounded() == gbp("0.33")
    assert 3 * gbp("1.10") == gbp("3.30")


def test_multiplying_money_by_money_or_a_float_is_refused() -> None:
    with pytest.raises(TypeError):
        gbp("1") * gbp("2")  # type: ignore[operator]
    with pytest.raises(InvalidAmountError):
        gbp("1") * 1.5  # type: ignore[operator]


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: a.min(b),
    ],
)
def test_mixing_currencies_raises_a_clear_error(combine: object) -> None:
    with pytest.raises(CurrencyMismatchError, match=r"GBP and EUR.*different currencies"):
        combine(gbp("1"), Money.of("1", "EUR"))  # type: ignore[operator]


def test_adding_a_plain_number_to_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        gbp("1") + 1  # type: ignore[operator]


def test_total_of_nothing_is_zero_in_the_currency_asked() -> None:
    assert Money.total([], "JPY") == Money.zero("JPY")
    assert Money.total([gbp("1.10"), gbp("2.20")], "GBP") == gbp("3.30")


def test_total_refuses_an_amount_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.total([gbp("1"), Money.of("1", "EUR")], "GBP")


def test_sign_predicates_and_truthiness() -> None:
    assert gbp("0.00").is_zero and not gbp("0.00")
    assert gbp("0.01").is_positive and gbp("0.01")
    assert gbp("-0.01").is_negative
    assert abs(gbp("-2.50")) == gbp("2.50")


@given(same_currency_moneys(2))
def test_addition_is_commutative(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a + b == b + a


@given(same_currency_moneys(3))
def test_addition_is_associative(triple: tuple[Money, Money, Money]) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)


@given(same_currency_moneys(1))
def test_zero_is_the_identity_of_addition(single: tuple[Money]) -> None:
    (a,) = single
    assert a + Money.zero(a.currency) == a
    assert Money.zero(a.currency) + a == a


@given(same_currency_moneys(1))
def test_negation_is_the_inverse_of_addition(single: tuple[Money]) -> None:
    (a,) = single
    assert a + (-a) == Money.zero(a.currency)
    negated = -a
    assert -negated == a


@given(same_currency_moneys(2))
def test_subtraction_undoes_addition(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert (a + b) - b == a


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "GBP", "0.01"),
        ("0.004999", "GBP", "0.00"),
        ("2.675", "GBP", "2.68"),
        ("0.5", "JPY", "1"),
        ("1.4", "JPY", "1"),
        ("2.5", "JPY", "3"),
        ("0.0005", "BHD", "0.001"),
        ("0.0004", "BHD", "0.000"),
        ("-0.005", "GBP", "-0.01"),
        ("-0.5", "JPY", "-1"),
        ("-0.0005", "BHD", "-0.001"),
        ("-0.004", "GBP", "0.00"),
    ],
)
def test_rounding_is_half_up_to_the_currencys_minor_units(amount: str, currency: str, expected: str) -> None:
    rounded = Money.of(amount, currency).rounded()
    assert rounded == Money.of(expected, currency)
    assert rounded.amount.as_tuple().exponent == -minor_units(currency)


def test_a_negative_amount_that_rounds_to_nothing_is_plain_zero() -> None:
    rounded = gbp("-0.004").rounded()
    assert not rounded.amount.is_signed()
    assert rounded.format("en_GB") == "£0.00"
    assert str(rounded) == "0.00 GBP"


@given(same_currency_moneys(1))
def test_rounding_is_symmetric_about_zero(single: tuple[Money]) -> None:
    (a,) = single
    assert (-a).rounded() == -(a.rounded())


@given(same_currency_moneys(1))
def test_rounding_moves_an_amount_by_at_most_half_a_minor_unit_and_is_idempotent(
    single: tuple[Money],
) -> None:
    (a,) = single
    half = Decimal(1).scaleb(-minor_units(a.currency)) / 2
    assert abs(a.rounded().amount - a.amount) <= half
    assert a.rounded().rounded() == a.rounded()
    assert a.rounded().is_whole_minor_units()


# --- minor units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "minor"),
    [
        (gbp("12.34"), 1234),
        (Money.of("1234", "JPY"), 1234),
        (Money.of("1.234", "BHD"), 1234),
        (gbp("-0.01"), -1),
    ],
)
def test_minor_units_are_whole_pennies_yen_or_fils(money: Money, minor: int) -> None:
    assert money.to_minor_units() == minor
    assert Money.from_minor_units(minor, money.currency) == money


def test_an_amount_finer_than_the_minor_unit_must_be_rounded_before_storing() -> None:
    with pytest.raises(InvalidAmountError, match="round it before storing"):
        gbp("0.001").to_minor_units()
    assert gbp("0.001").rounded().to_minor_units() == 0


def test_minor_units_of_a_very_large_amount_are_exact() -> None:
    amount = gbp("1234567890123456789012345678.91")
    assert amount.to_minor_units() == 123456789012345678901234567891
    assert Money.from_minor_units(123456789012345678901234567891, "GBP") == amount


@pytest.mark.parametrize("minor", [1.0, "12", True])
def test_minor_units_must_be_an_int(minor: object) -> None:
    with pytest.raises(InvalidAmountError):
        Money.from_minor_units(minor, "GBP")  # type: ignore[arg-type]


@given(st.sampled_from(CURRENCIES), st.integers(-(10**18), 10**18))
def test_minor_units_round_trip_in_every_currency(currency: str, minor: int) -> None:
    money = Money.from_minor_units(minor, currency)
    assert money.to_minor_units() == minor
    assert money.rounded() == money


@given(rounded_moneys())
def test_a_rounded_amount_survives_the_store_round_trip(money: Money) -> None:
    assert Money.from_minor_units(money.to_minor_units(), money.currency) == money


# --- split and allocate -------------------------------------------------------------------


def test_split_puts_the_rounding_remainder_on_the_last_instalment() -> None:
    assert gbp("100.00").split(3) == (gbp("33.33"), gbp("33.33"), gbp("33.34"))
    assert gbp("100.00").split(7) == (*[gbp("14.28")] * 6, gbp("14.32"))
    assert Money.of("1000", "JPY").split(3) == tuple(Money.of(y, "JPY") for y in ("333", "333", "334"))
    assert gbp("-100.00").split(3) == (gbp("-33.33"), gbp("-33.33"), gbp("-33.34"))


def test_split_into_one_part_is_the_rounded_amount() -> None:
    assert gbp("10.005").split(1) == (gbp("10.01"),)


@pytest.mark.parametrize("parts", [0, -1])
def test_split_needs_at_least_one_part(parts: int) -> None:
    with pytest.raises(InvalidAmountError, match="parts"):
        gbp("1").split(parts)


@given(same_currency_moneys(1), st.integers(1, 60))
def test_split_parts_are_equal_but_the_last_and_add_up_to_the_rounded_amount(
    single: tuple[Money], parts: int
) -> None:
    """Every part but the last is equal; the last carries the remainder, which is fewer than
    `parts` minor units on the same side of zero as the amount."""
    (a,) = single
    shares = a.split(parts)
    assert len(shares) == parts
    assert Money.total(shares, a.currency) == a.rounded()
    assert all(share.is_whole_minor_units() for share in shares)
    assert len(set(shares[:-1])) <= 1
    remainder = abs(shares[-1].to_minor_units()) - abs(shares[0].to_minor_units())
    assert 0 <= remainder < parts


def test_allocate_in_proportion_gives_left_over_pennies_to_the_largest_remainders() -> None:
    assert gbp("100.00").allocate([1, 1, 1]) == (gbp("33.34"), gbp("33.33"), gbp("33.33"))
    assert gbp("0.05").allocate([3, 7]) == (gbp("0.02"), gbp("0.03"))
    assert gbp("10.00").allocate([Decimal("0.5"), Decimal("0.25"), Decimal("0.25")]) == (
        gbp("5.00"),
        gbp("2.50"),
        gbp("2.50"),
    )
    assert gbp("-0.05").allocate([1, 1]) == (gbp("-0.03"), gbp("-0.02"))


def test_a_zero_weight_gets_nothing() -> None:
    assert gbp("1.00").allocate([0, 1]) == (gbp("0.00"), gbp("1.00"))


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_allocate_refuses_empty_zero_or_negative_weights(weights: list[int]) -> None:
    with pytest.raises(InvalidAmountError):
        gbp("1").allocate(weights)


def test_allocate_refuses_float_weights() -> None:
    with pytest.raises(InvalidAmountError):
        gbp("1").allocate([0.5, 0.5])  # type: ignore[list-item]


weights = st.lists(st.integers(0, 10_000), min_size=1, max_size=20).filter(any)


@given(same_currency_moneys(1), weights)
def test_allocated_parts_add_up_exactly_and_are_proportional_within_one_minor_unit(
    single: tuple[Money], shares: list[int]
) -> None:
    (a,) = single
    parts = a.allocate(shares)
    whole = a.rounded().to_minor_units()
    assert len(parts) == len(shares)
    assert Money.total(parts, a.currency) == a.rounded()
    total_weight = sum(shares)
    for part, weight in zip(parts, shares, strict=True):
        exact = Decimal(whole) * weight / total_weight
        assert abs(Decimal(part.to_minor_units()) - exact) < 1


@given(same_currency_moneys(1), st.integers(1, 40))
def test_allocating_over_equal_weights_gives_parts_within_one_minor_unit(
    single: tuple[Money], count: int
) -> None:
    (a,) = single
    minors = [part.to_minor_units() for part in a.allocate([1] * count)]
    assert max(minors) - min(minors) <= 1
    assert sum(minors) == a.rounded().to_minor_units()


# --- display ------------------------------------------------------------------------------


def test_format_en_gb() -> None:
    assert gbp("1234.5").format("en_GB") == "£1,234.50"
    assert gbp("-1234.5").format("en_GB") == "-£1,234.50"


def test_format_de_de_puts_the_euro_sign_after_a_non_breaking_space() -> None:
    assert Money.of("1234.50", "EUR").format("de_DE") == "1.234,50\N{NO-BREAK SPACE}€"


def test_format_ja_jp_shows_yen_without_decimals() -> None:
    formatted = Money.of("1234", "JPY").format("ja_JP")
    assert formatted == "￥1,234"
    assert "." not in formatted


def test_format_rounds_half_up_first() -> None:
    assert gbp("0.005").format("en_GB") == "£0.01"
    assert Money.of("1.0005", "BHD").format("en_GB") == "BHD1.001"


def test_str_is_the_rounded_amount_and_code() -> None:
    assert str(gbp("1234.5")) == "1,234.50 GBP"
    assert str(Money.of("1234.4", "JPY")) == "1,234 JPY"
