"""Reading real MIME messages into values (arrears.intake.mailbox.parse_message): raw messages
as Outlook, Gmail and Thunderbird send them (tests/fixtures/mailbox), and messages built with
the standard library's EmailMessage for the cases those do not cover."""

import base64
import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from arrears.intake.mailbox import MAX_KEY_CHARS, attachment_kind, parse_message

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mailbox"
FILES = Path(__file__).resolve().parents[2] / "intake" / "files"
PDF = (MAIL / "invoice-1042.pdf").read_bytes()
CSV = (FILES / "generic_ledger.csv").read_bytes()
XLSX = (FILES / "xero_aged_receivables_detail.xlsx").read_bytes()
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def message(subject: str = "Ledger", message_id: str | None = "<m1@acme.example>") -> EmailMessage:
    built = EmailMessage()
    built["From"] = "Sam Jones <sam@acme.example>"
    built["To"] = "invoices@arrears.example"
    built["Subject"] = subject
    built["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    if message_id:
        built["Message-ID"] = message_id
    built.set_content("Please find the ledger attached.\n")
    return built


def test_outlook_message_decodes_names_finds_nested_parts_and_reads_a_csv_sent_as_excel() -> None:
    received = parse_message((MAIL / "outlook_ledger_and_invoice.eml").read_bytes())

    assert received.key == "AM9PR10MB4321A1B2C3D4E5F60718293A4B5C6@AM9PR10MB4321.EURPRD10.PROD.OUTLOOK.COM"
    assert received.sender == "Jürgen Müller <j.mueller@acme-kontor.example>"
    assert received.subject == "Offene Posten und Rechnung für November"
    assert received.sent_at is not None and received.sent_at.isoformat() == "2026-11-23T08:58:11+00:00"
    assert received.malformed is None
    logo, ledger, invoice = received.attachments
    assert (logo.filename, logo.inline, logo.kind) == ("image001.png", True, "other")
    assert logo.unusable == "an image (image/png), not a ledger or an invoice"
    # an ISO-8859-1 encoded-word name; Windows sends .csv files as application/vnd.ms-excel
    assert (ledger.filename, ledger.content_type, ledger.kind) == (
        "Offene Posten März.csv",
        "application/vnd.ms-excel",
        "csv",
    )
    assert ledger.content == CSV and ledger.unusable is None
    assert (invoice.filename, invoice.kind, invoice.content) == ("INV-1042.pdf", "pdf", PDF)
    assert [a.position for a in received.attachments] == [1, 2, 3]


def test_gmail_message_with_a_workbook_and_a_name_in_two_folded_encoded_words() -> None:
    received = parse_message((MAIL / "gmail_xero_workbook.eml").read_bytes())

    assert received.sender == "Priya Shah <priya.shah.accounts@gmail.com>"
    workbook, invoice = received.attachments
    assert (workbook.filename, workbook.kind, workbook.content) == (
        "Aged_Receivables_Detail.xlsx",
        "xlsx",
        XLSX,
    )
    assert invoice.filename == "Rechnung Nr. 2026-114 – Müller GmbH.pdf"
    assert (invoice.kind, invoice.content, invoice.inline) == ("pdf", PDF, False)


def test_thunderbird_rfc2231_continued_name_and_an_old_xls_said_why_not() -> None:
    received = parse_message((MAIL / "thunderbird_rfc2231.eml").read_bytes())

    assert received.sender == "Amélie Durand <compta@societe-generale-travaux.example>"
    assert received.subject == "Facture n° 2026-114"
    invoice, workbook = received.attachments
    assert invoice.filename == "Facture n° 2026-114 – Société Générale des Travaux.pdf"
    assert invoice.kind == "pdf" and invoice.unusable is None
    assert workbook.kind == "other"
    assert workbook.unusable is not None and "old Excel workbook (.xls)" in workbook.unusable


def test_a_message_cut_short_before_its_closing_boundary_is_malformed_and_yields_nothing() -> None:
    received = parse_message((MAIL / "truncated.eml").read_bytes())

    assert received.malformed is not None and "cut short" in received.malformed
    assert received.attachments == ()
    assert received.key == "truncated-1@acme.example" and received.subject == "ledger"


def test_attachments_are_found_in_a_forwarded_message_nested_in_multipart() -> None:
    inner = message("Fwd original", "<inner@acme.example>")
    inner.add_attachment(CSV, maintype="text", subtype="csv", filename="ledger.csv")
    outer = message("Fwd: Ledger", "<outer@acme.example>")
    outer.add_alternative("<p>see below</p>", subtype="html")
    outer.add_attachment(inner)  # message/rfc822

    received = parse_message(outer.as_bytes())

    assert [(a.filename, a.kind) for a in received.attachments] == [("ledger.csv", "csv")]
    assert received.attachments[0].content == CSV


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [("ledger.csv", CSV, "csv"), ("Aged.XLSX", XLSX, "xlsx"), ("scan.pdf", PDF, "pdf")],
)
def test_octet_stream_attachments_are_known_by_their_names(filename: str, content: bytes, kind: str) -> None:
    built = message()
    built.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)

    (attachment,) = parse_message(built.as_bytes()).attachments

    assert (attachment.filename, attachment.kind, attachment.content) == (filename, kind, content)
    assert attachment.unusable is None


