"""The deals and bank commands end to end on a small workspace: promises, plans, settlements,
disputes, write-offs, fees, interest, and bank statements imported and matched."""

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_support import failed_with_one_line, money, run_in_process, succeeded

from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind
from arrears.core.money import Money
from arrears.settings import DATABASE_FILE
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)  # due 2026-02-04
C = ("--creditor", "ACME")


def _invoice(debtor: str, number: str, amount: str) -> Document:
    value = Money.of(amount, "GBP")
    return Document(
        "ACME", debtor, DocumentKind.INVOICE, number, ISSUED, ISSUED + timedelta(days=30), value, value
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    succeeded(run_in_process(workspace, "init"))
    engine = make_engine(f"sqlite:///{workspace / DATABASE_FILE}")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            uow.creditors.add(Creditor("ACME", "Acme Supplies Ltd"))
            uow.debtors.add(
                "ACME",
                [
                    Debtor("ACME", "D1", "Harrington Joinery Ltd"),
                    Debtor("ACME", "D2", "Kestrel Print Ltd"),
                    Debtor("ACME", "D3", "Oakfield Farms"),
                ],
            )
            uow.documents.add(
                "ACME",
                [
                    _invoice("D1", "INV-000101", "500.00"),
                    _invoice("D2", "INV-000201", "900.00"),
                    _invoice("D3", "INV-000301", "300.00"),
                ],
            )
            uow.commit()
    finally:
        engine.dispose()
    return workspace


def _statement(path: Path, *rows: tuple[str, str, str, str]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Amount", "Currency", "Description", "Counterparty", "Account"])
        for day, amount, text, payer in rows:
            writer.writerow([day, amount, "GBP", text, payer, "GB33BUKB20201555555555"])
    return path


def test_a_promise_is_taken_listed_and_kept_by_a_bank_payment(home: Path, tmp_path: Path) -> None:
    taken = succeeded(
        run_in_process(
            home,
            "promise",
            "add",
            "D1",
            "500.00",
            *C,
            "--pay-by",
            "2026-03-10",
            "-i",
            "INV-000101",
            "--on",
            "2026-03-02",
            "--by",
            "Sam",
        )
    )
    assert "promise P-00001: D1 will pay 500.00 GBP by 2026-03-10 for INV-000101" in taken.stdout
    assert "confirmation not sent: creditor ACME has no brand yet" in taken.stdout

    statement = _statement(
        tmp_path / "march.csv",
        ("2026-03-09", "500.00", "INV-000101", "Harrington Joinery Ltd"),
        ("2026-03-09", "120.00", "thank you", "Someone Else"),
    )
    imported = succeeded(
        run_in_process(home, "bank", "import", str(statement), *C, "--format", "json")
    ).json()

    assert (imported["lines_new"], len(imported["matched"]), len(imported["queued"])) == (2, 1, 1)
    assert imported["matched"][0]["documents"] == ["INV-000101"]
    assert "1 promise(s) kept" in imported["review"]
    (promise,) = succeeded(
        run_in_process(home, "promise", "list", *C, "--as-of", "2026-03-09", "--format", "json")
    ).json()
    assert (promise["state"], money(promise["paid"])) == ("kept", money("500.00"))
    again = succeeded(run_in_process(home, "bank", "import", str(statement), *C))
    assert "0 new line(s) (2 already imported)" in again.stdout


def test_the_unmatched_queue_is_worked_by_hand(home: Path, tmp_path: Path) -> None:
    statement = _statement(tmp_path / "s.csv", ("2026-03-09", "300.00", "farm payment", "OAKFIELD"))
    succeeded(run_in_process(home, "bank", "import", str(statement), *C))

    (waiting,) = succeeded(run_in_process(home, "bank", "unmatched", *C, "--format", "json")).json()
    table = succeeded(run_in_process(home, "bank", "unmatched", *C))
    matched = succeeded(run_in_process(home, "bank", "match", str(waiting["line"]), "D3", *C, "--by", "Sam"))

    assert waiting["suggestions"][0]["debtor"] == "D3"
    assert "1 unmatched credit(s)" in table.stdout
    assert f"line {waiting['line']}: 300.00 GBP from D3 as payment BANK-" in matched.stdout
    assert "INV-000301" in matched.stdout
    assert succeeded(run_in_process(home, "bank", "unmatched", *C, "--format", "json")).json() == []


def test_a_plan_outside_the_rules_is_approved(home: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("plans:\n  max_instalments: 2\n")
    succeeded(run_in_process(home, "deals", "rules", *C, "--file", str(rules)))

    proposed = succeeded(
        run_in_process(
            home,
            "plan",
            "propose",
            "D2",
            *C,
            "--instalments",
            "3",
            "--first",
            "2026-03-15",
            "--frequency",
            "monthly",
            "--on",
            "2026-03-02",
        )
    )
    assert "payment plan PP-00001 for D2: 900.00 GBP in 3 monthly instalments" in proposed.stdout
    assert "3 instalments is more than the 2 the creditor allows" in proposed.stdout

    succeeded(
        run_in_process(home, "plan", "approve", "PP-00001", *C, "--by", "Jo at Acme", "--on", "2026-03-03")
    )
    (plan,) = succeeded(
        run_in_process(home, "plan", "list", *C, "--as-of", "2026-03-04", "--format", "json")
    ).json()
    assert (plan["approved_by"], plan["state"]) == ("Jo at Acme", "good_standing")


def test_disputes_settlements_write_offs_fees_and_interest(home: Path) -> None:
    raised = succeeded(
        run_in_process(
            home,
            "dispute",
            "raise",
            "INV-000301",
            *C,
            "--reason",
            "wrong_price",
            "--amount",
            "50",
            "--notes",
            "quoted 250",
            "--on",
            "2026-03-02",
        )
    )
    assert (
        "dispute D-00001: 50.00 GBP of INV-000301 (wrong price); 250.00 GBP may still be asked for"
        in raised.stdout
    )
    resolved = succeeded(
        run_in_process(
            home,
            "dispute",
            "resolve",
            "D-00001",
            "partially_upheld",
            *C,
            "--credit",
            "20",
            "--on",
            "2026-03-05",
        )
    )
    assert "credit note CN-D-00001 applied 20.00 GBP" in resolved.stdout
    report = succeeded(
        run_in_process(home, "dispute", "list", *C, "--as-of", "2026-03-05", "--format", "json")
    ).json()
    assert report["open"] == [] and report["credit_given"] == {"GBP": "20.00"}

    offered = succeeded(
        run_in_process(
            home, "settlement", "offer", "D2", "800", *C, "--pay-by", "2026-03-20", "--on", "2026-03-02"
        )
    )
    assert "needs the creditor's approval" in offered.stdout  # no discount is pre-agreed by default

    waiting = succeeded(
        run_in_process(home, "write-off", "add", "INV-000301", *C, "--reason", "goodwill", "--amount", "30")
    )
    assert "awaits approval" in waiting.stdout
    succeeded(
        run_in_process(home, "write-off", "approve", "1", *C, "--by", "Jo at Acme", "--on", "2026-03-06")
    )
    (row,) = succeeded(run_in_process(home, "write-off", "list", *C, "--format", "json")).json()
    assert (row["state"], row["approved_by"], money(row["amount"])) == (
        "applied",
        "Jo at Acme",
        money("30.00"),
    )

    fee = run_in_process(home, "fee", "D1", "returned_payment", *C)
    failed_with_one_line(fee, "does not allow returned payment fees")

    claims = succeeded(
        run_in_process(home, "interest", "D1", *C, "--as-of", "2026-03-06", "--format", "json")
    ).json()
    (invoice,) = claims["invoices"]
    assert (invoice["invoice"], invoice["days"], invoice["compensation"]) == ("INV-000101", 30, "40.00")
    assert money(invoice["interest"]) > 0
    table = succeeded(run_in_process(home, "interest", "D1", *C, "--as-of", "2026-03-06"))
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in table.stdout


def test_mistakes_are_one_line_and_change_nothing(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("Date,Amount,Description\n2026-03-09,12.3.4,oops\n")

    failed_with_one_line(
        run_in_process(home, "bank", "import", str(broken), *C), "broken.csv row 2", "Amount"
    )
    failed_with_one_line(
        run_in_process(home, "promise", "add", "D1", "lots", *C, "--pay-by", "2026-03-10"),
        "amount 'lots' is not an amount",
    )
    failed_with_one_line(
        run_in_process(home, "promise", "add", "NOPE", "5", *C, "--pay-by", "2026-03-10"),
        "has no debtor 'NOPE'",
    )
    assert succeeded(run_in_process(home, "bank", "unmatched", *C, "--format", "json")).json() == []
