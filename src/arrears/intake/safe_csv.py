"""CSV files Arrears writes for people to open in a spreadsheet, safe from formula injection.

A ledger's text comes from outside (a customer named `=HYPERLINK("http://evil","Click")`):
Arrears stores it as it is and never evaluates it, but a spreadsheet opening a CSV runs a cell
that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula.
Following the OWASP "CSV Injection" guidance, every such cell is written with a leading
apostrophe, which spreadsheets read as "this is text"; a plain number such as `-1234.50` is
left as it is (it is not a formula, and an import reads the apostrophe away in any case).
Quoting of delimiters, quotes and line breaks is the csv module's.
"""

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?\Z")


def neutralise(value: object) -> str:
    """The cell as text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_TRIGGERS) and not _NUMBER.match(text):
        return "'" + text
    return text


def write_rows(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a header and rows, every cell neutralised; returns how many rows."""
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def write_file(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a CSV file (UTF-8 with a byte-order mark, so Excel reads accents right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        return write_rows(handle, header, rows)
