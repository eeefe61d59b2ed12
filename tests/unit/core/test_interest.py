"""Statutory interest and compensation, checked against worked examples with exact figures.

Every expected amount is worked by hand in the test's docstring: interest is
principal x rate% x days / (100 x 365), summed exactly and rounded half-up once.
Bank Rate and ECB figures come from the packaged table (sources in docs/interest.md).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.errors import ArrearsError, InvalidAmountError
from arrears.core.interest import (
    InterestNotApplicableError,
    PartPayment,
    RateSource,
    ReferenceRate,
    ReferenceRateError,
    ReferenceRates,
    Regime,
    eu_reference_date,
    fixed_compensation,
    statutory_interest,
    uk_reference_date,
)
from arrears.core.ledger import Allocation, Debtor, DebtorFlag
from arrears.core.money import Money


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


# --- worked examples: UK Act --------------------------------------------------------------


def test_govuk_example_1000_pounds_60_days_at_8_25_per_cent() -> None:
    """GOV.UK, "Late commercial payments: charging interest and debt recovery"
    (https://www.gov.uk/late-commercial-payments-interest-debt-recovery/charging-interest-commercial-debt),
    as reproduced at https://www.theukrules.co.uk/rules/business/debt-and-bankruptcy/late-commercial-payments.html:
    £1,000 owed, base rate 0.25% so 8.25%; annual interest £82.50; daily £82.50 / 365; 60 days late
    -> £13.56.

    Bank Rate was 0.25% on 31 December 2016 (cut on 4 August 2016), the reference day for debts
    becoming overdue 1 January-30 June 2017. Due 31 March 2017, as of 30 May 2017: 1 April-30 May
    = 30 + 30 = 60 days. 1000 x 8.25 x 60 / 36500 = 495000 / 36500 = 13.5616... -> £13.56.
    Compensation: a debt of £1,000 is "£1000 or more, but less than £10,000" (s.5A(2)(b)) -> £70.
    """
    claim = statutory_interest(gbp("1000.00"), date(2017, 3, 31), date(2017, 5, 30))

    assert claim.reference_date == date(2016, 12, 31)
    assert claim.reference_rate == Decimal("0.25")
    assert claim.rate == Decimal("8.25")
    assert claim.days == 60
    assert claim.interest == gbp("13.56")
    assert claim.compensation == gbp("70")


def test_govuk_daily_interest_example_85_pounds_a_year_is_23p_a_day() -> None:
    """Worked example of the statutory-interest calculator at https://statutory-interest.pages.dev
    ("Daily interest = annual ÷ 365. Example: £1,000 at 8.5% = £85/year ≈ £0.23/day").

    Reference 31 December 2014 (Bank Rate 0.50% since 5 March 2009) for a debt due 31 January
    2015. Daily interest = 1000 x 8.5 / 36500 = 0.232876... -> 23p; kept exact in the claim.
    """
    claim = statutory_interest(gbp("1000.00"), date(2015, 1, 31), date(2015, 2, 1))

    assert claim.rate == Decimal("8.50")
    assert claim.daily_interest.amount == Decimal(8500) / Decimal(36500)
    assert claim.daily_interest.rounded() == gbp("0.23")
    assert claim.interest == gbp("0.23")


def test_interest_is_rounded_once_at_the_end_not_per_day() -> None:
    """Paidnice guide (https://support.paidnice.com/en/articles/11600906) works £5,000 at 12.25%
    for 101 days by rounding the day first: £1.68 x 101 = £169.68. The Act charges interest on the
    debt, not on a rounded daily figure: 5000 x 12.25 x 101 / 36500 = 6186250 / 36500 = 169.486...
    -> £169.49.

    12.25% is 8% over Bank Rate of 4.25% in force on 30 June 2025 (cut on 8 May 2025): a debt due
    31 July 2025 becomes overdue in the second half. 1 August-9 November 2025 = 31 + 30 + 31 + 9 = 101 days.
    """
    claim = statutory_interest(gbp("5000.00"), date(2025, 7, 31), date(2025, 11, 9))

    assert claim.reference_date == date(2025, 6, 30)
    assert claim.rate == Decimal("12.25")
    assert claim.days == 101
    assert claim.interest == gbp("169.49")


def test_rate_is_fixed_at_the_reference_day_when_bank_rate_changes_during_the_debt() -> None:
    """SI 2002/1675 art. 4: the rate is 8% over Bank Rate "in force on ... 31st December ...
    immediately before the day on which statutory interest starts to run"; it stays so for the debt.

    £5,000 due 31 January 2023: interest from 1 February 2023, reference 31 December 2022 when Bank
    Rate was 3.50% (since 15 December 2022) -> 11.50%. Bank Rate then rose to 4.00% (2 Feb), 4.25%
    (23 Mar), 4.50% (11 May), 5.00% (22 Jun) and the next reference day, 30 June 2023, had 5.00%; none
    of that changes this debt. As of 31 July 2023: 28 + 31 + 30 + 31 + 30 + 31 = 181 days.
    5000 x 11.5 x 181 / 36500 = 10407500 / 36500 = 285.1369... -> £285.14. Compensation £70.
    """
    claim = statutory_interest(gbp("5000.00"), date(2023, 1, 31), date(2023, 7, 31))

    assert claim.days == 181
    assert {p.rate for p in claim.periods} == {Decimal("11.50")}
    assert claim.reference_rate == Decimal("3.50")
    assert claim.interest == gbp("285.14")
    assert claim.compensation == gbp("70")


def test_two_debts_either_side_of_30_june_take_different_reference_days() -> None:
    """SI 2002/1675 art. 4: interest starting 1 January-30 June takes 31 December before;
    1 July-31 December takes 30 June.

    Due 29 June 2023: interest starts 30 June (first half) -> 31 December 2022, 3.50% -> 11.50%.
    Due 30 June 2023: interest starts exactly 1 July -> 30 June 2023, 5.00% (raised on 22 June) -> 13.00%.
    £1,000 for 10 days each: 1000 x 11.5 x 10 / 36500 = 3.1506... -> £3.15;
    1000 x 13 x 10 / 36500 = 3.5616... -> £3.56.
    """
    before = statutory_interest(gbp("1000.00"), date(2023, 6, 29), date(2023, 7, 9))
    after = statutory_interest(gbp("1000.00"), date(2023, 6, 30), date(2023, 7, 10))

    assert (before.reference_date, before.rate, before.days) == (date(2022, 12, 31), Decimal("11.50"), 10)
    assert (after.reference_date, after.rate, after.days) == (date(2023, 6, 30), Decimal("13.00"), 10)
    assert before.interest == gbp("3.15")
    assert after.interest == gbp("3.56")


def test_two_debts_either_side_of_31_december_take_different_reference_days() -> None:
    """Due 30 December 2023: interest starts 31 December (second half) -> 30 June 2023, 5.00% -> 13.00%.
    Due 31 December 2023: interest starts exactly 1 January 2024 -> 31 December 2023, 5.25%
    (raised on 3 August 2023) -> 13.25%.
    """
    before = statutory_interest(gbp("1000.00"), date(2023, 12, 30), date(2024, 1, 30))
    after = statutory_interest(gbp("1000.00"), date(2023, 12, 31), date(2024, 1, 31))

    assert (before.reference_date, before.rate) == (date(2023, 6, 30), Decimal("13.00"))
    assert (after.reference_date, after.rate) == (date(2023, 12, 31), Decimal("13.25"))


def test_leap_day_is_a_day_of_accrual_over_365() -> None:
    """GOV.UK guidance divides a year's interest by 365; the Act and Order fix no other day count,
    so 29 February accrues one 365th like any other day.

    £10,000 due 28 February 2024: overdue from 29 February, reference 31 December 2023 (5.25%) ->
    13.25%. As of 1 March 2024 the days are 29 February and 1 March = 2.
    10000 x 13.25 x 2 / 36500 = 265000 / 36500 = 7.2602... -> £7.26.
    The same dates in 2023 (no 29 February) give 1 day at 11.50%: 115000 / 36500 = 3.1506... -> £3.15.
    """
    leap = statutory_interest(gbp("10000.00"), date(2024, 2, 28), date(2024, 3, 1))
    common = statutory_interest(gbp("10000.00"), date(2023, 2, 28), date(2023, 3, 1))

    assert leap.days == 2
    assert leap.periods[0].start == date(2024, 2, 29)
    assert leap.interest == gbp("7.26")
    assert common.days == 1
    assert common.interest == gbp("3.15")
    assert leap.compensation == gbp("100")


def test_a_whole_leap_year_late_is_366_365ths_of_a_years_interest() -> None:
    """£10,000 due 31 December 2023, as of 31 December 2024: 1 January-31 December 2024 = 366 days
    at 13.25% (reference 31 December 2023, 5.25%). 10000 x 13.25 x 366 / 36500 = 48495000 / 36500
    = 1328.6301... -> £1,328.63, £3.63 more than a year's £1,325.00 because 2024 has 366 days.
    """
    claim = statutory_interest(gbp("10000.00"), date(2023, 12, 31), date(2024, 12, 31))

    assert claim.days == 366
    assert claim.interest == gbp("1328.63")


def test_contractual_rate_overrides_and_removes_the_statutory_fixed_sum() -> None:
    """A rate the creditor set in the contract replaces the statutory one. The s.5A fixed sum is due
    "once statutory interest begins to run", so none is due under the contract rate.

    £2,000 at 4% due 31 January 2024, as of 1 March 2024: 29 (Feb, leap) + 1 = 30 days.
    2000 x 4 x 30 / 36500 = 240000 / 36500 = 6.5753... -> £6.58.
    """
    claim = statutory_interest(
        gbp("2000.00"), date(2024, 1, 31), date(2024, 3, 1), contractual_rate=Decimal(4)
    )

    assert claim.contractual
    assert (claim.rate, claim.reference_rate, claim.reference_date) == (Decimal(4), None, None)
    assert claim.interest == gbp("6.58")
    assert claim.compensation == gbp("0")
    assert claim.basis.startswith("Interest at the contractual rate of 4.00% a year")


def test_partial_payment_reduces_the_principal_from_the_next_day() -> None:
    """£3,000 due 31 March 2024 (reference 31 December 2023, 5.25% -> 13.25%); £1,000 received
    30 April 2024; as of 31 May 2024.
    1-30 April on £3,000: 3000 x 13.25 x 30 = 1192500; 1-31 May on £2,000: 2000 x 13.25 x 31 = 821500.
    (1192500 + 821500) / 36500 = 2014000 / 36500 = 55.178... -> £55.18. Daily now 2000 x 13.25 / 36500.
    Compensation is banded on the £3,000 late when interest started -> £70.
    """
    payment = PartPayment(date(2024, 4, 30), gbp("1000.00"))
    claim = statutory_interest(gbp("3000.00"), date(2024, 3, 31), date(2024, 5, 31), payments=[payment])

    assert [(p.start, p.end, p.principal) for p in claim.periods] == [
        (date(2024, 4, 1), date(2024, 4, 30), gbp("3000.00")),
        (date(2024, 5, 1), date(2024, 5, 31), gbp("2000.00")),
    ]
    assert claim.days == 61
    assert claim.interest == gbp("55.18")
    assert claim.daily_interest.amount == Decimal(2000) * Decimal("13.25") / Decimal(36500)
    assert claim.compensation == gbp("70")
    assert "on the balance unpaid each day" in claim.basis


def test_a_debt_paid_in_full_late_stops_accruing_and_keeps_its_claim() -> None:
    """£1,000 due 31 March 2024, paid 10 April 2024, claimed as of 30 June: 1-10 April = 10 days.
    1000 x 13.25 x 10 / 36500 = 3.6301... -> £3.63; nothing further accrues.
    """
    paid = PartPayment(date(2024, 4, 10), gbp("1000.00"))
    claim = statutory_interest(gbp("1000.00"), date(2024, 3, 31), date(2024, 6, 30), payments=[paid])

    assert claim.days == 10
    assert claim.interest == gbp("3.63")
    assert claim.daily_interest.is_zero
    assert claim.compensation == gbp("70")


def test_payment_on_the_due_date_is_not_late_and_lowers_the_band() -> None:
    """£1,200 due 31 March 2024 of which £300 paid on the day: £900 is late -> £40 band.
    1-30 April on £900: 900 x 13.25 x 30 / 36500 = 357750 / 36500 = 9.8013... -> £9.80.
    """
    on_time = PartPayment(date(2024, 3, 31), gbp("300.00"))
    claim = statutory_interest(gbp("1200.00"), date(2024, 3, 31), date(2024, 4, 30), payments=[on_time])

    assert claim.periods[0].principal == gbp("900.00")
    assert claim.interest == gbp("9.80")
    assert claim.compensation == gbp("40")


def test_payments_after_as_of_are_ignored_and_allocations_can_be_used() -> None:
    allocation = Allocation("ACME", "INV-1", gbp("500.00"), date(2024, 4, 15), payment="BACS-7")
    later = PartPayment(date(2024, 5, 1), gbp("500.00"))
    claim = statutory_interest(
        gbp("1000.00"),
        date(2024, 3, 31),
        date(2024, 4, 30),
        payments=[later, PartPayment.from_allocation(allocation)],
    )

    assert [p.principal for p in claim.periods] == [gbp("1000.00"), gbp("500.00")]


def test_payments_larger_than_the_principal_or_in_another_currency_are_refused() -> None:
    with pytest.raises(InvalidAmountError, match="more than the principal"):
        statutory_interest(
            gbp("100.00"),
            date(2024, 3, 31),
            date(2024, 4, 30),
            payments=[PartPayment(date(2024, 4, 1), gbp("101"))],
        )
    with pytest.raises(InvalidAmountError, match="not in GBP"):
        statutory_interest(
            gbp("100.00"),
            date(2024, 3, 31),
            date(2024, 4, 30),
            payments=[PartPayment(date(2024, 4, 1), eur("1"))],
        )


@pytest.mark.parametrize("as_of", [date(2024, 3, 31), date(2024, 3, 1)])
def test_not_overdue_yet_means_no_interest_and_no_compensation(as_of: date) -> None:
    claim = statutory_interest(gbp("5000.00"), date(2024, 3, 31), as_of)

    assert claim.days == 0
    assert claim.periods == ()
    assert claim.interest == gbp("0")
    assert claim.compensation == gbp("0")
    assert claim.rate is None
    assert claim.basis.startswith("No interest is due")


def test_first_day_overdue_is_one_day_of_interest() -> None:
    """Interest runs "from the day after the relevant day" (s.4): due 31 March, as of 1 April = 1 day."""
    claim = statutory_interest(gbp("36500.00"), date(2024, 3, 31), date(2024, 4, 1))

    assert claim.days == 1
    assert claim.interest == gbp("13.25")  # 36500 x 13.25 x 1 / 36500


def test_basis_sentence_for_a_letter() -> None:
    claim = statutory_interest(gbp("1000.00"), date(2017, 3, 31), date(2017, 5, 30))

    assert claim.basis == (
        "Statutory interest under the Late Payment of Commercial Debts (Interest) Act 1998 at 8.25% a year "
        "(8% over the Bank of England base rate of 0.25% in force on 31 December 2016), simple interest "
        "from 1 April 2017 to 30 May 2017 (60 days): £13.56. Fixed compensation under section 5A of the Act: £70.00."
    )


# --- compensation bands -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("debt", "expected"),
    [
        ("0.01", "40"),
        ("999.99", "40"),
        ("1000.00", "70"),
        ("9999.99", "70"),
        ("10000.00", "100"),
        ("250000.00", "100"),
    ],
)
def test_uk_fixed_sum_bands_follow_section_5a(debt: str, expected: str) -> None:
    """Act s.5A(2): "(a) for a debt less than £1000, the sum of £40; (b) for a debt of £1000 or more,
    but less than £10,000, the sum of £70; (c) for a debt of £10,000 or more, the sum of £100."
    """
    assert fixed_compensation(Regime.UK_LATE_PAYMENT, gbp(debt)) == gbp(expected)


def test_compensation_is_once_per_debt_however_long_it_runs() -> None:
    short = statutory_interest(gbp("999.99"), date(2024, 3, 31), date(2024, 4, 1))
    long = statutory_interest(gbp("999.99"), date(2024, 3, 31), date(2026, 3, 31))

    assert short.compensation == long.compensation == gbp("40")


def test_a_foreign_currency_debt_under_the_act_is_banded_on_its_sterling_value() -> None:
    """Interest stays in the debt's currency; the s.5A sum is in pounds, banded on the sterling
    value the caller gives (Arrears never converts). Without one, the claim is refused."""
    claim = statutory_interest(
        Money.of("5000.00", "USD"), date(2024, 3, 31), date(2024, 4, 30), sterling_value=gbp("3950.00")
    )

    assert claim.interest.currency == "USD"
    assert claim.compensation == gbp("70")
    with pytest.raises(InterestNotApplicableError, match="sterling value"):
        statutory_interest(Money.of("5000.00", "USD"), date(2024, 3, 31), date(2024, 4, 30))


# --- EU Directive -----------------------------------------------------------------------


def test_eu_rate_changes_each_half_year_with_the_ecb_rate_of_its_first_day() -> None:
    """Directive 2011/7/EU Art. 2(6), 2(7)(a), 3(2): ECB main refinancing rate in force on 1 January
    (first half) or 1 July (second half) plus 8 points; Art. 6(1): EUR 40.

    EUR 10,000 due 31 May 2025, as of 29 August 2025. 1 January 2025: MRO 3.15% (since 18 December
    2024) -> 11.15% for 1-30 June (30 days), although the ECB cut to 2.15% from 11 June.
    1 July 2025: MRO 2.15% -> 10.15% for 1 July-29 August (31 + 29 = 60 days).
    10000 x (11.15 x 30 + 10.15 x 60) / 36500 = 10000 x 943.5 / 36500 = 258.4931... -> EUR 258.49.
    """
    claim = statutory_interest(
        eur("10000.00"), date(2025, 5, 31), date(2025, 8, 29), regime=Regime.EU_DIRECTIVE
    )

    assert [(p.start, p.end, p.reference_date, p.rate) for p in claim.periods] == [
        (date(2025, 6, 1), date(2025, 6, 30), date(2025, 1, 1), Decimal("11.15")),
        (date(2025, 7, 1), date(2025, 8, 29), date(2025, 7, 1), Decimal("10.15")),
    ]
    assert claim.days == 90
    assert claim.interest == eur("258.49")
    assert claim.compensation == eur("40")
    assert (claim.rate, claim.reference_rate) == (Decimal("10.15"), Decimal("2.15"))
    assert "(11.15% from 1 June 2025, 10.15% from 1 July 2025)" in claim.basis


def test_eu_reference_rate_on_1_july_2024_matches_the_irish_published_rate() -> None:
    """enterprise.gov.ie: "With effect from 1 July 2024, the late payment interest rate is 12.25%
    per annum (that is based on the ECB rate as at 1 July 2024 of 4.25% plus the margin of 8%)".
    EUR 36,500 for one day at 12.25% = EUR 12.25."""
    claim = statutory_interest(
        eur("36500.00"), date(2024, 6, 30), date(2024, 7, 1), regime=Regime.EU_DIRECTIVE
    )

    assert claim.rate == Decimal("12.25")
    assert claim.interest == eur("12.25")


def test_eu_contractual_rate_keeps_the_eur_40() -> None:
    """Art. 6(1) gives EUR 40 whenever "interest for late payment" is payable, which includes
    interest at an agreed rate (Art. 2(5)). EUR 2,000 at 4% for 30 days -> EUR 6.58 (as the UK case)."""
    claim = statutory_interest(
        eur("2000.00"),
        date(2024, 1, 31),
        date(2024, 3, 1),
        regime=Regime.EU_DIRECTIVE,
        contractual_rate=Decimal(4),
    )

    assert claim.interest == eur("6.58")
    assert claim.compensation == eur("40")
    assert len(claim.periods) == 1  # a contractual rate does not change at the half-year


def test_eu_regime_is_for_euro_debts() -> None:
    with pytest.raises(InterestNotApplicableError, match="euro"):
        statutory_interest(gbp("100.00"), date(2024, 1, 31), date(2024, 3, 1), regime=Regime.EU_DIRECTIVE)


# --- who and what can be charged --------------------------------------------------------


def test_an_individual_debtor_cannot_be_charged_under_the_act() -> None:
    consumer = Debtor("ACME", "C-001", "Jo Bloggs", flags=frozenset({DebtorFlag.INDIVIDUAL}))
    business = Debtor("ACME", "B-001", "Widgets Ltd")

    with pytest.raises(InterestNotApplicableError, match="business-to-business") as raised:
        statutory_interest(gbp("100.00"), date(2024, 1, 31), date(2024, 3, 1), debtor=consumer)
    assert isinstance(raised.value, ArrearsError)
    assert statutory_interest(gbp("100.00"), date(2024, 1, 31), date(2024, 3, 1), debtor=business).days == 30


@pytest.mark.parametrize("bad", [4.0, True, Decimal("NaN"), Decimal("-1")])
def test_contractual_rate_must_be_a_non_negative_decimal(bad: object) -> None:
    with pytest.raises(InvalidAmountError):
        statutory_interest(gbp("100.00"), date(2024, 1, 31), date(2024, 3, 1), contractual_rate=bad)  # type: ignore[arg-type]


# --- reference days and the rate table --------------------------------------------------


@pytest.mark.parametrize(
    ("interest_from", "expected"),
    [
        (date(2024, 1, 1), date(2023, 12, 31)),
        (date(2024, 6, 30), date(2023, 12, 31)),
        (date(2024, 7, 1), date(2024, 6, 30)),
        (date(2024, 12, 31), date(2024, 6, 30)),
    ],
)
def test_uk_reference_date(interest_from: date, expected: date) -> None:
    assert uk_reference_date(interest_from) == expected


def test_eu_reference_date() -> None:
    assert eu_reference_date(date(2025, 6, 30)) == date(2025, 1, 1)
    assert eu_reference_date(date(2025, 7, 1)) == date(2025, 7, 1)


@pytest.mark.parametrize(
    ("reference_day", "expected"),
    [
        (date(2023, 12, 31), "5.25"),
        (date(2023, 6, 30), "5.00"),
        (date(2022, 12, 31), "3.50"),
        (date(2022, 6, 30), "1.25"),
        (date(2021, 12, 31), "0.25"),
        (date(2021, 6, 30), "0.10"),
        (date(2020, 12, 31), "0.10"),
        (date(2020, 6, 30), "0.10"),
        (date(2019, 12, 31), "0.75"),
        (date(2019, 6, 30), "0.75"),
        (date(2018, 12, 31), "0.75"),
        (date(2018, 6, 30), "0.50"),
        (date(2017, 12, 31), "0.50"),
        (date(2017, 6, 30), "0.25"),
        (date(2016, 12, 31), "0.25"),
        (date(2016, 6, 30), "0.50"),
        (date(2010, 12, 31), "0.50"),
    ],
)
def test_packaged_bank_rate_agrees_with_the_published_half_year_reference_rates(
    reference_day: date, expected: str
) -> None:
    """Better Payment Practice Group reference-rate table, https://payontime.co.uk/how-to-calculate-
    late-payment-interest-and-compensation (periods 1 January 2011-30 June 2024): an independent
    check of the Bank Rate rows in the packaged table."""
    assert ReferenceRates.packaged().in_force(RateSource.BOE, reference_day).rate_percent == Decimal(expected)


def test_packaged_table_is_sorted_and_current_to_its_last_verified_change() -> None:
    table = ReferenceRates.packaged()
    boe, ecb = table.rows(RateSource.BOE), table.rows(RateSource.ECB)

    assert [r.effective_date for r in boe] == sorted(r.effective_date for r in boe)
    assert boe[-1] == ReferenceRate(date(2025, 12, 18), RateSource.BOE, Decimal("3.75"))
    assert ecb[-1] == ReferenceRate(date(2025, 6, 11), RateSource.ECB, Decimal("2.15"))
    assert table.in_force(RateSource.BOE, date(2000, 1, 1)).rate_percent == Decimal("5.50")
    assert table.in_force(RateSource.ECB, date(2000, 1, 1)).rate_percent == Decimal("3.00")


def test_a_change_taking_effect_on_the_reference_day_is_in_force_that_day() -> None:
    table = ReferenceRates.from_csv(
        "effective_date,source,rate_percent\n2030-01-01,BOE,1.00\n2030-06-30,BOE,2.00\n"
    )

    claim = statutory_interest(gbp("36500.00"), date(2030, 6, 30), date(2030, 7, 1), rates=table)

    assert (claim.reference_date, claim.reference_rate, claim.rate) == (
        date(2030, 6, 30),
        Decimal("2.00"),
        Decimal("10.00"),
    )
    assert claim.interest == gbp("10.00")


def test_a_user_can_extend_the_table_with_a_newer_rate() -> None:
    newer = ReferenceRate(date(2099, 3, 1), RateSource.BOE, Decimal("9.00"))
    table = ReferenceRates.packaged().extended([newer])

    claim = statutory_interest(gbp("36500.00"), date(2099, 7, 31), date(2099, 8, 1), rates=table)

    assert claim.rate == Decimal("17.00")
    assert ReferenceRates.packaged().in_force(RateSource.BOE, date(2099, 6, 30)).rate_percent == Decimal(
        "3.75"
    )


def test_no_rate_before_the_first_row_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(ReferenceRateError, match="add the rate in force"):
        ReferenceRates.packaged().in_force(RateSource.BOE, date(1999, 1, 1))


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("effective_date,source\n", "missing column"),
        ("effective_date,source,rate_percent\n31/12/2024,BOE,4.75\n", "row 2, column effective_date"),
        ("effective_date,source,rate_percent\n2024-12-31,FED,4.75\n", "row 2, column source"),
        ("effective_date,source,rate_percent\n2024-12-31,BOE,four\n", "row 2, column rate_percent"),
        ("effective_date,source,rate_percent\n2024-12-31,BOE,4.75\n2024-12-31,BOE,5.00\n", "two rates"),
    ],
)
def test_a_malformed_rate_table_is_refused_with_its_row_and_column(csv_text: str, message: str) -> None:
    with pytest.raises(ReferenceRateError, match=message):
        ReferenceRates.from_csv(csv_text)


# --- laws -------------------------------------------------------------------------------

_principals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)
_due_dates = st.dates(min_value=date(2003, 1, 1), max_value=date(2026, 6, 30))
_lateness = st.integers(min_value=0, max_value=2000)
_regimes = st.sampled_from([Regime.UK_LATE_PAYMENT, Regime.EU_DIRECTIVE])


@given(_principals, _due_dates, _lateness, st.integers(min_value=1, max_value=400), _regimes)
def test_interest_never_decreases_as_days_pass(
    amount: Decimal, due: date, late: int, more: int, regime: Regime
) -> None:
    currency = "EUR" if regime is Regime.EU_DIRECTIVE else "GBP"
    principal = Money(amount, currency)
    earlier = statutory_interest(principal, due, due + timedelta(days=late), regime=regime)
    later = statutory_interest(principal, due, due + timedelta(days=late + more), regime=regime)

    assert later.interest >= earlier.interest
    assert later.days == earlier.days + more


@given(_principals, _principals, _due_dates, _lateness, _regimes)
def test_interest_never_decreases_with_a_larger_principal(
    a: Decimal, b: Decimal, due: date, late: int, regime: Regime
) -> None:
    currency = "EUR" if regime is Regime.EU_DIRECTIVE else "GBP"
    small, large = sorted((a, b))
    as_of = due + timedelta(days=late)

    low = statutory_interest(Money(small, currency), due, as_of, regime=regime)
    high = statutory_interest(Money(large, currency), due, as_of, regime=regime)

    assert high.interest >= low.interest >= Money.zero(currency)
    assert high.compensation >= low.compensation


def test_eu_basis_names_each_half_year_reference_day_when_the_rate_did_not_change() -> None:
    """MRO 2.15% on 1 July 2025 and on 1 January 2026 (no change between): one rate, two reference days."""
    claim = statutory_interest(
        eur("1000.00"), date(2025, 12, 1), date(2026, 1, 31), regime=Regime.EU_DIRECTIVE
    )

    assert {p.rate for p in claim.periods} == {Decimal("10.15")}
    assert "of 2.15% in force on 1 July 2025 and on 1 January 2026" in claim.basis
