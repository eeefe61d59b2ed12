"""A clean CSV ledger read a column at a time (Polars): the fast way in for a large export.

`read_clean_csv()` gives the same `ParsedLedger` the row-by-row reader
(`arrears.intake.validation.parse_ledger`) gives, for a file it finds *clean*: every row after
the header a valid invoice or credit note, a blank row, or a row the profile leaves out. For
any other file it gives None and the row-by-row reader reads it, so every error is still
found, worded and placed (file, row, column, value) by that one reader. Being unsure is always
safe here (it only costs time), so the rules are strict:

- the file: CSV in UTF-8; no carriage return outside a CRLF line end; quotes, if any, only
  around whole fields and never around a line break (or never at the start of a field), so that
  its lines are the csv module's rows and Polars reads the same cells; no line or field over the
  row reader's limits;
- the profile: a ledger of documents, one row per document, no group rows (report layouts);
- the rows: no report furniture but blank rows (no repeated header, total or section line), no
  cash on account, and nothing at all the row reader would report.

Each value is read by the row reader's own functions: types, statuses, currencies, dates and
payment terms on each distinct text (a ledger repeats them), amounts in plain form ("1234.50",
"-7") column by column and any other form by the `AmountReader` on each distinct text. The
checks across rows (a document number used twice, a debtor given two names, the first
non-empty detail of each debtor) are done on whole columns. `tests/unit/intake/test_clean_csv.py`
compares the two readers on many files, clean and not.
"""

from datetime import date

import polars as pl

from arrears.intake.clean_columns import (
    WHITESPACE,
    NotClean,
    debtor_currency,
    mapping,
    minor_units,
    over_limits,
    quoting,
)
from arrears.intake.clean_debtors import DETAILS, source_debtors
from arrears.intake.files import RawTable
from arrears.intake.profiles import HeaderMatch, LedgerProfile, normalise_value
from arrears.intake.validation import (
    CODE_LENGTH,
    NUMBER_LENGTH,
    REFERENCE_LENGTH,
    ParsedLedger,
    currency_exponent,
)
from arrears.intake.values import AmountReader, DateReader, code_for_name

