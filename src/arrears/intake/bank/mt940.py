"""SWIFT MT940 customer statements, read with the mt-940 package and checked line by line.

The mt-940 package is forgiving: it skips what it does not recognise and lets a repeated
tag overwrite the first. An import must not guess, so this module first splits the file into
statements and tags itself, keeping line numbers, and checks the layout:

- a statement starts at `:20:` and ends at a line starting with `-` (SWIFT's end of text) or
  at the next `:20:`; text outside statements (SWIFT envelope `{1:...}`, bank headers) is
  ignored, but a tag there is an error;
- a statement has exactly one `:25:` account, one opening balance (`:60F:`/`:60M:`) and one
  closing balance (`:62F:`/`:62M:`), with the `:61:` lines between them;
- balances are read strictly (mark, YYMMDD, currency, amount with a decimal comma);
- a line that starts with `:NN:` where NN is not an MT940 tag is wrapped narrative, as banks
  do break `:86:` text at 65 characters wherever it falls;
- MT942 interim reports (`:34F:` floor limits, no opening balance) are refused: they are not
  statements and their lines come again in the day's MT940.

Then each statement is parsed by mt-940 with the fixes its next major release will switch
on (a reversal of a credit `RC` is a debit; structured `:86:` keeps the counterparty IBAN
apart), and its lines are mapped to transactions. The value date is the `:61:` date; the
booking date is its entry date when given. Text that is not UTF-8 is read as code page 852,
as mt-940 does.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import mt940

from arrears.intake.bank.statement import (
    BalanceDraft,
    BankStatement,
    StatementDraft,
    StatementError,
    TransactionDraft,
    finish_statements,
)

_TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?|NS):")
_KNOWN_TAGS = frozenset(
    {"13", "13D", "20", "21", "25", "28", "28C", "34", "34F", "60", "60F", "60M", "61", "62", "62F", "62M"}
    | {"64", "65", "86", "90", "90C", "90D", "NS"}
)
_OPENING = frozenset({"60", "60F", "60M"})
_CLOSING = frozenset({"62", "62F", "62M"})
_ONCE = frozenset({"20", "21", "25", "28", "28C"})
# SWIFT's 15d is at most 15 characters; some banks pad with more leading zeros, which is harmless.
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})0*(?P<amount>\d{1,14}(?:,\d*)?)$")
# The start of a :61: line: value date, optional entry date, mark, optional funds code, amount.
_STATEMENT_LINE = re.compile(
    r"^(?P<date>\d{6})(?P<entry>\d{4}|\s{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?\n? ?(?P<amount>\d[\d,]*)",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Start-of-heading and end-of-text bytes frame messages in SWIFT FIN transmissions (mBank).
_FRAMING = str.maketrans("", "", "\x01\x03")
# Markers that stand where a reference would be: none given, or "see the :86: field".
_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "EREF", "KREF+", "EREF+"})

# mt-940 5.x keeps 5.0.0's output unless told otherwise; these are its documented fixes.
_OPTIONS = mt940.Options(
    applicant_iban=True,
    merge_keeps_values=True,
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    non_swift_free_text=True,
    strip_bom=True,
)
# ASN Bank puts the counterparty IBAN (up to 34 characters) where SWIFT allows a 16-character
# reference, and its name on a second line; mt-940 has a layout for that. ASN accounts are
# NLkk ASNB ... IBANs.
_ASN_BANK_ACCOUNT = re.compile(r"^NL\d{2}ASNB")
_ASN_BANK_TAGS: dict[int | str, Any] = {mt940.tags.StatementASNB.id: mt940.tags.StatementASNB()}
# Codes of the SWIFT-structured `:86:` used by Dutch and other banks: /EREF/ref/NAME/.../REMI/...
_SUBFIELD_CODES = (
    "EREF|PREF|MARF|CSID|CNTP|REMI|PURP|ULTC|ULTD|ULTB|BENM|ORDP|NAME|ADDR|ISDT|IBAN|BIC|TRCD|TRTP|RTRN"
)
_SUBFIELD = re.compile(rf"/({_SUBFIELD_CODES})/")


@dataclass(slots=True)
class _Tag:
    tag: str
    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def text(self) -> str:
        return "\n".join([f":{self.tag}:{self.lines[0]}", *self.lines[1:]])


@dataclass(slots=True)
class _Block:
    line: int
    tags: list[_Tag] = field(default_factory=list)
    closed: bool = False

    def find(self, names: frozenset[str]) -> list[_Tag]:
        return [t for t in self.tags if t.tag in names]


def looks_like_mt940(text: str) -> bool:
    """Whether `text` has the tags of an MT940 statement: `:20:` and a `:61:` or `:60F:` line."""
    return bool(re.search(r"(?m)^:20:", text)) and bool(re.search(r"(?m)^:(61|60[FM]?):", text))


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else code page 852 as mt-940 does."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp852")


def read_mt940(data: bytes, source: str) -> list[BankStatement]:
    """The statements of an MT940 file; `source` names it in errors."""
    text = decode(data)
    blocks = _split(text, source)
    if not blocks:
        raise StatementError.at(source, None, "no MT940 statement found (no line starts with :20:)")
    drafts = [_statement(source, block) for block in blocks]
    return finish_statements(source, "mt940", drafts)


def _split(text: str, source: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    # Only line feeds end lines: str.splitlines() would also split at form feeds and the like,
    # hiding them from the control-character check and shifting line numbers.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.translate(_FRAMING).rstrip()
        if _CONTROL.search(line):
            raise StatementError.at(
                source, f"line {number}", "unexpected control character: not an MT940 text"
            )
        match = _TAG.match(line)
        tag = match["tag"] if match else None
        if tag == "20":
            current = _Block(number)
            blocks.append(current)
        elif current is None or current.closed:
            if match and tag in _KNOWN_TAGS:
                raise StatementError.at(
                    source, f"line {number}", f":{tag}: outside a statement (no :20: opens one before it)"
                )
            continue  # envelope or header text between statements
        elif line.startswith("-") or line.startswith("{"):
            current.closed = True  # SWIFT end of text, or the next message's envelope
            continue
        if match and tag in _KNOWN_TAGS:
            current.tags.append(_Tag(str(tag), number, [line[match.end() :]]))
        else:
            current.tags[-1].lines.append(line)
    return blocks


def _statement(source: str, block: _Block) -> StatementDraft:
    start = f"line {block.line}"
    if block.find(frozenset({"34F", "34"})) or (block.find(frozenset({"13D"})) and not block.find(_OPENING)):
        raise StatementError.at(
            source, start, "an MT942 interim report is not a statement: import the day's MT940 instead"
        )
    for tag in block.tags:
        if tag.tag in _ONCE and sum(1 for t in block.tags if t.tag[:2] == tag.tag[:2]) > 1:
            repeated = next(t for t in block.tags if t.tag[:2] == tag.tag[:2] and t is not tag)
            raise StatementError.at(
                source,
                f"line {repeated.line}",
                f"a second :{repeated.tag}: in the statement that starts on {start}",
            )
    account = _single(source, block, frozenset({"25"}), ":25: account identification")
    opening_tag = _single(source, block, _OPENING, "opening balance (:60F: or :60M:)")
    closing_tag = _single(source, block, _CLOSING, "closing balance (:62F: or :62M:)")
    opening_index = block.tags.index(opening_tag)
    closing_index = block.tags.index(closing_tag)
    if closing_index < opening_index:
        raise StatementError.at(
            source, f"line {closing_tag.line}", "closing balance before the opening balance"
        )
    lines = block.find(frozenset({"61"}))
    for line in lines:
        if not opening_index < block.tags.index(line) < closing_index:
            raise StatementError.at(
                source, f"line {line.line}", ":61: statement line outside the opening and closing balances"
            )
    for line in lines:
        _check_statement_line(source, line)
    for tag in block.find(_OPENING | _CLOSING | frozenset({"64", "65"})):
        _balance(source, tag)  # each balance must read strictly, even the ones not kept
    opening, opening_date = _balance(source, opening_tag)
    closing, closing_date = _balance(source, closing_tag)
    asn_bank = bool(_ASN_BANK_ACCOUNT.match(account.value))
    parsed = _parse(source, block, closing_index, len(lines), _ASN_BANK_TAGS if asn_bank else None)
    numbers = _statement_number(block)
    return StatementDraft(
        where=start,
        account=account.value,
        currency=opening.currency,
        statement_id=numbers or block.tags[0].value or None,
        opening_balance=opening,
        closing_balance=closing,
        from_date=opening_date,
        to_date=closing_date,
        transactions=[
            _transaction(source, line, found.data, opening.currency, asn_bank=asn_bank)
            for line, found in zip(lines, parsed, strict=True)
        ],
    )


def _single(source: str, block: _Block, names: frozenset[str], what: str) -> _Tag:
    found = block.find(names)
    if not found:
        raise StatementError.at(source, f"line {block.line}", f"the statement has no {what}")
    if len(found) > 1:
        raise StatementError.at(
            source,
            f"line {found[1].line}",
            f"a second {what} in the statement that starts on line {block.line}",
        )
    return found[0]


def _statement_number(block: _Block) -> str | None:
    found = block.find(frozenset({"28", "28C"}))
    return found[0].value if found else None


def _balance(source: str, tag: _Tag) -> tuple[BalanceDraft, date]:
    where = f"line {tag.line}"
    match = _BALANCE.match(tag.value)
    if match is None:
        raise StatementError.at(
            source,
            where,
            f":{tag.tag}: balance {tag.value!r} is not D/C mark, YYMMDD date, currency and amount (1234,56)",
        )
    amount = Decimal(match["amount"].replace(",", "."))
    sign = -1 if match["mark"] == "D" else 1
    return BalanceDraft(where, sign * amount, match["currency"]), _date(source, where, match["date"])


def _check_statement_line(source: str, tag: _Tag) -> None:
    # mt-940 reads these fields too, but fails on them with messages that name no line.
    where = f"line {tag.line}"
    match = _STATEMENT_LINE.match(tag.value)
    if match is None:
        return  # mt-940 reports the layout error, and _located finds its line
    month, day = int(match["date"][2:4]), int(match["date"][4:6])
    # German banks date interest on 30 February; mt-940 moves it to the month's last day.
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise StatementError.at(source, where, f":61: value date {match['date']!r} is not a date (YYMMDD)")
    if match["amount"].count(",") > 1:
        raise StatementError.at(source, where, f":61: {match['amount']!r} is not an amount (1234,56)")


def _date(source: str, where: str, yymmdd: str) -> date:
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        raise StatementError.at(source, where, f"{yymmdd!r} is not a date (YYMMDD)") from None


def _parse(
    source: str, block: _Block, closing_index: int, expected: int, tags: dict[int | str, Any] | None
) -> list[Any]:
    # Narrative after the closing balance is for the account holder, not for the last line.
    kept = [t for i, t in enumerate(block.tags) if not (i > closing_index and t.tag == "86")]
    collection = mt940.models.Transactions(tags=tags, options=_OPTIONS)
    try:
        collection.parse("\n".join(t.text for t in kept))
    except Exception as error:  # mt-940 raises RuntimeError, ValueError or decimal errors
        raise _located(source, block, error) from None
    if len(collection.transactions) != expected:
        raise StatementError.at(
            source,
            f"line {block.line}",
            f"{expected} :61: lines but {len(collection.transactions)} transactions read",
        )
    return list(collection.transactions)


def _located(source: str, block: _Block, error: Exception) -> StatementError:
    # mt-940's RuntimeError carries the tag's value as its last argument: find that tag's line.
    arguments = error.args
    value = arguments[-1] if len(arguments) >= 3 and isinstance(arguments[-1], str) else None
    for tag in block.tags:
        if value is not None and _squash(tag.value) == _squash(value):
            first = tag.lines[0].strip()
            return StatementError.at(
                source, f"line {tag.line}", f":{tag.tag}: {first!r} does not follow the MT940 layout"
            )
    return StatementError.at(source, f"line {block.line}", f"the statement could not be read: {error}")


def _squash(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _transaction(
    source: str, line: _Tag, data: dict[str, Any], currency: str, *, asn_bank: bool
) -> TransactionDraft:
    where = f"line {line.line}"
    amount = data.get("amount")
    value_date = data.get("date")
    if amount is None or not isinstance(amount.amount, Decimal) or value_date is None:
        raise StatementError.at(source, where, ":61: statement line without amount or date")
    entry_date = data.get("entry_date") or value_date
    details = _clean(data.get("transaction_details"))
    subfields = _subfields(details) if details.startswith("/") else {}
    structured = "purpose" in data  # mt-940 split a German ?-coded :86:
    if structured:
        narration = " ".join(
            p for p in (_clean(data.get("purpose")), _clean(data.get("additional_purpose"))) if p
        )
        narration = narration or _clean(data.get("posting_text")) or details
    else:
        narration = _remittance(subfields) or details or _clean(data.get("extra_details"))
    customer_reference = _reference(data.get("customer_reference"))
    end_to_end = _reference(data.get("end_to_end_reference")) or _reference(subfields.get("EREF"))
    name = _clean(data.get("applicant_name")) or _counterparty_name(subfields)
    account = _clean(data.get("applicant_iban")) or _counterparty_account(subfields)
    if asn_bank:
        # ASN Bank: the counterparty's IBAN in the reference, its name on the line below.
        account, customer_reference = customer_reference or "", None
        name = _clean(data.get("extra_details"))
    return TransactionDraft(
        where=where,
        booking_date=_plain_date(entry_date),
        value_date=_plain_date(value_date),
        amount=Decimal(str(amount.amount)),
        currency=str(amount.currency or currency),
        narration=narration,
        counterparty_name=" ".join(name.split()) or None,
        counterparty_account=account.replace(" ", "") or None,
        reference=customer_reference or end_to_end,
        end_to_end_id=end_to_end,
        bank_reference=_reference(data.get("bank_reference")),
        transaction_code=_clean(data.get("transaction_code")) or _clean(data.get("id")) or None,
    )


def _plain_date(value: date) -> date:
    return date(value.year, value.month, value.day)


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return "\n".join(line.rstrip() for line in value.strip().splitlines() if line.strip())


def _reference(value: object) -> str | None:
    # mt-940 appends an :86: reference to the :61: one on a new line ("KREF+\nTFNr 01022").
    lines = [line.strip() for line in _clean(value).splitlines()]
    kept = [line for line in lines if line.upper() not in _NO_REFERENCE]
    return " ".join(kept) or None


def _subfields(details: str) -> dict[str, str]:
    # Structured :86: wraps at 65 characters mid-value, so lines are joined without a space.
    joined = details.replace("\n", "")
    parts = _SUBFIELD.split(joined)
    found: dict[str, str] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        found.setdefault(code, value.strip("/ "))
    return found


def _remittance(subfields: dict[str, str]) -> str:
    remittance = subfields.get("REMI", "")
    for prefix in ("USTD//", "USTD/", "STRD/CUR/", "STRD/"):
        if remittance.startswith(prefix):
            return remittance[len(prefix) :].strip("/ ")
    return remittance


def _counterparty_name(subfields: dict[str, str]) -> str:
    if "NAME" in subfields:
        return subfields["NAME"]
    counterparty = subfields.get("CNTP", "").split("/")
    return counterparty[2] if len(counterparty) > 2 else ""


def _counterparty_account(subfields: dict[str, str]) -> str:
    if "IBAN" in subfields:
        return subfields["IBAN"]
    return subfields.get("CNTP", "").split("/")[0]
