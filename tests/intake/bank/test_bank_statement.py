"""What every format shares: detection, fingerprints, balances and the rules of the values."""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.core.money import Money
from arrears.intake.bank import FORMATS, StatementError, detect_format, read_statement
from arrears.intake.bank.statement import (
    BalanceDraft,
    StatementDraft,
    TransactionDraft,
    finish_statements,
)

SAMPLES = [
    ("camt053/test-camt053", "camt.053"),
    ("camt053/test-camt053-txdtls", "camt.053"),
    ("camt053/test-camt054", "camt.054"),
    ("mt940/jejik/abnamro.sta", "mt940"),
    ("mt940/ASNB/mt940.txt", "mt940"),
    ("mt940/betterplace/sepa_mt9401.sta", "mt940"),
    ("mt940/cmxl/mt940.sta", "mt940"),
    ("ofx/bank_medium.ofx", "ofx"),
    ("ofx/checking.ofx", "ofx"),
]


@pytest.mark.parametrize(("name", "statement_format"), SAMPLES)
def test_format_is_detected_from_the_content(bank_data: Path, name: str, statement_format: str) -> None:
    statements = read_statement(bank_data / name)

    assert {s.format for s in statements} == {statement_format}
    assert {s.source for s in statements} == {Path(name).name}


@pytest.mark.parametrize(
    ("fixture", "detected"),
    [
        ("camt053_v08_gbp.xml", "camt"),
        ("mt940_gbp.sta", "mt940"),
        ("ofx_late_posting.ofx", "ofx"),
        ("csv_lloyds.csv", "csv"),
        ("csv_decimal_comma.csv", "csv"),
    ],
)
def test_detect_format(fixtures: Path, fixture: str, detected: str) -> None:
    assert detect_format((fixtures / fixture).read_bytes()) == detected


@pytest.mark.parametrize(("name", "_format"), SAMPLES)
def test_fingerprints_are_stable_across_reads_and_distinct_across_lines(
    bank_data: Path, name: str, _format: str
) -> None:
    first = [t.fingerprint for s in read_statement(bank_data / name) for t in s.transactions]
    second = [t.fingerprint for s in read_statement(bank_data / name) for t in s.transactions]

    assert first == second
    assert len(set(first)) == len(first)
    assert all(len(f) == 64 for f in first)


def test_reimporting_a_statement_adds_nothing(bank_data: Path, tmp_path: Path) -> None:
    # The same statement saved again under another name is recognised line by line.
    original = bank_data / "mt940" / "jejik" / "abnamro.sta"
    again = tmp_path / "downloaded-again.sta"
    shutil.copy(original, again)
    recorded = {t.fingerprint for s in read_statement(original) for t in s.transactions}

    new_lines = [t for s in read_statement(again) for t in s.transactions if t.fingerprint not in recorded]

    assert recorded and new_lines == []


def test_identical_lines_keep_their_own_fingerprints(fixtures: Path) -> None:
    (statement,) = read_statement(fixtures / "mt940_gbp.sta")
    coffee, second_coffee = statement.transactions[1:]

    assert (coffee.amount, coffee.booking_date, coffee.narration) == (
        second_coffee.amount,
        second_coffee.booking_date,
        second_coffee.narration,
    )
    assert coffee.fingerprint != second_coffee.fingerprint


def test_credits_are_positive_and_debits_negative(bank_data: Path) -> None:
    statement = read_statement(bank_data / "camt053" / "test-camt053")[0]

    assert [t.is_credit for t in statement.transactions] == [False, False, False, True]
    assert statement.transactions[3].amount == Money.of("1405.31", "EUR")


