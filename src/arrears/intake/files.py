"""Ledger files read into raw rows: CSV in any common dialect and encoding, or an Excel workbook.

`open_table(path)` looks at the file once (its SHA-256, its size, its kind, its encoding and,
for CSV, its delimiter) and returns a `RawTable` whose `rows()` can be read as many times as
needed, each time streaming from the file: a million-row ledger is never held as text.

Every row comes with its number as a spreadsheet shows it (the first line is row 1; a blank
line is a row too), so an error can say "row 14" and a person finds it by opening the file.
Cells are the text as written; nothing is evaluated (a cell reading `=HYPERLINK(...)` is that
text) and nothing is trimmed here.

Rules:
- CSV encodings: a UTF-8 byte-order mark means UTF-8; UTF-16 with its byte-order mark is read
  too (Excel's "Unicode text"); otherwise UTF-8 when every byte sequence is valid UTF-8, else
  Windows-1252 (cp1252, what Excel and Sage write on a UK Windows PC). A file that is neither
  is refused with the line of the first bad byte; so is a file with NUL bytes (binary, or
  UTF-16 without its mark).
- CSV delimiters: comma, semicolon, tab or pipe, whichever splits the first lines most
  consistently (or the one given); quoted fields may hold delimiters and line breaks.
- A line longer than `MAX_LINE_CHARS` is refused before it is split: no ledger row is that
  long, and splitting a 50 MB line would take gigabytes.
- Excel: `.xlsx` through openpyxl in read-only mode with cached values (a formula cell gives
  the value Excel last computed, never the formula run by us). Dates become `YYYY-MM-DD`,
  numbers their plain decimal text. Old `.xls` workbooks are refused with what to do.
"""

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Literal

from arrears.core.errors import ArrearsError

RawRow = tuple[int, tuple[str, ...]]
"""(row number, cells as text)"""

TableKind = Literal["csv", "xlsx"]

MAX_LINE_CHARS = 1_000_000
"""Longest CSV line accepted. A ledger row is a few hundred characters."""

CSV_FIELD_LIMIT = 131_072
"""Longest single field accepted (the csv module's own limit)."""

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_CHARS = 65_536
_SAMPLE_LINES = 40
_CHUNK = 1 << 20
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_NOT_LEDGERS = {
    b"%PDF": "a PDF document: export the ledger as CSV or Excel (.xlsx)",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls): save it as .xlsx or CSV and import that",
    b"\x1f\x8b": "a gzip archive: unpack it first",
}
_ENCODING_NAMES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}


