"""Cells and values of a clean CSV ledger read a column at a time, as the row reader reads them.

What `arrears.intake.clean_csv` needs to agree with the row reader cell for cell: how Polars
must split the file to give the csv module's cells (`quoting`), the row reader's limits on
fields and lines (`over_limits`), the whitespace `str.strip()` strips, and the values: each
distinct text read by the row reader's own function (`mapping`), amounts in minor units
column by column where plain and by the `AmountReader` otherwise (`minor_units`). Anything the
row reader would refuse raises `NotClean`.
"""

import re
from pathlib import Path

import polars as pl

from arrears.intake.files import CSV_FIELD_LIMIT, MAX_LINE_CHARS
from arrears.intake.validation import currency_exponent
from arrears.intake.values import AmountReader

WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Exactly what Python's `str.strip()` strips (Polars' default set lacks \\x1c-\\x1f)."""
PLAIN_DIGITS = 13  # at most 10**13 * 10**4 minor units: well inside a 64-bit integer


class NotClean(Exception):
    """The file is not clean: the row-by-row reader reads it."""


def quoting(path: Path, delimiter: str) -> str | None:
    """How Polars must read a file with quotes to read the cells the csv module reads: with no
    quote char where no field starts with a quote (the csv module then takes every quote as
    text); with '"' where every line holding a quote is a row of whole fields, each unquoted
    without a quote or quoted from start to end (quotes inside doubled). Anything else (a quoted
    line break, text after a closing quote) makes the file not clean. The lines above the header
    count too: the rows skipped must be as many lines."""
    try:
        lines = pl.read_csv(path, has_header=False, separator="\x00", quote_char=None, infer_schema=False)
    except pl.exceptions.PolarsError:
        raise NotClean from None
    if lines.width != 1:
        raise NotClean
    d = re.escape(delimiter)
    line = pl.col(lines.columns[0]).fill_null("")
    if not lines.select(line.str.contains(rf'(?:^|{d})"').any()).item():
        return None
    field = rf'(?:[^"{d}]*|"(?:[^"]|"")*")'
    quoted = line.str.contains('"', literal=True)
    if lines.select((quoted & ~line.str.contains(rf"^{field}(?:{d}{field})*\r?$")).any()).item():
        raise NotClean
    return '"'


def over_limits(frame: pl.DataFrame, size: int) -> bool:
    """Whether a field or a line is longer than the row reader reads (it would refuse the file).
    The limits are in characters; bytes are never fewer, and cheaper to count, so first them."""
    if (
        size > CSV_FIELD_LIMIT
        and _longest_field(frame, bytes_only=True) > CSV_FIELD_LIMIT
        and _longest_field(frame, bytes_only=False) > CSV_FIELD_LIMIT
    ):
        return True
    return (
        size > MAX_LINE_CHARS
        and _widest_row(frame, bytes_only=True) > MAX_LINE_CHARS
        and _widest_row(frame, bytes_only=False) > MAX_LINE_CHARS
    )


def _longest_field(frame: pl.DataFrame, *, bytes_only: bool) -> int:
    lengths = [
        (pl.col(c).str.len_bytes() if bytes_only else pl.col(c).str.len_chars()).max() for c in frame.columns
    ]
    return int(frame.select(pl.max_horizontal(lengths)).item() or 0)


def _widest_row(frame: pl.DataFrame, *, bytes_only: bool) -> int:
    """The longest line, as the row reader measures it (its line end and delimiters included)."""
    lengths = [
        (pl.col(c).str.len_bytes() if bytes_only else pl.col(c).str.len_chars()) for c in frame.columns
    ]
    return int(frame.select(pl.sum_horizontal(lengths).max()).item() or 0) + frame.width + 2


def debtor_currency(text: str) -> str:
    """A row's currency as a detail of its debtor: upper case where it is a currency, else ""."""
    upper = text.upper()
    return upper if upper and currency_exponent(upper) is not None else ""


def mapping(texts: pl.Series, read, errors: type[Exception] | tuple[type[Exception], ...] = ()) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """`read` on each distinct text; a refusal (`errors`) makes the file not clean."""
    try:
        return {text: read(text) for text in texts.unique().to_list()}
    except errors:
        raise NotClean from None


def minor_units(texts: pl.Series, scales: pl.Series, reader: AmountReader) -> pl.Series:
    """Each amount in minor units (null where the cell is empty), as `reader` reads it: plain
    ones ("1234.50", "-7") column by column, any other form by `reader` on each distinct text.
    `scales` holds 10 ** the row's currency exponent."""
    frame = pl.DataFrame({"text": texts, "scale": scales})
    text, scale = pl.col("text"), pl.col("scale")
    # Polars reads "-123" and "007" as the row reader does, and "+5", which it refuses
    number = text.str.replace(reader.decimal, "", literal=True).cast(pl.Int64, strict=False)
    usable = number.is_not_null() & ~text.str.starts_with("+")
    point = text.str.find(reader.decimal, literal=True)
    places = text.str.len_bytes() - point - 1  # only ASCII digits cast: a byte is a character
    whole = usable & point.is_null() & (number.abs() < 10**PLAIN_DIGITS)
    fraction = (
        usable
        & (point - text.str.starts_with("-").cast(pl.Int64) >= 1)
        & (places >= 1)
        & (pl.lit(10, pl.Int64).pow(places) == scale)
    )
    value = pl.when(whole).then(number * scale).when(fraction).then(number)
    frame = frame.with_columns(value.alias("value"))
    frame = frame.with_columns((pl.col("value").is_null() & (text != "")).alias("other"))
    others = frame.filter(pl.col("other")).select("text", "scale").unique()
    if others.height:
        read: dict[tuple[str, int], int] = {}
        try:
            for other_text, other_scale in others.iter_rows():
                read[(other_text, other_scale)] = reader(other_text, len(str(other_scale)) - 1)
        except ValueError:
            raise NotClean from None
        if any(not -(2**63) <= minor < 2**63 for minor in read.values()):
            raise NotClean
        looked_up = pl.DataFrame(
            {
                "text": [key[0] for key in read],
                "scale": [key[1] for key in read],
                "read": list(read.values()),
            },
            schema={"text": pl.String, "scale": pl.Int64, "read": pl.Int64},
        )
        frame = frame.join(looked_up, on=["text", "scale"], how="left", maintain_order="left")
        frame = frame.with_columns(pl.coalesce("value", "read").alias("value"))
    return frame["value"]
