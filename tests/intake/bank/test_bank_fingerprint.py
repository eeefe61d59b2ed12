"""The fingerprint is the transaction's identity: the bank's id when the line has one, else its
facts, with occurrences counted within each statement (`arrears.intake.bank.fingerprint`)."""

import re
from datetime import date
from pathlib import Path

from arrears.core.money import Money
from arrears.intake.bank import read_statement
from arrears.intake.bank.fingerprint import LineFacts, statement_fingerprints

ACCOUNT = "GB33BUKB20201555555555"


def facts(
    amount: str = "50.00",
    *,
    bank_reference: str | None = None,
    name: str | None = "Harrington Joinery Ltd",
    payer_account: str | None = "40051512345678",
    reference: str | None = "HJ MARCH",
    narration: str = "HJ MARCH",
) -> LineFacts:
    return LineFacts(
        date(2026, 3, 2),
        Money.of(amount, "GBP"),
        bank_reference,
        name,
        payer_account,
        reference,
        None,
        narration,
    )


def test_the_banks_id_decides_when_the_line_has_one() -> None:
    first, second = statement_fingerprints(ACCOUNT, [facts(bank_reference="B1"), facts(bank_reference="B2")])
    (reprinted,) = statement_fingerprints(ACCOUNT, [facts(bank_reference="B1", narration="HJ MARCH PAGE 2")])

    assert first != second  # alike in every fact, booked apart by the bank
    assert reprinted == first  # the same booking, whatever text surrounds it


def test_without_an_id_the_facts_decide_and_alike_lines_are_counted() -> None:
    one, two, other_payer = statement_fingerprints(ACCOUNT, [facts(), facts(), facts(payer_account="999")])
    respaced = statement_fingerprints(
        ACCOUNT, [facts(narration=" HJ  MARCH\n"), facts(reference="HJ\tMARCH")]
    )

    assert len({one, two, other_payer}) == 3  # two alike payments are occurrences 0 and 1
    assert respaced == [one, two]  # whitespace is folded: the same facts


def test_occurrences_restart_with_each_statement() -> None:
    first_statement = statement_fingerprints(ACCOUNT, [facts(), facts()])
    overlapping = statement_fingerprints(ACCOUNT, [facts(), facts(), facts("75.00")])

    assert overlapping[:2] == first_statement
    assert statement_fingerprints(ACCOUNT.lower(), [facts()])[0] == first_statement[0]
    assert statement_fingerprints("GB00OTHER", [facts()])[0] != first_statement[0]


def _doubled(sample: Path, block: str, copy: Path) -> Path:
    """`sample` written to `copy` with its first `block` element (a statement) given twice."""
    text = sample.read_text(encoding="utf-8")
    found = re.search(rf"<{block}>.*</{block}>", text, re.DOTALL)
    assert found is not None, f"{sample.name} has no <{block}>"
    copy.write_text(text.replace(found.group(0), found.group(0) * 2), encoding="utf-8")
    return copy


def test_a_real_camt053_statement_repeated_in_one_message_has_the_same_fingerprints(
    bank_data: Path, tmp_path: Path
) -> None:
    doubled = _doubled(bank_data / "camt053" / "test-camt053", "Stmt", tmp_path / "doubled.xml")

    once, twice = read_statement(doubled)

    assert [t.fingerprint for t in twice.transactions] == [t.fingerprint for t in once.transactions]


def test_a_real_ofx_statement_repeated_has_the_same_fingerprints_by_fitid(
    bank_data: Path, tmp_path: Path
) -> None:
    doubled = _doubled(bank_data / "ofx" / "checking.ofx", "STMTTRNRS", tmp_path / "doubled.ofx")

    once, twice = read_statement(doubled)

    assert once.transactions and all(t.bank_reference for t in once.transactions)  # FITIDs
    assert [t.fingerprint for t in twice.transactions] == [t.fingerprint for t in once.transactions]


def test_a_real_mt940_file_downloaded_twice_into_one_file_repeats_its_fingerprints(
    bank_data: Path, tmp_path: Path
) -> None:
    data = (bank_data / "mt940" / "jejik" / "abnamro.sta").read_bytes()
    doubled = tmp_path / "doubled.sta"
    doubled.write_bytes(data + b"\r\n" + data)

    statements = read_statement(doubled)

    half = len(statements) // 2
    assert half and len(statements) == 2 * half
    fingerprints = [[t.fingerprint for t in s.transactions] for s in statements]
    assert fingerprints[half:] == fingerprints[:half]
