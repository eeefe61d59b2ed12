"""MT940 statements read against the expectations that ship with the mt-940 package's samples.

Each `.yml` beside a sample holds what mt-940 (with its default options) parsed from the
whole file: the last statement's balances and every transaction. Arrears reads each
statement on its own and switches on mt-940's fixes, so the comparison allows for those:
a reversal of a credit (RC) is a debit here, and statement narrative after the closing
balance is not glued onto the last transaction.
"""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import mt940
import pytest
import yaml

from arrears.core.money import Money
from arrears.intake.bank import BankStatement, StatementError, read_statement
from arrears.intake.bank.statement import normalise_text

WITH_EXPECTATIONS = [
    "jejik/abnamro.sta",
    "jejik/generic.sta",
    "jejik/ing.sta",
    "jejik/knab.sta",
    "jejik/postfinance.sta",
    "jejik/rabobank-iban.sta",
    "jejik/rabobank.sta",
    "jejik/sns.sta",
    "jejik/triodos.sta",
    "betterplace/sepa_snippet.sta",
    "betterplace/sepa_mt9401.sta",
    "betterplace/with_binary_character.sta",
    "cmxl/mt940.sta",
    "mBank/mt940.sta",
    "mBank/with_newline_in_tnr.sta",
    "sberbank/171011_01234945.sta",
    "self-provided/details_60-63.sta",
    "self-provided/february_30.sta",
    "self-provided/long_statement_number.sta",
    "self-provided/raiffeisen-cmi.sta",
    "self-provided/transaction_details_wrapped.sta",
    "self-provided/whitespace.sta",
    "self-provided/wrapped_timestamp.sta",
]

TEXT_KEYS = ("purpose", "additional_purpose", "posting_text", "transaction_details", "extra_details")


def expectation(path: Path) -> Any:
    with path.with_suffix(".yml").open(encoding="utf-8") as handle:
        # The expectations are pickled mt-940 objects, which only the full loader rebuilds.
        expected = yaml.load(handle, Loader=yaml.Loader)
    assert isinstance(expected, mt940.models.Transactions)
    return expected


def balances(statements: list[BankStatement]) -> set[Money]:
    return {b for s in statements for b in (s.opening_balance, s.closing_balance) if b is not None}


@pytest.mark.parametrize("name", WITH_EXPECTATIONS)
def test_statement_matches_the_expected_parse(bank_data: Path, name: str) -> None:
    path = bank_data / "mt940" / name
    expected = expectation(path)

    statements = read_statement(path)

    assert {s.format for s in statements} == {"mt940"}
    # mt-940 cuts :25: at SWIFT's 35 characters; Arrears keeps what the bank wrote.
    assert statements[-1].account[:35].strip() == expected.data["account_identification"].strip()
    for key in ("final_opening_balance", "final_closing_balance", "intermediate_closing_balance"):
        if key in expected.data:
            amount = expected.data[key].amount
            assert Money(amount.amount, amount.currency) in balances(statements), key
    transactions = [t for s in statements for t in s.transactions]
    assert len(transactions) == len(expected.transactions)
    for transaction, line in zip(transactions, (t.data for t in expected.transactions), strict=True):
        sign = -1 if line["status"].upper() == "RC" else 1  # mt-940's default leaves RC positive
        assert transaction.amount == Money(sign * line["amount"].amount, line["amount"].currency)
        assert transaction.value_date == line["date"]
        assert transaction.booking_date == line.get("entry_date") or line["date"]
        bank_reference = line.get("bank_reference") or None
        assert transaction.bank_reference == (None if bank_reference == "NONREF" else bank_reference)
        texts = normalise_text(" ".join(str(line.get(k) or "") for k in TEXT_KEYS))
        assert normalise_text(transaction.narration) in texts
        if line.get("transaction_details", "").strip():
            assert transaction.narration