def test_a_nameless_octet_stream_that_is_a_pdf_gets_a_name_and_is_a_pdf() -> None:
    built = message()
    built.add_attachment(PDF, maintype="application", subtype="octet-stream")
    del built.get_payload()[1]["Content-Disposition"]

    (attachment,) = parse_message(built.as_bytes()).attachments

    assert (attachment.filename, attachment.kind) == ("attachment-1.bin", "pdf")


def test_apple_mail_inline_pdf_with_a_name_is_an_attachment_and_the_text_is_not() -> None:
    built = message()
    built.add_attachment(
        PDF, maintype="application", subtype="pdf", filename="INV 7.pdf", disposition="inline"
    )

    (attachment,) = parse_message(built.as_bytes()).attachments

    assert (attachment.filename, attachment.inline, attachment.kind) == ("INV 7.pdf", True, "pdf")


def test_rfc2231_names_written_by_the_standard_library_are_decoded() -> None:
    built = message()
    name = "Débiteurs – ouverts ÄÖÜ 2026 " + "x" * 60 + ".csv"
    built.add_attachment(CSV, maintype="text", subtype="csv", filename=name)
    raw = built.as_bytes(policy=SMTP)
    assert b"filename*0*=utf-8''" in raw  # the name really went out as RFC 2231 continuations

    (attachment,) = parse_message(raw).attachments

    assert attachment.filename == name and attachment.kind == "csv"


def test_a_message_with_only_text_has_no_attachments() -> None:
    built = message()
    built.add_alternative("<p>Please find the ledger attached.</p>", subtype="html")

    received = parse_message(built.as_bytes())

    assert received.attachments == () and received.malformed is None


def test_without_a_message_id_the_key_is_the_hash_of_the_bytes() -> None:
    raw = message(message_id=None).as_bytes()
    other = message("Another", message_id=None).as_bytes()

    assert parse_message(raw).key == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert parse_message(raw).key == parse_message(raw).key != parse_message(other).key
    assert parse_message(raw).message_id is None


def test_a_very_long_message_id_is_hashed_to_fit_the_key() -> None:
    long_id = "<" + "a" * 400 + "@acme.example>"

    received = parse_message(message(message_id=long_id).as_bytes())

    assert received.message_id == long_id[1:-1]
    assert received.key.startswith("id-sha256:") and len(received.key) <= MAX_KEY_CHARS


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\x01\x02 binary junk, no header\n\nmore", b"%PDF-1.4 a file, not a message\n"],
)
def test_bytes_that_are_not_a_message_are_malformed_with_the_reason(raw: bytes) -> None:
    received = parse_message(raw)

    assert received.malformed == "not an email message: it has no header fields"
    assert received.sender == "(no sender)" and received.subject == "(no subject)"
    assert received.key == f"sha256:{hashlib.sha256(raw).hexdigest()}"


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("multipart/mixed", "names no boundary"),
        ('multipart/mixed; boundary="never-there"', "boundary never appears"),
    ],
)
def test_a_multipart_whose_parts_cannot_be_found_is_malformed(content_type: str, reason: str) -> None:
    raw = (
        f"From: sam@acme.example\nSubject: x\nMessage-ID: <b@acme.example>\nContent-Type: {content_type}\n\n"
        "ledger text without parts\n"
    ).encode()

    received = parse_message(raw)

    assert received.malformed is not None and reason in received.malformed
    assert received.attachments == ()


def test_damaged_base64_makes_the_attachment_unusable_not_the_message() -> None:
    raw = (
        b"From: sam@acme.example\nSubject: x\nMessage-ID: <c@acme.example>\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nhi\n'
        b'--b\nContent-Type: text/csv; name="ledger.csv"\nContent-Transfer-Encoding: base64\n\n'
        b"RGVidG9yQ29kZSxOdW1iZXIK!x\n--b--\n"
    )

    received = parse_message(raw)

    (attachment,) = received.attachments
    assert received.malformed is None
    assert attachment.kind == "csv"
    assert attachment.unusable is not None and "base64" in attachment.unusable


