"""The column reader gives exactly what the row reader gives, or steps aside.

Seeded random ledger files, clean and not (every value form the row reader accepts, and
many it refuses: bad dates, amounts, types, repeats, two names for a debtor, long text, quoted
fields, blank and furniture rows, stray carriage returns), are read both ways. Where the column
reader answers, every part of its `ParsedLedger` must equal the row reader's; where the file has
anything the row reader reports, it must not answer.
"""

import csv
import io
import random
from pathlib import Path

import pytest

from arrears.intake import ledger_import
from arrears.intake.clean_csv import read_clean_csv
from arrears.intake.files import LedgerFileError, open_table
from arrears.intake.ledger_import import choose_profile, read_ledger
from arrears.intake.validation import ParsedLedger, parse_ledger

DETAILS = (
    "ContactName",
    "Email",
    "Phone",
    "AddressLine1",
    "AddressLine2",
    "Postcode",
    "Country",
    "TermsDays",
    "CreditLimit",
)
DOCUMENT = (
    "Type",
    "Number",
    "IssueDate",
    "DueDate",
    "Currency",
    "Amount",
    "OpenAmount",
    "Reference",
    "PONumber",
)
GOOD_DATES = (
    "23/11/2026",
    "2026-11-23",
    "1/2/2026",
    "05.03.26",
    "23 Nov 2026",
    "Nov 23, 2026",
    "2026-01-31T10:00:00",
)
BAD_DATES = ("31/02/2026", "yesterday", "2026-13-01", "11/23/2026")
GOOD_AMOUNTS = (
    "123.45",
    "1,234.50",
    "£12.00",
    "12",
    "12.5",
    "0012.30",
    "GBP 7.00",
    "1234.560",
    "99999999999999.99",
)
BAD_AMOUNTS = ("12.345", "abc", "+5", "1,23.00", "--4", "1.2.3")
SPACES = ("", " ", "  ", "\xa0", "\x1c", "\t", "\u3000")


def _padded(rng: random.Random, text: str) -> str:
    if rng.random() < 0.1:
        return rng.choice(SPACES) + text + rng.choice(SPACES)
    return text


