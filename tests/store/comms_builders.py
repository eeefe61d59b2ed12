"""Builders for the comms tests (unit, store and end-to-end): a creditor with its sample brand, a
debtor with every contact channel, invoices, and a real SMTP server (aiosmtpd on 127.0.0.1)
that records each message and can be told to refuse or drop the connection."""

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from arrears.comms.brand import Brand
from arrears.comms.samples import sample_brand
from arrears.core.ledger import (
    Contact,
    Creditor,
    Debtor,
    DebtorFlag,
    Document,
    DocumentKind,
    PostalAddress,
    status_for,
)
from arrears.core.money import Money

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)  # a Monday, 10:30 in London
TODAY = date(2026, 5, 4)


def creditor(code: str = "ACME", name: str = "Acme Widgets") -> Creditor:
    return Creditor(code=code, name=name)


def brand(creditor_value: Creditor | None = None) -> Brand:
    return sample_brand(creditor_value or creditor())


def customer(
    creditor_code: str = "ACME",
    account_code: str = "C100",
    *,
    name: str = "Bloggs Building Supplies Ltd",
    contact: str = "Jo Bloggs",
    email: str | None = "jo@bloggs.example",
    phone: str | None = "07700 900123",
    address: PostalAddress | None = PostalAddress(("12 Canal Street", "Leeds"), "LS2 7AA"),
    flags: frozenset[DebtorFlag] = frozenset(),
    **fields: Any,
) -> Debtor:
    return Debtor(
        creditor=creditor_code,
        account_code=account_code,
        name=name,
        contacts=(Contact(contact, email, phone, address),),
        flags=flags,
        **fields,
    )


def invoice(
    number: str,
    due: date,
    amount: str,
    open_amount: str | None = None,
    *,
    creditor_code: str = "ACME",
    debtor_code: str = "C100",
    currency: str = "GBP",
    issued: date | None = None,
) -> Document:
    total = Money.of(amount, currency)
    still_open = total if open_amount is None else Money.of(open_amount, currency)
    return Document(
        creditor=creditor_code,
        debtor=debtor_code,
        kind=DocumentKind.INVOICE,
        number=number,
        issue_date=issued or date.fromordinal(due.toordinal() - 30),
        due_date=due,
        amount=total,
        open_amount=still_open,
        status=status_for(total, still_open),
    )


def seed(
    uow: Any,
    creditor_value: Creditor,
    brand_value: Brand | None,
    debtors: list[Debtor],
    documents: list[Document],
) -> None:
    """Write a creditor, its brand, debtors and documents in one unit of work."""
    with uow:
        uow.creditors.add(creditor_value)
        uow.debtors.add(creditor_value.code, debtors)
        uow.documents.add(creditor_value.code, documents)
        if brand_value is not None:
            uow.brands.put(creditor_value.code, brand_value, at=NOW)
        uow.commit()


# --- a real SMTP server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data, policy=default)


@dataclass
class RecordingHandler:
    """Records each message; `mode` makes it refuse: 'accept', 'refuse_rcpt' (550 to RCPT TO),
    'busy' (451 after DATA), 'refuse_data' (554 after DATA), 'drop' (close the connection at DATA)."""

    mode: str = "accept"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.mode == "refuse_rcpt":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.mode == "busy":
            return "451 4.3.0 Try again later"
        if self.mode == "refuse_data":
            return "554 5.7.1 Message rejected as spam"
        if self.mode == "drop":
            server.transport.close()
            return "421 closing"
        data = envelope.original_content or envelope.content
        assert isinstance(data, bytes)
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), data))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)


