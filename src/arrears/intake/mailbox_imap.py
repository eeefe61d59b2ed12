"""An IMAP folder as a creditor's intake mailbox, through the standard library's `imaplib`.

    settings = ImapSettings(host="imap.example.com", user="invoices@acme.example", password=secret)
    with ImapSource(settings) as source:
        for incoming in source.incoming(position):   # position: the last one recorded
            ...
            source.mark_taken(incoming.ref)

- **TLS always**: IMAPS (port 993, `security="ssl"`) or STARTTLS on the plain port (143,
  `"starttls"`). The server's certificate is checked against the system's CAs, or a private
  CA given as an `ssl.SSLContext`. A password never crosses the network in clear.
- **New means a UID above the last one taken** from this folder: the position kept per
  creditor and folder is `"<uidvalidity>:<uid>"`. A person reading the mailbox in a mail client
  (which marks messages seen) therefore hides nothing from Arrears. When the server renumbers
  the folder (a new UIDVALIDITY), it is read from the start again; messages already taken are
  known by their Message-ID and are not taken twice.
- Messages are fetched with `BODY.PEEK[]`, which does not mark them seen; a message is flagged
  `\\Seen` only once it has been recorded. Nothing is deleted or expunged.
- One message is held in memory at a time. Sizes are asked first: a message larger than
  `MAX_MESSAGE_BYTES` is fetched as its header only (it is recorded as too large).
"""

import base64
import contextlib
import imaplib
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Self

from arrears.intake.mailbox import MAX_MESSAGE_BYTES, Incoming, MailboxError

Security = Literal["ssl", "starttls"]
DEFAULT_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143}
_SIZE_CHUNK = 500
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


@dataclass(frozen=True, slots=True)
class ImapSettings:
    """Where the intake mailbox is and how to sign in to it."""

    host: str
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    port: int | None = None  # default 993 for ssl, 143 for starttls
    security: Security = "ssl"
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)  # default: the system's CAs
    timeout: float = 60.0