def test_reversal_of_a_credit_is_a_debit(bank_data: Path) -> None:
    statement = read_statement(bank_data / "mt940" / "betterplace" / "sepa_mt9401.sta")[0]

    # :61:0709040904RCR204,88NRTINONREF: RC is a reversal of a credit, money going out.
    reversals = [t for t in statement.transactions if t.amount.amount.copy_abs() == Decimal("204.88")]
    assert [t.amount for t in reversals] == [Money.of("-204.88", "EUR")]
    assert statement.reconciles is True


def test_asn_bank_statements_read_with_its_own_line_layout(bank_data: Path) -> None:
    statements = read_statement(bank_data / "mt940" / "ASNB" / "mt940.txt")

    assert len(statements) == 31
    assert {s.account for s in statements} == {"NL81ASNB9999999999"}
    assert all(s.reconciles for s in statements)
    first = statements[0]
    assert first.statement_id == "1/1"
    assert (first.opening_balance, first.closing_balance) == (
        Money.of("444.29", "EUR"),
        Money.of("379.29", "EUR"),
    )
    (payment,) = first.transactions
    assert payment.amount == Money.of("-65.00", "EUR")
    assert payment.booking_date == payment.value_date == date(2020, 1, 1)
    assert payment.counterparty_account == "NL47INGB9999999999"
    assert payment.counterparty_name == "hr gjlm paulissen"
    assert payment.narration.endswith("Betaling sieraden")
    credits = [t for s in statements for t in s.transactions if t.is_credit]
    assert [t.amount.amount for t in credits] == [Decimal("1000.00"), Decimal("828.72"), Decimal("1000.18")]


def test_asn_bank_entry_date_may_be_left_blank(bank_data: Path) -> None:
    plain = read_statement(bank_data / "mt940" / "ASNB" / "mt940.txt")
    spaced = read_statement(bank_data / "mt940" / "ASNB" / "mt940_with_spaces_for_entry_date.txt")

    plain_lines = [(t.booking_date, t.amount) for s in plain for t in s.transactions]
    spaced_lines = [(t.booking_date, t.amount) for s in spaced for t in s.transactions]
    assert spaced_lines == plain_lines


def test_citi_statement(bank_data: Path) -> None:
    (statement,) = read_statement(bank_data / "mt940" / "citi" / "mt940.txt")

    assert (statement.account, statement.currency, statement.statement_id) == ("123456789", "USD", "1/1")
    assert statement.opening_balance == Money.of("17376.67", "USD")
    assert statement.closing_balance == Money.of("16233.92", "USD")
    assert statement.reconciles is True
    assert [t.amount.amount for t in statement.transactions] == [
        Decimal("-212.39"),
        Decimal("-369.28"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("-561.08"),
    ]
    assert statement.transactions[0].narration.startswith("/PT/FT/PY/SOMETHING FOO BAR")
    assert statement.transactions[0].reference is None  # NONREF
    assert statement.transactions[2].narration == "/ABC/DEF/C 37897,00 BAI CD 025"


def minimal_statement(tmp_path: Path, *tags: str, name: str = "snippet.sta") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([*tags, "-", ""]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "amount"),
    [
        ("380115,12", "380115.12"),
        ("380115,1", "380115.1"),
        ("380115,", "380115"),
        ("0,12", "0.12"),
        ("00,12", "0.12"),
        ("001,12", "1.12"),
    ],
)
def test_amount_formats(bank_data: Path, tmp_path: Path, line: str, amount: str) -> None:
    sample = (bank_data / "mt940" / "betterplace" / "amount_formats.sta").read_text(encoding="utf-8")
    assert f":60F:C100318EUR{line}\n" in sample + "\n"
    path = minimal_statement(
        tmp_path, ":20:AMOUNTS", ":25:ACCOUNT", ":28C:1/1", f":60F:C100318EUR{line}", f":62F:C100318EUR{line}"
    )

    (statement,) = read_statement(path)

    assert statement.opening_balance == Money.of(amount, "EUR")
    if line == "001,12":  # the last line is the one the sample's expectation keeps
        expected = expectation(bank_data / "mt940" / "betterplace" / "amount_formats.sta")
        assert statement.opening_balance.amount == expected.data["final_opening_balance"].amount.amount


