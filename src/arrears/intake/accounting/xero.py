"""Xero: contacts, invoices, credit notes and payments through xero-python.

Requests go through the vendor's own client: `xero_python.accounting.AccountingApi`
(`get_contacts`, `get_invoices`, `get_credit_notes`, `get_payments` with `if_modified_since`,
`page` and `page_size`) on an `ApiClient` whose `OAuth2Token` refreshes the access token when
it is about to expire and hands the new one to the saver (which stores it at once).

Where the endpoints are: `AccountingApi(base_url=...)` and `IdentityApi(base_url=...)` take
the host (the SDK's own switch). The token endpoint is a class attribute of the SDK's
`TokenApi`; the one shim here, `_OAuth2Token`, sets it on the `TokenApi` instance the SDK
builds for a refresh, so the SDK's refresh request and response handling run unchanged.
Tests point all three at a local server.

Mapping (see docs/accounting-connections.md):
- Contact -> debtor: account code = `ContactID`, name `Name`, currency `DefaultCurrency`,
  contact from `FirstName`/`LastName`, `EmailAddress`, the DEFAULT phone and the POBOX (else
  STREET) address, payment terms from `PaymentTerms.Sales` when "days after bill date".
  Contacts that are not customers (`IsCustomer` false) only update a debtor already in the ledger.
- Invoice (Type ACCREC) -> invoice: number `InvoiceNumber`, `Date`, `DueDate`, amount `Total`,
  open amount `AmountDue`, reference `Reference` as the PO number. AUTHORISED and PAID are
  ledger documents; DRAFT and SUBMITTED (not yet approved) and VOIDED and DELETED are withdrawn.
- CreditNote (Type ACCRECCREDIT) -> credit note: `Total`, open amount `RemainingCredit`; its
  `Allocations` become allocations of the credit note to invoices.
- Payment (PaymentType ACCRECPAYMENT) -> payment `xero:<PaymentID>` of `Amount` (in the
  invoice's currency) allocated in full to its `Invoice`; a DELETED payment is withdrawn.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Contact, Debtor, Document, DocumentKind, Payment, PostalAddress, status_for
from arrears.intake.accounting.common import (
    AccountingError,
    CallStats,
    Entity,
    Provider,
    ReconnectNeeded,
    RetryPolicy,
    SourceAllocation,
    SourceBatch,
    SourceDataError,
    SourcePayment,
    Throttled,
    Withdrawn,
    aware,
    call_with_retry,
    clip,
    country_code,
    currency_code,
    iso_date,
    money,
    pages,
    parse_retry_after,
)
from arrears.intake.accounting.tokens import OAuthToken, TokenError, utc_now

PROVIDER = Provider.XERO
LIVE_STATUSES = ("AUTHORISED", "PAID")
WITHDRAWN_STATUSES = {
    "DRAFT": "draft, not yet approved",
    "SUBMITTED": "awaiting approval",
    "VOIDED": "voided",
    "DELETED": "deleted",
}
MAX_PAGE_SIZE = 1000


class XeroApp(BaseSettings):
    """The Arrears app registered with Xero (one for every creditor), from `ARREARS_XERO_*`.

    | variable | default | meaning |
    |---|---|---|
    | `ARREARS_XERO_CLIENT_ID`, `_CLIENT_SECRET` | none | the app's keys (Xero developer portal) |
    | `ARREARS_XERO_REDIRECT_URI` | `http://localhost:8000/callback` | the redirect URI registered for the app |
    | `ARREARS_XERO_SCOPES` | `offline_access accounting.transactions.read accounting.contacts.read` | scopes asked for |
    | `ARREARS_XERO_API_URL` | `https://api.xero.com/api.xro/2.0` | Accounting API |
    | `ARREARS_XERO_IDENTITY_URL` | `https://identity.xero.com` | token and revocation endpoints |
    | `ARREARS_XERO_CONNECTIONS_URL` | `https://api.xero.com` | the `/Connections` (tenants) endpoint |
    | `ARREARS_XERO_LOGIN_URL` | `https://login.xero.com/identity/connect/authorize` | where the creditor signs in |
    """

    model_config = SettingsConfigDict(env_prefix="ARREARS_XERO_", extra="ignore")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    redirect_uri: str = "http://localhost:8000/callback"
    scopes: str = "offline_access accounting.transactions.read accounting.contacts.read"
    api_url: str = "https://api.xero.com/api.xro/2.0"
    identity_url: str = "https://identity.xero.com"
    connections_url: str = "https://api.xero.com"
    login_url: str = "https://login.xero.com/identity/connect/authorize"
    timeout_seconds: int = 60

    def checked(self) -> "XeroApp":
        if not self.client_id or not self.client_secret.get_secret_value():
            raise ArrearsError(
                "set ARREARS_XERO_CLIENT_ID and ARREARS_XERO_CLIENT_SECRET to the keys of the Arrears "
                "app in the Xero developer portal"
            )
        return self

    @property
    def token_url(self) -> str:
        return self.identity_url.rstrip("/") + "/connect/token"

    @property
    def revocation_url(self) -> str:
        return self.identity_url.rstrip("/") + "/connect/revocation"


class _OAuth2Token(OAuth2Token):  # type: ignore[misc]
    """xero-python's token, sending its refresh to the configured identity host."""

    def __init__(self, client_id: str, client_secret: str, token_url: str) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self._token_url = token_url

    def call_refresh_token_api(self, token_api: TokenApi) -> dict[str, Any]:
        token_api.refresh_token_url = self._token_url
        result: dict[str, Any] = super().call_refresh_token_api(token_api)
        return result


