"""The sync agent: a small process on the SME's server or PC that watches the folder its
accounting package exports to and sends each new or changed file to the Arrears server.

    agent = Agent(AgentConfig(folder, "https://arrears.example.com", token, spool))
    agent.run(stop_event)        # or agent.run_once() for cron and tests

At each poll it lists the folder (the ledger files it is told to send, never temporary files:
Office's `~$*` and `.~lock*`, `*.tmp`, browsers' `*.crdownload` / `*.part` / `*.download`,
hidden files), and a file whose size or modification time differs from what the spool last
saw is a candidate. A candidate is taken only once it is **stable**: the same size and time at
two polls in a row, so a file still being written by the export, or still being downloaded by
a cloud drive's client, is left alone. Its content is then copied into the spool with a
journal row (`arrears.intake.agent_spool`) **before** anything is sent.

**Polling, not inotify/FSEvents/ReadDirectoryChangesW**: a cloud drive's synced folder
(Dropbox, Google Drive for desktop, OneDrive) is written by the drive's own client, often
through a virtual file system or a network share, where change notifications are missing,
late, or sent before the content is complete; listing one folder every 30 seconds costs
nothing and behaves the same on every system.

Sending: each pending version, oldest first, is POSTed to `/v1/ledger/uploads` with the
creditor's token, its SHA-256 and its idempotency key. A 2xx marks it sent (never sent again,
even after a restart: the journal is on disk). A 408, 429 or 5xx, or no answer at all, means
"later": the pass stops, and the next attempt waits an exponential backoff with jitter, capped
(`Backoff`), or what the server's `Retry-After` asks. Any other 4xx (401 bad token, 403, 413
too large, 422 the importer's errors) is final: recorded in the journal and not retried, until
a person runs `arrears agent retry`.
"""

import fnmatch
import ipaddress
import json
import logging
import random
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from arrears.core.errors import ArrearsError
from arrears.intake.agent_spool import Spool, Version

log = logging.getLogger("arrears.agent")

UPLOAD_PATH = "/v1/ledger/uploads"
DEFAULT_INCLUDE = ("*.csv", "*.xlsx", "*.tsv", "*.txt")
DEFAULT_IGNORE = (
    "~$*",  # Microsoft Office's owner file beside an open workbook
    ".~lock*",  # LibreOffice's lock file
    "*.tmp",
    "~*.tmp",
    "*.crdownload",  # Chrome / Edge, still downloading
    "*.part",  # Firefox, still downloading
    "*.partial",
    "*.download",  # Safari
    ".*",  # hidden files: .DS_Store, Dropbox's and Drive's own
    "desktop.ini",
    "thumbs.db",
)
RETRY_STATUSES = frozenset({408, 429})


