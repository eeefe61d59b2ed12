"""The embedded default for email: a Maildir in the workspace instead of an SMTP server.

With no SMTP server configured, `arrears send` writes each email into
`<workspace>/outbox/maildir/new/` as an `.eml` file any mail client can open (and the Maildir as
a whole can be opened by mutt, Thunderbird's import, or Python's `mailbox.Maildir`). A file is
written to `tmp/` first and renamed into `new/`, as the Maildir format requires, so a reader
never sees half a message. The file name comes from the creditor and the idempotency key (a key
is unique per creditor only): delivering the same message again replaces the file with identical
bytes, so a retry after a crash never makes a second message, and two creditors' messages with
the same key are two files.
"""

import os
import re
from collections.abc import Sequence
from pathlib import Path

from arrears.comms.channels import Delivered, DeliveryError


class MaildirTransport:
    """Writes emails into a Maildir (`cur`, `new`, `tmp` under `root`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folders(self) -> tuple[Path, Path]:
        try:
            for name in ("cur", "new", "tmp"):
                (self.root / name).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeliveryError(
                f"cannot create the maildir {self.root}: {error.strerror}", permanent=True
            ) from None
        return self.root / "tmp", self.root / "new"

    @staticmethod
    def file_name(key: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".eml"

    def send(self, raw: bytes, sender: str, recipients: Sequence[str], *, key: str = "") -> Delivered:
        tmp, new = self._folders()
        name = self.file_name(key or str(abs(hash(raw))))
        staging = tmp / f"{name}.{os.getpid()}"
        try:
            with open(staging, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(staging, new / name)
        except OSError as error:
            raise DeliveryError(f"cannot write to the maildir {self.root}: {error.strerror}") from None
        return Delivered(str(new / name), f"written to {new / name}")

    def close(self) -> None:
        """Nothing to close; here so that a maildir can stand in for an SMTP transport."""
