"""Write-offs in past receivables and past ageing: an invoice written off on day W was still
owed at the end of W-1 (less what was allocated to it by then) and is not owed at the end of W.
The SQL (metrics, ageing report) and the pure core (`receivables_as_of`, `ageing`) agree.

    ACME, debtor D1 (invoices issued 2026-01-05, due 2026-02-04):
    | INV-000101 | 500.00 | 100 paid 02-10, the other 400 written off on W = 03-02 (bad debt)   |
    | INV-000102 | 250.00 | 50 written off on W (goodwill), 200 still open                     |
    | (a 30.00 write-off of INV-000102 asked for on W and refused changes nothing)              |
"""

from datetime import date, timedelta

import pytest
from deals_builders import two_invoices, write_off
from store_builders import creditor, debtor, document, money, payment

from arrears.core import metrics
from arrears.core.ageing import DEFAULT_BUCKETS, AgeingBasis, ageing
from arrears.core.ledger import Allocation, Document
from arrears.core.writeoffs import WriteOff, WriteOffReason
from arrears.services.ageing_report import ageing_reports
from arrears.services.write_offs import list_write_offs, refuse_write_off
from arrears.store.unit_of_work import SqlUnitOfWork

W = date(2026, 3, 2)
DAY_BEFORE = W - timedelta(days=1)


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    two_invoices(uow, "500.00", "250.00")
    with uow:
        uow.payments.add("ACME", [payment("ACME", "P-1", date(2026, 2, 10), "100.00", "D1")])
        uow.payments.allocate(
            "ACME", [Allocation("ACME", "INV-000101", money("100.00"), date(2026, 2, 10), payment="P-1")]
        )
        uow.commit()
    write_off(uow, "INV-000101", reason=WriteOffReason.BAD_DEBT, on=W, approved_by="Jo at Acme")
    write_off(uow, "INV-000102", "50.00", reason=WriteOffReason.GOODWILL, on=W, approved_by="Jo at Acme")
    asked = write_off(uow, "INV-000102", "30.00", reason=WriteOffReason.GOODWILL, on=W)
    refuse_write_off(uow, "ACME", asked.write_off.id, by="Jo at Acme", on=W)
    return uow


def _core_inputs(uow: SqlUnitOfWork) -> tuple[list[Document], list[Allocation], list[WriteOff]]:
    """The ledger as the core sees it: documents as they are today, all allocations, and the
    write-offs applied (a refused one never touched the invoice)."""
    with uow:
        documents = uow.documents.list_for_debtor("ACME", "D1")
        allocations = uow.payments.allocations("ACME")
    applied = [
        WriteOff("ACME", w.debtor, w.document, w.amount, w.reason, w.decided_by or "", w.on, w.note)
        for w in list_write_offs(uow, "ACME")
        if w.state == "applied"
    ]
    return documents, allocations, applied


@pytest.mark.parametrize(
    ("at", "outstanding"),
    [
        (date(2026, 2, 9), "750.00"),  # nothing paid yet
        (date(2026, 2, 10), "650.00"),  # 100 paid on INV-000101
        (DAY_BEFORE, "650.00"),  # the day before the write-offs: both invoices still owed
        (W, "200.00"),  # written off on W: only INV-000102's 200 is left
        (date(2026, 3, 31), "200.00"),
    ],
)
def test_an_invoice_written_off_on_w_is_receivable_at_w_minus_one_and_not_at_w(
    acme: SqlUnitOfWork, at: date, outstanding: str
) -> None:
    with acme:
        receivables = acme.metrics.receivables("ACME", "GBP", at)

    assert receivables.outstanding == money(outstanding)
    assert receivables.not_yet_due == money("0.00")  # all due 2026-02-04
    documents, allocations, write_offs = _core_inputs(acme)
    assert receivables.outstanding == metrics.receivables_as_of(
        documents, allocations, at, "GBP", write_offs=write_offs
    )


def test_ageing_as_of_the_day_before_a_write_off_shows_the_invoice_in_its_bucket(
    acme: SqlUnitOfWork,
) -> None:
    (before,) = ageing_reports(acme, DAY_BEFORE, creditor="ACME")
    (on_the_day,) = ageing_reports(acme, W, creditor="ACME")

    lines = {line.debtor: line for line in before.report.lines}
    assert lines["D1"].total == money("650.00") and lines["D1"].document_count == 2
    assert dict(zip(before.report.labels, before.report.totals("GBP"), strict=True))["1-30"] == money(
        "650.00"
    )
    assert on_the_day.report.total("GBP") == money("200.00")
    for as_of in (DAY_BEFORE, W):
        with acme:
            receivables = acme.metrics.receivables("ACME", "GBP", as_of)
        (report,) = ageing_reports(acme, as_of, creditor="ACME")
        assert report.report.total("GBP") == receivables.outstanding  # ageing agrees with the metrics


@pytest.mark.parametrize("basis", list(AgeingBasis))
def test_ageing_in_sql_equals_the_core_counting_write_offs_back(
    acme: SqlUnitOfWork, basis: AgeingBasis
) -> None:
    documents, allocations, write_offs = _core_inputs(acme)
    for as_of in (date(2026, 2, 10), DAY_BEFORE, W, date(2026, 4, 30)):
        with acme:
            stored = acme.ledger.ageing_report("ACME", as_of, DEFAULT_BUCKETS, basis)
        pure = ageing(
            documents, as_of, DEFAULT_BUCKETS, basis, allocations=allocations, write_offs=write_offs
        )
        assert stored == pure


def test_another_creditors_write_offs_never_count_in_acmes_receivables(acme: SqlUnitOfWork) -> None:
    with acme:
        acme.creditors.add(creditor("BETA"))
        acme.debtors.add("BETA", [debtor("BETA", "D1")])
        acme.documents.add(
            "BETA", [document("BETA", "D1", "INV-000101", date(2026, 1, 5), date(2026, 2, 4), "9000.00")]
        )
        acme.commit()
    with acme:
        acme.write_offs.apply(
            "BETA",
            WriteOff("BETA", "D1", "INV-000101", money("9000.00"), WriteOffReason.BAD_DEBT, "Bo", W),
            requested_by="Bo",
        )
        acme.commit()

    with acme:
        assert acme.metrics.receivables("ACME", "GBP", DAY_BEFORE).outstanding == money("650.00")
        assert acme.metrics.receivables("BETA", "GBP", DAY_BEFORE).outstanding == money("9000.00")
        assert acme.metrics.receivables("BETA", "GBP", W).outstanding == money("0.00")
