"""Each profile on a small file in its package's export layout (tests/intake/files): the file is
recognised, every row is read as the package means it, the furniture (titles, sections, totals,
page headers, blank rows at the end) is skipped, and the rows add up to the file's own total."""

from datetime import date
from pathlib import Path

from arrears.intake.ledger_import import read_ledger
from arrears.intake.validation import ParsedLedger


def read(files: Path, name: str, profile: str = "auto") -> ParsedLedger:
    return read_ledger(files / name, profile=profile, default_currency="GBP")


def documents(parsed: ParsedLedger) -> dict[str, tuple[str, str, int | None, int]]:
    return {d.number: (d.debtor, d.kind, d.amount_minor, d.open_minor) for d in parsed.accepted_documents()}


def test_sage50_aged_debtors_report_with_page_breaks_totals_and_trailing_blank_rows(files: Path) -> None:
    parsed = read(files, "sage50_aged_debtors.csv")

    assert parsed.profile.name == "sage50_aged_debtors"
    assert parsed.table.encoding == "cp1252"
    assert parsed.errors == []
    assert documents(parsed) == {
        "INV1043": ("ABB001", "invoice", None, 185000),
        "INV1102": ("ABB001", "invoice", None, 42040),
        "CN0012": ("ABB001", "credit_note", None, 12000),
        "INV1180": ("CRO002", "invoice", None, 240000),
        "INV1190": ("DUB004", "invoice", None, 336550),
        "INV1212": ("DUB004", "invoice", None, 8400),
        "INV0985": ("ELM005", "invoice", None, 8800),
        "JNL-0031": ("ELM005", "invoice", None, 1250),  # a journal debit on the account
    }
    (cash,) = parsed.accepted_payments()
    assert (cash.debtor, cash.reference, cash.unallocated_minor) == ("CRO002", "1205", 30000)  # SA, Sage's No
    assert all(d.due_date is None for d in parsed.accepted_documents())  # the report has no due dates
    assert parsed.debtors["DUB004"].name == "Café Dubois Ltd"
    assert parsed.debtors["DUB004"].contact_name == "Amélie Dubois"
    assert parsed.debtors["CRO002"].contact_name is None
    assert parsed.total_checked
    assert parsed.declared_total is not None and parsed.declared_total.minor == 780040
    assert parsed.totals()["GBP"].net_open == 780040


def test_sage50_customer_records_define_debtors_with_terms_limits_and_contacts(files: Path) -> None:
    parsed = read(files, "sage50_customers.csv")

    assert parsed.profile.name == "sage50_customers"
    abbey = parsed.accepted_debtors()["ABB001"]
    assert (abbey.name, abbey.terms_days, abbey.credit_limit_minor) == ("Abbey Builders Ltd", 60, 500000)
    assert abbey.email == "accounts@abbeybuilders.example"
    assert abbey.address == ("Unit 4 Mill Lane", "Hebden Bridge", "West Yorkshire", "HX7 8AB")
    assert parsed.accepted_debtors()["DUB004"].name == "Café Dubois Ltd"
    assert parsed.documents == []


def test_quickbooks_desktop_ageing_detail_us_dates_detected_from_the_data(files: Path) -> None:
    parsed = read(files, "quickbooks_desktop_ar_ageing_detail.csv")

    assert parsed.profile.name == "quickbooks_desktop_ar_ageing_detail_us"
    assert "quickbooks_desktop_ar_ageing_detail (" in parsed.profile_reason  # the UK twin had date errors
    assert parsed.errors == []
    assert documents(parsed) == {
        "1071": ("Abbey Builders Ltd", "invoice", None, 125000),
        "1074": ("Abbey Builders Ltd", "credit_note", None, 15000),
        "1060": ("Crown Glazing Ltd", "invoice", None, 98000),
        "1032": ("Delta Tiling, Kitchens & Baths", "invoice", None, 312000),
        "1011": ("Elmhurst Lettings", "invoice", None, 8800),
        "JE-14": ("Elmhurst Lettings", "invoice", None, 1250),  # a journal: its sign decides
    }
    first = next(d for d in parsed.accepted_documents() if d.number == "1071")
    assert (first.issue_date, first.due_date) == (date(2026, 11, 5), date(2026, 12, 5))
    (cash,) = parsed.accepted_payments()  # a payment without a number: cash on account
    assert (cash.debtor, cash.unallocated_minor) == ("Crown Glazing Ltd", 20000)
    assert parsed.debtors["Elmhurst Lettings"].terms_days == 0  # "Due on receipt"
    assert parsed.debtors["Crown Glazing Ltd"].terms_days == 30  # "Net 30"
    assert parsed.total_checked and parsed.totals()["GBP"].net_open == 510050


