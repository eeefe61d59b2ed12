"""A payment the bank brought first, then QuickBooks: the real sync path (python-quickbooks
against recorded payloads on 127.0.0.1) links it to the bank's payment instead of counting it
twice; and a bank line for a payment QuickBooks recorded first allocates nothing."""

import csv
from datetime import date
from pathlib import Path

from accounting_support import CREDITOR, Connectors
from vendor_server import QBO_REALM, VendorServer

from arrears.core.ledger import DocumentStatus
from arrears.core.money import Money
from arrears.intake.accounting.common import Entity, Provider
from arrears.intake.accounting.tokens import TokenCipher
from arrears.services.bank_import import import_bank_statement
from arrears.services.sync_accounting import connect, sync
from arrears.store.unit_of_work import SqlUnitOfWork

QBO = Provider.QUICKBOOKS


def statement(path: Path, day: date, amount: str, text: str, payer: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Amount", "Currency", "Description", "Counterparty", "Account"])
        writer.writerow([day.isoformat(), amount, "GBP", text, payer, "GB33BUKB20201555555555"])
    return path


def first_sync(uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher) -> None:
    connect(
        uow,
        CREDITOR,
        QBO,
        tenant_id=QBO_REALM,
        code=vendor.grant_qbo_code(),
        connectors=connectors,
        cipher=cipher,
    )
    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)


def pay_invoice_1037_in_quickbooks(vendor: VendorServer, on: str) -> None:
    """The bookkeeper enters Cool Cars' payment of invoice 1037 (QuickBooks invoice 130)."""
    invoices = {r["Id"]: r for r in vendor.quickbooks["Invoice"]}
    invoices["130"].update(Balance=0, MetaData={"LastUpdatedTime": "2026-02-03T10:00:00-08:00"})
    vendor.quickbooks["Payment"].append(
        {
            "Id": "203",
            "CustomerRef": {"value": "58", "name": "Cool Cars"},
            "TotalAmt": 362.07,
            "UnappliedAmt": 0,
            "TxnDate": on,
            "CurrencyRef": {"value": "GBP", "name": "British Pound Sterling"},
            "MetaData": {
                "CreateTime": "2026-02-03T10:00:00-08:00",
                "LastUpdatedTime": "2026-02-03T10:00:00-08:00",
            },
            "Line": [{"Amount": 362.07, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
        }
    )


def cash_on_1037(
    uow: SqlUnitOfWork,
) -> tuple[Money, DocumentStatus, list[tuple[str | None, Money]], list[str]]:
    with uow:
        invoice = uow.documents.get(CREDITOR, "1037")
        allocations = uow.payments.allocations(CREDITOR, document="1037")
        payments = [p.reference for p in uow.payments.list_all(CREDITOR, debtor="58")]
    return invoice.open_amount, invoice.status, [(a.payment, a.amount) for a in allocations], payments


def test_quickbooks_reporting_a_payment_the_bank_matched_links_it_once(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher, tmp_path: Path
) -> None:
    first_sync(uow, vendor, connectors, cipher)
    report = import_bank_statement(
        uow,
        CREDITOR,
        statement(tmp_path / "bank.csv", date(2026, 2, 2), "362.07", "Invoice 1037", "Cool Cars"),
        by="test",
    )
    (done,) = report.matched
    assert done.documents == ("1037",) and not done.linked
    pay_invoice_1037_in_quickbooks(vendor, "2026-02-03")

    result = sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)

    assert (
        f"payment quickbooks:203 is the bank's payment {done.payment}: linked, counted once"
        in result.warnings
    )
    assert result.counts[Entity.PAYMENTS].added == 0 and result.counts[Entity.PAYMENTS].updated == 1
    open_amount, status, allocations, payments = cash_on_1037(uow)
    assert (open_amount, status) == (Money.of("0", "GBP"), DocumentStatus.PAID)
    assert allocations == [("quickbooks:203", Money.of("362.07", "GBP"))]
    assert "quickbooks:203" in payments and done.payment not in payments
    with uow:
        assert [m.payment for m in uow.bank.matches(CREDITOR)] == ["quickbooks:203"]


def test_a_bank_line_for_a_payment_quickbooks_recorded_first_is_linked_and_allocates_nothing(
    uow: SqlUnitOfWork, vendor: VendorServer, connectors: Connectors, cipher: TokenCipher, tmp_path: Path
) -> None:
    first_sync(uow, vendor, connectors, cipher)
    pay_invoice_1037_in_quickbooks(vendor, "2026-02-03")
    sync(uow, CREDITOR, QBO, connectors=connectors, cipher=cipher)
    before = cash_on_1037(uow)

    report = import_bank_statement(
        uow,
        CREDITOR,
        statement(tmp_path / "bank.csv", date(2026, 2, 4), "362.07", "INV 1037", "COOL CARS LTD"),
        by="test",
    )

    (done,) = report.matched
    assert done.linked and done.payment == "quickbooks:203" and done.allocated.is_zero
    assert cash_on_1037(uow) == before
