"""Letters: PDFs on the creditor's letterhead, one per letter, and one print batch per day.

Each letter is rendered once, when it is queued (its PDF is the message's attachment).
Delivering it writes the PDF to the day's print folder,

    <root>/<creditor>/<YYYY-MM-DD>/<idempotency key>.pdf

(the same name on a retry, so a letter is never printed twice; a letter delivered again after
an interruption, possibly on a later day, is found in the folder it was first written to and
not written again: `deliver(..., again=True)`), and `build_print_batch`
combines that day's letters, in name order, into `<root>/<creditor>/<YYYY-MM-DD>/_print-batch-<creditor>-<YYYY-MM-DD>.pdf`
for the print room, with a blank page after each letter of an odd number of pages when the
batch is printed on both sides. Posting is outside Arrears: print, fold (the address sits in
the window of a DL or C5 envelope, see `templates/en/letter/_layout.html`) and post, or hand
the batch to a print-and-post service.
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from arrears.comms.channels import Delivered, DeliveryError
from arrears.comms.message import RenderedMessage

BATCH_PREFIX = "_print-batch-"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


@dataclass(frozen=True, slots=True)
class LetterPrinter:
    """Writes letters into the print folders under `root`."""

    root: Path
    duplex: bool = False

    def folder(self, creditor: str, day: date) -> Path:
        return self.root / _safe(creditor) / day.isoformat()

    def printed(self, creditor: str, key: str) -> Path | None:
        """The letter with idempotency key `key` if a delivery already wrote it, in any day's
        folder (a retry after a crash may come on another day)."""
        root = self.root / _safe(creditor)
        found = sorted(root.glob(f"*/{_safe(key)}.pdf")) if root.is_dir() else []
        return found[0] if found else None

    @staticmethod
    def day_of(path: Path) -> date:
        """The print day of a letter written by `deliver` (its folder's name)."""
        return date.fromisoformat(path.parent.name)

    def deliver(self, message: RenderedMessage, day: date, *, again: bool = False) -> Delivered:
        """Write the letter into `day`'s print folder. `again`: an earlier try may have written
        it (the dispatcher was interrupted before recording it); then the letter already in a
        print folder is the delivery, and nothing is written."""
        pdfs = [a for a in message.attachments if a.media_type == "application/pdf"]
        if not pdfs:
            raise DeliveryError(f"letter {message.idempotency_key} has no PDF to print", permanent=True)
        if again:
            earlier = self.printed(message.creditor, message.idempotency_key)
            if earlier is not None:
                return Delivered(str(earlier), f"already printed to {earlier} (not printed again)")
        folder = self.folder(message.creditor, day)
        path = folder / f"{_safe(message.idempotency_key)}.pdf"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            staging = path.with_suffix(".pdf.part")
            staging.write_bytes(pdfs[0].data)
            staging.replace(path)
        except OSError as error:
            raise DeliveryError(f"cannot write the letter to {folder}: {error.strerror}") from None
        return Delivered(str(path), f"printed to {path}")

    def build_print_batch(self, creditor: str, day: date) -> Path | None:
        """Combine the day's letters into one PDF; None when there were none."""
        from pypdf import PdfReader, PdfWriter

        folder = self.folder(creditor, day)
        letters = (
            sorted(p for p in folder.glob("*.pdf") if not p.name.startswith(BATCH_PREFIX))
            if folder.is_dir()
            else []
        )
        if not letters:
            return None
        writer = PdfWriter()
        for letter in letters:
            reader = PdfReader(io.BytesIO(letter.read_bytes()))
            for page in reader.pages:
                writer.add_page(page)
            if self.duplex and len(reader.pages) % 2:
                box = reader.pages[-1].mediabox
                writer.add_blank_page(width=box.width, height=box.height)
        batch = folder / f"{BATCH_PREFIX}{_safe(creditor)}-{day.isoformat()}.pdf"
        buffer = io.BytesIO()
        writer.write(buffer)
        staging = batch.with_suffix(".pdf.part")
        staging.write_bytes(buffer.getvalue())
        staging.replace(batch)
        return batch