class ImapSource:
    """An IMAP folder; open it with `with`, which connects, signs in and selects the folder."""

    kind = "imap"

    def __init__(self, settings: ImapSettings) -> None:
        if settings.security not in DEFAULT_PORTS:
            raise MailboxError(f"IMAP security {settings.security!r} is not ssl or starttls")
        self.settings = settings
        self.port = settings.port or DEFAULT_PORTS[settings.security]
        self.where = f"{settings.host}:{self.port}"
        self.label = f"imap://{settings.user}@{self.where}/{settings.folder}"
        self._connection: imaplib.IMAP4 | None = None
        self._validity = ""

    def __enter__(self) -> Self:
        settings = self.settings
        connection = self._connect()
        self._connection = connection
        try:
            try:
                connection.login(_quote(settings.user), settings.password)
            except imaplib.IMAP4.error as error:
                raise MailboxError(
                    f"the IMAP server {self.where} refused the login of {settings.user}: {_text(error)}"
                ) from None
            except UnicodeEncodeError:
                raise MailboxError(
                    f"the IMAP login of {settings.user} has characters other than ASCII, which IMAP LOGIN cannot send"
                ) from None
            status, data = connection.select(_quote(_utf7(settings.folder)))
            if status != "OK":
                raise MailboxError(
                    f"the IMAP server {self.where} cannot open the folder {settings.folder!r}: {_text(data)}"
                )
            _, validity = connection.response("UIDVALIDITY")
            self._validity = _text(validity) or "0"
        except BaseException:
            self._close()
            raise
        return self

    def _connect(self) -> imaplib.IMAP4:
        settings = self.settings
        context = settings.ssl_context or ssl.create_default_context()
        try:
            if settings.security == "ssl":
                return imaplib.IMAP4_SSL(
                    settings.host, self.port, ssl_context=context, timeout=settings.timeout
                )
            connection = imaplib.IMAP4(settings.host, self.port, timeout=settings.timeout)
            try:
                connection.starttls(ssl_context=context)
            except imaplib.IMAP4.error as error:
                _shutdown(connection)
                raise MailboxError(
                    f"the IMAP server {self.where} did not start TLS ({_text(error)}); "
                    "try --imap-security ssl (port 993)"
                ) from None
            except BaseException:
                _shutdown(connection)
                raise
            return connection
        except ssl.SSLError as error:
            reason = getattr(error, "verify_message", None) or error.reason or str(error)
            raise MailboxError(f"TLS with the IMAP server {self.where} failed: {reason}") from None
        except OSError as error:
            raise MailboxError(
                f"cannot reach the IMAP server {self.where}: {error.strerror or error}"
            ) from None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.state == "SELECTED":
                connection.close()  # CLOSE expunges only messages flagged \Deleted: none of ours
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            _shutdown(connection)

    @property
    def connection(self) -> imaplib.IMAP4:
        if self._connection is None:
            raise RuntimeError("the IMAP source is not open: use it in a `with` block")
        return self._connection

    def incoming(self, position: str | None) -> Iterator[Incoming]:
        """Messages with a UID above the position's (all of them after a UIDVALIDITY change)."""
        last = 0
        if position:
            validity, _, last_uid = position.partition(":")
            if validity == self._validity and last_uid.isdigit():
                last = int(last_uid)
        uids = [uid for uid in self._search(last + 1) if uid > last]  # "n:*" always matches the last
        for chunk_start in range(0, len(uids), _SIZE_CHUNK):
            chunk = uids[chunk_start : chunk_start + _SIZE_CHUNK]
            sizes = self._sizes(chunk)
            for uid in chunk:
                size = sizes.get(uid)
                if size is None:
                    continue  # gone since the search (moved or expunged by someone else)
                item = "BODY.PEEK[HEADER]" if size > MAX_MESSAGE_BYTES else "BODY.PEEK[]"
                fetched = self._fetch(uid, item)
                if fetched is None:
                    continue
                raw, received_at = fetched
                yield Incoming(str(uid), raw, size, received_at, position=f"{self._validity}:{uid}")

    def mark_taken(self, ref: str) -> None:
        """Flag the message \\Seen (it stays where it is)."""
        self._command("STORE", ref, "+FLAGS.SILENT", r"(\Seen)")

    def _search(self, first: int) -> list[int]:
        data = self._command("SEARCH", f"UID {first}:*")
        return sorted({int(token) for line in data if isinstance(line, bytes) for token in line.split()})

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        data = self._command("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        sizes: dict[int, int] = {}
        for item in data:
            text = item[0] if isinstance(item, tuple) else item
            if not isinstance(text, bytes):
                continue
            uid, size = _UID.search(text), _SIZE.search(text)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _fetch(self, uid: int, item: str) -> tuple[bytes, datetime | None] | None:
        data = self._command("FETCH", str(uid), f"(UID INTERNALDATE {item})")
        raw: bytes | None = None
        meta = b""
        for part in data:
            if isinstance(part, tuple):
                meta += part[0]
                raw = part[1] if raw is None else raw
            elif isinstance(part, bytes):
                meta += part
        if raw is None:
            return None
        moment = imaplib.Internaldate2tuple(meta)  # local time, as time.localtime gives it
        return raw, None if moment is None else datetime.fromtimestamp(time.mktime(moment), UTC)

    def _command(self, command: str, *args: str) -> list[object]:
        try:
            status, data = self.connection.uid(command, *args)
        except (imaplib.IMAP4.error, OSError) as error:
            raise MailboxError(
                f"the IMAP server {self.where} failed during {command}: {_text(error)}"
            ) from None
        if status != "OK":
            raise MailboxError(f"the IMAP server {self.where} refused {command}: {_text(data)}")
        return list(data)


def _shutdown(connection: imaplib.IMAP4) -> None:
    """Drop the connection; a failed TLS handshake has already taken its socket with it."""
    with contextlib.suppress(OSError):
        connection.shutdown()


def _text(value: object) -> str:
    """A server's answer as one line of text."""
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else str(value)
    if isinstance(value, list | tuple):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value if v is not None)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


def _quote(text: str) -> str:
    """An IMAP quoted string (user names and folder names may hold spaces)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501, 5.1.3): "Rechnungseingänge" is
    "Rechnungseing&AOQ-nge"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for character in name:
        if 0x20 <= ord(character) <= 0x7E:
            flush()
            out.append("&-" if character == "&" else character)
        else:
            pending.append(character)
    flush()
    return "".join(out)
