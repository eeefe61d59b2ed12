"""Letters: PDFs on the letterhead with the address in the envelope window, checked by
extracting the text back (pdftotext) and rendering pages (pdftoppm); print folders and the
day's print batch."""

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice

from arrears.comms.channels.letter import BATCH_PREFIX, LetterPrinter
from arrears.comms.message import OutboundAction, RenderedMessage
from arrears.comms.render import render_action
from arrears.core.ledger import DebtorFlag
from arrears.core.policy import Channel

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="needs poppler-utils (pdftotext, pdftoppm): apt-get install poppler-utils",
)

MM = 72 / 25.4  # PDF points per millimetre
WINDOW = (20.0, 45.0, 110.0, 90.0)  # left, top, right, bottom in mm: a DL/C5 window envelope
A4 = (210.0, 297.0)


@dataclass(frozen=True)
class Word:
    text: str
    page: int
    left: float
    top: float
    right: float
    bottom: float  # millimetres from the page's top-left corner


def words(pdf: bytes, tmp_path: Path) -> tuple[list[Word], list[tuple[float, float]]]:
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    found: list[Word] = []
    sizes: list[tuple[float, float]] = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", html, re.S)):
        width, height = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', page).groups())  # type: ignore[union-attr]
        sizes.append((width / MM, height / MM))
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            found.append(Word(text, number, float(x0) / MM, float(y0) / MM, float(x1) / MM, float(y1) / MM))
    return found, sizes


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout


def _letter(template: str = "formal_demand", **debtor_fields: object) -> RenderedMessage:
    return render_action(
        OutboundAction(
            "ACME",
            "C100",
            "formal demand",
            Channel.LETTER,
            template,
            ("INV-1",),
            "letter-1",
            "r",
            date(2026, 5, 4),
        ),
        creditor=creditor(),
        debtor=customer(**debtor_fields),  # type: ignore[arg-type]
        documents=[
            invoice("INV-1", date(2026, 2, 20), "2450.00"),
            invoice("INV-9", date(2026, 6, 1), "10.00"),
        ],
        brand=brand(),
        now=NOW,
    )[0]


def test_letter_text_reads_back_from_the_pdf(tmp_path: Path) -> None:
    text = text_of(_letter().attachments[0].data, tmp_path)
    assert "Formal demand for payment" in text
    assert "We now require payment of £2,450.00 within 7 days, by 11 May 2026." in " ".join(text.split())
    assert "Acme Widgets" in text and "company number 09876543" in text
    assert "Sort code" not in text and "sort code 20-20-15, account number 55555555" in " ".join(text.split())
    assert "Statement of account" in text and "INV-9" in text  # the statement lists every open document


def test_address_sits_in_the_envelope_window_on_an_a4_page(tmp_path: Path) -> None:
    found, sizes = words(_letter().attachments[0].data, tmp_path)
    assert all(abs(w - A4[0]) < 0.5 and abs(h - A4[1]) < 0.5 for w, h in sizes)
    left, top, right, bottom = WINDOW
    address = ["Bloggs", "Building", "Supplies", "Ltd", "Jo", "12", "Canal", "Street", "Leeds", "LS2", "7AA"]
    first_page = [w for w in found if w.page == 0]
    for token in address:
        placed = [w for w in first_page if w.text == token and w.left < right]
        assert placed, token
        for word in placed[:1]:
            assert left <= word.left and word.right <= right and top <= word.top and word.bottom <= bottom, (
                word
            )
    # nothing else of the letter shows through the window
    inside = {
        w.text
        for w in first_page
        if w.left >= left and w.right <= right and w.top >= top + 4 and w.bottom <= bottom
    }
    assert inside <= {*address, "For", "the", "attention", "of"}, inside
    # the body starts below the window, the letterhead above it
    dear = next(w for w in first_page if w.text == "Dear")
    assert dear.top > bottom
    assert next(w for w in first_page if w.text == "Widgets").bottom < top