def _ledger_file(rng: random.Random, path: Path, *, clean: bool) -> None:
    """A generic-layout ledger; `clean` files hold no error (most of the time: a clean file may
    still repeat a number by chance, which is fine: then the column reader must step aside)."""
    details = [name for name in DETAILS if rng.random() < 0.5]
    document = [name for name in DOCUMENT if name in ("Number", "IssueDate", "Amount") or rng.random() < 0.7]
    header = ["DebtorCode", "DebtorName", *details, *document]
    if rng.random() < 0.3:
        rng.shuffle(header)
    debtors = [f"D{index:03d}" for index in range(rng.randint(1, 8))]
    names = {code: f"Debtor {code} Ltd" for code in debtors}
    rows: list[list[str]] = [list(header)]
    for number in range(rng.randint(1, 40)):
        code = rng.choice(debtors)
        bad = not clean and rng.random() < 0.15
        credit = rng.random() < 0.2
        amount = rng.choice(GOOD_AMOUNTS)
        values = {
            "DebtorCode": code,
            "DebtorName": names[code] if rng.random() < 0.6 else "",
            "ContactName": rng.choice(("", "Jo Bloggs", "Amélie Dubois")),
            "Email": rng.choice(("", f"ap@{code.lower()}.example", "x" * 330 if bad else "")),
            "Phone": rng.choice(("", "0161 496 0000")),
            "AddressLine1": rng.choice(("", "1 High Street")),
            "AddressLine2": rng.choice(("", "Leeds")),
            "Postcode": rng.choice(("", "LS1 1AA")),
            "Country": rng.choice(("", "GB", "gb", "United Kingdom", "ÉS")),
            "TermsDays": rng.choice(("", "30", "Net 14", "1st of next month", "Due on receipt")),
            "CreditLimit": rng.choice(("", "5000", "1,000.00", "-5" if bad else "")),
            "Type": rng.choice(("Invoice", "inv", "")) if not credit else rng.choice(("Credit note", "CN")),
            "Number": f"{'CN' if credit else 'INV'}-{number:04d}",
            "IssueDate": rng.choice(GOOD_DATES),
            "DueDate": rng.choice(("", "", "30/12/2026", "2027-01-31")),
            "Currency": rng.choice(
                ("", "GBP", "gbp", " GBP ", "EUR", "JPY" if rng.random() < 0.1 else "GBP")
            ),
            "Amount": amount,
            "OpenAmount": rng.choice(("", amount, "0.00" if rng.random() < 0.5 else amount)),
            "Reference": rng.choice(("", "REF-1", "r" * 140 if bad else "")),
            "PONumber": rng.choice(("", "PO 7")),
        }
        if values["Currency"].strip().upper() == "JPY":
            values["Amount"] = values["OpenAmount"] = rng.choice(("1200", "1,200", "¥1200"))
        if "Amount" not in header and not values["OpenAmount"]:
            values["OpenAmount"] = amount
        if rng.random() < 0.05:
            values["Type"], values["Amount"], values["OpenAmount"] = "", "-" + amount, ""
        if bad:
            field = rng.choice(
                ("IssueDate", "Amount", "Type", "Number", "DebtorName", "DueDate", "Currency", "DebtorCode")
            )
            values[field] = {
                "IssueDate": rng.choice((*BAD_DATES, "")),
                "Amount": rng.choice(BAD_AMOUNTS),
                "Type": rng.choice(("Receipt", "payment", "")),
                "Number": rng.choice(("", "INV-0000", "N" * 70)),
                "DebtorName": "Another Name Ltd",
                "DueDate": "01/01/2020",
                "Currency": "XYZ",
                "DebtorCode": rng.choice(("", "C" * 70)),
            }[field]
        rows.append([_padded(rng, values[name]) for name in header])
        if rng.random() < 0.05:
            rows.append(
                rng.choice(([], ["", "", ""], ["   "]))
            )  # blank rows: furniture, even in a clean file
        if not clean and rng.random() < 0.05:
            rows.append(rng.choice((["TOTAL", "", ""], list(header), ["A", "B\rC", "D"], ["only one cell"])))
    ending = rng.choice(("\n", "\r\n"))
    text = io.StringIO()
    quoting = csv.QUOTE_ALL if rng.random() < 0.2 else csv.QUOTE_MINIMAL
    csv.writer(text, lineterminator=ending, quoting=quoting).writerows(rows)
    written = text.getvalue()
    if not clean and rng.random() < 0.1:
        written += rng.choice(('A1,"unclosed,INV-9', 'A1,x"y,INV-9', 'A1,"a"b,INV-9')) + ending
    if rng.random() < 0.2:
        written = written.removesuffix(ending)
    path.write_bytes(written.encode("utf-8-sig" if rng.random() < 0.2 else "utf-8"))


JOURNAL_PROFILE = """
name: journal
title: A journal with signed amounts, a decimal comma and customers by name
delimiter: ";"
columns:
  debtor_name: [Customer]
  type: [Type]
  number: [Number]
  issue_date: [Date]
  due_date: [Due]
  currency: [Currency]
  amount: [Amount]
  paid_amount: [Paid]
  status: [Status]
  credit_limit: [Limit]
  terms_days: [Terms]
required: [debtor_name, number, issue_date, amount]
dates: month_first
decimal: ","
types:
  invoice: [invoice]
  credit_note: [credit]
  sign: [journal]
  skip: [draft]
  default: sign
skip_status: [void, cancelled]
negative_amount: error
debtor_code_from_name: true
"""


