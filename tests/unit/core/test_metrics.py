"""Collection metrics: DSO (standard and countback), best possible DSO, ADD, CEI, and their inputs."""

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from arrears.core.ageing import ageing
from arrears.core.errors import ArrearsError, CurrencyMismatchError, InvalidAllocationError
from arrears.core.ledger import Allocation, Document, DocumentKind, DocumentStatus, status_for
from arrears.core.metrics import (
    InvalidMetricInputError,
    MonthlySales,
    average_days_delinquent,
    best_possible_dso,
    collection_effectiveness_index,
    credit_sales,
    current_receivables_as_of,
    days_in_period,
    dso_countback,
    dso_standard,
    monthly_credit_sales,
    receivables_as_of,
)
from arrears.core.money import Money


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def sales(year: int, month: int, amount: str, currency: str = "GBP") -> MonthlySales:
    return MonthlySales(date(year, month, 1), Money.of(amount, currency))


Q1_2026 = days_in_period(date(2026, 1, 1), date(2026, 3, 31))


# --- periods ----------------------------------------------------------------------------------


def test_a_period_counts_both_its_first_and_last_day() -> None:
    assert Q1_2026 == 90
    assert days_in_period(date(2024, 2, 1), date(2024, 2, 29)) == 29
    assert days_in_period(date(2026, 5, 4), date(2026, 5, 4)) == 1


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidMetricInputError, match="ends \\(2026-01-01\\) before it starts"):
        days_in_period(date(2026, 3, 1), date(2026, 1, 1))


# --- DSO, standard method -----------------------------------------------------------------------


def test_dso_standard_worked_example() -> None:
    assert dso_standard(gbp("120000.00"), gbp("180000.00"), 90) == Decimal("60.0")


def test_dso_standard_is_rounded_half_up_to_one_decimal_place() -> None:
    # 100 / 140 x 90 = 64.2857...; 1 / 40 x 90 = 2.25 exactly, which rounds up.
    assert dso_standard(gbp("100.00"), gbp("140.00"), 90) == Decimal("64.3")
    assert dso_standard(gbp("1.00"), gbp("40.00"), 90) == Decimal("2.3")


@pytest.mark.parametrize("sales_amount", ["0.00", "-10.00"])
def test_dso_is_not_defined_without_credit_sales(sales_amount: str) -> None:
    assert dso_standard(gbp("500.00"), gbp(sales_amount), 30) is None


def test_dso_standard_of_credits_exceeding_debts_is_negative() -> None:
    assert dso_standard(gbp("-10.00"), gbp("300.00"), 30) == Decimal("-1.0")


def test_metrics_refuse_amounts_in_different_currencies() -> None:
    with pytest.raises(CurrencyMismatchError, match="receivables in GBP, credit sales in EUR"):
        dso_standard(gbp("1.00"), Money.of("1.00", "EUR"), 30)


@pytest.mark.parametrize("days", [0, -30, True])
def test_a_period_without_days_is_refused(days: Any) -> None:
    with pytest.raises(InvalidMetricInputError, match="at least 1"):
        dso_standard(gbp("1.00"), gbp("1.00"), days)


def test_metric_input_errors_are_arrears_errors() -> None:
    assert issubclass(InvalidMetricInputError, ArrearsError)


# --- DSO, countback method ----------------------------------------------------------------------

FIRST_QUARTER = [sales(2026, 1, "50000.00"), sales(2026, 2, "30000.00"), sales(2026, 3, "60000.00")]


def test_dso_countback_worked_example() -> None:
    # March's 31 days and February's 28 are used up; 10,000 of January's 50,000 is 6.2 days.
    assert dso_countback(gbp("100000.00"), FIRST_QUARTER) == Decimal("65.2")


def test_dso_countback_does_not_depend_on_the_order_the_months_are_given_in() -> None:
    assert dso_countback(gbp("100000.00"), list(reversed(FIRST_QUARTER))) == Decimal("65.2")


def test_dso_countback_within_the_latest_month_is_its_share_of_that_month() -> None:
    assert dso_countback(gbp("30000.00"), FIRST_QUARTER) == Decimal("15.5")


