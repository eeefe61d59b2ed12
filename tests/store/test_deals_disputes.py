"""Disputes through the services and the store: raised on an invoice or part of it, held from
dunning, reported to the creditor; resolved by credit note, rejection or partial uphold."""

from datetime import date

import pytest
from deals_builders import dispute, now, resolve, two_invoices
from store_builders import money

from arrears.core.deal_rules import DealRules, DisputeMode
from arrears.core.disputes import DisputeError, DisputeOutcome, DisputeReason, Resolver
from arrears.core.holds import HoldReason
from arrears.core.ledger import DocumentKind
from arrears.services.deal_book import deal_holds
from arrears.services.deal_rules import set_deal_rules
from arrears.services.disputes import dispute_report
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    return two_invoices(uow, "500.00", "250.00")  # disputes raised on 2026-03-02


def test_a_part_dispute_holds_the_invoice_and_tells_the_creditor(acme: SqlUnitOfWork) -> None:
    raised = dispute(
        acme,
        "INV-000101",
        DisputeReason.WRONG_PRICE,
        amount="120.00",
        raised_by="portal",
        notes="quote was 380",
    )

    assert raised.dispute.reference == "D-00001"
    assert raised.collectable == money("380.00")
    assert (
        "account D1 disputes 120.00 GBP of 500.00 GBP on invoice INV-000101 (wrong price)"
        in raised.creditor_notice
    )
    assert "Reminders on this invoice are paused until you decide" in raised.creditor_notice
    assert raised.acknowledgement is not None and not raised.acknowledgement.queued
    with acme:
        (hold,) = deal_holds(acme, "ACME", date(2026, 3, 10))
    assert (hold.reason, hold.documents) == (HoldReason.DISPUTE, frozenset({"INV-000101"}))
    report = dispute_report(acme, "ACME", date(2026, 3, 10))
    assert report.summary.open_count == 1 and report.summary.open_amounts == {"GBP": money("120.00")}


def test_partially_upheld_gives_a_credit_note_applied_to_the_invoice_and_chasing_resumes(
    acme: SqlUnitOfWork,
) -> None:
    dispute(acme, "INV-000101", DisputeReason.WRONG_PRICE, amount="120.00")

    resolved = resolve(
        acme, DisputeOutcome.PARTIALLY_UPHELD, date(2026, 3, 9), by="Jo at Acme", credit="60.00"
    )

    assert (resolved.credit_note, resolved.credit_applied) == ("CN-D-00001", money("60.00"))
    with acme:
        assert acme.documents.get("ACME", "INV-000101").open_amount == money("440.00")
        assert acme.documents.get("ACME", "CN-D-00001", DocumentKind.CREDIT_NOTE).open_amount == money("0.00")
        assert deal_holds(acme, "ACME", date(2026, 3, 9)) == []
        assert [h.reason for h in deal_holds(acme, "ACME", date(2026, 3, 8))] == [HoldReason.DISPUTE]
    summary = dispute_report(acme, "ACME", date(2026, 3, 9)).summary
    assert summary.open_count == 0 and summary.credit_given == {"GBP": money("60.00")}


def test_a_rejected_dispute_gives_nothing_and_lifts_the_hold(acme: SqlUnitOfWork) -> None:
    dispute(acme, "INV-000102", DisputeReason.QUALITY)

    resolved = resolve(acme, DisputeOutcome.REJECTED, date(2026, 3, 5))

    assert resolved.credit_note is None
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 5)) == []
        assert acme.documents.get("ACME", "INV-000102").open_amount == money("250.00")


def test_without_mediation_a_controller_cannot_resolve_and_with_it_can(acme: SqlUnitOfWork) -> None:
    dispute(acme, "INV-000102", DisputeReason.QUALITY)

    with pytest.raises(DisputeError, match="decides its disputes itself"):
        resolve(acme, DisputeOutcome.CREDIT_NOTE, date(2026, 3, 5), by="Sam", resolver=Resolver.CONTROLLER)

    set_deal_rules(acme, "ACME", DealRules(dispute_mode=DisputeMode.RESOLVE), by="Jo", now=now)
    resolved = resolve(
        acme, DisputeOutcome.CREDIT_NOTE, date(2026, 3, 5), by="Sam", resolver=Resolver.CONTROLLER
    )
    assert resolved.credit_applied == money("250.00")


def test_a_credit_note_issued_in_the_accounting_package_is_used_when_named(acme: SqlUnitOfWork) -> None:
    from store_builders import credit_note

    with acme:
        acme.documents.add("ACME", [credit_note("ACME", "D1", "CN-77", date(2026, 3, 6), "50.00")])
        acme.commit()
    dispute(acme, "INV-000102", DisputeReason.QUALITY, amount="50.00")

    resolved = resolve(acme, DisputeOutcome.CREDIT_NOTE, date(2026, 3, 6), credit_note="CN-77")

    assert resolved.credit_note == "CN-77"
    with acme:
        assert acme.documents.get("ACME", "INV-000102").open_amount == money("200.00")
        assert acme.disputes.get("ACME", "D-00001").credit_note == "CN-77"
