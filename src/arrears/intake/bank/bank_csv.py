"""Bank statements exported as CSV, read through a profile that names the columns.

Every bank lays out its CSV export differently, so a `CsvProfile` says which column holds
the date (and in which format), the amount (one signed column, or separate money-in and
money-out columns), the description, and, where the bank gives them, the reference, the
counterparty, the transaction type, the account and the currency.

`PROFILES` holds a generic default and three UK layouts. The UK layouts are assumptions
about the shape of those banks' exports, taken from their published help pages and from
exports seen in the wild; banks change their exports without notice, so a file that does
not fit is refused with the columns it has and the columns each profile needs, and a
profile can be written for it in a few lines.

Rules:
- the header is the first non-blank row; column names are matched ignoring case and
  surrounding spaces; blank rows are skipped;
- a leading apostrophe in a cell (Excel's text guard, which UK banks put before sort codes
  and account numbers) is dropped;
- amounts are exact decimals: "1,234.56" (or "1.234,56" with a decimal comma); money-out
  columns hold positive figures, which become negative amounts;
- one file is one account's statement: the account comes from the profile's account columns
  or from the caller, the currency from a currency column, the profile or the caller;
- CSV exports carry no opening or closing balance that can be trusted (running balances
  depend on the row order the bank chose), so the statement has none.
"""

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from arrears.intake.bank.statement import (
    BankStatement,
    StatementDraft,
    StatementError,
    TransactionDraft,
    finish_statements,
)


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """Where a bank's CSV export keeps each field.

    Give either `amount_column` (signed: money in positive) or both `credit_column` (money
    in) and `debit_column` (money out, positive figures). `date_formats` are `strptime`
    formats tried in order; list only formats that cannot be confused (never both
    day-first and month-first). Columns other than the date, the amount and the
    description are used when the file has them. `transaction_id_column` is the bank's own id
    for each row, when the export has one: it becomes the line's `bank_reference`, which the
    fingerprint goes by (see `arrears.intake.bank.fingerprint`).
    """

    name: str
    date_column: str
    date_formats: tuple[str, ...]
    description_columns: tuple[str, ...]
    amount_column: str | None = None
    credit_column: str | None = None
    debit_column: str | None = None
    reference_column: str | None = None
    counterparty_column: str | None = None
    type_column: str | None = None
    transaction_id_column: str | None = None
    account_columns: tuple[str, ...] = ()
    currency_column: str | None = None
    currency: str | None = None
    decimal_comma: bool = False
    delimiter: str = ","

    def __post_init__(self) -> None:
        split = self.credit_column is not None and self.debit_column is not None
        if (self.amount_column is None) == (not split):
            raise ValueError(
                f"CSV profile {self.name!r}: give amount_column, or credit_column and debit_column"
            )
        if not self.date_formats or not self.description_columns:
            raise ValueError(f"CSV profile {self.name!r}: give date_formats and description_columns")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The columns a file must have for this profile to read it."""
        amounts = (self.amount_column,) if self.amount_column else (self.credit_column, self.debit_column)
        return tuple(c for c in (self.date_column, *amounts, *self.description_columns) if c)


GENERIC = CsvProfile(
    name="generic",
    date_column="Date",
    date_formats=("%Y-%m-%d",),
    amount_column="Amount",
    description_columns=("Description",),
    reference_column="Reference",
    counterparty_column="Counterparty",
    type_column="Type",
    account_columns=("Account",),
    currency_column="Currency",
    transaction_id_column="Transaction ID",
)
"""The default: ISO dates, one signed Amount column, a Description; Reference,
Counterparty, Type, Account, Currency and Transaction ID columns when present."""

LLOYDS = CsvProfile(
    name="lloyds",
    date_column="Transaction Date",
    date_formats=("%d/%m/%Y",),
    credit_column="Credit Amount",
    debit_column="Debit Amount",
    description_columns=("Transaction Description",),
    type_column="Transaction Type",
    account_columns=("Sort Code", "Account Number"),
    currency="GBP",
)
"""Lloyds Bank (and Halifax, Bank of Scotland) download: Transaction Date, Transaction Type,
Sort Code, Account Number, Transaction Description, Debit Amount, Credit Amount, Balance."""

NATWEST = CsvProfile(
    name="natwest",
    date_column="Date",
    date_formats=("%d/%m/%Y", "%d %b %Y"),
    amount_column="Value",
    description_columns=("Description",),
    type_column="Type",
    account_columns=("Account Number",),
    currency="GBP",
)
"""NatWest (and RBS, Ulster Bank) download: Date, Type, Description, Value, Balance,
Account Name, Account Number, with Value signed and the account as sort code-number."""

STARLING = CsvProfile(
    name="starling",
    date_column="Date",
    date_formats=("%d/%m/%Y",),
    amount_column="Amount (GBP)",
    description_columns=("Reference",),
    reference_column="Reference",
    counterparty_column="Counter Party",
    type_column="Type",
    currency="GBP",
)
"""Starling Bank statement export: Date, Counter Party, Reference, Type, Amount (GBP),
Balance (GBP), Spending Category, Notes. It names no account: the caller gives it."""

PROFILES: Mapping[str, CsvProfile] = {p.name: p for p in (LLOYDS, NATWEST, STARLING, GENERIC)}
"""Known profiles by name, in the order detection tries them (the generic one last)."""

_POINT_AMOUNT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_COMMA_AMOUNT = re.compile(r"^[+-]?(\d{1,3}([. ]\d{3})+|\d+)(,\d+)?$")


def read_bank_csv(
    data: bytes,
    source: str,
    *,
    profile: CsvProfile | str | None = None,
    account: str | None = None,
    currency: str | None = None,
) -> list[BankStatement]:
    """The statement in a bank CSV export; `source` names it in errors.

    Without a `profile` the first of `PROFILES` whose columns the header has is used.
    `account` and `currency` fill in what the file does not say.
    """
    text = _decode(data, source)
    chosen = _profile(source, text, profile)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=chosen.delimiter)
    header: dict[str, int] | None = None
    accounts: dict[str, int] = {}
    currencies: dict[str, int] = {}
    drafts: list[TransactionDraft] = []
    for cells in rows:
        row = rows.line_num
        values = [_cell(c) for c in cells]
        if not any(values):
            continue
        if header is None:
            header = _header(values)
            continue
        width = max(header.values()) + 1
        if len(values) > width and any(values[width:]):
            raise StatementError.at(
                source, f"row {row}", f"{len(values)} cells, but the header names {width}"
            )
        record = _Record(source, row, header, values)
        drafts.append(_transaction(record, chosen, currency, accounts, currencies))
    if header is None:
        raise StatementError.at(source, None, "the file is empty")
    statement_currency = next(iter(currencies), None) or chosen.currency or currency
    statement_account = next(iter(accounts), None) or account
    if not drafts:
        raise StatementError.at(source, None, "the file has a header but no transactions")
    if not statement_account:
        raise StatementError.at(
            source, None, f"the {chosen.name} layout names no account: give the account the statement is for"
        )
    if not statement_currency:
        raise StatementError.at(source, None, "the file gives no currency: give the statement's currency")
    drafts = [d if d.currency else replace(d, currency=statement_currency) for d in drafts]
    dates = [d.booking_date for d in drafts]
    statement = StatementDraft(
        where="row 1",
        account=statement_account,
        currency=statement_currency,
        from_date=min(dates),
        to_date=max(dates),
        transactions=drafts,
    )
    return finish_statements(source, "csv", [statement])


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    """An exact amount from a bank's text: "1,234.56", "-12.5", or with a decimal comma "1.234,56".

    Raises `ValueError` for anything else (currency signs, two decimal marks, words).
    """
    compact = text.strip()
    pattern = _COMMA_AMOUNT if decimal_comma else _POINT_AMOUNT
    if not pattern.match(compact):
        raise ValueError(text)
    if decimal_comma:
        compact = compact.replace(".", "").replace(" ", "").replace(",", ".")
    else:
        compact = compact.replace(",", "")
    return Decimal(compact)


@dataclass(frozen=True, slots=True)
class _Record:
    source: str
    row: int
    header: dict[str, int]
    values: list[str]

    def get(self, column: str | None) -> str:
        if column is None:
            return ""
        index = self.header.get(_key(column))
        return self.values[index] if index is not None and index < len(self.values) else ""

    def error(self, column: str | None, problem: str) -> StatementError:
        where = f"row {self.row}, column {column}" if column else f"row {self.row}"
        return StatementError.at(self.source, where, problem)


def _transaction(
    record: _Record,
    profile: CsvProfile,
    currency: str | None,
    accounts: dict[str, int],
    currencies: dict[str, int],
) -> TransactionDraft:
    account = " ".join(v for v in (record.get(c) for c in profile.account_columns) if v)
    _same(
        record, account, accounts, profile.account_columns[-1] if profile.account_columns else None, "account"
    )
    row_currency = record.get(profile.currency_column).upper()
    _same(record, row_currency, currencies, profile.currency_column, "currency")
    description = " ".join(v for v in (record.get(c) for c in profile.description_columns) if v)
    return TransactionDraft(
        where=f"row {record.row}",
        booking_date=_date(record, profile),
        value_date=None,
        amount=_amount(record, profile),
        currency=row_currency or profile.currency or currency or "",
        narration=description,
        counterparty_name=record.get(profile.counterparty_column) or None,
        reference=record.get(profile.reference_column) or None,
        bank_reference=record.get(profile.transaction_id_column) or None,
        transaction_code=record.get(profile.type_column) or None,
    )


def _same(record: _Record, value: str, seen: dict[str, int], column: str | None, what: str) -> None:
    if not value:
        return
    if seen and value not in seen:
        first, first_row = next(iter(seen.items()))
        raise record.error(
            column,
            f"{what} {value!r} differs from {first!r} on row {first_row}: one file is one {what}'s statement",
        )
    seen.setdefault(value, record.row)


def _date(record: _Record, profile: CsvProfile) -> date:
    text = record.get(profile.date_column)
    if not text:
        raise record.error(profile.date_column, "no date")
    for date_format in profile.date_formats:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    expected = " or ".join(_readable(f) for f in profile.date_formats)
    raise record.error(profile.date_column, f"{text!r} is not a date ({expected})")


def _readable(date_format: str) -> str:
    """A strptime format as a person writes it: "%d/%m/%Y" is "DD/MM/YYYY"."""
    for code, shown in (("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%y", "YY"), ("%b", "Mon")):
        date_format = date_format.replace(code, shown)
    return date_format


def _amount(record: _Record, profile: CsvProfile) -> Decimal:
    if profile.amount_column is not None:
        text = record.get(profile.amount_column)
        if not text:
            raise record.error(profile.amount_column, "no amount")
        return _number(record, profile, profile.amount_column, text)
    money_in = record.get(profile.credit_column)
    money_out = record.get(profile.debit_column)
    credit = _number(record, profile, profile.credit_column, money_in) if money_in else Decimal(0)
    debit = _number(record, profile, profile.debit_column, money_out) if money_out else Decimal(0)
    if not money_in and not money_out:
        raise record.error(f"{profile.credit_column}/{profile.debit_column}", "no amount in or out")
    if credit and debit:
        raise record.error(f"{profile.credit_column}/{profile.debit_column}", "an amount both in and out")
    if credit < 0 or debit < 0:
        raise record.error(
            f"{profile.credit_column}/{profile.debit_column}",
            "money in and out are given as positive figures",
        )
    return credit - debit


def _number(record: _Record, profile: CsvProfile, column: str | None, text: str) -> Decimal:
    try:
        return parse_amount(text, decimal_comma=profile.decimal_comma)
    except ValueError:
        example = "1.234,56" if profile.decimal_comma else "1,234.56"
        raise record.error(column, f"{text!r} is not an amount (like {example})") from None


def _profile(source: str, text: str, profile: CsvProfile | str | None) -> CsvProfile:
    if isinstance(profile, CsvProfile):
        chosen = profile
    elif profile is not None:
        if profile not in PROFILES:
            raise StatementError.at(
                source, None, f"no bank CSV layout named {profile!r}; known: {', '.join(PROFILES)}"
            )
        chosen = PROFILES[profile]
    else:
        return _detect(source, text)
    columns = _header_of(text, chosen.delimiter)
    missing = [c for c in chosen.required_columns if _key(c) not in columns]
    if missing:
        raise StatementError.at(
            source,
            "row 1",
            f"the {chosen.name} layout needs columns {', '.join(missing)}, which the header lacks",
        )
    return chosen


def _detect(source: str, text: str) -> CsvProfile:
    for candidate in PROFILES.values():
        columns = _header_of(text, candidate.delimiter)
        if all(_key(c) in columns for c in candidate.required_columns):
            return candidate
    found = ", ".join(_header_names(text)) or "none"
    needs = "; ".join(f"{p.name}: {', '.join(p.required_columns)}" for p in PROFILES.values())
    raise StatementError.at(
        source, "row 1", f"no known bank CSV layout fits the header (columns: {found}); layouts need {needs}"
    )


def _header_of(text: str, delimiter: str) -> dict[str, int]:
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        values = [_cell(c) for c in cells]
        if any(values):
            return _header(values)
    return {}


def _header_names(text: str) -> list[str]:
    for cells in csv.reader(io.StringIO(text, newline="")):
        values = [_cell(c) for c in cells]
        if any(values):
            return [v for v in values if v]
    return []


def _header(values: Sequence[str]) -> dict[str, int]:
    header: dict[str, int] = {}
    for index, name in enumerate(values):
        if name:
            header.setdefault(_key(name), index)
    return header


def _key(column: str) -> str:
    return " ".join(column.split()).casefold()


def _cell(text: str) -> str:
    return text.strip().removeprefix("'").strip()


def _decode(data: bytes, source: str) -> str:
    # UK banks export UTF-8 (often with a byte-order mark) or Windows-1252 ("£" is 0xA3).
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise StatementError.at(
            source, None, f"not a text file (byte {error.start} is neither UTF-8 nor Windows-1252)"
        ) from None
