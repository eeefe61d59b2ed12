"""Disputes: raised on a document or part of it, held from dunning, resolved by mode."""

from dataclasses import replace
from datetime import date

import pytest

from arrears.core.deal_rules import DisputeMode
from arrears.core.disputes import (
    Dispute,
    DisputeError,
    DisputeOutcome,
    DisputeReason,
    Resolver,
    collectable_amount,
    credit_note_for,
    creditor_notice,
    dispute_holds,
    dispute_summary,
    disputed_amount,
    raise_dispute,
    resolve_dispute,
    who_decides,
)
from arrears.core.holds import HoldBook, HoldReason
from arrears.core.ledger import Creditor, Debtor, Document, DocumentKind, DocumentStatus, apply_credit_note
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, plan
from arrears.policies import default_uk

RAISED = date(2026, 3, 2)
DECIDED = date(2026, 3, 10)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(number: str = "INV-1", amount: str = "500.00", open_amount: str | None = None) -> Document:
    return Document(
        "acme",
        "C001",
        DocumentKind.INVOICE,
        number,
        date(2026, 1, 1),
        date(2026, 1, 31),
        gbp(amount),
        gbp(open_amount or amount),
    )


def dispute(amount: str | None = "120.00", reason: DisputeReason = DisputeReason.WRONG_PRICE) -> Dispute:
    return raise_dispute(
        "D-1",
        invoice(),
        reason,
        raised_on=RAISED,
        raised_by="portal",
        amount=gbp(amount) if amount else None,
        notes="charged list price, quote was 380",
    )


def test_dispute_on_the_whole_document_by_default() -> None:
    whole = dispute(amount=None)

    assert whole.disputed == gbp("500.00")
    assert collectable_amount(invoice(), [whole]).is_zero


def test_partial_dispute_holds_the_document_and_reports_the_undisputed_part_as_collectable() -> None:
    part = dispute("120.00")

    hold = part.hold()
    assert hold is not None
    assert (hold.reason, hold.documents, hold.starts_on, hold.ends_on) == (
        HoldReason.DISPUTE,
        frozenset({"INV-1"}),
        RAISED,
        None,
    )
    assert disputed_amount(invoice(), [part]) == gbp("120.00")
    assert collectable_amount(invoice(), [part]) == gbp("380.00")


def test_disputed_document_is_not_chased_but_the_debtors_other_documents_are() -> None:
    documents = (invoice("INV-1"), invoice("INV-2"))
    snapshot = LedgerSnapshot(Creditor("acme", "Acme"), (Debtor("acme", "C001", "Customer"),), documents)

    result = plan(snapshot, default_uk(), date(2026, 3, 3), holds=dispute_holds([dispute()]))

    assert [a.documents for a in result.actions] == [("INV-2",)]
    assert [s.documents for s in result.skips if HoldReason.DISPUTE in s.holds] == [("INV-1",)]


def test_a_second_dispute_cannot_contest_more_than_is_left_undisputed() -> None:
    first = dispute("400.00")

    with pytest.raises(
        DisputeError, match=r"200\.00 GBP disputed but only 100\.00 GBP .* 400\.00 GBP under other"
    ):
        raise_dispute(
            "D-2",
            invoice(),
            DisputeReason.QUALITY,
            raised_on=RAISED,
            raised_by="Sam",
            amount=gbp("200.00"),
            existing=[first],
        )
    second = raise_dispute(
        "D-2", invoice(), DisputeReason.QUALITY, raised_on=RAISED, raised_by="Sam", existing=[first]
    )
    assert second.disputed == gbp("100.00")


def test_disputed_amount_never_exceeds_what_is_still_open() -> None:
    assert disputed_amount(invoice(open_amount="50.00"), [dispute("120.00")]) == gbp("50.00")
    assert collectable_amount(invoice(open_amount="50.00"), [dispute("120.00")]).is_zero


def test_disputes_on_other_documents_do_not_count() -> None:
    assert collectable_amount(invoice("INV-2"), [dispute()]) == gbp("500.00")