def test_dso_countback_of_exactly_the_latest_months_sales_is_that_whole_month() -> None:
    assert dso_countback(gbp("60000.00"), FIRST_QUARTER) == Decimal("31.0")


def test_dso_countback_counts_the_29_days_of_a_leap_february() -> None:
    months = [sales(2024, 2, "2900.00"), sales(2024, 3, "3100.00")]

    assert dso_countback(gbp("4550.00"), months) == Decimal("45.5")  # 31 + 1450 / 2900 x 29


def test_dso_countback_walks_through_a_month_without_sales() -> None:
    months = [sales(2026, 1, "3100.00"), sales(2026, 2, "0.00"), sales(2026, 3, "3100.00")]

    assert dso_countback(gbp("4650.00"), months) == Decimal("74.5")  # 31 + 28 + 15.5


@pytest.mark.parametrize("owed", ["0.00", "-25.00"])
def test_dso_countback_is_zero_when_nothing_is_owed(owed: str) -> None:
    assert dso_countback(gbp(owed), FIRST_QUARTER) == Decimal("0.0")


def test_dso_countback_is_not_known_when_the_receivables_exceed_every_months_sales() -> None:
    assert dso_countback(gbp("140000.01"), FIRST_QUARTER) is None
    assert dso_countback(gbp("1.00"), []) is None


def test_dso_countback_refuses_a_gap_between_months() -> None:
    with pytest.raises(InvalidMetricInputError, match="March 2026 is given then January 2026, with a gap"):
        dso_countback(gbp("1.00"), [sales(2026, 1, "1.00"), sales(2026, 3, "1.00")])


def test_dso_countback_refuses_a_month_given_twice() -> None:
    with pytest.raises(InvalidMetricInputError, match="March 2026 is given twice"):
        dso_countback(gbp("1.00"), [sales(2026, 3, "1.00"), sales(2026, 3, "2.00")])


def test_dso_countback_refuses_sales_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError, match="sales for March 2026 in EUR"):
        dso_countback(gbp("1.00"), [sales(2026, 2, "1.00"), sales(2026, 3, "1.00", "EUR")])


def test_monthly_sales_are_keyed_by_the_first_day_of_the_month() -> None:
    with pytest.raises(InvalidMetricInputError, match="2026-03-15 should be 2026-03-01"):
        MonthlySales(date(2026, 3, 15), gbp("1.00"))
    assert sales(2026, 2, "1.00").last_day == date(2026, 2, 28)


@given(
    daily_minor=st.integers(1, 10**6),
    months=st.integers(1, 24),
    first=st.dates(date(2000, 1, 1), date(2040, 1, 1)).map(lambda d: d.replace(day=1)),
    share=st.fractions(0, 1),
)
def test_countback_equals_the_standard_dso_when_sales_run_at_a_steady_daily_rate(
    daily_minor: int, months: int, first: date, share: Fraction
) -> None:
    monthly: list[MonthlySales] = []
    month = first
    for _ in range(months):
        days = calendar.monthrange(month.year, month.month)[1]
        monthly.append(MonthlySales(month, Money.from_minor_units(daily_minor * days, "GBP")))
        month = month + timedelta(days=days)
    total_sales = Money.total((m.amount for m in monthly), "GBP")
    receivables = Money.from_minor_units(int(total_sales.to_minor_units() * share), "GBP")

    countback = dso_countback(receivables, monthly)
    standard = dso_standard(receivables, total_sales, sum(m.days for m in monthly))
    assert countback is not None and standard is not None
    # Equal but for the last digit, where two ways of dividing may round differently.
    assert abs(countback - standard) <= Decimal("0.1")


# --- best possible DSO and ADD --------------------------------------------------------------------


def test_best_possible_dso_worked_example() -> None:
    assert best_possible_dso(gbp("75000.00"), gbp("180000.00"), 90) == Decimal("37.5")


def test_best_possible_dso_is_not_defined_without_credit_sales() -> None:
    assert best_possible_dso(gbp("75000.00"), gbp("0.00"), 90) is None


def test_average_days_delinquent_worked_example() -> None:
    assert average_days_delinquent(gbp("120000.00"), gbp("75000.00"), gbp("180000.00"), 90) == Decimal("22.5")


