"""Where notices to the creditor itself go: `notify_email`, else the creditor's own reply-to or
sender address; a brand with none of them is refused when it is set, naming the field."""

from dataclasses import replace

import pytest
from comms_builders import brand

from arrears.comms.brand import Agency, BrandError, BrandMode, Sender, brand_from_dict, brand_to_dict
from arrears.comms.service import check_brand_for_policy
from arrears.policies import default_uk


def test_the_notification_address_falls_back_to_the_creditors_reply_to_then_sender() -> None:
    sample = brand()
    assert sample.notify_address == "accounts@acme.example"
    assert replace(sample, notify_email="disputes@acme.example").notify_address == "disputes@acme.example"
    no_reply_to = replace(sample, sender=replace(sample.sender, reply_to=None))
    assert no_reply_to.notify_address == "credit@acme.example"


def test_a_notification_address_that_is_not_an_email_address_is_refused() -> None:
    with pytest.raises(BrandError, match="notify_email: 'disputes at acme' is not an email address"):
        replace(brand(), notify_email="disputes at acme")


def test_the_brand_file_reads_and_writes_it() -> None:
    data = brand_to_dict(replace(brand(), notify_email="disputes@acme.example"))
    assert data["notify_email"] == "disputes@acme.example"
    assert brand_from_dict(data, "ACME", logo=brand().logo).notify_email == "disputes@acme.example"


def test_in_agency_mode_the_creditor_needs_an_address_of_its_own_for_notices() -> None:
    agency = Agency(
        "North Collect",
        sender=Sender("North Collect", "team@northcollect.example", "replies@northcollect.example"),
        phone="0161 496 0000",
        signature="North Collect",
    )
    # the agency's addresses are the agency's: a notice to the creditor must not go there
    agency_brand = replace(brand(), mode=BrandMode.AGENCY, agency=agency, sender=Sender())
    assert agency_brand.notify_address is None
    with pytest.raises(BrandError) as refused:
        check_brand_for_policy(agency_brand, default_uk())
    assert "template 'dispute_notice_to_creditor' (email) needs notify_email" in str(refused.value)
    assert (
        replace(agency_brand, notify_email="accounts@acme.example").notify_address == "accounts@acme.example"
    )
