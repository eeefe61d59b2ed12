"""Connections to accounting packages in the store: tokens kept as given, times in UTC, cursors
per entity, one creditor never seeing another's."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from store_builders import creditor

from arrears.core.errors import NotFoundError
from arrears.store.errors import ConstraintError
from arrears.store.unit_of_work import SqlUnitOfWork

CONNECTED = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def save(uow: SqlUnitOfWork, code: str = "ACME", provider: str = "xero", tenant: str = "tenant-1") -> None:
    uow.connections.save(
        code,
        provider,
        tenant_id=tenant,
        access_token="fernet:access-ciphertext",
        refresh_token="fernet:refresh-ciphertext",
        access_expires_at=CONNECTED + timedelta(minutes=30),
        refresh_expires_at=None,
        scopes=("offline_access", "accounting.transactions.read"),
        connected_at=CONNECTED,
    )


@pytest.fixture
def two_creditors(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    with uow:
        uow.creditors.add(creditor("ACME"))
        uow.creditors.add(creditor("BETA"))
        uow.commit()
    return uow


def test_a_connection_reads_back_as_saved_with_times_in_utc(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        save(uow)
        uow.commit()

    with uow:
        stored = uow.connections.get("ACME", "xero")
    assert (stored.tenant_id, stored.access_token, stored.refresh_token) == (
        "tenant-1",
        "fernet:access-ciphertext",
        "fernet:refresh-ciphertext",
    )
    assert stored.access_expires_at == CONNECTED + timedelta(minutes=30)
    assert stored.access_expires_at is not None and stored.access_expires_at.tzinfo is not None
    assert stored.scopes == ("offline_access", "accounting.transactions.read")
    assert stored.status == "active" and stored.is_connected
    assert stored.changed_since == {
        "customers": None,
        "invoices": None,
        "credit_notes": None,
        "payments": None,
    }


def test_cursors_move_per_entity_and_a_time_in_another_zone_is_kept_as_the_same_instant(
    two_creditors: SqlUnitOfWork,
) -> None:
    uow = two_creditors
    pacific = timezone(timedelta(hours=-8))
    with uow:
        save(uow)
        uow.connections.record_sync(
            "ACME",
            "xero",
            changed_since={"invoices": datetime(2026, 1, 28, 8, 5, tzinfo=pacific), "payments": None},
            synced_at=CONNECTED,
        )
        uow.commit()

    with uow:
        stored = uow.connections.get("ACME", "xero")
    assert stored.changed_since["invoices"] == datetime(2026, 1, 28, 16, 5, tzinfo=UTC)
    assert stored.changed_since["payments"] is None
    assert stored.last_sync_at == CONNECTED


def test_reconnecting_to_the_same_company_keeps_the_cursors_and_to_another_clears_them(
    two_creditors: SqlUnitOfWork,
) -> None:
    uow = two_creditors
    cursor = datetime(2026, 1, 20, tzinfo=UTC)
    with uow:
        save(uow)
        uow.connections.record_sync("ACME", "xero", changed_since={"customers": cursor}, synced_at=CONNECTED)
        save(uow)
        kept = uow.connections.get("ACME", "xero").changed_since["customers"]
        save(uow, tenant="tenant-2")
        cleared = uow.connections.get("ACME", "xero").changed_since["customers"]
        uow.commit()

    assert (kept, cleared) == (cursor, None)


def test_one_creditor_never_sees_another_creditors_connection(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        save(uow, "ACME")
        uow.commit()

    with uow:
        assert uow.connections.list_for("BETA") == []
        with pytest.raises(NotFoundError, match="BETA is not connected to xero"):
            uow.connections.get("BETA", "xero")


def test_a_creditor_has_at_most_one_connection_per_package(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        save(uow, provider="xero")
        save(uow, provider="quickbooks", tenant="9341453050298127")
        save(uow, provider="xero", tenant="tenant-1")
        uow.commit()

    with uow:
        assert [c.provider for c in uow.connections.list_for("ACME")] == ["quickbooks", "xero"]


def test_an_unknown_package_and_a_time_without_zone_are_refused(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        with pytest.raises(ConstraintError, match="sage"):
            save(uow, provider="sage")
        save(uow)
        with pytest.raises(ConstraintError, match="no timezone"):
            uow.connections.record_sync("ACME", "xero", changed_since={}, synced_at=datetime(2026, 2, 1))


def test_disconnecting_forgets_the_tokens_and_keeps_the_history(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        save(uow)
        uow.connections.record_sync(
            "ACME", "xero", changed_since={"payments": CONNECTED}, synced_at=CONNECTED
        )
        uow.connections.disconnect("ACME", "xero")
        uow.commit()

    with uow:
        stored = uow.connections.get("ACME", "xero")
    assert (stored.status, stored.access_token, stored.refresh_token, stored.is_connected) == (
        "disconnected",
        None,
        None,
        False,
    )
    assert stored.changed_since["payments"] == CONNECTED


def test_a_failure_is_kept_and_a_later_sync_clears_it(two_creditors: SqlUnitOfWork) -> None:
    uow = two_creditors
    with uow:
        save(uow)
        uow.connections.record_failure(
            "ACME", "xero", error="Xero refused the refresh token", status="needs_reconnect"
        )
        failed = uow.connections.get("ACME", "xero")
        uow.connections.record_sync("ACME", "xero", changed_since={}, synced_at=CONNECTED)
        recovered = uow.connections.get("ACME", "xero")
        uow.commit()

    assert (failed.status, failed.last_error) == ("needs_reconnect", "Xero refused the refresh token")
    assert (recovered.status, recovered.last_error) == ("active", None)
