"""Raw rows through a profile into checked ledger values, and every error with where it is.

`parse_ledger(table, profile, match, ...)` reads every row of the file once and returns a
`ParsedLedger`: the documents (invoices and credit notes), the cash on account and the
debtors the file defines, as plain tuples (no per-row objects beyond them, no `Decimal`s:
amounts are integer minor units), and a `RowError` for each problem, naming the file, the
row, the column and the value. A row with an error is rejected as a whole; the others stand.

Checked on every row: required fields are there; dates are dates and the due date is not
before the issue date; amounts are amounts, in whole minor units of a known currency, the open
amount between zero and the amount and of the same sign; the transaction type is one the
profile knows; text fits the store (a document number is at most 64 characters). Checked
across rows: a document number appears once per kind (an exact repeat of a row is reported as
such); a debtor is given one name. `undefined_debtors()` adds the check that needs the store:
every debtor a document names is defined, in the file or already.

Report furniture is recognised by the profile: blank rows, repeated headers, title, section
and total lines are skipped (and counted); the row carrying the file's own grand total is
kept to check the rows against. A row that is none of these and not a valid data row is an
error, never silently dropped.
"""

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from arrears.core.errors import ArrearsError
from arrears.core.money import check_currency, minor_units
from arrears.intake.files import RawRow, RawTable
from arrears.intake.profiles import HeaderMatch, Kind, LedgerProfile, normalise_header, normalise_value
from arrears.intake.values import AmountReader, DateReader, code_for_name, terms_days

if TYPE_CHECKING:
    import polars as pl

NUMBER_LENGTH = 64
REFERENCE_LENGTH = 128
NAME_LENGTH = 200
CODE_LENGTH = 64
EMAIL_LENGTH = 320
PHONE_LENGTH = 64
POSTCODE_LENGTH = 32


class RowError(NamedTuple):
    """One problem in a file, with where it is. `column` is the header text (or the field)."""

    source: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source} row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is not None:
            return f"{where}: {self.value!r} {self.message}"
        return f"{where}: {self.message}"


class SourceDocument(NamedTuple):
    """An invoice or credit note as the file gives it. Amounts are positive minor units;
    `amount_minor` is None when the layout shows only what is outstanding; `due_date` None
    when the file gives none (it follows from the debtor's terms when the import is planned)."""

    row: int
    debtor: str
    kind: str  # "invoice" or "credit_note"
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    amount_minor: int | None
    open_minor: int
    reference: str | None
    po_number: str | None


class SourcePayment(NamedTuple):
    """Cash on the debtor's account not yet allocated (a payment on account, an overpayment)."""

    row: int
    debtor: str
    reference: str
    received_on: date
    currency: str
    amount_minor: int
    unallocated_minor: int


@dataclass(slots=True)
class SourceDebtor:
    """A debtor as the file describes it: the first non-empty value of each detail wins."""

    code: str
    row: int
    name: str | None = None
    name_row: int | None = None
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: tuple[str, ...] = ()
    postcode: str | None = None
    country: str | None = None
    terms_days: int | None = None
    credit_limit_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredTotal:
    """The file's own grand total (its TOTAL row), in minor units of the file's currency."""

    row: int
    column: str
    text: str
    minor: int | None


@dataclass(slots=True)
class CurrencyTotals:
    """What the accepted rows add up to in one currency (minor units, all positive)."""

    documents: int = 0
    invoices_open: int = 0
    credit_notes_open: int = 0
    cash_unallocated: int = 0

    @property
    def net_open(self) -> int:
        """Open invoices less open credit notes less unallocated cash: the balance owed."""
        return self.invoices_open - self.credit_notes_open - self.cash_unallocated


