"""A unit of work commits explicitly; anything else leaves no trace."""

import sqlite3
import threading
from datetime import date

import pytest
from sqlalchemy import Engine, text
from store_builders import creditor, debtor, document

from arrears.core.errors import NotFoundError
from arrears.store import SqlUnitOfWork
from arrears.store.database import session_factory
from arrears.store.repositories.creditors import ADVISORY_LOCK_NAMESPACE

JAN = date(2026, 1, 15)
FEB = date(2026, 2, 14)


def test_committed_work_is_kept(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.commit()
    with uow:
        assert uow.creditors.get("ACME").code == "ACME"


def test_leaving_without_commit_rolls_everything_back(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.debtors.add("ACME", [debtor("ACME", "C001")])
        uow.documents.add("ACME", [document("ACME", "C001", "INV-1", JAN, FEB, "10.00")])
    with uow:
        assert uow.creditors.list_all() == []
        with pytest.raises(NotFoundError):
            uow.documents.get("ACME", "INV-1")


def test_an_exception_rolls_everything_back(uow: SqlUnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="boom"), uow:
        uow.creditors.add(creditor("ACME"))
        raise RuntimeError("boom")
    with uow:
        assert uow.creditors.list_all() == []


def test_an_explicit_rollback_forgets_the_work_so_far(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.rollback()
        with pytest.raises(NotFoundError):
            uow.debtors.list_all("ACME")  # the creditor id looked up before is forgotten too
        uow.creditors.add(creditor("BETA"))
        uow.commit()
    with uow:
        assert [c.code for c in uow.creditors.list_all()] == ["BETA"]


def test_a_unit_of_work_is_not_nested_and_not_used_outside_with(uow: SqlUnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        uow.commit()
    with uow, pytest.raises(RuntimeError, match="already open"):
        uow.__enter__()


def test_the_creditor_lock_holds_off_others_until_the_unit_of_work_ends(
    engine: Engine, database_url: str
) -> None:
    uow = SqlUnitOfWork(session_factory(engine))
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.commit()
    with uow:
        uow.creditors.lock("ACME")
        assert not _lock_is_free(engine, database_url)
        uow.commit()
    assert _lock_is_free(engine, database_url)


def test_the_creditor_lock_serialises_two_units_of_work(engine: Engine) -> None:
    factory = session_factory(engine)
    with SqlUnitOfWork(factory) as uow:
        uow.creditors.add(creditor("ACME"))
        uow.commit()
    order: list[str] = []
    first_has_lock = threading.Event()

    def second() -> None:
        first_has_lock.wait()
        with SqlUnitOfWork(factory) as uow:
            uow.creditors.lock("ACME")
            order.append("second")
            uow.commit()

    thread = threading.Thread(target=second)
    thread.start()
    with SqlUnitOfWork(factory) as uow:
        uow.creditors.lock("ACME")
        first_has_lock.set()
        thread.join(timeout=0.5)  # the second waits for the lock meanwhile
        order.append("first")
        uow.commit()
    thread.join(timeout=30)
    assert order == ["first", "second"]


def _lock_is_free(engine: Engine, database_url: str) -> bool:
    """Whether another connection could take the ACME lock right now (without waiting)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            creditor_id = connection.execute(
                text("SELECT id FROM creditors WHERE code = 'ACME'")
            ).scalar_one()
            return bool(
                connection.execute(
                    text("SELECT pg_try_advisory_xact_lock(:namespace, :id)"),
                    {"namespace": ADVISORY_LOCK_NAMESPACE, "id": creditor_id},
                ).scalar_one()
            )
    path = database_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
