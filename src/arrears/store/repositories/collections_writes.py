"""Writing a cycle's rows fast: on the driver's own cursor, without the ORM.

A first cycle over a million invoices records about 100,000 actions; building each row is kept
to look-ups and the json module's C functions, and the rows go to the database in one prepared
statement (SQLite) or one COPY (PostgreSQL). `collections_actions` and `collections_runs` use
these; the rules of what is written (one action per idempotency key) are theirs.
"""

import json
from collections.abc import Sequence
from datetime import date
from json.encoder import encode_basestring_ascii
from typing import Any

from arrears.core.actions import Action
from arrears.core.money import Money
from arrears.store.repositories._common import INSERT_CHUNK, chunks


def documents_json(numbers: Sequence[str]) -> str:
    """'["INV-1", "INV-2"]': the same text as `json.dumps(numbers)`, a few times faster (each
    number escaped by the json module's own C function, joined with its default separator)."""
    return "[" + ", ".join(map(encode_basestring_ascii, numbers)) + "]"


def amounts_json(amounts: Sequence[Money]) -> str:
    """{"GBP": 123450}: open amounts per currency in minor units (one currency, most often)."""
    if len(amounts) == 1:
        money = amounts[0]
        return f'{{"{money.currency}": {money.to_minor_units()}}}'
    return json.dumps({money.currency: money.to_minor_units() for money in amounts}, sort_keys=True)


def driver_executemany(session: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run `sql` (with `{p}` for each placeholder) for every row on the driver's own cursor:
    the fastest way both engines take many rows. Dates must already be in the engine's form
    (`engine_date`)."""
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.name == "sqlite" else "%s"
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = sql.replace("{p}", marker)
    cursor = driver.cursor()
    try:
        for chunk in chunks(rows, INSERT_CHUNK):
            cursor.executemany(statement, chunk)
    finally:
        cursor.close()


def engine_date(session: Any) -> Any:
    """How a date goes to the driver: ISO text on SQLite (as SQLAlchemy's Date stores it), a
    date object on PostgreSQL."""
    if session.connection().dialect.name == "sqlite":
        return date.isoformat
    return lambda day: day


_INSERT_ACTION = """
INSERT INTO collection_actions (creditor_id, debtor_id, cycle_run_id, idempotency_key, step, channel,
    template, documents, amounts, status, episode, reason, planned_on, effective_on, policy_version)
VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})
ON CONFLICT (creditor_id, idempotency_key) DO NOTHING
"""

_ACTION_COLUMNS = (
    "creditor_id, debtor_id, cycle_run_id, idempotency_key, step, channel, template, documents, amounts, "
    "status, episode, reason, planned_on, effective_on, policy_version"
)
_INCOMING_ACTIONS = """
CREATE TEMPORARY TABLE IF NOT EXISTS incoming_actions (
    creditor_id integer, debtor_id integer, cycle_run_id integer, idempotency_key varchar(64),
    step varchar(200), channel varchar(10), template varchar(200), documents text, amounts text,
    status varchar(20), episode varchar(32), reason text, planned_on date, effective_on date,
    policy_version integer
) ON COMMIT DELETE ROWS
"""


def _copy_actions(session: Any, rows: Sequence[Sequence[Any]]) -> int:
    """PostgreSQL: COPY the rows into a temporary table, then insert them skipping keys that
    exist; several times faster than one INSERT per row. Returns how many were inserted."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(_INCOMING_ACTIONS)
        with cursor.copy(f"COPY incoming_actions ({_ACTION_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO collection_actions ({_ACTION_COLUMNS}) SELECT {_ACTION_COLUMNS} FROM incoming_actions "
            "ON CONFLICT (creditor_id, idempotency_key) DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("DELETE FROM incoming_actions")
    return inserted


def _insert_actions(session: Any, rows: Sequence[Sequence[Any]]) -> int:
    """SQLite: one prepared INSERT for every row, on the driver's cursor; returns how many were
    inserted (a key that exists is skipped, and not counted)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = _INSERT_ACTION.replace("{p}", "?")
    cursor = driver.cursor()
    try:
        inserted = 0
        for chunk in chunks(rows, INSERT_CHUNK):
            cursor.executemany(statement, chunk)
            inserted += cursor.rowcount
    finally:
        cursor.close()
    return inserted


def action_rows(
    session: Any,
    creditor_id: int,
    debtor_ids: dict[str, int],
    cycle_run: int,
    actions: Sequence[Action],
    policy_version: int,
) -> list[tuple[Any, ...]]:
    """The `collection_actions` rows of a cycle's actions (status `awaiting_approval` for one
    that needs approval, else `planned`), in `insert_actions`' column order."""
    as_date = engine_date(session)
    days: dict[date, Any] = {}
    rows = []
    for action in actions:  # once per action: kept to look-ups and the fast JSON writers
        day = days.get(action.planned_on)
        if day is None:
            day = days[action.planned_on] = as_date(action.planned_on)
        rows.append(
            (
                creditor_id,
                debtor_ids[action.debtor],
                cycle_run,
                action.idempotency_key,
                action.step,
                action.channel.value,
                action.template,
                documents_json(action.documents),
                amounts_json(action.amounts),
                "awaiting_approval" if action.needs_approval else "planned",
                action.episode,
                action.reason,
                day,
                day,
                policy_version,
            )
        )
    return rows


def insert_actions(session: Any, rows: Sequence[Sequence[Any]]) -> int:
    """Insert action rows, skipping idempotency keys the creditor has (never an error); returns
    how many were inserted."""
    if session.connection().dialect.name == "postgresql":
        return _copy_actions(session, rows)
    return _insert_actions(session, rows)
