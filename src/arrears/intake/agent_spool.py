"""The sync agent's spool: a copy of every file version it is to send, and a journal on disk
of what became of each, so that nothing is lost while the server is down and nothing is sent
twice, across restarts of the agent.

    spool/
      journal.sqlite3   the journal (SQLite, in the standard library: no server, atomic commits)
      files/            one copy per version not yet acknowledged
      agent.lock        held while an agent uses the spool: two agents on one spool would race

A **version** is a file's content at one path (its SHA-256). The journal holds:
- `versions`: every version spooled, with its idempotency key (made when it is spooled and sent
  with every attempt, so the server answers a retry whose first answer was lost with that first
  answer) and its state: `pending` (to send), `sent` (the server acknowledged it with a 2xx; the
  copy is deleted), `failed` (the server refused it for good, e.g. 401 or 422: recorded, not
  retried until a person runs `arrears agent retry`), `superseded` (a full ledger not yet sent
  when a newer version of the same file was spooled: the newer one says everything it said).
  `(path, sha256)` is unique: a version once spooled is never spooled, so never sent, again;
- `files`: the size and modification time last seen for each path, with its hash, so an
  unchanged file is not read again at every poll or after a restart.

The copy is written next to its final name, flushed to disk, checked against the size and time
the file had when it was found stable (a file that changed while being copied is left for the
next poll) and renamed into place before the journal row is committed; a copy left without a
row by a crash is removed when the spool is next opened.
"""

import hashlib
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from arrears.core.errors import ArrearsError

