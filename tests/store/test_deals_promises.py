"""Promises to pay through the services and the store: taken, held, kept by cash from the bank,
broken after the grace (flag, worklist), refused on documents another deal covers."""

from datetime import date
from pathlib import Path

import pytest
from deals_builders import now, pay_by_bank, promise, two_invoices

from arrears.core.holds import HoldReason
from arrears.core.ledger import DebtorFlag
from arrears.core.promises import PromiseChannel, PromiseState
from arrears.services.deal_book import DealConflictError, broken_promises, deal_holds
from arrears.services.deal_review import review_deals
from arrears.services.promises import PromiseRefused, list_promises
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    return two_invoices(uow, "500.00", "250.00")  # issued 2026-01-05, due 2026-02-04


def test_a_promise_holds_what_it_covers_until_the_promised_date_plus_grace(acme: SqlUnitOfWork) -> None:
    recorded = promise(acme, "500.00", date(2026, 3, 10), documents=["INV-000101"])

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
    recorded = promise(acme, "100.00", date(2026, 3, 10))

    assert not recorded.confirmation.queued
    assert "has no brand" in recorded.confirmation.reason


def test_promise_kept_when_the_bank_payment_arrives_in_time_lifts_the_hold(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    promise(acme, "500.00", date(2026, 3, 10), channel=PromiseChannel.EMAIL, documents=["INV-000101"])
    report = pay_by_bank(
        acme, tmp_path, date(2026, 3, 9), "500.00", "HARRINGTON JOINERY INV-000101", reference="INV-000101"
    )

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
    promise(acme, "750.00", date(2026, 3, 10))
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
    promise(acme, "100.00", date(2026, 3, 3))
    review_deals(acme, "ACME", date(2026, 3, 10), now=now)
    promise(acme, "250.00", date(2026, 3, 20), made_on=date(2026, 3, 11), documents=["INV-000102"])
    pay_by_bank(acme, tmp_path, date(2026, 3, 18), "250.00", "INV-000102", counterparty="Harrington Joinery")

    with acme:
        assert DebtorFlag.BROKEN_PROMISE not in acme.debtors.get("ACME", "D1").flags


def test_a_second_live_deal_on_the_same_invoice_is_refused(acme: SqlUnitOfWork) -> None:
    promise(acme, "500.00", date(2026, 3, 10), documents=["INV-000101"])

    with pytest.raises(DealConflictError, match="invoice INV-000101 is already covered by promise P-00001"):
        promise(
            acme,
            "100.00",
            date(2026, 3, 12),
            made_on=date(2026, 3, 3),
            documents=["INV-000101"],
            taken_by="Jo",
        )


def test_a_promise_in_another_currency_or_on_a_paid_invoice_is_refused(acme: SqlUnitOfWork) -> None:
    with pytest.raises(PromiseRefused, match="in EUR; the debt it is for is in GBP"):
        promise(acme, "5.00", date(2026, 3, 10), currency="EUR")
