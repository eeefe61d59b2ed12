"""The real API served by uvicorn in a thread on 127.0.0.1, over a workspace's store, for the
sync agent's end-to-end tests; and small helpers to set the scene and wait for it to play out.

The server can be stopped and started again on the same port, which is how the tests take it
"down for a while": in between, nothing listens there and every connection is refused.
"""

import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from cli_support import run_in_process, succeeded

from arrears.api.app import create_app
from arrears.core.ledger import Creditor
from arrears.services.workspace import Store, open_store
from arrears.settings import Settings

HEADER = "DebtorCode,DebtorName,Type,Number,IssueDate,DueDate,Amount,OpenAmount\n"
LEDGER = (
    "A1,Abbey Builders Ltd,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,1000.00\n"
    "B2,Crown Glazing Ltd,Invoice,INV-2,2026-09-01,2026-10-01,250.00,250.00\n"
)
MORE = "B2,,Invoice,INV-3,2026-10-01,2026-10-31,80.00,80.00\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], object], what: str, seconds: float = 15.0) -> None:
    """Wait until `condition()` is true; fail naming `what` if it is not within `seconds` (a
    bound so a broken agent fails the test instead of hanging it, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds} s for {what}")
        time.sleep(0.02)


class LiveServer:
    """`arrears serve`, in-process: the FastAPI app on uvicorn in a daemon thread."""

    def __init__(
        self,
        store: Store,
        port: int,
        *,
        max_upload_bytes: int = 1 << 20,
        ssl_certfile: Path | None = None,
        ssl_keyfile: Path | None = None,
    ) -> None:
        self.app = create_app(store, max_upload_bytes=max_upload_bytes)
        self.port = port
        self._ssl = (ssl_certfile, ssl_keyfile)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl[0] else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        certfile, keyfile = self._ssl
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        server = self._server
        wait_for(
            lambda: server.started or not self._thread or not self._thread.is_alive(), "uvicorn to start"
        )
        assert server.started, "uvicorn did not start (port taken?)"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
            assert not self._thread.is_alive(), "uvicorn did not stop"
        self._server = self._thread = None


def initialised_workspace(folder: Path) -> Path:
    """An empty workspace made by `arrears init`: made once per module and copied for each
    test (running the migrations is most of a test's time otherwise)."""
    home = folder / "workspace"
    succeeded(run_in_process(home, "init"))
    return home


def workspace_with_creditors(template: Path, tmp_path: Path, *codes: str) -> tuple[Path, Store]:
    """A copy of the `template` workspace holding the creditors, and its store."""
    home = tmp_path / "workspace"
    shutil.copytree(template, home)
    store = open_store(Settings(home=home))
    with store.unit_of_work() as uow:
        for code in codes:
            uow.creditors.add(Creditor(code=code, name=f"{code} Ltd"))
        uow.commit()
    return home, store


def issue(home: Path, creditor: str) -> str:
    """A token from `arrears agent token`, as the person who runs it copies it."""
    outcome = run_in_process(home, "agent", "token", "--creditor", creditor, "--name", f"{creditor} server")
    assert outcome.exit_code == 0, outcome.stderr
    assert "not shown again" in outcome.stderr
    return outcome.stdout.strip()


def imports_of(store: Store, creditor: str) -> list[tuple[str, str, str]]:
    """(file, source, status) of the creditor's imports, oldest first."""
    with store.unit_of_work() as uow:
        recent = uow.imports.list_recent(creditor, 100)
    return [(item.file_name, item.source, item.status) for item in reversed(recent)]


def documents_of(store: Store, creditor: str) -> set[str]:
    with store.unit_of_work() as uow:
        return {number for _, number in uow.documents.import_index(creditor)}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key (PEM files): the agent trusts
    it with --ca-file, as it would an internal CA's."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arrears test server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / "server.pem", folder / "server.key"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certfile, keyfile
