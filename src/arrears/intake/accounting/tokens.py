"""OAuth 2.0 tokens of an accounting connection, and how they are kept secret at rest.

Both QuickBooks Online and Xero grant an **access token** (short-lived: one hour at Intuit,
30 minutes at Xero) and a **refresh token** that buys the next pair. Both vendors may *rotate*
the refresh token on every refresh, so the newest one must be stored before it is used
again: losing it means the creditor has to reconnect.

Tokens are secrets. The store keeps them encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256, from the `cryptography` package) under a key given in `ARREARS_SECRET_KEY`;
without a key, connecting is refused rather than writing tokens in the clear. Several keys
may be given, separated by commas: the first encrypts, every one decrypts, so a key can be
rotated by putting the new one first and re-saving the tokens (any sync or refresh does).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from arrears.core.errors import ArrearsError

SECRET_KEY_VARIABLE = "ARREARS_SECRET_KEY"
# Refresh this long before the access token runs out, so that a request sent with it cannot
# arrive after it expired.
EXPIRY_MARGIN = timedelta(minutes=2)
_PREFIX = "fernet:"


class TokenError(ArrearsError):
    """A token that cannot be used, stored or read back: missing key, wrong key, refused refresh."""


@dataclass(frozen=True, slots=True)
class OAuthToken:
    """An access token with the refresh token that renews it.

    `expires_at` is when the access token stops working; `refresh_expires_at`, when the refresh
    token does (Intuit says so; Xero does not, its refresh tokens last 60 days unused). The
    secrets are left out of `repr`, so a token printed in a log or a traceback shows none.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("expires_at", "refresh_expires_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise TokenError(f"token {name} {value.isoformat()} has no timezone; give it in UTC")
        if not self.refresh_token:
            raise TokenError("the vendor gave no refresh token; ask for offline access when connecting")

    def needs_refresh(self, now: datetime, margin: timedelta = EXPIRY_MARGIN) -> bool:
        """Whether the access token runs out within `margin` of `now`."""
        return self.expires_at - margin <= now

    @classmethod
    def from_response(cls, response: Mapping[str, Any], now: datetime) -> "OAuthToken":
        """A token from an OAuth 2.0 token response (RFC 6749 s.5.1), received at `now`.

        Reads `access_token`, `refresh_token`, `expires_in` (seconds), Intuit's
        `x_refresh_token_expires_in` and `scope` (space-separated, or a list as xero-python
        hands it over).
        """
        try:
            access_token = str(response["access_token"])
            refresh_token = str(response["refresh_token"])
        except KeyError as missing:
            raise TokenError(f"the token response has no {missing.args[0]}") from None
        expires_in = _seconds(response.get("expires_in"), "expires_in") or 0
        refresh_in = _seconds(response.get("x_refresh_token_expires_in"), "x_refresh_token_expires_in")
        scope = response.get("scope") or ()
        scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(str(s) for s in scope)
        return cls(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=now + timedelta(seconds=expires_in),
            refresh_expires_at=None if refresh_in is None else now + timedelta(seconds=refresh_in),
            scopes=scopes,
        )


def _seconds(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TokenError(f"token response field {name} is {value!r}, not a number of seconds")
    try:
        return int(Decimal(str(value)))
    except ArithmeticError:
        raise TokenError(f"token response field {name} is {value!r}, not a number of seconds") from None


def utc_now() -> datetime:
    """The current time in UTC (the one place the accounting intake reads the clock)."""
    return datetime.now(UTC)


class TokenCipher:
    """Encrypts tokens for the store and decrypts them back (Fernet, see the module docstring)."""

    def __init__(self, keys: str | bytes) -> None:
        text = keys.decode("ascii") if isinstance(keys, bytes) else keys
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:
            raise TokenError(f"{SECRET_KEY_VARIABLE} is empty; {generate_hint()}")
        fernets = []
        for position, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise TokenError(
                    f"key {position} in {SECRET_KEY_VARIABLE} is not a Fernet key (32 url-safe "
                    f"base64-encoded bytes); {generate_hint()}"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "TokenCipher":
        """The cipher for the key(s) in `ARREARS_SECRET_KEY`; a `TokenError` if it is unset."""
        value = (os.environ if environ is None else environ).get(SECRET_KEY_VARIABLE, "")
        if not value.strip():
            raise TokenError(
                f"set {SECRET_KEY_VARIABLE} to keep accounting tokens encrypted in the store; {generate_hint()}"
            )
        return cls(value)

    def encrypt(self, secret: str) -> str:
        return _PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str, what: str = "token") -> str:
        if not stored.startswith(_PREFIX):
            raise TokenError(f"the stored {what} is not encrypted the way Arrears stores tokens; reconnect")
        try:
            return self._fernet.decrypt(stored[len(_PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenError(
                f"the stored {what} cannot be decrypted with {SECRET_KEY_VARIABLE}: the key has changed. "
                "Put the old key back (after the new one, comma-separated) or reconnect"
            ) from None


def generate_key() -> str:
    """A new random Fernet key, as `ARREARS_SECRET_KEY` takes it."""
    return Fernet.generate_key().decode("ascii")


def generate_hint() -> str:
    return "`arrears connections new-key` prints a new one"
