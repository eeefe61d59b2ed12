"""The sync agent and the upload endpoint together, on loopback: the real FastAPI app served by
uvicorn on 127.0.0.1, the real agent (httpx, spool, journal) watching a real folder, against a
SQLite workspace. Backoffs are a few milliseconds so the tests stay quick."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from agent_support import (
    HEADER,
    LEDGER,
    MORE,
    LiveServer,
    documents_of,
    free_port,
    imports_of,
    initialised_workspace,
    issue,
    self_signed_certificate,
    wait_for,
    workspace_with_creditors,
)
from cli_support import failed_with_one_line, run_in_process

from arrears.intake.agent import Agent, AgentConfig, Backoff
from arrears.intake.agent_spool import Spool
from arrears.services.workspace import Store

FAST = Backoff(base=0.01, cap=0.05)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return initialised_workspace(tmp_path_factory.mktemp("template"))


@pytest.fixture
def scene(template: Path, tmp_path: Path) -> Iterator[tuple[Path, Store, int]]:
    home, store = workspace_with_creditors(template, tmp_path, "ACME", "BETA")
    yield home, store, free_port()
    store.dispose()


def agent(tmp_path: Path, port: int, token: str, **options: object) -> Agent:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    options.setdefault("server", f"http://127.0.0.1:{port}")
    options.setdefault("backoff", FAST)
    config = AgentConfig(
        folder=folder,
        token=token,
        spool=tmp_path / "spool",
        poll_seconds=0.02,
        settle_seconds=0.02,
        timeout_seconds=30,
        **options,  # type: ignore[arg-type]
    )
    return Agent(config)


def export(tmp_path: Path, body: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / "exports" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_new_file_is_imported_once_and_a_changed_file_again(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    server = LiveServer(store, port).start()
    try:
        with agent(tmp_path, port, issue(home, "ACME")) as watcher:
            export(tmp_path, LEDGER)
            for temporary in (
                "~$ledger.xlsx",
                "ledger.csv.tmp",
                ".~lock.ledger.csv#",
                "new.csv.crdownload",
                "x.part",
            ):
                (tmp_path / "exports" / temporary).write_text(HEADER + MORE, encoding="utf-8")
            first = watcher.run_once()
            assert [version.path for version, _ in first.sent] == ["ledger.csv"]
            assert first.sent[0][1].endswith("applied") and not first.failed and first.waiting == 0
            assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")]
            assert documents_of(store, "ACME") == {"INV-1", "INV-2"}

            assert watcher.run_once().sent == []  # nothing changed: nothing sent

            export(tmp_path, LEDGER + MORE)
            changed = watcher.run_once()
            assert [version.path for version, _ in changed.sent] == ["ledger.csv"]
        assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")] * 2
        assert documents_of(store, "ACME") == {"INV-1", "INV-2", "INV-3"}
        assert documents_of(store, "BETA") == set()
    finally:
        server.stop()


def test_a_sent_file_is_not_sent_again_after_the_agent_restarts(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    token = issue(home, "ACME")
    server = LiveServer(store, port).start()
    path = export(tmp_path, LEDGER)
    with agent(tmp_path, port, token) as watcher:
        assert len(watcher.run_once().sent) == 1
    server.stop()
    # With the server down, any attempt to send would leave something waiting.
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # touched: same content
    with agent(tmp_path, port, token) as restarted:
        again = restarted.run_once()
    assert again.sent == [] and again.failed == [] and again.waiting == 0
    assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")]


def test_while_the_server_is_down_the_file_waits_in_the_spool_then_arrives_once(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    token = issue(home, "ACME")
    export(tmp_path, LEDGER)
    with agent(tmp_path, port, token) as watcher:
        down = watcher.run_once()  # nothing listens on the port yet
        assert down.sent == [] and down.waiting == 1
        [version] = watcher.spool.pending()
        assert version.attempts == 1 and "no answer" in (version.last_error or "")
        assert watcher.spool.copy_of(version).read_text(encoding="utf-8") == HEADER + LEDGER
    assert imports_of(store, "ACME") == []

    server = LiveServer(store, port).start()
    try:
        with agent(tmp_path, port, token) as restarted:  # the journal survived the restart
            up = restarted.run_once()
            assert [v.id for v, _ in up.sent] == [version.id] and up.waiting == 0
            assert restarted.run_once().sent == []
            sent = restarted.spool.get(version.id)
            assert sent.state == "sent" and sent.http_status == 200
            assert not restarted.spool.copy_of(sent).exists()
    finally:
        server.stop()
    assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")]


def test_the_watching_agent_backs_off_while_the_server_is_down_and_delivers_each_version_once(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    token = issue(home, "ACME")
    stop = threading.Event()
    watcher = agent(tmp_path, port, token)
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    server = LiveServer(store, port)
    journal = Spool(tmp_path / "spool", watched=tmp_path / "exports", exclusive=False)
    try:
        thread.start()
        export(tmp_path, LEDGER)
        wait_for(lambda: any(v.attempts >= 3 for v in journal.pending()), "the agent to retry a few times")
        server.start()
        wait_for(lambda: [v.state for v in journal.recent()] == ["sent"], "the first version to be delivered")

        server.stop()  # down again, for a while
        export(tmp_path, LEDGER + MORE)
        wait_for(lambda: any(v.attempts >= 2 for v in journal.pending()), "the agent to retry the change")
        server.start()
        wait_for(
            lambda: [v.state for v in journal.recent()] == ["sent", "sent"], "the change to be delivered"
        )
    finally:
        stop.set()
        thread.join(timeout=15)
        watcher.close()
        journal.close()
        server.stop()
    assert not thread.is_alive()
    assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")] * 2
    assert documents_of(store, "ACME") == {"INV-1", "INV-2", "INV-3"}
    with store.unit_of_work() as uow:
        assert len(uow.agent_uploads.list_recent("ACME")) == 2


def test_a_wrong_token_is_refused_recorded_and_not_retried_until_asked(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    server = LiveServer(store, port).start()
    try:
        export(tmp_path, LEDGER)
        with agent(tmp_path, port, "arr_0123456789ab_not-the-secret") as watcher:
            refused = watcher.run_once()
            [(version, message)] = refused.failed
            assert message.startswith("HTTP 401") and refused.waiting == 0
            assert watcher.spool.get(version.id).state == "failed"
            assert watcher.run_once().failed == []  # recorded once, not tried again
        status = run_in_process(
            home, "agent", "status", str(tmp_path / "exports"), "--spool", str(tmp_path / "spool")
        )
        assert status.exit_code == 0 and "failed" in status.stdout and "401" in status.stdout

        retry = run_in_process(
            home, "agent", "retry", str(tmp_path / "exports"), "--spool", str(tmp_path / "spool")
        )
        assert "1 version(s) will be sent" in retry.stdout
        with agent(tmp_path, port, issue(home, "ACME")) as fixed:
            assert [v.id for v, _ in fixed.run_once().sent] == [version.id]
    finally:
        server.stop()
    assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")]


def test_a_revoked_token_is_refused(scene: tuple[Path, Store, int], tmp_path: Path) -> None:
    home, store, port = scene
    token = issue(home, "ACME")
    revoked = run_in_process(home, "agent", "revoke", "1", "--creditor", "ACME")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    server = LiveServer(store, port).start()
    try:
        export(tmp_path, LEDGER)
        with agent(tmp_path, port, token) as watcher:
            [(_, message)] = watcher.run_once().failed
    finally:
        server.stop()
    assert "401" in message and "revoked" in message
    assert imports_of(store, "ACME") == []


def test_a_token_of_creditor_a_cannot_write_into_creditor_b(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    acme_token = issue(home, "ACME")
    server = LiveServer(store, port).start()
    try:
        export(tmp_path, LEDGER)
        with agent(tmp_path, port, acme_token, creditor="BETA") as pretending:
            [(_, message)] = pretending.run_once().failed
        assert message.startswith("HTTP 403")
        assert imports_of(store, "BETA") == [] and imports_of(store, "ACME") == []

        # Whatever the request says, the token decides: ACME's token writes ACME's ledger only.
        response = httpx.post(
            f"{server.url}/v1/ledger/uploads",
            params={"filename": "ledger.csv", "creditor": "BETA"},
            headers={"Authorization": f"Bearer {acme_token}", "Idempotency-Key": "k-beta"},
            content=(HEADER + LEDGER).encode(),
        )
        assert response.status_code == 403
        response = httpx.post(
            f"{server.url}/v1/ledger/uploads",
            params={"filename": "ledger.csv"},
            headers={
                "Authorization": f"Bearer {acme_token}",
                "Idempotency-Key": "k-acme",
                "X-Creditor": "BETA",
            },
            content=(HEADER + LEDGER).encode(),
        )
        assert response.status_code == 200 and response.json()["status"] == "applied"
    finally:
        server.stop()
    assert imports_of(store, "BETA") == [] and documents_of(store, "BETA") == set()
    assert documents_of(store, "ACME") == {"INV-1", "INV-2"}


def test_the_endpoint_answers_each_case_with_its_status(scene: tuple[Path, Store, int]) -> None:
    home, store, port = scene
    token = issue(home, "ACME")
    server = LiveServer(store, port, max_upload_bytes=2_000).start()
    url = f"{server.url}/v1/ledger/uploads"

    def post(body: bytes, key: str = "k1", **headers: str) -> httpx.Response:
        sent = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, **headers}
        return httpx.post(url, params={"filename": "ledger.csv", "mode": "part"}, headers=sent, content=body)

    try:
        assert httpx.get(f"{server.url}/v1/health").json() == {"status": "ok"}
        no_token = httpx.post(url, params={"filename": "a.csv"}, content=b"x" * 50_000)
        assert no_token.status_code == 401 and no_token.headers["WWW-Authenticate"].startswith("Bearer")
        assert post(b"x" * 50_000).status_code == 413  # refused, and the answer still arrives
        assert post((HEADER + LEDGER).encode(), **{"X-Content-SHA256": "0" * 64}).status_code == 400
        assert post((HEADER + LEDGER).encode(), key="").status_code == 400

        bad = post((HEADER + LEDGER.replace("1000.00,1000.00", "1000.00,lots")).encode(), key="bad")
        assert bad.status_code == 422 and bad.json()["status"] == "rejected"
        [error] = bad.json()["errors"]
        assert (error["row"], error["column"], error["value"]) == (2, "OpenAmount", "lots")

        first = post((HEADER + LEDGER).encode())
        assert first.status_code == 200 and first.json()["mode"] == "part" and not first.json()["replayed"]
        again = post((HEADER + LEDGER).encode())
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["import"] == first.json()["import"]
    finally:
        server.stop()
    assert [status for _, _, status in imports_of(store, "ACME")] == ["rejected", "applied"]


def test_the_agent_command_sends_once_and_says_when_the_server_is_down(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    token_file = tmp_path / "token"
    token_file.write_text(issue(home, "ACME") + "\n", encoding="utf-8")
    folder = export(tmp_path, LEDGER).parent
    watch = (
        "agent",
        "watch",
        str(folder),
        "--server",
        f"http://127.0.0.1:{port}",
        "--token-file",
        str(token_file),
        "--spool",
        str(tmp_path / "spool"),
        "--once",
        "--settle",
        "0.02",
        "--backoff",
        "0.01",
    )
    down = run_in_process(home, *watch)
    assert down.exit_code == 75 and "1 file version(s) wait in the spool" in down.stderr
    server = LiveServer(store, port).start()
    try:
        up = run_in_process(home, *watch)
        assert up.exit_code == 0, up.stderr
        assert "sent ledger.csv" in up.stdout and "applied" in up.stdout
        assert "nothing new to send" in run_in_process(home, *watch).stdout
    finally:
        server.stop()
    uploads = run_in_process(home, "agent", "uploads", "--creditor", "ACME")
    assert "ledger.csv" in uploads.stdout and "applied" in uploads.stdout
    tokens = run_in_process(home, "agent", "tokens", "--creditor", "ACME")
    assert "ACME server" in tokens.stdout and token_file.read_text().strip() not in tokens.stdout

    plain = run_in_process(
        home, "agent", "watch", str(folder), "--server", "http://203.0.113.9", "--token", "t"
    )
    failed_with_one_line(plain, "plain http", "--insecure")


def test_over_https_the_agent_sends_to_a_server_it_trusts_and_to_no_other(
    scene: tuple[Path, Store, int], tmp_path: Path
) -> None:
    home, store, port = scene
    certfile, keyfile = self_signed_certificate(tmp_path)
    server = LiveServer(store, port, ssl_certfile=certfile, ssl_keyfile=keyfile).start()
    token = issue(home, "ACME")
    export(tmp_path, LEDGER)
    try:
        with agent(tmp_path, port, token, server=server.url) as untrusting:
            distrust = untrusting.run_once()
            assert distrust.sent == [] and distrust.waiting == 1
            [version] = untrusting.spool.pending()
            assert "certificate" in (version.last_error or "").lower()
        with agent(tmp_path, port, token, server=server.url, ca_file=certfile) as trusting:
            assert [v.id for v, _ in trusting.run_once().sent] == [version.id]
    finally:
        server.stop()
    assert imports_of(store, "ACME") == [("ledger.csv", "agent", "applied")]


class ScriptedServer:
    """A plain HTTP server on 127.0.0.1 that answers uploads with the statuses it is given, in
    order (for what the real app does not do on purpose: 503, 429, Retry-After)."""

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = answers
        self.received: list[tuple[str, str | None]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                scripted.received.append((self.path, self.headers.get("Idempotency-Key")))
                status, headers, body = scripted.answers.pop(0)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_busy_and_failing_servers_are_retried_with_the_same_key_and_other_refusals_are_final(
    tmp_path: Path,
) -> None:
    ok = json.dumps({"import": 7, "status": "applied"}).encode()
    scripted = ScriptedServer(
        [
            (503, {"Retry-After": "0"}, b"down for maintenance"),
            (429, {}, b'{"error": "slow down"}'),
            (500, {}, b"oops"),
            (200, {"Content-Type": "application/json"}, ok),
            (413, {"Content-Type": "application/json"}, b'{"error": "the file is too large"}'),
        ]
    )
    try:
        export(tmp_path, LEDGER)
        # Waits shorter than the pause of each pass, so each pass may try again.
        with agent(tmp_path, scripted.port, "arr_0123456789ab_x", backoff=Backoff(0.001, 0.005)) as watcher:
            for expected in (503, 429, 500):
                result = watcher.run_once()
                assert result.waiting == 1 and result.sent == []
                assert watcher.spool.pending()[0].http_status == expected
            result = watcher.run_once()
            assert [answer for _, answer in result.sent] == ["import #7 applied"]
            export(tmp_path, LEDGER + MORE)
            [(version, message)] = watcher.run_once().failed
            assert message == "HTTP 413: the file is too large" and version.attempts == 1
            assert watcher.run_once().failed == []  # final: not tried again
    finally:
        scripted.close()
    keys = [key for _, key in scripted.received]
    assert len(keys) == 5 and len(set(keys[:4])) == 1 and keys[4] != keys[0]
    assert all(
        path.startswith("/v1/ledger/uploads?filename=ledger.csv&mode=full") for path, _ in scripted.received
    )
