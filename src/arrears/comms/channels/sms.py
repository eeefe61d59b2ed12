"""SMS through an HTTP gateway with Twilio's Messages API shape.

Sending: `POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json` with HTTP basic auth
(account SID, auth token) and the form fields `To`, `From`, `Body` and `StatusCallback`; the
gateway answers with JSON holding the message's `sid` and `status`. Any gateway speaking this
shape works (Twilio itself, or a provider's compatible endpoint).

Delivery receipts: the gateway POSTs the `StatusCallback` URL with `MessageSid`,
`MessageStatus` (queued, sent, delivered, undelivered, failed) and, on failure, `ErrorCode`;
`parse_status_callback` reads that form, `valid_signature` checks Twilio's
`X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted form fields, keyed by the auth token).

Length and encoding (3GPP TS 23.038): a text written entirely in the GSM 7-bit default
alphabet takes 160 characters in one message, 153 per segment when split (the rest of each
segment carries the concatenation header); characters of the extension table (`€ [ ] { } ^ ~
\\ |` and form feed) take two. Any other character makes the whole message UCS-2: 70 UTF-16
units in one message, 67 per segment; characters outside the Basic Multilingual Plane (emoji)
take two units. A two-unit character is never split across segments.

After an interrupted hand-over (the process died, or the connection dropped, between sending
the request and reading the answer) the gateway may or may not have taken the SMS, and the API
takes no idempotency key, so sending again could text the debtor twice. `find_sent` asks the
gateway instead: `GET .../Messages.json?To=<number>&DateSent>=<day>` (Twilio's list filter,
newest first, paged with `next_page_uri`) and looks for an SMS to that number with exactly the
stored body, created no earlier than the hand-over (less `CLOCK_SKEW`). Twilio's Message
resource carries no client reference and does not echo the StatusCallback URL, so the number,
the body and the time are what can be matched. A gateway that cannot be asked raises
`DeliveryError`; an SMS not (or not yet) listed gives None: neither proves it was never sent.

Opt-out: a reply whose first word is STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT or
REVOKE opts the number out (START, YES, UNSTOP opt it back in), as carriers and Twilio honour
them; the outbox never sends an SMS to a number that opted out.
"""

import base64
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from arrears.comms.channels import Delivered, DeliveryError

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 3  # the most segments a template may make; longer texts are refused at render time

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsLength:
    """How a text goes over the air: its encoding, its length in that encoding's units
    (septets or UTF-16 units) and the number of segments it takes."""

    encoding: SmsEncoding
    units: int
    segments: int


