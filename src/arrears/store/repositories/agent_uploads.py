"""Upload tokens of creditors' sync agents, and the uploads the agents made.

Tokens are kept as their SHA-256 only (the service makes and hashes them; see
`arrears.services.upload_tokens`). Every method takes the creditor it works for, except
`UploadTokenRepository.find_by_key`: a request arrives with nothing but its token, and the token
is what says which creditor it is for, so that one look-up is by the token's public key id,
unique across creditors, and returns the creditor with it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from arrears.core.errors import NotFoundError
from arrears.store.errors import ConstraintError
from arrears.store.repositories._common import Repository
from arrears.store.tables import CreditorRecord
from arrears.store.tables_agent import UPLOAD_MODES, UPLOAD_STATUSES, AgentUploadRecord, UploadTokenRecord

ACCEPTED_STATUSES = ("applied", "partial", "unchanged")


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _required_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ConstraintError(f"{what} {value.isoformat()} has no timezone; give times in UTC")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class StoredToken:
    """An upload token as the store keeps it: never the token itself."""

    id: int
    creditor: str
    key_id: str
    name: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """An upload and the answer it got (`response`: the JSON text sent back)."""

    id: int
    creditor: str
    token_id: int
    idempotency_key: str
    received_at: datetime
    file_name: str
    content_hash: str
    size_bytes: int
    mode: str
    status: str
    import_id: int | None
    http_status: int
    response: str


@dataclass(frozen=True, slots=True)
class NewUpload:
    token_id: int
    idempotency_key: str
    received_at: datetime
    file_name: str
    content_hash: str
    size_bytes: int
    mode: str
    status: str
    import_id: int | None
    http_status: int
    response: str


def _token(creditor: str, record: UploadTokenRecord) -> StoredToken:
    return StoredToken(
        id=record.id,
        creditor=creditor,
        key_id=record.key_id,
        name=record.name,
        created_at=_utc(record.created_at) or record.created_at,
        created_by=record.created_by,
        last_used_at=_utc(record.last_used_at),
        revoked_at=_utc(record.revoked_at),
    )


def _upload(creditor: str, record: AgentUploadRecord) -> StoredUpload:
    return StoredUpload(
        id=record.id,
        creditor=creditor,
        token_id=record.token_id,
        idempotency_key=record.idempotency_key,
        received_at=_utc(record.received_at) or record.received_at,
        file_name=record.file_name,
        content_hash=record.content_hash,
        size_bytes=record.size_bytes,
        mode=record.mode,
        status=record.status,
        import_id=record.import_id,
        http_status=record.http_status,
        response=record.response,
    )


class UploadTokenRepository(Repository):
    def add(
        self,
        creditor: str,
        *,
        key_id: str,
        secret_hash: str,
        name: str,
        created_at: datetime,
        created_by: str,
    ) -> StoredToken:
        record = UploadTokenRecord(
            creditor_id=self._creditor_id(creditor),
            key_id=key_id,
            secret_hash=secret_hash,
            name=name,
            created_at=_required_utc(created_at, "created_at"),
            created_by=created_by,
        )
        try:
            with self._session.begin_nested():
                self._session.add(record)
        except IntegrityError as error:
            raise ConstraintError(f"token key id {key_id} is taken; issue the token again") from error
        return _token(creditor, record)

    def list_all(self, creditor: str) -> list[StoredToken]:
        """The creditor's tokens, revoked ones too, oldest first."""
        records = self._session.scalars(
            select(UploadTokenRecord)
            .where(UploadTokenRecord.creditor_id == self._creditor_id(creditor))
            .order_by(UploadTokenRecord.id)
        )
        return [_token(creditor, record) for record in records]

    def get(self, creditor: str, token_id: int) -> StoredToken:
        return _token(creditor, self._record(creditor, token_id))

    def revoke(self, creditor: str, token_id: int, at: datetime) -> StoredToken:
        """Revoke the token (once: revoking again keeps the first time)."""
        record = self._record(creditor, token_id)
        if record.revoked_at is None:
            record.revoked_at = _required_utc(at, "revoked_at")
            self._session.flush()
        return _token(creditor, record)

    def mark_used(self, creditor: str, token_id: int, at: datetime) -> None:
        record = self._record(creditor, token_id)
        record.last_used_at = _required_utc(at, "last_used_at")
        self._session.flush()

    def find_by_key(self, key_id: str) -> tuple[StoredToken, str] | None:
        """The token with this public key id and its stored hash, whichever creditor it is
        for (see the module docstring); None if there is none."""
        row = self._session.execute(
            select(UploadTokenRecord, CreditorRecord.code)
            .join(CreditorRecord, CreditorRecord.id == UploadTokenRecord.creditor_id)
            .where(UploadTokenRecord.key_id == key_id)
        ).first()
        if row is None:
            return None
        record, code = row
        return _token(code, record), record.secret_hash

    def _record(self, creditor: str, token_id: int) -> UploadTokenRecord:
        record = self._session.scalar(
            select(UploadTokenRecord).where(
                UploadTokenRecord.creditor_id == self._creditor_id(creditor), UploadTokenRecord.id == token_id
            )
        )
        if record is None:
            raise NotFoundError(f"creditor {creditor} has no upload token #{token_id}")
        return record


