"""`arrears sync` then `arrears bank import` from the command line (Typer's runner, the local Xero
vendor server): a bank line for a payment Xero already recorded is linked to it, not counted
again."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result
from vendor_server import XERO_CLIENT, VendorServer

from arrears.cli import app
from arrears.core.ledger import Creditor
from arrears.core.money import Money
from arrears.intake.accounting.tokens import generate_key
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork

XERO_PAYMENT = "xero:99ea7f6b-c513-4066-bc27-b7c65dcd76c2"  # 46.00 from ABC Limited on INV-0002, 2026-01-21


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "workspace"
    result = CliRunner().invoke(app, ["--home", str(home), "init"], env={"ARREARS_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{home / 'arrears.db'}")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
            uow.commit()
    finally:
        engine.dispose()
    return home


def run(home: Path, vendor: VendorServer, key: str, *args: str) -> Result:
    env = {
        "ARREARS_HOME": None,
        "ARREARS_DATABASE_URL": None,
        "ARREARS_SECRET_KEY": key,
        "ARREARS_XERO_CLIENT_ID": XERO_CLIENT[0],
        "ARREARS_XERO_CLIENT_SECRET": XERO_CLIENT[1],
        "ARREARS_XERO_API_URL": f"{vendor.base_url}/api.xro/2.0",
        "ARREARS_XERO_IDENTITY_URL": vendor.base_url,
        "ARREARS_XERO_CONNECTIONS_URL": vendor.base_url,
    }
    result = CliRunner().invoke(app, ["--home", str(home), *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_a_bank_line_for_a_payment_xero_recorded_is_linked_from_the_command_line(
    home: Path, vendor: VendorServer, tmp_path: Path
) -> None:
    key = generate_key()
    run(home, vendor, key, "connect", "xero", "--creditor", "ACME", "--code", vendor.grant_xero_code())
    run(home, vendor, key, "sync", "--creditor", "ACME")
    statement = tmp_path / "bank.csv"
    with statement.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Amount", "Currency", "Description", "Counterparty", "Account"])
        writer.writerow(
            ["2026-01-22", "46.00", "GBP", "BACS INV-0002", "ABC LIMITED", "GB33BUKB20201555555555"]
        )

    imported = run(home, vendor, key, "bank", "import", str(statement), "-c", "ACME", "--format", "json")

    (matched,) = json.loads(imported.stdout)["matched"]
    assert (matched["payment"], matched["documents"], matched["confidence"]) == (
        XERO_PAYMENT,
        ["INV-0002"],
        95,
    )
    assert matched["method"] == f"linked to {XERO_PAYMENT}" and matched["on_account"] == "0.00"
    engine = make_engine(f"sqlite:///{home / 'arrears.db'}")
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            allocations = uow.payments.allocations("ACME", document="INV-0002")
            payments = [
                p.reference for p in uow.payments.list_all("ACME") if p.amount == Money.of("46", "GBP")
            ]
            (match,) = uow.bank.matches("ACME")
    finally:
        engine.dispose()
    assert [(a.payment, a.amount) for a in allocations] == [(XERO_PAYMENT, Money.of("46.00", "GBP"))]
    assert payments == [XERO_PAYMENT] and match.payment == XERO_PAYMENT
