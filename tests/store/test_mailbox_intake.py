"""Taking a creditor's intake mailbox (a real Maildir) into the store, SQLite and PostgreSQL:
ledgers through the importer, PDFs to key in, everything else recorded with the reason; once
per message; scoped by creditor."""

import mailbox
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.ledger import Creditor
from arrears.intake import mailbox as intake_mailbox
from arrears.intake.mailbox_maildir import MaildirSource
from arrears.services.mailbox_intake import (
    IngestReport,
    ingest_mailbox,
    mailbox_messages,
    mark_keyed,
    pdf_to_key,
    to_key,
)
from arrears.store.unit_of_work import SqlUnitOfWork

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mailbox"
PDF = (MAIL / "invoice-1042.pdf").read_bytes()
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HEADER = "DebtorCode,DebtorName,Email,Type,Number,IssueDate,DueDate,Amount,OpenAmount\n"
GOOD = HEADER + "A1,Abbey Builders Ltd,ap@abbey.example,Invoice,INV-1,2026-07-01,2026-07-31,1000.00,1000.00\n"
BAD = HEADER + "B2,Crown Glazing Ltd,,Invoice,INV-9,31/02/2026,,250.00,250.00\n"


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.creditors.add(Creditor(code="BETA", name="Beta Ltd"))
        uow.commit()
    return uow


def maildir(tmp_path: Path, *messages: bytes, name: str = "Maildir") -> Path:
    path = tmp_path / name
    box = mailbox.Maildir(path, create=True)
    for number, raw in enumerate(messages):
        key = box.add(raw)
        stamp = 1_795_000_000 + number  # delivered in this order
        os.utime(path / "new" / key, (stamp, stamp))
    return path


def ingest(uow: SqlUnitOfWork, creditor: str, path: Path) -> IngestReport:
    with MaildirSource(path) as source:
        return ingest_mailbox(uow, creditor, source, now=NOW)


