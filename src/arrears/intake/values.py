"""Reading the values in a ledger file's cells: dates, amounts, payment terms, debtor codes.

Plain functions on text, fast enough for a million rows: a date is parsed once per distinct
text (ledgers repeat dates), an amount is read straight into integer minor units without a
`Decimal` on the common path. Each reader raises `ValueError` with the reason a person
should read ("is not a date (day first, e.g. 23/11/2026)").
"""

import hashlib
import re
from datetime import date, datetime
from typing import Literal

DateOrder = Literal["iso", "day_first", "month_first"]

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+)?\Z")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\Z")
_TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%b %d, %Y", "%B %d, %Y")
_EXAMPLES = {
    "iso": "YYYY-MM-DD, e.g. 2026-11-23",
    "day_first": "day first, e.g. 23/11/2026 or 2026-11-23",
    "month_first": "month first, e.g. 11/23/2026 or 2026-11-23",
}


class DateReader:
    """Dates as a profile writes them. ISO dates (2026-11-23) are always accepted; slashed,
    dotted or dashed numeric dates are read day first or month first as the profile says,
    never guessed; "23 Nov 2026" and "Nov 23, 2026" are unambiguous and always accepted.
    Two-digit years are 2000-2068 for 00-68 and 1969-1999 for 69-99 (as `strptime` reads them).
    """

    def __init__(self, order: DateOrder) -> None:
        self.order = order
        self._cache: dict[str, date | None] = {}
        self.expected = _EXAMPLES[order]

    def __call__(self, text: str) -> date:
        """The date in `text` (stripped), or `ValueError`."""
        try:
            found = self._cache[text]
        except KeyError:
            found = self._cache[text] = self._parse(text)
        if found is None:
            raise ValueError(f"is not a date ({self.expected})")
        return found

    def _parse(self, text: str) -> date | None:
        if len(self._cache) > 100_000:  # a file of all-distinct junk must not grow it forever
            self._cache.clear()
        matched = _ISO.match(text)
        if matched:
            return _date(int(matched[1]), int(matched[2]), int(matched[3]))
        matched = _NUMERIC.match(text)
        if matched:
            if self.order == "iso":
                return None
            first, second, year_text = int(matched[1]), int(matched[2]), matched[3]
            year = int(year_text)
            if len(year_text) == 2:
                year += 2000 if year < 69 else 1900
            if self.order == "day_first":
                return _date(year, second, first)
            return _date(year, first, second)
        for pattern in _TEXT_FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_PLAIN = re.compile(r"-?\d+(?:\.\d+)?\Z", re.ASCII)
_CURRENCY_SYMBOLS = "£$€¥"
_CODE = re.compile(r"\A([A-Z]{3})\s*(.*?)\Z|\A(.*?)\s*([A-Z]{3})\Z")
_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")


class AmountReader:
    """Amounts as exported: "1234.50", "1,234.50", "£1,234.50", "-1,234.50", "1,234.50-"
    (trailing minus, Sage and mainframe style), "(1,234.50)" (accountants' brackets), with
    a decimal point (or a decimal comma: "1.234,50"). A leading apostrophe (Excel's text
    guard) is ignored. Thousands separators must group by three. The result is integer minor
    units of a currency with `exponent` decimal places; more places than that are refused
    unless they are zeros."""

    def __init__(self, decimal: str = ".") -> None:
        self.decimal = decimal
        self.thousands = "," if decimal == "." else "."
        d, t = re.escape(decimal), re.escape(self.thousands)
        self._grouped = re.compile(
            rf"\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d*)?\Z|\d+(?:{d}\d*)?\Z|{d}\d+\Z", re.ASCII
        )

    def __call__(self, text: str, exponent: int) -> int:
        # the common case, "1234.56" or "-1234.56" with the currency's places, without a regex
        whole, point, fraction = text.partition(self.decimal)
        digits = whole[1:] if whole[:1] == "-" else whole
        if digits.isdigit() and digits.isascii():
            if not fraction and not point:
                minor: int = int(digits) * 10**exponent
                return -minor if whole[:1] == "-" else minor
            if len(fraction) == exponent and fraction.isdigit() and fraction.isascii():
                minor = int(digits + fraction)
                return -minor if whole[:1] == "-" else minor
        if self.decimal == "." and _PLAIN.match(text):
            return self._digits(text.lstrip("-"), exponent, text, text.startswith("-"))
        return self._general(text, exponent)

    def _general(self, text: str, exponent: int) -> int:
        value = text.strip().lstrip("'").strip()
        negative = False
        if value.startswith("(") and value.endswith(")"):
            negative, value = True, value[1:-1].strip()
        if value.endswith("-"):
            if negative:
                raise ValueError("is not an amount (two minus signs)")
            negative, value = True, value[:-1].strip()
        for _ in range(2):  # "-£12.00" and "£-12.00" alike
            if value.startswith("-"):
                if negative:
                    raise ValueError("is not an amount (two minus signs)")
                negative, value = True, value[1:].strip()
            if value[:1] in _CURRENCY_SYMBOLS:
                value = value[1:].strip()
            elif value[-1:] in _CURRENCY_SYMBOLS:
                value = value[:-1].strip()
            else:
                coded = _CODE.match(value)
                if coded:
                    value = (coded[2] if coded[1] else coded[3]) or ""
        value = value.translate(_SPACES)
        if not value or not self._grouped.match(value):
            raise ValueError("is not an amount")
        value = value.replace(self.thousands, "")
        if self.decimal != ".":
            value = value.replace(self.decimal, ".")
        return self._digits(value, exponent, text, negative)

    @staticmethod
    def _digits(value: str, exponent: int, original: str, negative: bool) -> int:
        whole, _, fraction = value.partition(".")
        if len(fraction) > exponent:
            if fraction[exponent:].strip("0"):
                places = "no decimal places" if exponent == 0 else f"at most {exponent} decimal places"
                raise ValueError(f"has more decimal places than the currency has ({places})")
            fraction = fraction[:exponent]
        minor: int = int(whole or "0") * 10**exponent + (
            int(fraction.ljust(exponent, "0")) if exponent else 0
        )
        return -minor if negative else minor


_NET_DAYS = re.compile(r"net\s*(\d{1,4})|(\d{1,4})\s*days?|\A(\d{1,4})\Z", re.IGNORECASE)
_ON_RECEIPT = re.compile(r"due on receipt|on receipt|immediate|cash on delivery|\bcod\b", re.IGNORECASE)


def terms_days(text: str) -> int | None:
    """Payment terms in days from "30", "Net 30", "30 days", "Due on receipt" (0); None when
    the text gives no number of days (e.g. "1st of next month")."""
    matched = _NET_DAYS.search(text)
    if matched:
        return int(next(group for group in matched.groups() if group is not None))
    if _ON_RECEIPT.search(text):
        return 0
    return None


ACCOUNT_CODE_LENGTH = 64


def code_for_name(name: str) -> str:
    """An account code for a layout that identifies customers by name only (QuickBooks, Xero):
    the name itself, or, past 64 characters, its first 55 and a short hash that keeps it unique."""
    name = " ".join(name.split())
    if len(name) <= ACCOUNT_CODE_LENGTH:
        return name
    return f"{name[:55].rstrip()}~{hashlib.sha1(name.encode()).hexdigest()[:8]}"
