"""Bank statements: camt.053 (and camt.054), MT940, OFX and bank CSV files read into one shape.

`read_statement(path)` reads a file, works out its format from its content when not told,
and returns its `BankStatement` values, or raises `StatementError` naming the file and,
where it can, the line or entry and field. A file that cannot be read in full gives an
error and no statements: there are no partial results.

Each `BankTransaction` has a `fingerprint`, the transaction's identity: the same every time
the same transaction is read, from this file, a page that repeats it or an overlapping
statement, so an import can tell lines it has already recorded (`arrears.intake.bank.fingerprint`).
Matching payments to invoices is done elsewhere; this package only reads.
"""

from pathlib import Path
from typing import Literal

from arrears.intake.bank.bank_csv import (
    GENERIC,
    LLOYDS,
    NATWEST,
    PROFILES,
    STARLING,
    CsvProfile,
    read_bank_csv,
)
from arrears.intake.bank.camt053 import looks_like_camt, read_camt
from arrears.intake.bank.mt940 import decode, looks_like_mt940, read_mt940
from arrears.intake.bank.ofx import looks_like_ofx, read_ofx
from arrears.intake.bank.statement import BankStatement, BankTransaction, StatementError, StatementFormat

__all__ = [
    "FORMATS",
    "GENERIC",
    "LLOYDS",
    "NATWEST",
    "PROFILES",
    "STARLING",
    "BankStatement",
    "BankTransaction",
    "CsvProfile",
    "FileFormat",
    "StatementError",
    "StatementFormat",
    "detect_format",
    "read_statement",
]

FileFormat = Literal["camt", "mt940", "ofx", "csv"]

FORMATS: dict[str, FileFormat] = {
    "camt": "camt",
    "camt.053": "camt",
    "camt053": "camt",
    "camt.054": "camt",
    "camt054": "camt",
    "mt940": "mt940",
    "mt-940": "mt940",
    "swift": "mt940",
    "ofx": "ofx",
    "qfx": "ofx",
    "csv": "csv",
}
"""Names accepted for `read_statement(format=...)`, and the reader each one means."""

_NOT_STATEMENTS = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Excel workbook): export the statement as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook: export the statement as CSV",
}


def detect_format(data: bytes) -> FileFormat:
    """The format `data` is in, from its content.

    XML in a camt namespace is camt; an OFX header or `<OFX>` element is OFX; text with
    MT940 tags (`:20:` and `:61:` or `:60F:` at line starts) is MT940; anything else is
    taken for bank CSV, whose reader says plainly if no layout fits.
    """
    if looks_like_camt(data):
        return "camt"
    if looks_like_ofx(data):
        return "ofx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "camt"  # XML of another kind: the camt reader names the namespace it found
    if looks_like_mt940(decode(data[:65536])):
        return "mt940"
    return "csv"


def read_statement(
    path: Path,
    format: str | None = None,
    *,
    csv_profile: CsvProfile | str | None = None,
    account: str | None = None,
    currency: str | None = None,
) -> list[BankStatement]:
    """The statements in the file at `path`, in file order.

    `format` is one of `FORMATS` ("camt", "mt940", "ofx", "csv"...) or None to detect it.
    `csv_profile`, `account` and `currency` apply to bank CSV only, whose exports often
    name neither the account nor the currency; other formats carry their own.
    """
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StatementError.at(source, None, f"cannot be read: {error.strerror or error}") from None
    if not data.strip():
        raise StatementError.at(source, None, "the file is empty")
    for magic, what in _NOT_STATEMENTS.items():
        if data.startswith(magic):
            raise StatementError.at(source, None, f"not a bank statement file but {what}")
    kind = _format(source, format) if format is not None else detect_format(data)
    if kind == "camt":
        return read_camt(data, source)
    if kind == "mt940":
        return read_mt940(data, source)
    if kind == "ofx":
        return read_ofx(data, source)
    return read_bank_csv(data, source, profile=csv_profile, account=account, currency=currency)


def _format(source: str, name: str) -> FileFormat:
    kind = FORMATS.get(name.strip().lower())
    if kind is None:
        raise StatementError.at(
            source, None, f"unknown statement format {name!r}; use one of {', '.join(FORMATS)}"
        )
    return kind