class AgentError(ArrearsError):
    """The agent cannot run as configured (a bad server address, a missing folder)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds to wait after `failures` failed attempts in a row: doubling from `base`, never
    above `cap`, the second half drawn at random ("equal jitter"), so that many agents that
    lost the server at the same moment do not all come back at the same moment."""

    base: float = 2.0
    cap: float = 300.0

    def delay(self, failures: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    folder: Path
    server: str  # e.g. https://arrears.example.com (the API's root)
    token: str
    spool: Path
    mode: str = "full"  # full: each file is the whole ledger; part: only the rows it holds
    poll_seconds: float = 30.0
    settle_seconds: float = 2.0  # --once: the pause between the two looks that prove a file stable
    backoff: Backoff = field(default_factory=Backoff)
    timeout_seconds: float = 300.0
    insecure: bool = False
    ca_file: Path | None = None
    include: Sequence[str] = DEFAULT_INCLUDE
    ignore: Sequence[str] = DEFAULT_IGNORE
    recursive: bool = False
    creditor: str | None = None  # when given, the server refuses a token of another creditor


@dataclass(slots=True)
class PassResult:
    """What one pass did: versions spooled, sent (with the server's answer), refused for good,
    and whether some are still waiting for the server."""

    spooled: list[Version] = field(default_factory=list)
    sent: list[tuple[Version, str]] = field(default_factory=list)
    failed: list[tuple[Version, str]] = field(default_factory=list)
    waiting: int = 0
    retry_in: float | None = None


def check_server_url(url: str, *, insecure: bool = False) -> str:
    """The server's root URL, without a trailing slash. Plain http:// is accepted only to the
    machine itself (loopback) unless `insecure`: the token and the ledger must not cross a
    network in the clear."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AgentError(f"--server {url!r} is not an http(s) URL, e.g. https://arrears.example.com")
    if parts.scheme == "http" and not insecure and not _loopback(parts.hostname):
        raise AgentError(
            f"--server {url} is plain http to another machine: the token and the ledger would cross the "
            "network unencrypted. Use https://, or pass --insecure on a network you trust"
        )
    return url.strip().rstrip("/")


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _matches(name: str, patterns: Sequence[str]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


class Agent:
    """One agent: a watched folder, a server, a spool (held open, and locked, until `close`)."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not config.folder.is_dir():
            raise AgentError(f"{config.folder}: no such folder to watch")
        if config.mode not in ("full", "part"):
            raise AgentError(f"--mode {config.mode!r} is not full or part")
        folder, spool = config.folder.resolve(), config.spool.resolve()
        if spool == folder or folder in spool.parents:
            raise AgentError(f"the spool {spool} is inside the watched folder: put it elsewhere (--spool)")
        self.config = config
        self.server = check_server_url(config.server, insecure=config.insecure)
        self.spool = Spool(config.spool, watched=config.folder)
        self._client = client or httpx.Client(
            timeout=config.timeout_seconds,
            verify=ssl.create_default_context(cafile=config.ca_file) if config.ca_file else True,
            headers={"User-Agent": "arrears-agent/1"},
        )
        self._own_client = client is None
        self._rng = rng or random.Random()
        self._clock = clock
        self._seen: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) at the last poll
        self._failures = 0
        self._next_attempt = 0.0

    def close(self) -> None:
        self.spool.close()
        if self._own_client:
            self._client.close()

    def __enter__(self) -> "Agent":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the folder -----------------------------------------------------------------------------

    def _listing(self) -> list[tuple[str, Path]]:
        pattern = "**/*" if self.config.recursive else "*"
        found: list[tuple[str, Path]] = []
        for path in sorted(self.config.folder.glob(pattern)):
            relative = path.relative_to(self.config.folder).as_posix()
            parts = relative.split("/")
            if any(_matches(part, self.config.ignore) for part in parts):
                continue
            if _matches(parts[-1], self.config.include) and path.is_file():
                found.append((relative, path))
        return found

    def spool_changes(self) -> list[Version]:
        """One look at the folder: spool the files that changed and have been stable since the
        last look. A folder that cannot be listed (a drive not mounted yet) is logged and
        looked at again next time."""
        spooled: list[Version] = []
        try:
            listing = self._listing()
        except OSError as error:
            log.warning("agent.folder_unreadable folder=%s error=%s", self.config.folder, error)
            return spooled
        current: dict[str, tuple[int, int]] = {}
        for relative, path in listing:
            try:
                status = path.stat()
            except OSError:
                continue
            stat = (status.st_size, status.st_mtime_ns)
            current[relative] = stat
            if stat == self.spool.known_stat(relative) or self._seen.get(relative) != stat:
                continue
            version = self.spool.add(relative, path, stat, self.config.mode)
            if version is not None:
                log.info("agent.spooled version=%s path=%s sha256=%s", version.id, relative, version.sha256)
                spooled.append(version)
        self._seen = current
        return spooled

    # --- the server ---------------------------------------------------------------------------

    def send_pending(self, result: PassResult | None = None) -> PassResult:
        """Send what is pending, oldest first, until done or the server is unavailable."""
        result = result or PassResult()
        if self._clock() < self._next_attempt:
            result.waiting = len(self.spool.pending())
            result.retry_in = self._next_attempt - self._clock()
            return result
        pending = self.spool.pending()
        for index, version in enumerate(pending):
            delay = self._send(version, result)
            if delay is not None:
                result.waiting = len(pending) - index
                result.retry_in = delay
                break
        return result

    def _send(self, version: Version, result: PassResult) -> float | None:
        """Send one version; None when it is settled (sent or refused for good), else the
        seconds to wait before the next attempt."""
        params = {"filename": version.name, "mode": version.mode}
        if self.config.creditor:
            params["creditor"] = self.config.creditor
        headers = {
            "Authorization": f"Bearer {self.config.token}",
            "Idempotency-Key": version.idempotency_key,
            "X-Content-SHA256": version.sha256,
            "Content-Type": "application/octet-stream",
        }
        copy = self.spool.copy_of(version)
        if not copy.is_file():
            message = f"the spool's copy {copy.name} is missing: it was deleted by hand; nothing to send"
            self.spool.mark_failed(version, None, message)
            result.failed.append((self.spool.get(version.id), message))
            return None
        try:
            with copy.open("rb") as body:
                response = self._client.post(
                    self.server + UPLOAD_PATH, params=params, headers=headers, content=body
                )
        except httpx.TransportError as error:
            return self._later(
                version, None, f"no answer from {self.server}: {error or type(error).__name__}"
            )
        if response.is_success:
            answer = _answer(response)
            self.spool.mark_sent(version, response.status_code, answer)
            self._failures = 0
            log.info("agent.sent version=%s path=%s answer=%s", version.id, version.path, answer)
            result.sent.append((self.spool.get(version.id), answer))
            return None
        message = f"HTTP {response.status_code}: {_error_text(response)}"
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            return self._later(version, response.status_code, message, _retry_after(response))
        self.spool.mark_failed(version, response.status_code, message)
        log.warning("agent.refused version=%s path=%s error=%s", version.id, version.path, message)
        result.failed.append((self.spool.get(version.id), message))
        return None

    def _later(self, version: Version, status: int | None, message: str, asked: float | None = None) -> float:
        self.spool.note_attempt(version, status, message)
        self._failures += 1
        delay = self.config.backoff.delay(self._failures, self._rng)
        if asked is not None:
            delay = min(max(delay, asked), self.config.backoff.cap)
        self._next_attempt = self._clock() + delay
        log.warning(
            "agent.retry_later version=%s path=%s failures=%s delay=%.1f error=%s",
            version.id,
            version.path,
            self._failures,
            delay,
            message,
        )
        return delay

    # --- running ------------------------------------------------------------------------------

    def run_once(self) -> PassResult:
        """One pass, for cron and tests: look, wait `settle_seconds`, look again (a file must be
        the same at both looks), spool what is stable, send what is pending (once each)."""
        result = PassResult()
        self.spool_changes()
        time.sleep(self.config.settle_seconds)
        result.spooled = self.spool_changes()
        return self.send_pending(result)

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set: look at the folder every `poll_seconds`, send what is
        pending whenever the backoff allows."""
        log.info(
            "agent.started folder=%s server=%s spool=%s", self.config.folder, self.server, self.spool.folder
        )
        while not stop.is_set():
            wait = self.config.poll_seconds
            try:
                self.spool_changes()
                result = self.send_pending()
            except (OSError, sqlite3.Error) as error:  # a full disk, a locked journal: try again later
                log.error("agent.pass_failed error=%s", error)
            else:
                if result.retry_in is not None:
                    wait = min(wait, max(result.retry_in, 0.0))
            stop.wait(wait)
        log.info("agent.stopped folder=%s", self.config.folder)


def _answer(response: httpx.Response) -> str:
    """The server's answer in a few words: "import #12 applied" (and "(again)" for a replay)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    text = f"import #{body.get('import')} {body.get('status')}"
    return text + (" (answered before)" if body.get("replayed") else "")


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        if body.get("error"):
            return str(body["error"])
        if body.get("errors"):
            shown = [str(error.get("text", error)) for error in body["errors"][:5]]
            return f"{body.get('status', 'rejected')}: " + "; ".join(shown)
        if body.get("detail"):
            return json.dumps(body["detail"])[:500]
    return response.text[:500]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