def built(subject: str, message_id: str | None, *files: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@acme.example>"
    message["To"] = "invoices@arrears.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 08:00:00 +0000"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("Attached.\n")
    for filename, content in files:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()


def open_numbers(uow: SqlUnitOfWork, creditor: str = "ACME") -> set[str]:
    with uow:
        return {number for (_, number) in uow.documents.import_index(creditor)}


def test_a_csv_attachment_is_imported_and_the_outcome_recorded_against_the_message(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    path = maildir(tmp_path, (MAIL / "outlook_ledger_and_invoice.eml").read_bytes())

    report = ingest(acme, "ACME", path)

    (message,) = report.messages
    assert (message.status, message.sender, message.subject) == (
        "taken",
        "Jürgen Müller <j.mueller@acme-kontor.example>",
        "Offene Posten und Rechnung für November",
    )
    assert message.internet_message_id is not None and message.internet_message_id.startswith("AM9PR10MB4321")
    assert message.sent_at == datetime(2026, 11, 23, 8, 58, 11, tzinfo=UTC)
    assert message.received_at == datetime.fromtimestamp(1_795_000_000, UTC)  # delivery, not the Date
    logo, ledger, invoice = message.attachments
    assert (logo.outcome, logo.detail) == ("ignored", "an image (image/png), not a ledger or an invoice")
    assert (ledger.filename, ledger.outcome) == ("Offene Posten März.csv", "imported")
    assert ledger.import_id is not None and ledger.detail.startswith(f"import #{ledger.import_id} applied")
    assert invoice.outcome == "to_key"
    with acme:
        recorded = acme.imports.get("ACME", ledger.import_id)
    assert (recorded.source, recorded.who, recorded.file_name, recorded.status, recorded.profile) == (
        "mailbox",
        "j.mueller@acme-kontor.example (mailbox)",
        "Offene Posten März.csv",
        "applied",
        "generic",
    )
    assert {"INV-1001", "INV-1007", "CN-0012", "INV-1012"} <= open_numbers(acme)
    assert (report.count("imported"), report.count("to_key"), report.count("ignored")) == (1, 1, 1)
    assert os.listdir(path / "new") == [] and len(os.listdir(path / "cur")) == 1


def test_an_xlsx_attachment_is_imported_through_its_detected_profile(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    path = maildir(tmp_path, (MAIL / "gmail_xero_workbook.eml").read_bytes())

    (message,) = ingest(acme, "ACME", path).messages

    workbook, invoice = message.attachments
    assert (workbook.kind, workbook.outcome) == ("xlsx", "imported")
    assert "Xero" in workbook.detail
    assert workbook.import_id is not None
    with acme:
        assert acme.imports.get("ACME", workbook.import_id).profile == "xero_aged_receivables_detail"
    assert open_numbers(acme)  # the workbook's invoices are in the ledger
    assert (invoice.filename, invoice.outcome) == ("Rechnung Nr. 2026-114 – Müller GmbH.pdf", "to_key")


def test_a_pdf_is_listed_to_key_with_sender_subject_date_and_name_until_keyed(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    path = maildir(
        tmp_path,
        (MAIL / "thunderbird_rfc2231.eml").read_bytes(),
        (MAIL / "outlook_ledger_and_invoice.eml").read_bytes(),
    )
    ingest(acme, "ACME", path)

    waiting = to_key(acme, "ACME")

    assert [(a.filename, a.sender, a.subject) for a in waiting] == [
        (
            "Facture n° 2026-114 – Société Générale des Travaux.pdf",
            "Amélie Durand <compta@societe-generale-travaux.example>",
            "Facture n° 2026-114",
        ),
        (
            "INV-1042.pdf",
            "Jürgen Müller <j.mueller@acme-kontor.example>",
            "Offene Posten und Rechnung für November",
        ),
    ]
    assert waiting[0].received_at < waiting[1].received_at and waiting[0].size == len(PDF)
    stored, content = pdf_to_key(acme, "ACME", waiting[0].id)
    assert content == PDF and stored.kind == "pdf"

    keyed = mark_keyed(acme, "ACME", waiting[0].id, who="sam", now=NOW)

    assert (keyed.outcome, keyed.keyed_by, keyed.keyed_at) == ("keyed", "sam", NOW)
    assert [a.id for a in to_key(acme, "ACME")] == [waiting[1].id]
    with pytest.raises(ArrearsError, match="was keyed already, by sam on 2026-11-23 09:30 UTC"):
        mark_keyed(acme, "ACME", waiting[0].id, who="jo", now=NOW)
    assert pdf_to_key(acme, "ACME", waiting[0].id)[1] == PDF  # still kept after keying


def test_a_bad_csv_is_recorded_with_the_importers_errors_while_the_other_file_goes_in(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    raw = built(
        "Two ledgers",
        "<two@acme.example>",
        ("crown.csv", BAD.encode()),
        ("abbey.csv", GOOD.encode()),
        ("binary.csv", b"\x00\x01\x02\x03"),
    )
    path = maildir(tmp_path, raw)

    (message,) = ingest(acme, "ACME", path).messages

    bad, good, binary = message.attachments
    assert bad.outcome == "rejected" and bad.import_id is not None
    first, *errors = bad.detail.splitlines()
    assert (
        first
        == f"import #{bad.import_id} rejected as Arrears generic ledger (CSV or Excel), dates day first: 1 error(s), nothing written"
    )
    assert errors == [
        "crown.csv row 2, column IssueDate: '31/02/2026' is not a date (day first, e.g. 23/11/2026 or 2026-11-23)"
    ]
    assert good.outcome == "imported" and good.import_id == bad.import_id + 1
    assert (binary.outcome, binary.import_id) == ("rejected", None)
    assert "binary.csv" in binary.detail and "NUL bytes" in binary.detail
    assert open_numbers(acme) == {"INV-1"}  # all or nothing per file: nothing of crown.csv
    with acme:
        assert acme.imports.get("ACME", bad.import_id).status == "rejected"


def test_running_again_changes_nothing_even_when_someone_marks_the_messages_unread(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    path = maildir(
        tmp_path,
        (MAIL / "outlook_ledger_and_invoice.eml").read_bytes(),
        built("no id", None, ("abbey.csv", GOOD.encode())),
        b"From: x@y.example\nSubject: hello\nMessage-ID: <plain@y.example>\n\njust text\n",
    )
    first = ingest(acme, "ACME", path)
    with acme:
        imports = acme.imports.list_recent("ACME")
    assert len(first.messages) == 3

    again = ingest(acme, "ACME", path)
    for name in os.listdir(path / "cur"):  # a person marks them all unread again
        os.rename(path / "cur" / name, path / "new" / name.split(":")[0])
    unread = ingest(acme, "ACME", path)

    assert (again.messages, again.already_taken) == ((), 0)
    assert (unread.messages, unread.already_taken) == ((), 3)
    assert len(mailbox_messages(acme, "ACME")) == 3
    with acme:
        assert acme.imports.list_recent("ACME") == imports
    assert len(os.listdir(path / "cur")) == 3 and os.listdir(path / "new") == []


def test_messages_without_a_usable_attachment_are_recorded_with_the_reason(
    acme: SqlUnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = built("scan", "<huge@acme.example>", ("scan.pdf", PDF + b"\n%" + b"x" * 4000))
    path = maildir(
        tmp_path,
        (MAIL / "truncated.eml").read_bytes(),
        b"From: x@y.example\nSubject: hello\nDate: someday\nMessage-ID: <plain@y.example>\n\njust text\n",
        built("pictures", "<pics@acme.example>", ("photo.jpg", b"\xff\xd8\xff\xe0 jpeg")),
        b"\x00\x01 not a message at all",
        huge,
    )
    monkeypatch.setattr(intake_mailbox, "MAX_MESSAGE_BYTES", len(huge) - 1)

    report = ingest(acme, "ACME", path)

    assert [(m.subject, m.status, m.note) for m in report.messages] == [
        (
            "ledger",
            "malformed",
            intake_mailbox._STRUCTURE[intake_mailbox.email_errors.CloseBoundaryNotFoundDefect],
        ),
        (
            "hello",
            "ignored",
            "no attachment: nothing to import or key in; the Date header 'someday' is not a date",
        ),
        ("pictures", "ignored", "no ledger (CSV, .xlsx) or PDF invoice among its attachments"),
        ("(no subject)", "malformed", "not an email message: it has no header fields"),
        (
            "scan",
            "ignored",
            f"the message is {len(huge):,} bytes, more than the {len(huge) - 1:,} bytes Arrears reads: "
            "its attachments were not read; import the files with `arrears import`",
        ),
    ]
    assert report.messages[2].attachments[0].detail == "an image (image/jpeg), not a ledger or an invoice"
    assert report.messages[3].key.startswith("sha256:")
    assert report.messages_with("malformed") == 2 and open_numbers(acme) == set()
    assert os.listdir(path / "new") == []  # every one of them is marked: nothing left behind unrecorded


def test_tenants_never_see_each_other_and_each_takes_its_own_copy(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    raw = (MAIL / "outlook_ledger_and_invoice.eml").read_bytes()
    ingest(acme, "ACME", maildir(tmp_path, raw, name="acme"))
    (acme_pdf,) = to_key(acme, "ACME")

    assert to_key(acme, "BETA") == [] and mailbox_messages(acme, "BETA") == []
    with pytest.raises(NotFoundError, match=f"creditor BETA has no mailbox attachment #{acme_pdf.id}"):
        mark_keyed(acme, "BETA", acme_pdf.id, who="mallory", now=NOW)
    with pytest.raises(NotFoundError, match="creditor BETA has no mailbox attachment"):
        pdf_to_key(acme, "BETA", acme_pdf.id)
    assert to_key(acme, "ACME")[0].outcome == "to_key"  # untouched by BETA's attempt

    beta = ingest(acme, "BETA", maildir(tmp_path, raw, name="beta"))  # the same message, BETA's mailbox

    assert len(beta.messages) == 1 and beta.already_taken == 0
    assert open_numbers(acme, "BETA") == open_numbers(acme, "ACME") != set()
    assert [a.id for a in to_key(acme, "BETA")] != [acme_pdf.id]


def test_an_unknown_creditor_reads_nothing_and_marks_nothing(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    path = maildir(tmp_path, (MAIL / "outlook_ledger_and_invoice.eml").read_bytes())

    with pytest.raises(NotFoundError, match="there is no creditor 'NOPE'"):
        ingest(acme, "NOPE", path)

    assert len(os.listdir(path / "new")) == 1
