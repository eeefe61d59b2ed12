"""Upload tokens: how a creditor's sync agent proves which creditor it uploads for.

A token reads `arr_<key id>_<secret>`: the key id (12 hex digits) is public and finds the row;
the secret is 32 random bytes (`secrets.token_urlsafe`). The store keeps only the SHA-256 of
the whole token, so a copy of the database gives no working token; the token is shown once,
when it is issued. Checking compares the hashes in constant time (`hmac.compare_digest`).
A token authorises exactly one creditor: the creditor is read from the token's row, never
from the request.

    issued = issue_token(uow, "ACME", name="office server", who="jane")
    print(issued.token)                       # give it to the agent; it is not shown again
    identity = authenticate(uow, issued.token)  # -> TokenIdentity(creditor="ACME", ...)
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from arrears.core.errors import ArrearsError
from arrears.store.repositories.agent_uploads import StoredToken
from arrears.store.unit_of_work import UnitOfWork

PREFIX = "arr"
SECRET_BYTES = 32
MAX_TOKEN_LENGTH = 200


class InvalidTokenError(ArrearsError):
    """No token, or one that is unknown, mistyped or revoked."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: `token` is the only time the secret is seen."""

    stored: StoredToken
    token: str


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    """Who a request is from: the creditor the token belongs to, and the token."""

    creditor: str
    token_id: int
    key_id: str
    name: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    uow: UnitOfWork, creditor: str, *, name: str, who: str, now: datetime | None = None
) -> IssuedToken:
    """Issue a new upload token for `creditor` (which must exist)."""
    name = name.strip() or "sync agent"
    if len(name) > 100:
        raise ArrearsError(f"token name {name[:20]!r}... is longer than 100 characters")
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    with uow:
        uow.creditors.get(creditor)
        stored = uow.upload_tokens.add(
            creditor,
            key_id=key_id,
            secret_hash=token_hash(token),
            name=name,
            created_at=now or datetime.now(UTC),
            created_by=who[:200],
        )
        uow.commit()
    return IssuedToken(stored, token)


def list_tokens(uow: UnitOfWork, creditor: str) -> list[StoredToken]:
    with uow:
        uow.creditors.get(creditor)
        return uow.upload_tokens.list_all(creditor)


def revoke_token(
    uow: UnitOfWork, creditor: str, token_id: int, *, now: datetime | None = None
) -> StoredToken:
    """Revoke one of the creditor's tokens: every request with it is refused from now on. A
    token of another creditor is not found."""
    with uow:
        revoked = uow.upload_tokens.revoke(creditor, token_id, now or datetime.now(UTC))
        uow.commit()
    return revoked


def authenticate(uow: UnitOfWork, token: str | None, *, now: datetime | None = None) -> TokenIdentity:
    """The creditor and token a request's bearer token stands for; `InvalidTokenError` if it
    stands for none. Records when the token was last used."""
    if not token:
        raise InvalidTokenError("no upload token: send 'Authorization: Bearer <token>'")
    parts = token.strip().split("_", 2)
    if len(token) > MAX_TOKEN_LENGTH or len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidTokenError("that is not an Arrears upload token (they read arr_<key>_<secret>)")
    with uow:
        found = uow.upload_tokens.find_by_key(parts[1])
        # Compare even when the key is unknown, so the answer takes as long either way.
        expected = found[1] if found is not None else "0" * 64
        matches = hmac.compare_digest(token_hash(token.strip()), expected)
        if found is None or not matches:
            raise InvalidTokenError("the upload token is not valid: check it, or issue a new one")
        stored = found[0]
        if not stored.active:
            raise InvalidTokenError(f"upload token #{stored.id} ({stored.name}) was revoked: issue a new one")
        uow.upload_tokens.mark_used(stored.creditor, stored.id, now or datetime.now(UTC))
        uow.commit()
    return TokenIdentity(stored.creditor, stored.id, stored.key_id, stored.name)
