"""What the QuickBooks Online and Xero connectors share.

- **Entities and cursors**: each connector pulls four entities (customers, invoices, credit
  notes, payments), each only as changed since its own cursor: the latest vendor
  "last updated" time seen for that entity. The vendors are asked for records changed *at or
  after* the cursor, so a record updated in the same second as the last one seen is not
  missed; the boundary records come back once more and are written again, which changes
  nothing.
- **Rate limits**: a request the vendor refuses with HTTP 429 is retried after the wait its
  `Retry-After` header asks for (seconds or an HTTP date), else after a default wait (Intuit
  asks for 60 seconds), a few times before the sync gives up. The sleep is injectable.
- **Paging**: pages are fetched until one comes back short.
- **Mapping** vendor values to the ledger's: amounts go `Decimal(str(value))` -> `Money`
  (a float is refused: it cannot hold 0.10 exactly); a record that cannot be mapped is
  skipped with a warning naming it, rather than failing the whole sync.
"""

import email.utils
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from babel import Locale

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Debtor, Document, DocumentKind, Payment
from arrears.core.money import Money, check_currency

T = TypeVar("T")


class Provider(StrEnum):
    QUICKBOOKS = "quickbooks"
    XERO = "xero"

    @property
    def label(self) -> str:
        return "QuickBooks Online" if self is Provider.QUICKBOOKS else "Xero"


class Entity(StrEnum):
    """What a sync pulls, in the order it pulls and writes them."""

    CUSTOMERS = "customers"
    INVOICES = "invoices"
    CREDIT_NOTES = "credit_notes"
    PAYMENTS = "payments"


class AccountingError(ArrearsError):
    """The accounting package refused or failed a request (after retries where they help)."""


class RateLimitError(AccountingError):
    """The vendor kept answering HTTP 429 (too many requests)."""


class ReconnectNeeded(AccountingError):
    """The vendor refused the connection's tokens: the creditor has to connect again."""


class SourceDataError(ArrearsError):
    """A vendor record that cannot become a ledger value (named with its id and field)."""


# --- retries -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throttled:
    """A request refused with HTTP 429; `retry_after` is the wait asked for, in seconds."""

    retry_after: Decimal | None


