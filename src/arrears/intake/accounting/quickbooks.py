"""QuickBooks Online: customers, invoices, credit memos and payments through python-quickbooks.

Requests go through the vendor's own clients: `intuitlib.client.AuthClient` (intuit-oauth)
for the OAuth 2.0 token endpoint and `quickbooks.QuickBooks` (python-quickbooks) for the
Accounting API v3 `query` endpoint, which answers

    {"QueryResponse": {"Invoice": [...], "startPosition": 1, "maxResults": 3}, "time": "..."}

Where the endpoints are: `environment` is "production", "sandbox" or the URL of an OpenID
discovery document (intuit-oauth's own switch; the token endpoint is read from it), and
`api_url`, when set, replaces the Accounting API's host (python-quickbooks keeps it in the
`api_url_v3` attribute). Tests point both at a local server; nothing else is replaced.

Mapping (see docs/accounting-connections.md):
- Customer -> debtor: account code = `Id` (stable; `DisplayName` can be renamed), name =
  `DisplayName`, currency = `CurrencyRef`, contact from `PrimaryEmailAddr`, `PrimaryPhone`,
  `BillAddr`. Inactive customers are pulled too (`Active IN (true, false)`).
- Invoice -> invoice: number `DocNumber` (else `Id`), `TxnDate`, `DueDate`, amount `TotalAmt`,
  open amount `Balance`. A voided invoice (QuickBooks zeroes `TotalAmt`) is withdrawn.
- CreditMemo -> credit note: amount `TotalAmt`, open amount `RemainingCredit`.
- Payment -> payment `quickbooks:<Id>` with `TotalAmt`, unallocated `UnappliedAmt`; its cash
  is allocated to the invoices its `Line[].LinkedTxn` names (TxnType "Invoice"), in line order
  and never more than the cash applied. A payment of zero (voided, or only applying a credit
  memo) is withdrawn.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from requests.adapters import HTTPAdapter

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

PROVIDER = Provider.QUICKBOOKS
QUERY_NAMES: Mapping[Entity, str] = {
    Entity.CUSTOMERS: "Customer",
    Entity.INVOICES: "Invoice",
    Entity.CREDIT_NOTES: "CreditMemo",
    Entity.PAYMENTS: "Payment",
}
MAX_RESULTS = 1000  # the most one QuickBooks query returns


class QuickBooksApp(BaseSettings):
    """The Arrears app registered with Intuit (one for every creditor), from `ARREARS_QUICKBOOKS_*`.

    | variable | default | meaning |
    |---|---|---|
    | `ARREARS_QUICKBOOKS_CLIENT_ID`, `_CLIENT_SECRET` | none | the app's keys (Intuit developer portal) |
    | `ARREARS_QUICKBOOKS_REDIRECT_URI` | `http://localhost:8000/callback` | the redirect URI registered for the app |
    | `ARREARS_QUICKBOOKS_ENVIRONMENT` | `production` | `production`, `sandbox` or a discovery-document URL |
    | `ARREARS_QUICKBOOKS_API_URL` | the SDK's host for the environment | Accounting API host, without `/v3` |
    """

    model_config = SettingsConfigDict(env_prefix="ARREARS_QUICKBOOKS_", extra="ignore")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    redirect_uri: str = "http://localhost:8000/callback"
    environment: str = "production"
    api_url: str | None = None
    minor_version: int = 75
    timeout_seconds: int = 60

    def checked(self) -> "QuickBooksApp":
        if not self.client_id or not self.client_secret.get_secret_value():
            raise ArrearsError(
                "set ARREARS_QUICKBOOKS_CLIENT_ID and ARREARS_QUICKBOOKS_CLIENT_SECRET to the keys of "
                "the Arrears app in the Intuit developer portal"
            )
        return self


class _DefaultTimeout(HTTPAdapter):
    """requests waits forever unless told; the SDKs do not tell it. Every request gets a timeout."""

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self._seconds = seconds

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._seconds
        return super().send(request, **kwargs)


def _with_timeout(session: requests.Session, seconds: int) -> None:
    adapter = _DefaultTimeout(seconds)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


@dataclass(slots=True)
class _LastResponse:
    status: int | None = None
    retry_after: str | None = None


class QuickBooksConnector:
    """Pulls one QuickBooks company (realm) into ledger values; see the module docstring."""

    provider = PROVIDER

    def __init__(
        self,
        app: QuickBooksApp,
        realm_id: str,
        *,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_RESULTS,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if not 1 <= page_size <= MAX_RESULTS:
            raise ArrearsError(f"a QuickBooks page holds 1 to {MAX_RESULTS} records, not {page_size}")
        self._app = app.checked()
        self.tenant_id = realm_id
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._now = now
        self._auth: AuthClient | None = None
        self._last = _LastResponse()

    # --- OAuth ---------------------------------------------------------------------------

    def _auth_client(self, token: OAuthToken | None = None) -> AuthClient:
        if self._auth is None:
            try:
                self._auth = AuthClient(
                    client_id=self._app.client_id,
                    client_secret=self._app.client_secret.get_secret_value(),
                    redirect_uri=self._app.redirect_uri,
                    environment=self._app.environment,
                    realm_id=self.tenant_id or None,
                )
            except (requests.RequestException, AuthClientError, ValueError) as error:
                raise AccountingError(
                    f"could not read Intuit's OAuth endpoints for environment {self._app.environment!r}: {error}"
                ) from error
            _with_timeout(self._auth, self._app.timeout_seconds)
        if token is not None:
            self._auth.access_token = token.access_token
            self._auth.refresh_token = token.refresh_token
        return self._auth

    def authorization_url(self, state: str) -> str:
        """Where the creditor signs in to QuickBooks and grants Arrears access to one company."""
        return str(self._auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state))

    def exchange_code(self, code: str) -> OAuthToken:
        """Tokens for the authorization code QuickBooks sent to the redirect URI."""
        auth = self._auth_client()
        try:
            auth.get_bearer_token(code, realm_id=self.tenant_id or None)
        except AuthClientError as error:
            raise TokenError(
                f"QuickBooks refused the authorization code ({_reason(error)}); sign in again"
            ) from error
        return self._token_from(auth)

    def refresh(self, token: OAuthToken) -> OAuthToken:
        """A new access token (and, as Intuit rotates them, a new refresh token)."""
        auth = self._auth_client(token)
        try:
            auth.refresh(refresh_token=token.refresh_token)
        except AuthClientError as error:
            if error.status_code in (400, 401):
                raise ReconnectNeeded(
                    f"QuickBooks refused the refresh token ({_reason(error)}): connect the company again"
                ) from error
            raise AccountingError(f"QuickBooks token refresh failed ({_reason(error)})") from error
        return self._token_from(auth)

    def revoke(self, token: OAuthToken) -> None:
        try:
            self._auth_client(token).revoke(token=token.refresh_token)
        except AuthClientError as error:
            raise AccountingError(f"QuickBooks did not revoke the tokens ({_reason(error)})") from error

    def _token_from(self, auth: AuthClient) -> OAuthToken:
        return OAuthToken.from_response(
            {
                "access_token": auth.access_token,
                "refresh_token": auth.refresh_token,
                "expires_in": auth.expires_in,
                "x_refresh_token_expires_in": auth.x_refresh_token_expires_in,
                "scope": Scopes.ACCOUNTING.value,
            },
            self._now(),
        )

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
        """Every customer, invoice, credit memo and payment changed since the entity's cursor.

        A refused access token (HTTP 401) is refreshed once, handed to `on_token` to be stored
        at once (Intuit rotates refresh tokens), and the request is sent again.
        """
        session = _Session(self, token, on_token)
        batch = SourceBatch(stats=session.stats)
        mapper = _Mapper(creditor, currency, batch)
        for entity, name in QUERY_NAMES.items():
            for record in self._records(session, name, changed_since.get(entity)):
                updated = _updated_at(record)
                batch.saw(entity, updated)
                label = f"QuickBooks {name} {record.get('Id', '?')}"
                try:
                    mapper.add(entity, record)
                except ArrearsError as problem:
                    batch.skip(entity, f"{label} skipped: {problem}")
        return batch

    def _records(self, session: "_Session", name: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        conditions = ["Active IN (true, false)"] if name == "Customer" else []
        if since is not None:
            stamp = aware(since).replace(microsecond=0).isoformat()
            conditions.append(f"Metadata.LastUpdatedTime >= '{stamp}'")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        size = self._page_size

        def fetch(index: int) -> list[dict[str, Any]]:
            select = f"SELECT * FROM {name}{where} STARTPOSITION {1 + index * size} MAXRESULTS {size}"
            response = session.query(select)
            found = response.get("QueryResponse", {}).get(name, [])
            if not isinstance(found, list):
                raise AccountingError(f"QuickBooks answered a {name} query with {type(found).__name__}")
            return found

        return pages(fetch, size)

    def _throttled(self, error: BaseException) -> Throttled | None:
        if self._last.status != 429:
            return None
        return Throttled(parse_retry_after(self._last.retry_after, self._now()))

    def _client(self, token: OAuthToken) -> QuickBooks:
        client = QuickBooks(
            auth_client=self._auth_client(token),
            refresh_token=token.refresh_token,
            company_id=self.tenant_id,
            minorversion=self._app.minor_version,
            use_decimal=True,  # amounts parsed as Decimal, never float
        )
        if self._app.api_url:
            base = self._app.api_url.rstrip("/") + "/v3"
            client.api_url_v3 = client.sandbox_api_url_v3 = base
        _with_timeout(client.session, self._app.timeout_seconds)
        client.session.hooks["response"].append(self._observe)
        return client

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep the status and Retry-After of the last answer: python-quickbooks raises on a 429
        without either."""
        self._last = _LastResponse(response.status_code, response.headers.get("Retry-After"))


