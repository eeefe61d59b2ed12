"""Builders for the payment-pairing store tests: an accounting package that keeps its own ledger
and hands changes to `arrears.services.sync_accounting.sync`, and bank statements of one credit.

`FakePackage` stands in for QuickBooks Online at the connector boundary (a third-party SaaS):
it returns `SourceBatch` values, as `QuickBooksConnector.pull` maps them from the API. The HTTP
path itself is tested against recorded payloads in tests/intake/accounting.
"""

import itertools
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from deals_builders import csv_statement
from store_builders import creditor

from arrears.core.ledger import Debtor, Document, DocumentKind, Payment, status_for
from arrears.core.money import Money
from arrears.intake.accounting.common import (
    Entity,
    Provider,
    SourceAllocation,
    SourceBatch,
    SourcePayment,
    SyncResult,
    Withdrawn,
)
from arrears.intake.accounting.tokens import OAuthToken, TokenCipher, generate_key
from arrears.services.bank_import import BankImportReport, import_bank_statement
from arrears.services.sync_accounting import Connector, connect, sync
from arrears.store.unit_of_work import SqlUnitOfWork

NAMES = {"D1": "Harrington Joinery Ltd", "D2": "Kestrel Print Ltd"}
ISSUED = date(2026, 2, 2)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CIPHER = TokenCipher(generate_key())
_files = itertools.count(1)


def now() -> datetime:
    return NOW


class FakePackage:
    """The package's own ledger: invoices with their balances, payments with what they settle."""

    provider = Provider.QUICKBOOKS
    tenant_id = "realm-1"

    def __init__(self, code: str) -> None:
        self.code = code
        self.invoices: dict[str, Document] = {}  # external reference -> invoice as the package has it
        self.payments: dict[str, SourcePayment] = {}
        self.pending: SourceBatch | None = None

    # --- the connector ---------------------------------------------------------------------
    def authorization_url(self, state: str) -> str:
        return f"https://package.invalid/authorize?state={state}"

    def exchange_code(self, code: str) -> OAuthToken:
        return self.refresh(OAuthToken("", code, NOW))

    def refresh(self, token: OAuthToken) -> OAuthToken:
        return OAuthToken("access", "refresh", datetime(2100, 1, 1, tzinfo=UTC))

    def revoke(self, token: OAuthToken) -> None:
        return None

    def pull(
        self,
        token: OAuthToken,
        *,
        creditor: str,
        currency: str,
        changed_since: dict[Entity, datetime | None],
        on_token: Callable[[OAuthToken], None],
    ) -> SourceBatch:
        batch, self.pending = self.pending or SourceBatch(), None
        return batch

    # --- the bookkeeper --------------------------------------------------------------------
    def invoice(self, debtor: str, number: str, amount: str) -> str:
        reference = f"quickbooks:{100 + len(self.invoices)}"
        value = Money.of(amount, "GBP")
        self.invoices[reference] = Document(
            self.code,
            debtor,
            DocumentKind.INVOICE,
            number,
            ISSUED,
            ISSUED + timedelta(days=30),
            value,
            value,
            external_reference=reference,
        )
        return reference

    def record_payment(
        self, reference: str, invoice: str, amount: Money, on: date, *, debtor: str | None = None
    ) -> None:
        """The bookkeeper enters a payment on an invoice: its balance goes down."""
        document = self.invoices[invoice]
        left = document.open_amount - amount
        self.invoices[invoice] = replace(document, open_amount=left, status=status_for(document.amount, left))
        payer = debtor or document.debtor
        self.payments[reference] = SourcePayment(
            Payment(self.code, reference, on, amount, debtor=payer, unallocated=Money.zero("GBP")),
            (SourceAllocation(invoice, amount, on),),
        )

    def delete_payment(self, reference: str) -> None:
        source = self.payments.pop(reference)
        for allocation in source.allocations:
            document = self.invoices[allocation.invoice_reference]
            back = document.open_amount + allocation.amount
            self.invoices[allocation.invoice_reference] = replace(
                document, open_amount=back, status=status_for(document.amount, back)
            )

    def send(
        self,
        *,
        debtors: bool = False,
        invoices: Iterable[str] = (),
        payments: Iterable[str] = (),
        withdrawn: Iterable[str] = (),
    ) -> None:
        """What the next pull returns: the records changed since the last one."""
        self.pending = SourceBatch(
            debtors=[Debtor(self.code, code, name) for code, name in NAMES.items()] if debtors else [],
            documents=[self.invoices[reference] for reference in invoices],
            payments=[self.payments[reference] for reference in payments],
            withdrawn_payments=[Withdrawn(reference, "deleted") for reference in withdrawn],
        )

    def connector(self, provider: Provider, tenant_id: str) -> Connector:
        return self


def new_creditor(uow: SqlUnitOfWork, package: FakePackage) -> None:
    """The creditor, connected to the package, with the package's customers and invoices."""
    with uow:
        uow.creditors.add(creditor(package.code))
        uow.commit()
    connect(
        uow,
        package.code,
        Provider.QUICKBOOKS,
        tenant_id=package.tenant_id,
        refresh_token="refresh",
        connectors=package.connector,
        cipher=CIPHER,
        now=now,
    )
    package.send(debtors=True, invoices=list(package.invoices))
    sync_package(uow, package)


def sync_package(uow: SqlUnitOfWork, package: FakePackage) -> SyncResult:
    return sync(uow, package.code, Provider.QUICKBOOKS, connectors=package.connector, cipher=CIPHER, now=now)


def bank_credit(
    uow: SqlUnitOfWork, folder: Path, code: str, day: date, amount: Money, text: str, payer: str
) -> BankImportReport:
    """A statement with one credit line, imported (and matched) as a creditor would."""
    path = csv_statement(folder / f"{code}-{next(_files)}.csv", [(day, str(amount.amount), text, "", payer)])
    return import_bank_statement(uow, code, path, by="test", now=now)