def parse_retry_after(value: str | None, now: datetime | None = None) -> Decimal | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 s.10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return Decimal(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = Decimal((when - (now or datetime.now(UTC))).total_seconds()).quantize(Decimal(1))
    return max(seconds, Decimal(0))


@dataclass(slots=True)
class RetryPolicy:
    """How rate-limited requests are retried. `sleep` takes seconds (tests pass a recorder)."""

    max_attempts: int = 5
    default_wait: Decimal = Decimal(60)
    max_wait: Decimal = Decimal(300)
    sleep: Callable[[Decimal], None] = field(default=lambda seconds: time.sleep(float(seconds)))


@dataclass(slots=True)
class CallStats:
    """Requests a pull made and how many of them were retries after HTTP 429."""

    requests: int = 0
    retries: int = 0
    waits: list[Decimal] = field(default_factory=list)


def call_with_retry(
    call: Callable[[], T],
    throttled: Callable[[BaseException], Throttled | None],
    policy: RetryPolicy,
    stats: CallStats,
    what: str,
) -> T:
    """`call()`, retried while `throttled` says the failure was an HTTP 429, waiting as asked."""
    for attempt in range(1, policy.max_attempts + 1):
        stats.requests += 1
        try:
            return call()
        except Exception as error:
            refusal = throttled(error)
            if refusal is None:
                raise
            if attempt == policy.max_attempts:
                raise RateLimitError(
                    f"{what}: the vendor still answered 429 (too many requests) after {attempt} attempts; "
                    "run the sync again later"
                ) from error
            wait = refusal.retry_after if refusal.retry_after is not None else policy.default_wait
            wait = min(max(wait, Decimal(0)), policy.max_wait)
            stats.retries += 1
            stats.waits.append(wait)
            policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def pages(fetch: Callable[[int], Sequence[T]], page_size: int, max_pages: int = 100_000) -> Iterator[T]:
    """Items of pages 0, 1, 2... until a page holds fewer than `page_size` items."""
    for index in range(max_pages):
        page = fetch(index)
        yield from page
        if len(page) < page_size:
            return
    raise AccountingError(f"more than {max_pages} pages: the vendor does not seem to honour paging")


# --- what a pull hands to the sync service ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceAllocation:
    """Cash or credit the vendor applied to an invoice, which it names by its own id."""

    invoice_reference: str  # the invoice's `external_reference` (e.g. "quickbooks:130")
    amount: Money
    allocated_on: date


@dataclass(frozen=True, slots=True)
class SourcePayment:
    payment: Payment  # `debtor` None when the vendor does not say; the sync takes the invoice's
    allocations: tuple[SourceAllocation, ...] = ()


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A vendor record that is not (or no longer) part of the ledger: voided, deleted, draft."""

    reference: str  # external reference of a document, or reference of a payment
    reason: str
    kind: DocumentKind | None = None  # None for payments


@dataclass(slots=True)
class SourceBatch:
    """One pull: the changed records as ledger values, the new cursors and what happened."""

    debtors: list[Debtor] = field(default_factory=list)
    # accounts met only as references on documents or payments: added if missing, never updated
    referenced_debtors: dict[str, Debtor] = field(default_factory=dict)
    # accounts that update a debtor already in the ledger but never add one (Xero non-customers)
    debtor_updates: list[Debtor] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    credit_allocations: dict[str, tuple[SourceAllocation, ...]] = field(default_factory=dict)
    withdrawn_documents: list[Withdrawn] = field(default_factory=list)
    payments: list[SourcePayment] = field(default_factory=list)
    withdrawn_payments: list[Withdrawn] = field(default_factory=list)
    received: dict[Entity, int] = field(default_factory=lambda: dict.fromkeys(Entity, 0))
    skipped: dict[Entity, int] = field(default_factory=lambda: dict.fromkeys(Entity, 0))
    cursors: dict[Entity, datetime] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stats: CallStats = field(default_factory=CallStats)

    def saw(self, entity: Entity, updated_at: datetime | None) -> None:
        """Count a received record and move the entity's cursor to its update time."""
        self.received[entity] += 1
        if updated_at is not None:
            current = self.cursors.get(entity)
            if current is None or updated_at > current:
                self.cursors[entity] = updated_at

    def skip(self, entity: Entity, warning: str) -> None:
        self.skipped[entity] += 1
        self.warnings.append(warning)


@dataclass(frozen=True, slots=True)
class EntityCounts:
    received: int = 0
    added: int = 0
    updated: int = 0
    withdrawn: int = 0
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did, per entity, with the cursors it started from and moved to."""

    creditor: str
    provider: Provider
    counts: Mapping[Entity, EntityCounts]
    allocations: int
    changed_since: Mapping[Entity, datetime | None]
    cursors: Mapping[Entity, datetime | None]
    warnings: tuple[str, ...]
    requests: int
    retries: int

    @property
    def changed(self) -> int:
        return sum(c.added + c.updated + c.withdrawn for c in self.counts.values())


# --- mapping helpers ------------------------------------------------------------------------


def money(value: object, currency: str, where: str) -> Money:
    """Vendor amount -> `Money`, exactly: `Decimal(str(value))`; floats are refused."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise SourceDataError(f"{where}: {value!r} is not an exact amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise SourceDataError(f"{where}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise SourceDataError(f"{where}: {value!r} is not an amount")
    result = Money.of(amount, currency)
    if not result.is_whole_minor_units():
        raise SourceDataError(f"{where}: {value} is finer than the minor unit of {currency}")
    return result


def currency_code(value: object, default: str, where: str) -> str:
    """An ISO 4217 code from the vendor, or `default` when it gives none."""
    if isinstance(value, Mapping):  # a QuickBooks reference: {"value": "GBP", "name": "..."}
        value = value.get("value")
    text = str(getattr(value, "value", value) or "").strip().upper()
    if not text:
        return default
    try:
        return check_currency(text)
    except ArrearsError:
        raise SourceDataError(f"{where}: currency {text!r} is not an ISO 4217 code") from None


def iso_date(value: object, where: str) -> date:
    """A `YYYY-MM-DD` date (QuickBooks) or a date/datetime object (xero-python)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SourceDataError(f"{where}: {value!r} is not a date") from None


def aware(value: datetime) -> datetime:
    """`value` in UTC; a naive value is taken to be UTC already (as the vendors and SQLite give it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def country_code(value: str | None) -> str | None:
    """A two-letter country code for a vendor's free-text country ("GB", "United Kingdom"), or
    None when it cannot be told."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        return text.upper()
    wanted = text.casefold()
    for code, name in _territories().items():
        if len(code) == 2 and name.casefold() == wanted:
            return code
    return {"usa": "US", "uk": "GB"}.get(wanted)


def _territories() -> Mapping[str, str]:
    territories: Mapping[str, str] = Locale("en").territories
    return territories


def clip(text: str | None, length: int) -> str | None:
    """`text` cut to what the store's column holds (vendor free text can be longer)."""
    if text is None:
        return None
    text = text.strip()
    return text[:length] if text else None
