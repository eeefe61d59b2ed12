"""The whole default ladder for one debtor, day by day from a week before the due date, planned
by the real planner, rendered into the outbox and delivered to a real SMTP server on 127.0.0.1:
each email is checked for its sender, brand, amounts and attachments; the call lands in the
worklist; the letters are printed and emailed as copies."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from comms_builders import Received, brand, creditor, customer, invoice, seed, smtp_server

from arrears.comms.channels.email import SmtpSecurity, SmtpSettings, SmtpTransport
from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.dispatcher import Channels, dispatch
from arrears.comms.message import MessageStatus, OutboundAction
from arrears.comms.outbox import enqueue_actions
from arrears.comms.render import InvoiceFolder
from arrears.core.actions import ActionStatus, PastAction
from arrears.core.planner import plan
from arrears.core.snapshot import LedgerSnapshot
from arrears.policies import default_uk
from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.unit_of_work import SqlUnitOfWork

DUE = date(2026, 1, 15)
AMOUNT = "12,345.67"


def _ladder(tmp_path: Path, port: int) -> tuple[SqlUnitOfWork, list[str], list[PastAction]]:
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    upgrade(url)
    uow = SqlUnitOfWork(session_factory(make_engine(url)))
    acme, debtor = creditor(), customer()
    documents = [invoice("INV-1001", DUE, "12345.67", issued=date(2025, 12, 16))]
    seed(uow, acme, brand(acme), [debtor], documents)
    invoices = tmp_path / "invoices" / "ACME"
    invoices.mkdir(parents=True)
    (invoices / "INV-1001.pdf").write_bytes(b"%PDF-1.4 a copy of invoice INV-1001\n%%EOF\n")
    channels_for = lambda: Channels(  # noqa: E731
        email=SmtpTransport(SmtpSettings("127.0.0.1", port, SmtpSecurity.NONE, timeout_seconds=5)),
        letters=LetterPrinter(tmp_path / "letters"),
    )
    history: list[PastAction] = []
    templates: list[str] = []
    snapshot = LedgerSnapshot(acme, (debtor,), tuple(documents))
    day = DUE - timedelta(days=10)
    while day <= DUE + timedelta(days=140):
        result = plan(snapshot, default_uk(), day, history=history)
        for action in result.actions:
            # the creditor approves every legal step on the day it is asked
            history.append(action.as_past(status=ActionStatus.SENT))
            templates.append(action.template)
        morning = datetime.combine(day, time(10, 0), tzinfo=UTC)
        report = enqueue_actions(
            uow,
            "ACME",
            [OutboundAction.from_action(action) for action in result.actions],
            now=morning,
            invoice_files=InvoiceFolder(tmp_path / "invoices"),
        )
        assert report.refused == ()
        dispatch(uow, channels_for(), clock=lambda morning=morning: morning)  # type: ignore[misc]
        day += timedelta(days=1)
    return uow, templates, history


@dataclass
class Ladder:
    uow: SqlUnitOfWork
    templates: list[str]
    received: list[Received]
    folder: Path


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> Ladder:
    """The ladder run once for the module's tests."""
    folder = tmp_path_factory.mktemp("ladder")
    with smtp_server() as server:
        uow, templates, _ = _ladder(folder, server.port)
        received = server.received
    return Ladder(uow, templates, received, folder)


def _attachments(message: EmailMessage) -> list[str]:
    return [
        part.get_filename() or ""
        for part in message.iter_attachments()
        if part.get_content_disposition() == "attachment"
    ]


def test_the_default_ladder_reaches_the_smtp_server_message_by_message(ladder: Ladder) -> None:
    uow, templates, received, tmp_path = ladder.uow, ladder.templates, ladder.received, ladder.folder
    assert templates == [
        "friendly_reminder",
        "due_today",
        "overdue_7_days",
        "overdue_14_days",
        "call_30_days",
        "formal_demand",
        "final_notice",
        "letter_before_action",
        "referral_notice",
    ]
    messages = [r.message for r in received]
    assert all(isinstance(m, EmailMessage) for m in messages)
    keys = [m["X-Arrears-Key"] for m in messages]
    # every step but the call reaches the debtor's inbox (letters as emailed copies), each once
    assert len(keys) == len(set(keys)) == 8
    assert len({m["Message-ID"] for m in messages}) == 8
    expected_attachments = [
        ["INV-1001.pdf"],
        ["INV-1001.pdf"],
        ["statement-C100-2026-01-22.pdf"],
        ["statement-C100-2026-01-29.pdf"],
    ]
    for index, (record, message) in enumerate(zip(received, messages, strict=True)):
        assert record.sender == "credit@acme.example" and record.recipients == ["jo@bloggs.example"]
        assert message["From"] == "Acme Widgets Credit Control <credit@acme.example>"
        assert message["To"] == "jo@bloggs.example" and message["Reply-To"] == "accounts@acme.example"
        assert message["Subject"].endswith(" - Acme Widgets")
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f"£{AMOUNT}" in text and f"£{AMOUNT}" in html, message["Subject"]
        assert "12345.67" not in text  # always as the locale writes it
        assert "company number 09876543" in text and "Sort code" not in text
        assert "Acme Widgets" in html and "#1F3A5F" in html  # the brand's name and colour
        related = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert len(related) == 1 and related[0]["Content-ID"].strip().strip("<>") in html  # the logo, inline
        names = _attachments(message)
        if index < 4:
            assert names == expected_attachments[index]
        else:
            assert len(names) == 1 and names[0].endswith(".pdf")
            pdf = next(message.iter_attachments()).get_content()
            assert pdf.startswith(b"%PDF")
    subjects = [m["Subject"] for m in messages]
    assert subjects[0] == f"Invoice INV-1001 for £{AMOUNT} is due on 15 January 2026 - Acme Widgets"
    assert subjects[2] == f"Overdue: £{AMOUNT} on account C100 - Acme Widgets"
    assert [s.split(":")[0] for s in subjects[4:]] == [
        "Formal demand for payment",
        "Final notice before legal action",
        "Letter before action",
        "Notice of referral",
    ]
    # the call went to the worklist, the letters to the print folders, one batch per day
    with uow:
        (task,) = uow.calls.tasks("ACME")
        statuses = {m.status for m in uow.outbox.list_messages("ACME")}
    assert statuses == {MessageStatus.SENT}
    assert "Whole account: £12,345.67 open" in task.card
    printed = sorted((tmp_path / "letters" / "ACME").glob("*/*.pdf"))
    letters = [p for p in printed if not p.name.startswith("_")]
    batches = [p for p in printed if p.name.startswith("_print-batch")]
    assert len(letters) == 4 and len(batches) == 4


def test_the_letters_interest_is_exact(ladder: Ladder, tmp_path: Path) -> None:
    """The final notice (15 April 2026, 90 days late) states the statutory interest exactly:
    £12,345.67 x 11.75% x 90 / 365 = £357.686..., £357.69, and £100 compensation (a debt of £10,000 or more)."""
    received = ladder.received
    notice = next(r.message for r in received if r.message["Subject"].startswith("Final notice"))
    pdf = next(notice.iter_attachments()).get_content()
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    import subprocess

    text = " ".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "to 15 April 2026, £357.69 in interest and £100.00 in compensation" in text
    assert "11.75% a year" in text