@dataclass(slots=True)
class ParsedLedger:
    """A ledger file read through a profile. Rows with errors are in `rejected`; the
    `accepted_*` methods give what stands."""

    table: RawTable
    profile: LedgerProfile
    header: HeaderMatch
    default_currency: str
    _documents: list[SourceDocument] = field(default_factory=list)
    payments: list[SourcePayment] = field(default_factory=list)
    debtors: dict[str, SourceDebtor] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)
    rows_total: int = 0
    data_rows: int = 0
    furniture_rows: int = 0
    left_out_rows: int = 0  # drafts, voided, types the profile skips
    declared_total: DeclaredTotal | None = None
    file_signed_open: dict[str, int] = field(default_factory=dict)  # as written, every readable row
    unreadable_amounts: int = 0
    document_rows: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # line layouts
    profile_reason: str = ""  # how the profile was chosen
    # the documents column by column (`arrears.intake.clean_csv`), when the file was read so
    frame: "pl.DataFrame | None" = field(default=None, compare=False, repr=False)

    @property
    def documents(self) -> list[SourceDocument]:
        """Every document read, in file order. A file read column by column keeps them in
        `frame`; they are made into tuples here only when asked for (a million of them cost
        seconds and hundreds of megabytes, which the import itself avoids)."""
        if self.frame is not None and len(self._documents) != self.frame.height:
            self._documents = [SourceDocument._make(row) for row in self.frame.iter_rows()]
        return self._documents

    def reject(self, error: RowError, *rows: int) -> None:
        self.errors.append(error)
        self.rejected.update(rows or ((error.row,) if error.row is not None else ()))

    def accepted_documents(self) -> list[SourceDocument]:
        if not self.rejected:
            return self.documents
        rejected = self.rejected
        return [document for document in self.documents if document.row not in rejected]

    def accepted_frame(self) -> "pl.DataFrame":
        """The documents that stand, column by column (for a file read that way)."""
        assert self.frame is not None
        if not self.rejected:
            return self.frame
        import polars as pl

        return self.frame.filter(~pl.col("row").is_in(sorted(self.rejected)))

    def document_count(self) -> int:
        """How many documents stand."""
        if self.frame is not None:
            return self.accepted_frame().height
        return len(self.accepted_documents())

    def accepted_payments(self) -> list[SourcePayment]:
        rejected = self.rejected
        return [payment for payment in self.payments if payment.row not in rejected]

    def accepted_debtors(self) -> dict[str, SourceDebtor]:
        """The debtors to write: for a customer list, those on rows that stand; for a ledger,
        those the standing documents and cash name (and the file gives a name for)."""
        rejected = self.rejected
        if self.profile.contents == "debtors":
            return {code: d for code, d in self.debtors.items() if d.row not in rejected}
        used = self.referenced_debtors()
        return {code: d for code, d in self.debtors.items() if code in used and d.name}

    def rows_of(self, kind: str, number: str, row: int) -> list[int]:
        return self.document_rows.get((kind, number), [row])

    def totals(self) -> dict[str, CurrencyTotals]:
        """Per currency: documents, open invoices, open credit notes, unallocated cash."""
        totals = self._frame_totals() if self.frame is not None else self._document_totals()
        for payment in self.accepted_payments():
            total = totals.setdefault(payment.currency, CurrencyTotals())
            total.cash_unallocated += payment.unallocated_minor
        return dict(sorted(totals.items()))

    def _document_totals(self) -> dict[str, CurrencyTotals]:
        totals: dict[str, CurrencyTotals] = {}
        for document in self.accepted_documents():
            total = totals.get(document.currency)
            if total is None:
                total = totals[document.currency] = CurrencyTotals()
            total.documents += 1
            if document.kind == "invoice":
                total.invoices_open += document.open_minor
            else:
                total.credit_notes_open += document.open_minor
        return totals

    def _frame_totals(self) -> dict[str, CurrencyTotals]:
        import polars as pl

        invoice = pl.col("kind") == "invoice"
        sums = (
            self.accepted_frame()
            .group_by("currency")
            .agg(
                pl.len(),
                pl.col("open_minor").filter(invoice).sum().alias("invoices"),
                pl.col("open_minor").filter(~invoice).sum().alias("credit_notes"),
            )
        )
        return {row[0]: CurrencyTotals(row[1], row[2], row[3]) for row in sums.iter_rows()}

    def referenced_debtors(self) -> set[str]:
        payments = {p.debtor for p in self.accepted_payments()}
        if self.frame is not None:
            return set(self.accepted_frame()["debtor"].unique().to_list()) | payments
        return {d.debtor for d in self.accepted_documents()} | payments

    def check_declared_total(self) -> None:
        """The rows must add up to the file's own TOTAL row, when it has one and one currency."""
        declared = self.declared_total
        if declared is None or self.errors:
            return  # rows with errors: the import stops on them, or leaves them out, anyway
        if declared.minor is None:
            self.reject(
                RowError(self.table.name, declared.row, declared.column, declared.text, "is not an amount"),
                declared.row,
            )
            return
        if self.unreadable_amounts or len(self.file_signed_open) > 1:
            return  # cannot be compared: said in the report (total_checked)
        computed = sum(self.file_signed_open.values())
        if computed != declared.minor:
            exponent = minor_units(self.default_currency)
            self.errors.append(
                RowError(
                    self.table.name,
                    declared.row,
                    declared.column,
                    declared.text,
                    f"is the file's total, but its rows add up to {_show(computed, exponent)}: "
                    "some rows were not read as the file means them (is this the right profile?)",
                )
            )

    @property
    def total_checked(self) -> bool:
        return (
            self.declared_total is not None
            and not self.errors
            and self.declared_total.minor is not None
            and not self.unreadable_amounts
            and len(self.file_signed_open) <= 1
        )