def test_a_long_address_is_kept_inside_the_window(tmp_path: Path) -> None:
    from arrears.core.ledger import PostalAddress

    long = PostalAddress(
        ("Unit 7, The Old Mill Business Park", "Long Lane", "Little Snoring", "Fakenham", "Norfolk"),
        "NR21 0AA",
    )
    found, _ = words(_letter(address=long).attachments[0].data, tmp_path)
    for word in (w for w in found if w.page == 0 and w.text in ("Mill", "Snoring", "Norfolk", "NR21")):
        assert WINDOW[0] <= word.left and word.right <= WINDOW[2] and word.bottom <= WINDOW[3], word


def test_letter_of_claim_has_its_enclosures_as_pages(tmp_path: Path) -> None:
    letter = _letter("letter_of_claim_debt_protocol", flags=frozenset({DebtorFlag.INDIVIDUAL}))
    found, sizes = words(letter.attachments[0].data, tmp_path)
    first_words = {}
    for page in range(len(sizes)):
        on_page = [w.text for w in found if w.page == page]
        first_words[page] = " ".join(on_page[:40])
    headings = ["Statement of account", "Information sheet", "Reply form", "Financial statement"]
    starts = [
        next(
            p for p, text in first_words.items() if heading.split()[0] in text and heading.split()[1] in text
        )
        for heading in headings
    ]
    assert starts == sorted(starts) and len(set(starts)) == 4, first_words
    text = " ".join(text_of(letter.attachments[0].data, tmp_path).split())
    assert "reply within 30 days, by 3 June 2026" in text
    assert "I do not owe the debt, because:" in text


def test_first_page_renders_to_an_image_that_looks_like_a_letter(tmp_path: Path) -> None:
    from PIL import Image

    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(_letter().attachments[0].data)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("RGB")
    width, height = image.size
    assert abs(height / width - A4[1] / A4[0]) < 0.01

    # ink in the letterhead (brand colour), in the address window, and in the body; white margins
    def ink(box: tuple[float, float, float, float]) -> int:
        x0, y0, x1, y1 = (
            int(v / A4[0] * width) if i % 2 == 0 else int(v / A4[1] * height) for i, v in enumerate(box)
        )
        return sum(1 for x in range(x0, x1) for y in range(y0, y1) if sum(image.getpixel((x, y))) < 600)  # type: ignore[arg-type]

    assert ink((150, 5, 190, 15)) > 20  # the letterhead's name
    assert ink((20, 50, 100, 75)) > 50  # the address
    assert ink((20, 110, 190, 200)) > 200  # the body
    assert ink((0, 120, 12, 180)) == 0  # the left margin


def test_print_folder_keeps_one_pdf_per_letter_and_the_batch_combines_the_day(tmp_path: Path) -> None:
    from pypdf import PdfReader

    printer = LetterPrinter(tmp_path, duplex=True)
    day = date(2026, 5, 4)
    first = _letter()
    second = render_action(
        OutboundAction(
            "ACME", "C200", "final notice", Channel.LETTER, "final_notice", ("INV-5",), "letter-2", "r", day
        ),
        creditor=creditor(),
        debtor=customer(account_code="C200", name="Second Customer Ltd"),
        documents=[invoice("INV-5", date(2026, 1, 10), "300.00", debtor_code="C200")],
        brand=brand(),
        now=NOW,
    )[0]
    printer.deliver(first, day)
    printer.deliver(first, day)  # a retry: the same file, not a second letter
    printer.deliver(second, day)
    folder = tmp_path / "ACME" / "2026-05-04"
    assert sorted(p.name for p in folder.iterdir()) == ["letter-1.pdf", "letter-2.pdf"]
    batch = printer.build_print_batch("ACME", day)
    assert batch is not None and batch.name == f"{BATCH_PREFIX}ACME-2026-05-04.pdf"
    pages = [len(PdfReader(folder / name).pages) for name in ("letter-1.pdf", "letter-2.pdf")]
    padded = sum(n + n % 2 for n in pages)  # duplex: each letter starts on a new sheet
    assert len(PdfReader(batch).pages) == padded
    assert printer.build_print_batch("ACME", date(2026, 5, 5)) is None
