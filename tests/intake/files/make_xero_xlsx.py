"""Writes xero_aged_receivables_detail.xlsx, the Xero fixture, in the layout Xero's Excel export
of the Aged Receivables Detail report has (title lines, column headings, a line per contact,
its invoices with real date and number cells, a "Total <contact>" line, a grand "Total").

The .xlsx is committed; run this (`python tests/intake/files/make_xero_xlsx.py`) only to change it.
"""

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADINGS = [
    "Invoice Date",
    "Invoice Number",
    "Invoice Reference",
    "Due Date",
    "Current",
    "< 1 Month",
    "1 Month",
    "2 Months",
    "3 Months",
    "Older",
    "Total",
]
# contact, [(date, number, reference, due, ageing column, amount)]
CONTACTS = [
    (
        "Abbey Builders Ltd",
        [
            (datetime(2026, 7, 14), "INV-0043", "PO 4471", datetime(2026, 8, 13), "3 Months", 1850.00),
            (datetime(2026, 9, 10), "CN-0012", "Damaged panel", None, "2 Months", -120.00),
        ],
    ),
    (
        "Crown Glazing Ltd",
        [
            (datetime(2026, 10, 1), "INV-0051", "", datetime(2026, 10, 31), "< 1 Month", 1400.00),
            (datetime(2026, 11, 2), None, "Overpayment", None, "Current", -250.00),
        ],
    ),
    (
        '=HYPERLINK("http://example.invalid","Click me")',
        [
            (datetime(2026, 11, 20), "INV-0060", "", datetime(2026, 12, 20), "Current", 0.1 + 0.2),
        ],
    ),
]


def main() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Aged Receivables Detail"
    for line in (
        "Aged Receivables Detail",
        "Wren Joinery Ltd",
        "As at 23 November 2026",
        "Ageing by due date",
    ):
        sheet.append([line])
    sheet.append([])
    sheet.append(HEADINGS)
    grand = 0.0
    for contact, rows in CONTACTS:
        sheet.append([contact])
        # a name is text even when it starts with "=": stored as a string, never as a formula
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"
        total = 0.0
        for issued, number, reference, due, column, amount in rows:
            row = [issued, number, reference, due] + [None] * 7
            row[HEADINGS.index(column)] = amount
            row[-1] = amount
            sheet.append(row)
            total += amount
        sheet.append([f"Total {contact}"] + [None] * 9 + [round(total, 2)])
        sheet.append([])
        grand += total
    sheet.append(["Total"] + [None] * 9 + [round(grand, 2)])
    book.save(HERE / "xero_aged_receivables_detail.xlsx")


if __name__ == "__main__":
    main()