def test_empty_files_and_pdfs_that_are_not_pdfs_are_unusable() -> None:
    built = message()
    built.add_attachment(b"", maintype="text", subtype="csv", filename="empty.csv")
    built.add_attachment(
        b"<html>login page</html>", maintype="application", subtype="pdf", filename="inv.pdf"
    )

    empty, fake = parse_message(built.as_bytes()).attachments

    assert empty.unusable == "it is empty (0 bytes)"
    assert fake.unusable == "it is named inv.pdf but is not a PDF document"


def test_a_path_in_a_file_name_is_dropped() -> None:
    built = message()
    built.add_attachment(CSV, maintype="text", subtype="csv", filename="x.csv")
    raw = built.as_bytes().replace(b'filename="x.csv"', b'filename="C:\\\\Exports\\\\..\\\\ledger.csv"')

    (attachment,) = parse_message(raw).attachments

    assert attachment.filename == "ledger.csv"


def test_an_unreadable_date_is_noted_and_a_bad_from_is_kept_as_written() -> None:
    raw = b"From: <<<accounts>>>\nDate: yesterday\nSubject: ledger\nMessage-ID: <d@acme.example>\n\nhi\n"

    received = parse_message(raw)

    assert received.sent_at is None
    assert received.notes == ("the Date header 'yesterday' is not a date",)
    assert received.sender == "<<<accounts>>>"


def test_headers_only_reads_no_attachments_but_keeps_the_size_given() -> None:
    built = message()
    built.add_attachment(PDF, maintype="application", subtype="pdf", filename="big.pdf")
    header = built.as_bytes().split(b"\n\n", 1)[0] + b"\n\n"

    received = parse_message(header, headers_only=True, size=80_000_000)

    assert received.attachments == () and received.size == 80_000_000 and received.malformed is None


@pytest.mark.parametrize(
    ("filename", "content_type", "content", "kind"),
    [
        ("Ledger.CSV", "application/vnd.ms-excel", b"a,b", "csv"),
        ("export.tsv", "text/plain", b"a\tb", "csv"),
        ("noname", "text/csv", b"a,b", "csv"),
        ("noname", XLSX_TYPE[0] + "/" + XLSX_TYPE[1], b"PK\x03\x04", "xlsx"),
        ("scan", "application/octet-stream", b"\r\n%PDF-1.7", "pdf"),
        ("winmail.dat", "application/ms-tnef", b"x", "other"),
        ("report.xls", "application/vnd.ms-excel", b"\xd0\xcf", "other"),
    ],
)
def test_attachment_kind_by_name_then_type_then_content(
    filename: str, content_type: str, content: bytes, kind: str
) -> None:
    assert attachment_kind(filename, content_type, content) == kind


@pytest.mark.parametrize(
    ("filename", "maintype", "subtype", "reason"),
    [
        ("winmail.dat", "application", "ms-tnef", "winmail.dat (TNEF)"),
        ("ledgers.zip", "application", "zip", "an archive"),
        ("smime.p7s", "application", "pkcs7-signature", "digital signature"),
        ("notes.docx", "application", "msword", "a file of type application/msword (.docx)"),
    ],
)
def test_other_files_are_ignored_with_a_reason_a_person_understands(
    filename: str, maintype: str, subtype: str, reason: str
) -> None:
    built = message()
    built.add_attachment(b"content", maintype=maintype, subtype=subtype, filename=filename)

    (attachment,) = parse_message(built.as_bytes()).attachments

    assert attachment.kind == "other"
    assert attachment.unusable is not None and reason in attachment.unusable


def test_quoted_printable_csv_is_decoded_to_its_bytes() -> None:
    body = "Code,Name\r\nA1,Café Ltd\r\n".encode("cp1252")
    raw = (
        b"From: sam@acme.example\nSubject: x\nMessage-ID: <q@acme.example>\n"
        b'Content-Type: text/csv; charset=windows-1252; name="l.csv"\n'
        b"Content-Disposition: attachment\nContent-Transfer-Encoding: quoted-printable\n\n"
        + b"Code,Name=0D=0AA1,Caf=E9 Ltd=0D=0A"
    )

    (attachment,) = parse_message(raw).attachments

    assert attachment.content == body
    assert base64.b64encode(attachment.content)  # bytes, as the importer reads them