def _journal_file(rng: random.Random, path: Path, *, clean: bool) -> None:
    """A file for `JOURNAL_PROFILE`: sign rules, rows left out by type and status, paid amounts,
    debtors known by name only (long names get a hashed code), credit limits in the currency of
    the debtor's first row."""
    header = [
        "Customer",
        "Type",
        "Number",
        "Date",
        "Due",
        "Currency",
        "Amount",
        "Paid",
        "Status",
        "Limit",
        "Terms",
    ]
    names = [f"Customer {index} " + "x" * rng.choice((0, 0, 70)) for index in range(rng.randint(1, 5))]
    rows = [header]
    for number in range(rng.randint(1, 30)):
        amount = rng.choice(("12,50", "1.234,50", "7", "-3,00", "100,00"))
        kind = rng.choice(("journal", "journal", "invoice", "credit", "draft", ""))
        if kind in ("invoice", "credit") or not clean:
            amount = amount.lstrip("-")
        row = [
            rng.choice(names),
            kind,
            f"J{number}" if rng.random() < 0.97 else "",  # a credit without a number: cash
            rng.choice(("11/23/2026", "2026-11-23", "1/2/26")),
            rng.choice(("", "12/31/2026")),
            rng.choice(("", "EUR", "jpy" if rng.random() < 0.1 else "EUR")),
            amount,
            rng.choice(("", "", "1,00", "0")),
            rng.choice(("", "", "Void", "open", "CANCELLED")),
            rng.choice(("", "", "5.000,00", "250")),
            rng.choice(("", "14", "Net 60")),
        ]
        if row[5].upper() == "JPY":
            row[6], row[7] = "1200", ""
        if not clean and rng.random() < 0.15:
            row[rng.choice((1, 3, 6, 7, 9))] = rng.choice(("?", "13/45/2026", "1,2,3", "-5", "x"))
        rows.append(row)
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")


def _both(path: Path, profile: str = "generic") -> tuple[ParsedLedger | None, ParsedLedger]:
    table = open_table(path, delimiter=";" if profile.endswith(".yaml") else ",")
    chosen = choose_profile(table, profile, (), "GBP")
    columns = read_clean_csv(table, chosen.profile, chosen.header, default_currency="GBP")
    rows = parse_ledger(table, chosen.profile, chosen.header, default_currency="GBP")
    return columns, rows


def _assert_same(columns: ParsedLedger, rows: ParsedLedger) -> None:
    assert rows.errors == [] and columns.errors == []
    for name in (
        "rows_total",
        "data_rows",
        "furniture_rows",
        "left_out_rows",
        "declared_total",
        "file_signed_open",
        "unreadable_amounts",
        "rejected",
        "payments",
        "default_currency",
    ):
        assert getattr(columns, name) == getattr(rows, name), name
    assert list(columns.debtors.items()) == list(rows.debtors.items())
    assert columns.documents == rows.documents
    assert columns.totals() == rows.totals()
    assert columns.referenced_debtors() == rows.referenced_debtors()
    assert columns.accepted_debtors() == rows.accepted_debtors()


@pytest.mark.parametrize("seed", range(4))
def test_on_a_clean_file_both_readers_agree(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    answered = 0
    for index in range(15):
        path = tmp_path / f"clean-{index}.csv"
        _ledger_file(rng, path, clean=True)
        columns, rows = _both(path)
        if columns is not None:
            _assert_same(columns, rows)
            answered += 1
        else:
            assert rows.errors or not rows.documents or rows.payments or rows.furniture_rows
    assert answered >= 10  # the column reader does take clean files


@pytest.mark.parametrize("seed", range(4))
def test_a_file_with_any_error_is_left_to_the_row_reader(tmp_path: Path, seed: int) -> None:
    rng = random.Random(1000 + seed)
    for index in range(15):
        path = tmp_path / f"messy-{index}.csv"
        _ledger_file(rng, path, clean=False)
        columns, rows = _both(path)
        if rows.errors:
            assert columns is None
        elif columns is not None:
            _assert_same(columns, rows)


@pytest.mark.parametrize(("clean", "negative"), [(True, "error"), (False, "error"), (True, "credit_note")])
def test_signs_left_out_rows_paid_amounts_and_names_as_codes_agree_too(
    tmp_path: Path, clean: bool, negative: str
) -> None:
    profile = tmp_path / "journal.yaml"
    profile.write_text(JOURNAL_PROFILE.replace("negative_amount: error", f"negative_amount: {negative}"))
    rng = random.Random(7 if clean else 8)
    answered = 0
    for index in range(15):
        path = tmp_path / f"journal-{index}.csv"
        _journal_file(rng, path, clean=clean)
        columns, rows = _both(path, str(profile))
        if rows.errors:
            assert columns is None
        elif columns is not None:
            _assert_same(columns, rows)
            answered += 1
    assert answered >= (5 if clean else 1)


def test_whole_quoted_fields_are_read_alike_by_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        '"DebtorCode","DebtorName",Number,IssueDate,Amount\nA1,"Acme, ""the"" Ltd",INV-1,2026-11-01,"1,010.00"\n'
    )
    columns, rows = _both(path)
    assert columns is not None
    _assert_same(columns, rows)
    assert columns.debtors["A1"].name == 'Acme, "the" Ltd'


