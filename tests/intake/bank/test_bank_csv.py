"""Bank CSV exports read through layout profiles, from small hand-written files."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.core.money import Money
from arrears.intake.bank import LLOYDS, PROFILES, CsvProfile, StatementError, read_statement
from arrears.intake.bank.bank_csv import parse_amount


def test_lloyds_layout_with_money_in_and_out_columns(fixtures: Path) -> None:
    (statement,) = read_statement(fixtures / "csv_lloyds.csv")

    assert statement.format == "csv"
    assert (statement.account, statement.currency) == ("30-99-50 12345678", "GBP")
    assert (statement.from_date, statement.to_date) == (date(2026, 3, 2), date(2026, 3, 3))
    assert statement.opening_balance is None and statement.closing_balance is None
    vat, coffee, second_coffee, payment = statement.transactions
    assert vat.amount == Money.of("-2000.00", "GBP")
    assert vat.transaction_code == "DD"
    assert payment.amount == Money.of("1200.50", "GBP")
    assert payment.narration == "ACME WIDGETS LTD INV-1042 REF 5521"
    assert coffee.amount == second_coffee.amount == Money.of("-10.00", "GBP")
    assert coffee.fingerprint != second_coffee.fingerprint


def test_natwest_layout_with_signed_values_and_excel_text_guards(fixtures: Path) -> None:
    (statement,) = read_statement(fixtures / "csv_natwest.csv")

    assert (statement.account, statement.currency) == ("601234-12345678", "GBP")
    payment, vat = statement.transactions
    assert payment.amount == Money.of("1200.50", "GBP")
    assert payment.narration == "ACME WIDGETS LTD , INV-1042 , FP 02/03/26 1032"
    assert payment.booking_date == date(2026, 3, 2)
    assert vat.booking_date == date(2026, 3, 3)  # "03 Mar 2026"
    assert vat.amount == Money.of("-2000.00", "GBP")


def test_starling_layout_needs_the_account_from_the_caller(fixtures: Path) -> None:
    with pytest.raises(StatementError, match=r"^csv_starling\.csv: the starling layout names no account"):
        read_statement(fixtures / "csv_starling.csv")

    (statement,) = read_statement(fixtures / "csv_starling.csv", account="60-83-71 12345678")

    assert statement.account == "60-83-71 12345678"
    payment = statement.transactions[0]
    assert (payment.counterparty_name, payment.reference, payment.transaction_code) == (
        "Acme Widgets Ltd",
        "INV-1042",
        "FASTER PAYMENT",
    )


def test_generic_layout_with_currency_and_account_columns(fixtures: Path) -> None:
    (statement,) = read_statement(fixtures / "csv_generic.csv", format="csv")

    assert (statement.account, statement.currency) == ("NL91ABNA0417164300", "EUR")
    payment, charges = statement.transactions
    assert payment.amount == Money.of("1200.50", "EUR")
    assert (payment.reference, payment.counterparty_name) == ("INV-1042", "Acme Widgets BV")
    assert charges.amount == Money.of("-15.25", "EUR")
    assert charges.reference is None


def test_a_profile_for_another_bank_with_decimal_comma(fixtures: Path) -> None:
    german = CsvProfile(
        name="sparkasse",
        date_column="Buchungstag",
        date_formats=("%d.%m.%Y",),
        amount_column="Betrag",
        description_columns=("Verwendungszweck",),
        counterparty_column="Auftraggeber",
        currency="EUR",
        decimal_comma=True,
        delimiter=";",
    )

    (statement,) = read_statement(
        fixtures / "csv_decimal_comma.csv", csv_profile=german, account="DE02120300000000202051"
    )

    assert [t.amount for t in statement.transactions] == [
        Money.of("1200.50", "EUR"),
        Money.of("-15.25", "EUR"),
    ]
    assert statement.transactions[0].counterparty_name == "Acme Widgets GmbH"


def test_windows_1252_export_is_read(fixtures: Path) -> None:
    (statement,) = read_statement(
        fixtures / "csv_cp1252.csv", csv_profile="starling", account="60-83-71 12345678"
    )

    assert statement.transactions[0].counterparty_name == "Café Royal"
    assert statement.transactions[0].narration == "Refund £5 overcharge"


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("csv_bad_date.csv", r"row 3, column Transaction Date: '31/02/2026' is not a date \(DD/MM/YYYY\)$"),
        ("csv_bad_amount.csv", r"row 3, column Value: '-2\.000\.00' is not an amount \(like 1,234\.56\)$"),
        ("csv_both_in_and_out.csv", r"row 2, column Credit Amount/Debit Amount: an amount both in and out$"),
        ("csv_two_accounts.csv", r"row 3, column Account Number: account '30-99-50 87654321' differs from "),
        (
            "csv_unknown_layout.csv",
            r"row 1: no known bank CSV layout fits the header \(columns: When, What, How much\)",
        ),
    ],
)
def test_malformed_files_name_the_row_and_column(fixtures: Path, fixture: str, message: str) -> None:
    with pytest.raises(StatementError, match=f"^{fixture} {message}"):
        read_statement(fixtures / fixture, format="csv")


def test_a_named_profile_must_fit_the_header(fixtures: Path) -> None:
    with pytest.raises(
        StatementError, match=r"the lloyds layout needs columns Transaction Date, Credit Amount"
    ):
        read_statement(fixtures / "csv_natwest.csv", csv_profile="lloyds")
    with pytest.raises(StatementError, match=r"no bank CSV layout named 'barclays'; known: lloyds, natwest"):
        read_statement(fixtures / "csv_natwest.csv", csv_profile="barclays")


def test_a_header_without_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header-only.csv"
    path.write_text("Date,Amount,Description,Currency,Account\n\n", encoding="utf-8")

    with pytest.raises(
        StatementError, match=r"^header-only\.csv: the file has a header but no transactions$"
    ):
        read_statement(path)


def test_the_profiles_detection_tries_the_specific_layouts_first() -> None:
    assert list(PROFILES) == ["lloyds", "natwest", "starling", "generic"]
    assert LLOYDS.required_columns == (
        "Transaction Date",
        "Credit Amount",
        "Debit Amount",
        "Transaction Description",
    )


def test_a_profile_needs_one_way_of_giving_amounts() -> None:
    with pytest.raises(ValueError, match="give amount_column, or credit_column and debit_column"):
        CsvProfile(
            name="broken", date_column="Date", date_formats=("%Y-%m-%d",), description_columns=("Memo",)
        )


@pytest.mark.parametrize(
    ("text", "decimal_comma", "amount"),
    [
        ("1,234.56", False, "1234.56"),
        ("-12.5", False, "-12.5"),
        ("+7", False, "7"),
        ("1.234,56", True, "1234.56"),
        ("1 234,56", True, "1234.56"),
        ("-0,10", True, "-0.10"),
    ],
)
def test_amounts_are_read_exactly(text: str, decimal_comma: bool, amount: str) -> None:
    parsed = parse_amount(text, decimal_comma=decimal_comma)

    assert parsed == Decimal(amount) and str(parsed) == amount


@pytest.mark.parametrize("text", ["£12.00", "12,34.5", "1.234,56", "12.", "", "12 GBP", "1e3", "NaN"])
def test_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)