class AgentUploadRepository(Repository):
    def by_idempotency_key(self, creditor: str, key: str) -> StoredUpload | None:
        record = self._session.scalar(
            select(AgentUploadRecord).where(
                AgentUploadRecord.creditor_id == self._creditor_id(creditor),
                AgentUploadRecord.idempotency_key == key,
            )
        )
        return None if record is None else _upload(creditor, record)

    def accepted_with_content(self, creditor: str, content_hash: str, mode: str) -> StoredUpload | None:
        """The first upload of this content in this mode that the importer took (applied,
        partly applied or found unchanged); a rejected one does not count, since the same file
        may pass once the debtors it names are defined."""
        record = self._session.scalar(
            select(AgentUploadRecord)
            .where(
                AgentUploadRecord.creditor_id == self._creditor_id(creditor),
                AgentUploadRecord.content_hash == content_hash,
                AgentUploadRecord.mode == mode,
                AgentUploadRecord.status.in_(ACCEPTED_STATUSES),
            )
            .order_by(AgentUploadRecord.id)
            .limit(1)
        )
        return None if record is None else _upload(creditor, record)

    def record(self, creditor: str, upload: NewUpload) -> StoredUpload:
        """Record the upload; if another request recorded one with the same idempotency key
        first (two deliveries of one retry racing), that one is returned instead."""
        if upload.mode not in UPLOAD_MODES or upload.status not in UPLOAD_STATUSES:
            raise ConstraintError(f"an upload cannot have mode {upload.mode!r} and status {upload.status!r}")
        record = AgentUploadRecord(
            creditor_id=self._creditor_id(creditor),
            token_id=upload.token_id,
            idempotency_key=upload.idempotency_key,
            received_at=_required_utc(upload.received_at, "received_at"),
            file_name=upload.file_name,
            content_hash=upload.content_hash,
            size_bytes=upload.size_bytes,
            mode=upload.mode,
            status=upload.status,
            import_id=upload.import_id,
            http_status=upload.http_status,
            response=upload.response,
        )
        try:
            with self._session.begin_nested():
                self._session.add(record)
        except IntegrityError as error:
            earlier = self.by_idempotency_key(creditor, upload.idempotency_key)
            if earlier is None:
                raise ConstraintError(
                    f"the database refused the upload of {upload.file_name}: "
                    f"{str(error.orig).strip().splitlines()[0]}"
                ) from error
            return earlier
        return _upload(creditor, record)

    def list_recent(self, creditor: str, limit: int = 20) -> list[StoredUpload]:
        """The creditor's latest uploads, newest first."""
        records = self._session.scalars(
            select(AgentUploadRecord)
            .where(AgentUploadRecord.creditor_id == self._creditor_id(creditor))
            .order_by(AgentUploadRecord.id.desc())
            .limit(limit)
        )
        return [_upload(creditor, record) for record in records]