class LedgerFileError(ArrearsError):
    """A ledger file that cannot be read as a whole: empty, binary, badly encoded, too long a
    line. The message names the file and, where it can, the row."""

    @classmethod
    def at(cls, source: str, row: int | None, message: str) -> "LedgerFileError":
        where = source if row is None else f"{source} row {row}"
        return cls(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class LineStats:
    """What the scan of a CSV file saw, for a reader that splits it into lines itself
    (`arrears.intake.clean_csv`): where no carriage return stands alone and quotes enclose
    only whole fields within a line, the file's lines are exactly the csv module's rows."""

    line_feeds: int
    lone_carriage_returns: int  # a CR not followed by LF: the csv module ends a row there
    quotes: int
    ends_with_line_feed: bool


@dataclass(frozen=True, slots=True)
class RawTable:
    """A ledger file, looked at but not yet read: `rows()` streams it."""

    path: Path
    kind: TableKind
    sha256: str
    size: int
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    sheet: str | None = None  # Excel only
    lines: LineStats | None = None  # CSV only: what the scan saw of its line ends and quotes

    @property
    def name(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[RawRow]:
        """Every row of the file (or of the chosen sheet), numbered from 1."""
        if self.kind == "xlsx":
            return _xlsx_rows(self)
        return _csv_rows(self)

    def head(self, count: int) -> list[RawRow]:
        """The first `count` rows."""
        rows: list[RawRow] = []
        iterator = self.rows()
        try:
            for row in iterator:
                rows.append(row)
                if len(rows) >= count:
                    break
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        return rows


def open_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> RawTable:
    """Look at the file at `path` and say how to read it; refuse what is not a readable ledger.

    `encoding` ("utf-8", "cp1252", ...) and `delimiter` override what is worked out from the
    content (CSV only); `sheet` picks a worksheet by name (Excel only; default the first).
    """
    source = path.name
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise LedgerFileError.at(source, None, f"cannot be read: {error.strerror or error}") from None
    for magic, what in _NOT_LEDGERS.items():
        if head.startswith(magic):
            raise LedgerFileError.at(source, None, f"not a ledger file but {what}")
    if head.startswith(b"PK\x03\x04"):
        digest, size = _digest(path)
        table = RawTable(path, "xlsx", digest, size, sheet=sheet)
        _check_workbook(table)
        return table
    chosen = _encoding_name(source, encoding) if encoding else None
    digest, size, detected, lines = _scan_text(path, chosen)
    text_encoding = chosen or detected
    sample = _sample(path, text_encoding)
    if not sample.strip():
        raise LedgerFileError.at(source, None, "the file is empty: there is nothing to import")
    if delimiter is not None and delimiter not in DELIMITERS:
        shown = ", ".join(repr(d) for d in DELIMITERS)
        raise LedgerFileError.at(source, None, f"delimiter {delimiter!r} is not one of {shown}")
    return RawTable(
        path,
        "csv",
        digest,
        size,
        encoding=text_encoding,
        delimiter=delimiter or _sniff(sample),
        lines=lines,
    )


def _encoding_name(source: str, name: str) -> str:
    known = _ENCODING_NAMES.get(name.strip().lower())
    if known is None:
        raise LedgerFileError.at(
            source, None, f"unknown encoding {name!r}; use one of utf-8, utf-8-sig, cp1252, latin-1, utf-16"
        )
    return known


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _scan_text(path: Path, encoding: str | None) -> tuple[str, int, str, LineStats | None]:
    """The digest, the size, the encoding (the one given, checked; or the one detected) and the
    line statistics (None for UTF-16, whose bytes are not characters).

    Decoding is checked chunk by chunk with an incremental decoder, so a bad byte is found
    with its line number without holding the file in memory. Windows-1252 is tried only when
    the file is not UTF-8.
    """
    source = path.name
    if encoding is None:
        with path.open("rb") as handle:
            first = handle.read(4)
        if first.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
    if encoding is not None:
        digest, size, failure, lines = _decodes(path, encoding)
        if failure is not None:
            raise LedgerFileError.at(
                source, None, f"is not valid {encoding} text ({failure}): give the right encoding"
            )
        return digest, size, encoding, lines
    digest, size, utf8_failure, lines = _decodes(path, "utf-8")
    if utf8_failure is None:
        return digest, size, "utf-8", lines
    digest, size, cp1252_failure, lines = _decodes(path, "cp1252")
    if cp1252_failure is None:
        return digest, size, "cp1252", lines
    raise LedgerFileError.at(
        source,
        None,
        f"is neither UTF-8 ({utf8_failure}) nor Windows-1252 text ({cp1252_failure}): "
        "export it again as CSV UTF-8",
    )


def _decodes(path: Path, encoding: str) -> tuple[str, int, str | None, LineStats | None]:
    """(digest, size, why the file is not valid `encoding` text or None if it is, line stats).
    NUL bytes are refused outright (except in UTF-16, where they are half of every letter)."""
    digest = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    carriage_returns = crlf = quotes = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if encoding != "utf-16" and b"\x00" in chunk:
                line = lines_before + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
                raise LedgerFileError.at(
                    path.name,
                    line,
                    "holds NUL bytes: this is a binary file, or UTF-16 text without its byte-order "
                    "mark; export the ledger again as CSV (UTF-8)",
                )
            try:
                if encoding == "cp1252":
                    _check_cp1252(chunk)
                decoder.decode(chunk)
            except (UnicodeDecodeError, _Undefined) as error:
                if isinstance(error, UnicodeDecodeError):
                    offset, byte = min(error.start, len(chunk) - 1), error.object[error.start]
                else:
                    offset, byte = error.offset, chunk[error.offset]
                line = lines_before + chunk[:offset].count(b"\n") + 1
                return "", size, f"line {line} has byte 0x{byte:02X}", None
            lines_before += chunk.count(b"\n")
            carriage_returns += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            quotes += chunk.count(b'"')
            last = chunk[-1:]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "", size, "the file ends in the middle of a character", None
    lines = None
    if encoding != "utf-16":
        lines = LineStats(lines_before, carriage_returns - crlf, quotes, last == b"\n")
    return digest.hexdigest(), size, None, lines


class _Undefined(ValueError):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _check_cp1252(chunk: bytes) -> None:
    """Python's cp1252 codec refuses its five undefined bytes; fail fast on them, with where."""
    for byte in _CP1252_UNDEFINED:
        index = chunk.find(bytes([byte]))
        if index >= 0:
            raise _Undefined(index)


def _sample(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as handle:
        return handle.read(_SAMPLE_CHARS)


def _sniff(sample: str) -> str:
    """The delimiter that splits the sample's lines into the most rows of the same width."""
    lines = sample.splitlines()
    if len(lines) > 1 and len(sample) >= _SAMPLE_CHARS:
        lines = lines[:-1]  # the last line of a cut sample is likely incomplete
    lines = [line for line in lines if line.strip()][:_SAMPLE_LINES]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common), len(widths))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _guarded_lines(source: str, handle: IO[str]) -> Iterator[str]:
    for number, line in enumerate(handle, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise LedgerFileError.at(
                source,
                number,
                f"is {len(line):,} characters long: no ledger row is that long "
                f"(at most {MAX_LINE_CHARS:,} are read); this is not a ledger export",
            )
        yield line


def _csv_rows(table: RawTable) -> Iterator[RawRow]:
    assert table.encoding is not None and table.delimiter is not None
    source = table.name
    number = 0
    with table.path.open(encoding=table.encoding, newline="") as handle:
        reader = csv.reader(_guarded_lines(source, handle), delimiter=table.delimiter, strict=False)
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, tuple(cells)
        except csv.Error as error:
            reason = str(error)
            if "field larger than field limit" in reason:
                reason = (
                    f"has a field longer than {CSV_FIELD_LIMIT:,} characters "
                    "(an unclosed quote, or not a ledger export)"
                )
            raise LedgerFileError.at(source, number + 1, reason) from None


# --- Excel ------------------------------------------------------------------------------------


def _check_workbook(table: RawTable) -> None:
    workbook = _load_workbook(table)
    try:
        _worksheet(table, workbook)
    finally:
        workbook.close()


def _load_workbook(table: RawTable):  # type: ignore[no-untyped-def]  # openpyxl is untyped
    from openpyxl import load_workbook  # only Excel imports need it

    try:
        return load_workbook(table.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip
        raise LedgerFileError.at(
            table.name,
            None,
            f"is a ZIP file but not an Excel workbook openpyxl can read ({type(error).__name__}: {error}); "
            "save it as .xlsx or CSV",
        ) from None


def _worksheet(table: RawTable, workbook):  # type: ignore[no-untyped-def]
    names = list(workbook.sheetnames)
    if table.sheet is None:
        if not names:
            raise LedgerFileError.at(table.name, None, "the workbook has no worksheets")
        return workbook[names[0]]
    if table.sheet not in names:
        raise LedgerFileError.at(
            table.name, None, f"has no worksheet {table.sheet!r}; it has {', '.join(map(repr, names))}"
        )
    return workbook[table.sheet]


def _xlsx_rows(table: RawTable) -> Iterator[RawRow]:
    workbook = _load_workbook(table)
    try:
        sheet = _worksheet(table, workbook)
        expected = 1
        for cells in sheet.iter_rows():
            number = _row_number(cells, expected)
            while expected < number:  # rows the file leaves out are blank rows
                yield expected, ()
                expected += 1
            yield number, tuple(cell_text(getattr(cell, "value", None)) for cell in cells)
            expected = number + 1
    finally:
        workbook.close()


def _row_number(cells: tuple[object, ...], expected: int) -> int:
    for cell in cells:
        row = getattr(cell, "row", None)
        if isinstance(row, int):
            return row
    return expected


def cell_text(value: object) -> str:
    """A cell value as the text a CSV export of it would hold: dates as YYYY-MM-DD, numbers in
    plain decimal notation without float noise (0.1 + 0.2 is "0.3"), booleans TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        text = f"{value:.9f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)
