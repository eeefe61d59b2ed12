"""End-to-end tests drive the `arrears` command line: the installed console script in a
subprocess for the main journeys, Typer's `CliRunner` on `arrears.cli.app` for the many small
cases (see `cli_support.py`).

PostgreSQL runs need `ARREARS_TEST_POSTGRES_URL` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
without it they skip, unless `ARREARS_REQUIRE_POSTGRES=1`, when they fail. Each gets a schema of
its own, made the connection's `search_path` through the URL's connect options, and dropped
afterwards, so runs sharing the database never see each other (as in tests/store/conftest.py).
"""

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from arrears.store.database import make_engine

# The test modules import `cli_support` (next to this file) by name; with pytest's importlib
# import mode that folder is not on sys.path by itself.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from cli_support import SIM, run_in_process, succeeded  # noqa: E402

POSTGRES_URL_VARIABLE = "ARREARS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ARREARS_REQUIRE_POSTGRES"


@pytest.fixture(scope="module")
def simulated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding the small simulated ledger of `SIM`, shared by the tests of a
    module that only read it."""
    home = tmp_path_factory.mktemp("simulated") / "workspace"
    succeeded(run_in_process(home, "init"))
    succeeded(run_in_process(home, *SIM))
    return home


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of an empty PostgreSQL schema of this test's own, set as its `search_path`."""
    base_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base_url:
        _postgres_unavailable(f"set {POSTGRES_URL_VARIABLE} to run the end-to-end tests on PostgreSQL")
        return
    admin = make_engine(base_url)
    schema = f"arrears_e2e_{uuid.uuid4().hex[:16]}"
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
