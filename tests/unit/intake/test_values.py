"""Reading dates, amounts and payment terms as ledger exports write them."""

from datetime import date

import pytest

from arrears.intake.values import AmountReader, DateReader, code_for_name, terms_days


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1234.50", 123450),
        ("1,234.50", 123450),
        ("£1,234.50", 123450),
        ("-1,234.50", -123450),
        ("1,234.50-", -123450),  # trailing minus, as Sage and mainframes write it
        ("(1,234.50)", -123450),  # accountants' brackets
        ("(£1,234.50)", -123450),
        ("-£12.00", -1200),
        ("£-12.00", -1200),
        ("GBP 12.5", 1250),
        ("'123.40", 12340),  # Excel's text guard
        ("1 234.50", 123450),
        ("12", 1200),
        (".5", 50),
        ("12.", 1200),
        ("0.00", 0),
    ],
)
def test_amounts_in_every_common_notation_read_to_exact_minor_units(text: str, minor: int) -> None:
    assert AmountReader()(text, 2) == minor


def test_a_decimal_comma_profile_reads_dots_as_thousands() -> None:
    reader = AmountReader(",")
    assert reader("1.234,50", 2) == 123450
    assert reader("-1.234,50", 2) == -123450
    with pytest.raises(ValueError, match="is not an amount"):
        reader("1,234.50", 2)


@pytest.mark.parametrize("text", ["1,2345.00", "abc", "", "-", "--5", "١٢.٣٤", "12.3.4"])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        AmountReader()(text, 2)


def test_more_places_than_the_currency_has_is_refused_unless_they_are_zeros() -> None:
    reader = AmountReader()
    with pytest.raises(ValueError, match="at most 2 decimal places"):
        reader("12.345", 2)
    with pytest.raises(ValueError, match="no decimal places"):
        reader("1200.50", 0)  # JPY
    assert reader("12.3400", 2) == 1234
    assert reader("1,200", 0) == 1200
    assert reader("1.234", 3) == 1234  # BHD has three places


def test_day_first_and_month_first_read_the_same_text_differently_and_never_guess() -> None:
    day_first, month_first = DateReader("day_first"), DateReader("month_first")
    assert day_first("03/04/2026") == date(2026, 4, 3)
    assert month_first("03/04/2026") == date(2026, 3, 4)
    with pytest.raises(ValueError, match=r"day first, e\.g\. 23/11/2026"):
        day_first("11/23/2026")
    with pytest.raises(ValueError, match="month first"):
        month_first("23/11/2026")


@pytest.mark.parametrize(
    "text",
    ["2026-11-23", "23 Nov 2026", "23 November 2026", "Nov 23, 2026", "23-Nov-26", "2026-11-23 00:00:00"],
)
def test_unambiguous_dates_are_read_whatever_the_profile(text: str) -> None:
    for order in ("day_first", "month_first", "iso"):
        assert DateReader(order)(text) == date(2026, 11, 23)  # type: ignore[arg-type]


def test_impossible_dates_and_two_digit_years() -> None:
    reader = DateReader("day_first")
    with pytest.raises(ValueError, match="is not a date"):
        reader("31/02/2026")
    assert reader("1/2/26") == date(2026, 2, 1)
    assert reader("1/2/99") == date(1999, 2, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        DateReader("iso")("23/11/2026")


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("30", 30),
        ("Net 30", 30),
        ("60 days net", 60),
        ("Due on receipt", 0),
        ("1% 10 Net 30", 30),
        ("EOM", None),
    ],
)
def test_payment_terms_from_their_usual_wordings(text: str, days: int | None) -> None:
    assert terms_days(text) == days


def test_a_customer_known_only_by_name_gets_its_name_as_code_kept_within_64_characters() -> None:
    assert code_for_name("  Abbey   Builders Ltd ") == "Abbey Builders Ltd"
    long_name = "The Very Long Name of a Customer Who Trades Under Several Other Names Ltd"
    code = code_for_name(long_name)
    assert len(code) <= 64
    assert code != code_for_name(long_name + " (2)")
    assert code == code_for_name(long_name)
