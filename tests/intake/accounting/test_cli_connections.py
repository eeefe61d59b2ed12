"""`arrears connect`, `arrears sync`, `arrears connections` and `arrears disconnect`, run through
Typer's runner against the local vendor server, configured by environment variables as a
person would configure them."""

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result
from vendor_server import XERO_CLIENT, VendorServer

from arrears.cli import app
from arrears.core.ledger import Creditor
from arrears.intake.accounting.tokens import generate_key
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "workspace"
    result = CliRunner().invoke(app, ["--home", str(home), "init"], env={"ARREARS_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{home / 'arrears.db'}")
    uow = SqlUnitOfWork(session_factory(engine))
    with uow:
        uow.creditors.add(Creditor(code="ACME", name="Acme Ltd"))
        uow.commit()
    engine.dispose()
    return home


def environment(vendor: VendorServer, key: str | None) -> dict[str, str | None]:
    return {
        "ARREARS_HOME": None,
        "ARREARS_DATABASE_URL": None,
        "ARREARS_SECRET_KEY": key,
        "ARREARS_XERO_CLIENT_ID": XERO_CLIENT[0],
        "ARREARS_XERO_CLIENT_SECRET": XERO_CLIENT[1],
        "ARREARS_XERO_API_URL": f"{vendor.base_url}/api.xro/2.0",
        "ARREARS_XERO_IDENTITY_URL": vendor.base_url,
        "ARREARS_XERO_CONNECTIONS_URL": vendor.base_url,
    }


def run(home: Path, env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(home), *args], env=env, catch_exceptions=False)


def test_connect_sync_list_and_disconnect_from_the_command_line(home: Path, vendor: VendorServer) -> None:
    env = environment(vendor, generate_key())

    connected = run(home, env, "connect", "xero", "--creditor", "ACME", "--code", vendor.grant_xero_code())
    synced = run(home, env, "sync", "--creditor", "ACME")
    listed = run(home, env, "connections", "list", "--creditor", "ACME")
    disconnected = run(home, env, "disconnect", "xero", "--creditor", "ACME")

    assert connected.exit_code == 0, connected.output
    assert "connected to Xero" in connected.stdout
    assert synced.exit_code == 0, synced.output
    invoices_row = next(line for line in synced.stdout.splitlines() if "invoices" in line)
    # received 5 sales invoices, added 3: the draft and the voided one stay out
    assert [cell.strip() for cell in invoices_row.split("│")[1:7]] == ["invoices", "5", "3", "0", "0", "0"]
    assert "Xero" in listed.stdout and "active" in listed.stdout
    assert disconnected.exit_code == 0 and len(vendor.xero_tokens.revoked) == 1


def test_a_sync_without_the_secret_key_is_one_line_and_a_failure(home: Path, vendor: VendorServer) -> None:
    result = run(home, environment(vendor, None), "sync", "--creditor", "ACME")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: set ARREARS_SECRET_KEY")
    assert len(result.stderr.strip().splitlines()) == 1


def test_print_url_shows_where_to_sign_in(home: Path, vendor: VendorServer) -> None:
    result = run(
        home, environment(vendor, generate_key()), "connect", "xero", "--creditor", "ACME", "--print-url"
    )

    assert result.exit_code == 0
    assert result.stdout.startswith("https://login.xero.com/identity/connect/authorize?response_type=code")
    assert vendor.requests == []
