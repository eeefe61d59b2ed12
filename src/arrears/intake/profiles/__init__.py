"""Mapping profiles: how one accounting package's export lays out a ledger, as data.

A profile is a YAML file (the built-in ones sit beside this module; a user adds one by
dropping a file in the workspace's `profiles/` folder, or by naming a file with `--profile`).
It says which column holds which field (by header name, or by position for files without a
header), how dates are written (day first or month first; ISO dates are always accepted), how
amounts are written, which transaction types are invoices, credit notes or cash, which rows
are report furniture (titles, section labels, totals, page footers) and which row carries the
file's own grand total. docs/intake.md describes every key; `generic.yaml` is the example.

Header names are matched ignoring case, spaces and punctuation ("Open Balance", "open_balance"
and "OPEN BALANCE." are one name). Each field lists the names it may go by; the first one the
file has wins, in the order the fields are listed, and a column serves one field only.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from arrears.core.errors import ArrearsError

BUILTIN_FOLDER = Path(__file__).resolve().parent

DEBTOR_FIELDS = (
    "debtor_code",
    "debtor_name",
    "contact_name",
    "email",
    "phone",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "address_5",
    "postcode",
    "country",
    "terms_days",
    "credit_limit",
)
DOCUMENT_FIELDS = (
    "type",
    "number",
    "reference",
    "po_number",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "open_amount",
    "paid_amount",
    "status",
)
FIELDS = DEBTOR_FIELDS + DOCUMENT_FIELDS
"""Every field a profile can map a column to."""

Kind = Literal["invoice", "credit_note", "payment", "skip", "sign"]
KINDS: tuple[Kind, ...] = ("invoice", "credit_note", "payment", "skip", "sign")
"""What a transaction type means: an invoice, a credit note, cash on account (a payment not
yet allocated), a row to leave out (e.g. a draft), or "sign": the sign of its amount decides
(a journal: positive is a debit, an invoice; negative a credit, a credit note)."""

DateOrder = Literal["iso", "day_first", "month_first"]
Contents = Literal["documents", "debtors"]

_KEYS = {
    "name",
    "title",
    "description",
    "checked",
    "extends",
    "contents",
    "priority",
    "encoding",
    "delimiter",
    "header",
    "columns",
    "positions",
    "required",
    "dates",
    "decimal",
    "types",
    "negative_amount",
    "skip_status",
    "group",
    "skip_rows",
    "file_total",
    "lines",
    "debtor_code_from_name",
    "defaults",
    "report_title",
}


_NOT_ALNUM = re.compile(r"[\W_]+")


class ProfileError(ArrearsError):
    """A profile file that cannot be used, or a profile name that does not exist."""


def normalise_header(text: str) -> str:
    """A header name reduced to lower-case letters and digits: how names are compared."""
    return _NOT_ALNUM.sub("", text.casefold())


def normalise_value(text: str) -> str:
    """A type or status value reduced for comparison: lower case, single spaces."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class GroupRule:
    """Rows that name the debtor of the rows below them, as report layouts do (Sage's
    "A/C: ... Name: ..." lines, Xero's contact-name lines)."""

    pattern: re.Pattern[str] | None = None  # on the row's cells joined by single spaces
    first_cell_only: bool = False  # a row with text in its first cell and nothing else
    field: str = "debtor_name"  # which field a first-cell-only row gives


@dataclass(frozen=True, slots=True)
class TotalRule:
    """The row carrying the file's own grand total, checked against the rows read."""

    pattern: re.Pattern[str]  # on the row's first non-empty cell
    field: str = "open_amount"  # the column (by field) that holds the total


@dataclass(frozen=True, slots=True)
class LedgerProfile:
    """One layout of ledger file. See the module docstring and docs/intake.md."""

    name: str
    title: str
    origin: str  # the file it was loaded from
    description: str = ""
    checked: str = ""  # how the layout was checked against the package's real exports
    contents: Contents = "documents"
    priority: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    header: bool = True
    header_search_rows: int = 40
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    positions: Mapping[str, int] = field(default_factory=dict)  # 0-based, header: false only
    required: tuple[str, ...] = ()
    dates: DateOrder = "day_first"
    decimal: str = "."
    types: Mapping[str, Kind] = field(default_factory=dict)  # normalised value -> kind
    default_type: Kind = "invoice"  # no type column, or an empty cell
    negative_amount: Literal["credit_note", "error"] = "credit_note"
    skip_status: frozenset[str] = frozenset()
    group: GroupRule | None = None
    skip_rows: tuple[re.Pattern[str], ...] = ()
    file_total: TotalRule | None = None
    lines: Literal["document", "line"] = "document"
    debtor_code_from_name: bool = False
    default_currency: str | None = None
    default_terms_days: int = 30
    report_title: re.Pattern[str] | None = None  # a line above the header naming the report

    def kind_of(self, value: str) -> Kind | None:
        """What a type cell means, or None for a value the profile does not know."""
        text = normalise_value(value)
        if not text:
            return self.default_type
        return self.types.get(text)

    def known_types(self) -> list[str]:
        return sorted(self.types)


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """Where a profile finds its columns in a file: the header row (None without one), the
    column index of each field found, and the header text of each."""

    row: int | None
    cells: tuple[str, ...]
    columns: Mapping[str, int]
    names: Mapping[str, str]

    def name_of(self, field_name: str) -> str:
        return self.names.get(field_name, field_name)