def _segments(costs: list[int], single: int, per_segment: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments


def sms_length(text: str) -> SmsLength:
    """Encoding, units and segments of `text`.

    >>> sms_length("a" * 160), sms_length("a" * 161)
    (SmsLength(encoding=<SmsEncoding.GSM7: 'GSM-7'>, units=160, segments=1), SmsLength(encoding=<SmsEncoding.GSM7: 'GSM-7'>, units=161, segments=2))
    >>> sms_length("€" * 80).segments, sms_length("ł" * 70).segments, sms_length("ł" * 71).segments
    (1, 1, 2)
    """
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsLength(SmsEncoding.GSM7, sum(costs), _segments(costs, 160, 153))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsLength(SmsEncoding.UCS2, sum(costs), _segments(costs, 70, 67))


class ReplyKind(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    OTHER = "other"


def classify_reply(body: str) -> ReplyKind:
    """What an inbound SMS asks for, from its first word ('Stop.' and ' stop ' opt out)."""
    words = body.strip().split()
    first = "".join(ch for ch in words[0] if ch.isalnum()).upper() if words else ""
    if first in OPT_OUT_WORDS:
        return ReplyKind.OPT_OUT
    if first in OPT_IN_WORDS:
        return ReplyKind.OPT_IN
    return ReplyKind.OTHER


# --- the gateway -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmsGatewaySettings:
    base_url: str  # https://api.twilio.com, or a compatible gateway
    account_sid: str
    auth_token: str
    status_callback: str | None = None  # where the gateway posts delivery receipts
    timeout_seconds: float = 15


# Twilio error codes that no retry can fix: the number is not a mobile, is invalid, or the
# recipient unsubscribed (21610: replied STOP to this sender).
PERMANENT_GATEWAY_CODES = frozenset({"21211", "21214", "21408", "21610", "21612", "21614"})
OPTED_OUT_CODE = "21610"
CLOCK_SKEW = timedelta(minutes=5)  # how far the gateway's clock may lag ours when matching
MAX_PAGES = 20  # pages of 100 messages read when looking for one SMS; more and it cannot say


class SmsGateway:
    """Sends SMS through the gateway's REST API (`urllib`, no third-party client)."""

    def __init__(self, settings: SmsGatewaySettings) -> None:
        self.settings = settings
        base = settings.base_url.rstrip("/")
        account = urllib.parse.quote(settings.account_sid, safe="")
        self._url = f"{base}/2010-04-01/Accounts/{account}/Messages.json"
        token = f"{settings.account_sid}:{settings.auth_token}".encode()
        self._authorization = "Basic " + base64.b64encode(token).decode("ascii")

    def send(self, to: str, sender: str, body: str) -> Delivered:
        fields = {"To": to, "From": sender, "Body": body}
        if self.settings.status_callback:
            fields["StatusCallback"] = self.settings.status_callback
        request = urllib.request.Request(
            self._url,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as response:
                payload = _json(response.read())
        except urllib.error.HTTPError as error:
            payload = _json(error.read())
            code = str(payload.get("code", "")) or None
            detail = f"SMS gateway answered {error.code}: {payload.get('message') or error.reason}"
            permanent = (code in PERMANENT_GATEWAY_CODES) or (
                400 <= error.code < 500 and error.code not in (408, 429)
            )
            raise DeliveryError(
                detail, permanent=permanent, bounce=code in PERMANENT_GATEWAY_CODES, code=code
            ) from None
        except urllib.error.URLError as error:
            # urllib wraps what fails while connecting and sending the request: not taken
            raise DeliveryError(f"SMS gateway unreachable: {error.reason}") from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
            # the request went out and no answer came back: the gateway may have taken it
            raise DeliveryError(
                f"SMS gateway did not answer after the request was sent ({error or type(error).__name__}); "
                "it may have taken the SMS",
                uncertain=True,
            ) from None
        sid = payload.get("sid")
        if not isinstance(sid, str) or not sid:
            raise DeliveryError(
                "SMS gateway accepted the request but returned no message sid", uncertain=True
            )
        status = payload.get("status", "queued")
        return Delivered(sid, f"SMS {sid} {status}")

    def find_sent(self, to: str, body: str, *, since: datetime) -> str | None:
        """The sid of an SMS the gateway holds to `to` with exactly `body`, created at or after
        `since` (less `CLOCK_SKEW`); None when it lists none. Raises `DeliveryError` when the
        gateway cannot be asked or its list is too long to read (see the module docstring)."""
        query = urllib.parse.urlencode(
            {"To": to, "DateSent>": since.astimezone(UTC).date().isoformat(), "PageSize": "100"}
        )
        url: str | None = f"{self._url}?{query}"
        earliest = since - CLOCK_SKEW
        base = self.settings.base_url.rstrip("/")
        for _ in range(MAX_PAGES):
            assert url is not None
            page = self._get(url)
            messages = page.get("messages")
            for item in messages if isinstance(messages, list) else []:
                if not isinstance(item, dict) or item.get("to") != to or item.get("body") != body:
                    continue
                created = _gateway_time(item.get("date_created"))
                sid = item.get("sid")
                if created is not None and created >= earliest and isinstance(sid, str) and sid:
                    return sid
            next_page = page.get("next_page_uri")
            if not isinstance(next_page, str) or not next_page:
                return None
            url = next_page if next_page.startswith("http") else base + next_page
        raise DeliveryError(f"the gateway lists more than {MAX_PAGES} pages of SMS to {to}; check by hand")

    def _get(self, url: str) -> dict[str, object]:
        request = urllib.request.Request(
            url, method="GET", headers={"Authorization": self._authorization, "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as response:
                return _json(response.read())
        except urllib.error.HTTPError as error:
            payload = _json(error.read())
            raise DeliveryError(
                f"SMS gateway answered {error.code} to the search: {payload.get('message') or error.reason}"
            ) from None
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
            OSError,
        ) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"SMS gateway could not be asked: {reason}") from None


def _gateway_time(value: object) -> datetime | None:
    """Twilio's times are RFC 2822 ('Thu, 30 Jul 2015 20:12:31 +0000'); ISO 8601 is read too."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _json(raw: bytes) -> dict[str, object]:
    try:
        value = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


# --- delivery receipts -------------------------------------------------------------------------


class ReceiptStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"

    @property
    def is_final_failure(self) -> bool:
        return self in (ReceiptStatus.UNDELIVERED, ReceiptStatus.FAILED)


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    sid: str
    status: ReceiptStatus
    error_code: str | None = None
    to: str | None = None


class ReceiptError(ValueError):
    """A status callback that cannot be read."""


def parse_status_callback(form: Mapping[str, str]) -> DeliveryReceipt:
    """The receipt in a status callback's form fields (`MessageSid`, `MessageStatus`,
    `ErrorCode`, `To`); statuses other than the five final or in-flight ones are refused."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    raw_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid:
        raise ReceiptError("status callback without MessageSid")
    try:
        status = ReceiptStatus(raw_status)
    except ValueError:
        raise ReceiptError(f"status callback for {sid}: unknown status {raw_status!r}") from None
    return DeliveryReceipt(sid, status, form.get("ErrorCode") or None, form.get("To") or None)


def twilio_signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, url + each key and value in
    key order))."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_signature(url: str, params: Mapping[str, str], signature: str, auth_token: str) -> bool:
    """Whether a callback really comes from the gateway holding `auth_token`."""
    return hmac.compare_digest(twilio_signature(url, params, auth_token), signature)
