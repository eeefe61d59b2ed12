"""Reading ledger files into raw rows: encodings, delimiters, Excel, and hostile files."""

import codecs
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from arrears.intake.files import MAX_LINE_CHARS, LedgerFileError, cell_text, open_table


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_utf8_with_a_byte_order_mark_and_semicolons_with_quoted_delimiters(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.csv", codecs.BOM_UTF8 + b'a;b\n1;"x;y"\n2;"two\nlines"\n'))
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    assert list(table.rows()) == [(1, ("a", "b")), (2, ("1", "x;y")), (3, ("2", "two\nlines"))]


def test_windows_1252_text_is_read_when_the_file_is_not_utf8(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.csv", "Name,Limit\nCafé Dubois,£500\n".encode("cp1252")))
    assert table.encoding == "cp1252"
    assert list(table.rows())[1] == (2, ("Café Dubois", "£500"))


def test_tab_separated_utf16_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.txt", "Name\tAmount\nZoë\t12.00\n".encode("utf-16")))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert list(table.rows())[1] == (2, ("Zoë", "12.00"))


def test_a_file_in_neither_utf8_nor_windows_1252_is_refused_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", b"a,b\n1,2\n3,\x81\x9d\n")
    with pytest.raises(LedgerFileError, match=r"bad\.csv: is neither UTF-8 \(line 3 has byte 0x81\)"):
        open_table(path)


def test_a_wrong_encoding_given_by_the_user_is_refused_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.csv", "a,b\n1,café\n".encode("cp1252"))
    with pytest.raises(LedgerFileError, match=r"is not valid utf-8 text \(line 2 has byte 0xE9\)"):
        open_table(path, encoding="utf-8")


def test_nul_bytes_mean_binary_or_utf16_without_its_mark(tmp_path: Path) -> None:
    path = write(tmp_path / "u16.csv", "a,b\n1,2\n".encode("utf-16-le"))
    with pytest.raises(LedgerFileError, match="holds NUL bytes"):
        open_table(path)


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", codecs.BOM_UTF8])
def test_an_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LedgerFileError, match="the file is empty"):
        open_table(write(tmp_path / "empty.csv", data))


@pytest.mark.parametrize(
    ("magic", "said"),
    [(b"%PDF-1.7", "PDF"), (b"\xd0\xcf\x11\xe0\xa1\xb1", r"\.xls"), (b"PK\x03\x04junk", "ZIP")],
)
def test_other_kinds_of_file_are_named(tmp_path: Path, magic: bytes, said: str) -> None:
    with pytest.raises(LedgerFileError, match=said):
        open_table(write(tmp_path / "x.csv", magic + b"\x00" * 64))


def test_a_50_mb_single_line_is_refused_without_being_split(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("wb") as handle:
        handle.write(b"a,b,c\n")
        chunk = b"x," * 512 * 1024
        for _ in range(50):
            handle.write(chunk)
    table = open_table(path)
    with pytest.raises(
        LedgerFileError, match=rf"long\.csv row 2: is 52,428,800 characters long.*at most {MAX_LINE_CHARS:,}"
    ):
        list(table.rows())


def test_an_unclosed_quote_running_past_the_field_limit_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write(tmp_path / "quote.csv", b'a,b\n1,"never closed\n' + (b"y" * 1000 + b"\n") * 200)
    with pytest.raises(
        LedgerFileError, match=r"quote\.csv row 2: has a field longer than 131,072 characters"
    ):
        list(open_table(path).rows())


def test_excel_cells_become_the_text_a_csv_export_would_hold(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Amount", "Note"])
    sheet.append([datetime(2026, 11, 23), 0.1 + 0.2, '=HYPERLINK("x")'])
    sheet.cell(row=2, column=3).data_type = "s"
    sheet.append([])
    sheet.append([datetime(2026, 11, 24, 15, 30), 1234.5, True])
    book.create_sheet("Other").append(["other sheet"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    table = open_table(path)
    assert table.kind == "xlsx"
    rows = list(table.rows())
    assert rows[1] == (2, ("2026-11-23", "0.3", '=HYPERLINK("x")'))
    assert rows[2][0] == 3 and not any(rows[2][1])
    assert rows[3] == (4, ("2026-11-24", "1234.5", "TRUE"))
    assert list(open_table(path, sheet="Other").rows()) == [(1, ("other sheet",))]
    with pytest.raises(LedgerFileError, match="has no worksheet 'Missing'"):
        open_table(path, sheet="Missing")


def test_cell_text_never_shows_float_noise() -> None:
    assert cell_text(1e-10) == "0"
    assert cell_text(-0.0) == "0"
    assert cell_text(1850.0) == "1850"
    assert cell_text(None) == ""


def test_the_digest_is_of_the_bytes(tmp_path: Path) -> None:
    one = open_table(write(tmp_path / "one.csv", b"a,b\n1,2\n"))
    same = open_table(write(tmp_path / "same.csv", b"a,b\n1,2\n"))
    other = open_table(write(tmp_path / "other.csv", b"a,b\n1,3\n"))
    assert one.sha256 == same.sha256 != other.sha256
    assert one.size == 8
