"""CSV exports neutralise formulas (OWASP CSV injection) and keep everything else as it is."""

import csv
import io

import pytest

from arrears.intake.safe_csv import neutralise, write_rows


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+44 1632 960001", "'+44 1632 960001"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-1234.50", "-1234.50"),
        ("-1,234.50", "-1,234.50"),
        ("Abbey Builders Ltd", "Abbey Builders Ltd"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_written_as_text(value: object, written: str) -> None:
    assert neutralise(value) == written


def test_written_rows_read_back_with_quotes_and_line_breaks_intact() -> None:
    buffer = io.StringIO()
    write_rows(buffer, ["name", "note"], [["=cmd|' /C calc'!A0", 'say "hi", then\nleave']])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["name", "note"],
        ["'=cmd|' /C calc'!A0", 'say "hi", then\nleave'],
    ]
