"""Helpers the accounting connector tests share: the apps pointed at the local vendor server,
the connector factory the services take, a recorder for rate-limit waits, issued tokens."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from pydantic import SecretStr
from vendor_server import QBO_CLIENT, XERO_CLIENT, VendorServer

from arrears.intake.accounting.common import Provider, RetryPolicy
from arrears.intake.accounting.quickbooks import QuickBooksApp, QuickBooksConnector
from arrears.intake.accounting.tokens import OAuthToken, utc_now
from arrears.intake.accounting.xero import XeroApp, XeroConnector
from arrears.services.sync_accounting import Connector

CREDITOR = "ACME"


@dataclass
class SleepRecorder:
    waits: list[Decimal] = field(default_factory=list)

    def __call__(self, seconds: Decimal) -> None:
        self.waits.append(seconds)


def qbo_app(vendor: VendorServer) -> QuickBooksApp:
    return QuickBooksApp(
        client_id=QBO_CLIENT[0],
        client_secret=SecretStr(QBO_CLIENT[1]),
        environment=f"{vendor.base_url}/.well-known/openid_configuration",
        api_url=vendor.base_url,
        timeout_seconds=10,
    )


def xero_app(vendor: VendorServer) -> XeroApp:
    return XeroApp(
        client_id=XERO_CLIENT[0],
        client_secret=SecretStr(XERO_CLIENT[1]),
        api_url=f"{vendor.base_url}/api.xro/2.0",
        identity_url=vendor.base_url,
        connections_url=vendor.base_url,
        timeout_seconds=10,
    )


@dataclass
class Connectors:
    """The connector factory the services take, pointed at the local server, small pages so
    that paging is exercised by a handful of records."""

    vendor: VendorServer
    sleeps: SleepRecorder
    page_size: int = 2

    def __call__(self, provider: Provider, tenant_id: str) -> Connector:
        retry = RetryPolicy(max_attempts=3, sleep=self.sleeps)
        if provider is Provider.QUICKBOOKS:
            return QuickBooksConnector(qbo_app(self.vendor), tenant_id, retry=retry, page_size=self.page_size)
        return XeroConnector(xero_app(self.vendor), tenant_id, retry=retry, page_size=self.page_size)


def issued_token(vendor: VendorServer, provider: Provider) -> OAuthToken:
    """A token pair the local server has issued, valid for an hour."""
    tokens = vendor.qbo_tokens if provider is Provider.QUICKBOOKS else vendor.xero_tokens
    access, refresh = tokens.issue()
    return OAuthToken(access, refresh, utc_now() + timedelta(hours=1), scopes=("accounting",))
