"""Rendering an action: exact amounts in the locale, recipients per channel, a stable
Message-ID, letters as PDFs with an emailed copy, interest for business debts only."""

from dataclasses import replace
from datetime import date

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice

from arrears.comms.message import Instalment, OutboundAction, PlanDetails, PromiseDetails, RenderedMessage
from arrears.comms.render import EMAIL_COPY_SUFFIX, RenderError, e164, render_action
from arrears.comms.samples import sample_brand
from arrears.core.ledger import Creditor, Debtor, DebtorFlag
from arrears.core.money import Money
from arrears.core.policy import Channel

AS_OF = date(2026, 5, 4)
DOCUMENTS = [
    invoice("INV-1", date(2026, 3, 2), "1234.50"),
    invoice("INV-2", date(2026, 4, 1), "99.99", "50.05"),
]


def _action(template: str, channel: Channel, key: str = "k1", **fields: object) -> OutboundAction:
    return OutboundAction(
        "ACME",
        "C100",
        template.replace("_", " "),
        channel,
        template,
        ("INV-1", "INV-2"),
        key,
        "a reason",
        AS_OF,
        **fields,  # type: ignore[arg-type]
    )


def _render(
    template: str, channel: Channel, debtor: Debtor | None = None, **fields: object
) -> tuple[RenderedMessage, ...]:
    return render_action(
        _action(template, channel, **fields),
        creditor=creditor(),
        debtor=debtor or customer(),
        documents=DOCUMENTS,
        brand=brand(),
        now=NOW,
    )


def test_email_states_the_exact_amounts_formatted_for_the_locale() -> None:
    (message,) = _render("overdue_7_days", Channel.EMAIL)
    assert message.subject == "Overdue: £1,284.55 on account C100 - Acme Widgets"
    assert "INV-1  dated 31/01/2026, due 02/03/2026 (63 days past due): £1,234.50" in message.text
    assert "£50.05" in message.text and "Total: £1,284.55" in message.text
    assert message.html is not None and "£1,284.55" in message.html
    assert message.recipients == ("jo@bloggs.example",)
    assert (message.sender, message.sender_address) == ("Acme Widgets Credit Control", "credit@acme.example")


def test_amounts_follow_the_creditors_locale_and_currency() -> None:
    dublin = Creditor(
        "EIRE", "Eire Tools", currency="EUR", country="IE", locale="en_IE", timezone="Europe/Dublin"
    )
    euro = [
        invoice("F-1", date(2026, 3, 2), "1234.50", creditor_code="EIRE", debtor_code="C1", currency="EUR")
    ]
    (message,) = render_action(
        OutboundAction("EIRE", "C1", "due today", Channel.EMAIL, "due_today", ("F-1",), "k", "r", AS_OF),
        creditor=dublin,
        debtor=customer("EIRE", "C1", currency="EUR"),
        documents=euro,
        brand=sample_brand(dublin),
        now=NOW,
    )
    assert "€1,234.50" in message.subject
    assert "02/03/2026" in message.text  # en_IE writes day/month/year


def test_message_id_depends_only_on_the_key() -> None:
    first = _render("due_today", Channel.EMAIL)[0]
    again = render_action(
        _action("due_today", Channel.EMAIL),
        creditor=creditor(),
        debtor=customer(),
        documents=DOCUMENTS,
        brand=brand(),
        now=NOW.replace(hour=15),
    )[0]
    other = _render("due_today", Channel.EMAIL, key="k2")[0]
    assert first.message_id == again.message_id == "<k1.a8308e8e@acme.example>"
    assert other.message_id == "<k2.a8308e8e@acme.example>"


def test_email_carries_the_logo_inline_and_a_statement_when_the_template_attaches_one() -> None:
    (message,) = _render("overdue_14_days", Channel.EMAIL)
    inline = [a for a in message.attachments if a.inline]
    pdfs = [a for a in message.attachments if a.media_type == "application/pdf"]
    assert [a.media_type for a in inline] == ["image/png"]
    assert message.html is not None and f"cid:{inline[0].content_id}" in message.html
    assert [a.filename for a in pdfs] == ["statement-C100-2026-05-04.pdf"]
    assert pdfs[0].data.startswith(b"%PDF")


def test_letter_is_a_pdf_and_its_email_copy_has_a_key_of_its_own() -> None:
    letter, copy = _render("formal_demand", Channel.LETTER)
    assert letter.channel is Channel.LETTER and letter.attachments[0].data.startswith(b"%PDF")
    assert letter.recipients == (
        "Bloggs Building Supplies Ltd",
        "For the attention of Jo Bloggs",
        "12 Canal Street",
        "Leeds",
        "LS2 7AA",
    )
    assert "We now require payment of £1,284.55 within 7 days, by 11 May 2026." in letter.text
    assert copy.channel is Channel.EMAIL and copy.idempotency_key == "k1" + EMAIL_COPY_SUFFIX
    assert copy.action_key == "k1" and copy.transactional
    assert [a.filename for a in copy.attachments if not a.inline] == [letter.attachments[0].filename]
    assert copy.subject == "Formal demand for payment: account C100 - Acme Widgets"


