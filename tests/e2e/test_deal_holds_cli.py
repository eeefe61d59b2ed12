"""`arrears explain` and `arrears approvals` end to end with deals: a promise taken after the
ladder had planned its next steps holds them, in what explain says and in what may be approved."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_support import failed_with_one_line, run_in_process, succeeded

from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind
from arrears.core.money import Money
from arrears.settings import DATABASE_FILE
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

DAY = date(2026, 3, 10)
C = ("--creditor", "ACME")


def _invoice(debtor: str, number: str, days_past_due: int) -> Document:
    due = DAY - timedelta(days=days_past_due)
    value = Money.of("1000.00", "GBP")
    return Document("ACME", debtor, DocumentKind.INVOICE, number, due - timedelta(days=30), due, value, value)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """D1 owes INV-1, 55 days past due (the formal demand is five days away); D2 owes INV-2, 90
    days past due on the day of its final notice (the letter before action comes 14 days on)."""
    workspace = tmp_path / "workspace"
    succeeded(run_in_process(workspace, "init"))
    engine = make_engine(f"sqlite:///{workspace / DATABASE_FILE}")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            uow.creditors.add(Creditor("ACME", "Acme Supplies Ltd"))
            uow.debtors.add(
                "ACME",
                [Debtor("ACME", "D1", "Harrington Joinery Ltd"), Debtor("ACME", "D2", "Kestrel Print Ltd")],
            )
            uow.documents.add("ACME", [_invoice("D1", "INV-1", 55), _invoice("D2", "INV-2", 104)])
            uow.commit()
    finally:
        engine.dispose()
    return workspace


def test_explain_names_the_promise_that_holds_and_puts_the_next_step_after_it(home: Path) -> None:
    succeeded(
        run_in_process(
            home,
            "promise",
            "add",
            "D1",
            "1000.00",
            *C,
            "--pay-by",
            "2026-03-20",
            "-i",
            "INV-1",
            "--on",
            "2026-03-10",
        )
    )

    shown = succeeded(run_in_process(home, "explain", "D1", *C, "--as-of", "2026-03-10")).stdout

    assert "promise P-00001 taken (call" in shown and "it holds the ladder until 2026-03-23" in shown
    assert "held on 2026-03-10 by promise P-00001 on INV-1 until 2026-03-23" in shown
    assert "next: 2026-03-24 step 'formal demand' by letter" in shown
    assert "next: 2026-03-16" not in shown  # the formal demand it would have said without the promise


def test_an_approval_a_promise_now_holds_is_refused_unless_overridden_with_a_reason(home: Path) -> None:
    succeeded(run_in_process(home, "cycle", *C, "--as-of", (DAY - timedelta(days=14)).isoformat()))
    succeeded(run_in_process(home, "cycle", *C, "--as-of", DAY.isoformat()))
    succeeded(
        run_in_process(
            home,
            "promise",
            "add",
            "D2",
            "1000.00",
            *C,
            "--pay-by",
            "2026-03-17",
            "-i",
            "INV-2",
            "--on",
            "2026-03-10",
        )
    )

    (waiting,) = succeeded(
        run_in_process(home, "approvals", "list", *C, "--format", "json", "--as-of", "2026-03-11")
    ).json()
    assert waiting["step"] == "letter before action" and waiting["debtor"] == "D2"
    assert [held["deal"] for held in waiting["deal_holds"]] == ["promise P-00001"]
    assert waiting["warning"].startswith("now held by promise P-00001 on INV-2 until 2026-03-20")
    table = succeeded(run_in_process(home, "approvals", "list", *C, "--as-of", "2026-03-11")).stdout
    assert "warning: now held by promise P-00001 on INV-2 until 2026-03-20" in table

    action = str(waiting["id"])
    failed_with_one_line(
        run_in_process(home, "approvals", "approve", action, *C, "--on", "2026-03-11"),
        "held by promise P-00001 on INV-2 until 2026-03-20",
        "--override",
    )
    failed_with_one_line(
        run_in_process(home, "approvals", "approve", action, *C, "--on", "2026-03-11", "--override"),
        "give a reason to override",
    )
    approved = succeeded(
        run_in_process(
            home,
            "approvals",
            "approve",
            action,
            *C,
            "--on",
            "2026-03-11",
            "--override",
            "--reason",
            "third promise",
        )
    )
    assert f"action {action} ('letter before action' for D2) approved" in approved.stdout
    assert "overriding promise P-00001 on INV-2 until 2026-03-20" in approved.stdout
    explained = succeeded(run_in_process(home, "explain", "D2", *C, "--as-of", "2026-03-11")).stdout
    assert (
        "approved by" in explained
        and "override of promise P-00001 on INV-2 until 2026-03-20: third promise" in explained
    )
