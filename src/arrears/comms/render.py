"""Render an outbound action into the message(s) the outbox stores.

`render_action` is pure apart from the PDF renderer: it takes the action, the creditor, the
debtor, the debtor's open documents, the brand and the time, and returns `RenderedMessage`s:

- email: subject, text and HTML parts, the logo inline, and the PDFs the template attaches (a
  statement of account; the invoice copies found by `InvoiceFiles`);
- SMS: the text, checked against the segment limit (`arrears.comms.channels.sms`);
- letter: the letter as a PDF on the letterhead (the HTML and a text version kept for previews
  and the timeline), and, when the brand asks for it and the debtor has an email address, a
  covering email carrying a copy of the PDF (key `<action key>:email-copy`);
- call: the call card (what to say, outbound and inbound) for the worklist.

The Message-ID comes from the idempotency key, so the same action always renders to a message
with the same id.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

from arrears.comms.brand import Brand, missing_fields
from arrears.comms.channels.sms import MAX_SEGMENTS, sms_length
from arrears.comms.context import ClaimedInvoice, message_context
from arrears.comms.message import (
    Attachment,
    DisputeDetails,
    OutboundAction,
    PlanDetails,
    PromiseDetails,
    RenderedMessage,
    message_id_for,
)
from arrears.comms.pdf import html_to_pdf
from arrears.comms.templates import TemplateLibrary, default_library, required_brand_fields, spec_for
from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor, Debtor, Document
from arrears.core.policy import Channel, Policy

EMAIL_COPY_SUFFIX = ":email-copy"
_DETAILS: Mapping[str, type] = {"promise": PromiseDetails, "plan": PlanDetails, "dispute": DisputeDetails}


class RenderError(ArrearsError, ValueError):
    """A message that cannot be made for this debtor (no address for the channel, documents no
    longer open, an SMS too long): the message says what to fix."""


class InvoiceFiles(Protocol):
    """Where copies of invoices are kept, for attaching them to reminders."""

    def find(self, creditor: str, number: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class InvoiceFolder:
    """Invoice PDFs in a folder: `<root>/<creditor>/<number>.pdf` (the accounting package's
    export, or the sync agent's copies)."""

    root: Path

    def find(self, creditor: str, number: str) -> bytes | None:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", number)
        path = self.root / creditor / f"{safe}.pdf"
        try:
            return path.read_bytes()
        except OSError:
            return None


# --- recipients --------------------------------------------------------------------------------


def _email_of(debtor: Debtor) -> str | None:
    primary = debtor.primary_contact
    if primary is not None and primary.email:
        return primary.email
    return next((contact.email for contact in debtor.contacts if contact.email), None)


def _phone_of(debtor: Debtor) -> str | None:
    primary = debtor.primary_contact
    if primary is not None and primary.phone:
        return primary.phone
    return next((contact.phone for contact in debtor.contacts if contact.phone), None)


def e164(phone: str, country: str = "GB") -> str:
    """A phone number in international form: '07700 900123' -> '+447700900123' (GB).

    Only the national trunk prefix of the UK and Ireland is known; other numbers must be
    written with their country code.
    """
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("+"):
        return digits
    codes = {"GB": "44", "IE": "353"}
    if digits.startswith("0") and country in codes:
        return f"+{codes[country]}{digits[1:]}"
    raise RenderError(f"phone number {phone!r} has no country code; write it as +<country code> <number>")


def _recipients(channel: Channel, debtor: Debtor, creditor: Creditor) -> tuple[str, ...]:
    where = f"debtor {debtor.account_code} ({debtor.name})"
    if channel is Channel.EMAIL:
        email = _email_of(debtor)
        if email is None:
            raise RenderError(
                f"{where} has no email address: add one to a contact, or change the step's channel"
            )
        return (email,)
    if channel is Channel.SMS:
        phone = _phone_of(debtor)
        if phone is None:
            raise RenderError(
                f"{where} has no phone number for an SMS: add one, or change the step's channel"
            )
        return (e164(phone, creditor.country),)
    if channel is Channel.CALL:
        phone = _phone_of(debtor)
        return (phone,) if phone else ()
    address = next(
        ((contact, contact.address) for contact in debtor.contacts if contact.address is not None), None
    )
    if address is None:
        raise RenderError(
            f"{where} has no postal address for a letter: add one, or change the step's channel"
        )
    contact, postal = address
    lines = [debtor.name]
    if contact.name and contact.name.strip() and contact.name != debtor.name:
        lines.append(f"For the attention of {contact.name}")
    lines.extend(postal.as_lines())
    return tuple(lines)


def _creditor_recipients(brand: Brand) -> tuple[str, ...]:
    """A notice to the creditor itself goes to its notification address."""
    if brand.notify_address is None:
        raise RenderError(
            f"brand of creditor {brand.creditor} has no address for notices: set notify_email (or "
            "the creditor's own sender.reply_to or sender.email) with `arrears brand set`"
        )
    return (brand.notify_address,)


# --- text from a letter's HTML -----------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "tr", "h1", "h2", "h3", "li", "section", "table", "address"})
    _SKIP = frozenset({"style", "script", "title", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def html_to_text(html: str) -> str:
    """A readable plain-text version of an HTML letter (for previews and the timeline)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- rendering ---------------------------------------------------------------------------------


def _select(action: OutboundAction, documents: Sequence[Document], debtor: Debtor) -> list[Document]:
    by_number = {
        document.number: document for document in documents if document.debtor == debtor.account_code
    }
    chosen = [by_number[number] for number in action.documents if number in by_number]
    if action.documents and not chosen:
        raise RenderError(
            f"action {action.idempotency_key} ({action.step!r}) for debtor {debtor.account_code}: none of its "
            f"documents ({', '.join(action.documents)}) is open any more; nothing to send"
        )
    return chosen


def _open_statement(documents: Sequence[Document], debtor: Debtor) -> list[Document]:
    return sorted(
        (d for d in documents if d.debtor == debtor.account_code and d.is_open),
        key=lambda d: (d.due_date, d.number),
    )


def render_action(
    action: OutboundAction,
    *,
    creditor: Creditor,
    debtor: Debtor,
    documents: Sequence[Document],
    brand: Brand,
    now: datetime,
    library: TemplateLibrary | None = None,
    invoice_files: InvoiceFiles | None = None,
    controller: str | None = None,
    policy: Policy | None = None,
    interest: Sequence[ClaimedInvoice] | None = None,
) -> tuple[RenderedMessage, ...]:
    """The message(s) for one action. `documents` are the debtor's open documents (the
    action's are picked from them by number; all of them make the statement of account).
    `policy` says whether the step claims interest (None: the shipped UK ladder); `interest`
    is the debtor's claims from the store (None: computed on the open amounts)."""
    if (
        action.creditor != creditor.code
        or debtor.creditor != creditor.code
        or brand.creditor != creditor.code
    ):
        raise RenderError(
            f"action {action.idempotency_key}: creditor {action.creditor}, debtor of {debtor.creditor} and "
            f"brand of {brand.creditor} do not match creditor {creditor.code}"
        )
    if action.debtor != debtor.account_code:
        raise RenderError(
            f"action {action.idempotency_key} is for debtor {action.debtor}, not {debtor.account_code}"
        )
    library = library or default_library()
    spec = spec_for(action.template)
    missing = missing_fields(brand, required_brand_fields(action.template, action.channel))
    if missing:
        raise RenderError(
            f"brand of creditor {creditor.code} lacks {', '.join(missing)}, which template "
            f"{action.template!r} ({action.channel.value}) needs; complete it with `arrears brand set`"
        )
    if spec.details is not None and not isinstance(action.details, _DETAILS[spec.details]):
        raise RenderError(
            f"template {action.template!r} needs the {spec.details} details ({_DETAILS[spec.details].__name__}); "
            "none were given"
        )
    language = library.language_for(debtor.language)
    chosen = _select(action, documents, debtor)
    statement = _open_statement(documents, debtor)
    context = message_context(
        action=action,
        spec=spec,
        creditor=creditor,
        debtor=debtor,
        documents=chosen,
        statement=statement,
        brand=brand,
        language=language,
        controller=controller,
        policy=policy,
        claims=interest,
    )
    presenter = brand.presenter
    domain = presenter.sender.email.split("@", 1)[1] if presenter.sender.email else None
    message_id = message_id_for(creditor.code, action.idempotency_key, domain)
    recipients = (
        _creditor_recipients(brand) if spec.to_creditor else _recipients(action.channel, debtor, creditor)
    )
    logo = presenter.logo
    attachments: list[Attachment] = []
    if action.channel is Channel.EMAIL and logo is not None:
        content_id = f"logo.{message_id.strip('<>')}"
        attachments.append(Attachment(f"logo.{logo.extension}", logo.media_type, logo.data, content_id))
        context["logo_src"] = f"cid:{content_id}"
    else:
        context["logo_src"] = logo.data_uri if logo is not None else None
    context["recipient_lines"] = recipients
    parts = library.render(action.template, action.channel, language, context)
    subject = parts.subject or f"{spec.title} - {presenter.name}"
    text = parts.text or ""
    html = parts.html
    if action.channel is Channel.EMAIL:
        if spec.attach_statement and statement:
            statement_pdf = render_statement(library, language, context, statement)
            attachments.append(
                Attachment(
                    f"statement-{debtor.account_code}-{action.planned_on.isoformat()}.pdf",
                    "application/pdf",
                    statement_pdf,
                )
            )
        if spec.attach_invoices and invoice_files is not None:
            for document in chosen:
                found = invoice_files.find(creditor.code, document.number)
                if found is not None:
                    attachments.append(Attachment(f"{document.number}.pdf", "application/pdf", found))
    elif action.channel is Channel.SMS:
        length = sms_length(text.strip())
        if length.segments > MAX_SEGMENTS:
            raise RenderError(
                f"template {action.template!r} makes an SMS of {length.segments} segments for debtor "
                f"{debtor.account_code} (most allowed: {MAX_SEGMENTS}); shorten the template"
            )
        text = text.strip()
        html = None
    elif action.channel is Channel.LETTER:
        if html is None:
            raise RenderError(f"template {action.template!r} has no letter HTML")
        letter_pdf = html_to_pdf(html)
        attachments.append(Attachment(letter_filename(action, debtor), "application/pdf", letter_pdf))
        text = html_to_text(html)
        subject = spec.title
    sender_address = presenter.sender.email if action.channel is Channel.EMAIL else None
    if action.channel is Channel.SMS:
        sender_address = brand.sms_sender
    message = RenderedMessage(
        creditor=creditor.code,
        debtor=debtor.account_code,
        idempotency_key=action.idempotency_key,
        action_key=action.idempotency_key,
        step=action.step,
        template=action.template,
        channel=action.channel,
        language=language,
        sender=presenter.sender.name or presenter.name,
        sender_address=sender_address,
        reply_to=presenter.sender.reply_to,
        recipients=recipients,
        subject=subject,
        text=text,
        html=html,
        attachments=tuple(attachments),
        message_id=message_id,
        created_at=now,
        transactional=spec.transactional,
        reason=action.reason,
    )
    if (
        action.channel is Channel.LETTER
        and brand.email_letter_copies
        and _email_of(debtor)
        and presenter.sender.email
    ):
        return (message, _email_copy(message, action, context, library, language, debtor, brand, now))
    return (message,)


def letter_filename(action: OutboundAction, debtor: Debtor) -> str:
    safe = re.sub(
        r"[^A-Za-z0-9._-]", "_", f"{action.template}-{debtor.account_code}-{action.planned_on.isoformat()}"
    )
    return f"{safe}.pdf"


def render_statement(
    library: TemplateLibrary, language: str, context: Mapping[str, Any], statement: Sequence[Document]
) -> bytes:
    """The debtor's statement of account as a PDF (its open documents, totals and how to pay)."""
    template = library.environment.get_template(f"{language}/pdf/statement.html")
    logo = context["presenter"].logo
    return html_to_pdf(template.render(dict(context, logo_src=logo.data_uri if logo is not None else None)))


def _email_copy(
    letter: RenderedMessage,
    action: OutboundAction,
    context: dict[str, Any],
    library: TemplateLibrary,
    language: str,
    debtor: Debtor,
    brand: Brand,
    now: datetime,
) -> RenderedMessage:
    """The covering email that carries a copy of a posted letter."""
    presenter = brand.presenter
    key = action.idempotency_key + EMAIL_COPY_SUFFIX
    domain = presenter.sender.email.split("@", 1)[1] if presenter.sender.email else None
    message_id = message_id_for(letter.creditor, key, domain)
    copy_context = dict(context, letter_title=letter.subject, channel=Channel.EMAIL.value)
    attachments: list[Attachment] = []
    logo = presenter.logo
    if logo is not None:
        content_id = f"logo.{message_id.strip('<>')}"
        attachments.append(Attachment(f"logo.{logo.extension}", logo.media_type, logo.data, content_id))
        copy_context["logo_src"] = f"cid:{content_id}"
    else:
        copy_context["logo_src"] = None
    parts = library.render("letter_copy", Channel.EMAIL, language, copy_context)
    attachments.extend(
        attachment for attachment in letter.attachments if attachment.media_type == "application/pdf"
    )
    return RenderedMessage(
        creditor=letter.creditor,
        debtor=letter.debtor,
        idempotency_key=key,
        action_key=action.idempotency_key,
        step=action.step,
        template="letter_copy",
        channel=Channel.EMAIL,
        language=language,
        sender=presenter.sender.name or presenter.name,
        sender_address=presenter.sender.email,
        reply_to=presenter.sender.reply_to,
        recipients=(_email_of(debtor) or "",),
        subject=parts.subject or letter.subject,
        text=parts.text or "",
        html=parts.html,
        attachments=tuple(attachments),
        message_id=message_id,
        created_at=now,
        transactional=True,
        reason=f"copy of the letter: {action.reason}",
    )
