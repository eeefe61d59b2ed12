"""OAuth tokens: reading token responses, knowing when to refresh, keeping them secret at rest."""

from datetime import UTC, datetime, timedelta

import pytest

from arrears.intake.accounting.tokens import (
    SECRET_KEY_VARIABLE,
    OAuthToken,
    TokenCipher,
    TokenError,
    generate_key,
)

NOW = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)


def test_an_intuit_token_response_gives_both_expiries() -> None:
    token = OAuthToken.from_response(
        {
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
            "token_type": "bearer",
        },
        NOW,
    )

    assert token.expires_at == NOW + timedelta(hours=1)
    assert token.refresh_expires_at == NOW + timedelta(days=101)


def test_a_xero_token_response_gives_its_scopes() -> None:
    token = OAuthToken.from_response(
        {
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 1800,
            "scope": "offline_access accounting.contacts.read",
        },
        NOW,
    )

    assert token.scopes == ("offline_access", "accounting.contacts.read")
    assert token.refresh_expires_at is None


def test_a_response_without_a_refresh_token_is_refused() -> None:
    with pytest.raises(TokenError, match="refresh_token"):
        OAuthToken.from_response({"access_token": "a", "expires_in": 3600}, NOW)


def test_the_token_is_refreshed_two_minutes_before_it_runs_out() -> None:
    token = OAuthToken("a", "r", NOW + timedelta(minutes=5))

    assert not token.needs_refresh(NOW + timedelta(minutes=2, seconds=59))
    assert token.needs_refresh(NOW + timedelta(minutes=3))


def test_printing_a_token_shows_no_secret() -> None:
    token = OAuthToken("secret-access", "secret-refresh", NOW)

    assert "secret" not in repr(token)


def test_tokens_encrypt_and_decrypt_and_the_ciphertext_reveals_nothing() -> None:
    cipher = TokenCipher(generate_key())

    stored = cipher.encrypt("secret-refresh")

    assert "secret" not in stored
    assert cipher.decrypt(stored) == "secret-refresh"


def test_the_first_of_several_keys_encrypts_and_every_one_decrypts() -> None:
    old, new = generate_key(), generate_key()
    stored_under_old = TokenCipher(old).encrypt("t")
    rotated = TokenCipher(f"{new}, {old}")

    assert rotated.decrypt(stored_under_old) == "t"
    assert TokenCipher(new).decrypt(rotated.encrypt("t")) == "t"


def test_a_key_that_is_not_a_fernet_key_is_named() -> None:
    with pytest.raises(TokenError, match=f"key 2 in {SECRET_KEY_VARIABLE} is not a Fernet key"):
        TokenCipher(f"{generate_key()},password123")


def test_without_the_variable_there_is_no_cipher() -> None:
    with pytest.raises(TokenError, match="new-key"):
        TokenCipher.from_environment({})
