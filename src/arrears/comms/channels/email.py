"""Email: the MIME message built from a stored message, and SMTP delivery.

`build_email` is deterministic: the same stored message always gives the same bytes (Date from
when it was rendered, Message-ID from its idempotency key, MIME boundaries derived from the
Message-ID), so a message sent again after a crash is the same message, not a second one.

Structure: `multipart/mixed` [ `multipart/alternative` [ text/plain, `multipart/related`
[ text/html, the logo inline ] ], PDF attachments... ], each level only when needed; text
parts are UTF-8 quoted-printable, attachments base64.

`SmtpTransport` speaks SMTP with `smtplib`: plain, STARTTLS or implicit TLS (SSL), with or
without AUTH, keeping one connection open across messages and opening a new one after an
error. Replies are classified: 5xx refusals are permanent (a 5xx to RCPT TO or after DATA is
recorded as a bounce), 4xx and dropped connections are worth retrying.
"""

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from enum import StrEnum
from hashlib import sha256
from typing import Any

from arrears.comms.channels import Delivered, DeliveryError
from arrears.comms.message import RenderedMessage


def _boundary(message_id: str, index: int) -> str:
    return f"=_arrears_{sha256(f'{message_id}/{index}'.encode()).hexdigest()[:24]}"


_UTF8_QP = Charset("utf-8")
_UTF8_QP.header_encoding = QP
_UTF8_QP.body_encoding = QP
_WIRE = compat32.clone(linesep="\r\n")


def _header(value: str) -> Any:
    """A header value, RFC 2047-encoded (as a `Header`) when it is not plain ASCII."""
    return value if value.isascii() else Header(value, _UTF8_QP, header_name="Subject")


def _text_part(text: str, subtype: str) -> MIMEText:
    return MIMEText(text, subtype, _UTF8_QP)  # type: ignore[arg-type]  # a Charset is accepted


def build_email(message: RenderedMessage) -> Message:
    """The MIME message for a rendered email (see the module docstring).

    Built with the classic `email.mime` classes and the compat32 policy: several times faster
    than `EmailMessage`'s header registry, which matters at hundreds of messages a second.
    """
    boundaries = iter(_boundary(message.message_id, index) for index in range(1, 10))
    inline = [attachment for attachment in message.attachments if attachment.inline]
    files = [attachment for attachment in message.attachments if not attachment.inline]
    body: Message = _text_part(message.text, "plain")
    if message.html is not None:
        html: Message = _text_part(message.html, "html")
        if inline:
            related = MIMEMultipart("related", boundary=next(boundaries))
            related.attach(html)
            for attachment in inline:
                maintype, subtype = attachment.media_type.split("/", 1)
                part = MIMEApplication(attachment.data, subtype, encode_base64)
                part.replace_header("Content-Type", f"{maintype}/{subtype}")
                part.add_header("Content-ID", f"<{attachment.content_id}>")
                part.add_header("Content-Disposition", "inline", filename=attachment.filename)
                related.attach(part)
            html = related
        alternative = MIMEMultipart("alternative", boundary=next(boundaries))
        alternative.attach(body)
        alternative.attach(html)
        body = alternative
    email: Message = body
    if files:
        email = MIMEMultipart("mixed", boundary=next(boundaries))
        email.attach(body)
        for attachment in files:
            maintype, subtype = attachment.media_type.split("/", 1)
            part = MIMEApplication(attachment.data, subtype, encode_base64)
            part.replace_header("Content-Type", f"{maintype}/{subtype}")
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            email.attach(part)
    email["From"] = formataddr((message.sender, message.sender_address or ""), charset="utf-8")
    email["To"] = ", ".join(message.recipients)
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = _header(message.subject)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"
    email["X-Arrears-Key"] = message.idempotency_key
    if "MIME-Version" not in email:
        email["MIME-Version"] = "1.0"
    return email


def email_bytes(message: RenderedMessage) -> bytes:
    """The message as it goes over SMTP (CRLF line ends)."""
    return build_email(message).as_bytes(policy=_WIRE)


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP (a local relay)
    STARTTLS = "starttls"  # upgrade with STARTTLS (port 587)
    SSL = "ssl"  # implicit TLS (port 465)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30
    local_hostname: str | None = None
    verify_certificates: bool = True


class SmtpTransport:
    """Delivers email over SMTP, one connection reused until it fails or is closed."""

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None
        if ssl_context is None:
            ssl_context = ssl.create_default_context()
            if not settings.verify_certificates:
                ssl_context.check_hostname = False
                ssl_context.verify_mode = ssl.CERT_NONE
        self._ssl_context = ssl_context

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            connection: smtplib.SMTP
            if settings.security is SmtpSecurity.SSL:
                connection = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    local_hostname=settings.local_hostname,
                    timeout=settings.timeout_seconds,
                    context=self._ssl_context,
                )
            else:
                connection = smtplib.SMTP(
                    settings.host,
                    settings.port,
                    local_hostname=settings.local_hostname,
                    timeout=settings.timeout_seconds,
                )
                if settings.security is SmtpSecurity.STARTTLS:
                    connection.starttls(context=self._ssl_context)
                    connection.ehlo()
            if settings.username:
                connection.login(settings.username, settings.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(
                f"the SMTP server {settings.host}:{settings.port} refused the login ({error.smtp_code}): "
                "check the SMTP user name and password"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(
                f"the SMTP server {settings.host}:{settings.port} does not support {error}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"cannot connect to the SMTP server {settings.host}:{settings.port}: {error}"
            ) from None
        return connection

    def send(self, raw: bytes, sender: str, recipients: Sequence[str], *, key: str = "") -> Delivered:
        """Send one message; raises `DeliveryError` (permanent for a 5xx refusal). `key` is
        the message's idempotency key (unused: the Message-ID inside `raw` identifies it)."""
        if self._connection is None:
            self._connection = self._connect()
        connection = self._connection
        try:
            refused = connection.sendmail(sender, list(recipients), raw)
        except smtplib.SMTPRecipientsRefused as error:
            self._reset(connection)
            codes = [code for code, _ in error.recipients.values()]
            detail = "; ".join(
                f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in error.recipients.items()
            )
            permanent = all(500 <= code < 600 for code in codes)
            raise DeliveryError(
                f"recipient refused: {detail}", permanent=permanent, bounce=permanent, code=str(codes[0])
            ) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            self._reset(connection)
            permanent = 500 <= error.smtp_code < 600
            what = "sender refused" if isinstance(error, smtplib.SMTPSenderRefused) else "message refused"
            raise DeliveryError(
                f"{what}: {error.smtp_code} {_text(error.smtp_error)}",
                permanent=permanent,
                bounce=permanent and isinstance(error, smtplib.SMTPDataError),
                code=str(error.smtp_code),
            ) from None
        except (
            TimeoutError,
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPResponseException,
            OSError,
        ) as error:
            self.close()
            raise DeliveryError(f"the SMTP connection failed: {error or type(error).__name__}") from None
        if refused:
            detail = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in refused.items())
            return Delivered(None, f"accepted for some recipients; refused: {detail}")
        return Delivered(None, f"accepted by {self.settings.host}:{self.settings.port}")

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            with contextlib.suppress(OSError):
                connection.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
