"""A real IMAP4rev1 server on 127.0.0.1 for the mailbox tests: pymap's in-memory backend, run
in a thread of this process, with TLS under a certificate made for the test.

    with imap_server(tmp_path, security="starttls") as server:
        server.append("INBOX", raw_message)
        ImapSource(server.settings())        # Arrears' imaplib client, as in production

`security="starttls"`: the plain port offers STARTTLS and refuses LOGIN before it (as servers
do); `"ssl"`: TLS from the first byte (IMAPS). The certificate is self-signed for 127.0.0.1;
`server.cafile` is what a client must trust, and a client that does not is refused.
"""

import asyncio
import datetime
import imaplib
import ipaddress
import ssl
import threading
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config, DictBackend, Login
from pymap.imap import IMAPServer
from pysasl.hashing import Cleartext

from arrears.intake.mailbox_imap import ImapSettings

HOST = "127.0.0.1"


class _Config(Config):
    @property
    def greeting(self) -> bytes:  # the default looks up this machine's FQDN
        return b"Server ready"


@dataclass(frozen=True)
class ImapServer:
    port: int
    user: str
    password: str
    cafile: Path
    security: str

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    def settings(self, folder: str = "INBOX", **overrides: object) -> ImapSettings:
        values: dict[str, object] = {
            "host": HOST,
            "user": self.user,
            "password": self.password,
            "folder": folder,
            "port": self.port,
            "security": self.security,
            "ssl_context": self.context(),
            "timeout": 10.0,
        }
        values.update(overrides)
        return ImapSettings(**values)  # type: ignore[arg-type]

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib client, for the test to set the mailbox up and look at it."""
        if self.security == "ssl":
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                HOST, self.port, ssl_context=self.context(), timeout=10
            )
        else:
            connection = imaplib.IMAP4(HOST, self.port, timeout=10)
            connection.starttls(ssl_context=self.context())
        connection.login(self.user, self.password)
        try:
            yield connection
        finally:
            connection.logout()

    def append(self, folder: str, *messages: bytes) -> None:
        with self.client() as connection:
            for raw in messages:
                status, data = connection.append(folder, None, None, raw)
                assert status == "OK", data

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags of every message in the folder (read-only: nothing changes)."""
        with self.client() as connection:
            connection.select(folder, readonly=True)
            status, data = connection.uid("FETCH", "1:*", "(UID FLAGS)")
            assert status == "OK", data
        found: dict[int, set[str]] = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            text = line.decode()
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            found[uid] = set(text.split("FLAGS (")[1].split(")")[0].split())
        return found


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "imap-cert.pem", folder / "imap-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextmanager
def imap_server(
    folder: Path,
    *,
    security: str = "starttls",
    user: str = "invoices@acme.example",
    password: str = "s3cret pass",
) -> Iterator[ImapServer]:
    """Run the server until the block ends (bounded: it serves only this test's connections)."""
    cert_path, key_path = _certificate(folder)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []
    port: list[int] = []
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        args = Namespace(
            host=HOST,
            port=0,
            debug=False,
            cert=None,
            key=None,
            tls=security == "starttls",  # under IMAPS, TLS is already there: no STARTTLS
            passlib_cfg=None,
            demo_data=False,
            demo_user=user,
            demo_password=password,
            proxy_protocol=None,
            inherited_sockets=None,
        )
        config = _Config.from_args(
            args,
            ssl_context=server_context,
            invalid_user_sleep=0.0,
            reject_dnsbl=False,
            hash_context=Cleartext(),  # a test server: no 0.4 s password hash per login
        )
        config.apply_context()
        login = Login(config)
        await DictBackend._add_demo_user(config, login)
        handler = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(login, config))
        listening = await asyncio.start_server(
            handler, host=HOST, port=0, ssl=server_context if security == "ssl" else None
        )
        port.append(listening.sockets[0].getsockname()[1])
        stop.append(asyncio.Event())
        ready.set()
        async with listening:
            await stop[0].wait()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as error:  # reported to the test below
            failure.append(error)
            ready.set()
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    thread = threading.Thread(target=run, name="imap-server", daemon=True)
    thread.start()
    if not ready.wait(10) or failure:
        raise RuntimeError(f"the test IMAP server did not start: {failure}")
    try:
        yield ImapServer(port[0], user, password, cert_path, security)
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
