"""SMS: GSM-7 and UCS-2 segments, opt-out words, the gateway's REST shape against a local
gateway, delivery receipts, and what an interrupted hand-over leaves: an uncertain error, and
the SMS found again in the gateway's message list."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from comms_builders import GatewayState, callback_receiver, free_port, sms_gateway

from arrears.comms.channels import DeliveryError
from arrears.comms.channels.sms import (
    ReceiptError,
    ReceiptStatus,
    ReplyKind,
    SmsEncoding,
    SmsGateway,
    SmsGatewaySettings,
    classify_reply,
    parse_status_callback,
    sms_length,
    twilio_signature,
    valid_signature,
)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", SmsEncoding.GSM7, 0, 0),
        ("a" * 160, SmsEncoding.GSM7, 160, 1),
        ("a" * 161, SmsEncoding.GSM7, 161, 2),
        ("a" * 306, SmsEncoding.GSM7, 306, 2),
        ("a" * 307, SmsEncoding.GSM7, 307, 3),
        ("£" * 160, SmsEncoding.GSM7, 160, 1),  # £ is in the GSM-7 basic set
        ("€" * 80, SmsEncoding.GSM7, 160, 1),  # € is an extension character: two septets
        ("€" * 81, SmsEncoding.GSM7, 162, 2),
        ("a" * 152 + "€", SmsEncoding.GSM7, 154, 1),
        ("ł" * 70, SmsEncoding.UCS2, 70, 1),
        ("ł" * 71, SmsEncoding.UCS2, 71, 2),
        ("ł" * 134, SmsEncoding.UCS2, 134, 2),
        ("ł" * 135, SmsEncoding.UCS2, 135, 3),
        ("😀" * 35, SmsEncoding.UCS2, 70, 1),  # outside the BMP: two UTF-16 units
        ("Paid? " + "😀", SmsEncoding.UCS2, 8, 1),
    ],
)
def test_segments_follow_the_encoding_rules(
    text: str, encoding: SmsEncoding, units: int, segments: int
) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_a_pair_that_would_straddle_a_segment_moves_to_the_next() -> None:
    # 152 single septets then a double one: 154 septets, but the € starts segment 2
    assert sms_length("a" * 152 + "€" + "a" * 152).segments == 3


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", ReplyKind.OPT_OUT),
        (" stop.", ReplyKind.OPT_OUT),
        ("Unsubscribe please", ReplyKind.OPT_OUT),
        ("CANCEL", ReplyKind.OPT_OUT),
        ("START", ReplyKind.OPT_IN),
        ("I will pay on Friday, stop chasing", ReplyKind.OTHER),
        ("", ReplyKind.OTHER),
    ],
)
def test_opt_out_words_are_read_from_the_first_word(body: str, kind: ReplyKind) -> None:
    assert classify_reply(body) is kind


def test_gateway_posts_twilios_form_fields_with_basic_auth() -> None:
    with sms_gateway() as (url, state):
        gateway = SmsGateway(
            SmsGatewaySettings(
                url, state.account_sid, state.auth_token, status_callback="http://cb.example/s"
            )
        )
        delivered = gateway.send("+447700900123", "AcmeWidgets", "Pay £10 please")
    assert delivered.provider_ref == "SM" + "0" * 31 + "1"
    assert state.requests == [
        {
            "To": "+447700900123",
            "From": "AcmeWidgets",
            "Body": "Pay £10 please",
            "StatusCallback": "http://cb.example/s",
        }
    ]


@pytest.mark.parametrize(("mode", "permanent"), [("opted_out", True), ("invalid", True), ("down", False)])
def test_gateway_refusals_are_permanent_and_outages_are_not(mode: str, permanent: bool) -> None:
    with sms_gateway() as (url, state):
        state.mode = mode
        gateway = SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token))
        with pytest.raises(DeliveryError) as raised:
            gateway.send("+447700900123", "AcmeWidgets", "hello")
    assert raised.value.permanent is permanent


def test_wrong_credentials_are_a_permanent_refusal() -> None:
    with sms_gateway() as (url, state):
        gateway = SmsGateway(SmsGatewaySettings(url, state.account_sid, "wrong"))
        with pytest.raises(DeliveryError, match="401") as raised:
            gateway.send("+447700900123", "AcmeWidgets", "hello")
    assert raised.value.permanent


def test_an_unreachable_gateway_is_worth_retrying() -> None:
    gateway = SmsGateway(SmsGatewaySettings(f"http://127.0.0.1:{free_port()}", "AC1", "t", timeout_seconds=2))
    with pytest.raises(DeliveryError, match="unreachable") as raised:
        gateway.send("+447700900123", "AcmeWidgets", "hello")
    assert not raised.value.permanent


def test_the_gateway_posts_delivery_receipts_to_the_status_callback() -> None:
    with callback_receiver() as (callback, received), sms_gateway() as (url, state):
        gateway = SmsGateway(
            SmsGatewaySettings(url, state.account_sid, state.auth_token, status_callback=callback)
        )
        delivered = gateway.send("+447700900123", "AcmeWidgets", "hello")
        # the gateway answers first and posts its receipts afterwards, as Twilio does: wait for
        # them before closing the receiver (a bound, not a timing assertion)
        deadline = time.monotonic() + 10
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    receipts = [parse_status_callback(form) for form in received]
    assert [(r.sid, r.status) for r in receipts] == [
        (delivered.provider_ref, ReceiptStatus.SENT),
        (delivered.provider_ref, ReceiptStatus.DELIVERED),
    ]


def test_a_receipt_with_an_unknown_status_is_refused() -> None:
    with pytest.raises(ReceiptError, match="unknown status 'exploded'"):
        parse_status_callback({"MessageSid": "SM1", "MessageStatus": "exploded"})


def test_callback_signatures_are_checked_with_the_auth_token() -> None:
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    url = "https://arrears.example/sms/status/ACME"
    signature = twilio_signature(url, params, "token")
    assert valid_signature(url, params, signature, "token")
    assert not valid_signature(url, {**params, "MessageStatus": "failed"}, signature, "token")
    assert not valid_signature(url, params, signature, "another token")


# --- an interrupted hand-over: uncertain errors and finding the SMS at the gateway ----------------


def _gateway(url: str, state: GatewayState, *, timeout: float = 5) -> SmsGateway:
    return SmsGateway(SmsGatewaySettings(url, state.account_sid, state.auth_token, timeout_seconds=timeout))


@pytest.mark.parametrize("mode", ["hang", "drop"])
def test_a_gateway_that_takes_the_sms_and_does_not_answer_is_uncertain(mode: str) -> None:
    with sms_gateway() as (url, state):
        state.mode = mode
        with pytest.raises(DeliveryError, match="may have taken the SMS") as raised:
            _gateway(url, state, timeout=0.5).send("+447700900123", "AcmeWidgets", "hello")
    assert raised.value.uncertain and not raised.value.permanent
    assert len(state.requests) == 1


def test_a_refused_connection_is_certain_not_sent() -> None:
    gateway = SmsGateway(SmsGatewaySettings(f"http://127.0.0.1:{free_port()}", "AC1", "t", timeout_seconds=2))
    with pytest.raises(DeliveryError) as raised:
        gateway.send("+447700900123", "AcmeWidgets", "hello")
    assert not raised.value.uncertain


def test_find_sent_matches_number_body_and_time_through_the_pages() -> None:
    handed_over = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    with sms_gateway() as (url, state):
        state.page_size = 2
        gateway = _gateway(url, state)
        state.clock = lambda: handed_over - timedelta(days=1)
        gateway.send("+447700900123", "AcmeWidgets", "Please pay INV-1")  # the day before: too early
        state.clock = lambda: handed_over + timedelta(seconds=2)
        wanted = gateway.send("+447700900123", "AcmeWidgets", "Please pay INV-1").provider_ref
        for n in range(5):  # newer messages push it onto a later page
            gateway.send("+447700900123", "AcmeWidgets", f"another message {n}")
        gateway.send("+447700900456", "AcmeWidgets", "Please pay INV-1")  # another number
        found = gateway.find_sent("+447700900123", "Please pay INV-1", since=handed_over)
        missing = gateway.find_sent("+447700900123", "Please pay INV-2", since=handed_over)
        queries = list(state.list_queries)
    assert found == wanted and missing is None
    assert queries[0] == {"To": "+447700900123", "DateSent>": "2026-05-05", "PageSize": "100"}
    assert len(queries) > 2  # it followed next_page_uri


def test_find_sent_raises_when_the_gateway_cannot_be_asked() -> None:
    with sms_gateway() as (url, state):
        state.list_mode = "down"
        with pytest.raises(DeliveryError, match="503"):
            _gateway(url, state).find_sent("+447700900123", "hello", since=datetime(2026, 5, 5, tzinfo=UTC))
