"""Open Financial Exchange (OFX 1.x SGML and 2.x XML) bank statements, read with ofxparse.

Rules followed here:

- a file holds one statement per bank (`STMTRS`) or credit-card (`CCSTMTRS`) account;
  investment statements (`INVSTMTRS`) and bare account lists are refused as not bank
  statements, and so is a response where the bank reports an error instead of data;
- ofxparse is run in its lenient mode only to collect every problem it finds: any
  transaction it had to discard and any warning (an empty balance or currency) makes the
  whole file an error, so nothing is half-imported;
- `TRNAMT` is signed by the standard (credits positive); ofxparse reads it as a Decimal;
- the booking date is the calendar date written in `DTPOSTED`. ofxparse converts times to
  UTC, which moves a posting at 20:00 EST to the next day, so the date is read as written;
- OFX has no opening balance: the closing balance is `LEDGERBAL`.
"""

import io
import re
import warnings
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ofxparse import AccountType, OfxParser
from ofxparse.ofxparse import OfxPreprocessedFile, soup_maker

from arrears.intake.bank.statement import (
    BalanceDraft,
    BankStatement,
    StatementDraft,
    StatementError,
    TransactionDraft,
    finish_statements,
)

_OFX_START = re.compile(rb"^\s*(OFXHEADER\s*:|<\?xml[^>]*>\s*<\?OFX|<OFX>)", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_NO_CHECK_NUMBER = frozenset({"", "0"})

# ofxparse and BeautifulSoup objects carry no type information.
Node = Any


def looks_like_ofx(data: bytes) -> bool:
    """Whether `data` starts like an OFX file (an OFX 1.x header, or an OFX 2.x XML prologue)."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    return bool(_OFX_START.match(head)) or b"<OFX>" in head.upper()


def read_ofx(data: bytes, source: str) -> list[BankStatement]:
    """The bank and credit-card statements of an OFX file; `source` names it in errors."""
    with warnings.catch_warnings():
        # BeautifulSoup warns that OFX 2 looks like XML; the html parser is what ofxparse uses.
        warnings.simplefilter("ignore")
        try:
            parsed = OfxParser.parse(io.BytesIO(data), fail_fast=False)
            soup = soup_maker(OfxPreprocessedFile(io.BytesIO(data)).fh)
        except Exception as error:  # ofxparse raises its own, ValueError, TypeError, IndexError...
            raise StatementError.at(source, None, f"not a readable OFX file: {error}") from None
    _check_status(source, parsed)
    elements = [*soup.find_all("stmtrs"), *soup.find_all("ccstmtrs")]
    if soup.find("invstmtrs") is not None:
        raise StatementError.at(
            source, None, "not a bank statement (investment account): Arrears reads bank and card statements"
        )
    if not elements:
        what = "an account list" if soup.find("acctinfors") is not None else "no statement"
        raise StatementError.at(source, None, f"not a bank statement: the file holds {what} (no STMTRS)")
    accounts = parsed.accounts[: len(elements)]
    if len(accounts) != len(elements) or any(
        a.type not in (AccountType.Bank, AccountType.CreditCard) for a in accounts
    ):
        raise StatementError.at(source, None, "the OFX statements could not be told apart")
    drafts = [
        _statement(source, number, account, element)
        for number, (account, element) in enumerate(zip(accounts, elements, strict=True), start=1)
    ]
    return finish_statements(source, "ofx", drafts)


def _check_status(source: str, parsed: Node) -> None:
    signon = getattr(parsed, "signon", None)
    if signon is not None and _status_code(signon.code) not in (0, None):
        raise StatementError.at(
            source,
            "SONRS",
            f"the bank refused the sign-on: {signon.message or 'no message'} (code {signon.code})",
        )
    status = getattr(parsed, "status", None)
    if status and _status_code(status.get("code")) not in (0, None):
        message = status.get("message") or status.get("severity") or "no message"
        raise StatementError.at(
            source, "STMTTRNRS", f"the bank reported an error: {message} (code {status['code']})"
        )


def _status_code(code: object) -> int | None:
    try:
        return None if code is None else int(str(code))
    except ValueError:
        return -1


def _statement(source: str, number: int, account: Node, element: Node) -> StatementDraft:
    where = f"statement {number}"
    statement = account.statement
    # ofxparse's warnings end with a dump of the statement after " for "; the start is the news.
    problems = [_problem(entry) for entry in statement.discarded_entries]
    problems += [" ".join(str(w).split(" for ")[0].split()) for w in statement.warnings]
    if problems:
        unique = list(dict.fromkeys(problems))
        raise StatementError.at(source, f"{where} (account {account.account_id})", "; ".join(unique))
    currency = (account.curdef or statement.currency or "").upper()
    if not account.account_id:
        raise StatementError.at(source, where, "ACCTID: the statement names no account")
    raw_lines = element.find_all("stmttrn")
    if len(raw_lines) != len(statement.transactions):
        raise StatementError.at(source, where, "some STMTTRN transactions could not be read")
    closing = None
    balance = getattr(statement, "balance", None)  # ofxparse sets it only when LEDGERBAL is there
    if balance is not None:
        closing = BalanceDraft(f"{where} LEDGERBAL", _decimal(balance), currency)
    return StatementDraft(
        where=where,
        account=account.account_id,
        currency=currency,
        statement_id=None,
        opening_balance=None,
        closing_balance=closing,
        from_date=_raw_date(source, where, element, "dtstart"),
        to_date=_raw_date(source, where, element, "dtend"),
        bank=account.routing_number or None,
        transactions=[
            _transaction(source, f"{where} transaction {index}", line, raw, currency)
            for index, (line, raw) in enumerate(zip(statement.transactions, raw_lines, strict=True), start=1)
        ],
    )


def _transaction(source: str, where: str, line: Node, raw: Node, currency: str) -> TransactionDraft:
    booking_date = _raw_date(source, where, raw, "dtposted")
    if booking_date is None:
        raise StatementError.at(source, where, "DTPOSTED: the transaction has no date")
    payee = (line.payee or "").strip()
    memo = (line.memo or "").strip()
    check_number = (line.checknum or "").strip()
    return TransactionDraft(
        where=f"{where} (FITID {line.id})",
        booking_date=booking_date,
        value_date=_raw_date(source, where, raw, "dtavail"),
        amount=_decimal(line.amount),
        currency=currency,
        narration=memo or payee,
        counterparty_name=payee or None,
        reference=None if check_number in _NO_CHECK_NUMBER else check_number,
        bank_reference=line.id,
        transaction_code=(line.type or "").upper() or None,
    )


def _problem(entry: dict[str, Any]) -> str:
    content = entry.get("content")
    fitid_element = content.find("fitid") if content is not None else None
    fitid = fitid_element.get_text().strip() if fitid_element is not None else ""
    label = f"transaction FITID {fitid}" if fitid else "a transaction without FITID"
    return f"{label}: {' '.join(str(entry.get('error', 'unreadable')).split())}"


def _decimal(value: object) -> Decimal:
    # ofxparse gives a Decimal built from the file's text (or int 0 for a 'null' amount);
    # going through str keeps it exact either way.
    if isinstance(value, float):
        raise TypeError("ofxparse returned a float amount")
    return Decimal(str(value))


def _raw_date(source: str, where: str, element: Node, tag: str) -> date | None:
    found = element.find(tag)
    if found is None:
        return None
    text = _own_text(found)
    if not text:
        return None
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise StatementError.at(
            source, where, f"{tag.upper()}: {text!r} is not a date (YYYYMMDD...)"
        ) from None


def _own_text(element: Node) -> str:
    # SGML OFX leaves elements unclosed, so a tag's text is its first string, not all of them.
    contents: Sequence[Any] = element.contents
    return str(contents[0]).strip() if contents and isinstance(contents[0], str) else ""
