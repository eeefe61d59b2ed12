"""camt.053 statements read against the golden values of OCA's bank-statement-import tests."""

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arrears.core.money import Money
from arrears.intake.bank import BankStatement, StatementError, read_statement


def golden(bank_data: Path, name: str) -> Any:
    return ast.literal_eval((bank_data / "camt053" / f"golden-{name}.pydata").read_text(encoding="utf-8"))


def exact(value: float) -> Decimal:
    """The golden files hold amounts as floats; their shortest repr is the amount written."""
    return Decimal(str(value))


def assert_matches_golden(statements: list[BankStatement], expected: Any) -> None:
    currency, account, golden_statements = expected
    assert len(statements) == len(golden_statements)
    for statement, expected_statement in zip(statements, golden_statements, strict=True):
        assert statement.currency == currency
        assert statement.account == account
        assert statement.statement_id == expected_statement["name"]
        if statement.format == "camt.053":
            assert statement.opening_balance == Money(exact(expected_statement["balance_start"]), currency)
            assert statement.closing_balance == Money(exact(expected_statement["balance_end_real"]), currency)
        transactions = statement.transactions
        assert max(t.booking_date for t in transactions).isoformat() == expected_statement["date"]
        assert len(transactions) == len(expected_statement["transactions"])
        for transaction, line in zip(transactions, expected_statement["transactions"], strict=True):
            assert transaction.amount == Money(exact(line["amount"]), currency)
            assert transaction.booking_date.isoformat() == line["date"]
            assert transaction.counterparty_account == line["account_number"]
            assert transaction.counterparty_name == line["partner_name"]
            assert transaction.reference == line["ref"]
            assert transaction.transaction_code == line["transaction_type"]
            # OCA labels a line with one of the texts Arrears keeps in the narration, except in
            # camt.054, where it falls back to the instruction id (InstrId), which is not kept.
            if not line["payment_ref"].startswith("MIB InstrId"):
                assert line["payment_ref"] in transaction.narration


def test_camt053_statement_matches_golden_values(bank_data: Path) -> None:
    statements = read_statement(bank_data / "camt053" / "test-camt053")

    assert_matches_golden(statements, golden(bank_data, "camt053"))
    assert statements[0].format == "camt.053"
    assert statements[0].bank == "ABNANL2A"
    assert (statements[0].from_date, statements[0].to_date) == (date(2014, 1, 5), date(2014, 1, 5))


def test_batched_entry_is_split_into_one_transaction_per_payment(bank_data: Path) -> None:
    statement = read_statement(bank_data / "camt053" / "test-camt053")[0]

    # Entry 2 is one debit of 664.05 made of two direct debits returned (564.05 + 100.00).
    assert [t.amount.amount for t in statement.transactions[1:3]] == [Decimal("-564.05"), Decimal("-100.00")]
    assert statement.transactions[1].end_to_end_id == "TESTBANK/NL/20141229/01206408"
    assert statement.transactions[2].end_to_end_id == "TESTBANK/NL/20141229/01206407"


def test_unstructured_remittance_and_additional_information_make_the_narration(bank_data: Path) -> None:
    first = read_statement(bank_data / "camt053" / "test-camt053")[0].transactions[0]

    assert first.narration.splitlines() == [
        "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014",
        "MKB Insurance 859239PERIOD 01.01.2014 - 31.12.2014",
    ]


def test_camt053_transaction_details_match_golden_values(bank_data: Path) -> None:
    statements = read_statement(bank_data / "camt053" / "test-camt053-txdtls")

    assert_matches_golden(statements, golden(bank_data, "camt053-txdtls"))
    statement = statements[0]
    assert statement.reconciles is True
    assert statement.transactions[0].value_date == date(2017, 3, 23)
    assert statement.transactions[0].bank_reference == "123456CHCAFEBABE"


def test_statement_without_entries_has_balances_and_no_transactions(bank_data: Path) -> None:
    # OCA's importer drops such a statement (its golden is empty); Arrears keeps the balances.
    assert golden(bank_data, "camt053-no-ntry") == (None, None, [])

    statements = read_statement(bank_data / "camt053" / "test-camt053-no-ntry")

    assert len(statements) == 1
    statement = statements[0]
    assert statement.transactions == ()
    assert statement.currency == "CHF"
    assert statement.opening_balance == Money.of("1520.76", "CHF")
    assert statement.reconciles is True


