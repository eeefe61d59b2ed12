"""Set up a workspace and open its store."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from arrears.core.errors import ArrearsError
from arrears.settings import Settings
from arrears.store.database import current_revision, make_engine, session_factory, upgrade
from arrears.store.unit_of_work import SqlUnitOfWork


class WorkspaceError(ArrearsError):
    """The workspace or its database cannot be used as it is."""


@dataclass(frozen=True, slots=True)
class Store:
    """An open store: the engine and a way to start units of work on it."""

    url: str
    engine: Engine

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory(self.engine))

    @property
    def uow_factory(self) -> Callable[[], SqlUnitOfWork]:
        return self.unit_of_work

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True, slots=True)
class WorkspaceReport:
    home: Path
    database_url: str
    revision: str | None


def display_url(url: str) -> str:
    """The URL with any password hidden, fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _engine(url: str) -> Engine:
    try:
        return make_engine(url)
    except ArgumentError as error:
        raise WorkspaceError(f"database URL {url!r} is not a valid SQLAlchemy URL: {error}") from None
    except ImportError as error:
        raise WorkspaceError(
            f"the driver for {display_url(url)} is not installed ({error}); "
            "PostgreSQL URLs start postgresql+psycopg://"
        ) from None


def _database_error(url: str, error: DBAPIError) -> WorkspaceError:
    """One line for a person: drivers put hints on lines of their own."""
    reason = " ".join(str(error.orig).split())
    if isinstance(error, OperationalError):
        return WorkspaceError(f"cannot reach the database {display_url(url)}: {reason}")
    return WorkspaceError(f"cannot use the database {display_url(url)}: {reason}")


def init_workspace(settings: Settings) -> WorkspaceReport:
    """Create the workspace folder, bring the schema up to date and record the database URL.

    The URL is recorded only once the database has taken the schema, so a mistyped URL is not
    left behind for every later command to trip over.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    revision = upgrade_database(url)
    if settings.database_url:
        settings.record_workspace()
    return WorkspaceReport(settings.home.resolve(), url, revision)


def upgrade_database(url: str) -> str | None:
    """Apply the migrations to the database at `url`; returns the revision it is now at."""
    engine = _engine(url)
    try:
        upgrade(engine)
        return current_revision(engine)
    except DBAPIError as error:
        raise _database_error(url, error) from None
    finally:
        engine.dispose()


def open_store(settings: Settings) -> Store:
    """The workspace's store, checked to be migrated; a clear error tells what to run if not."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite:///") and not settings.database_url and not settings.recorded_database_url():
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise WorkspaceError(
                f"no workspace at {settings.home.resolve()}: run `arrears init` first (or pass --home)"
            )
    engine = _engine(url)
    try:
        revision = current_revision(engine)
    except DBAPIError as error:
        engine.dispose()
        raise _database_error(url, error) from None
    if revision is None:
        engine.dispose()
        raise WorkspaceError(
            f"the database {display_url(url)} has no Arrears schema yet: run `arrears init` or `arrears db upgrade`"
        )
    return Store(url, engine)