def test_other_reason_needs_notes_and_credit_notes_cannot_be_disputed() -> None:
    with pytest.raises(DisputeError, match="the reason is 'other'; say what is disputed in the notes"):
        raise_dispute("D-1", invoice(), DisputeReason.OTHER, raised_on=RAISED, raised_by="Sam")
    note = Document(
        "acme", "C001", DocumentKind.CREDIT_NOTE, "CN-1", RAISED, RAISED, gbp("5.00"), gbp("5.00")
    )
    with pytest.raises(DisputeError, match="CN-1 is a credit note"):
        raise_dispute("D-1", note, DisputeReason.QUALITY, raised_on=RAISED, raised_by="Sam")


def test_every_reason_code_of_the_issue_exists() -> None:
    assert {r.value for r in DisputeReason} == {
        "goods_not_received",
        "wrong_price",
        "quality",
        "already_paid",
        "not_ordered",
        "other",
    }


# --- modes and outcomes ---------------------------------------------------------------------


def test_no_mediation_mode_waits_for_the_creditors_decision() -> None:
    assert who_decides(DisputeMode.NO_MEDIATION) == frozenset({Resolver.CREDITOR})
    with pytest.raises(DisputeError, match=r"decides its disputes itself \(no mediation\)"):
        resolve_dispute(
            dispute(),
            DisputeOutcome.REJECTED,
            on=DECIDED,
            by="Sam",
            resolver=Resolver.CONTROLLER,
            mode=DisputeMode.NO_MEDIATION,
        )
    decided = resolve_dispute(
        dispute(),
        DisputeOutcome.REJECTED,
        on=DECIDED,
        by="Jo at Acme",
        resolver=Resolver.CREDITOR,
        mode=DisputeMode.NO_MEDIATION,
    )
    assert decided.resolution is not None and decided.resolution.resolver is Resolver.CREDITOR


def test_resolve_mode_lets_controllers_work_it() -> None:
    decided = resolve_dispute(
        dispute(),
        DisputeOutcome.REJECTED,
        on=DECIDED,
        by="Sam",
        resolver=Resolver.CONTROLLER,
        mode=DisputeMode.RESOLVE,
    )

    assert not decided.is_open


def test_rejected_dispute_resumes_chasing_the_whole_amount() -> None:
    rejected = resolve_dispute(
        dispute(),
        DisputeOutcome.REJECTED,
        on=DECIDED,
        by="Sam",
        resolver=Resolver.CONTROLLER,
        mode=DisputeMode.RESOLVE,
    )

    hold = rejected.hold()
    assert hold is not None and hold.ends_on == date(2026, 3, 9)
    assert HoldBook.active_on([hold], DECIDED).for_documents("C001") == {}
    assert collectable_amount(invoice(), [rejected]) == gbp("500.00")
    assert rejected.resolution is not None and rejected.resolution.credit.is_zero
    with pytest.raises(DisputeError, match="no credit was granted"):
        credit_note_for(rejected, number="CN-9", issued_on=DECIDED)


def test_credit_note_outcome_credits_the_disputed_amount() -> None:
    upheld = resolve_dispute(
        dispute(),
        DisputeOutcome.CREDIT_NOTE,
        on=DECIDED,
        by="Jo",
        resolver=Resolver.CREDITOR,
        mode=DisputeMode.NO_MEDIATION,
    )

    note = credit_note_for(upheld, number="CN-9", issued_on=DECIDED)
    assert (note.kind, note.amount, note.open_amount, note.external_reference) == (
        DocumentKind.CREDIT_NOTE,
        gbp("120.00"),
        gbp("120.00"),
        "D-1",
    )
    applied = apply_credit_note(note, [invoice()], on=DECIDED)
    assert applied.documents[0].open_amount == gbp("380.00")
    assert applied.documents[-1].status is DocumentStatus.PAID


def test_partially_upheld_gives_a_credit_note_for_part_and_chases_the_rest() -> None:
    partly = resolve_dispute(
        dispute(),
        DisputeOutcome.PARTIALLY_UPHELD,
        on=DECIDED,
        by="Sam",
        resolver=Resolver.CONTROLLER,
        mode=DisputeMode.RESOLVE,
        credit=gbp("60.00"),
        note="agreed to split the difference",
    )

    assert credit_note_for(partly, number="CN-9", issued_on=DECIDED).amount == gbp("60.00")
    assert collectable_amount(invoice(), [partly]) == gbp("500.00")