@contextmanager
def smtp_server(
    *, tls: tuple[Path, Path] | None = None, credentials: tuple[str, str] | None = None
) -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 (with STARTTLS and AUTH when given a certificate and
    credentials), stopped at the end."""
    handler = RecordingHandler()
    kwargs: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        kwargs.update(tls_context=context, require_starttls=True)
    if credentials is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                )
                == credentials
            )
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls is not None)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


# --- a local SMS gateway with Twilio's Messages API shape -------------------------------------


@dataclass
class GatewayState:
    """What the gateway received, and how it answers: `mode` 'accept', 'opted_out' (400, code
    21610), 'invalid' (400, code 21211), 'down' (503), 'hang' (takes the SMS, then answers
    after `hang_seconds`: past a short client timeout), 'drop' (takes the SMS, then closes the
    connection without answering). `list_mode` 'ok' or 'down' (503) for the message list.
    `clock` is the gateway's time (Twilio stamps `date_created` and `date_sent` with its own),
    `page_size` how many messages a list page holds at most."""

    account_sid: str = "AC0000000000000000000000000000test"
    auth_token: str = "secret-token"
    mode: str = "accept"
    list_mode: str = "ok"
    hang_seconds: float = 1.0
    page_size: int = 50
    clock: Any = field(default=lambda: datetime.now(UTC))
    requests: list[dict[str, str]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted, as the list shows them
    list_queries: list[dict[str, str]] = field(default_factory=list)
    callbacks: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def sms_gateway() -> Iterator[tuple[str, GatewayState]]:
    """A Twilio-shaped gateway on 127.0.0.1: yields its base URL and state. Accepted messages
    get a sid `SM<n>`; when a StatusCallback is given, the gateway posts `sent` then
    `delivered` to it, as Twilio does. `GET .../Messages.json` lists them newest first, filtered
    by `To` and `DateSent>` (a UTC day, as Twilio reads it), in pages linked by `next_page_uri`."""
    import base64
    import json
    import time as clock_time
    import urllib.parse
    import urllib.request
    from email.utils import format_datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = GatewayState()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting ('hang')

        def do_GET(self) -> None:
            expected = (
                "Basic " + base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            )
            path, _, query = self.path.partition("?")
            if path != f"/2010-04-01/Accounts/{state.account_sid}/Messages.json":
                self._reply(404, {"code": 20404, "message": "The requested resource was not found"})
                return
            if self.headers.get("Authorization") != expected:
                self._reply(401, {"code": 20003, "message": "Authenticate"})
                return
            params = dict(urllib.parse.parse_qsl(query))
            with state.lock:
                state.list_queries.append(params)
                found = [
                    m
                    for m in reversed(state.messages)
                    if ("To" not in params or m["to"] == params["To"])
                    and ("DateSent>" not in params or m["sent_day"] >= params["DateSent>"])
                ]
            if state.list_mode == "down":
                self._reply(503, {"code": 20503, "message": "Service unavailable"})
                return
            size = min(int(params.get("PageSize", "50")), state.page_size)
            page = int(params.get("Page", "0"))
            chunk = found[page * size : (page + 1) * size]
            following = None
            if (page + 1) * size < len(found):
                following = path + "?" + urllib.parse.urlencode({**params, "Page": str(page + 1)})
            self._reply(
                200,
                {
                    "messages": [{k: v for k, v in m.items() if k != "sent_day"} for m in chunk],
                    "page": page,
                    "page_size": size,
                    "next_page_uri": following,
                },
            )

        def do_POST(self) -> None:
            expected = (
                "Basic " + base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            )
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path != f"/2010-04-01/Accounts/{state.account_sid}/Messages.json":
                self._reply(404, {"code": 20404, "message": "The requested resource was not found"})
                return
            if self.headers.get("Authorization") != expected:
                self._reply(401, {"code": 20003, "message": "Authenticate"})
                return
            with state.lock:
                state.requests.append(form)
                sid = f"SM{len(state.requests):032d}"
            if state.mode == "down":
                self._reply(503, {"code": 20503, "message": "Service unavailable"})
                return
            if state.mode in ("opted_out", "invalid"):
                code = 21610 if state.mode == "opted_out" else 21211
                self._reply(
                    400, {"code": code, "message": "Attempt to send to unsubscribed recipient", "status": 400}
                )
                return
            now = state.clock().astimezone(UTC)
            with state.lock:
                state.messages.append(
                    {
                        "sid": sid,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "sent",
                        "direction": "outbound-api",
                        "date_created": format_datetime(now),
                        "date_sent": format_datetime(now),
                        "sent_day": now.date().isoformat(),
                    }
                )
            if state.mode == "drop":
                self.close_connection = True
                self.connection.shutdown(2)  # the SMS is taken; no answer comes back
                return
            if state.mode == "hang":
                clock_time.sleep(state.hang_seconds)
            self._reply(
                201,
                {
                    "sid": sid,
                    "status": "queued",
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                },
            )
            callback = form.get("StatusCallback")
            if callback:
                for status in ("sent", "delivered"):
                    receipt = {
                        "MessageSid": sid,
                        "MessageStatus": status,
                        "To": form.get("To", ""),
                        "AccountSid": state.account_sid,
                    }
                    request = urllib.request.Request(
                        callback, data=urllib.parse.urlencode(receipt).encode(), method="POST"
                    )
                    with urllib.request.urlopen(request, timeout=5):
                        pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def callback_receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """An HTTP endpoint on 127.0.0.1 recording the forms posted to it (status callbacks)."""
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms/status/ACME", received
    finally:
        server.shutdown()
        server.server_close()