def cmxl_fragment(bank_data: Path, name: str) -> tuple[str, Any]:
    path = bank_data / "mt940" / "cmxl" / name
    return path.read_text(encoding="utf-8").strip(), expectation(path)


def test_cmxl_balance_fragments(bank_data: Path, tmp_path: Path) -> None:
    credit, credit_expected = cmxl_fragment(bank_data, "account_balance_credit.sta")
    debit, debit_expected = cmxl_fragment(bank_data, "account_balance_debit.sta")
    closing, closing_expected = cmxl_fragment(bank_data, "closing_balance.sta")
    available, _ = cmxl_fragment(bank_data, "available_balance.sta")
    header = (":20:CMXL", ":25:ACCOUNT", ":28C:1/1")

    (with_credit,) = read_statement(
        minimal_statement(tmp_path, *header, credit, closing, available, name="c.sta")
    )
    (with_debit,) = read_statement(minimal_statement(tmp_path, *header, debit, closing, name="d.sta"))

    for statement, expected in ((with_credit, credit_expected), (with_debit, debit_expected)):
        assert statement.opening_balance is not None
        assert statement.opening_balance.amount == expected.data["final_opening_balance"].amount.amount
    assert with_credit.closing_balance is not None
    assert with_credit.closing_balance.amount == closing_expected.data["final_closing_balance"].amount.amount
    assert with_credit.from_date == date(2014, 8, 29) and with_credit.to_date == date(2014, 9, 1)


@pytest.mark.parametrize("name", ["account_identification_iban.sta", "account_identification_legacy.sta"])
def test_cmxl_account_identification(bank_data: Path, tmp_path: Path, name: str) -> None:
    account, expected = cmxl_fragment(bank_data, name)

    (statement,) = read_statement(
        minimal_statement(
            tmp_path, ":20:CMXL", account, ":28C:1/1", ":60F:C140829EUR0,00", ":62F:C140829EUR0,00"
        )
    )

    assert statement.account == expected.data["account_identification"]


def test_cmxl_statement_line_with_structured_details(bank_data: Path, tmp_path: Path) -> None:
    line, line_expected = cmxl_fragment(bank_data, "statement_line.sta")
    details, details_expected = cmxl_fragment(bank_data, "statement_details.sta")
    assert details.startswith(line)

    (statement,) = read_statement(
        minimal_statement(
            tmp_path,
            ":20:CMXL",
            ":25:ACCOUNT",
            ":28C:1/1",
            ":60F:C140829EUR1,62",
            details,
            ":62F:C140902EUR0,00",
        )
    )

    (transaction,) = statement.transactions
    expected_line = line_expected.transactions[0].data
    expected_details = details_expected.transactions[0].data
    assert transaction.amount == Money(expected_line["amount"].amount, "EUR")
    assert transaction.value_date == expected_line["date"] == date(2014, 9, 1)
    assert transaction.booking_date == expected_line["entry_date"] == date(2014, 9, 2)
    assert transaction.bank_reference == expected_line["bank_reference"]
    assert transaction.reference == expected_line["customer_reference"]
    assert transaction.end_to_end_id == expected_details["end_to_end_reference"]
    assert transaction.narration == expected_details["purpose"]
    assert transaction.counterparty_name == expected_details["applicant_name"].split("?")[-1].strip()
    assert transaction.transaction_code == expected_details["transaction_code"]
    assert statement.reconciles is True