def test_a_quoted_line_break_a_stray_quote_or_a_lone_carriage_return_go_row_by_row(tmp_path: Path) -> None:
    header = "DebtorCode,DebtorName,Number,IssueDate,Amount\n"
    for body in (
        'A1,"Acme\nLtd",INV-1,2026-11-01,10.00\n',
        'A1,"Acme" Ltd,INV-1,2026-11-01,10.00\n',
        "A1,Acme,INV-1,2026-11-01,10.00\rA1,Acme,INV-2,2026-11-01,10.00\n",
    ):
        path = tmp_path / "ledger.csv"
        path.write_text(header + body, encoding="utf-8", newline="")
        columns, rows = _both(path)
        assert columns is None, body
        assert rows.errors == [] and rows.documents


def test_a_quote_inside_a_field_is_text_to_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        'DebtorCode,DebtorName,Number,IssueDate,Amount\nA1,Acme 12" pipes,INV-1,2026-11-01,10.00\n'
    )
    columns, rows = _both(path)
    assert columns is not None
    _assert_same(columns, rows)
    assert columns.debtors["A1"].name == 'Acme 12" pipes'


def test_read_ledger_takes_the_column_reader_for_a_large_clean_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "DebtorCode,DebtorName,Number,IssueDate,Amount\n"
        + "".join(f"A{n % 7},Debtor {n % 7},INV-{n},2026-11-01,{n}.50\n" for n in range(50))
    )
    monkeypatch.setattr(ledger_import, "CLEAN_READ_BYTES", 0)
    parsed = read_ledger(path, profile="generic", default_currency="GBP")
    assert parsed.frame is not None and parsed.document_count() == 50
    assert parsed.totals()["GBP"].invoices_open == sum(n * 100 + 50 for n in range(50))


LONG = "n" * 120_000


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("A2,Acme,INV-2,2026-11-01,1.00," + "n" * 140_000 + ",,,,,,,,,", "has a field longer than 131,072"),
        ("A2,Acme,INV-2,2026-11-01,1.00," + ",".join([LONG] * 10), "characters long: no ledger row is that"),
    ],
)
def test_the_row_readers_limits_hold_when_a_file_is_read_column_by_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: str, said: str
) -> None:
    path = tmp_path / "ledger.csv"
    header = "DebtorCode,DebtorName,Number,IssueDate,Amount," + ",".join("ABCDEFGHIJ") + "\n"
    rows = "".join(f"A1,Acme,INV-{n},2026-11-01,1.00" + "," * 10 + "\n" for n in range(400))
    path.write_text(header + rows + row + "\n")  # past the rows read to choose the profile
    monkeypatch.setattr(ledger_import, "CLEAN_READ_BYTES", 0)
    with pytest.raises(LedgerFileError, match=rf"ledger\.csv row 402: .*{said}"):
        read_ledger(path, profile="generic", default_currency="GBP")


def test_the_scan_counts_a_crlf_split_across_its_chunks_as_a_line_end(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    first = b"DebtorCode,DebtorName,Number,IssueDate,Amount\r\nA1,Acme,INV-1,2026-11-01,1.00,"
    path.write_bytes(first + b"x" * (1024 * 1024 - len(first) - 1) + b'\r\nA1,"Acme",INV-2,2026-11-01,2.00\r')
    lines = open_table(path).lines
    assert lines is not None
    assert (lines.line_feeds, lines.lone_carriage_returns, lines.quotes, lines.ends_with_line_feed) == (
        2,
        1,
        2,
        False,
    )