_DOCUMENT_FIELDS = (
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


_LATEST = date(9000, 1, 1)


def read_clean_csv(
    table: RawTable, profile: LedgerProfile, header: HeaderMatch, *, default_currency: str
) -> ParsedLedger | None:
    """The file read column by column, or None when it is not clean (see the module docstring)."""
    if not _eligible(table, profile, header):
        return None
    try:
        return _CleanReader(table, profile, header, default_currency).read()
    except NotClean:
        return None


def _eligible(table: RawTable, profile: LedgerProfile, header: HeaderMatch) -> bool:
    lines = table.lines
    if table.kind != "csv" or table.encoding not in ("utf-8", "utf-8-sig") or lines is None:
        return False
    if lines.lone_carriage_returns or table.delimiter is None or len(table.delimiter.encode()) != 1:
        return False
    return not (profile.contents != "documents" or profile.lines != "document" or profile.group is not None)


class _CleanReader:
    def __init__(self, table: RawTable, profile: LedgerProfile, header: HeaderMatch, currency: str) -> None:
        self.table = table
        self.profile = profile
        self.header = header
        self.parsed = ParsedLedger(table, profile, header, profile.default_currency or currency)
        self.skip = header.row or 0

    def read(self) -> ParsedLedger:
        raw = self._frame()
        data = self._data_rows(raw)
        del raw
        documents = self._documents(data)
        self.parsed.debtors = source_debtors(
            documents, self.header, self.parsed.default_currency, self.profile.decimal
        )
        parsed = self.parsed
        parsed.frame = documents.select(
            "row",
            pl.col("code").alias("debtor"),
            "kind",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "amount_minor",
            "open_minor",
            pl.when(pl.col("reference") != "").then(pl.col("reference")).alias("reference"),
            pl.when(pl.col("po_number") != "").then(pl.col("po_number")).alias("po_number"),
        )
        return parsed

    # --- the file -------------------------------------------------------------------------

    def _frame(self) -> pl.DataFrame:
        table = self.table
        lines = table.lines
        assert lines is not None and table.delimiter is not None
        quote = quoting(table.path, table.delimiter) if lines.quotes else None
        try:
            frame = pl.read_csv(
                table.path,
                has_header=False,
                separator=table.delimiter,
                quote_char=quote,
                skip_lines=self.skip,
                infer_schema=False,
                encoding="utf8",
                raise_if_empty=False,
            )
        except (pl.exceptions.PolarsError, OSError):
            raise NotClean from None  # e.g. a row wider than the first: read row by row
        records = lines.line_feeds + (0 if lines.ends_with_line_feed or table.size == 0 else 1)
        if frame.height == 0 or frame.height != records - self.skip:
            raise NotClean
        if over_limits(frame, table.size):
            raise NotClean
        return frame.with_row_index("row", offset=self.skip + 1).with_columns(pl.col("row").cast(pl.Int64))

    def _data_rows(self, raw: pl.DataFrame) -> pl.DataFrame:
        """The rows that are not blank, with the fields as stripped text ("" where the file has no
        column for one); a row the row reader would take for furniture makes the file not clean."""
        parsed = self.parsed
        cells = raw.columns[1:]
        columns = self.header.columns
        first = raw[cells[0]].str.strip_chars(WHITESPACE).fill_null("")
        unfilled = first == ""
        if unfilled.any():
            later = raw.filter(unfilled).select(
                pl.coalesce(
                    [pl.col(c).str.strip_chars(WHITESPACE).replace("", None) for c in cells[1:]]
                    + [pl.lit("")]
                )
            )
            first = first.scatter(unfilled.arg_true(), later.to_series())
        blank = first == ""
        parsed.rows_total = self.skip + raw.height
        parsed.furniture_rows = int(blank.sum())
        parsed.data_rows = raw.height - parsed.furniture_rows
        self._check_furniture(first.filter(~blank).unique())
        fields = [*_DOCUMENT_FIELDS, *(name for name in DETAILS if name in columns)]
        return raw.filter(~blank).select(
            "row",
            *(
                (
                    pl.col(cells[columns[name]]).str.strip_chars(WHITESPACE).fill_null("")
                    if name in columns and columns[name] < len(cells)
                    else pl.lit("")
                ).alias(name)
                for name in fields
            ),
        )

    def _check_furniture(self, firsts: pl.Series) -> None:
        profile = self.profile
        patterns = [*profile.skip_rows]
        if profile.file_total is not None:
            patterns.append(profile.file_total.pattern)
        header_first = next((c.strip() for c in self.header.cells if c.strip()), None)
        for text in firsts.to_list():
            if text == header_first or any(pattern.search(text) for pattern in patterns):
                raise NotClean  # a repeated header, a total or a section line

    # --- documents ------------------------------------------------------------------------

    def _documents(self, data: pl.DataFrame) -> pl.DataFrame:
        parsed = self.parsed
        profile = self.profile
        kinds = mapping(data["type"], profile.kind_of)
        data = data.with_columns(pl.col("type").replace_strict(kinds, return_dtype=pl.String).alias("kind"))
        left_out = pl.col("kind") == "skip"
        if profile.skip_status:
            skipped = mapping(data["status"], lambda s: bool(s) and normalise_value(s) in profile.skip_status)
            left_out = left_out | pl.col("status").replace_strict(skipped, return_dtype=pl.Boolean)
        data = data.with_columns(left_out.fill_null(False).alias("left_out"))
        parsed.left_out_rows = int(data["left_out"].sum())
        data = data.filter(~pl.col("left_out"))
        if data.height == 0 or data["kind"].is_null().any() or (data["kind"] == "payment").any():
            raise NotClean  # an unknown type, or cash on account: read row by row
        data = self._codes(data)
        data = self._dates(data)
        data = self._amounts(data)
        data = self._kinds(data)
        too_long = (
            (pl.col("number") == "")
            | (pl.col("number").str.len_chars() > NUMBER_LENGTH)
            | (pl.col("reference").str.len_chars() > REFERENCE_LENGTH)
            | (pl.col("po_number").str.len_chars() > NUMBER_LENGTH)
        )
        if data.select(too_long.any()).item():
            raise NotClean
        if data.select(pl.concat_str("kind", "number").n_unique()).item() != data.height:
            raise NotClean  # a number used twice: the row reader says where
        signed = data.group_by("currency", maintain_order=True).agg(pl.col("signed_open").sum())
        parsed.file_signed_open = dict(
            zip(signed["currency"].to_list(), signed["signed_open"].to_list(), strict=True)
        )
        return data

    def _codes(self, data: pl.DataFrame) -> pl.DataFrame:
        code = pl.col("debtor_code")
        if self.profile.debtor_code_from_name:
            names = data.filter(code == "")["debtor_name"]
            named = mapping(names, code_for_name)
            code = pl.when(code == "").then(pl.col("debtor_name").replace(named)).otherwise(code)
        data = data.with_columns(code.alias("code"))
        if data.select(
            ((pl.col("code") == "") | (pl.col("code").str.len_chars() > CODE_LENGTH)).any()
        ).item():
            raise NotClean
        return data

    def _dates(self, data: pl.DataFrame) -> pl.DataFrame:
        reader = DateReader(self.profile.dates)
        if (data["issue_date"] == "").any():
            raise NotClean
        issued = mapping(data["issue_date"], reader, ValueError)
        due = mapping(data.filter(pl.col("due_date") != "")["due_date"], reader, ValueError)
        data = data.with_columns(
            pl.col("issue_date").replace_strict(issued, return_dtype=pl.Date),
            pl.when(pl.col("due_date") != "").then(
                pl.col("due_date").replace_strict(due, default=None, return_dtype=pl.Date)
            ),
        )
        if data.select((pl.col("due_date") < pl.col("issue_date")).any()).item():
            raise NotClean
        if (
            data.select(pl.max_horizontal(pl.col("issue_date").max(), pl.col("due_date").max())).item()
            >= _LATEST
        ):
            raise NotClean  # a due date from terms could pass the year 9999, which Python's dates refuse
        return data

    def _amounts(self, data: pl.DataFrame) -> pl.DataFrame:
        default = self.parsed.default_currency

        def currency_of(text: str) -> str:
            return text.upper() or default

        currencies = mapping(data["currency"], currency_of)
        exponents = {code: currency_exponent(code) for code in set(currencies.values())}
        if None in exponents.values():
            raise NotClean
        as_detail = mapping(data["currency"], debtor_currency)
        data = data.with_columns(
            (pl.col("currency") != "").alias("currency_given"),
            pl.col("currency").replace_strict(as_detail, return_dtype=pl.String).alias("currency_text"),
            pl.col("currency").replace_strict(currencies, return_dtype=pl.String),
        )
        scales = {code: 10 ** int(exponent or 0) for code, exponent in exponents.items()}
        data = data.with_columns(
            pl.col("currency").replace_strict(scales, return_dtype=pl.Int64).alias("scale")
        )
        reader = AmountReader(self.profile.decimal)
        amount = minor_units(data["amount"], data["scale"], reader)
        open_amount = minor_units(data["open_amount"], data["scale"], reader)
        data = data.with_columns(amount.alias("amount_value"), open_amount.alias("open_value"))
        derived = pl.col("open_value").is_null() & pl.col("amount_value").is_not_null()
        if data.select(derived.any()).item():
            paid_text = data.select(pl.when(derived).then(pl.col("paid_amount")).otherwise(pl.lit("")))
            paid = minor_units(paid_text.to_series(), data["scale"], reader)
            data = data.with_columns(
                pl.when(derived)
                .then(pl.col("amount_value") - paid.fill_null(0))
                .otherwise(pl.col("open_value"))
                .alias("open_value")
            )
        if data["open_value"].is_null().any():
            raise NotClean  # neither an amount nor an open amount
        return data.with_columns(pl.col("open_value").alias("signed_open"))

    def _kinds(self, data: pl.DataFrame) -> pl.DataFrame:
        """The sign rules: a negative amount makes a credit note where the profile says so."""
        amount, open_value = pl.col("amount_value"), pl.col("open_value")
        negative = (open_value < 0) | (amount.is_not_null() & (amount < 0))
        credit_for_negative = self.profile.negative_amount == "credit_note"
        kind = pl.col("kind")
        as_credit = negative & (
            ((kind == "sign") & (pl.col("number") != "") & pl.lit(credit_for_negative))
            | ((kind == "invoice") & (pl.col("type") == "") & pl.lit(credit_for_negative))
        )
        # cash on account (negative, no number) or a negative the profile refuses
        refused = negative & ~as_credit & kind.is_in(["sign", "invoice"])
        data = data.with_columns(refused.alias("refused")).with_columns(
            pl.when(as_credit)
            .then(pl.lit("credit_note"))
            .when(kind == "sign")
            .then(pl.lit("invoice"))
            .otherwise(kind)
            .alias("kind"),
            amount.abs().alias("amount_minor"),
            open_value.abs().alias("open_minor"),
        )
        opposite = (
            amount.is_not_null() & (amount != 0) & (open_value != 0) & ((amount < 0) != (open_value < 0))
        )
        amount_minor, open_minor = pl.col("amount_minor"), pl.col("open_minor")
        wrong = (
            pl.col("refused")
            | opposite
            | (amount_minor.is_not_null() & ((amount_minor == 0) | (open_minor > amount_minor)))
            | (amount_minor.is_null() & (open_minor == 0))
        )
        if data.select(wrong.any()).item():
            raise NotClean
        return data