def test_average_days_delinquent_is_the_printed_dso_less_the_printed_best_possible_dso() -> None:
    # DSO 20.25 prints as 20.3 and best possible DSO 10.14 as 10.1: ADD is 20.3 - 10.1 = 10.2,
    # as the reader of the report would subtract, not 10.11 rounded to 10.1.
    receivables, current, credit, days = gbp("81.00"), gbp("40.56"), gbp("360.00"), 90

    assert dso_standard(receivables, credit, days) == Decimal("20.3")
    assert best_possible_dso(current, credit, days) == Decimal("10.1")
    assert average_days_delinquent(receivables, current, credit, days) == Decimal("10.2")


def test_average_days_delinquent_is_not_defined_without_credit_sales() -> None:
    assert average_days_delinquent(gbp("1.00"), gbp("1.00"), gbp("0.00"), 30) is None


def test_average_days_delinquent_is_zero_when_nothing_is_overdue() -> None:
    assert average_days_delinquent(gbp("50.00"), gbp("50.00"), gbp("100.00"), 30) == Decimal("0.0")


def test_average_days_delinquent_refuses_current_receivables_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        average_days_delinquent(gbp("1.00"), Money.of("1.00", "EUR"), gbp("1.00"), 30)


# --- CEI ----------------------------------------------------------------------------------------


def test_collection_effectiveness_index_worked_example() -> None:
    cei = collection_effectiveness_index(
        gbp("100000.00"), gbp("180000.00"), gbp("120000.00"), gbp("75000.00")
    )

    assert cei == Decimal("78.0")  # 160,000 collected of 205,000 collectable


def test_cei_is_100_when_everything_that_fell_due_was_collected() -> None:
    assert collection_effectiveness_index(
        gbp("100.00"), gbp("300.00"), gbp("80.00"), gbp("80.00")
    ) == Decimal("100.0")


def test_cei_is_0_when_nothing_was_collected() -> None:
    assert collection_effectiveness_index(
        gbp("100.00"), gbp("300.00"), gbp("400.00"), gbp("250.00")
    ) == Decimal("0.0")


def test_cei_is_not_defined_when_nothing_was_collectable() -> None:
    assert collection_effectiveness_index(gbp("0.00"), gbp("300.00"), gbp("300.00"), gbp("300.00")) is None


def test_cei_is_not_defined_when_more_is_current_than_was_ever_owed() -> None:
    # Inconsistent aggregates (say, from a ledger whose history is incomplete): no percentage.
    assert collection_effectiveness_index(gbp("0.00"), gbp("100.00"), gbp("300.00"), gbp("250.00")) is None


def test_cei_refuses_mixed_currencies_and_names_the_odd_one() -> None:
    with pytest.raises(CurrencyMismatchError, match="ending receivables in EUR"):
        collection_effectiveness_index(gbp("1.00"), gbp("1.00"), Money.of("1.00", "EUR"), gbp("1.00"))


@given(
    beginning=st.integers(0, 10**9),
    sold=st.integers(0, 10**9),
    current=st.integers(0, 10**9),
    overdue=st.integers(0, 10**9),
)
def test_cei_never_exceeds_100_while_current_receivables_are_part_of_the_total(
    beginning: int, sold: int, current: int, overdue: int
) -> None:
    cei = collection_effectiveness_index(
        Money.from_minor_units(beginning, "GBP"),
        Money.from_minor_units(sold, "GBP"),
        Money.from_minor_units(current + overdue, "GBP"),
        Money.from_minor_units(current, "GBP"),
    )
    assume(cei is not None)
    assert cei is not None and cei <= 100


# --- aggregate inputs from the ledger -------------------------------------------------------------


def document(
    kind: DocumentKind, number: str, issued: date, due: date, amount: str, **fields: Any
) -> Document:
    money = gbp(amount)
    return Document(
        "ACME",
        fields.pop("debtor", "D1"),
        kind,
        number,
        issued,
        due,
        money,
        fields.pop("open_amount", money),
        **fields,
    )


def payment(invoice: str, on: date, amount: str) -> Allocation:
    return Allocation("ACME", invoice, gbp(amount), on, payment=f"PAY-{invoice}-{on.isoformat()}")