@pytest.mark.parametrize(
    ("outcome", "credit", "message"),
    [
        (DisputeOutcome.PARTIALLY_UPHELD, None, "needs the credit given"),
        (DisputeOutcome.PARTIALLY_UPHELD, "120.00", "less than the 120.00 GBP disputed"),
        (DisputeOutcome.PARTIALLY_UPHELD, "0.00", "more than nothing"),
        (
            DisputeOutcome.CREDIT_NOTE,
            "100.00",
            "upholds the whole 120.00 GBP; for 100.00 GBP record a partial uphold",
        ),
        (DisputeOutcome.REJECTED, "10.00", "a rejected dispute gives no credit"),
    ],
)
def test_outcomes_refuse_credits_that_contradict_them(
    outcome: DisputeOutcome, credit: str | None, message: str
) -> None:
    with pytest.raises(DisputeError, match=message):
        resolve_dispute(
            dispute(),
            outcome,
            on=DECIDED,
            by="Sam",
            resolver=Resolver.CREDITOR,
            mode=DisputeMode.RESOLVE,
            credit=gbp(credit) if credit else None,
        )


def test_a_dispute_is_resolved_once_and_not_before_it_was_raised() -> None:
    decided = resolve_dispute(
        dispute(),
        DisputeOutcome.REJECTED,
        on=DECIDED,
        by="Jo",
        resolver=Resolver.CREDITOR,
        mode=DisputeMode.RESOLVE,
    )
    with pytest.raises(DisputeError, match=r"already resolved \(rejected\)"):
        resolve_dispute(
            decided,
            DisputeOutcome.REJECTED,
            on=DECIDED,
            by="Jo",
            resolver=Resolver.CREDITOR,
            mode=DisputeMode.RESOLVE,
        )
    with pytest.raises(DisputeError, match="resolved on 2026-03-01, before it was raised on 2026-03-02"):
        resolve_dispute(
            dispute(),
            DisputeOutcome.REJECTED,
            on=date(2026, 3, 1),
            by="Jo",
            resolver=Resolver.CREDITOR,
            mode=DisputeMode.RESOLVE,
        )


def test_a_dispute_decided_the_day_it_was_raised_holds_nothing() -> None:
    same_day = resolve_dispute(
        dispute(),
        DisputeOutcome.REJECTED,
        on=RAISED,
        by="Jo",
        resolver=Resolver.CREDITOR,
        mode=DisputeMode.RESOLVE,
    )

    assert same_day.hold() is None
    assert dispute_holds([same_day, dispute()]) == (dispute().hold(),)


# --- the creditor is told, and reports ------------------------------------------------------


def test_creditor_notice_says_what_is_disputed_and_who_works_it() -> None:
    text = creditor_notice(dispute(), DisputeMode.NO_MEDIATION, document_amount=gbp("500.00"))

    assert text == (
        "Dispute D-1: account C001 disputes 120.00 GBP of 500.00 GBP on invoice INV-1 (wrong price): "
        '"charged list price, quote was 380", raised 2026-03-02. Reminders on this invoice are paused until you '
        "decide: credit note, rejected or partially upheld."
    )
    assert "our credit controllers work it" in creditor_notice(dispute(), DisputeMode.RESOLVE)


def test_summary_reports_open_disputes_by_reason_and_outcomes_so_far() -> None:
    open_one = dispute("120.00")
    other = replace(dispute("50.00", DisputeReason.QUALITY), reference="D-2", raised_on=date(2026, 2, 20))
    settled = resolve_dispute(
        replace(dispute("80.00"), reference="D-3"),
        DisputeOutcome.PARTIALLY_UPHELD,
        on=DECIDED,
        by="Jo",
        resolver=Resolver.CREDITOR,
        mode=DisputeMode.RESOLVE,
        credit=gbp("30.00"),
    )
    future = replace(dispute("10.00"), reference="D-4", raised_on=date(2026, 4, 1))

    summary = dispute_summary([open_one, other, settled, future], date(2026, 3, 12))

    assert summary.open_count == 2
    assert summary.open_amounts == {"GBP": gbp("170.00")}
    assert summary.open_by_reason == {DisputeReason.WRONG_PRICE: 1, DisputeReason.QUALITY: 1}
    assert summary.oldest_open_days == 20
    assert summary.resolved_by_outcome == {DisputeOutcome.PARTIALLY_UPHELD: 1}
    assert summary.credit_given == {"GBP": gbp("30.00")}
    # Before it was decided, the third dispute was still open.
    assert dispute_summary([settled], date(2026, 3, 5)).open_count == 1