def test_no_email_copy_when_the_debtor_has_no_email_or_the_brand_does_not_want_one() -> None:
    assert len(_render("formal_demand", Channel.LETTER, debtor=customer(email=None))) == 1
    no_copies = replace(brand(), email_letter_copies=False)
    result = render_action(
        _action("formal_demand", Channel.LETTER),
        creditor=creditor(),
        debtor=customer(),
        documents=DOCUMENTS,
        brand=no_copies,
        now=NOW,
    )
    assert len(result) == 1


def test_business_letters_state_statutory_interest_and_consumer_letters_do_not() -> None:
    business = _render("final_notice", Channel.LETTER)[0]
    # INV-1: £1,234.50 x 11.75% x 63/365 = £25.04; INV-2: £50.05 x 11.75% x 33/365 = £0.53
    assert "£25.57 in interest and £110.00 in compensation" in business.text
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in business.text
    individual = customer(flags=frozenset({DebtorFlag.INDIVIDUAL}))
    claim = _render("letter_of_claim_debt_protocol", Channel.LETTER, debtor=individual)[0]
    assert "Late Payment" not in claim.text
    assert "No interest or other charges are being added to this debt at present." in claim.text


def test_claimed_interest_is_added_to_the_sum_demanded() -> None:
    claiming = replace(brand(), claim_statutory_interest=True)
    letter = render_action(
        _action("letter_before_action", Channel.LETTER),
        creditor=creditor(),
        debtor=customer(),
        documents=DOCUMENTS,
        brand=claiming,
        now=NOW,
    )[0]
    assert "The sum claimed is therefore £1,420.12." in letter.text  # 1,284.55 + 25.57 + 110.00


def test_letter_of_claim_gives_thirty_days_and_encloses_the_protocol_documents() -> None:
    individual = customer(flags=frozenset({DebtorFlag.INDIVIDUAL}))
    claim = _render("letter_of_claim_debt_protocol", Channel.LETTER, debtor=individual)[0]
    assert "reply within 30 days, by 3 June 2026" in claim.text
    for heading in ("Statement of account", "Information sheet", "Reply form", "Financial statement"):
        assert heading in claim.text
    assert "Pre-Action Protocol for Debt Claims" in claim.text


def test_sms_goes_to_the_number_in_international_form_within_the_segment_limit() -> None:
    (message,) = _render("overdue_7_days", Channel.SMS)
    assert message.recipients == ("+447700900123",)
    assert message.sender_address == "AcmeWidgets"
    assert message.html is None and "£1,284.55 is overdue on account C100" in message.text


def test_an_sms_template_too_long_for_the_segment_limit_is_refused() -> None:
    long_name = replace(brand(), trading_name="A" * 400)
    with pytest.raises(RenderError, match="segments"):
        render_action(
            _action("due_today", Channel.SMS),
            creditor=creditor(),
            debtor=customer(),
            documents=DOCUMENTS,
            brand=long_name,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("channel", "debtor", "message"),
    [
        (Channel.EMAIL, customer(email=None), "has no email address"),
        (Channel.SMS, customer(phone=None), "has no phone number"),
        (Channel.LETTER, customer(address=None), "has no postal address"),
    ],
)
def test_a_debtor_without_an_address_for_the_channel_is_refused(
    channel: Channel, debtor: object, message: str
) -> None:
    template = "formal_demand" if channel is Channel.LETTER else "due_today"
    with pytest.raises(RenderError, match=message):
        render_action(
            _action(template, channel),
            creditor=creditor(),
            debtor=debtor,
            documents=DOCUMENTS,
            brand=brand(),
            now=NOW,
        )  # type: ignore[arg-type]


def test_documents_paid_since_planning_leave_nothing_to_send() -> None:
    with pytest.raises(RenderError, match="is open any more"):
        render_action(
            _action("due_today", Channel.EMAIL),
            creditor=creditor(),
            debtor=customer(),
            documents=[],
            brand=brand(),
            now=NOW,
        )


def test_confirmations_need_their_details_and_state_them() -> None:
    with pytest.raises(RenderError, match="needs the promise details"):
        _render("promise_confirmation", Channel.EMAIL)
    promise = PromiseDetails(Money.of("500.00", "GBP"), date(2026, 5, 11), ("INV-1",))
    (message,) = _render("promise_confirmation", Channel.EMAIL, details=promise)
    assert "You will pay £500.00 by 11 May 2026, for INV-1." in message.text and message.transactional
    plan = PlanDetails(
        (
            Instalment(date(2026, 5, 11), Money.of("642.28", "GBP")),
            Instalment(date(2026, 6, 11), Money.of("642.27", "GBP")),
        )
    )
    (sms,) = _render("payment_plan_confirmation", Channel.SMS, details=plan)
    assert "2 payments, £1,284.55 in all, first £642.28 by 11/05/2026" in sms.text


def test_call_card_speaks_in_the_creditors_name_for_outbound_and_inbound_calls() -> None:
    (card,) = _render("call_30_days", Channel.CALL)
    assert "calling from Acme Widgets about your account C100" in card.text
    assert "IF THEY CALL US (inbound)" in card.text
    assert card.html is not None and "<pre>" in card.html


def test_phone_numbers_need_a_country_code_outside_the_uk_and_ireland() -> None:
    assert e164("07700 900123") == "+447700900123"
    assert e164("0044 7700 900123") == "+447700900123"
    with pytest.raises(RenderError, match="no country code"):
        e164("0612345678", "FR")