def application(credit_note: str, invoice: str, on: date, amount: str) -> Allocation:
    return Allocation("ACME", invoice, gbp(amount), on, credit_note=credit_note)


# An invoice of 100.00 issued 10 January, due 9 February; 60.00 paid on 20 February; a credit
# note of 40.00 issued 1 March and applied to the invoice on 5 March, settling it.
SETTLED_INVOICE = document(
    DocumentKind.INVOICE,
    "INV-1",
    date(2026, 1, 10),
    date(2026, 2, 9),
    "100.00",
    open_amount=gbp("0.00"),
    status=DocumentStatus.PAID,
)
APPLIED_CREDIT = document(
    DocumentKind.CREDIT_NOTE,
    "CN-1",
    date(2026, 3, 1),
    date(2026, 3, 1),
    "40.00",
    open_amount=gbp("0.00"),
    status=DocumentStatus.PAID,
)
HISTORY = [
    payment("INV-1", date(2026, 2, 20), "60.00"),
    application("CN-1", "INV-1", date(2026, 3, 5), "40.00"),
]


@pytest.mark.parametrize(
    ("as_of", "owed"),
    [
        (date(2026, 1, 9), "0.00"),  # not yet issued
        (date(2026, 1, 10), "100.00"),  # issued that day
        (date(2026, 2, 20), "40.00"),  # paid in part that day
        (date(2026, 3, 1), "0.00"),  # the credit note is unapplied but nets off the 40.00
        (date(2026, 3, 5), "0.00"),  # applied: nothing owed, nothing to credit
    ],
)
def test_receivables_as_of_a_past_date_follow_the_allocation_history(as_of: date, owed: str) -> None:
    assert receivables_as_of([SETTLED_INVOICE, APPLIED_CREDIT], HISTORY, as_of, "GBP") == gbp(owed)


def test_an_unapplied_credit_note_reduces_the_receivables() -> None:
    note = document(DocumentKind.CREDIT_NOTE, "CN-2", date(2026, 3, 1), date(2026, 3, 1), "15.00")

    assert receivables_as_of([note], [], date(2026, 3, 31), "GBP") == gbp("-15.00")


def test_current_receivables_are_only_what_was_not_yet_due_that_day() -> None:
    documents = [SETTLED_INVOICE, APPLIED_CREDIT]

    assert current_receivables_as_of(documents, HISTORY, date(2026, 1, 31), "GBP") == gbp("100.00")
    assert current_receivables_as_of(documents, HISTORY, date(2026, 2, 9), "GBP") == gbp(
        "100.00"
    )  # due today
    assert current_receivables_as_of(documents, HISTORY, date(2026, 2, 10), "GBP") == gbp("0.00")
    # On 1 March the credit note (dated that day) is current and the invoice overdue.
    assert current_receivables_as_of(documents, HISTORY, date(2026, 3, 1), "GBP") == gbp("-40.00")


def test_receivables_without_allocation_history_count_back_from_todays_open_amounts() -> None:
    """A ledger imported without its payments: an invoice part-paid at some unknown date counts
    only what is open today, at every date since it was issued, never what is settled."""
    imported = document(
        DocumentKind.INVOICE,
        "INV-9",
        date(2026, 1, 5),
        date(2026, 2, 4),
        "500.00",
        open_amount=gbp("120.00"),
        status=DocumentStatus.PART_PAID,
    )

    assert receivables_as_of([imported], [], date(2026, 1, 5), "GBP") == gbp("120.00")
    assert receivables_as_of([imported], [], date(2026, 1, 4), "GBP") == gbp("0.00")


def test_a_written_off_invoice_counts_only_what_was_paid_after_the_date() -> None:
    written_off = document(
        DocumentKind.INVOICE,
        "INV-5",
        date(2026, 1, 5),
        date(2026, 2, 4),
        "500.00",
        status=DocumentStatus.WRITTEN_OFF,
    )
    paid_later = [payment("INV-5", date(2026, 2, 1), "200.00")]

    assert receivables_as_of([written_off], paid_later, date(2026, 1, 31), "GBP") == gbp("200.00")
    assert receivables_as_of([written_off], paid_later, date(2026, 3, 31), "GBP") == gbp("0.00")


