"""Approvals against the store: legal steps wait for the creditor, who approves or rejects with
a reason; the queue carries the evidence."""

from datetime import timedelta

import pytest
from collections_builders import (
    ACME,
    TUESDAY,
    add_ledger,
    cycle,
    cycles,
    invoice,
    new_uow,
    pay,
    stored_actions,
)
from sqlalchemy import Engine

from arrears.core.holds import HoldReason
from arrears.services import approvals
from arrears.store.repositories import ActionState

FINAL_NOTICE_DAY = TUESDAY - timedelta(days=14)  # the invoice is 90 days past due then


def awaiting_letter_before_action(engine: Engine) -> int:
    """An invoice that had its final notice and is now due the letter before action."""
    add_ledger(engine, [invoice("INV-1", "D1", 104), invoice("INV-2", "D2", 7)])
    cycle(engine, FINAL_NOTICE_DAY)
    report = cycle(engine, TUESDAY)
    (waiting,) = report.awaiting_approval
    assert waiting.step == "letter before action"
    with new_uow(engine) as uow:
        return uow.actions.get_by_key(ACME, waiting.idempotency_key).id


def test_a_legal_step_waits_in_the_queue_with_its_evidence(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)

    (request,) = approvals.pending_approvals(new_uow(engine), TUESDAY)

    assert request.action.id == action_id and request.debtor.account_code == "D1"
    assert [(e.document.number, e.days_past_due) for e in request.documents] == [("INV-1", 104)]
    assert [past.step for past in request.history] == ["final notice"]
    assert [str(amount) for amount in request.open_amounts()] == ["1,000.00 GBP"]
    assert "needs the creditor's approval" in request.action.reason


def test_documents_awaiting_approval_are_not_chased_meanwhile(engine: Engine) -> None:
    awaiting_letter_before_action(engine)

    later = cycles(engine, TUESDAY + timedelta(days=1), 30)

    assert all(action.debtor != "D1" for report in later for action in report.actions)
    with new_uow(engine) as uow:
        held = [skip for skip in uow.cycle_runs.skips(ACME, debtor="D1")]
    assert held and all(skip.holds == (HoldReason.AWAITING_APPROVAL,) for skip in held)


def test_approving_hands_the_action_to_the_outbox_and_the_ladder_goes_on(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    decided_on = TUESDAY + timedelta(days=3)

    decision = approvals.approve(new_uow(engine), ACME, action_id, on=decided_on, by="sme", reason="go ahead")

    assert decision.action.status is ActionState.APPROVED and decision.action.decided_by == "sme"
    with new_uow(engine) as uow:
        ready = [a.id for a in uow.actions.ready_for_delivery(ACME) if a.step == "letter before action"]
        assert ready == [action_id]
    # the referral keeps its 14 days from the day the letter was approved, then asks again
    cycles(engine, TUESDAY + timedelta(days=1), 20)
    referral = [a for a in stored_actions(engine, account="D1") if a.step == "referral"]
    assert [(a.planned_on, a.status) for a in referral] == [
        (decided_on + timedelta(days=14), ActionState.AWAITING_APPROVAL)
    ]


def test_rejecting_a_legal_step_needs_a_reason_and_holds_its_documents(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    with pytest.raises(approvals.ApprovalError, match="give a reason"):
        approvals.reject(new_uow(engine), ACME, action_id, on=TUESDAY, reason="  ")

    decision = approvals.reject(
        new_uow(engine), ACME, action_id, on=TUESDAY, reason="good customer", by="sme"
    )

    assert decision.action.status is ActionState.REJECTED and decision.action.decision_note == "good customer"
    assert decision.hold is not None
    assert decision.hold.hold.reason is HoldReason.DO_NOT_CONTACT and decision.hold.hold.documents == {
        "INV-1"
    }
    assert "declined 'letter before action'" in decision.hold.hold.note
    cycles(engine, TUESDAY + timedelta(days=1), 40)
    assert [a.step for a in stored_actions(engine, account="D1")] == ["final notice", "letter before action"]


def test_rejecting_with_keep_chasing_asks_again_at_the_next_legal_step(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)

    decision = approvals.reject(
        new_uow(engine), ACME, action_id, on=TUESDAY, reason="not yet", keep_chasing=True
    )

    assert decision.hold is None
    cycles(engine, TUESDAY + timedelta(days=1), 20)
    assert [a.step for a in stored_actions(engine, account="D1")][-1] == "referral"


def test_a_decision_is_taken_once(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY)

    with pytest.raises(approvals.ArrearsError, match="is approved"):
        approvals.reject(new_uow(engine), ACME, action_id, on=TUESDAY, reason="changed my mind")


def test_approving_an_action_whose_documents_were_paid_is_refused(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    pay(engine, "D1", "INV-1", "1000.00", TUESDAY + timedelta(days=1))

    with pytest.raises(approvals.ApprovalError, match="nothing of it is open any more: reject it instead"):
        approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY + timedelta(days=2))
