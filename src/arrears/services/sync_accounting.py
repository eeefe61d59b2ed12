"""Connect a creditor to QuickBooks Online or Xero, pull its ledger from there, disconnect.

- `connect` exchanges the authorization code the vendor sent to the redirect URI (or takes
  a refresh token the creditor already has), finds the company/organisation, and stores the
  tokens encrypted (`ARREARS_SECRET_KEY`, see `arrears.intake.accounting.tokens`).
- `sync` refreshes the access token when it is about to expire (storing the new tokens at
  once, in their own transaction: the vendors rotate refresh tokens), pulls every record
  changed since the cursors, and writes the lot in **one** unit of work, under the creditor
  lock: customers -> debtors, invoices and credit notes -> documents (open amount = the
  vendor's balance), payments -> payments with the allocations the vendor links, withdrawn
  records (voided, deleted, draft) off the ledger, then the cursors. Any failure writes none
  of it; the connection keeps the error message (`last_error`).
  A payment the bank brought first is not counted twice (`arrears.services.payment_pairing`):
  a new package payment that is a bank payment takes it over (same row, the package's
  reference and allocations), and an invoice's open amount is the package's less the bank
  cash the package has not recorded yet.
- `disconnect` revokes the tokens at the vendor (best effort) and forgets them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypedDict

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.ledger import Allocation, Document, DocumentKind, Payment
from arrears.core.money import Money
from arrears.intake.accounting.common import (
    Entity,
    EntityCounts,
    Provider,
    ReconnectNeeded,
    RetryPolicy,
    SourceAllocation,
    SourceBatch,
    SourcePayment,
    SyncResult,
)
from arrears.intake.accounting.tokens import OAuthToken, TokenCipher, TokenError, utc_now
from arrears.services.payment_pairing import keep_bank_cash, link_batch_payments, unlink_deleted
from arrears.store.repositories.connections import StoredConnection
from arrears.store.unit_of_work import UnitOfWork


class Connector(Protocol):
    """What `QuickBooksConnector` and `XeroConnector` offer the service."""

    provider: Provider
    tenant_id: str

    def authorization_url(self, state: str) -> str: ...

    def exchange_code(self, code: str) -> OAuthToken: ...

    def refresh(self, token: OAuthToken) -> OAuthToken: ...

    def revoke(self, token: OAuthToken) -> None: ...

    def pull(
        self,
        token: OAuthToken,
        *,
        creditor: str,
        currency: str,
        changed_since: dict[Entity, datetime | None],
        on_token: Callable[[OAuthToken], None],
    ) -> SourceBatch: ...


ConnectorFactory = Callable[[Provider, str], Connector]


def default_connectors(provider: Provider, tenant_id: str, retry: RetryPolicy | None = None) -> Connector:
    """The connector for `provider`, configured from `ARREARS_QUICKBOOKS_*` / `ARREARS_XERO_*`."""
    if provider is Provider.QUICKBOOKS:
        from arrears.intake.accounting.quickbooks import QuickBooksApp, QuickBooksConnector

        return QuickBooksConnector(QuickBooksApp(), tenant_id, retry=retry)
    from arrears.intake.accounting.xero import XeroApp, XeroConnector

    return XeroConnector(XeroApp(), tenant_id, retry=retry)


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    """A connection as a person may see it: everything but the tokens."""

    creditor: str
    provider: Provider
    tenant_id: str
    status: str
    connected_at: datetime
    access_expires_at: datetime | None
    changed_since: dict[Entity, datetime | None]
    last_sync_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, stored: StoredConnection) -> "ConnectionSummary":
        return cls(
            creditor=stored.creditor,
            provider=Provider(stored.provider),
            tenant_id=stored.tenant_id,
            status=stored.status,
            connected_at=stored.connected_at,
            access_expires_at=stored.access_expires_at,
            changed_since={Entity(entity): cursor for entity, cursor in stored.changed_since.items()},
            last_sync_at=stored.last_sync_at,
            last_error=stored.last_error,
        )


def authorization_url(
    provider: Provider, state: str, *, connectors: ConnectorFactory = default_connectors
) -> str:
    """Where the creditor signs in to the package and grants Arrears read access."""
    return connectors(provider, "").authorization_url(state)


def connect(
    uow: UnitOfWork,
    creditor: str,
    provider: Provider,
    *,
    tenant_id: str | None = None,
    code: str | None = None,
    refresh_token: str | None = None,
    connectors: ConnectorFactory = default_connectors,
    cipher: TokenCipher | None = None,
    now: Callable[[], datetime] = utc_now,
) -> ConnectionSummary:
    """Store a creditor's tokens for a package, from an authorization code or a refresh token.

    QuickBooks needs the company's realm id (it comes with the code, as `realmId`, on the
    redirect). For Xero the organisation is looked up (`/Connections`); `tenant_id` picks one
    when the creditor granted several. Everything that can fail without the network (the key,
    the creditor, the arguments) is checked before the one-time code is spent.
    """
    if (code is None) == (refresh_token is None):
        raise ArrearsError("give either the authorization code or a refresh token, not both or neither")
    if provider is Provider.QUICKBOOKS and not tenant_id:
        raise ArrearsError("give the QuickBooks company id (realmId, sent with the authorization code)")
    cipher = cipher or TokenCipher.from_environment()
    with uow:
        uow.creditors.get(creditor)
    connector = connectors(provider, tenant_id or "")
    if code is not None:
        token = connector.exchange_code(code)
    else:
        token = connector.refresh(
            OAuthToken(access_token="", refresh_token=str(refresh_token), expires_at=now())
        )
    if provider is Provider.XERO:
        tenant_id = _xero_tenant(connector, token, tenant_id)
    with uow:
        stored = uow.connections.save(
            creditor,
            provider.value,
            tenant_id=str(tenant_id),
            **_encrypted(token, cipher),
            connected_at=now(),
        )
        uow.commit()
    return ConnectionSummary.of(stored)


def _xero_tenant(connector: Connector, token: OAuthToken, wanted: str | None) -> str:
    tenants_of = getattr(connector, "tenants", None)
    if tenants_of is None:
        if not wanted:
            raise ArrearsError("give the Xero tenant id")
        return wanted
    tenants = tenants_of(token, lambda new: None)
    ids = [tenant.tenant_id for tenant in tenants]
    shown = ", ".join(f"{t.tenant_id} ({t.name})" for t in tenants) or "none"
    if wanted:
        if wanted not in ids:
            raise ArrearsError(f"Xero tenant {wanted} is not among those granted: {shown}")
        return wanted
    if len(ids) != 1:
        raise ArrearsError(
            f"the sign-in granted {len(ids)} Xero organisations ({shown}); choose one with --tenant"
        )
    return str(ids[0])


class _Sealed(TypedDict):
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]


def _encrypted(token: OAuthToken, cipher: TokenCipher) -> _Sealed:
    return {
        "access_token": cipher.encrypt(token.access_token),
        "refresh_token": cipher.encrypt(token.refresh_token),
        "access_expires_at": token.expires_at,
        "refresh_expires_at": token.refresh_expires_at,
        "scopes": token.scopes,
    }


def _token(stored: StoredConnection, cipher: TokenCipher) -> OAuthToken:
    if not stored.is_connected or stored.refresh_token is None:
        raise TokenError(
            f"creditor {stored.creditor} is disconnected from {stored.provider}: "
            f"run `arrears connect {stored.provider} --creditor {stored.creditor}`"
        )
    access = "" if stored.access_token is None else cipher.decrypt(stored.access_token, "access token")
    return OAuthToken(
        access_token=access,
        refresh_token=cipher.decrypt(stored.refresh_token, "refresh token"),
        expires_at=stored.access_expires_at or stored.connected_at,
        refresh_expires_at=stored.refresh_expires_at,
        scopes=stored.scopes,
    )


def list_connections(uow: UnitOfWork, creditor: str) -> list[ConnectionSummary]:
    with uow:
        return [ConnectionSummary.of(stored) for stored in uow.connections.list_for(creditor)]


def _connection(uow: UnitOfWork, creditor: str, provider: Provider | None) -> StoredConnection:
    if provider is not None:
        return uow.connections.get(creditor, provider.value)
    live = [c for c in uow.connections.list_for(creditor) if c.is_connected]
    if len(live) != 1:
        raise NotFoundError(
            f"creditor {creditor} has {len(live)} live connections; name the package (quickbooks or xero)"
            if live
            else f"creditor {creditor} is not connected to an accounting package: run `arrears connect`"
        )
    return live[0]


def sync(
    uow: UnitOfWork,
    creditor: str,
    provider: Provider | None = None,
    *,
    full: bool = False,
    connectors: ConnectorFactory = default_connectors,
    cipher: TokenCipher | None = None,
    now: Callable[[], datetime] = utc_now,
) -> SyncResult:
    """Pull what changed in the creditor's package since the last sync and write it (see the
    module docstring); `full` pulls everything, whatever the cursors say."""
    cipher = cipher or TokenCipher.from_environment()
    with uow:
        currency = uow.creditors.get(creditor).currency
        stored = _connection(uow, creditor, provider)
    package = Provider(stored.provider)
    token = _token(stored, cipher)
    connector = connectors(package, stored.tenant_id)

    def save_token(new: OAuthToken) -> None:
        with uow:
            uow.connections.update_tokens(creditor, package.value, **_encrypted(new, cipher))
            uow.commit()

    since = {entity: None if full else stored.changed_since.get(entity.value) for entity in Entity}
    try:
        if token.needs_refresh(now()):
            token = connector.refresh(token)
            save_token(token)
        batch = connector.pull(
            token, creditor=creditor, currency=currency, changed_since=since, on_token=save_token
        )
        with uow:
            uow.creditors.lock(creditor)
            counts, allocations = _write(uow, creditor, batch)
            uow.connections.record_sync(
                creditor,
                package.value,
                changed_since={entity.value: batch.cursors.get(entity) for entity in Entity},
                synced_at=now(),
            )
            uow.commit()
    except ArrearsError as error:
        _record_failure(uow, creditor, package, error)
        raise
    return SyncResult(
        creditor=creditor,
        provider=package,
        counts=counts,
        allocations=allocations,
        changed_since=since,
        cursors={entity: batch.cursors.get(entity, since[entity]) for entity in Entity},
        warnings=tuple(batch.warnings),
        requests=batch.stats.requests,
        retries=batch.stats.retries,
    )


def _record_failure(uow: UnitOfWork, creditor: str, provider: Provider, error: ArrearsError) -> None:
    status = "needs_reconnect" if isinstance(error, ReconnectNeeded) else None
    try:
        with uow:
            uow.connections.record_failure(creditor, provider.value, error=str(error), status=status)
            uow.commit()
    except ArrearsError:  # the failure being reported matters more than its record
        pass


def disconnect(
    uow: UnitOfWork,
    creditor: str,
    provider: Provider,
    *,
    revoke: bool = True,
    connectors: ConnectorFactory = default_connectors,
    cipher: TokenCipher | None = None,
) -> str | None:
    """Forget the creditor's tokens for a package, revoking them there first when `revoke`.

    Returns a warning when the vendor could not revoke them (they are forgotten all the same:
    they expire on their own, and the creditor can remove the app in the package)."""
    with uow:
        stored = uow.connections.get(creditor, provider.value)
    warning = None
    if revoke and stored.is_connected:
        try:
            token = _token(stored, cipher or TokenCipher.from_environment())
            connectors(provider, stored.tenant_id).revoke(token)
        except ArrearsError as error:
            warning = f"the tokens were not revoked at {provider.label}: {error}"
    with uow:
        uow.connections.disconnect(creditor, provider.value)
        uow.commit()
    return warning


# --- writing a batch ---------------------------------------------------------------------------


def _write(uow: UnitOfWork, creditor: str, batch: SourceBatch) -> tuple[dict[Entity, EntityCounts], int]:
    added, updated = uow.debtors.upsert_from_source(creditor, batch.debtors)
    added += uow.debtors.upsert_from_source(
        creditor, batch.referenced_debtors.values(), update_existing=False
    )[0]
    updated += uow.debtors.upsert_from_source(creditor, batch.debtor_updates, add_new=False)[1]
    counts = {
        Entity.CUSTOMERS: EntityCounts(
            batch.received[Entity.CUSTOMERS], added, updated, 0, batch.skipped[Entity.CUSTOMERS]
        )
    }
    payments = [_with_debtor(uow, creditor, source, batch) for source in batch.payments]
    # before the package's documents are written: linking gives back the open amounts the bank
    # payments had taken, and the package's balances then stand
    batch.warnings.extend(link_batch_payments(uow, creditor, payments, batch))
    for entity, kind in (
        (Entity.INVOICES, DocumentKind.INVOICE),
        (Entity.CREDIT_NOTES, DocumentKind.CREDIT_NOTE),
    ):
        documents = _unique_numbers(
            uow, creditor, kind, [d for d in batch.documents if d.kind is kind], batch
        )
        if kind is DocumentKind.INVOICE:
            documents, released = keep_bank_cash(uow, creditor, documents)
            batch.warnings.extend(released)
        added, updated = uow.documents.upsert_by_reference(creditor, documents)
        withdrawn = uow.documents.withdraw(
            creditor, kind, [w.reference for w in batch.withdrawn_documents if w.kind is kind]
        )
        counts[entity] = EntityCounts(
            batch.received[entity], added, updated, withdrawn, batch.skipped[entity]
        )
    references = {a.invoice_reference for source in payments for a in source.allocations}
    references |= {
        a.invoice_reference for allocations in batch.credit_allocations.values() for a in allocations
    }
    invoices = uow.documents.numbers_by_reference(creditor, DocumentKind.INVOICE, references)
    added, updated = uow.payments.upsert(creditor, [source.payment for source in payments])
    allocated = 0
    for source in payments:
        reference = source.payment.reference
        allocations = _allocations(source.allocations, invoices, batch, f"payment {reference}")
        allocated += uow.payments.replace_allocations(
            creditor,
            [Allocation(creditor, n, a, d, payment=reference) for n, a, d in allocations],
            payment=reference,
        )
    gone = [w.reference for w in batch.withdrawn_payments]
    kept = unlink_deleted(uow, creditor, gone)
    batch.warnings.extend(kept)
    withdrawn = uow.payments.remove(creditor, gone) + len(kept)
    counts[Entity.PAYMENTS] = EntityCounts(
        batch.received[Entity.PAYMENTS], added, updated, withdrawn, batch.skipped[Entity.PAYMENTS]
    )
    notes = uow.documents.numbers_by_reference(creditor, DocumentKind.CREDIT_NOTE, batch.credit_allocations)
    for note_reference, source_allocations in batch.credit_allocations.items():
        note = notes.get(note_reference)
        if note is None:
            continue  # withdrawn or skipped: said so already
        allocations = _allocations(source_allocations, invoices, batch, f"credit note {note}")
        allocated += uow.payments.replace_allocations(
            creditor,
            [Allocation(creditor, n, a, d, credit_note=note) for n, a, d in allocations],
            credit_note=note,
        )
    return counts, allocated


def _allocations(
    allocations: Iterable[SourceAllocation], invoices: dict[str, str], batch: SourceBatch, source: str
) -> list[tuple[str, Money, date]]:
    """(invoice number, amount, date) of the allocations whose invoice is in the ledger."""
    kept = []
    for allocation in allocations:
        number = invoices.get(allocation.invoice_reference)
        if number is None:
            batch.warnings.append(
                f"{source}: the invoice it settles ({allocation.invoice_reference}) is not in the ledger "
                "(voided, draft, skipped or never synced); that part is not recorded as an allocation"
            )
            continue
        kept.append((number, allocation.amount, allocation.allocated_on))
    return kept


def _with_debtor(uow: UnitOfWork, creditor: str, source: SourcePayment, batch: SourceBatch) -> SourcePayment:
    """A payment the vendor did not give a customer for takes the customer of its first invoice
    (as the batch gives it, else as the ledger has it)."""
    if source.payment.debtor is not None or not source.allocations:
        return source
    first = source.allocations[0].invoice_reference
    debtor = next(
        (
            d.debtor
            for d in batch.documents
            if d.kind is DocumentKind.INVOICE and d.external_reference == first
        ),
        None,
    )
    if debtor is None:
        numbers = uow.documents.numbers_by_reference(creditor, DocumentKind.INVOICE, [first])
        if not numbers:
            return source
        debtor = uow.documents.get(creditor, next(iter(numbers.values()))).debtor
    payment = source.payment
    return SourcePayment(
        Payment(
            creditor=payment.creditor,
            reference=payment.reference,
            received_on=payment.received_on,
            amount=payment.amount,
            debtor=debtor,
            unallocated=payment.unallocated,
        ),
        source.allocations,
    )


def _unique_numbers(
    uow: UnitOfWork, creditor: str, kind: DocumentKind, documents: list[Document], batch: SourceBatch
) -> list[Document]:
    """Documents whose number is already used by another document of the same kind (the vendors
    allow duplicate numbers; the ledger does not) get the vendor id appended, with a warning."""
    owners = uow.documents.references_by_number(creditor, kind, {d.number for d in documents})
    claimed: dict[str, str] = {}
    result = []
    for document in documents:
        reference = str(document.external_reference)
        owner = owners.get(document.number, reference)
        in_batch = claimed.get(document.number, reference)
        if (owner is None or owner == reference) and in_batch == reference:
            claimed[document.number] = reference
            result.append(document)
            continue
        vendor_id = reference.split(":", 1)[-1]
        number = f"{document.number} ({vendor_id})"[:64]
        batch.warnings.append(
            f"{kind.value.replace('_', ' ')} number {document.number} is used by another document; "
            f"{reference} is stored as {number}"
        )
        claimed[number] = reference
        result.append(
            Document(
                creditor=document.creditor,
                debtor=document.debtor,
                kind=document.kind,
                number=number,
                issue_date=document.issue_date,
                due_date=document.due_date,
                amount=document.amount,
                open_amount=document.open_amount,
                status=document.status,
                external_reference=document.external_reference,
                po_number=document.po_number,
            )
        )
    return result
