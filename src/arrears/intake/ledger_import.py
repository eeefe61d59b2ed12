"""A ledger file opened, its profile chosen (or detected), its rows read and checked.

`read_ledger()` is what every way in shares (the CLI, the mailbox, the sync agent): it needs no
store. The service `arrears.services.import_ledger` takes its `ParsedLedger` on from there.

Choosing a profile: a named one must find its header in the file's first rows; "auto" tries
every profile whose header is there, reads the first rows with each, and takes the one with
the fewest errors, then the most columns recognised, then the highest priority (so a UK
layout wins over its US twin when every date is ambiguous, and the report says so).
"""

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from arrears.intake.files import LedgerFileError, RawRow, RawTable, open_table
from arrears.intake.profiles import (
    HeaderMatch,
    LedgerProfile,
    ProfileError,
    available_profiles,
    detect_candidates,
    load_profile,
    match_header,
    names_its_report,
)
from arrears.intake.validation import ParsedLedger, parse_ledger

HEAD_ROWS = 60
TRIAL_ROWS = 300
CLEAN_READ_BYTES = 256 * 1024
"""Files from this size up are first tried column by column (a few thousand rows and more)."""


@dataclass(frozen=True, slots=True)
class ChosenProfile:
    profile: LedgerProfile
    header: HeaderMatch
    reason: str


def read_ledger(
    path: Path,
    *,
    profile: str = "auto",
    default_currency: str,
    profile_folders: Sequence[Path] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> ParsedLedger:
    """Open `path`, choose its profile ("auto" detects it from the header) and read every row.

    Raises `LedgerFileError` for a file that cannot be read at all (empty, binary, badly
    encoded, a header with nothing under it) and `ProfileError` when no profile fits.
    """
    table = open_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    chosen = choose_profile(table, profile, profile_folders, default_currency)
    wanted_encoding = encoding or chosen.profile.encoding
    wanted_delimiter = delimiter or chosen.profile.delimiter
    if table.kind == "csv" and (
        (wanted_encoding and wanted_encoding != table.encoding)
        or (wanted_delimiter and wanted_delimiter != table.delimiter)
    ):
        table = open_table(path, encoding=wanted_encoding, delimiter=wanted_delimiter)
    with _no_gc():
        parsed = _read_clean(table, chosen, default_currency) or parse_ledger(
            table, chosen.profile, chosen.header, default_currency=default_currency
        )
    parsed.profile_reason = chosen.reason
    if parsed.data_rows == 0 and not parsed.errors:
        where = f"row {chosen.header.row}" if chosen.header.row is not None else "the file"
        raise LedgerFileError.at(
            table.name,
            None,
            f"has a header ({where}) but no rows under it: there is nothing to import "
            "(a full import of an empty ledger would mark every open document settled)",
        )
    return parsed


def _read_clean(table: RawTable, chosen: ChosenProfile, default_currency: str) -> ParsedLedger | None:
    """A large clean CSV file read column by column (`arrears.intake.clean_csv`), or None (then
    it is read row by row). Small files go row by row: Polars' start-up is not worth it."""
    if table.kind != "csv" or table.size < CLEAN_READ_BYTES:
        return None
    from arrears.intake.clean_csv import read_clean_csv

    return read_clean_csv(table, chosen.profile, chosen.header, default_currency=default_currency)


def choose_profile(
    table: RawTable, name: str, folders: Sequence[Path], default_currency: str
) -> ChosenProfile:
    head = table.head(max(HEAD_ROWS, TRIAL_ROWS))
    if not any(any(cell.strip() for cell in cells) for _, cells in head):
        raise LedgerFileError.at(table.name, None, "the file is empty: there is nothing to import")
    if name != "auto":
        profile = load_profile(name, folders)
        match = match_header(profile, head[:HEAD_ROWS])
        if match is None:
            needed = ", ".join(
                " or ".join(repr(n) for n in profile.columns.get(f, (f,))) for f in profile.required
            )
            raise ProfileError(
                f"{table.name}: does not have the columns of profile {profile.name} in its first "
                f"{HEAD_ROWS} rows; it needs {needed}. {_what_it_has(head)}"
            )
        return ChosenProfile(profile, match, f"profile {profile.name}, as asked")
    candidates = detect_candidates(available_profiles(folders).values(), head[:HEAD_ROWS])
    if not candidates:
        raise ProfileError(
            f"{table.name}: no profile recognises this file. {_what_it_has(head)} "
            "Name the profile with --profile, or add one for this layout (see docs/intake.md)."
        )
    if len(candidates) == 1:
        profile, match = candidates[0]
        return ChosenProfile(profile, match, f"detected {profile.name} (its header is on row {match.row})")
    scored = []
    for profile, match in candidates:
        trial = parse_ledger(table, profile, match, default_currency=default_currency, rows=iter(head))
        untitled = not names_its_report(profile, match, head)
        scored.append(
            (
                len(trial.errors),
                untitled,
                -len(match.columns),
                -profile.priority,
                profile.name,
                profile,
                match,
            )
        )
    scored.sort(key=lambda item: item[:5])
    _, untitled, _, _, name, chosen, header = scored[0]
    others = ", ".join(
        f"{item[4]} ({item[0]} error{'s' if item[0] != 1 else ''} in the first rows)" for item in scored[1:]
    )
    titled = "" if untitled else ", under the report's title"
    reason = f"detected {name} (its header is on row {header.row}{titled}; also fit: {others})"
    return ChosenProfile(chosen, header, reason)


def _what_it_has(head: list[RawRow]) -> str:
    widest = max(head, key=lambda row: sum(1 for cell in row[1] if cell.strip()))
    cells = [cell.strip() for cell in widest[1] if cell.strip()][:12]
    return f"Its widest early row (row {widest[0]}) reads: {', '.join(cells)}."


@contextmanager
def _no_gc() -> Iterator[None]:
    """Reading a large file makes millions of small tuples that can never form cycles; the
    cyclic garbage collector rescanning them would double the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