def match_header(profile: LedgerProfile, rows: Sequence[tuple[int, tuple[str, ...]]]) -> HeaderMatch | None:
    """The profile's columns in the first rows of a file, or None when its header is not there.

    The header is the first row (within `header_search_rows`) holding a name for every
    required field. Without a header, the profile's positions are used as they are.
    """
    if not profile.header:
        names = {name: f"column {index + 1}" for name, index in profile.positions.items()}
        return HeaderMatch(None, (), dict(profile.positions), names)
    for number, cells in rows[: profile.header_search_rows]:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            found.setdefault(normalise_header(cell), index)
        if not all(_has_any(found, profile.columns.get(name, ())) for name in profile.required):
            continue
        columns: dict[str, int] = {}
        taken: set[int] = set()
        for name, alternatives in profile.columns.items():
            for alternative in alternatives:
                position = found.get(normalise_header(alternative))
                if position is not None and position not in taken:
                    columns[name] = position
                    taken.add(position)
                    break
        if all(name in columns for name in profile.required):
            names = {name: cells[index].strip() for name, index in columns.items()}
            return HeaderMatch(number, cells, columns, names)
    return None


def _has_any(found: Mapping[str, int], alternatives: Iterable[str]) -> bool:
    return any(normalise_header(alternative) in found for alternative in alternatives)


# --- loading ----------------------------------------------------------------------------------


def builtin_profile_files() -> list[Path]:
    return sorted(BUILTIN_FOLDER.glob("*.yaml"))


def available_profiles(folders: Iterable[Path] = ()) -> dict[str, LedgerProfile]:
    """Every profile by name: the built-in ones, then those in `folders` (a user's profile of
    the same name as a built-in one replaces it)."""
    raw = _raw(folders)
    return {name: _build(name, raw) for name in raw}


def load_profile(name_or_path: str, folders: Iterable[Path] = ()) -> LedgerProfile:
    """A profile by name (built-in or in `folders`) or from a YAML file path; a file may
    `extend` any profile known by name."""
    raw = _raw(folders)
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise ProfileError(f"there is no profile file {candidate}")
        data = _read_yaml(candidate)
        name = _name_of(candidate, data)
        raw[name] = (candidate, data)
        return _build(name, raw)
    if name_or_path not in raw:
        raise ProfileError(
            f"there is no profile {name_or_path!r}; use one of {', '.join(sorted(raw))}, "
            "or the path of a profile file (.yaml)"
        )
    return _build(name_or_path, raw)


def _raw(folders: Iterable[Path]) -> dict[str, tuple[Path, dict[str, Any]]]:
    files = builtin_profile_files()
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")))
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in files:
        data = _read_yaml(path)
        raw[_name_of(path, data)] = (path, data)
    return raw


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"profile {path}: cannot be read ({error})") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"profile {path}: not valid YAML ({' '.join(str(error).split())})") from None
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path}: must be a mapping of keys (name, columns, ...)")
    unknown = set(data) - _KEYS
    if unknown:
        raise ProfileError(
            f"profile {path}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"the keys are {', '.join(sorted(_KEYS))}"
        )
    return data


def _name_of(path: Path, data: Mapping[str, Any]) -> str:
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", name):
        raise ProfileError(f"profile {path}: name {name!r} must be lower-case letters, digits, _ or -")
    return name


def _build(name: str, raw: Mapping[str, tuple[Path, dict[str, Any]]]) -> LedgerProfile:
    path, _ = raw[name]
    return _profile(name, path, _merged_data(name, raw, ()))