JOURNAL = "journal.sqlite3"
FILES = "files"
LOCK = "agent.lock"
_CHUNK = 1 << 20
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    mode TEXT NOT NULL,
    spool_file TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    spooled_at TEXT NOT NULL,
    sent_at TEXT,
    http_status INTEGER,
    last_error TEXT,
    answer TEXT,
    UNIQUE (path, sha256)
);
"""


class SpoolError(ArrearsError):
    """The spool cannot be used: locked by another agent, or kept for another folder."""


@dataclass(frozen=True, slots=True)
class Version:
    """One spooled version of a file and what became of it."""

    id: int
    path: str  # relative to the watched folder, with forward slashes
    size: int
    sha256: str
    mode: str
    spool_file: str
    idempotency_key: str
    state: str
    attempts: int
    spooled_at: str
    sent_at: str | None
    http_status: int | None
    last_error: str | None
    answer: str | None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-80:] or "file"


class Spool:
    """The spool folder of one agent (see the module docstring). Use it in a `with` block, or
    `close()` it: the lock is held until then.

    `exclusive=False` opens the journal of a spool an agent may be running on, without the
    lock (`arrears agent status` and `retry`): SQLite serialises the writes, and nothing in
    `files/` is touched.
    """

    def __init__(self, folder: Path, *, watched: Path, exclusive: bool = True) -> None:
        self.folder = folder
        self.files = folder / FILES
        self.files.mkdir(parents=True, exist_ok=True)
        self._lock_handle: IO[bytes] | None = _lock(folder / LOCK) if exclusive else None
        try:
            # One agent uses it from one thread at a time, not always the thread that opened it.
            self._db = sqlite3.connect(
                folder / JOURNAL, isolation_level=None, timeout=30, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)
            self._claim(watched)
            if exclusive:
                self._remove_strays()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            self._db = None  # type: ignore[assignment]
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _claim(self, watched: Path) -> None:
        """A spool serves one folder: its relative paths mean nothing for another."""
        folder = str(watched.resolve())
        row = self._db.execute("SELECT value FROM meta WHERE key = 'folder'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta (key, value) VALUES ('folder', ?)", (folder,))
        elif row["value"] != folder:
            raise SpoolError(
                f"the spool {self.folder} belongs to the folder {row['value']}, not {folder}: "
                "give each watched folder a spool of its own (--spool)"
            )

    def _remove_strays(self) -> None:
        known = {row["spool_file"] for row in self._db.execute("SELECT spool_file FROM versions")}
        for path in self.files.iterdir():
            if path.name not in known:
                path.unlink(missing_ok=True)

    # --- what is known of the folder -----------------------------------------------------------

    def known_stat(self, path: str) -> tuple[int, int] | None:
        """(size, mtime_ns) last seen for `path` when it was hashed, or None."""
        row = self._db.execute("SELECT size, mtime_ns FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else (row["size"], row["mtime_ns"])

    def add(self, path: str, source: Path, stat: tuple[int, int], mode: str) -> Version | None:
        """Copy the file at `source` (found stable at `stat`) into the spool as a new version of
        `path`; None if this content was spooled for `path` before, or the file changed while
        it was being copied (the next poll looks again)."""
        key = uuid.uuid4().hex
        name = f"{key[:16]}-{_safe_name(source.name)}"
        partial = self.files / f"{name}.partial"
        try:
            digest, size = _copy(source, partial)
            after = source.stat()
        except FileNotFoundError:
            partial.unlink(missing_ok=True)
            return None
        if (after.st_size, after.st_mtime_ns) != stat or size != stat[0]:
            partial.unlink(missing_ok=True)
            return None
        with self._transaction() as db:
            db.execute(
                "INSERT INTO files (path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
                "sha256 = excluded.sha256",
                (path, stat[0], stat[1], digest),
            )
            seen = db.execute(
                "SELECT 1 FROM versions WHERE path = ? AND sha256 = ?", (path, digest)
            ).fetchone()
            if seen is not None:
                partial.unlink(missing_ok=True)
                return None
            os.replace(partial, self.files / name)
            cursor = db.execute(
                "INSERT INTO versions (path, size, mtime_ns, sha256, mode, spool_file, idempotency_key, "
                "state, spooled_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (path, size, stat[1], digest, mode, name, key, _now()),
            )
            version_id = cursor.lastrowid
            superseded: list[str] = []
            if mode == "full":
                superseded = [
                    row["spool_file"]
                    for row in db.execute(
                        "SELECT spool_file FROM versions WHERE path = ? AND state = 'pending' AND id < ?",
                        (path, version_id),
                    )
                ]
                db.execute(
                    "UPDATE versions SET state = 'superseded', last_error = ? "
                    "WHERE path = ? AND state = 'pending' AND id < ?",
                    (
                        f"a newer version was spooled (#{version_id}) before this one was sent",
                        path,
                        version_id,
                    ),
                )
        for stale in superseded:
            (self.files / stale).unlink(missing_ok=True)
        assert version_id is not None
        return self.get(version_id)

    # --- sending ------------------------------------------------------------------------------

    def pending(self) -> list[Version]:
        """Versions to send, in the order they were spooled."""
        return self._versions("WHERE state = 'pending' ORDER BY id")

    def get(self, version_id: int) -> Version:
        found = self._versions("WHERE id = ?", (version_id,))
        if not found:
            raise SpoolError(f"the spool has no version #{version_id}")
        return found[0]

    def recent(self, limit: int = 50) -> list[Version]:
        return self._versions("ORDER BY id DESC LIMIT ?", (limit,))

    def copy_of(self, version: Version) -> Path:
        return self.files / version.spool_file

    def mark_sent(self, version: Version, http_status: int, answer: str) -> None:
        """The server acknowledged it: never sent again; the copy is no longer needed."""
        with self._transaction() as db:
            db.execute(
                "UPDATE versions SET state = 'sent', attempts = attempts + 1, sent_at = ?, http_status = ?, "
                "answer = ?, last_error = NULL WHERE id = ?",
                (_now(), http_status, answer, version.id),
            )
        self.copy_of(version).unlink(missing_ok=True)

    def mark_failed(self, version: Version, http_status: int | None, error: str) -> None:
        """The server refused it for good: recorded, kept (for `retry`), not sent again by itself."""
        with self._transaction() as db:
            db.execute(
                "UPDATE versions SET state = 'failed', attempts = attempts + 1, http_status = ?, "
                "last_error = ? WHERE id = ?",
                (http_status, error, version.id),
            )

    def note_attempt(self, version: Version, http_status: int | None, error: str) -> None:
        """An attempt that may succeed later (server down, busy, timed out)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE versions SET attempts = attempts + 1, http_status = ?, last_error = ? WHERE id = ?",
                (http_status, error, version.id),
            )

    def retry_failed(self, version_id: int | None = None) -> int:
        """Put failed versions (all, or one) back to pending; returns how many."""
        where, parameters = "state = 'failed'", ()
        if version_id is not None:
            where, parameters = "state = 'failed' AND id = ?", (version_id,)  # type: ignore[assignment]
        with self._transaction() as db:
            cursor = db.execute(f"UPDATE versions SET state = 'pending' WHERE {where}", parameters)
        return cursor.rowcount

    def _versions(self, clause: str, parameters: tuple[object, ...] = ()) -> list[Version]:
        rows = self._db.execute(
            "SELECT id, path, size, sha256, mode, spool_file, idempotency_key, state, attempts, spooled_at, "
            f"sent_at, http_status, last_error, answer FROM versions {clause}",
            parameters,
        )
        return [Version(**dict(row)) for row in rows]


def _copy(source: Path, target: Path) -> tuple[str, int]:
    """Copy `source` to `target`, flushed to disk; the SHA-256 and size of what was copied."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def _lock(path: Path) -> IO[bytes]:
    """Hold an exclusive lock on `path` (released when the handle is closed, or the process ends)."""
    handle = path.open("a+b")
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SpoolError(
            f"another agent is using the spool {path.parent}: run one agent per spool (--spool)"
        ) from None
    return handle