def test_quickbooks_online_ageing_detail_with_sections_pound_totals_and_a_footer(files: Path) -> None:
    parsed = read(files, "quickbooks_online_ar_ageing_detail.csv")

    assert parsed.profile.name == "quickbooks_online_ar_ageing_detail"
    assert parsed.errors == []
    assert documents(parsed)["1077"] == ("Crown Glazing Ltd", "invoice", 98000, 48000)  # part paid
    assert documents(parsed)["CN-31"] == ("Abbey Builders Ltd", "credit_note", 9000, 9000)
    assert parsed.declared_total is not None and parsed.declared_total.text == "£4,760.50"
    assert parsed.total_checked and parsed.totals()["GBP"].net_open == 476050
    assert parsed.rows_total == 26  # the timestamp footer was read, and skipped


def test_quickbooks_online_invoice_list_is_told_from_the_ageing_report_by_its_title(files: Path) -> None:
    parsed = read(files, "quickbooks_online_invoice_list.csv")

    assert parsed.profile.name == "quickbooks_online_invoice_list"
    assert "under the report's title" in parsed.profile_reason
    assert documents(parsed)["1020"] == ("Abbey Builders Ltd", "invoice", 64000, 0)  # paid, kept as paid
    assert parsed.total_checked and parsed.totals()["GBP"].net_open == 500000


def test_xero_aged_receivables_detail_workbook_grouped_by_contact(files: Path) -> None:
    parsed = read(files, "xero_aged_receivables_detail.xlsx")

    assert parsed.profile.name == "xero_aged_receivables_detail"
    assert parsed.errors == []
    assert documents(parsed) == {
        "INV-0043": ("Abbey Builders Ltd", "invoice", None, 185000),
        "CN-0012": ("Abbey Builders Ltd", "credit_note", None, 12000),
        "INV-0051": ("Crown Glazing Ltd", "invoice", None, 140000),
        "INV-0060": ('=HYPERLINK("http://example.invalid","Click me")', "invoice", None, 30),
    }
    credit = next(d for d in parsed.accepted_documents() if d.number == "CN-0012")
    assert credit.po_number == "Damaged panel" and credit.due_date is None
    (overpayment,) = parsed.accepted_payments()  # a negative line without a number
    assert (overpayment.debtor, overpayment.unallocated_minor) == ("Crown Glazing Ltd", 25000)
    assert parsed.total_checked and parsed.totals()["GBP"].net_open == 288030


def test_xero_invoice_export_takes_an_invoices_lines_together_and_leaves_out_drafts(files: Path) -> None:
    parsed = read(files, "xero_invoices.csv")

    assert parsed.profile.name == "xero_invoices"
    assert parsed.errors == []
    assert documents(parsed) == {
        "INV-0043": ("Abbey Builders Ltd", "invoice", 185000, 185000),  # two lines, one invoice
        "INV-0051": ("Crown Glazing Ltd", "invoice", 240000, 140000),
        "INV-0055": ("Café Dubois Ltd", "invoice", 336550, 0),  # paid
        "INV-0041": ("Elmhurst Lettings", "invoice", 8800, 8800),
    }
    assert parsed.left_out_rows == 2  # the draft and the voided invoice
    abbey = parsed.debtors["Abbey Builders Ltd"]
    assert (abbey.email, abbey.postcode) == ("accounts@abbeybuilders.example", "HX7 8AB")


def test_the_generic_layout(files: Path) -> None:
    parsed = read(files, "generic_ledger.csv")

    assert parsed.profile.name == "generic"
    assert documents(parsed)["CN-0012"] == ("ABB001", "credit_note", 12000, 12000)
    assert documents(parsed)["INV-1007"] == ("ABB001", "invoice", 92040, 42040)
    totals = parsed.totals()
    assert (totals["GBP"].net_open, totals["EUR"].net_open) == (455040, 260000)