def _merged_data(
    name: str, raw: Mapping[str, tuple[Path, dict[str, Any]]], chain: tuple[str, ...]
) -> dict[str, Any]:
    """The profile's keys over those of the profile it extends (columns merged by field)."""
    if name in chain:
        raise ProfileError(
            f"profile {name}: `extends` goes round in a circle ({' -> '.join((*chain, name))})"
        )
    path, data = raw[name]
    parent = data.get("extends")
    if parent is None:
        return dict(data)
    if parent not in raw:
        raise ProfileError(f"profile {path}: extends {parent!r}, which does not exist")
    parent_data = _merged_data(parent, raw, (*chain, name))
    columns = dict(parent_data.get("columns") or {})
    columns.update(data.get("columns") or {})
    merged = {**parent_data, **data, "columns": columns}
    merged.pop("extends", None)
    return merged


def _profile(name: str, path: Path, data: Mapping[str, Any]) -> LedgerProfile:
    where = f"profile {path.name}"

    def text(key: str, default: str = "") -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ProfileError(f"{where}: {key} must be text")
        return value

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = data.get(key, default)
        if value not in allowed:
            raise ProfileError(f"{where}: {key} must be one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    def regex(pattern: object, key: str) -> re.Pattern[str]:
        if not isinstance(pattern, str):
            raise ProfileError(f"{where}: {key} must be a regular expression (text)")
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise ProfileError(
                f"{where}: {key} {pattern!r} is not a valid regular expression ({error})"
            ) from None

    columns = _columns(where, data.get("columns") or {})
    positions = _positions(where, data.get("positions") or {})
    header = data.get("header", True)
    if not isinstance(header, bool):
        raise ProfileError(f"{where}: header must be true or false")
    if header and positions:
        raise ProfileError(f"{where}: positions are for files without a header (header: false)")
    if not header and not positions:
        raise ProfileError(f"{where}: a profile without a header needs positions")
    required = tuple(_names(where, "required", data.get("required") or []))
    for required_field in required:
        if required_field not in FIELDS:
            raise ProfileError(
                f"{where}: required field {required_field!r} is not one of {', '.join(FIELDS)}"
            )
        if header and required_field not in columns:
            raise ProfileError(f"{where}: required field {required_field!r} has no column names")
    contents = choice("contents", ("documents", "debtors"), "documents")
    mapped = set(columns) | set(positions)
    if contents == "documents":
        needed = [("number",), ("issue_date",), ("amount", "open_amount")]
    else:
        needed = [("debtor_code", "debtor_name")]
    group = _group(where, data.get("group"), regex)
    for alternatives in needed:
        if not mapped.intersection(alternatives):
            raise ProfileError(f"{where}: maps no column to {' or '.join(alternatives)}")
    if contents == "documents" and not (
        mapped.intersection(("debtor_code", "debtor_name")) or group is not None
    ):
        raise ProfileError(f"{where}: gives no debtor: map debtor_code or debtor_name, or a group rule")
    types, default_type = _types(where, data.get("types") or {})
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - {"currency", "terms_days"}:
        raise ProfileError(f"{where}: defaults may give currency and terms_days only")
    terms = defaults.get("terms_days", 30)
    if not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= 3650:
        raise ProfileError(f"{where}: defaults.terms_days must be a whole number of days (0 to 3650)")
    currency = defaults.get("currency")
    if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        raise ProfileError(f"{where}: defaults.currency must be a three-letter code such as GBP")
    total = data.get("file_total")
    file_total = None
    if total is not None:
        if not isinstance(total, dict) or "pattern" not in total:
            raise ProfileError(f"{where}: file_total needs a pattern (and optionally a field)")
        total_field = total.get("field", "open_amount")
        if total_field not in mapped:
            raise ProfileError(f"{where}: file_total field {total_field!r} has no column")
        file_total = TotalRule(regex(total["pattern"], "file_total.pattern"), total_field)
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ProfileError(f"{where}: priority must be a whole number")
    search = 40
    delimiter = data.get("delimiter")
    if delimiter is not None and delimiter not in (",", ";", "\t", "|"):
        raise ProfileError(f"{where}: delimiter must be one of ',', ';', tab or '|'")
    decimal = choice("decimal", (".", ","), ".")
    report_title = data.get("report_title")
    return LedgerProfile(
        name=name,
        title=text("title", name),
        origin=str(path),
        description=text("description"),
        checked=text("checked"),
        contents=contents,  # type: ignore[arg-type]  # checked by choice()
        priority=priority,
        encoding=data.get("encoding"),
        delimiter=delimiter,
        header=header,
        header_search_rows=search,
        columns=columns,
        positions=positions,
        required=required,
        dates=choice("dates", ("iso", "day_first", "month_first"), "day_first"),  # type: ignore[arg-type]
        decimal=decimal,
        types=types,
        default_type=default_type,
        negative_amount=choice("negative_amount", ("credit_note", "error"), "credit_note"),  # type: ignore[arg-type]
        skip_status=frozenset(
            normalise_value(v) for v in _names(where, "skip_status", data.get("skip_status") or [])
        ),
        group=group,
        skip_rows=tuple(
            regex(p, "skip_rows") for p in _names(where, "skip_rows", data.get("skip_rows") or [])
        ),
        file_total=file_total,
        lines=choice("lines", ("document", "line"), "document"),  # type: ignore[arg-type]
        debtor_code_from_name=bool(data.get("debtor_code_from_name", False)),
        default_currency=currency,
        default_terms_days=terms,
        report_title=None if report_title is None else regex(report_title, "report_title"),
    )


def _names(where: str, key: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: {key} must be a list of text")
    return list(value)


def _columns(where: str, value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: columns must map fields to header names")
    columns: dict[str, tuple[str, ...]] = {}
    for name, names in value.items():
        if name not in FIELDS:
            raise ProfileError(f"{where}: column field {name!r} is not one of {', '.join(FIELDS)}")
        alternatives = tuple(_names(where, f"columns.{name}", names))
        if not alternatives or not all(normalise_header(a) for a in alternatives):
            raise ProfileError(
                f"{where}: columns.{name} needs at least one header name with letters or digits"
            )
        columns[name] = alternatives
    return columns


def _positions(where: str, value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: positions must map fields to column numbers (1 = the first)")
    positions: dict[str, int] = {}
    for name, position in value.items():
        if name not in FIELDS:
            raise ProfileError(f"{where}: position field {name!r} is not one of {', '.join(FIELDS)}")
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            raise ProfileError(f"{where}: positions.{name} must be a column number (1 = the first)")
        positions[name] = position - 1
    return positions


def _types(where: str, value: object) -> tuple[dict[str, Kind], Kind]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: types must map kinds ({', '.join(KINDS)}) to lists of values")
    types: dict[str, Kind] = {}
    default: Kind = "invoice"
    for kind, values in value.items():
        if kind == "default":
            if values not in KINDS:
                raise ProfileError(f"{where}: types.default must be one of {', '.join(KINDS)}")
            default = values
            continue
        if kind not in KINDS:
            raise ProfileError(f"{where}: types.{kind} is not one of {', '.join(KINDS)} (or default)")
        for item in _names(where, f"types.{kind}", values):
            key = normalise_value(item)
            if key in types and types[key] != kind:
                raise ProfileError(f"{where}: type {item!r} is listed as both {types[key]} and {kind}")
            types[key] = kind
    return types, default


def _group(where: str, value: object, regex: Any) -> GroupRule | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"pattern", "first_cell_only", "field"}:
        raise ProfileError(f"{where}: group takes pattern, or first_cell_only and field")
    pattern = value.get("pattern")
    first_only = bool(value.get("first_cell_only", False))
    if (pattern is None) == (not first_only):
        raise ProfileError(f"{where}: group needs either a pattern or first_cell_only: true")
    group_field = value.get("field", "debtor_name")
    if group_field not in ("debtor_name", "debtor_code"):
        raise ProfileError(f"{where}: group.field must be debtor_name or debtor_code")
    compiled = None
    if pattern is not None:
        compiled = regex(pattern, "group.pattern")
        unknown = set(compiled.groupindex) - set(DEBTOR_FIELDS)
        if unknown:
            raise ProfileError(
                f"{where}: group.pattern names group(s) {', '.join(sorted(unknown))}; "
                f"use debtor fields ({', '.join(DEBTOR_FIELDS)})"
            )
    return GroupRule(compiled, first_only, group_field)


def names_its_report(
    profile: LedgerProfile, match: HeaderMatch, rows: Sequence[tuple[int, tuple[str, ...]]]
) -> bool:
    """Whether a line above the header names the profile's report (e.g. "Invoice List")."""
    if profile.report_title is None or match.row is None:
        return False
    return any(
        profile.report_title.search(cell.strip())
        for number, cells in rows
        if number < match.row
        for cell in cells
        if cell.strip()
    )


def detect_candidates(
    profiles: Iterable[LedgerProfile], rows: Sequence[tuple[int, tuple[str, ...]]]
) -> list[tuple[LedgerProfile, HeaderMatch]]:
    """The profiles (with headers) whose header is found in `rows`, most columns first."""
    found = []
    for profile in profiles:
        if not profile.header:
            continue
        match = match_header(profile, rows)
        if match is not None:
            found.append((profile, match))
    found.sort(key=lambda pair: (-len(pair[1].columns), -pair[0].priority, pair[0].name))
    return found
