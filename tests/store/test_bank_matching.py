"""Matching bank credits in the store: several invoices in one payment, part payments,
over-payments, payers known by their account, ambiguity, duplicates and re-matching."""

from datetime import UTC, date, datetime
from pathlib import Path

from deals_builders import ledger, named_debtor, now
from store_builders import creditor, document, money

from arrears.core.ledger import DocumentStatus
from arrears.core.money import Money
from arrears.services.bank_import import BankImportReport, import_bank_statement
from arrears.services.matching import match_line, rematch_queue, unmatched_queue
from arrears.services.promises import record_promise
from arrears.services.simulate_deals import CamtLine, write_camt053
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)  # due 2026-02-04
DAY = date(2026, 3, 2)
HARRINGTON_IBAN = "GB29NWBK60161331926819"


def _import(uow: SqlUnitOfWork, folder: Path, *lines: CamtLine, code: str = "ACME") -> BankImportReport:
    path = write_camt053(
        folder / f"{code}-{lines[0].booked_on}-{lines[0].remittance or lines[0].payer}.xml".replace(" ", "_"),
        account="GB33BUKB20201555555555",
        currency="GBP",
        statement_id=f"S-{lines[0].booked_on}-{len(lines)}-{lines[0].remittance}",
        opening=Money.zero("GBP"),
        lines=lines,
        created=datetime(2026, 3, 3, 6, tzinfo=UTC),
    )
    return import_bank_statement(uow, code, path, by="Sam", now=now)


def _line(
    amount: str,
    remittance: str = "",
    payer: str = "Harrington Joinery Ltd",
    account: str | None = None,
    day: date = DAY,
) -> CamtLine:
    return CamtLine(day, money(amount), payer, account, remittance)


def _acme(uow: SqlUnitOfWork) -> None:
    ledger(
        uow,
        debtors=[
            named_debtor("ACME", "D1", "Harrington Joinery Ltd"),
            named_debtor("ACME", "D2", "Kestrel Print Ltd"),
        ],
        invoices=[
            ("D1", "INV-000101", ISSUED, "500.00"),
            ("D1", "INV-000102", ISSUED, "250.00"),
            ("D2", "INV-000201", ISSUED, "90.00"),
        ],
    )


def test_one_payment_for_several_invoices_settles_each(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    _acme(uow)

    report = _import(uow, tmp_path, _line("750.00", "INV-000101 / INV-000102"))

    (done,) = report.matched
    assert (done.documents, done.allocated, done.on_account) == (
        ("INV-000101", "INV-000102"),
        money("750.00"),
        money("0.00"),
    )
    with uow:
        assert {d.number: d.status for d in uow.documents.list_for_debtor("ACME", "D1")} == {
            "INV-000101": DocumentStatus.PAID,
            "INV-000102": DocumentStatus.PAID,
        }


def test_a_part_payment_from_the_named_payer_is_allocated_and_leaves_the_rest_open(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)

    (done,) = _import(uow, tmp_path, _line("200.00", "part payment inv 000101")).matched

    assert (done.documents, done.allocated, done.confidence) == (("INV-000101",), money("200.00"), 95)
    with uow:
        assert uow.documents.get("ACME", "INV-000101").open_amount == money("300.00")


def test_an_over_payment_settles_the_invoice_and_leaves_the_rest_on_account(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)

    (done,) = _import(uow, tmp_path, _line("300.00", "INV-000102")).matched

    assert (done.allocated, done.on_account) == (money("250.00"), money("50.00"))
    with uow:
        (payment,) = uow.payments.list_all("ACME", debtor="D1")
        assert payment.unallocated_amount == money("50.00")
        assert uow.ledger.open_balance("ACME", "D1") == {"GBP": money("450.00")}


def test_a_payer_matched_once_by_a_person_is_known_by_its_account_next_time(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)
    first = _import(uow, tmp_path, _line("100.00", "thanks", account=HARRINGTON_IBAN))
    assert first.matched == []
    match_line(uow, "ACME", first.queued[0].line.id, "D1", by="Sam", now=now)

    second = _import(uow, tmp_path, _line("250.00", "april", account=HARRINGTON_IBAN, day=date(2026, 3, 9)))

    (done,) = second.matched
    assert (done.debtor, done.documents, done.confidence) == ("D1", ("INV-000102",), 100)
    assert "account" in done.method


def test_a_promised_amount_from_a_known_account_pays_the_promised_invoices(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)
    first = _import(uow, tmp_path, _line("10.00", "hello", account=HARRINGTON_IBAN))
    match_line(uow, "ACME", first.queued[0].line.id, "D1", documents=["INV-000102"], by="Sam", now=now)
    record_promise(
        uow,
        "ACME",
        "D1",
        money("320.00"),
        date(2026, 3, 13),
        made_on=date(2026, 3, 3),
        documents=["INV-000101"],
        taken_by="Sam",
        now=now,
    )

    (done,) = _import(
        uow, tmp_path, _line("320.00", "as agreed", account=HARRINGTON_IBAN, day=date(2026, 3, 10))
    ).matched

    assert done.documents == ("INV-000101",)
    with uow:
        recorded = uow.bank.matches("ACME", booked_from=date(2026, 3, 10))
    assert [m.reasons[-1] for m in recorded] == ["the amount is what promise P-00001 expects"]


def test_two_debtors_with_the_same_name_are_left_to_a_person(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    ledger(
        uow,
        debtors=[
            named_debtor("ACME", "SMITH1", "Smith Plumbing"),
            named_debtor("ACME", "SMITH2", "Smith Plumbing Ltd"),
        ],
        invoices=[("SMITH1", "INV-1", ISSUED, "75.00"), ("SMITH2", "INV-2", ISSUED, "75.00")],
    )

    report = _import(uow, tmp_path, _line("75.00", "", payer="SMITH PLUMBING"))

    assert report.matched == []
    assert {s["debtor"] for s in unmatched_queue(uow, "ACME")[0].suggestions} == {"SMITH1", "SMITH2"}


def test_paying_the_same_invoice_twice_sends_the_second_payment_to_a_person(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)

    report = _import(
        uow,
        tmp_path,
        _line("90.00", "INV-000201", payer="Kestrel Print"),
        _line("90.00", "INV-000201", payer="Kestrel Print"),
    )

    assert len(report.matched) == 1 and len(report.queued) == 1
    with uow:
        assert uow.documents.get("ACME", "INV-000201").status is DocumentStatus.PAID


def test_a_payment_for_an_invoice_not_yet_imported_is_matched_when_the_queue_is_rematched(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)
    report = _import(uow, tmp_path, _line("42.00", "INV-000300", payer="Kestrel Print Ltd"))
    assert report.matched == []
    with uow:
        uow.documents.add("ACME", [document("ACME", "D2", "INV-000300", ISSUED, ISSUED, "42.00")])
        uow.commit()

    matched, queued = rematch_queue(uow, "ACME", DAY, now=now)

    assert [(m.debtor, m.documents) for m in matched] == [("D2", ("INV-000300",))] and queued == []
    assert unmatched_queue(uow, "ACME") == []


def test_each_creditor_records_and_matches_its_own_statement_lines(
    uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    _acme(uow)
    with uow:
        uow.creditors.add(creditor("BETA"))
        uow.commit()

    _import(uow, tmp_path, _line("500.00", "INV-000101"))
    beta = _import(uow, tmp_path, _line("500.00", "INV-000101"), code="BETA")

    assert beta.lines_new == 1 and beta.matched == []
    with uow:
        assert len(uow.bank.lines("BETA")) == 1 and uow.payments.list_all("BETA") == []
