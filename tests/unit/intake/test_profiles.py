"""Profiles are data: the built-in ones load, a user adds one without code, mistakes are named."""

from pathlib import Path

import pytest

from arrears.intake.ledger_import import read_ledger
from arrears.intake.profiles import ProfileError, available_profiles, load_profile, normalise_header

BUILT_IN = {
    "generic",
    "generic_month_first",
    "sage50_aged_debtors",
    "sage50_customers",
    "quickbooks_desktop_ar_ageing_detail",
    "quickbooks_desktop_ar_ageing_detail_us",
    "quickbooks_online_ar_ageing_detail",
    "quickbooks_online_ar_ageing_detail_us",
    "quickbooks_online_invoice_list",
    "quickbooks_online_invoice_list_us",
    "xero_aged_receivables_detail",
    "xero_invoices",
}


def test_every_built_in_profile_loads_and_says_how_it_was_checked() -> None:
    profiles = available_profiles()
    assert set(profiles) == BUILT_IN
    for profile in profiles.values():
        assert profile.checked, profile.name
        assert profile.title, profile.name


def test_a_us_variant_extends_its_uk_profile_and_changes_only_the_date_order() -> None:
    uk, us = (
        load_profile("quickbooks_online_ar_ageing_detail"),
        load_profile("quickbooks_online_ar_ageing_detail_us"),
    )
    assert (uk.dates, us.dates) == ("day_first", "month_first")
    assert us.columns == uk.columns and us.skip_rows == uk.skip_rows and us.file_total == uk.file_total


def test_header_names_match_whatever_their_case_spacing_and_punctuation() -> None:
    assert (
        normalise_header("Open Balance")
        == normalise_header("open_balance")
        == normalise_header(" OPEN BALANCE. ")
    )
    assert normalise_header("P. O. #") == "po"


def test_a_users_profile_in_the_workspace_folder_is_used_like_a_built_in_one(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "acme_erp.yaml").write_text(
        "name: acme_erp\n"
        "title: ACME ERP open items\n"
        "checked: our own export\n"
        "columns:\n"
        "  debtor_code: [Kunde]\n"
        "  debtor_name: [Name]\n"
        "  number: [Beleg]\n"
        "  issue_date: [Datum]\n"
        "  open_amount: [Offen]\n"
        "required: [debtor_code, number, issue_date, open_amount]\n"
        "dates: day_first\n"
        "decimal: ','\n"
        "defaults: {currency: EUR, terms_days: 14}\n"
    )
    ledger = tmp_path / "offene_posten.csv"
    ledger.write_text("Kunde;Name;Beleg;Datum;Offen\nK1;Müller GmbH;R-1;01.03.2026;1.234,50\n")
    parsed = read_ledger(ledger, profile_folders=[folder], default_currency="GBP")
    assert parsed.profile.name == "acme_erp"
    (document,) = parsed.accepted_documents()
    assert (document.currency, document.open_minor, document.issue_date.isoformat()) == (
        "EUR",
        123450,
        "2026-03-01",
    )
    by_path = read_ledger(ledger, profile=str(folder / "acme_erp.yaml"), default_currency="GBP")
    assert by_path.profile.name == "acme_erp"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ncolumns: {number: [N]}\ncolour: red\n", "unknown key"),
        ("name: x\ncolumns: {numbr: [N]}\n", "column field 'numbr' is not one of"),
        (
            "name: x\ncolumns: {number: [N], issue_date: [D], amount: [A], debtor_code: [C]}\ndates: sideways\n",
            "dates must be one of",
        ),
        ("name: x\ncolumns: {number: [N], issue_date: [D], amount: [A]}\n", "gives no debtor"),
        (
            "name: x\ncolumns: {number: [N], issue_date: [D], amount: [A], debtor_code: [C]}\nskip_rows: ['(']\n",
            "not a valid regular expression",
        ),
        (
            "name: x\ncolumns: {number: [N], issue_date: [D], amount: [A], debtor_code: [C]}\ntypes: {bill: [B]}\n",
            "types.bill is not one of",
        ),
        ("name: x\nextends: nowhere\n", "extends 'nowhere', which does not exist"),
        ("name: [broken\n", "not valid YAML"),
    ],
)
def test_a_broken_profile_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        load_profile(str(path))


def test_an_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"there is no profile 'sage200'; use one of generic, "):
        load_profile("sage200")
