"""A sample brand for the demo and the previews: complete, fictional, and safe to send.

Phone numbers are from Ofcom's range reserved for drama (0113 496 0xxx), domains end in
`.example` (RFC 2606), and the IBAN is the well-known example account GB33 BUKB 2020 1555
5555 55, so nothing here can reach a real person or bank account.
"""

import struct
import zlib

from arrears.comms.brand import Brand, Colours, Letterhead, Logo, PaymentDetails, Sender
from arrears.core.ledger import Creditor, PostalAddress


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def sample_logo(primary: str = "#1F3A5F", accent: str = "#0B6E4F") -> Logo:
    """A small PNG badge in the brand colours (two bands and a square mark)."""
    width, height = 120, 40

    def rgb(colour: str) -> bytes:
        return bytes(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    top, bottom, white = rgb(primary), rgb(accent), b"\xff\xff\xff"
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            in_mark = 8 <= x < 32 and 8 <= y < 32
            row += white if in_mark else (top if y < 28 else bottom)
        rows.append(bytes(row))
    return Logo("image/png", _png(width, height, rows))


def sample_brand(creditor: Creditor) -> Brand:
    """A complete white-label brand for `creditor`, with fictional contact and bank details."""
    slug = "".join(ch for ch in creditor.code.lower() if ch.isalnum()) or "creditor"
    colours = Colours(primary="#1F3A5F", accent="#0B6E4F")
    return Brand(
        creditor=creditor.code,
        trading_name=creditor.name,
        legal_name=f"{creditor.name} Ltd" if not creditor.name.endswith(("Ltd", "Limited", "plc")) else None,
        letterhead=Letterhead(
            address=PostalAddress(("Unit 4, Riverside Park", "Leeds"), "LS1 4AB"),
            company_number="09876543",
            vat_number="GB 123 4567 89",
            registered_in="England and Wales",
            website=f"https://{slug}.example",
        ),
        colours=colours,
        logo=sample_logo(colours.primary, colours.accent),
        sender=Sender(
            name=f"{creditor.name} Credit Control",
            email=f"credit@{slug}.example",
            reply_to=f"accounts@{slug}.example",
        ),
        signature="Sam Taylor\nCredit Controller",
        phone="0113 496 0123",
        payment=PaymentDetails(
            account_name=f"{creditor.name} Ltd",
            iban="GB33BUKB20201555555555",
            bic="BUKBGB22",
            sort_code="20-20-15",
            account_number="55555555",
            payment_link=f"https://pay.{slug}.example/invoices",
        ),
        portal_url=f"https://portal.{slug}.example",
        sms_sender="".join(ch for ch in creditor.name if ch.isascii() and ch.isalnum())[:11] or "Arrears",
    )