def test_camt054_notification_is_read_without_balances(bank_data: Path) -> None:
    statements = read_statement(bank_data / "camt053" / "test-camt054")

    assert_matches_golden(statements, golden(bank_data, "camt054"))
    statement = statements[0]
    assert statement.format == "camt.054"
    assert statement.opening_balance is None and statement.closing_balance is None
    assert statement.reconciles is None
    assert statement.transactions[0].end_to_end_id == "ENDTOENDID-01"


def test_version_08_statement_with_party_and_structured_references(fixtures: Path) -> None:
    statement = read_statement(fixtures / "camt053_v08_gbp.xml")[0]

    assert (statement.account, statement.currency, statement.bank) == (
        "GB33BUKB20201555555555",
        "GBP",
        "BUKBGB22",
    )
    assert statement.opening_balance == Money.of("-250.00", "GBP")  # PRCD, debit
    assert statement.reconciles is True
    payment, fee, cash = statement.transactions
    assert payment.amount == Money.of("1200.50", "GBP")
    assert payment.counterparty_name == "Acme Widgets Ltd"
    assert payment.counterparty_account == "40051512345678"
    assert payment.narration == "INV-1042 AND INV-1043"
    assert payment.end_to_end_id is None  # NOTPROVIDED
    assert payment.booking_date == date(2026, 3, 2)  # from BookgDt/DtTm
    assert fee.amount == Money.of("-30.40", "GBP")
    assert fee.counterparty_name == "Barclays Bank UK PLC"
    assert fee.reference == "RF18539007547034"
    assert fee.narration.splitlines() == ["FEE-2026-02", "MONTHLY ACCOUNT FEE"]
    assert fee.transaction_code == "CHRG"
    assert cash.narration == "CASH PAID IN"
    assert cash.value_date is None


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("camt053_truncated.xml", r"camt053_truncated\.xml line 14: not well-formed XML"),
        ("camt053_pending.xml", r"camt053_pending\.xml line 15 \(entry 2\): Sts: entry status is PDNG"),
        (
            "camt052_report.xml",
            r"camt052_report\.xml: a camt\.052 account report \(intraday\) is not a statement",
        ),
    ],
)
def test_malformed_or_unsupported_files_are_refused(fixtures: Path, fixture: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        read_statement(fixtures / fixture)


def broken_copy(bank_data: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = (bank_data / "camt053" / "test-camt053").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken-camt053.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '<Amt Ccy="EUR">754.25</Amt>',
            '<Amt Ccy="EUR">754,25</Amt>',
            r"line 51: Amt: '754,25' is not an amount",
        ),
        ("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>", r"\(entry 1\): CdtDbtInd: DEBIT"),
        (
            "<Dt>2014-01-05</Dt>\n                </BookgDt>",
            "<Dt>2014-13-05</Dt>\n                </BookgDt>",
            r"BookgDt/Dt: '2014-13-05' is not a date",
        ),
        (
            '<Amt Ccy="EUR">100.00</Amt>',
            '<Amt Ccy="EUR">110.00</Amt>',
            r"\(entry 2\): the entry's 2 transactions add up to -674\.05, but the entry is -664\.05",
        ),
        (
            '<Amt Ccy="EUR">1405.31</Amt>',
            '<Amt Ccy="USD">1405.31</Amt>',
            r"amount in USD, but the statement is in EUR",
        ),
        ("<IBAN>NL77ABNA0574908765</IBAN>", "", r"Acct/Id: the statement names no account"),
        (
            "camt.053.001.02",
            "pain.001.001.03",
            r"XML namespace 'urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.03' is not",
        ),
        (
            '<Amt Ccy="EUR">754.25</Amt>',
            '<Amt Ccy="EUR">754.255</Amt>',
            r"754\.255 has more decimal places than EUR allows",
        ),
    ],
)
def test_a_damaged_statement_gives_a_clear_error_and_nothing_else(
    bank_data: Path, tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(StatementError, match=r"^broken-camt053\.xml[ :].*" + message):
        read_statement(broken_copy(bank_data, tmp_path, old, new))