def test_receivables_leave_out_other_currencies() -> None:
    euro = Document(
        "ACME",
        "D1",
        DocumentKind.INVOICE,
        "INV-E",
        date(2026, 1, 1),
        date(2026, 1, 31),
        Money.of("9.00", "EUR"),
        Money.of("9.00", "EUR"),
    )

    assert receivables_as_of([euro, SETTLED_INVOICE], HISTORY, date(2026, 1, 31), "GBP") == gbp("100.00")
    assert receivables_as_of([euro, SETTLED_INVOICE], HISTORY, date(2026, 1, 31), "EUR") == Money.of(
        "9.00", "EUR"
    )


def test_allocations_that_exceed_a_documents_amount_are_refused() -> None:
    too_much = [*HISTORY, payment("INV-1", date(2026, 3, 10), "0.01")]

    with pytest.raises(InvalidAllocationError, match=re.escape("100.01 GBP is allocated to invoice INV-1")):
        receivables_as_of([SETTLED_INVOICE], too_much, date(2026, 1, 31), "GBP")


def test_credit_sales_are_invoices_less_credit_notes_issued_in_the_period_both_ends_included() -> None:
    documents = [
        document(DocumentKind.INVOICE, "I0", date(2026, 2, 28), date(2026, 2, 28), "1.00"),
        document(DocumentKind.INVOICE, "I1", date(2026, 3, 1), date(2026, 3, 31), "1000.00"),
        document(DocumentKind.CREDIT_NOTE, "C1", date(2026, 3, 9), date(2026, 3, 9), "150.00"),
        document(DocumentKind.INVOICE, "I2", date(2026, 3, 31), date(2026, 4, 30), "20.00"),
        document(DocumentKind.INVOICE, "I3", date(2026, 4, 1), date(2026, 4, 30), "500.00"),
    ]

    assert credit_sales(documents, date(2026, 3, 1), date(2026, 3, 31), "GBP") == gbp("870.00")


def test_credit_sales_count_a_sale_whatever_became_of_it() -> None:
    written_off = document(
        DocumentKind.INVOICE,
        "I1",
        date(2026, 3, 1),
        date(2026, 3, 31),
        "80.00",
        status=DocumentStatus.WRITTEN_OFF,
    )

    assert credit_sales([written_off, SETTLED_INVOICE], date(2026, 1, 1), date(2026, 3, 31), "GBP") == gbp(
        "180.00"
    )


def test_credit_sales_refuse_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidMetricInputError):
        credit_sales([], date(2026, 3, 31), date(2026, 3, 1), "GBP")


def test_monthly_credit_sales_give_every_month_oldest_first_with_zero_for_quiet_months() -> None:
    documents = [
        document(DocumentKind.INVOICE, "I1", date(2025, 11, 30), date(2025, 12, 30), "10.00"),
        document(DocumentKind.INVOICE, "I2", date(2026, 1, 15), date(2026, 2, 14), "20.00"),
        document(DocumentKind.CREDIT_NOTE, "C1", date(2026, 1, 20), date(2026, 1, 20), "5.00"),
    ]

    monthly = monthly_credit_sales(documents, date(2025, 11, 17), date(2026, 1, 31), "GBP")

    assert monthly == (
        sales(2025, 11, "10.00"),
        sales(2025, 12, "0.00"),
        sales(2026, 1, "15.00"),
    )


def test_monthly_credit_sales_feed_the_countback() -> None:
    documents = [
        document(DocumentKind.INVOICE, "I1", date(2026, 2, 10), date(2026, 3, 12), "280.00"),
        document(DocumentKind.INVOICE, "I2", date(2026, 3, 10), date(2026, 4, 9), "310.00"),
    ]
    months = monthly_credit_sales(documents, date(2026, 2, 1), date(2026, 3, 31), "GBP")

    assert dso_countback(gbp("450.00"), months) == Decimal("45.0")  # 31 + 140 / 280 x 28


# --- properties of the aggregate inputs -----------------------------------------------------------

START = date(2026, 1, 1)


