"""A local stand-in for the QuickBooks Online and Xero APIs: a threaded HTTP server on 127.0.0.1.

It replays the recorded response payloads in `payloads/` (the vendors' documented JSON shapes)
through the endpoints the SDKs call, with the behaviour the connectors depend on:

- OAuth 2.0 token endpoints that check the client's credentials, issue tokens, **rotate** the
  refresh token on every refresh and refuse a used one (`invalid_grant`), and revoke;
- bearer-token checks on every API request (HTTP 401 otherwise);
- QuickBooks: the `query` endpoint (POST body or `?query=`), `STARTPOSITION`/`MAXRESULTS`
  paging, `Metadata.LastUpdatedTime >= '...'` filtering, active customers only unless asked;
- Xero: `page`/`pageSize` paging, `If-Modified-Since`, the `where` equality filters the
  connector sends, `includeArchived`, the `xero-tenant-id` header, `/Connections`;
- `throttle(...)`: answer one chosen request with HTTP 429 and a `Retry-After`;
- every request recorded (`requests`), so tests can assert on what was asked.

Tests change the records (`quickbooks[...]`, `xero[...]`) between syncs to play out changes.
"""

import base64
import copy
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAYLOADS = Path(__file__).resolve().parent / "payloads"

QBO_REALM = "9341453050298127"
QBO_CLIENT = ("qbo-client-id", "qbo-client-secret")
XERO_TENANT = "b1f1d4a1-3c5e-4f7a-9d2b-6e8c0a1f2b3c"
XERO_CLIENT = ("xero-client-id", "xero-client-secret")

QBO_ENTITIES = {
    "Customer": "customer",
    "Invoice": "invoice",
    "CreditMemo": "creditmemo",
    "Payment": "payment",
}
XERO_ENTITIES = {
    "Contacts": "contacts",
    "Invoices": "invoices",
    "CreditNotes": "credit_notes",
    "Payments": "payments",
}
_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def load_payload(vendor: str, name: str) -> Any:
    return json.loads((PAYLOADS / vendor / f"{name}.json").read_text(encoding="utf-8"))


def xero_date(value: str) -> datetime:
    match = _MS_DATE.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a Xero /Date(...)/ value")
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)


