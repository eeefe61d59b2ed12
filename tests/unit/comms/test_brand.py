"""Brands: validated when built, complete for the templates a creditor uses, white label or
in the agency's name."""

from dataclasses import replace

import pytest
from comms_builders import brand, creditor

from arrears.comms.brand import (
    Agency,
    BrandError,
    BrandMode,
    Logo,
    PaymentDetails,
    Sender,
    brand_from_dict,
    brand_to_dict,
    check_brand,
    missing_fields,
)
from arrears.comms.templates import required_brand_fields
from arrears.core.policy import Channel


def test_iban_with_wrong_check_digits_is_refused_naming_the_field() -> None:
    with pytest.raises(BrandError, match=r"payment\.iban: 'GB00BUKB20201555555555' is not a valid IBAN"):
        PaymentDetails(iban="GB00BUKB20201555555555")


def test_iban_is_kept_compact_and_shown_in_groups_of_four() -> None:
    payment = PaymentDetails(iban="gb33 bukb 2020 1555 5555 55")
    assert payment.iban == "GB33BUKB20201555555555"
    assert payment.iban_formatted == "GB33 BUKB 2020 1555 5555 55"


def test_uk_iban_must_name_the_same_account_as_the_sort_code_and_number() -> None:
    with pytest.raises(BrandError, match="is for sort code 20-20-15 account 55555555, not 20-20-15 12345678"):
        PaymentDetails(iban="GB33BUKB20201555555555", sort_code="202015", account_number="12345678")


def test_sort_code_is_normalised_and_needs_an_account_number() -> None:
    assert PaymentDetails(sort_code="202015", account_number="55555555").sort_code == "20-20-15"
    with pytest.raises(BrandError, match="give both sort_code and account_number"):
        PaymentDetails(sort_code="20-20-15")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: replace(brand(), phone="call us!"), "phone: 'call us!' is not a phone number"),
        (lambda: Sender(email="not an address"), "sender.email"),
        (lambda: replace(brand(), portal_url="javascript:alert(1)"), "portal_url"),
        (lambda: replace(brand(), sms_sender="Far Too Long Sender"), "sms_sender"),
        (lambda: Logo("image/svg+xml", b'<svg onload="alert(1)"></svg>'), "script or an event handler"),
        (lambda: Logo("image/png", b"GIF89a"), "not a PNG image"),
    ],
)
def test_values_that_would_end_up_in_html_or_a_url_are_checked(build: object, message: str) -> None:
    with pytest.raises(BrandError, match=message):
        build()  # type: ignore[operator]


def test_colours_must_be_hex_so_they_cannot_inject_css() -> None:
    with pytest.raises(BrandError, match=r"colours.primary: 'red;background:url\(x\)'"):
        brand_from_dict({"trading_name": "Acme", "colours": {"primary": "red;background:url(x)"}}, "ACME")


def test_brand_file_round_trips_and_refuses_unknown_fields() -> None:
    original = brand()
    data = brand_to_dict(original)
    assert brand_from_dict(data, "ACME", logo=original.logo) == original
    with pytest.raises(BrandError, match=r"unknown field.*sendr"):
        brand_from_dict({**data, "sendr": {}}, "ACME")


def test_letters_need_a_letterhead_address_and_emails_a_sender_address() -> None:
    bare = replace(brand(), letterhead=replace(brand().letterhead, address=None), sender=Sender(name="Acme"))
    assert missing_fields(bare, required_brand_fields("formal_demand", Channel.LETTER)) == (
        "letterhead.address",
        "sender.address",
    )
    assert "sender.email" in missing_fields(bare, required_brand_fields("overdue_7_days", Channel.EMAIL))


def test_check_brand_names_every_gap_at_configuration_time() -> None:
    bare = replace(brand(), phone=None, payment=PaymentDetails())
    with pytest.raises(BrandError) as raised:
        check_brand(
            bare,
            [("template 'overdue_7_days' (email)", required_brand_fields("overdue_7_days", Channel.EMAIL))],
        )
    assert "template 'overdue_7_days' (email) needs" in str(raised.value)
    assert "payment" in str(raised.value) and "phone" in str(raised.value)


def test_agency_mode_presents_the_agency_on_behalf_of_the_creditor() -> None:
    agency = Agency(
        name="North Collect",
        sender=Sender(name="North Collect", email="team@north.example"),
        phone="0113 496 0999",
    )
    in_agency_name = replace(brand(), mode=BrandMode.AGENCY, agency=agency)
    presenter = in_agency_name.presenter
    assert (presenter.name, presenter.on_behalf_of, presenter.phone) == (
        "North Collect",
        "Acme Widgets",
        "0113 496 0999",
    )
    # the agency's letterhead is empty: the gap is reported as the agency's
    assert missing_fields(in_agency_name, ["letterhead.address"]) == ("agency.letterhead.address",)


def test_agency_mode_without_an_agency_is_refused() -> None:
    with pytest.raises(BrandError, match="mode is agency but no agency is set"):
        replace(brand(), mode=BrandMode.AGENCY)


def test_sample_brand_is_complete_for_every_shipped_template() -> None:
    from arrears.comms.templates import TEMPLATES

    sample = brand(creditor())
    for name, spec in TEMPLATES.items():
        for channel in spec.channels:
            assert missing_fields(sample, required_brand_fields(name, channel)) == (), (name, channel)
