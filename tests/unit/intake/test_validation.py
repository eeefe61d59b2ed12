"""Every row checked, every error naming file, row, column and value; cross-row checks."""

from pathlib import Path

import pytest

from arrears.intake.files import LedgerFileError
from arrears.intake.ledger_import import read_ledger
from arrears.intake.profiles import ProfileError
from arrears.intake.validation import ParsedLedger, undefined_debtors

HEADER = "DebtorCode,DebtorName,Type,Number,IssueDate,DueDate,Currency,Amount,OpenAmount\n"


def ledger(
    tmp_path: Path, body: str, *, name: str = "ledger.csv", header: str = HEADER, profile: str = "generic"
) -> ParsedLedger:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return read_ledger(path, profile=profile, default_currency="GBP")


def messages(parsed: ParsedLedger) -> list[str]:
    return [str(error) for error in parsed.errors]


def test_each_bad_value_is_reported_with_file_row_column_and_value(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        "A1,Acme,Invoice,INV-1,31/02/2026,,GBP,100.00,\n"
        "A1,Acme,Invoice,INV-2,01/03/2026,01/02/2026,GBP,100.00,\n"
        "A1,Acme,Invoice,INV-3,01/03/2026,,XYZ,100.00,\n"
        "A1,Acme,Invoice,INV-4,01/03/2026,,GBP,12.345,\n"
        "A1,Acme,Invoice,INV-5,01/03/2026,,GBP,100.00,150.00\n"
        "A1,Acme,Receipt,INV-6,01/03/2026,,GBP,100.00,\n"
        "A1,Acme,Invoice,,01/03/2026,,GBP,100.00,\n"
        "A1,Acme,Invoice,INV-8,01/03/2026,,GBP,-5.00,\n"
        "A1,Acme,Invoice,INV-9,01/03/2026,,GBP,,\n"
        ",Acme,Invoice,INV-10,01/03/2026,,GBP,1.00,\n"
        "A1,Acme,Invoice,INV-11,,,GBP,1.00,\n",
    )
    assert messages(parsed) == [
        "ledger.csv row 2, column IssueDate: '31/02/2026' is not a date (day first, e.g. 23/11/2026 or 2026-11-23)",
        "ledger.csv row 3, column DueDate: '01/02/2026' is before the issue date 01/03/2026",
        "ledger.csv row 4, column Currency: 'XYZ' is not an ISO 4217 currency code (e.g. GBP, EUR, USD)",
        "ledger.csv row 5, column Amount: '12.345' has more decimal places than the currency has (at most 2 decimal places)",
        "ledger.csv row 6, column OpenAmount: '150.00' is more than the amount (100.00)",
        "ledger.csv row 7, column Type: 'Receipt' is not a transaction type this profile knows "
        "(cash, cn, credit, credit note, credit_note, creditnote, debit, inv, invoice, payment, payment on account, unallocated cash)",
        "ledger.csv row 8, column Number: is empty: every invoice and credit note needs its number",
        "ledger.csv row 9, column Amount: '-5.00' is negative for an invoice (a credit note is its own type)",
        "ledger.csv row 10, column Amount: is empty: every document needs its amount",
        "ledger.csv row 11, column DebtorCode: is empty: every document needs its debtor",
        "ledger.csv row 12, column IssueDate: is empty: every document needs its date",
    ]
    assert parsed.accepted_documents() == []
    assert parsed.rejected == set(range(2, 13))


def test_a_row_with_several_problems_reports_them_all(tmp_path: Path) -> None:
    parsed = ledger(tmp_path, "A1,Acme,Invoice,INV-1,2026-13-01,yesterday,GBP,100.00,\n")
    assert [e.column for e in parsed.errors] == ["IssueDate", "DueDate"]


def test_a_negative_amount_without_a_type_is_a_credit_note(tmp_path: Path) -> None:
    parsed = ledger(tmp_path, "A1,Acme,,CN-1,2026-03-01,,GBP,-40.00,-40.00\n")
    (credit,) = parsed.accepted_documents()
    assert (credit.kind, credit.amount_minor, credit.open_minor) == ("credit_note", 4000, 4000)


def test_open_and_amount_of_opposite_signs_are_refused(tmp_path: Path) -> None:
    parsed = ledger(tmp_path, "A1,Acme,,CN-1,2026-03-01,,GBP,-40.00,10.00\n")
    assert messages(parsed) == [
        "ledger.csv row 2, column OpenAmount: '10.00' has the opposite sign to the amount (-40.00)"
    ]


def test_a_row_repeated_exactly_is_reported_as_a_repeat(tmp_path: Path) -> None:
    row = "A1,Acme,Invoice,INV-1,2026-03-01,,GBP,100.00,100.00\n"
    parsed = ledger(tmp_path, row + "A1,Acme,Invoice,INV-2,2026-03-02,,GBP,5.00,5.00\n" + row)
    assert messages(parsed) == [
        "ledger.csv row 4, column Number: 'INV-1' repeats row 2 exactly (the same invoice INV-1 twice)"
    ]
    assert [d.number for d in parsed.accepted_documents()] == ["INV-1", "INV-2"]  # the first one stands


def test_one_number_with_two_different_contents_rejects_both_rows(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        "A1,Acme,Invoice,INV-1,2026-03-01,,GBP,100.00,100.00\nA1,Acme,Invoice,INV-1,2026-03-01,,GBP,120.00,120.00\n",
    )
    assert messages(parsed) == [
        "ledger.csv row 3, column Number: 'INV-1' is also on row 2 with other details (amount, open amount): "
        "an invoice number is used once"
    ]
    assert parsed.accepted_documents() == [] and parsed.rejected == {2, 3}


