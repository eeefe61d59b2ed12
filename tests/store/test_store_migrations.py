"""The migrations build the schema the models describe, on both engines."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from arrears.store.database import alembic_config, current_revision, make_engine, upgrade
from arrears.store.tables import metadata


def test_upgrade_brings_an_empty_database_to_the_latest_revision(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    assert current_revision(database_url) == head


def test_the_migrations_form_one_line_of_history() -> None:
    """One head, no branches: every migration revises the one before it."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert revisions[-1].revision == "0001"
    assert all(len(revision.nextrev) <= 1 for revision in revisions)


def test_upgrade_twice_changes_nothing(engine: Engine, database_url: str) -> None:
    head = current_revision(engine)
    upgrade(database_url)
    assert (
        current_revision(engine) == head == ScriptDirectory.from_config(alembic_config()).get_current_head()
    )


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrated_constraint_and_index_names_match_the_models(engine: Engine) -> None:
    # autogenerate compares unique constraints and indexes by columns; names matter too,
    # because later migrations drop and alter constraints by name.
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        expected_unique = {c.name for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"}
        expected_checks = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        expected_indexes = {index.name for index in table.indexes}
        reflected_unique = {c["name"] for c in inspector.get_unique_constraints(table.name)}
        reflected_checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
        reflected_indexes = {i["name"] for i in inspector.get_indexes(table.name)} - reflected_unique
        assert reflected_unique == expected_unique, table.name
        assert reflected_checks == expected_checks, table.name
        assert reflected_indexes == expected_indexes, table.name


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_make_engine_creates_the_folder_of_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "workspace" / "arrears.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        assert path.exists()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
