"""What comes back after sending: SMS delivery receipts, SMS replies (opt-outs) and email
bounces, each recorded on the debtor's timeline.

These are the handlers an HTTP route (the gateway's status callback and inbound-message
webhook) or the bounce mailbox reader calls; they take the creditor the route or mailbox is for.

- `record_sms_receipt`: a status callback (`MessageSid`, `MessageStatus`, `ErrorCode`) marks
  the message delivered or undelivered;
- `record_sms_reply`: a reply whose first word is STOP (UNSUBSCRIBE, CANCEL...) opts the number
  out of the creditor's SMS; START opts it back in; anything else is noted on the timeline;
- `record_bounce`: a delivery status notification (RFC 3464) or a plain bounce that quotes the
  original message's Message-ID marks that message bounced.
"""

import email
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from arrears.comms.channels.sms import ReceiptStatus, ReplyKind, classify_reply, parse_status_callback
from arrears.comms.message import EventKind
from arrears.comms.render import e164
from arrears.core.policy import Channel
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a handler recorded: the message's key (if one was found), the event, its detail."""

    kind: EventKind | None
    detail: str
    key: str | None = None
    debtor: str | None = None


def record_sms_receipt(uow: UnitOfWork, creditor: str, form: Mapping[str, str], *, at: datetime) -> Recorded:
    """Record a delivery receipt; in-flight statuses (queued, sent) change nothing."""
    receipt = parse_status_callback(form)
    with uow:
        stored = uow.outbox.find_by_provider_ref(creditor, receipt.sid)
        if stored is None:
            return Recorded(None, f"no message with SMS sid {receipt.sid}")
        if receipt.status is ReceiptStatus.DELIVERED:
            delivery, detail = "delivered", f"SMS {receipt.sid} delivered to {stored.message.recipients[0]}"
        elif receipt.status.is_final_failure:
            code = f" (error {receipt.error_code})" if receipt.error_code else ""
            delivery, detail = "undelivered", f"SMS {receipt.sid} {receipt.status.value}{code}"
        else:
            return Recorded(
                None, f"SMS {receipt.sid} {receipt.status.value}", stored.key, stored.message.debtor
            )
        uow.outbox.set_delivery(creditor, stored.id, delivery, at=at, detail=detail)
        uow.commit()
    return Recorded(EventKind(delivery), detail, stored.key, stored.message.debtor)


def record_sms_reply(uow: UnitOfWork, creditor: str, sender: str, body: str, *, at: datetime) -> Recorded:
    """Honour an opt-out (or opt-in) word in a reply from `sender`."""
    phone = e164(sender)
    kind = classify_reply(body)
    with uow:
        uow.creditors.lock(creditor)
        debtor = uow.outbox.debtor_for_recipient(creditor, Channel.SMS, phone)
        if kind is ReplyKind.OPT_OUT:
            keyword = body.strip().split()[0].upper() if body.strip() else "STOP"
            uow.opt_outs.opt_out(creditor, phone, keyword=keyword, at=at)
            event, detail = EventKind.OPTED_OUT, f"{phone} replied {keyword!r}: no more SMS to this number"
        elif kind is ReplyKind.OPT_IN:
            uow.opt_outs.opt_in(creditor, phone)
            event, detail = EventKind.OPTED_IN, f"{phone} replied {body.strip()[:20]!r}: SMS allowed again"
        else:
            uow.commit()
            return Recorded(None, f"SMS reply from {phone}: {body.strip()[:160]}", debtor=debtor)
        uow.outbox.record_event(creditor, debtor, event, detail, at=at)
        uow.commit()
    return Recorded(event, detail, debtor=debtor)


_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


def bounced_message_id(raw: bytes) -> tuple[str | None, str]:
    """The Message-ID of the message a bounce is about, and a line saying why it bounced."""
    report = email.message_from_bytes(raw)
    original: str | None = None
    reasons: list[str] = []
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [part]
            for block in blocks:
                if isinstance(block, Message):
                    for name in ("Final-Recipient", "Status", "Diagnostic-Code"):
                        if block.get(name):
                            reasons.append(f"{name}: {' '.join(str(block[name]).split())}")
        elif content_type in ("message/rfc822", "text/rfc822-headers") and original is None:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                original = payload[0].get("Message-ID")
            else:
                raw_headers = part.get_payload(decode=True)
                text = raw_headers.decode("utf-8", "replace") if isinstance(raw_headers, bytes) else ""
                quoted = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.IGNORECASE | re.MULTILINE)
                original = quoted.group(1) if quoted else None
    if original is None:
        for header in ("In-Reply-To", "References"):
            referenced = _MESSAGE_ID.search(str(report.get(header, "")))
            if referenced:
                original = referenced.group(0)
                break
    reason = "; ".join(reasons) or str(report.get("Subject", "bounced"))
    return (original.strip() if original else None), reason


def record_bounce(uow: UnitOfWork, creditor: str, raw: bytes, *, at: datetime) -> Recorded:
    """Mark the message a bounce refers to as bounced, on the debtor's timeline."""
    message_id, reason = bounced_message_id(raw)
    if message_id is None:
        return Recorded(None, f"a bounce that names no original message: {reason}")
    with uow:
        stored = uow.outbox.find_by_message_id(creditor, message_id)
        if stored is None:
            return Recorded(None, f"a bounce for {message_id}, which is not in creditor {creditor}'s outbox")
        detail = f"email to {', '.join(stored.message.recipients)} bounced: {reason}"
        uow.outbox.set_delivery(creditor, stored.id, "bounced", at=at, detail=detail)
        uow.commit()
    return Recorded(EventKind.BOUNCED, detail, stored.key, stored.message.debtor)
