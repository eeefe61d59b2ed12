"""OFX statements from ofxparse's own sample files, and the ones that must be refused."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.core.money import Money
from arrears.intake.bank import StatementError, read_statement


def test_bank_statement(bank_data: Path) -> None:
    (statement,) = read_statement(bank_data / "ofx" / "bank_medium.ofx")

    assert statement.format == "ofx"
    assert (statement.account, statement.bank, statement.currency) == (
        "12300 000012345678",
        "160000100",
        "CAD",
    )
    assert statement.opening_balance is None
    assert statement.closing_balance == Money.of("382.34", "CAD")
    assert statement.reconciles is None
    assert (statement.from_date, statement.to_date) == (date(2009, 4, 1), date(2009, 5, 23))
    first, cheque, last = statement.transactions
    assert first.amount == Money.of("-6.60", "CAD")
    assert first.booking_date == date(2009, 4, 1)
    assert first.counterparty_name == "MCDONALD'S #112"
    assert first.narration == "POS MERCHANDISE;MCDONALD'S #112"
    assert first.bank_reference == "0000123456782009040100001"
    assert first.transaction_code == "POS"
    assert cheque.amount == Money.of("-316.67", "CAD")
    assert cheque.reference is None  # CHECKNUM 0 is no cheque number
    assert last.amount == Money.of("-22.00", "CAD")


def test_checking_statement(bank_data: Path) -> None:
    (statement,) = read_statement(bank_data / "ofx" / "checking.ofx")

    assert (statement.account, statement.currency) == ("1452687~7", "USD")
    assert statement.closing_balance == Money.of("100.99", "USD")
    amounts = [t.amount.amount for t in statement.transactions]
    assert amounts == [Decimal("0.01"), Decimal("-34.51"), Decimal("-25.00")]
    dividend, withdrawal, fee = statement.transactions
    assert dividend.is_credit and not withdrawal.is_credit
    assert dividend.booking_date == date(2011, 3, 31)
    assert fee.reference == "319"  # the cheque number
    assert fee.narration == "RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11"


@pytest.mark.parametrize("name", ["multiple_accounts.ofx", "multiple_accounts2.ofx"])
def test_one_statement_per_account(bank_data: Path, name: str) -> None:
    statements = read_statement(bank_data / "ofx" / name)

    assert [(s.account, s.currency, s.closing_balance) for s in statements] == [
        ("9100", "USD", Money.of("111", "USD")),
        ("9200", "USD", Money.of("222", "USD")),
    ]
    assert all(s.transactions == () for s in statements)


@pytest.mark.parametrize("name", ["suncorp.ofx", "anzcc.ofx"])
def test_other_bank_and_card_statements(bank_data: Path, name: str) -> None:
    (statement,) = read_statement(bank_data / "ofx" / name)

    assert statement.currency == "AUD"
    assert len(statement.transactions) == 1


def test_booking_date_is_the_date_the_bank_wrote(fixtures: Path) -> None:
    # 20:30 EST on 2 March is 01:30 UTC on 3 March; the bank booked it on 2 March.
    (statement,) = read_statement(fixtures / "ofx_late_posting.ofx")

    payment, coffee, second_coffee = statement.transactions
    assert payment.booking_date == date(2026, 3, 2)
    assert payment.value_date == date(2026, 3, 3)  # DTAVAIL
    assert payment.amount == Money.of("1250.00", "GBP")  # "1,250.00"
    assert statement.to_date == date(2026, 3, 2)
    assert coffee.fingerprint != second_coffee.fingerprint


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "fail_nice/date_missing.ofx",
            r"^date_missing\.ofx statement 1 \(account 192639749\): transaction FITID 184997056: "
            r"Missing Transaction Date \(a required field\); .*day is out of range for month",
        ),
        (
            "fail_nice/decimal_error.ofx",
            r"^decimal_error\.ofx statement 1 \(account 192639749\): transaction FITID 2000957249: "
            r"Invalid Transaction Amount: '\$120'$",
        ),
        (
            "fail_nice/empty_balance.ofx",
            r"^empty_balance\.ofx statement 1 \(account 192639749\): ledger balance amount was empty$",
        ),
        ("ofx-v102-empty-tags.ofx", r"^ofx-v102-empty-tags\.ofx statement 1 .*Currency definition was empty"),
        ("bank_small.ofx", r"^bank_small\.ofx: not a bank statement: the file holds no statement"),
        ("account_listing_aggregation.ofx", r"not a bank statement: the file holds an account list"),
        (
            "error_message.ofx",
            r"^error_message\.ofx STMTTRNRS: the bank reported an error: General Server Error",
        ),
        ("signon_fail.ofx", r"^signon_fail\.ofx SONRS: the bank refused the sign-on: .* \(code 15500\)$"),
    ],
)
def test_malformed_and_empty_files_give_clear_errors(bank_data: Path, name: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        read_statement(bank_data / "ofx" / name)


@pytest.mark.parametrize(
    "name",
    [
        "investment_medium.ofx",
        "investment_401k.ofx",
        "fidelity.ofx",
        "fidelity-savings.ofx",
        "vanguard.ofx",
        "vanguard401k.ofx",
        "td_ameritrade.ofx",
        "tiaacref.ofx",
    ],
)
def test_investment_statements_are_not_bank_statements(bank_data: Path, name: str) -> None:
    with pytest.raises(StatementError, match=rf"^{name}: not a bank statement \(investment account\)"):
        read_statement(bank_data / "ofx" / name)


def test_a_damaged_transaction_spoils_the_whole_file(bank_data: Path, tmp_path: Path) -> None:
    text = (bank_data / "ofx" / "bank_medium.ofx").read_text(encoding="ascii")
    damaged = tmp_path / "damaged.ofx"
    damaged.write_text(text.replace("<TRNAMT>-22.00", "<TRNAMT>-22.00.1"), encoding="ascii")

    with pytest.raises(StatementError, match=r"^damaged\.ofx statement 1 .*FITID 0000123456782009040300005"):
        read_statement(damaged)
