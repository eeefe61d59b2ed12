"""Syncing a Xero organisation into the ledger, through xero-python, against recorded Accounting
API payloads served on 127.0.0.1."""

from datetime import UTC, date, datetime, timedelta

import pytest
from accounting_support import CREDITOR, Connectors, SleepRecorder
from vendor_server import XERO_TENANT, VendorServer, xero_stamp

from arrears.core.errors import NotFoundError
from arrears.core.ledger import DocumentStatus
from arrears.core.money import Money
from arrears.intake.accounting.common import Entity, Provider, ReconnectNeeded
from arrears.intake.accounting.tokens import TokenCipher, utc_now
from arrears.services.sync_accounting import connect, sync
from arrears.store.unit_of_work import SqlUnitOfWork

XERO = Provider.XERO
ABC = "9b9ba9e5-e907-4b4e-8210-54d82b0aa479"
BAYSIDE = "3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f"
SUPPLIER = "d6851dc2-9ef5-4c17-bc6e-3a5b6c0f3e94"
MARINE = "4b8ee6d2-4a5c-4d07-9b1e-2a0f8c3d5e61"


def connected(uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher) -> None:
    connect(uow, CREDITOR, XERO, code=vendor.grant_xero_code(), connectors=connectors, cipher=cipher)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_connecting_finds_the_organisation_the_creditor_granted(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    with uow:
        stored = uow.connections.get(CREDITOR, "xero")
    assert stored.tenant_id == XERO_TENANT
    assert stored.scopes == ("offline_access", "accounting.transactions.read", "accounting.contacts.read")
    assert len(vendor.api_requests("/Connections")) == 1


def test_first_sync_brings_contacts_invoices_credit_notes_and_payments_into_the_ledger(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    result = sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    with uow:
        abc = uow.debtors.get(CREDITOR, ABC)
        marine = uow.debtors.get(CREDITOR, MARINE)
        open_invoice = uow.documents.get(CREDITOR, "INV-0001")
        paid = uow.documents.get(CREDITOR, "INV-0002")
        credited = uow.documents.get(CREDITOR, "INV-0004")
        payment = uow.payments.get(CREDITOR, "xero:99ea7f6b-c513-4066-bc27-b7c65dcd76c2")
        payment_allocations = uow.payments.allocations(CREDITOR, payment=payment.reference)
        credit_allocations = uow.payments.allocations(CREDITOR, document="INV-0004")
    assert (abc.name, abc.currency, abc.payment_terms_days) == ("ABC Limited", "GBP", 14)
    contact = abc.primary_contact
    assert contact is not None and contact.name == "Andrea Dutchess"
    assert contact.phone == "44 0113 496 0123"
    assert contact.address is not None and contact.address.country == "GB"
    assert contact.address.lines[0] == "P O Box 123"  # the POBOX (postal) address, not the empty STREET one
    assert (marine.currency, marine.payment_terms_days) == ("EUR", 30)  # "of following month" is not days
    assert (open_invoice.amount, open_invoice.open_amount, open_invoice.po_number) == (
        gbp("1150"),
        gbp("1150"),
        "PO-7781",
    )
    assert (open_invoice.issue_date, open_invoice.due_date) == (date(2026, 1, 5), date(2026, 1, 19))
    assert paid.status is DocumentStatus.PAID
    assert (credited.open_amount, credited.status) == (eur("300"), DocumentStatus.PART_PAID)
    assert (payment.amount, payment.debtor, payment.received_on) == (gbp("46"), ABC, date(2026, 1, 21))
    assert [(a.document, a.amount) for a in payment_allocations] == [("INV-0002", gbp("46"))]
    assert [(a.credit_note, a.amount, a.allocated_on) for a in credit_allocations] == [
        ("CN-0005", eur("200"), date(2026, 1, 22))
    ]
    assert result.counts[Entity.INVOICES].added == 3
    assert result.counts[Entity.CREDIT_NOTES].added == 2


def test_drafts_voided_invoices_deleted_payments_and_purchases_stay_out(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    with uow:
        numbers = {d.number for d in uow.documents.list_for_debtor(CREDITOR, ABC)}
        references = {p.reference for p in uow.payments.list_all(CREDITOR)}
        with pytest.raises(NotFoundError):
            uow.documents.get(CREDITOR, "INV-0003")  # DRAFT
        with pytest.raises(NotFoundError):
            uow.debtors.get(CREDITOR, SUPPLIER)  # a supplier, not a customer
    assert "INV-0005" not in numbers  # VOIDED
    assert references == {"xero:99ea7f6b-c513-4066-bc27-b7c65dcd76c2"}  # the DELETED one is not cash
    wheres = {r.path.rsplit("/", 1)[-1]: r.param("where") for r in vendor.api_requests("/api.xro/")}
    assert wheres["Invoices"] == 'Type=="ACCREC"'
    assert wheres["CreditNotes"] == 'Type=="ACCRECCREDIT"'
    assert wheres["Payments"] == 'PaymentType=="ACCRECPAYMENT"'


def test_archived_contacts_are_asked_for_and_kept(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    with uow:
        assert uow.debtors.get(CREDITOR, BAYSIDE).name == "Bayside Club"
    assert (vendor.api_requests("/Contacts")[0].param("includeArchived") or "").lower() == "true"


def test_pages_are_asked_for_until_one_comes_back_short(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    invoice_pages = [(r.param("page"), r.param("pageSize")) for r in vendor.api_requests("/Invoices")]
    assert invoice_pages == [("1", "2"), ("2", "2"), ("3", "2")]  # 5 sales invoices: 2 + 2 + 1


def test_the_next_sync_sends_if_modified_since_the_latest_update_seen(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)
    assert all("if-modified-since" not in r.headers for r in vendor.api_requests("/api.xro/"))
    # In Xero: INV-0001 is paid in part by a new payment.
    moment = datetime(2026, 2, 3, 9, 30, tzinfo=UTC)
    invoice = next(i for i in vendor.xero["Invoices"] if i["InvoiceNumber"] == "INV-0001")
    invoice.update(AmountDue=650.0, AmountPaid=500.0, UpdatedDateUTC=xero_stamp(moment))
    payment = dict(vendor.xero["Payments"][0])
    payment.update(
        PaymentID="5e7a9c1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b",
        Amount=500.0,
        BankAmount=500.0,
        Date="/Date(1770076800000+0000)/",
        UpdatedDateUTC=xero_stamp(moment),
        Invoice=dict(payment["Invoice"], InvoiceID=invoice["InvoiceID"], InvoiceNumber="INV-0001"),
    )
    vendor.xero["Payments"].append(payment)
    vendor.requests.clear()

    result = sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    since = {
        r.path.rsplit("/", 1)[-1]: r.headers.get("if-modified-since")
        for r in vendor.api_requests("/api.xro/")
    }
    assert since == {
        "Contacts": "2026-01-13T10:15:00",
        "Invoices": "2026-01-22T09:30:00",
        "CreditNotes": "2026-01-22T09:30:00",
        "Payments": "2026-01-21T16:00:00",
    }
    with uow:
        updated = uow.documents.get(CREDITOR, "INV-0001")
        allocations = uow.payments.allocations(CREDITOR, document="INV-0001")
    assert (updated.open_amount, updated.status) == (gbp("650"), DocumentStatus.PART_PAID)
    assert [(a.payment, a.amount, a.allocated_on) for a in allocations] == [
        ("xero:5e7a9c1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b", gbp("500"), date(2026, 2, 3))
    ]
    assert result.counts[Entity.INVOICES].updated == 1
    assert result.counts[Entity.PAYMENTS].added == 1


def test_a_voided_invoice_already_in_the_ledger_is_taken_off_it(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)
    invoice = next(i for i in vendor.xero["Invoices"] if i["InvoiceNumber"] == "INV-0001")
    invoice.update(Status="VOIDED", UpdatedDateUTC=xero_stamp(datetime(2026, 2, 4, tzinfo=UTC)))

    result = sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    with uow:
        voided = uow.documents.get(CREDITOR, "INV-0001")
        balance = uow.ledger.open_balance(CREDITOR, ABC)
    assert (voided.status, voided.open_amount, voided.amount) == (
        DocumentStatus.SETTLED_IN_SOURCE,
        gbp("0"),
        gbp("1150"),
    )
    assert balance == {"GBP": gbp("-34.50")}  # only the unapplied credit note CN-0006 is left
    assert result.counts[Entity.INVOICES].withdrawn == 1


def test_a_429_is_retried_after_the_retry_after_xero_sends(
    uow: SqlUnitOfWork,
    vendor: VendorServer,
    connectors: Connectors,
    cipher: TokenCipher,
    sleeps: SleepRecorder,
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.throttle(lambda r: r.path.endswith("/Invoices") and r.param("page") == "2", retry_after="12")

    result = sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    assert [str(wait) for wait in sleeps.waits] == ["12"]
    assert [r.param("page") for r in vendor.api_requests("/Invoices")] == ["1", "2", "2", "3"]
    assert result.retries == 1
    with uow:
        assert uow.documents.get(CREDITOR, "INV-0004").currency == "EUR"  # on the retried page


def test_a_token_about_to_expire_is_refreshed_by_the_sdk_and_the_new_one_stored(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    first_refresh = vendor.xero_tokens.refresh

    sync(
        uow,
        CREDITOR,
        XERO,
        connectors=connectors,
        cipher=cipher,
        now=lambda: utc_now() + timedelta(minutes=29),
    )

    refreshes = [r for r in vendor.api_requests("/connect/token") if "grant_type=refresh_token" in r.body]
    assert len(refreshes) == 1 and f"refresh_token={first_refresh}" in refreshes[0].body
    with uow:
        stored = uow.connections.get(CREDITOR, "xero")
    assert (
        stored.refresh_token is not None
        and cipher.decrypt(stored.refresh_token) == vendor.xero_tokens.refresh
    )
    assert vendor.xero_tokens.refresh != first_refresh


def test_an_access_token_refused_mid_sync_is_refreshed_once(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.xero_tokens.access.clear()

    result = sync(uow, CREDITOR, XERO, connectors=connectors, cipher=cipher)

    assert result.counts[Entity.CUSTOMERS].added == 3
    assert len([r for r in vendor.api_requests("/connect/token") if "refresh_token" in r.body]) == 1


def test_a_refused_refresh_token_asks_the_creditor_to_reconnect(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.xero_tokens.refresh = "revoked-in-xero"

    with pytest.raises(ReconnectNeeded, match="connect the organisation again"):
        sync(
            uow,
            CREDITOR,
            XERO,
            connectors=connectors,
            cipher=cipher,
            now=lambda: utc_now() + timedelta(hours=1),
        )

    with uow:
        stored = uow.connections.get(CREDITOR, "xero")
    assert stored.status == "needs_reconnect" and stored.last_error is not None
