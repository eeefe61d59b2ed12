"""Accounting connectors against a local vendor server (`vendor_server.py`), writing to a real
store on SQLite and on PostgreSQL.

PostgreSQL needs `ARREARS_TEST_POSTGRES_URL`; without it those tests skip, unless
`ARREARS_REQUIRE_POSTGRES=1`, when they fail (as in tests/store/conftest.py). Each PostgreSQL
test gets a schema of its own, set as the connection's `search_path`.

The local server speaks plain HTTP; requests-oauthlib (under python-quickbooks) refuses to send
a bearer token over plain HTTP unless `OAUTHLIB_INSECURE_TRANSPORT` is set, which the fixtures
do for the test only. Rate-limit waits go to a recorder, never to `time.sleep`.
"""

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from accounting_support import CREDITOR, Connectors, SleepRecorder  # noqa: E402
from vendor_server import VendorServer  # noqa: E402

from arrears.core.ledger import Creditor  # noqa: E402
from arrears.intake.accounting.tokens import TokenCipher, generate_key  # noqa: E402
from arrears.store.database import make_engine, session_factory, upgrade  # noqa: E402
from arrears.store.unit_of_work import SqlUnitOfWork  # noqa: E402

POSTGRES_URL_VARIABLE = "ARREARS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ARREARS_REQUIRE_POSTGRES"


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'arrears.db'}"
        return
    base_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base_url:
        _postgres_unavailable(f"set {POSTGRES_URL_VARIABLE} to run the accounting sync tests on PostgreSQL")
        return
    admin = make_engine(base_url)
    schema = f"arrears_acct_{uuid.uuid4().hex[:16]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        _postgres_unavailable(f"PostgreSQL is unreachable: {error.orig}")
        return
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    """A unit of work on a store holding creditor ACME (GBP) and nothing else."""
    unit = SqlUnitOfWork(session_factory(engine))
    with unit:
        unit.creditors.add(Creditor(code=CREDITOR, name="Acme Ltd", currency="GBP"))
        unit.commit()
    return unit


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[VendorServer]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server = VendorServer().start()
    yield server
    server.stop()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(generate_key())


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def connectors(vendor: VendorServer, sleeps: SleepRecorder) -> Connectors:
    return Connectors(vendor, sleeps)