def test_balance_difference_shows_when_lines_are_missing(bank_data: Path) -> None:
    (agrees,) = read_statement(bank_data / "mt940" / "citi" / "mt940.txt")
    disagrees = read_statement(bank_data / "mt940" / "jejik" / "abnamro.sta")[0]

    assert agrees.balance_difference == Money.zero("USD") and agrees.reconciles is True
    # The sample's lines do not add up to its balances: kept, but visible.
    assert disagrees.balance_difference == Money.of("2038.00", "EUR")
    assert disagrees.reconciles is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"^statement\.dat: the file is empty$"),
        (b"%PDF-1.7\n...", r"^statement\.dat: not a bank statement file but a PDF document$"),
        (b"PK\x03\x04....", r"^statement\.dat: not a bank statement file but a ZIP archive"),
        (
            b'<?xml version="1.0"?><Invoice xmlns="urn:example"/>',
            r"^statement\.dat: XML namespace 'urn:example' is not",
        ),
        (b"\x00\x01\x02\xff\xfe", r"^statement\.dat row 1: no known bank CSV layout fits the header"),
    ],
)
def test_files_that_are_not_statements(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "statement.dat"
    path.write_bytes(content)

    with pytest.raises(StatementError, match=message):
        read_statement(path)


def test_a_missing_file_is_a_statement_error(tmp_path: Path) -> None:
    with pytest.raises(StatementError, match=r"^nowhere\.sta: cannot be read"):
        read_statement(tmp_path / "nowhere.sta")


def test_format_names(fixtures: Path) -> None:
    assert set(FORMATS.values()) == {"camt", "mt940", "ofx", "csv"}
    with pytest.raises(StatementError, match=r"unknown statement format 'pdf'; use one of camt, camt\.053"):
        read_statement(fixtures / "mt940_gbp.sta", format="pdf")


def test_a_forced_format_that_does_not_fit_is_an_error(fixtures: Path) -> None:
    with pytest.raises(StatementError, match=r"^mt940_gbp\.sta: not a readable OFX file"):
        read_statement(fixtures / "mt940_gbp.sta", format="ofx")


def line(amount: str, currency: str = "GBP", narration: str = "x") -> TransactionDraft:
    return TransactionDraft("line 9", date(2026, 3, 2), None, Decimal(amount), currency, narration)


def draft(*lines: TransactionDraft, currency: str = "GBP", account: str = "12345678") -> StatementDraft:
    return StatementDraft("line 1", account, currency, transactions=lines)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (draft(currency="XYZ"), r"^s\.sta line 1: 'XYZ' is not an ISO 4217 currency code$"),
        (draft(currency=""), r"^s\.sta line 1: the statement gives no currency$"),
        (draft(account="  "), r"^s\.sta line 1: the statement names no account$"),
        (draft(line("1.005")), r"^s\.sta line 9: amount 1\.005 has more decimal places than GBP allows$"),
        (draft(line("1.00", "EUR")), r"^s\.sta line 9: amount in EUR, but the statement is in GBP$"),
        (draft(line("NaN")), r"^s\.sta line 9: Decimal\('NaN'\) is not an exact amount$"),
    ],
)
def test_values_are_checked_before_any_statement_is_returned(statement: StatementDraft, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        finish_statements("s.sta", "mt940", [statement])


def test_fingerprint_ignores_spacing_and_the_file_name_but_not_the_account() -> None:
    spaced = finish_statements("a.sta", "mt940", [draft(line("5.00", narration="INV  1042\n paid"))])
    plain = finish_statements("b.sta", "mt940", [draft(line("5.00", narration="INV 1042 paid"))])
    other_account = finish_statements(
        "a.sta", "mt940", [draft(line("5.00", narration="INV 1042 paid"), account="9")]
    )
    other_amount = finish_statements("a.sta", "mt940", [draft(line("5.01", narration="INV 1042 paid"))])

    fingerprint = spaced[0].transactions[0].fingerprint
    assert plain[0].transactions[0].fingerprint == fingerprint
    assert other_account[0].transactions[0].fingerprint != fingerprint
    assert other_amount[0].transactions[0].fingerprint != fingerprint


def test_a_line_printed_in_two_statements_of_one_file_is_one_transaction() -> None:
    # A line repeated on two pages, or in two overlapping statements, is the same payment:
    # occurrences are counted within each statement, never across the file.
    pages = [draft(line("5.00")), draft(line("5.00"), line("5.00"))]

    first, second = finish_statements("pages.sta", "mt940", pages)

    assert first.transactions[0].fingerprint == second.transactions[0].fingerprint
    assert second.transactions[1].fingerprint != second.transactions[0].fingerprint


def test_balances_are_money_in_the_statement_currency() -> None:
    statement = StatementDraft(
        "line 1",
        "12345678",
        "GBP",
        opening_balance=BalanceDraft("line 2", Decimal("-10.00"), "GBP"),
        closing_balance=BalanceDraft("line 5", Decimal("-5.00"), "GBP"),
        transactions=[line("5.00")],
    )

    (finished,) = finish_statements("s.sta", "mt940", [statement])

    assert finished.opening_balance == Money.of("-10.00", "GBP")
    assert finished.reconciles is True