def _show(minor: int, exponent: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")


@lru_cache(maxsize=256)
def currency_exponent(code: str) -> int | None:
    """Minor-unit places of an ISO 4217 code, or None for a code that is not one."""
    try:
        return minor_units(check_currency(code))
    except ArrearsError:
        return None


_ADDRESS_FIELDS = ("address_1", "address_2", "address_3", "address_4", "address_5")


def parse_ledger(
    table: RawTable,
    profile: LedgerProfile,
    header: HeaderMatch,
    *,
    default_currency: str,
    rows: Iterator[RawRow] | None = None,
) -> ParsedLedger:
    """Read and check every row of `table` through `profile` (whose columns are at `header`).

    `default_currency` is used where neither the row nor the profile names one (the creditor's
    currency). `rows` replaces the file's rows (for trying a profile on the first rows only).
    """
    parsed = ParsedLedger(table, profile, header, profile.default_currency or default_currency)
    _Reader(parsed).read(table.rows() if rows is None else rows)
    return parsed


class _Reader:
    """The row loop, with the profile's choices looked up once."""

    def __init__(self, parsed: ParsedLedger) -> None:
        self.parsed = parsed
        profile = parsed.profile
        self.profile = profile
        self.source = parsed.table.name
        columns = parsed.header.columns
        self.index = {name: columns.get(name, -1) for name in _ALL_FIELDS}
        self.names = parsed.header.names
        order = (
            "type",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "amount",
            "open_amount",
            "paid_amount",
            "reference",
            "po_number",
            "status",
            "debtor_code",
            "debtor_name",
        )
        self.width = max(columns.values(), default=-1) + 1
        self.padding = ("",) * (self.width + 1)
        self.pick = itemgetter(*(columns.get(name, self.width) for name in order))
        detail_indices = [columns[name] for name in _DEBTOR_DETAIL_FIELDS if name in columns]
        self.detail_pick: Callable[[tuple[str, ...]], object] = (
            itemgetter(*detail_indices) if detail_indices else _nothing
        )
        self.kinds: dict[str, Kind | None] = {}
        self.details = tuple((name, columns[name]) for name in _DEBTOR_DETAIL_FIELDS if name in columns)
        self.dates = DateReader(profile.dates)
        self.amounts = AmountReader(profile.decimal)
        self.header_key = _row_key(parsed.header.cells)
        total = profile.file_total
        self.total_index = columns.get(total.field, -1) if total else -1
        self.seen_documents: dict[tuple[str, str], int] = {}  # key -> index in documents
        self.seen_payments: dict[str, int] = {}
        self.cash_repeats: dict[str, int] = {}
        self.debtor_said: dict[str, tuple[object, ...]] = {}  # what rows last said of each debtor
        self.line_rows: dict[str, list[int]] = {}  # line layouts: number -> every row of it
        self.group: dict[str, str] = {}
        self.group_said: tuple[str, ...] = ()

    def column(self, name: str) -> str:
        return self.names.get(name, name)

    def read(self, rows: Iterator[RawRow]) -> None:
        parsed = self.parsed
        profile = self.profile
        header_row = parsed.header.row
        skip_rows = profile.skip_rows
        total_rule = profile.file_total
        group = profile.group
        debtors_only = profile.contents == "debtors"
        header_first = _first_text(parsed.header.cells) if header_row is not None else None
        for number, cells in rows:
            parsed.rows_total = number
            if header_row is not None and number <= header_row:
                continue
            first = _first_text(cells)
            if first is None:
                parsed.furniture_rows += 1
                continue
            if first == header_first and _row_key(cells) == self.header_key:
                parsed.furniture_rows += 1  # the column headings again, at a page break
                continue
            if total_rule is not None and total_rule.pattern.search(first):
                parsed.furniture_rows += 1
                self._declared_total(number, cells)
                continue
            if skip_rows and any(pattern.search(first) for pattern in skip_rows):
                parsed.furniture_rows += 1
                self.group = {}  # a total or a section label ends the debtor's group
                self.group_said = ()
                continue
            if group is not None and self._group_row(cells, first):
                parsed.furniture_rows += 1
                continue
            parsed.data_rows += 1
            if debtors_only:
                self._debtor_row(number, cells)
            else:
                self._document_row(number, cells)
        if profile.lines == "line":
            self._reject_whole_documents()
        parsed.check_declared_total()

    # --- furniture ----------------------------------------------------------------------

    def _declared_total(self, number: int, cells: tuple[str, ...]) -> None:
        index = self.total_index
        text = cells[index].strip() if 0 <= index < len(cells) else ""
        rule = self.profile.file_total
        column = self.column(rule.field if rule else "open_amount")
        try:
            minor: int | None = self.amounts(text, minor_units(self.parsed.default_currency))
        except ValueError:
            minor = None
        self.parsed.declared_total = DeclaredTotal(number, column, text, minor)

    def _group_row(self, cells: tuple[str, ...], first: str) -> bool:
        """A row naming the debtor of the rows below it; what it says is used by those rows."""
        rule = self.profile.group
        assert rule is not None
        if rule.pattern is not None:
            matched = rule.pattern.search(" ".join(cell.strip() for cell in cells if cell.strip()))
            if not matched:
                return False
            values = {k: v.strip() for k, v in matched.groupdict().items() if v and v.strip()}
        else:
            if not cells[0].strip() or any(cell.strip() for cell in cells[1:]):
                return False
            values = {rule.field: first}
        self.group = values
        self.group_said = tuple(f"{key}={value}" for key, value in sorted(values.items()))
        return True

    # --- customer lists ------------------------------------------------------------------

    def _debtor_row(self, number: int, cells: tuple[str, ...]) -> None:
        parsed = self.parsed
        code = self._text(cells, "debtor_code")
        name = self._text(cells, "debtor_name")
        if not code and name and self.profile.debtor_code_from_name:
            code = code_for_name(name)
        if not code:
            message = "is empty: a customer needs an account code"
            parsed.reject(RowError(self.source, number, self.column("debtor_code"), None, message))
            return
        if not name:
            message = "is empty: a customer needs a name"
            parsed.reject(RowError(self.source, number, self.column("debtor_name"), None, message))
            return
        earlier = parsed.debtors.get(code)
        if earlier is not None:
            message = f"is also on row {earlier.row}: a customer is listed once"
            parsed.reject(RowError(self.source, number, self.column("debtor_code"), code, message), number)
            return
        values = self._details(cells)
        values["debtor_name"] = name
        self._define_debtor(number, code, values)

    # --- debtors ------------------------------------------------------------------------

    def _text(self, cells: tuple[str, ...], name: str) -> str:
        index = self.index[name]
        return cells[index].strip() if 0 <= index < len(cells) else ""

    def _details(self, cells: tuple[str, ...]) -> dict[str, str]:
        values = dict(self.group)
        width = len(cells)
        for name, index in self.details:
            if index < width:
                text = cells[index].strip()
                if text:
                    values[name] = text
        return values

    def _define_debtor(self, number: int, code: str, values: dict[str, str]) -> bool:
        """Record what a row says of a debtor; False (the row rejected, with the reasons) when
        it contradicts the name an earlier row gave, or a detail is not valid."""
        parsed = self.parsed
        source = self.source
        problems: list[RowError] = []
        if len(code) > CODE_LENGTH:
            column = self.column("debtor_code" if "debtor_code" in self.names else "debtor_name")
            problems.append(
                RowError(source, number, column, code, f"is longer than {CODE_LENGTH} characters")
            )
        debtor = parsed.debtors.get(code)
        if debtor is None:
            debtor = parsed.debtors[code] = SourceDebtor(code, number)
        name = values.get("debtor_name")
        if name:
            if len(name) > NAME_LENGTH:
                message = f"is longer than {NAME_LENGTH} characters"
                problems.append(RowError(source, number, self.column("debtor_name"), name, message))
            elif debtor.name is None:
                debtor.name, debtor.name_row = name, number
            elif debtor.name != name:
                message = f"names debtor {code} differently from row {debtor.name_row} ({debtor.name!r})"
                problems.append(RowError(source, number, self.column("debtor_name"), name, message))
        for attribute, limit in (
            ("contact_name", NAME_LENGTH),
            ("email", EMAIL_LENGTH),
            ("phone", PHONE_LENGTH),
        ):
            text = values.get(attribute)
            if text and getattr(debtor, attribute) is None:
                if len(text) > limit:
                    message = f"is longer than {limit} characters"
                    problems.append(RowError(source, number, self.column(attribute), text, message))
                else:
                    setattr(debtor, attribute, text)
        if not debtor.address:
            debtor.address = tuple(values[f] for f in _ADDRESS_FIELDS if values.get(f))
        postcode = values.get("postcode")
        if postcode and debtor.postcode is None:
            if len(postcode) > POSTCODE_LENGTH:
                message = f"is longer than {POSTCODE_LENGTH} characters"
                problems.append(RowError(source, number, self.column("postcode"), postcode, message))
            else:
                debtor.postcode = postcode
        country = values.get("country")
        if country and debtor.country is None and len(country) == 2 and country.isalpha():
            debtor.country = country.upper()
        currency_text = values.get("currency", "").upper()
        if currency_text and debtor.currency is None and currency_exponent(currency_text) is not None:
            debtor.currency = currency_text
        terms = values.get("terms_days")
        if terms and debtor.terms_days is None:
            debtor.terms_days = terms_days(terms)
        limit_text = values.get("credit_limit")
        if limit_text and debtor.credit_limit_minor is None:
            exponent = currency_exponent(debtor.currency or parsed.default_currency) or 0
            try:
                minor = self.amounts(limit_text, exponent)
                if minor < 0:
                    raise ValueError("is negative: a credit limit is zero or more")
                debtor.credit_limit_minor = minor
            except ValueError as error:
                problems.append(RowError(source, number, self.column("credit_limit"), limit_text, str(error)))
        for problem in problems:
            parsed.reject(problem, number)
        return not problems

    # --- documents and cash -------------------------------------------------------------

    def _document_row(self, number: int, cells: tuple[str, ...]) -> None:
        parsed = self.parsed
        profile = self.profile
        source = self.source
        problems: list[RowError] = []
        width = self.width
        padded = (
            (*cells[:width], "") if len(cells) >= width else cells + self.padding[: width - len(cells) + 1]
        )
        (
            type_text,
            number_text,
            issue_text,
            due_text,
            currency_text,
            amount_text,
            open_text,
            paid_text,
            reference_text,
            po_text,
            status,
            code_text,
            name_text,
        ) = [value.strip() for value in self.pick(padded)]
        try:
            kind = self.kinds[type_text]
        except KeyError:
            kind = self.kinds[type_text] = profile.kind_of(type_text)
        if kind == "skip":
            parsed.left_out_rows += 1
            return
        if profile.skip_status and status and normalise_value(status) in profile.skip_status:
            parsed.left_out_rows += 1
            return
        if kind is None:
            known = ", ".join(profile.known_types())
            message = f"is not a transaction type this profile knows ({known})"
            problems.append(RowError(source, number, self.column("type"), type_text, message))
        if profile.lines == "line" and number_text:
            self.line_rows.setdefault(number_text, []).append(number)
        code = self._debtor_of(number, cells, padded, code_text, name_text, problems)
        issue: date | None = None
        if not issue_text:
            message = "is empty: every document needs its date"
            problems.append(RowError(source, number, self.column("issue_date"), None, message))
        else:
            try:
                issue = self.dates(issue_text)
            except ValueError as error:
                problems.append(RowError(source, number, self.column("issue_date"), issue_text, str(error)))
        due: date | None = None
        if due_text:
            try:
                due = self.dates(due_text)
            except ValueError as error:
                problems.append(RowError(source, number, self.column("due_date"), due_text, str(error)))
        currency_text = currency_text.upper()
        currency = currency_text or parsed.default_currency
        exponent = currency_exponent(currency)
        if exponent is None:
            message = "is not an ISO 4217 currency code (e.g. GBP, EUR, USD)"
            problems.append(RowError(source, number, self.column("currency"), currency_text, message))
            exponent = 2
        before = len(problems)
        amounts = self.amounts
        try:
            amount = amounts(amount_text, exponent) if amount_text else None
        except ValueError as error:
            amount = None
            problems.append(RowError(source, number, self.column("amount"), amount_text, str(error)))
        try:
            open_amount = amounts(open_text, exponent) if open_text else None
        except ValueError as error:
            open_amount = None
            problems.append(RowError(source, number, self.column("open_amount"), open_text, str(error)))
        if open_amount is None and amount is not None and len(problems) == before:
            paid = self._amount(number, paid_text, "paid_amount", exponent, problems)
            open_amount = amount if paid is None else amount - paid
        if len(problems) > before:
            parsed.unreadable_amounts += 1
            self._reject_row(number, problems)
            return
        if open_amount is None:
            column = "amount" if "amount" in self.names else "open_amount"
            message = "is empty: every document needs its amount"
            problems.append(RowError(source, number, self.column(column), None, message))
            self._reject_row(number, problems)
            return
        parsed.file_signed_open[currency] = parsed.file_signed_open.get(currency, 0) + open_amount
        if kind is None:
            self._reject_row(number, problems)
            return
        shown_open = open_text or amount_text
        negative = open_amount < 0 or (amount is not None and amount < 0)
        if kind == "sign":
            if not negative:
                kind = "invoice"
            elif not number_text:
                kind = "payment"  # a credit with no document number: cash on account
            elif profile.negative_amount == "credit_note":
                kind = "credit_note"
            else:
                message = "is negative; this profile does not take negative amounts"
                problems.append(RowError(source, number, self._shown_column(open_text), shown_open, message))
        elif kind == "invoice" and negative:
            if not type_text and profile.negative_amount == "credit_note":
                kind = "credit_note"
            else:
                message = "is negative for an invoice (a credit note is its own type)"
                problems.append(RowError(source, number, self._shown_column(open_text), shown_open, message))
        if amount is not None and amount != 0 and open_amount != 0 and (amount < 0) != (open_amount < 0):
            message = f"has the opposite sign to the amount ({amount_text})"
            problems.append(RowError(source, number, self.column("open_amount"), shown_open, message))
        amount_minor = None if amount is None else abs(amount)
        open_minor = abs(open_amount)
        if kind != "payment":
            if amount_minor is not None:
                if amount_minor == 0:
                    message = "is zero: a document has an amount"
                    problems.append(RowError(source, number, self.column("amount"), amount_text, message))
                elif open_minor > amount_minor:
                    message = f"is more than the amount ({amount_text})"
                    problems.append(RowError(source, number, self.column("open_amount"), shown_open, message))
            elif open_minor == 0:
                message = "is zero and the file gives no amount: nothing is outstanding"
                problems.append(RowError(source, number, self.column("open_amount"), shown_open, message))
        if issue is not None and due is not None and due < issue:
            message = f"is before the issue date {issue_text}"
            problems.append(RowError(source, number, self.column("due_date"), due_text, message))
        reference = reference_text or None
        if reference is not None and len(reference) > REFERENCE_LENGTH:
            message = f"is longer than {REFERENCE_LENGTH} characters"
            problems.append(RowError(source, number, self.column("reference"), reference, message))
        po_number = po_text or None
        if po_number is not None and len(po_number) > NUMBER_LENGTH:
            message = f"is longer than {NUMBER_LENGTH} characters"
            problems.append(RowError(source, number, self.column("po_number"), po_number, message))
        if kind == "payment":
            self._payment(
                number, code, number_text or reference, issue, currency, amount_minor, open_minor, problems
            )
            return
        if not number_text:
            message = "is empty: every invoice and credit note needs its number"
            problems.append(RowError(source, number, self.column("number"), None, message))
        elif len(number_text) > NUMBER_LENGTH:
            message = f"is longer than {NUMBER_LENGTH} characters"
            problems.append(RowError(source, number, self.column("number"), number_text, message))
        if problems or code is None or issue is None:
            self._reject_row(number, problems)
            return
        self._add_document(
            SourceDocument(
                number,
                code,
                kind,
                number_text,
                issue,
                due,
                currency,
                amount_minor,
                open_minor,
                reference,
                po_number,
            )
        )

    def _shown_column(self, open_text: str) -> str:
        return self.column("open_amount" if open_text else "amount")

    def _debtor_of(
        self,
        number: int,
        cells: tuple[str, ...],
        padded: tuple[str, ...],
        code: str,
        name: str,
        problems: list[RowError],
    ) -> str | None:
        """The row's debtor code, recording what the row says about the debtor; None (with the
        problem recorded) when there is none or what it says cannot stand."""
        group = self.group
        if group:
            code = code or group.get("debtor_code", "")
            name = name or group.get("debtor_name", "")
        if not code and name and self.profile.debtor_code_from_name:
            code = code_for_name(name)
        if not code:
            column = self.column("debtor_code" if "debtor_code" in self.names else "debtor_name")
            problems.append(
                RowError(self.source, number, column, None, "is empty: every document needs its debtor")
            )
            return None
        said = (name, self.group_said, self.detail_pick(padded))
        if self.debtor_said.get(code) == said:
            return code  # the same as the last row said: nothing new
        values = self._details(cells)
        if name:
            values["debtor_name"] = name
        values.pop("debtor_code", None)
        if values and not self._define_debtor(number, code, values):
            return None
        self.debtor_said[code] = said
        return code

    def _amount(
        self, number: int, cell: str, name: str, exponent: int, problems: list[RowError]
    ) -> int | None:
        if not cell:
            return None
        try:
            return self.amounts(cell, exponent)
        except ValueError as error:
            problems.append(RowError(self.source, number, self.column(name), cell, str(error)))
            return None

    def _reject_row(self, number: int, problems: list[RowError]) -> None:
        parsed = self.parsed
        parsed.rejected.add(number)
        for problem in problems:
            parsed.errors.append(problem)

    def _add_document(self, document: SourceDocument) -> None:
        parsed = self.parsed
        key = (document.kind, document.number)
        seen = self.seen_documents.get(key)
        if seen is None:
            self.seen_documents[key] = len(parsed._documents)
            parsed._documents.append(document)
            return
        first = parsed._documents[seen]
        same = first[1:] == document[1:]
        label = f"{document.kind.replace('_', ' ')} {document.number}"
        column = self.column("number")
        if self.profile.lines == "line":
            rows = parsed.document_rows.setdefault(key, [first.row])
            rows.append(document.row)
            if not same:
                message = (
                    f"is a line of {label} (row {first.row}) but gives the invoice other details "
                    f"({_differences(first, document)})"
                )
                parsed.reject(RowError(self.source, document.row, column, document.number, message), *rows)
            return
        if same:
            message = f"repeats row {first.row} exactly (the same {label} twice)"
            parsed.reject(RowError(self.source, document.row, column, document.number, message), document.row)
            return
        message = (
            f"is also on row {first.row} with other details ({_differences(first, document)}): "
            f"{'an invoice' if document.kind == 'invoice' else 'a credit note'} number is used once"
        )
        parsed.reject(
            RowError(self.source, document.row, column, document.number, message), document.row, first.row
        )

    def _reject_whole_documents(self) -> None:
        """In a layout of one row per invoice line, a line with an error takes the invoice with it."""
        parsed = self.parsed
        rejected = parsed.rejected
        if not rejected:
            return
        for number_text, rows in self.line_rows.items():
            bad = [row for row in rows if row in rejected]
            if bad and len(bad) < len(rows):
                for row in rows:
                    if row not in rejected:
                        message = f"is a line of {number_text}, whose line on row {bad[0]} has errors"
                        parsed.reject(
                            RowError(self.source, row, self.column("number"), number_text, message), row
                        )

    def _payment(
        self,
        number: int,
        code: str | None,
        reference_text: str | None,
        received: date | None,
        currency: str,
        amount_minor: int | None,
        open_minor: int,
        problems: list[RowError],
    ) -> None:
        parsed = self.parsed
        if problems or code is None or received is None:
            self._reject_row(number, problems)
            return
        if open_minor == 0:
            parsed.left_out_rows += 1  # fully allocated: nothing on account
            return
        amount = max(amount_minor or 0, open_minor)
        key = (reference_text or f"cash {code} {received.isoformat()} {open_minor}")[:REFERENCE_LENGTH]
        if key in self.seen_payments:
            if reference_text:
                first = parsed.payments[self.seen_payments[key]]
                message = f"is also on row {first.row}: a payment reference is used once"
                parsed.reject(RowError(self.source, number, self.column("number"), key, message), number)
                return
            repeat = self.cash_repeats.get(key, 1) + 1
            self.cash_repeats[key] = repeat
            key = f"{key} #{repeat}"
        self.seen_payments[key] = len(parsed.payments)
        parsed.payments.append(SourcePayment(number, code, key, received, currency, amount, open_minor))


def _nothing(row: tuple[str, ...]) -> object:
    return None


def _row_key(cells: tuple[str, ...]) -> tuple[str, ...]:
    key = [normalise_header(cell) for cell in cells]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


_ALL_FIELDS = (
    "debtor_code",
    "debtor_name",
    "contact_name",
    "email",
    "phone",
    "postcode",
    "country",
    "terms_days",
    "credit_limit",
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
_DEBTOR_DETAIL_FIELDS = (
    "contact_name",
    "email",
    "phone",
    *_ADDRESS_FIELDS,
    "postcode",
    "country",
    "terms_days",
    "credit_limit",
    "currency",
)
_DOCUMENT_FIELD_LABELS = SourceDocument._fields


def _differences(first: SourceDocument, second: SourceDocument) -> str:
    names = [
        name.replace("open_minor", "open amount").replace("_minor", "").replace("_", " ")
        for name, a, b in zip(_DOCUMENT_FIELD_LABELS, first, second, strict=True)
        if name != "row" and a != b
    ]
    return ", ".join(names) or "none"


def _first_text(cells: tuple[str, ...]) -> str | None:
    for cell in cells:
        text = cell.strip()
        if text:
            return text
    return None


def undefined_debtors(parsed: ParsedLedger, known: Collection[str]) -> int:
    """Reject every row naming a debtor that is neither defined in the file (given a name) nor
    `known` already; returns how many rows were rejected."""
    defined = {code for code, debtor in parsed.debtors.items() if debtor.name}
    missing = 0
    column = parsed.header.name_of("debtor_code")
    hint = "give its name (DebtorName) on one of its rows, or import the customer list first"
    if parsed.frame is not None:  # only the rows of the debtors that are missing, if any
        import polars as pl

        frame = parsed.accepted_frame()
        missing_codes = [
            code for code in frame["debtor"].unique().to_list() if code not in defined and code not in known
        ]
        entries = frame.filter(pl.col("debtor").is_in(missing_codes)).select("row", "debtor").rows()
    else:
        entries = [(d.row, d.debtor) for d in parsed.accepted_documents()]
    entries += [(p.row, p.debtor) for p in parsed.accepted_payments()]
    for row, code in entries:
        if code in defined or code in known:
            continue
        message = f"is a debtor that is not defined: {hint}"
        parsed.reject(RowError(parsed.table.name, row, column, code, message), row)
        missing += 1
    return missing