class _Session:
    """The QuickBooks client of one pull, refreshing its token once when QuickBooks refuses it."""

    def __init__(
        self, connector: QuickBooksConnector, token: OAuthToken, on_token: Callable[[OAuthToken], None]
    ) -> None:
        self._connector = connector
        self._token = token
        self._on_token = on_token
        self._client = connector._client(token)
        self._refreshed = False
        self.stats = CallStats()

    def query(self, select: str) -> dict[str, Any]:
        connector = self._connector

        def call() -> dict[str, Any]:
            connector._last = _LastResponse()
            result = self._client.query(select)
            if not isinstance(result, dict):
                raise AccountingError("QuickBooks answered a query with something other than JSON")
            return result

        try:
            return call_with_retry(
                call, connector._throttled, connector._retry, self.stats, "QuickBooks query"
            )
        except AuthorizationException as error:
            if self._refreshed or connector._last.status != 401:
                raise ReconnectNeeded(f"QuickBooks refused the connection: {error.message}") from error
            self._refreshed = True
            self._token = connector.refresh(self._token)
            self._on_token(self._token)
            self._client = connector._client(self._token)
            return self.query(select)
        except QuickbooksException as error:
            raise AccountingError(
                f"QuickBooks query failed: {error.message} {error.detail}".strip()
            ) from error
        except requests.RequestException as error:
            raise AccountingError(f"QuickBooks could not be reached: {error}") from error