def xero_stamp(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Throttle:
    matches: Callable[[RecordedRequest], bool]
    retry_after: str | None
    remaining: int


@dataclass
class _Tokens:
    """One vendor's authorization server: the tokens it has issued and still accepts."""

    prefix: str
    access: set[str] = field(default_factory=set)
    refresh: str | None = None
    issued: int = 0
    codes: set[str] = field(default_factory=set)
    revoked: list[str] = field(default_factory=list)

    def issue(self) -> tuple[str, str]:
        self.issued += 1
        access, refresh = f"{self.prefix}-access-{self.issued}", f"{self.prefix}-refresh-{self.issued}"
        self.access.add(access)
        self.refresh = refresh
        return access, refresh


class VendorServer:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.quickbooks: dict[str, list[dict[str, Any]]] = {
            name: load_payload("quickbooks", f"query_{file}")["QueryResponse"].get(name, [])
            for name, file in QBO_ENTITIES.items()
        }
        self.xero: dict[str, list[dict[str, Any]]] = {
            name: load_payload("xero", file)[name] for name, file in XERO_ENTITIES.items()
        }
        self.qbo_tokens = _Tokens("qbo")
        self.xero_tokens = _Tokens("xero")
        self.xero_tenants = [
            {
                "id": "e1eede29-f875-4a5d-8470-17f6a29a88b1",
                "authEventId": "d99ecdfe-391d-43d2-b834-17636ba90e8d",
                "tenantId": XERO_TENANT,
                "tenantType": "ORGANISATION",
                "tenantName": "Demo Company (UK)",
                "createdDateUtc": "2026-01-05T10:00:00.0000000",
                "updatedDateUtc": "2026-01-05T10:00:00.0000000",
            }
        ]
        self.failures: dict[str, int] = {}  # path fragment -> HTTP status to answer with
        self._throttles: list[_Throttle] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> "VendorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests arrange -------------------------------------------------------------

    def throttle(
        self, matches: Callable[[RecordedRequest], bool], retry_after: str | None = "7", times: int = 1
    ) -> None:
        """Answer the next `times` requests that `matches` with HTTP 429."""
        self._throttles.append(_Throttle(matches, retry_after, times))

    def grant_qbo_code(self) -> str:
        code = f"qbo-code-{uuid.uuid4().hex[:8]}"
        self.qbo_tokens.codes.add(code)
        return code

    def grant_xero_code(self) -> str:
        code = f"xero-code-{uuid.uuid4().hex[:8]}"
        self.xero_tokens.codes.add(code)
        return code

    def api_requests(self, fragment: str) -> list[RecordedRequest]:
        return [r for r in self.requests if fragment in r.path]

    # --- dispatch -----------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(request)
            for throttle in self._throttles:
                if throttle.remaining > 0 and throttle.matches(request):
                    throttle.remaining -= 1
                    return self._throttled(request, throttle.retry_after)
            for fragment, status in self.failures.items():
                if fragment in request.path or fragment in request.body:
                    return status, {"Content-Type": "text/plain"}, b"Internal error"
            path = request.path
            if path == "/.well-known/openid_configuration":
                return _json(200, self._discovery())
            if path == "/oauth2/v1/tokens/bearer":
                return self._qbo_token(request)
            if path == "/oauth2/v1/tokens/revoke":
                return self._revoke(request, self.qbo_tokens, basic=True)
            if path.startswith("/v3/company/"):
                return self._qbo_api(request)
            if path == "/connect/token":
                return self._xero_token(request)
            if path == "/connect/revocation":
                return self._revoke(request, self.xero_tokens, basic=False)
            if path == "/Connections":
                if not self._bearer(request, self.xero_tokens):
                    return _json(401, {"Title": "Unauthorized", "Status": 401})
                return _json(200, self.xero_tenants)
            if path.startswith("/api.xro/2.0/"):
                return self._xero_api(request)
            return _json(404, {"error": f"no route {path}"})

    def _throttled(
        self, request: RecordedRequest, retry_after: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if request.path.startswith("/api.xro/"):
            headers["X-Rate-Limit-Problem"] = "minute"
            return 429, headers, b""
        fault = {
            "Fault": {
                "Error": [
                    {
                        "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                        "Detail": "The request limit was reached.",
                        "code": "3001",
                    }
                ],
                "type": "SERVICE",
            },
            "time": "2026-02-01T10:00:00.000-08:00",
        }
        return 429, headers, json.dumps(fault).encode()

    def _bearer(self, request: RecordedRequest, tokens: _Tokens) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[len("Bearer ") :] in tokens.access

    # --- QuickBooks ---------------------------------------------------------------------------

    def _discovery(self) -> dict[str, str]:
        base = self.base_url
        return {
            "issuer": "https://oauth.platform.intuit.com/op/v1",
            "authorization_endpoint": "https://appcenter.intuit.com/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
        }

    def _client_basic(self, request: RecordedRequest, client: tuple[str, str]) -> bool:
        expected = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _qbo_token(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        if not self._client_basic(request, QBO_CLIENT):
            return _json(401, {"error": "invalid_client"})
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        tokens = self.qbo_tokens
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != tokens.refresh:
                return _json(400, {"error": "invalid_grant"})
        elif form.get("grant_type") == "authorization_code":
            if form.get("code") not in tokens.codes:
                return _json(400, {"error": "invalid_grant"})
            tokens.codes.discard(form["code"])
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, refresh = tokens.issue()
        return _json(
            200,
            {
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": refresh,
                "x_refresh_token_expires_in": 8726400,
                "access_token": access,
            },
        )

    def _qbo_api(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        if not request.path.startswith(f"/v3/company/{QBO_REALM}/"):
            return _json(
                403, {"Fault": {"Error": [{"Message": "wrong realm", "code": "3100"}], "type": "SERVICE"}}
            )
        if not self._bearer(request, self.qbo_tokens):
            return (
                401,
                {"Content-Type": "application/json"},
                b'{"fault":{"error":[{"message":"AuthenticationFailed"}]}}',
            )
        if not request.path.endswith("/query"):
            return _json(404, {"error": "only the query endpoint is recorded"})
        select = request.param("query") or request.body
        match = re.fullmatch(
            r"SELECT \* FROM (\w+)(?: WHERE (.*?))? STARTPOSITION (\d+) MAXRESULTS (\d+)",
            select.strip(),
            re.I,
        )
        if match is None:
            return _json(400, {"Fault": {"Error": [{"Message": f"cannot parse {select}", "code": "4000"}]}})
        name, where, start, size = (
            match.group(1),
            match.group(2) or "",
            int(match.group(3)),
            int(match.group(4)),
        )
        records = list(self.quickbooks.get(name, []))
        since = re.search(r"Metadata\.LastUpdatedTime >= '([^']+)'", where, re.I)
        if since:
            cutoff = datetime.fromisoformat(since.group(1))
            records = [
                r for r in records if datetime.fromisoformat(r["MetaData"]["LastUpdatedTime"]) >= cutoff
            ]
        if name == "Customer" and "Active IN (true, false)" not in where:
            records = [r for r in records if r.get("Active", True)]
        page = copy.deepcopy(records[start - 1 : start - 1 + size])
        body: dict[str, Any] = {"QueryResponse": {}, "time": "2026-02-01T10:00:00.000-08:00"}
        if page:
            body["QueryResponse"] = {name: page, "startPosition": start, "maxResults": len(page)}
        return _json(200, body)

    # --- Xero ---------------------------------------------------------------------------------

    def _xero_token(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        if (form.get("client_id"), form.get("client_secret")) != XERO_CLIENT:
            return _json(401, {"error": "invalid_client"})
        tokens = self.xero_tokens
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != tokens.refresh:
                return _json(400, {"error": "invalid_grant"})
        elif form.get("grant_type") == "authorization_code":
            if form.get("code") not in tokens.codes:
                return _json(400, {"error": "invalid_grant"})
            tokens.codes.discard(form["code"])
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, refresh = tokens.issue()
        return _json(
            200,
            {
                "access_token": access,
                "expires_in": 1800,
                "token_type": "Bearer",
                "refresh_token": refresh,
                "scope": "offline_access accounting.transactions.read accounting.contacts.read",
            },
        )

    def _revoke(
        self, request: RecordedRequest, tokens: _Tokens, *, basic: bool
    ) -> tuple[int, dict[str, str], bytes]:
        if basic:
            if not self._client_basic(request, QBO_CLIENT):
                return _json(401, {"error": "invalid_client"})
            token = json.loads(request.body or "{}").get("token")
        else:
            token = {k: v[0] for k, v in parse_qs(request.body).items()}.get("token")
        tokens.revoked.append(str(token))
        if token == tokens.refresh:
            tokens.refresh = None
            tokens.access.clear()
        return 200, {"Content-Type": "application/json"}, b""

    def _xero_api(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        if not self._bearer(request, self.xero_tokens):
            return _json(
                401,
                {
                    "Type": None,
                    "Title": "Unauthorized",
                    "Status": 401,
                    "Detail": "AuthenticationUnsuccessful",
                },
            )
        if request.headers.get("xero-tenant-id") != XERO_TENANT:
            return _json(
                403,
                {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthorizationUnsuccessful"},
            )
        name = request.path.rsplit("/", 1)[-1]
        records = list(self.xero.get(name, []))
        since_header = request.headers.get("if-modified-since")
        if since_header:
            try:
                cutoff = datetime.fromisoformat(since_header)
            except ValueError:
                cutoff = parsedate_to_datetime(since_header)
            cutoff = cutoff.replace(tzinfo=UTC) if cutoff.tzinfo is None else cutoff
            records = [r for r in records if xero_date(r["UpdatedDateUTC"]) >= cutoff]
        for field_name, value in re.findall(r'(\w+)=="([^"]*)"', request.param("where") or ""):
            records = [r for r in records if str(r.get(field_name)) == value]
        if name == "Contacts" and (request.param("includeArchived") or "").lower() != "true":
            records = [r for r in records if r.get("ContactStatus") != "ARCHIVED"]
        page = int(request.param("page") or 1)
        size = int(request.param("pageSize") or 100)
        chunk = copy.deepcopy(records[(page - 1) * size : page * size])
        body = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "Arrears tests",
            "DateTimeUTC": xero_stamp(datetime(2026, 2, 1, 10, tzinfo=UTC)),
            "pagination": {
                "page": page,
                "pageSize": size,
                "pageCount": max(1, -(-len(records) // size)),
                "itemCount": len(records),
            },
            name: chunk,
        }
        return _json(200, body)


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler(server: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            status, headers, payload = server.handle(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler
