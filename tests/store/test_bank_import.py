"""Importing real-format bank statements (camt.053, MT940, OFX, bank CSV) into the store:
lines recorded once, exact payments matched and allocated, malformed files refused whole."""

from datetime import date
from pathlib import Path

import pytest
from deals_builders import BANK_FIXTURES, ledger, named_debtor, now, shared_bank_file
from store_builders import money

from arrears.intake.bank import StatementError
from arrears.services.bank_import import import_bank_statement
from arrears.services.matching import ignore_line, match_line, unmatched_queue
from arrears.store.unit_of_work import SqlUnitOfWork


def _nothing_written(uow: SqlUnitOfWork, code: str) -> None:
    with uow:
        assert uow.bank.lines(code) == []
        assert uow.payments.list_all(code) == []
        assert uow.bank.queue(code, include_resolved=True) == []


def test_camt053_credit_citing_an_invoice_is_matched_and_allocated(uow: SqlUnitOfWork) -> None:
    ledger(
        uow,
        currency="EUR",
        debtors=[named_debtor("ACME", "MEDIA", "3rd Party Media", "EUR")],
        invoices=[("MEDIA", "4210773", date(2013, 12, 1), "1405.31")],
    )

    report = import_bank_statement(uow, "ACME", shared_bank_file("camt053/test-camt053"), by="Sam", now=now)

    assert (report.statements, report.lines_new, report.debits) == (1, 4, 3)
    (matched,) = report.matched
    assert (matched.debtor, matched.documents, matched.allocated) == (
        "MEDIA",
        ("4210773",),
        money("1405.31", "EUR"),
    )
    assert matched.confidence == 100 and "invoice number" in matched.method
    assert report.balance_warnings and "differs from the closing balance" in report.balance_warnings[0]
    with uow:
        assert uow.documents.get("ACME", "4210773").open_amount == money("0.00", "EUR")
        (payment,) = uow.payments.list_all("ACME", debtor="MEDIA")
    assert (payment.received_on, payment.amount) == (date(2014, 1, 5), money("1405.31", "EUR"))


def test_reimporting_a_statement_adds_nothing_twice(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    ledger(
        uow,
        currency="EUR",
        debtors=[named_debtor("ACME", "MEDIA", "3rd Party Media", "EUR")],
        invoices=[("MEDIA", "4210773", date(2013, 12, 1), "1405.31")],
    )
    source = shared_bank_file("camt053/test-camt053")
    import_bank_statement(uow, "ACME", source, by="Sam", now=now)
    renamed = tmp_path / "statement-copy.xml"
    renamed.write_bytes(source.read_bytes())

    again = import_bank_statement(uow, "ACME", renamed, by="Sam", now=now)

    assert (again.statements, again.statements_known, again.lines_new, again.lines_known) == (0, 1, 0, 4)
    assert again.matched == [] and again.queued == []
    with uow:
        assert len(uow.bank.lines("ACME")) == 4
        assert len(uow.payments.list_all("ACME")) == 1


def test_mt940_credit_from_a_named_payer_waits_for_a_person_who_matches_it(uow: SqlUnitOfWork) -> None:
    ledger(
        uow,
        currency="EUR",
        debtors=[named_debtor("ACME", "TS", "Transfer Solutions BV", "EUR")],
        invoices=[("TS", "INV-2019-88", date(2019, 12, 1), "828.72")],
    )

    report = import_bank_statement(uow, "ACME", shared_bank_file("mt940/ASNB/mt940.txt"), by="Sam", now=now)

    assert (report.statements, report.lines_new, report.debits) == (31, 8, 5)
    assert report.matched == []
    queue = unmatched_queue(uow, "ACME")
    assert [(q.line.amount, q.best_debtor) for q in queue] == [
        (money("1000.00", "EUR"), None),
        (money("828.72", "EUR"), "TS"),
        (money("1000.18", "EUR"), None),
    ]
    suggestion = queue[1].suggestions[0]
    assert (suggestion["debtor"], suggestion["documents"], suggestion["confidence"]) == (
        "TS",
        ["INV-2019-88"],
        60,
    )

    done = match_line(uow, "ACME", queue[1].line.id, "TS", by="Sam", now=now)
    ignore_line(uow, "ACME", queue[0].line.id, by="Sam", note="the owner's own transfer", now=now)

    assert (done.documents, done.allocated) == (("INV-2019-88",), money("828.72", "EUR"))
    assert [q.line.amount for q in unmatched_queue(uow, "ACME")] == [money("1000.18", "EUR")]
    with uow:
        assert uow.bank.known_accounts("ACME") == {"NL25INGB9999999999": frozenset({"TS"})}
    # the same statements, downloaded again with other spacing, add nothing
    again = import_bank_statement(
        uow, "ACME", shared_bank_file("mt940/ASNB/mt940_with_spaces_for_entry_date.txt"), by="Sam", now=now
    )
    assert (again.statements, again.lines_new) == (0, 0)


def test_ofx_credit_that_is_no_customer_payment_is_queued_and_debits_are_kept_apart(
    uow: SqlUnitOfWork,
) -> None:
    ledger(uow, currency="USD", debtors=[named_debtor("ACME", "D1", "Harrington Joinery Inc", "USD")])

    report = import_bank_statement(uow, "ACME", shared_bank_file("ofx/checking.ofx"), by="Sam", now=now)

    assert (report.lines_new, report.debits, len(report.queued)) == (3, 2, 1)
    assert report.queued[0].best is None
    with uow:
        assert [line.state for line in uow.bank.lines("ACME")] == ["unmatched", "debit", "debit"]


def test_bank_csv_payment_quoting_the_invoice_is_allocated_at_once(uow: SqlUnitOfWork) -> None:
    ledger(
        uow,
        debtors=[named_debtor("ACME", "ACMEW", "Acme Widgets Ltd")],
        invoices=[("ACMEW", "INV-1042", date(2026, 1, 20), "1200.50")],
    )

    report = import_bank_statement(uow, "ACME", BANK_FIXTURES / "csv_lloyds.csv", by="Sam", now=now)

    (matched,) = report.matched
    assert (matched.debtor, matched.documents, matched.confidence) == ("ACMEW", ("INV-1042",), 100)
    assert report.cash_matched() == {"GBP": money("1200.50")}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (BANK_FIXTURES / "camt053_truncated.xml", r"^camt053_truncated\.xml"),
        (Path("mt940/betterplace/sepa_snippet_broken.sta"), r"^sepa_snippet_broken\.sta line 6"),
        (Path("ofx/fail_nice/decimal_error.ofx"), r"^decimal_error\.ofx"),
        (BANK_FIXTURES / "csv_bad_amount.csv", r"^csv_bad_amount\.csv row \d+, column"),
    ],
    ids=["camt053", "mt940", "ofx", "csv"],
)
def test_a_malformed_file_is_refused_with_a_clear_error_and_nothing_is_written(
    uow: SqlUnitOfWork, path: Path, message: str
) -> None:
    ledger(uow)
    source = path if path.is_absolute() else shared_bank_file(str(path))

    with pytest.raises(StatementError, match=message):
        import_bank_statement(uow, "ACME", source, by="Sam", now=now)

    _nothing_written(uow, "ACME")
