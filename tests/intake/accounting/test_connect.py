"""Connecting a creditor to its accounting package, keeping the tokens secret, disconnecting."""

import pytest
from accounting_support import CREDITOR, Connectors
from sqlalchemy import text
from vendor_server import QBO_REALM, XERO_TENANT, VendorServer

from arrears.core.errors import ArrearsError
from arrears.intake.accounting.common import Provider
from arrears.intake.accounting.tokens import SECRET_KEY_VARIABLE, TokenCipher, TokenError, generate_key
from arrears.services.sync_accounting import authorization_url, connect, disconnect, list_connections, sync
from arrears.store.unit_of_work import SqlUnitOfWork

QBO, XERO = Provider.QUICKBOOKS, Provider.XERO


def test_tokens_are_stored_encrypted_and_never_in_the_clear(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connect(
        uow,
        CREDITOR,
        QBO,
        tenant_id=QBO_REALM,
        code=vendor.grant_qbo_code(),
        connectors=connectors,
        cipher=cipher,
    )

    issued_access, issued_refresh = next(iter(vendor.qbo_tokens.access)), vendor.qbo_tokens.refresh
    with uow:
        access, refresh = uow.session.execute(
            text("SELECT access_token, refresh_token FROM connections")
        ).one()
    assert issued_access not in access and issued_refresh is not None and issued_refresh not in refresh
    assert cipher.decrypt(access) == issued_access
    assert cipher.decrypt(refresh) == issued_refresh


def test_without_a_secret_key_connecting_is_refused_before_the_code_is_spent(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_KEY_VARIABLE, raising=False)

    with pytest.raises(TokenError, match=f"set {SECRET_KEY_VARIABLE}"):
        connect(uow, CREDITOR, QBO, tenant_id=QBO_REALM, code=vendor.grant_qbo_code(), connectors=connectors)

    assert vendor.requests == []


def test_the_key_comes_from_the_environment(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    monkeypatch.setenv(SECRET_KEY_VARIABLE, key)

    connect(uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors)
    result = sync(uow, CREDITOR, XERO, connectors=connectors)

    assert result.counts
    with uow:
        stored = uow.connections.get(CREDITOR, "xero")
    assert stored.refresh_token is not None
    assert TokenCipher(key).decrypt(stored.refresh_token) == vendor.xero_tokens.refresh


def test_tokens_stored_under_another_key_cannot_be_read_and_say_why(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connect(uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors, cipher=cipher)

    with pytest.raises(TokenError, match="the key has changed"):
        sync(uow, CREDITOR, XERO, connectors=connectors, cipher=TokenCipher(generate_key()))


def test_a_rotated_key_still_reads_tokens_stored_under_the_old_one(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors
) -> None:
    old, new = generate_key(), generate_key()
    connect(
        uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors, cipher=TokenCipher(old)
    )

    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=TokenCipher(f"{new},{old}"))


def test_quickbooks_needs_the_company_id(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors
) -> None:
    with pytest.raises(ArrearsError, match="realmId"):
        connect(
            uow, CREDITOR, QBO, code="anything", connectors=connectors, cipher=TokenCipher(generate_key())
        )


def test_a_code_quickbooks_refuses_is_reported_plainly(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    with pytest.raises(TokenError, match="refused the authorization code"):
        connect(
            uow, CREDITOR, QBO, tenant_id=QBO_REALM, code="stale-code", connectors=connectors, cipher=cipher
        )

    assert list_connections(uow, CREDITOR) == []


def test_an_existing_refresh_token_can_be_brought_in(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    _, refresh = vendor.qbo_tokens.issue()  # e.g. from Intuit's OAuth playground

    summary = connect(
        uow, CREDITOR, QBO, tenant_id=QBO_REALM, refresh_token=refresh, connectors=connectors, cipher=cipher
    )

    assert (summary.provider, summary.tenant_id, summary.status) == (QBO, QBO_REALM, "active")
    assert vendor.qbo_tokens.refresh != refresh  # spent and rotated at once


def test_xero_asks_which_organisation_when_several_were_granted(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    vendor.xero_tenants.append(dict(vendor.xero_tenants[0], tenantId="other-tenant", tenantName="Other Ltd"))

    with pytest.raises(ArrearsError, match=r"granted 2 Xero organisations.*Other Ltd"):
        connect(uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors, cipher=cipher)
    summary = connect(
        uow,
        CREDITOR,
        XERO,
        tenant_id=XERO_TENANT,
        code=vendor.grant_xero_code(),
        connectors=connectors,
        cipher=cipher,
    )

    assert summary.tenant_id == XERO_TENANT


def test_the_authorization_urls_ask_for_read_access_and_carry_the_state(
    vendor: VendorServer, connectors: Connectors
) -> None:
    xero = authorization_url(XERO, "state-123", connectors=connectors)
    quickbooks = authorization_url(QBO, "state-456", connectors=connectors)

    assert "scope=offline_access+accounting.transactions.read+accounting.contacts.read" in xero
    assert "state=state-123" in xero
    assert "scope=com.intuit.quickbooks.accounting" in quickbooks and "state=state-456" in quickbooks


@pytest.mark.parametrize("provider", [QBO, XERO])
def test_disconnecting_revokes_the_tokens_and_forgets_them(
    provider: Provider, uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    code = vendor.grant_qbo_code() if provider is QBO else vendor.grant_xero_code()
    connect(
        uow,
        CREDITOR,
        provider,
        tenant_id=QBO_REALM if provider is QBO else None,
        code=code,
        connectors=connectors,
        cipher=cipher,
    )
    tokens = vendor.qbo_tokens if provider is QBO else vendor.xero_tokens
    refresh = tokens.refresh

    warning = disconnect(uow, CREDITOR, provider, connectors=connectors, cipher=cipher)

    assert warning is None
    assert tokens.revoked == [refresh]
    with uow:
        stored = uow.connections.get(CREDITOR, provider.value)
    assert (stored.status, stored.access_token, stored.refresh_token) == ("disconnected", None, None)
    with pytest.raises(TokenError, match="disconnected"):
        sync(uow, CREDITOR, provider, connectors=connectors, cipher=cipher)


def test_a_sync_without_a_named_package_uses_the_only_connection(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connect(uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors, cipher=cipher)

    result = sync(uow, CREDITOR, connectors=connectors, cipher=cipher)

    assert result.provider is XERO
