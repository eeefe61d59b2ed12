"""Store tests run twice: on SQLite (a file in a temporary folder) and on PostgreSQL.

PostgreSQL needs `ARREARS_TEST_POSTGRES_URL` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
without it those tests skip, unless `ARREARS_REQUIRE_POSTGRES=1`, when they fail (CI sets it so a
missing server cannot pass for a green run). Each PostgreSQL test gets a schema of its own, made
the connection's `search_path`, and dropped afterwards: parallel runs never see each other.
The schema is built by the migrations (`upgrade`), so every test also exercises them.
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

from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.unit_of_work import SqlUnitOfWork

# The test modules import their builders (`store_builders.py`, next to this file) by name; with
# pytest's importlib import mode that folder is not on sys.path by itself.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

POSTGRES_URL_VARIABLE = "ARREARS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ARREARS_REQUIRE_POSTGRES"
SKIP_REASON = "set ARREARS_TEST_POSTGRES_URL to run the store tests on PostgreSQL"


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


def _postgres_schema_url() -> Iterator[str]:
    base_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base_url:
        _postgres_unavailable(SKIP_REASON)
        return
    admin = make_engine(base_url)
    schema = f"arrears_test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        _postgres_unavailable(
            f"PostgreSQL at {make_url(base_url).render_as_string()} is unreachable: {error.orig}"
        )
        return
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'arrears.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database the migrations have brought up to date."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engine))