def _reason(error: AuthClientError) -> str:
    text = (
        error.content.decode("utf-8", "replace") if isinstance(error.content, bytes) else str(error.content)
    )
    return f"HTTP {error.status_code} {text[:200]}".strip()


def _updated_at(record: Mapping[str, Any]) -> datetime | None:
    stamp = (record.get("MetaData") or {}).get("LastUpdatedTime")
    if not stamp:
        return None
    try:
        return aware(datetime.fromisoformat(str(stamp)))
    except ValueError:
        return None


def _ref(record: Mapping[str, Any], name: str) -> tuple[str, str]:
    """(value, name) of a reference such as `CustomerRef`."""
    ref = record.get(name) or {}
    return str(ref.get("value") or "").strip(), str(ref.get("name") or "").strip()


class _Mapper:
    """QuickBooks records (as the query endpoint returns them) -> ledger values in a batch."""

    def __init__(self, creditor: str, currency: str, batch: SourceBatch) -> None:
        self.creditor = creditor
        self.currency = currency
        self.batch = batch

    def add(self, entity: Entity, record: Mapping[str, Any]) -> None:
        if entity is Entity.CUSTOMERS:
            self.batch.debtors.append(self.customer(record))
        elif entity is Entity.PAYMENTS:
            self.payment(record)
        else:
            self.document(
                record, DocumentKind.INVOICE if entity is Entity.INVOICES else DocumentKind.CREDIT_NOTE
            )

    def customer(self, record: Mapping[str, Any]) -> Debtor:
        account = str(record.get("Id") or "").strip()
        if not account:
            raise SourceDataError("no Id")
        name = str(record.get("DisplayName") or record.get("CompanyName") or account).strip()
        email = ((record.get("PrimaryEmailAddr") or {}).get("Address") or "").strip() or None
        phone = ((record.get("PrimaryPhone") or {}).get("FreeFormNumber") or "").strip() or None
        address = _address(record.get("BillAddr"))
        person = " ".join(str(record.get(part) or "").strip() for part in ("GivenName", "FamilyName")).strip()
        contacts: tuple[Contact, ...] = ()
        if email or phone or address:
            contacts = (
                Contact(name=clip(person or name, 200) or name, email=email, phone=phone, address=address),
            )
        return Debtor(
            creditor=self.creditor,
            account_code=account,
            name=clip(name, 200) or account,
            currency=currency_code(record.get("CurrencyRef"), self.currency, "CurrencyRef"),
            contacts=contacts,
        )

    def document(self, record: Mapping[str, Any], kind: DocumentKind) -> None:
        record_id = str(record.get("Id") or "").strip()
        if not record_id:
            raise SourceDataError("no Id")
        reference = f"{PROVIDER.value}:{record_id}"
        currency = currency_code(record.get("CurrencyRef"), self.currency, "CurrencyRef")
        total = money(record.get("TotalAmt", 0), currency, "TotalAmt")
        if total.is_zero:
            # QuickBooks voids a transaction by zeroing it ("Voided" in PrivateNote); deleted ones
            # never reach a query. Either way it is owed no longer.
            self.batch.withdrawn_documents.append(Withdrawn(reference, "voided (total is zero)", kind))
            return
        if total.is_negative:
            raise SourceDataError(f"TotalAmt {total.amount} is negative")
        open_field = "Balance" if kind is DocumentKind.INVOICE else "RemainingCredit"
        open_value = record.get(open_field, record.get("Balance"))
        if open_value is None:
            raise SourceDataError(f"no {open_field}")
        open_amount = money(open_value, currency, open_field)
        issued = iso_date(record.get("TxnDate"), "TxnDate")
        due = iso_date(record["DueDate"], "DueDate") if record.get("DueDate") else issued
        account, customer_name = _ref(record, "CustomerRef")
        if not account:
            raise SourceDataError("no CustomerRef")
        self._reference_debtor(account, customer_name, currency)
        number = str(record.get("DocNumber") or "").strip() or record_id
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
            )
        )

    def payment(self, record: Mapping[str, Any]) -> None:
        record_id = str(record.get("Id") or "").strip()
        if not record_id:
            raise SourceDataError("no Id")
        reference = f"{PROVIDER.value}:{record_id}"
        currency = currency_code(record.get("CurrencyRef"), self.currency, "CurrencyRef")
        total = money(record.get("TotalAmt", 0), currency, "TotalAmt")
        if not total.is_positive:
            self.batch.withdrawn_payments.append(
                Withdrawn(reference, "no cash received (voided, or only applies a credit memo)")
            )
            return
        unapplied = money(record.get("UnappliedAmt", 0), currency, "UnappliedAmt")
        if unapplied.is_negative or unapplied > total:
            raise SourceDataError(f"UnappliedAmt {unapplied.amount} is outside 0..{total.amount}")
        received = iso_date(record.get("TxnDate"), "TxnDate")
        account, customer_name = _ref(record, "CustomerRef")
        if account:
            self._reference_debtor(account, customer_name, currency)
        cash = total - unapplied
        allocations = []
        for position, line in enumerate(record.get("Line") or [], start=1):
            invoices = [link for link in line.get("LinkedTxn") or [] if link.get("TxnType") == "Invoice"]
            if not invoices or not cash.is_positive:
                continue
            applied = money(line.get("Amount", 0), currency, f"Line {position} Amount").min(cash)
            if applied.is_positive:
                invoice_id = str(invoices[0].get("TxnId") or "").strip()
                allocations.append(SourceAllocation(f"{PROVIDER.value}:{invoice_id}", applied, received))
                cash = cash - applied
        self.batch.payments.append(
            SourcePayment(
                Payment(
                    creditor=self.creditor,
                    reference=reference,
                    received_on=received,
                    amount=total,
                    debtor=account or None,
                    unallocated=unapplied,
                ),
                tuple(allocations),
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


def _address(value: object) -> PostalAddress | None:
    if not isinstance(value, Mapping):
        return None
    lines = [str(value.get(f"Line{n}") or "").strip() for n in range(1, 6)]
    city = " ".join(str(value.get(part) or "").strip() for part in ("City", "CountrySubDivisionCode")).strip()
    lines.append(city)
    country_text = str(value.get("Country") or "").strip()
    country = country_code(country_text)
    if country_text and country is None:
        lines.append(country_text)
    kept = tuple(line for line in lines if line)
    postcode = str(value.get("PostalCode") or "").strip()
    if not kept and not postcode:
        return None
    return PostalAddress(lines=kept, postcode=postcode, country=country or "")