def test_an_invoice_and_a_credit_note_may_share_a_number(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        "A1,Acme,Invoice,100,2026-03-01,,GBP,100.00,\nA1,Acme,Credit note,100,2026-03-02,,GBP,10.00,\n",
    )
    assert parsed.errors == [] and len(parsed.accepted_documents()) == 2


def test_two_names_for_one_debtor_are_an_error(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        "A1,Acme,Invoice,INV-1,2026-03-01,,GBP,100.00,\nA1,Acme Ltd,Invoice,INV-2,2026-03-01,,GBP,100.00,\n",
    )
    assert messages(parsed) == [
        "ledger.csv row 3, column DebtorName: 'Acme Ltd' names debtor A1 differently from row 2 ('Acme')"
    ]


def test_a_debtor_referenced_but_defined_nowhere_is_an_error_on_each_of_its_rows(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        "A1,,Invoice,INV-1,2026-03-01,,GBP,100.00,\n"
        "B2,Beta,Invoice,INV-2,2026-03-01,,GBP,100.00,\n"
        "A1,,Invoice,INV-3,2026-03-01,,GBP,100.00,\n"
        "C3,,Invoice,INV-4,2026-03-01,,GBP,100.00,\n",
    )
    assert undefined_debtors(parsed, known={"C3"}) == 2  # C3 is in the ledger already
    assert messages(parsed) == [
        "ledger.csv row 2, column DebtorCode: 'A1' is a debtor that is not defined: give its name (DebtorName) "
        "on one of its rows, or import the customer list first",
        "ledger.csv row 4, column DebtorCode: 'A1' is a debtor that is not defined: give its name (DebtorName) "
        "on one of its rows, or import the customer list first",
    ]
    assert [d.number for d in parsed.accepted_documents()] == ["INV-2", "INV-4"]


def test_formulas_in_text_fields_are_kept_as_text(tmp_path: Path) -> None:
    parsed = ledger(
        tmp_path,
        'A1,"=HYPERLINK(""http://evil.example"",""Click"")",Invoice,"=1+2",2026-03-01,,GBP,100.00,\n',
    )
    (document,) = parsed.accepted_documents()
    assert document.number == "=1+2"
    assert parsed.debtors["A1"].name == '=HYPERLINK("http://evil.example","Click")'


def test_blank_rows_anywhere_are_skipped_and_counted(tmp_path: Path) -> None:
    parsed = ledger(tmp_path, "\nA1,Acme,Invoice,INV-1,2026-03-01,,GBP,100.00,\n,,,,,,,,\n\n")
    assert parsed.errors == [] and parsed.furniture_rows == 3 and parsed.data_rows == 1


def test_a_header_with_no_rows_under_it_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerFileError, match=r"ledger\.csv: has a header \(row 1\) but no rows under it"):
        ledger(tmp_path, "\n,,,\n")


def test_a_file_no_profile_recognises_says_what_it_has(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Foo,Bar,Baz\n1,2,3\n")
    with pytest.raises(
        ProfileError, match=r"odd\.csv: no profile recognises this file\. .*row 1\) reads: Foo, Bar, Baz"
    ):
        read_ledger(path, default_currency="GBP")


def test_a_named_profile_whose_columns_are_missing_says_which(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Foo,Bar\n1,2\n")
    with pytest.raises(ProfileError, match="does not have the columns of profile sage50_aged_debtors"):
        read_ledger(path, profile="sage50_aged_debtors", default_currency="GBP")


def test_rows_that_do_not_add_up_to_the_files_own_total_are_an_error(tmp_path: Path, files: Path) -> None:
    text = (files / "quickbooks_online_ar_ageing_detail.csv").read_text()
    path = tmp_path / "qbo.csv"
    path.write_text(
        text.replace('TOTAL,,,,,,,"£5,260.50","£4,760.50"', 'TOTAL,,,,,,,"£5,260.50","£4,860.50"')
    )
    parsed = read_ledger(path, default_currency="GBP")
    assert messages(parsed) == [
        "qbo.csv row 22, column Open Balance: '£4,860.50' is the file's total, but its rows add up to 4,760.50: "
        "some rows were not read as the file means them (is this the right profile?)"
    ]


def test_an_unknown_line_in_a_report_is_an_error_not_silently_dropped(tmp_path: Path, files: Path) -> None:
    text = (files / "quickbooks_desktop_ar_ageing_detail.csv").read_text()
    path = tmp_path / "qbd.csv"
    path.write_text(text.replace("Total 1 - 30,", "Subtotal 1 - 30,"))
    parsed = read_ledger(path, profile="quickbooks_desktop_ar_ageing_detail_us", default_currency="GBP")
    assert [str(e).split(": ")[0] for e in parsed.errors] == [
        "qbd.csv row 13, column Name",
        "qbd.csv row 13, column Date",
        "qbd.csv row 13, column Num",
    ]
    assert not parsed.total_checked  # with rows in error, the total says nothing more


def test_lines_of_one_xero_invoice_must_agree(tmp_path: Path, files: Path) -> None:
    lines = (files / "xero_invoices.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("1850.00,308.33,0.00,1850.00", "1950.00,308.33,0.00,1950.00")
    path = tmp_path / "xero.csv"
    path.write_text("\n".join(lines) + "\n")
    parsed = read_ledger(path, default_currency="GBP")
    assert len(parsed.errors) == 1
    assert str(parsed.errors[0]).startswith(
        "xero.csv row 3, column InvoiceNumber: 'INV-0043' is a line of invoice INV-0043 (row 2) but gives the "
        "invoice other details (amount, open amount)"
    )
    assert {2, 3} <= parsed.rejected
