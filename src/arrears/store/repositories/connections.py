"""Connections of creditors to their accounting packages (QuickBooks Online, Xero).

The repository stores the tokens exactly as given: the sync service encrypts them before and
decrypts them after (`arrears.intake.accounting.tokens.TokenCipher`), so the store never
holds or returns a token in the clear. Times go in and come out timezone-aware, in UTC
(SQLite keeps no offset; the repository puts UTC back).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from arrears.core.errors import NotFoundError
from arrears.store.errors import ConstraintError
from arrears.store.repositories._common import Repository
from arrears.store.tables_connections import CONNECTION_STATUSES, CURSOR_COLUMNS, PROVIDERS, ConnectionRecord


@dataclass(frozen=True, slots=True)
class StoredConnection:
    """A connection as the store keeps it; the tokens are the ciphertext the service stored."""

    creditor: str
    provider: str
    tenant_id: str
    access_token: str | None
    refresh_token: str | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    status: str
    connected_at: datetime
    changed_since: Mapping[str, datetime | None]  # entity ("customers", ...) -> cursor
    last_sync_at: datetime | None
    last_error: str | None

    @property
    def is_connected(self) -> bool:
        return self.status != "disconnected" and self.refresh_token is not None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _required_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ConstraintError(f"{what} {value.isoformat()} has no timezone; give times in UTC")
    return value.astimezone(UTC)


def _check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ConstraintError(
            f"{provider!r} is not an accounting package Arrears connects to; use {', '.join(PROVIDERS)}"
        )
    return provider


def _stored(creditor: str, record: ConnectionRecord) -> StoredConnection:
    return StoredConnection(
        creditor=creditor,
        provider=record.provider,
        tenant_id=record.tenant_id,
        access_token=record.access_token,
        refresh_token=record.refresh_token,
        access_expires_at=_utc(record.access_expires_at),
        refresh_expires_at=_utc(record.refresh_expires_at),
        scopes=tuple(record.scopes.split()),
        status=record.status,
        connected_at=_utc(record.connected_at) or record.connected_at,
        changed_since={entity: _utc(getattr(record, column)) for entity, column in CURSOR_COLUMNS.items()},
        last_sync_at=_utc(record.last_sync_at),
        last_error=record.last_error,
    )


class ConnectionRepository(Repository):
    def save(
        self,
        creditor: str,
        provider: str,
        *,
        tenant_id: str,
        access_token: str,
        refresh_token: str,
        access_expires_at: datetime,
        refresh_expires_at: datetime | None,
        scopes: tuple[str, ...],
        connected_at: datetime,
    ) -> StoredConnection:
        """Connect (or reconnect) a creditor to a package with new tokens; status `active`.

        Reconnecting to the same tenant keeps the sync cursors, so the next sync carries on
        where the last stopped; connecting to another tenant (another company) clears them, so
        the next sync pulls everything.
        """
        record = self._record(creditor, _check_provider(provider), missing_ok=True)
        if record is None:
            record = ConnectionRecord(creditor_id=self._creditor_id(creditor), provider=provider)
            self._session.add(record)
        elif record.tenant_id != tenant_id:
            for column in CURSOR_COLUMNS.values():
                setattr(record, column, None)
            record.last_sync_at = None
        record.tenant_id = tenant_id
        record.access_token = access_token
        record.refresh_token = refresh_token
        record.access_expires_at = _required_utc(access_expires_at, "access_expires_at")
        record.refresh_expires_at = (
            None if refresh_expires_at is None else _required_utc(refresh_expires_at, "refresh_expires_at")
        )
        record.scopes = " ".join(scopes)
        record.status = "active"
        record.connected_at = _required_utc(connected_at, "connected_at")
        record.last_error = None
        self._session.flush()
        return _stored(creditor, record)

    def get(self, creditor: str, provider: str) -> StoredConnection:
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        return _stored(creditor, record)

    def list_for(self, creditor: str) -> list[StoredConnection]:
        """The creditor's connections, by provider."""
        records = self._session.scalars(
            select(ConnectionRecord)
            .where(ConnectionRecord.creditor_id == self._creditor_id(creditor))
            .order_by(ConnectionRecord.provider)
        )
        return [_stored(creditor, record) for record in records]

    def update_tokens(
        self,
        creditor: str,
        provider: str,
        *,
        access_token: str,
        refresh_token: str,
        access_expires_at: datetime,
        refresh_expires_at: datetime | None,
        scopes: tuple[str, ...],
    ) -> None:
        """Store refreshed tokens (the vendors rotate the refresh token: keep the newest)."""
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        record.access_token = access_token
        record.refresh_token = refresh_token
        record.access_expires_at = _required_utc(access_expires_at, "access_expires_at")
        record.refresh_expires_at = (
            None if refresh_expires_at is None else _required_utc(refresh_expires_at, "refresh_expires_at")
        )
        if scopes:
            record.scopes = " ".join(scopes)
        self._session.flush()

    def record_sync(
        self,
        creditor: str,
        provider: str,
        *,
        changed_since: Mapping[str, datetime | None],
        synced_at: datetime,
    ) -> None:
        """A successful sync: move the cursors of the entities given (None leaves one as it is)."""
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        for entity, cursor in changed_since.items():
            if entity not in CURSOR_COLUMNS:
                raise ConstraintError(
                    f"{entity!r} is not an entity a sync pulls; use {', '.join(CURSOR_COLUMNS)}"
                )
            if cursor is not None:
                setattr(record, CURSOR_COLUMNS[entity], _required_utc(cursor, f"{entity} cursor"))
        record.last_sync_at = _required_utc(synced_at, "synced_at")
        record.last_error = None
        if record.status == "needs_reconnect":
            record.status = "active"
        self._session.flush()

    def reset_cursors(self, creditor: str, provider: str) -> None:
        """Forget the cursors: the next sync pulls everything."""
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        for column in CURSOR_COLUMNS.values():
            setattr(record, column, None)
        self._session.flush()

    def record_failure(self, creditor: str, provider: str, *, error: str, status: str | None = None) -> None:
        """A failed sync or refresh: keep the message (and `needs_reconnect` when tokens were refused)."""
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        if status is not None:
            if status not in CONNECTION_STATUSES:
                raise ConstraintError(
                    f"{status!r} is not a connection status; use {', '.join(CONNECTION_STATUSES)}"
                )
            record.status = status
        record.last_error = error[:2000]
        self._session.flush()

    def disconnect(self, creditor: str, provider: str) -> None:
        """Forget the tokens; the cursors and the last sync time stay for the record."""
        record = self._record(creditor, _check_provider(provider))
        assert record is not None
        record.access_token = record.refresh_token = None
        record.access_expires_at = record.refresh_expires_at = None
        record.status = "disconnected"
        self._session.flush()

    def _record(self, creditor: str, provider: str, *, missing_ok: bool = False) -> ConnectionRecord | None:
        record = self._session.scalar(
            select(ConnectionRecord).where(
                ConnectionRecord.creditor_id == self._creditor_id(creditor),
                ConnectionRecord.provider == provider,
            )
        )
        if record is None and not missing_ok:
            raise NotFoundError(
                f"creditor {creditor} is not connected to {provider}: run `arrears connect {provider} --creditor {creditor}`"
            )
        return record
