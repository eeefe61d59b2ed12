"""Syncing a QuickBooks Online company into the ledger, through python-quickbooks and
intuit-oauth, against recorded Accounting API v3 payloads served on 127.0.0.1."""

from datetime import UTC, date, datetime, timedelta

import pytest
from accounting_support import CREDITOR, Connectors, SleepRecorder
from vendor_server import QBO_REALM, VendorServer

from arrears.core.errors import ArrearsError
from arrears.core.ledger import DocumentKind, DocumentStatus
from arrears.core.money import Money
from arrears.intake.accounting.common import Entity, Provider, RateLimitError, ReconnectNeeded
from arrears.intake.accounting.tokens import TokenCipher, utc_now
from arrears.services.sync_accounting import connect, sync
from arrears.store.unit_of_work import SqlUnitOfWork

QBO = Provider.QUICKBOOKS


def connected(uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher) -> None:
    connect(
        uow,
        CREDITOR,
        QBO,
        tenant_id=QBO_REALM,
        code=vendor.grant_qbo_code(),
        connectors=connectors,
        cipher=cipher,
    )


def queries(vendor: VendorServer, entity: str) -> list[str]:
    """The QuickBooks queries sent for an entity, in order."""
    return [
        r.body
        for r in vendor.api_requests("/query")
        if f"FROM {entity} " in r.body or r.body.endswith(entity)
    ]


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def test_first_sync_brings_customers_invoices_credit_memos_and_payments_into_the_ledger(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    result = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        debtors = {d.account_code: d for d in uow.debtors.list_all(CREDITOR)}
        invoice = uow.documents.get(CREDITOR, "1038")
        paid_usd = uow.documents.get(CREDITOR, "1039")
        credit = uow.documents.get(CREDITOR, "CM-1001", DocumentKind.CREDIT_NOTE)
        cash = uow.payments.get(CREDITOR, "quickbooks:202")
        allocations = uow.payments.allocations(CREDITOR, payment="quickbooks:201")
    assert set(debtors) == {"58", "59", "60"}
    cool_cars = debtors["58"]
    assert cool_cars.name == "Cool Cars"
    assert cool_cars.primary_contact is not None
    assert cool_cars.primary_contact.email == "accounts@coolcars.example"
    assert cool_cars.primary_contact.address is not None
    assert cool_cars.primary_contact.address.postcode == "BS1 4DJ"
    assert debtors["59"].currency == "USD"
    assert (invoice.amount, invoice.open_amount, invoice.status) == (
        gbp("1200"),
        gbp("450"),
        DocumentStatus.PART_PAID,
    )
    assert (invoice.issue_date, invoice.due_date, invoice.external_reference) == (
        date(2026, 1, 5),
        date(2026, 2, 4),
        "quickbooks:131",
    )
    assert paid_usd.currency == "USD" and paid_usd.status is DocumentStatus.PAID
    assert (credit.amount, credit.open_amount) == (gbp("50"), gbp("50"))
    assert (cash.amount, cash.unallocated, cash.debtor) == (
        Money.of("100", "USD"),
        Money.of("14.50", "USD"),
        "59",
    )
    assert [(a.document, a.amount, a.allocated_on) for a in allocations] == [
        ("1038", gbp("750"), date(2026, 1, 25))
    ]
    assert result.counts[Entity.INVOICES].added == 4
    assert result.counts[Entity.PAYMENTS].added == 2
    assert result.allocations == 2


def test_a_voided_invoice_stays_out_of_the_ledger_and_inactive_customers_come_in(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        numbers = {d.number for d in uow.documents.list_for_debtor(CREDITOR, "58")}
        old = uow.documents.list_for_debtor(CREDITOR, "60")
    assert "1040" not in numbers  # TotalAmt 0, "Voided"
    assert [d.number for d in old] == ["1041"]  # the customer is inactive, the debt is not
    assert "Active IN (true, false)" in queries(vendor, "Customer")[0]


def test_amounts_are_exact_to_the_penny(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        invoice = uow.documents.get(CREDITOR, "1037")
        balance = uow.ledger.open_balance(CREDITOR, "58")
    assert invoice.amount.to_minor_units() == 36207
    # 362.07 + 450.00 open, less the 50.00 credit memo not yet applied
    assert balance == {"GBP": gbp("762.07")}


def test_pages_are_asked_for_until_one_comes_back_short(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)

    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    invoice_queries = queries(vendor, "Invoice")
    assert [q.split("STARTPOSITION ")[1] for q in invoice_queries] == [
        "1 MAXRESULTS 2",
        "3 MAXRESULTS 2",
        "5 MAXRESULTS 2",
    ]
    assert all("LastUpdatedTime" not in q for q in invoice_queries)  # the first sync asks for everything


def test_the_next_sync_asks_only_for_what_changed_since_the_latest_update_seen(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    first = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)
    assert first.cursors[Entity.PAYMENTS] == datetime(2026, 1, 28, 16, 5, tzinfo=UTC)
    # In QuickBooks: invoice 1037 is paid in full; invoice 1041 is voided.
    invoices = {r["Id"]: r for r in vendor.quickbooks["Invoice"]}
    invoices["130"].update(Balance=0, MetaData={"LastUpdatedTime": "2026-02-03T10:00:00-08:00"})
    invoices["134"].update(
        TotalAmt=0, Balance=0, PrivateNote="Voided", MetaData={"LastUpdatedTime": "2026-02-03T11:00:00-08:00"}
    )
    vendor.quickbooks["Payment"].append(
        {
            "Id": "203",
            "CustomerRef": {"value": "58", "name": "Cool Cars"},
            "TotalAmt": 362.07,
            "UnappliedAmt": 0,
            "TxnDate": "2026-02-03",
            "CurrencyRef": {"value": "GBP", "name": "British Pound Sterling"},
            "MetaData": {
                "CreateTime": "2026-02-03T10:00:00-08:00",
                "LastUpdatedTime": "2026-02-03T10:00:00-08:00",
            },
            "Line": [{"Amount": 362.07, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
        }
    )
    vendor.requests.clear()

    second = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    assert "Metadata.LastUpdatedTime >= '2026-01-28T16:05:00+00:00'" in queries(vendor, "Payment")[0]
    assert "Metadata.LastUpdatedTime >= '2026-01-28T16:05:00+00:00'" in queries(vendor, "Invoice")[0]
    with uow:
        paid = uow.documents.get(CREDITOR, "1037")
        voided = uow.documents.get(CREDITOR, "1041")
        allocations = uow.payments.allocations(CREDITOR, payment="quickbooks:203")
    assert (paid.status, paid.open_amount) == (DocumentStatus.PAID, gbp("0"))
    assert (voided.status, voided.open_amount) == (DocumentStatus.SETTLED_IN_SOURCE, gbp("0"))
    assert [(a.document, a.amount) for a in allocations] == [("1037", gbp("362.07"))]
    assert second.counts[Entity.INVOICES].updated == 1
    assert second.counts[Entity.INVOICES].withdrawn == 1
    assert second.counts[Entity.PAYMENTS].added == 1
    assert second.cursors[Entity.INVOICES] == datetime(2026, 2, 3, 19, 0, tzinfo=UTC)


def test_syncing_again_with_nothing_changed_changes_nothing(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)
    with uow:
        before = (uow.documents.list_for_debtor(CREDITOR, "58"), uow.payments.allocations(CREDITOR))

    again = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    # the records updated at the cursor itself come back (the cursor is inclusive) and change nothing
    assert again.counts[Entity.PAYMENTS].received == 1
    assert again.changed == 0
    with uow:
        assert (uow.documents.list_for_debtor(CREDITOR, "58"), uow.payments.allocations(CREDITOR)) == before


def test_a_throttled_request_is_sent_again_after_the_wait_quickbooks_asks_for(
    uow: SqlUnitOfWork,
    vendor: VendorServer,
    connectors: Connectors,
    cipher: TokenCipher,
    sleeps: SleepRecorder,
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.throttle(lambda r: "STARTPOSITION 3" in r.body and "FROM Invoice" in r.body, retry_after="7")

    result = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    assert [str(wait) for wait in sleeps.waits] == ["7"]
    assert [q for q in queries(vendor, "Invoice") if "STARTPOSITION 3" in q] == [
        "SELECT * FROM Invoice STARTPOSITION 3 MAXRESULTS 2"
    ] * 2
    assert result.retries == 1
    with uow:
        assert uow.documents.get(CREDITOR, "1039").status is DocumentStatus.PAID  # on the retried page


def test_a_throttle_without_retry_after_waits_the_minute_quickbooks_documents(
    uow: SqlUnitOfWork,
    vendor: VendorServer,
    connectors: Connectors,
    cipher: TokenCipher,
    sleeps: SleepRecorder,
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.throttle(lambda r: "FROM CreditMemo" in r.body, retry_after=None)

    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    assert [str(wait) for wait in sleeps.waits] == ["60"]


def test_a_throttle_that_never_lifts_fails_the_sync_and_writes_nothing(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.throttle(lambda r: "FROM Payment" in r.body, retry_after="1", times=10)

    with pytest.raises(RateLimitError, match="429"):
        sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        assert uow.debtors.list_all(CREDITOR) == []
        connection = uow.connections.get(CREDITOR, "quickbooks")
    assert connection.changed_since["customers"] is None
    assert connection.last_error is not None and "429" in connection.last_error


def test_a_record_the_ledger_refuses_rolls_back_the_whole_sync(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    # a US-dollar payment that QuickBooks links to a sterling invoice
    vendor.quickbooks["Payment"][1]["Line"][0]["LinkedTxn"][0]["TxnId"] = "131"

    with pytest.raises(ArrearsError, match="USD"):
        sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        assert uow.debtors.list_all(CREDITOR) == []
        assert uow.payments.list_all(CREDITOR) == []
        assert uow.connections.get(CREDITOR, "quickbooks").changed_since["invoices"] is None


def test_an_expired_access_token_is_refreshed_first_and_the_rotated_tokens_kept(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    hour_later = utc_now() + timedelta(hours=1, minutes=1)

    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher, now=lambda: hour_later)

    refreshes = [r for r in vendor.api_requests("/tokens/bearer") if "grant_type=refresh_token" in r.body]
    assert len(refreshes) == 1
    with uow:
        stored = uow.connections.get(CREDITOR, "quickbooks")
    assert (
        stored.refresh_token is not None and cipher.decrypt(stored.refresh_token) == vendor.qbo_tokens.refresh
    )
    # the old refresh token is spent at Intuit; the next sync works with the stored new one
    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)


def test_an_access_token_refused_mid_sync_is_refreshed_once_and_the_sync_carries_on(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.qbo_tokens.access.clear()  # Intuit revoked the access token early

    result = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    assert result.counts[Entity.CUSTOMERS].added == 3
    assert len([r for r in vendor.api_requests("/tokens/bearer") if "refresh_token" in r.body]) == 1


def test_a_refused_refresh_token_asks_the_creditor_to_reconnect(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    vendor.qbo_tokens.refresh = "something-else"  # the refresh token was revoked in QuickBooks

    with pytest.raises(ReconnectNeeded, match="connect the company again"):
        sync(
            uow,
            CREDITOR,
            QBO,
            connectors=connectors,
            cipher=cipher,
            now=lambda: utc_now() + timedelta(hours=2),
        )

    with uow:
        assert uow.connections.get(CREDITOR, "quickbooks").status == "needs_reconnect"


def test_a_number_quickbooks_lets_two_invoices_share_is_kept_apart_with_a_warning(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher
) -> None:
    connected(uow, vendor, connectors, cipher)
    next(r for r in vendor.quickbooks["Invoice"] if r["Id"] == "134")["DocNumber"] = "1037"

    result = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    with uow:
        first = uow.documents.get(CREDITOR, "1037")
        second = uow.documents.get(CREDITOR, "1037 (134)")
    assert (first.external_reference, second.external_reference) == ("quickbooks:130", "quickbooks:134")
    assert any("1037 is used by another document" in warning for warning in result.warnings)
    # a full sync pulls both again and leaves them where they are
    again = sync(uow, CREDITOR, QBO, full=True, connectors=connectors, cipher=cipher)
    assert (again.counts[Entity.INVOICES].added, again.counts[Entity.INVOICES].updated) == (0, 0)
