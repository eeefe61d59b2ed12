"""A Maildir as a creditor's intake mailbox, read with the standard library's `mailbox.Maildir`.

    with MaildirSource(Path("/srv/mail/acme-invoices")) as source:
        for incoming in source.incoming(None):
            ...
            source.mark_taken(incoming.ref)

The unseen messages are those in `new/` and those in `cur/` without the `S` (seen) flag, the
Maildir convention for unread mail, oldest delivery first. Taking one moves it to `cur/` with
the `S` flag added: a rename, as the Maildir format and every mail program do it, so the
message's bytes are never rewritten and it is never deleted.
"""

import mailbox
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from arrears.intake import mailbox as intake
from arrears.intake.mailbox import Incoming, MailboxError


class MaildirSource:
    """A Maildir (`cur`, `new`, `tmp`) as a creditor's intake mailbox."""

    kind = "maildir"

    def __init__(self, path: Path) -> None:
        missing = [name for name in ("cur", "new", "tmp") if not (path / name).is_dir()]
        if missing:
            raise MailboxError(
                f"{path} is not a Maildir: it has no {', '.join(missing)} folder(s) "
                "(a Maildir holds cur, new and tmp)"
            )
        self.path = path
        self.label = str(path.resolve())
        self._box = mailbox.Maildir(path, factory=None, create=False)
        self._paths: dict[str, Path] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._box.close()

    def incoming(self, position: str | None) -> Iterator[Incoming]:
        """Unseen messages (in `new/`, or in `cur/` without the S flag), by delivery time."""
        found: list[tuple[float, str, Path]] = []
        colon = self._box.colon
        for folder in ("new", "cur"):
            for entry in os.scandir(self.path / folder):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                key, _, info = entry.name.partition(colon)
                if folder == "cur" and "S" in info.partition(",")[2]:
                    continue
                try:
                    found.append((entry.stat().st_mtime, key, Path(entry.path)))
                except FileNotFoundError:
                    continue  # moved by a mail program since the listing: it is no longer there
        for delivered, key, path in sorted(found):
            self._paths[key] = path
            try:
                size = path.stat().st_size
                raw = _header_bytes(path) if size > intake.MAX_MESSAGE_BYTES else self._box.get_bytes(key)
            except (FileNotFoundError, KeyError):
                continue  # removed or moved since the listing; if moved, the next run sees it
            yield Incoming(key, raw, size, datetime.fromtimestamp(delivered, UTC))

    def mark_taken(self, ref: str) -> None:
        """Move the message to `cur/` with the S flag added (a rename: its bytes stay as they are)."""
        path = self._paths.get(ref)
        if path is None or not path.exists():
            return  # moved or removed by someone else since it was read: nothing to mark
        colon = self._box.colon
        key, _, info = path.name.partition(colon)
        flags = set(info.partition(",")[2]) if info.startswith("2,") else set()
        target = self.path / "cur" / f"{key}{colon}2,{''.join(sorted(flags | {'S'}))}"
        os.replace(path, target)
        self._paths[ref] = target


def _header_bytes(path: Path) -> bytes:
    """The header of a message file (up to the first blank line, at most 1 MB)."""
    lines: list[bytes] = []
    total = 0
    with path.open("rb") as handle:
        for line in handle:
            if line in (b"\n", b"\r\n") or total > 1 << 20:
                break
            lines.append(line)
            total += len(line)
    return b"".join(lines) + b"\n"