def _sdk_token(token: OAuthToken) -> dict[str, Any]:
    """An `OAuthToken` as the dictionary xero-python's token getter returns."""
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "scope": list(token.scopes),
        "expires_at": token.expires_at.timestamp(),
        "expires_in": None,
        "token_type": "Bearer",
        "id_token": None,
    }


class XeroTenant:
    """An organisation the creditor let Arrears read (from `/Connections`)."""

    def __init__(self, tenant_id: str, name: str, kind: str) -> None:
        self.tenant_id, self.name, self.kind = tenant_id, name, kind

    def __repr__(self) -> str:
        return f"XeroTenant({self.tenant_id!r}, {self.name!r}, {self.kind!r})"


class XeroConnector:
    """Pulls one Xero organisation (tenant) into ledger values; see the module docstring."""

    provider = PROVIDER

    def __init__(
        self,
        app: XeroApp,
        tenant_id: str,
        *,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ArrearsError(f"a Xero page holds 1 to {MAX_PAGE_SIZE} records, not {page_size}")
        self._app = app.checked()
        self.tenant_id = tenant_id
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._now = now

    def _api_client(self, token: OAuthToken | None, on_token: Callable[[OAuthToken], None]) -> ApiClient:
        # Configuration() hands back a copy of the first one ever made, whatever its arguments:
        # set the token on the copy.
        configuration = Configuration()
        configuration.oauth2_token = _OAuth2Token(
            self._app.client_id, self._app.client_secret.get_secret_value(), self._app.token_url
        )
        current = {} if token is None else _sdk_token(token)
        if token is not None and not token.scopes:
            # a refresh token brought in by hand comes without its scopes; the SDK sends them
            current["scope"] = self._app.scopes.split()

        def get_token() -> dict[str, Any]:
            return current

        def save_token(new: dict[str, Any]) -> None:
            current.clear()
            current.update(new)
            on_token(OAuthToken.from_response(new, self._now()))

        client = ApiClient(
            configuration, pool_threads=1, oauth2_token_getter=get_token, oauth2_token_saver=save_token
        )
        # urllib3's default Retry, under xero-python, answers a 429 carrying Retry-After by
        # sleeping as long as it says (hours, for the daily limit) and trying again. Turn that
        # off so that `call_with_retry`, with its cap and its injectable sleep, decides.
        client.rest_client.pool_manager.connection_pool_kw["retries"] = Retry(
            3, respect_retry_after_header=False
        )
        return client

    # --- OAuth ---------------------------------------------------------------------------

    def authorization_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._app.client_id,
                "redirect_uri": self._app.redirect_uri,
                "scope": self._app.scopes,
                "state": state,
            }
        )
        return f"{self._app.login_url}?{query}"

    def exchange_code(self, code: str) -> OAuthToken:
        """Tokens for the authorization code Xero sent to the redirect URI (sent through the
        SDK's `ApiClient.call_api`, as its own `TokenApi` sends a refresh)."""
        client = self._api_client(None, lambda token: None)
        try:
            response, _, _ = client.call_api(
                self._app.token_url,
                "POST",
                header_params={
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                post_params={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self._app.redirect_uri,
                    "client_id": self._app.client_id,
                    "client_secret": self._app.client_secret.get_secret_value(),
                },
                auth_settings=None,
                _preload_content=False,
                _request_timeout=self._app.timeout_seconds,
            )
        except ApiException as error:
            raise TokenError(
                f"Xero refused the authorization code (HTTP {error.status}); sign in again"
            ) from error
        except Urllib3Error as error:
            raise AccountingError(f"Xero could not be reached: {error}") from error
        return OAuthToken.from_response(json.loads(response.data.decode("utf-8")), self._now())

    def refresh(self, token: OAuthToken) -> OAuthToken:
        refreshed: list[OAuthToken] = []
        client = self._api_client(token, refreshed.append)
        try:
            client.refresh_oauth2_token()
        except ApiException as error:
            if error.status in (400, 401):
                raise ReconnectNeeded(
                    f"Xero refused the refresh token (HTTP {error.status}): connect the organisation again"
                ) from error
            raise AccountingError(f"Xero token refresh failed (HTTP {error.status})") from error
        except Exception as error:  # the SDK raises a bare Exception for a non-200 refresh
            if isinstance(error, ArrearsError):
                raise
            raise ReconnectNeeded(f"Xero refused the refresh token: {str(error)[:200]}") from error
        if not refreshed:
            raise TokenError("Xero gave no new token; connect the organisation again")
        return refreshed[-1]

    def revoke(self, token: OAuthToken) -> None:
        client = self._api_client(token, lambda new: None)
        api = TokenApi(client, self._app.client_id, self._app.client_secret.get_secret_value())
        api.revoke_token_url = self._app.revocation_url
        try:
            api.revoke_token(token.refresh_token)
        except Exception as error:  # the SDK raises a bare Exception for a non-200 answer
            raise AccountingError(f"Xero did not revoke the tokens: {str(error)[:200]}") from error

    def tenants(self, token: OAuthToken, on_token: Callable[[OAuthToken], None]) -> list[XeroTenant]:
        """The organisations this token may read (Xero's `/Connections`)."""
        client = self._api_client(token, on_token)
        identity = IdentityApi(client, base_url=self._app.connections_url.rstrip("/"))
        stats = CallStats()
        connections = call_with_retry(
            lambda: identity.get_connections(_request_timeout=self._app.timeout_seconds),
            self._throttled,
            self._retry,
            stats,
            "Xero connections",
        )
        return [
            XeroTenant(str(c.tenant_id), str(c.tenant_name or ""), str(c.tenant_type or ""))
            for c in connections
        ]

    # --- pulling ---------------------------------------------------------------------------

    def pull(
        self,
        token: OAuthToken,
        *,
        creditor: str,
        currency: str,
        changed_since: Mapping[Entity, datetime | None],
        on_token: Callable[[OAuthToken], None],
    ) -> SourceBatch:
        """Every contact, invoice, credit note and payment changed since the entity's cursor."""
        session = _Session(self, token, on_token)
        batch = SourceBatch(stats=session.stats)
        mapper = _Mapper(creditor, currency, batch)
        for entity in Entity:
            for record in self._records(session, entity, changed_since.get(entity)):
                updated = getattr(record, "updated_date_utc", None)
                batch.saw(entity, aware(updated) if isinstance(updated, datetime) else None)
                label = f"Xero {_LABELS[entity]} {_record_id(entity, record)}"
                try:
                    mapper.add(entity, record)
                except ArrearsError as problem:
                    batch.skip(entity, f"{label} skipped: {problem}")
        return batch

    def _records(self, session: "_Session", entity: Entity, since: datetime | None) -> Iterator[Any]:
        size = self._page_size
        options: dict[str, Any] = {"page_size": size, "_request_timeout": self._app.timeout_seconds}
        if since is not None:
            # xero-python sends a datetime as an ISO 8601 string; Xero wants UTC without an offset
            options["if_modified_since"] = aware(since).replace(microsecond=0, tzinfo=None)

        def fetch(index: int) -> list[Any]:
            return session.page(entity, index + 1, options)

        return pages(fetch, size)

    def _throttled(self, error: BaseException) -> Throttled | None:
        if isinstance(error, ApiException) and error.status == 429:
            headers = error.headers or {}
            return Throttled(parse_retry_after(headers.get("Retry-After"), self._now()))
        return None


_LABELS = {
    Entity.CUSTOMERS: "contact",
    Entity.INVOICES: "invoice",
    Entity.CREDIT_NOTES: "credit note",
    Entity.PAYMENTS: "payment",
}


def _record_id(entity: Entity, record: Any) -> str:
    name = {
        Entity.CUSTOMERS: "contact_id",
        Entity.INVOICES: "invoice_id",
        Entity.CREDIT_NOTES: "credit_note_id",
        Entity.PAYMENTS: "payment_id",
    }[entity]
    return str(getattr(record, name, None) or "?")


class _Session:
    """The `AccountingApi` of one pull, refreshing its token once when Xero refuses it."""

    def __init__(
        self, connector: XeroConnector, token: OAuthToken, on_token: Callable[[OAuthToken], None]
    ) -> None:
        self._connector = connector
        self._token = token
        self._on_token = on_token
        self._refreshed = False
        self.stats = CallStats()
        self._api = self._make_api()

    def _make_api(self) -> AccountingApi:
        def remember(token: OAuthToken) -> None:
            self._token = token
            self._on_token(token)

        client = self._connector._api_client(self._token, remember)
        return AccountingApi(client, base_url=self._connector._app.api_url.rstrip("/"))

    def page(self, entity: Entity, page: int, options: dict[str, Any]) -> list[Any]:
        connector, tenant = self._connector, self._connector.tenant_id
        api = self._api
        calls: dict[Entity, Callable[[], Any]] = {
            Entity.CUSTOMERS: lambda: api.get_contacts(tenant, page=page, include_archived=True, **options),
            Entity.INVOICES: lambda: api.get_invoices(tenant, where='Type=="ACCREC"', page=page, **options),
            Entity.CREDIT_NOTES: lambda: api.get_credit_notes(
                tenant, where='Type=="ACCRECCREDIT"', page=page, **options
            ),
            Entity.PAYMENTS: lambda: api.get_payments(
                tenant, where='PaymentType=="ACCRECPAYMENT"', page=page, **options
            ),
        }
        what = f"Xero {_LABELS[entity]}s page {page}"
        try:
            response = call_with_retry(
                calls[entity], connector._throttled, connector._retry, self.stats, what
            )
        except ApiException as error:
            if error.status == 401 and not self._refreshed:
                self._refreshed = True
                self._token = connector.refresh(self._token)
                self._on_token(self._token)
                self._api = self._make_api()
                return self.page(entity, page, options)
            if error.status in (401, 403):
                raise ReconnectNeeded(
                    f"Xero refused the connection (HTTP {error.status}): connect again"
                ) from error
            raise AccountingError(f"{what} failed: HTTP {error.status} {error.reason}") from error
        except Urllib3Error as error:
            raise AccountingError(f"Xero could not be reached: {error}") from error
        attribute = {
            Entity.CUSTOMERS: "contacts",
            Entity.INVOICES: "invoices",
            Entity.CREDIT_NOTES: "credit_notes",
            Entity.PAYMENTS: "payments",
        }[entity]
        return list(getattr(response, attribute, None) or [])


class _Mapper:
    """xero-python models -> ledger values in a batch."""

    def __init__(self, creditor: str, currency: str, batch: SourceBatch) -> None:
        self.creditor = creditor
        self.currency = currency
        self.batch = batch

    def add(self, entity: Entity, record: Any) -> None:
        if entity is Entity.CUSTOMERS:
            debtor = self.contact(record)
            (self.batch.debtors if record.is_customer else self.batch.debtor_updates).append(debtor)
        elif entity is Entity.INVOICES:
            self.document(record, DocumentKind.INVOICE)
        elif entity is Entity.CREDIT_NOTES:
            self.document(record, DocumentKind.CREDIT_NOTE)
        else:
            self.payment(record)

    def contact(self, record: Any) -> Debtor:
        account = str(record.contact_id or "").strip()
        if not account:
            raise SourceDataError("no ContactID")
        name = str(record.name or "").strip() or account
        person = " ".join(str(part or "").strip() for part in (record.first_name, record.last_name)).strip()
        email = str(record.email_address or "").strip() or None
        phone = _phone(record.phones or [])
        address = _address(record.addresses or [])
        contacts: tuple[Contact, ...] = ()
        if email or phone or address:
            contacts = (
                Contact(name=clip(person or name, 200) or name, email=email, phone=phone, address=address),
            )
        terms = 30
        sales = getattr(record.payment_terms, "sales", None) if record.payment_terms else None
        if sales is not None and getattr(getattr(sales, "type", None), "value", None) == "DAYSAFTERBILLDATE":
            terms = int(sales.day or 0)
        return Debtor(
            creditor=self.creditor,
            account_code=account,
            name=clip(name, 200) or account,
            currency=currency_code(
                record.default_currency, self.currency, f"contact {account} DefaultCurrency"
            ),
            payment_terms_days=terms,
            contacts=contacts,
        )

    def document(self, record: Any, kind: DocumentKind) -> None:
        invoice = kind is DocumentKind.INVOICE
        expected = "ACCREC" if invoice else "ACCRECCREDIT"
        record_type = str(getattr(record.type, "value", record.type) or "")
        if record_type != expected:
            raise SourceDataError(f"Type {record_type} is not {expected} (a sales document)")
        record_id = str((record.invoice_id if invoice else record.credit_note_id) or "").strip()
        if not record_id:
            raise SourceDataError("no id")
        reference = f"{PROVIDER.value}:{record_id}"
        status = str(record.status or "").upper()
        if status in WITHDRAWN_STATUSES:
            self.batch.withdrawn_documents.append(Withdrawn(reference, WITHDRAWN_STATUSES[status], kind))
            return
        if status not in LIVE_STATUSES:
            raise SourceDataError(f"Status {status or 'missing'} is not one Arrears knows")
        currency = currency_code(record.currency_code, self.currency, "CurrencyCode")
        total = money(record.total, currency, "Total")
        open_amount = money(
            record.amount_due if invoice else record.remaining_credit,
            currency,
            "AmountDue" if invoice else "RemainingCredit",
        )
        issued = iso_date(record.date, "Date")
        due = iso_date(record.due_date, "DueDate") if record.due_date else issued
        contact = record.contact
        account = str(getattr(contact, "contact_id", None) or "").strip()
        if not account:
            raise SourceDataError("no Contact")
        self._reference_debtor(account, str(getattr(contact, "name", None) or ""), currency)
        number = (
            str((record.invoice_number if invoice else record.credit_note_number) or "").strip() or record_id
        )
        if not invoice:
            self.batch.credit_allocations[reference] = tuple(
                SourceAllocation(
                    f"{PROVIDER.value}:{allocation.invoice.invoice_id}",
                    money(allocation.amount, currency, "Allocations Amount"),
                    iso_date(allocation.date, "Allocations Date"),
                )
                for allocation in record.allocations or []
                if not allocation.is_deleted
                and allocation.invoice is not None
                and allocation.invoice.invoice_id
            )
        self.batch.documents.append(
            Document(
                creditor=self.creditor,
                debtor=account,
                kind=kind,
                number=clip(number, 64) or record_id,
                issue_date=issued,
                due_date=due,
                amount=total,
                open_amount=open_amount,
                status=status_for(total, open_amount),
                external_reference=reference,
                po_number=clip(record.reference, 64),
            )
        )

    def payment(self, record: Any) -> None:
        payment_type = str(getattr(record.payment_type, "value", record.payment_type) or "")
        if payment_type != "ACCRECPAYMENT":
            raise SourceDataError(f"PaymentType {payment_type} is not a customer payment on an invoice")
        record_id = str(record.payment_id or "").strip()
        if not record_id:
            raise SourceDataError("no PaymentID")
        reference = f"{PROVIDER.value}:{record_id}"
        if str(record.status or "").upper() == "DELETED":
            self.batch.withdrawn_payments.append(Withdrawn(reference, "deleted"))
            return
        invoice = record.invoice
        invoice_id = str(getattr(invoice, "invoice_id", None) or "").strip()
        if not invoice_id:
            raise SourceDataError("no Invoice")
        currency = currency_code(
            getattr(invoice, "currency_code", None), self.currency, "Invoice CurrencyCode"
        )
        amount = money(record.amount, currency, "Amount")
        if not amount.is_positive:
            raise SourceDataError(f"Amount {amount.amount} is not positive")
        received = iso_date(record.date, "Date")
        contact = getattr(invoice, "contact", None)
        account = str(getattr(contact, "contact_id", None) or "").strip()
        if account:
            self._reference_debtor(account, str(getattr(contact, "name", None) or ""), currency)
        self.batch.payments.append(
            SourcePayment(
                Payment(
                    creditor=self.creditor,
                    reference=reference,
                    received_on=received,
                    amount=amount,
                    debtor=account or None,
                    unallocated=amount - amount,
                ),
                (SourceAllocation(f"{PROVIDER.value}:{invoice_id}", amount, received),),
            )
        )

    def _reference_debtor(self, account: str, name: str, currency: str) -> None:
        if account not in self.batch.referenced_debtors:
            self.batch.referenced_debtors[account] = Debtor(
                creditor=self.creditor,
                account_code=account,
                name=clip(name, 200) or account,
                currency=currency,
            )


def _phone(phones: list[Any]) -> str | None:
    for phone in phones:
        if str(getattr(phone.phone_type, "value", phone.phone_type) or "") == "DEFAULT":
            parts = [
                str(p or "").strip()
                for p in (phone.phone_country_code, phone.phone_area_code, phone.phone_number)
            ]
            text = " ".join(part for part in parts if part)
            return clip(text, 64)
    return None


def _address(addresses: list[Any]) -> PostalAddress | None:
    by_type = {str(getattr(a.address_type, "value", a.address_type) or ""): a for a in addresses}
    for wanted in ("POBOX", "STREET"):
        address = by_type.get(wanted)
        if address is None:
            continue
        lines = [str(getattr(address, f"address_line{n}", None) or "").strip() for n in range(1, 5)]
        lines.append(" ".join(str(part or "").strip() for part in (address.city, address.region)).strip())
        country_text = str(address.country or "").strip()
        country = country_code(country_text)
        if country_text and country is None:
            lines.append(country_text)
        kept = tuple(line for line in lines if line)
        postcode = str(address.postal_code or "").strip()
        if kept or postcode:
            return PostalAddress(lines=kept, postcode=postcode, country=country or "")
    return None
