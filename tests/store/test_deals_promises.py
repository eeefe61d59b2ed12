"""Promises to pay through the services and the store: taken, held, kept by cash from the bank,
broken after the grace (flag, worklist), refused on documents another deal covers."""

from datetime import date
from pathlib import Path

import pytest
from deals_builders import csv_statement, ledger, now
from store_builders import money

from arrears.core.holds import HoldReason
from arrears.core.ledger import DebtorFlag
from arrears.core.promises import PromiseChannel, PromiseState
from arrears.services.bank_import import import_bank_statement
from arrears.services.deal_book import DealConflictError, broken_promises, deal_holds
from arrears.services.deal_review import review_deals
from arrears.services.promises import PromiseRefused, list_promises, record_promise
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)  # due 2026-02-04


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    ledger(uow, invoices=[("D1", "INV-000101", ISSUED, "500.00"), ("D1", "INV-000102", ISSUED, "250.00")])
    return uow


def test_a_promise_holds_what_it_covers_until_the_promised_date_plus_grace(acme: SqlUnitOfWork) -> None:
    recorded = record_promise(
        acme,
        "ACME",
        "D1",
        money("500.00"),
        date(2026, 3, 10),
        made_on=date(2026, 3, 2),
        documents=["INV-000101"],
        taken_by="Sam",
        now=now,
    )

    assert recorded.promise.reference == "P-00001"
    assert recorded.promise.deadline == date(2026, 3, 13)  # three days' grace by default
    with acme:
        holds = deal_holds(acme, "ACME", date(2026, 3, 13))
        after = deal_holds(acme, "ACME", date(2026, 3, 14))
    assert [(h.reason, h.documents) for h in holds] == [
        (HoldReason.PROMISE_TO_PAY, frozenset({"INV-000101"}))
    ]
    assert after == []


def test_confirmation_is_not_sent_without_a_brand_and_says_why(acme: SqlUnitOfWork) -> None:
    recorded = record_promise(
        acme,
        "ACME",
        "D1",
        money("100.00"),
        date(2026, 3, 10),
        made_on=date(2026, 3, 2),
        taken_by="Sam",
        now=now,
    )

    assert not recorded.confirmation.queued
    assert "has no brand" in recorded.confirmation.reason


def test_promise_kept_when_the_bank_payment_arrives_in_time_lifts_the_hold(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    record_promise(
        acme,
        "ACME",
        "D1",
        money("500.00"),
        date(2026, 3, 10),
        made_on=date(2026, 3, 2),
        channel=PromiseChannel.EMAIL,
        documents=["INV-000101"],
        taken_by="Sam",
        now=now,
    )
    statement = csv_statement(
        tmp_path / "march.csv",
        [
            (
                date(2026, 3, 9),
                "500.00",
                "HARRINGTON JOINERY INV-000101",
                "INV-000101",
                "Harrington Joinery Ltd",
            )
        ],
    )

    report = import_bank_statement(acme, "ACME", statement, by="Sam", now=now)

    assert [m.documents for m in report.matched] == [("INV-000101",)]
    assert report.review is not None and report.review.kept == ["P-00001"]
    (view,) = list_promises(acme, "ACME", date(2026, 3, 9))
    assert (view.recorded_state, view.status.state, view.status.kept_on) == (
        "kept",
        PromiseState.KEPT,
        date(2026, 3, 9),
    )
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 10)) == []


def test_promise_broken_after_grace_flags_the_debtor_and_counts_for_the_worklist(acme: SqlUnitOfWork) -> None:
    record_promise(
        acme,
        "ACME",
        "D1",
        money("750.00"),
        date(2026, 3, 10),
        made_on=date(2026, 3, 2),
        taken_by="Sam",
        now=now,
    )
    with acme:
        assert broken_promises(acme, "ACME", date(2026, 3, 13)) == {}
        assert broken_promises(acme, "ACME", date(2026, 3, 14)) == {"D1": 1}  # before any review

    on_last_day = review_deals(acme, "ACME", date(2026, 3, 13), now=now)
    review = review_deals(acme, "ACME", date(2026, 3, 14), now=now)
    again = review_deals(acme, "ACME", date(2026, 3, 15), now=now)

    assert on_last_day.broken == []
    assert (review.broken, review.flagged) == (["P-00001"], ["D1"])
    assert again.broken == [] and again.flagged == []  # recorded once
    with acme:
        assert DebtorFlag.BROKEN_PROMISE in acme.debtors.get("ACME", "D1").flags
        assert deal_holds(acme, "ACME", date(2026, 3, 14)) == []
    (view,) = list_promises(acme, "ACME", date(2026, 3, 20))
    assert (view.recorded_state, view.status.broken_on) == ("broken", date(2026, 3, 14))


def test_a_kept_promise_clears_the_broken_promise_flag(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    record_promise(
        acme,
        "ACME",
        "D1",
        money("100.00"),
        date(2026, 3, 3),
        made_on=date(2026, 3, 2),
        taken_by="Sam",
        now=now,
    )
    review_deals(acme, "ACME", date(2026, 3, 10), now=now)
    record_promise(
        acme,
        "ACME",
        "D1",
        money("250.00"),
        date(2026, 3, 20),
        made_on=date(2026, 3, 11),
        documents=["INV-000102"],
        taken_by="Sam",
        now=now,
    )
    statement = csv_statement(
        tmp_path / "s.csv", [(date(2026, 3, 18), "250.00", "INV-000102", "", "Harrington Joinery")]
    )

    import_bank_statement(acme, "ACME", statement, by="Sam", now=now)

    with acme:
        assert DebtorFlag.BROKEN_PROMISE not in acme.debtors.get("ACME", "D1").flags


def test_a_second_live_deal_on_the_same_invoice_is_refused(acme: SqlUnitOfWork) -> None:
    record_promise(
        acme,
        "ACME",
        "D1",
        money("500.00"),
        date(2026, 3, 10),
        made_on=date(2026, 3, 2),
        documents=["INV-000101"],
        taken_by="Sam",
        now=now,
    )

    with pytest.raises(DealConflictError, match="invoice INV-000101 is already covered by promise P-00001"):
        record_promise(
            acme,
            "ACME",
            "D1",
            money("100.00"),
            date(2026, 3, 12),
            made_on=date(2026, 3, 3),
            documents=["INV-000101"],
            taken_by="Jo",
            now=now,
        )


def test_a_promise_in_another_currency_or_on_a_paid_invoice_is_refused(acme: SqlUnitOfWork) -> None:
    with pytest.raises(PromiseRefused, match="in EUR; the debt it is for is in GBP"):
        record_promise(
            acme,
            "ACME",
            "D1",
            money("5.00", "EUR"),
            date(2026, 3, 10),
            made_on=date(2026, 3, 2),
            taken_by="Sam",
            now=now,
        )