def test_structured_details_give_counterparty_and_remittance(fixtures: Path) -> None:
    (statement,) = read_statement(fixtures / "mt940_gbp.sta")

    payment, coffee, second_coffee = statement.transactions
    assert (statement.account, statement.currency, statement.statement_id) == (
        "20325312345678",
        "GBP",
        "61/1",
    )
    assert payment.counterparty_name == "ACME WIDGETS LTD"
    assert payment.counterparty_account == "GB29NWBK60161331926819"
    assert payment.reference == "INV-1042"
    assert payment.end_to_end_id == "INV-1042"
    assert payment.narration == "INVOICE INV-1042"
    # Narrative after the closing balance belongs to the statement, not to the last line.
    assert second_coffee.narration == coffee.narration == "CARD PAYMENT TO CORNER CAFE"
    assert statement.reconciles is True


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "betterplace/sepa_snippet_broken.sta",
            r"^sepa_snippet_broken\.sta line 6: a second :25: in the statement that starts on line 1$",
        ),
        (
            "self-provided/raphaelm.sta",
            r"^raphaelm\.sta line 27: :62M: balance 'C020315105000,00' is not D/C mark",
        ),
        ("self-provided/mt942.sta", r"^mt942\.sta line 1: an MT942 interim report is not a statement"),
        ("mBank/mt942.sta", r"^mt942\.sta line 2: an MT942 interim report is not a statement"),
        (
            "betterplace/missing_crlf_at_end.sta",
            r"^missing_crlf_at_end\.sta line 1: :62F: outside a statement",
        ),
        (
            "betterplace/empty_line.sta",
            r"^empty_line\.sta line 2: the statement has no :25: account identification",
        ),
        ("self-provided/gv_codes.sta", r"^gv_codes\.sta line 1: the statement has no closing balance"),
        ("cmxl/reference.sta", r"^reference\.sta line 1: the statement has no :25:"),
        ("self-provided/multiline.sta", r"^multiline\.sta line 38: :61: outside a statement"),
    ],
)
def test_malformed_samples_are_refused_with_their_line(bank_data: Path, name: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        read_statement(bank_data / "mt940" / name, format="mt940")


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("mt940_bad_amount.sta", r"line 5: :61: '12,50,00' is not an amount"),
        ("mt940_bad_date.sta", r"line 5: :61: value date '261304' is not a date"),
        ("mt940_bad_line.sta", r"line 5: :61: '2603070307X5,00NTRFNONREF' does not follow the MT940 layout"),
        (
            "mt940_line_after_closing.sta",
            r"line 6: :61: statement line outside the opening and closing balances",
        ),
        ("mt940_no_closing.sta", r"line 1: the statement has no closing balance"),
    ],
)
def test_malformed_statements_are_refused_with_their_line(fixtures: Path, fixture: str, message: str) -> None:
    with pytest.raises(StatementError, match=f"^{re.escape(fixture)} {message}"):
        read_statement(fixtures / fixture)


def test_a_statement_with_a_non_ascii_reference_is_read(bank_data: Path) -> None:
    # Named "with_binary_character", but the character is a UTF-8 Ü in the :20: reference.
    statements = read_statement(bank_data / "mt940" / "betterplace" / "with_binary_character.sta")

    assert [s.statement_id for s in statements] == ["00027/00001", "00053/00001"]
    assert all(s.reconciles for s in statements)


def test_code_page_852_text_is_read(bank_data: Path) -> None:
    (statement,) = read_statement(bank_data / "mt940" / "self-provided" / "raiffeisen-cmi.sta")

    assert "UV, napi összevont utánvét, 2018.04" in statement.transactions[0].narration


def test_control_characters_are_refused_with_their_line(tmp_path: Path) -> None:
    path = minimal_statement(
        tmp_path,
        ":20:CONTROL",
        ":25:ACCOUNT",
        ":28C:1/1",
        ":60F:C260302GBP1,00",
        ":61:2603020302C1,00NTRFNONREF",
        ":86:PAGE\x0cBREAK",
        ":62F:C260302GBP2,00",
    )

    with pytest.raises(StatementError, match=r"^snippet\.sta line 6: unexpected control character"):
        read_statement(path, format="mt940")


def test_swift_transmission_framing_is_not_content(bank_data: Path) -> None:
    # mBank wraps each message in start-of-heading and end-of-text bytes.
    (statement,) = read_statement(bank_data / "mt940" / "mBank" / "mt940.sta")

    assert statement.account == "PL29114010810000267002001002"
    assert statement.reconciles is True
