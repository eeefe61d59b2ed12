"""`arrears plan remind` end to end: a plan agreed, a brand set, the reminder queued three days
before the first instalment, once, and delivered to the workspace maildir by `arrears send`."""

from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from cli_support import failed_with_one_line, run_in_process, succeeded

from arrears.core.ledger import Contact, Creditor, Debtor, Document, DocumentKind
from arrears.core.money import Money
from arrears.settings import DATABASE_FILE
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)
C = ("--creditor", "ACME")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    succeeded(run_in_process(workspace, "init"))
    engine = make_engine(f"sqlite:///{workspace / DATABASE_FILE}")
    amount = Money.of("900.00", "GBP")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            uow.creditors.add(Creditor("ACME", "Acme Supplies Ltd"))
            uow.debtors.add(
                "ACME",
                [
                    Debtor(
                        "ACME",
                        "D1",
                        "Harrington Joinery Ltd",
                        contacts=(Contact("Pat Harrington", "pat@harrington.example"),),
                    )
                ],
            )
            uow.documents.add(
                "ACME",
                [
                    Document(
                        "ACME",
                        "D1",
                        DocumentKind.INVOICE,
                        "INV-000101",
                        ISSUED,
                        ISSUED + timedelta(days=30),
                        amount,
                        amount,
                    )
                ],
            )
            uow.commit()
    finally:
        engine.dispose()
    succeeded(run_in_process(workspace, "brand", "set", *C, "--sample"))
    plan = ("plan", "propose", "D1", *C, "--instalments", "3", "--first", "2026-04-01", "--on", "2026-03-20")
    succeeded(run_in_process(workspace, *plan))
    return workspace


def test_the_reminder_is_queued_once_and_delivered(home: Path) -> None:
    early = succeeded(run_in_process(home, "plan", "remind", *C, "--as-of", "2026-03-28"))
    preview = succeeded(run_in_process(home, "plan", "remind", *C, "--as-of", "2026-03-29", "--dry-run"))
    due = succeeded(run_in_process(home, "plan", "remind", *C, "--as-of", "2026-03-29"))
    again = succeeded(run_in_process(home, "plan", "remind", *C, "--as-of", "2026-03-30"))

    assert "0 queued" in early.stdout
    assert "1 instalment reminder(s) due for ACME as of 2026-03-29" in preview.stdout
    assert "D1: plan PP-00001, instalment 1 of 3, 300.00 GBP due 2026-04-01" in preview.stdout
    assert "1 queued, 0 already sent" in due.stdout
    assert "0 queued, 1 already sent" in again.stdout
    succeeded(run_in_process(home, "send", *C))
    (mail,) = (home / "outbox" / "maildir" / "new").glob("ACME.plan-reminder*")
    message = message_from_bytes(mail.read_bytes(), policy=default)
    assert message["To"] == "pat@harrington.example"
    assert message["Subject"].startswith(
        "Reminder: £300.00 due on 1 April 2026 under your payment plan PP-00001"
    )


def test_an_unknown_creditor_is_one_line(home: Path) -> None:
    failed_with_one_line(
        run_in_process(home, "plan", "remind", "--creditor", "NOPE", "--as-of", "2026-03-29"), "NOPE"
    )