@st.composite
def ledgers_with_history(draw: st.DrawFn) -> tuple[list[Document], list[Allocation]]:
    """Invoices paid in parts on later dates, and credit notes applied to them, with each
    document's open amount and status following from its allocations."""
    invoices: dict[str, list[Any]] = {}  # number -> [issued, amount minor, settled minor]
    notes: dict[str, list[Any]] = {}
    allocations: list[Allocation] = []
    for index in range(draw(st.integers(0, 8))):
        number = f"INV-{index}"
        issued = START + timedelta(days=draw(st.integers(0, 90)))
        amount = draw(st.integers(1, 10**7))
        invoices[number] = [issued, amount, 0]
        for _ in range(draw(st.integers(0, 3))):
            part = draw(st.integers(1, amount))
            if invoices[number][2] + part > amount:
                break
            invoices[number][2] += part
            on = issued + timedelta(days=draw(st.integers(0, 120)))
            allocations.append(
                Allocation("ACME", number, Money.from_minor_units(part, "GBP"), on, payment=f"P{index}")
            )
    for index in range(draw(st.integers(0, 4))):
        number = f"CN-{index}"
        issued = START + timedelta(days=draw(st.integers(0, 90)))
        amount = draw(st.integers(1, 10**6))
        notes[number] = [issued, amount, 0]
        if draw(st.booleans()) and invoices:
            target = draw(st.sampled_from(sorted(invoices)))
            part = min(amount, invoices[target][1] - invoices[target][2])
            if part > 0:
                invoices[target][2] += part
                notes[number][2] += part
                on = max(issued, invoices[target][0]) + timedelta(days=draw(st.integers(0, 60)))
                allocations.append(
                    Allocation("ACME", target, Money.from_minor_units(part, "GBP"), on, credit_note=number)
                )

    def make(kind: DocumentKind, number: str, issued: date, amount: int, settled: int) -> Document:
        total, open_amount = (
            Money.from_minor_units(amount, "GBP"),
            Money.from_minor_units(amount - settled, "GBP"),
        )
        due = issued + timedelta(days=draw(st.integers(0, 60)))
        return Document(
            "ACME", "D1", kind, number, issued, due, total, open_amount, status_for(total, open_amount)
        )

    documents = [make(DocumentKind.INVOICE, n, *fields) for n, fields in invoices.items()]
    documents += [make(DocumentKind.CREDIT_NOTE, n, *fields) for n, fields in notes.items()]
    return documents, allocations


def open_then_by_the_history(documents: list[Document], allocations: list[Allocation], as_of: date) -> Money:
    """The textbook definition, forwards: issued by then, less what was allocated by then."""
    total = Money.zero("GBP")
    for d in documents:
        if d.issue_date > as_of:
            continue
        if d.is_invoice:
            used = [a.amount for a in allocations if a.document == d.number and a.allocated_on <= as_of]
            total = total + d.amount - Money.total(used, "GBP")
        else:
            used = [a.amount for a in allocations if a.credit_note == d.number and a.allocated_on <= as_of]
            total = total - d.amount + Money.total(used, "GBP")
    return total


@given(ledgers_with_history(), st.integers(-5, 250))
def test_with_a_complete_history_receivables_are_issued_less_allocated_by_that_date(
    ledger: tuple[list[Document], list[Allocation]], day: int
) -> None:
    documents, allocations = ledger
    as_of = START + timedelta(days=day)

    assert receivables_as_of(documents, allocations, as_of, "GBP") == open_then_by_the_history(
        documents, allocations, as_of
    )


@given(ledgers_with_history(), st.integers(-5, 250))
def test_after_the_last_allocation_receivables_are_the_ageing_total_and_current_its_first_bucket(
    ledger: tuple[list[Document], list[Allocation]], later_by: int
) -> None:
    documents, allocations = ledger
    after_everything = START + timedelta(days=220)
    as_of = after_everything + timedelta(days=later_by)
    report = ageing(documents, as_of)

    assert receivables_as_of(documents, allocations, as_of, "GBP") == report.total("GBP")
    assert current_receivables_as_of(documents, allocations, as_of, "GBP") == report.totals("GBP")[0]
