"""Engines, sessions and schema migrations.

One code path for both engines Arrears runs on:
- **SQLite** (the embedded default, a file in the workspace): foreign keys on, WAL so readers
  never block the writer, `synchronous=NORMAL` (safe with WAL), a 30 s busy timeout so
  concurrent writers wait rather than fail, and real transactions: the driver's own implicit
  transaction handling is turned off and SQLAlchemy emits `BEGIN`, so a unit of work reads a
  consistent snapshot and savepoints work;
- **PostgreSQL** (production): psycopg 3, connections checked before use.

`upgrade(url)` runs the Alembic migrations shipped inside the package; it needs no
`alembic.ini`, so it works from an installed wheel as well as from a checkout.
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for `url` (`sqlite:///path/to/arrears.db`, `postgresql+psycopg://...`).

    For a SQLite file, the folder it lives in is created if it does not exist yet.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work. Loaded values stay readable after commit (the store hands
    out frozen domain values, so there is nothing to refresh)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the migrations inside the package.

    With `connection`, the migrations run on it (inside its transaction); `env.py` reads it
    from `config.attributes["connection"]`.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database at `target` up to `revision` (the latest by default); `arrears db
    upgrade` calls this. Running it again when the schema is current changes nothing.

    Pass an `Engine` rather than a URL for an in-memory SQLite database (each engine made from
    `sqlite://` has its own).
    """
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if engine is not target:
            engine.dispose()


def current_revision(target: str | URL | Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if engine is not target:
            engine.dispose()
