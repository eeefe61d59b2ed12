"""Email: a deterministic MIME message, delivered over SMTP to a real server on 127.0.0.1 that
accepts, refuses or drops the connection."""

from datetime import date
from pathlib import Path

import pytest
from comms_builders import (
    NOW,
    brand,
    creditor,
    customer,
    free_port,
    invoice,
    self_signed_certificate,
    smtp_server,
)

from arrears.comms.channels import DeliveryError
from arrears.comms.channels.email import SmtpSecurity, SmtpSettings, SmtpTransport, build_email, email_bytes
from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.message import OutboundAction, RenderedMessage
from arrears.comms.render import render_action
from arrears.core.policy import Channel


def _message(template: str = "overdue_7_days", key: str = "k1") -> RenderedMessage:
    return render_action(
        OutboundAction(
            "ACME",
            "C100",
            "first overdue reminder",
            Channel.EMAIL,
            template,
            ("INV-1",),
            key,
            "r",
            date(2026, 5, 4),
        ),
        creditor=creditor(),
        debtor=customer(),
        documents=[invoice("INV-1", date(2026, 4, 20), "480.00")],
        brand=brand(),
        now=NOW,
    )[0]


def test_the_same_message_always_gives_the_same_bytes() -> None:
    message = _message()
    assert email_bytes(message) == email_bytes(message)
    assert b"Message-ID: <k1.a8308e8e@acme.example>" in email_bytes(message)


def test_mime_structure_text_html_with_inline_logo_and_pdf_attachment() -> None:
    email = build_email(_message())
    assert email.get_content_type() == "multipart/mixed"
    alternative, statement = email.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert [p.get_content_type() for p in related.get_payload()] == ["text/html", "image/png"]
    assert statement.get_filename() == "statement-C100-2026-05-04.pdf"
    assert email["From"] == "Acme Widgets Credit Control <credit@acme.example>"
    assert email["Reply-To"] == "accounts@acme.example"
    assert email["Date"] == "Mon, 04 May 2026 09:30:00 +0000"


def _transport(port: int, **fields: object) -> SmtpTransport:
    return SmtpTransport(
        SmtpSettings("127.0.0.1", port, security=SmtpSecurity.NONE, timeout_seconds=5, **fields)
    )  # type: ignore[arg-type]


def test_smtp_server_receives_the_message_as_built() -> None:
    message = _message()
    with smtp_server() as server:
        transport = _transport(server.port)
        transport.send(email_bytes(message), "credit@acme.example", ["jo@bloggs.example"])
        transport.send(email_bytes(_message(key="k2")), "credit@acme.example", ["jo@bloggs.example"])
        transport.close()
    first, second = server.received
    assert (first.sender, first.recipients) == ("credit@acme.example", ["jo@bloggs.example"])
    assert first.message["Message-ID"] == "<k1.a8308e8e@acme.example>"
    assert second.message["Message-ID"] == "<k2.a8308e8e@acme.example>"
    assert "£480.00" in first.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mode", "permanent", "bounce", "text"),
    [
        ("refuse_rcpt", True, True, "550"),
        ("refuse_data", True, True, "554"),
        ("busy", False, False, "451"),
        ("drop", False, False, "connection"),
    ],
)
def test_refusals_and_dropped_connections_are_classified(
    mode: str, permanent: bool, bounce: bool, text: str
) -> None:
    with smtp_server() as server:
        server.handler.mode = mode
        transport = _transport(server.port)
        with pytest.raises(DeliveryError, match=text) as raised:
            transport.send(email_bytes(_message()), "credit@acme.example", ["jo@bloggs.example"])
        # the server recovers; the transport sends the next message (on a new connection if need be)
        server.handler.mode = "accept"
        transport.send(email_bytes(_message(key="k2")), "credit@acme.example", ["jo@bloggs.example"])
        transport.close()
    assert (raised.value.permanent, raised.value.bounce) == (permanent, bounce)
    assert [r.message["Message-ID"] for r in server.received] == ["<k2.a8308e8e@acme.example>"]


def test_a_server_that_is_not_there_is_worth_retrying() -> None:
    with pytest.raises(DeliveryError, match="cannot connect") as raised:
        _transport(free_port()).send(b"x", "a@b.example", ["c@d.example"])
    assert not raised.value.permanent


def test_starttls_and_auth(tmp_path: Path) -> None:
    certificate = self_signed_certificate(tmp_path)
    import ssl

    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    with smtp_server(tls=certificate, credentials=("acme", "s3cret")) as server:
        settings = SmtpSettings(
            "127.0.0.1", server.port, SmtpSecurity.STARTTLS, "acme", "s3cret", timeout_seconds=5
        )
        transport = SmtpTransport(settings, ssl_context=trusting)
        transport.send(email_bytes(_message()), "credit@acme.example", ["jo@bloggs.example"])
        transport.close()
        wrong = SmtpTransport(
            SmtpSettings("127.0.0.1", server.port, SmtpSecurity.STARTTLS, "acme", "nope", timeout_seconds=5),
            ssl_context=trusting,
        )
        with pytest.raises(DeliveryError, match="refused the login"):
            wrong.send(email_bytes(_message()), "credit@acme.example", ["jo@bloggs.example"])
    assert len(server.received) == 1


def test_maildir_writes_one_file_per_key_whatever_the_retries(tmp_path: Path) -> None:
    maildir = MaildirTransport(tmp_path / "maildir")
    message = _message()
    first = maildir.send(
        email_bytes(message), "credit@acme.example", message.recipients, key=message.idempotency_key
    )
    maildir.send(email_bytes(message), "credit@acme.example", message.recipients, key=message.idempotency_key)
    files = list((tmp_path / "maildir" / "new").iterdir())
    assert [f.name for f in files] == ["k1.eml"] and first.provider_ref == str(files[0])
    assert files[0].read_bytes() == email_bytes(message)
    assert list((tmp_path / "maildir" / "tmp").iterdir()) == []
