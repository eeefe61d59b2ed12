"""Explain and the approvals queue see the holds of deals, as the cycle does: a promise, a plan,
a settlement or a dispute made after an action was planned now holds it."""

from datetime import date, timedelta

import pytest
from collections_builders import ACME, TUESDAY, add_ledger, cycle, invoice, new_uow
from deals_builders import now
from sqlalchemy import Engine
from store_builders import money

from arrears.core.disputes import DisputeReason
from arrears.core.errors import NotFoundError
from arrears.core.instalments import Frequency
from arrears.services import approvals
from arrears.services.cycle import run_cycle
from arrears.services.deal_book import deal_holds
from arrears.services.disputes import raise_invoice_dispute
from arrears.services.explain import explain_debtor
from arrears.services.payment_plans import propose_payment_plan
from arrears.services.planning_inputs import deal_holds_on, planning_holds
from arrears.services.promises import record_promise
from arrears.services.settlements import agree_settlement
from arrears.store.repositories import ActionState

FINAL_NOTICE_DAY = TUESDAY - timedelta(days=14)


def awaiting_letter_before_action(engine: Engine) -> int:
    """D1's INV-1 had its final notice and now waits for approval of the letter before action;
    D1 also owes INV-2 (not chased by that action)."""
    add_ledger(engine, [invoice("INV-1", "D1", 104), invoice("INV-2", "D1", -20)])
    cycle(engine, FINAL_NOTICE_DAY)
    (waiting,) = cycle(engine, TUESDAY).awaiting_approval
    with new_uow(engine) as uow:
        return uow.actions.get_by_key(ACME, waiting.idempotency_key).id


def promise(engine: Engine, documents: list[str], promised_on: date, *, made_on: date = TUESDAY) -> None:
    record_promise(
        new_uow(engine),
        ACME,
        "D1",
        money("1000.00"),
        promised_on,
        made_on=made_on,
        documents=documents,
        taken_by="Sam",
        now=now,
    )


# --- the shared planning inputs ---------------------------------------------------------------


def test_planning_holds_are_the_cycles_holds_and_name_their_deals(engine: Engine) -> None:
    add_ledger(
        engine,
        [
            invoice("INV-1", "D1", 20),
            invoice("INV-2", "D1", 20),
            invoice("INV-3", "D2", 20),
            invoice("INV-4", "D3", 20),
        ],
    )
    promise(engine, ["INV-1"], TUESDAY + timedelta(days=5))
    raise_invoice_dispute(
        new_uow(engine), ACME, "INV-2", DisputeReason.WRONG_PRICE, raised_on=TUESDAY, raised_by="Jo", now=now
    )
    propose_payment_plan(
        new_uow(engine),
        ACME,
        "D2",
        instalments=2,
        frequency=Frequency.MONTHLY,
        first_due_on=TUESDAY + timedelta(days=10),
        agreed_on=TUESDAY,
        by="Sam",
        now=now,
    )
    agree_settlement(
        new_uow(engine),
        ACME,
        "D3",
        money("900.00"),
        pay_by=TUESDAY + timedelta(days=7),
        agreed_on=TUESDAY,
        by="Sam",
        now=now,
    )
    day = TUESDAY + timedelta(days=1)

    with new_uow(engine) as uow:
        labelled = deal_holds_on(uow, ACME, day)
        expected = [*uow.holds.in_force(ACME, day), *deal_holds(uow, ACME, day)]
        assert planning_holds(uow, ACME, day) == expected
        assert [held.hold for held in labelled] == deal_holds(uow, ACME, day)
        assert [h.hold for h in deal_holds_on(uow, ACME, day, debtor="D1")] == [
            h.hold for h in labelled if h.debtor == "D1"
        ]
    described = sorted(held.describe() for held in labelled)
    assert described == [
        "dispute D-00001 on INV-2 until it is decided",
        "payment plan PP-00001 on INV-3 until 2026-03-23",
        "promise P-00001 on INV-1 until 2026-03-18",
        "settlement S-00001 on INV-4 until 2026-03-20",
    ]


# --- explain ----------------------------------------------------------------------------------


def first_day_the_cycle_contacts(engine: Engine, debtor: str, start: date, days: int) -> date | None:
    for offset in range(days):
        day = start + timedelta(days=offset)
        report = run_cycle(new_uow(engine), ACME, day, dry_run=True)
        if any(action.debtor == debtor for action in report.actions):
            return day
    return None


def test_explain_says_a_live_promise_holds_and_next_is_what_the_cycle_will_do(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 55)])  # the formal demand is 5 days away
    cycle(engine, TUESDAY - timedelta(days=1))
    promise(engine, ["INV-1"], TUESDAY + timedelta(days=10))  # holds until 2026-03-23

    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY, creditor=ACME)

    texts = [(event.kind, event.text) for event in explanation.events]
    assert (
        "deal",
        "promise P-00001 taken (call by Sam): 1,000.00 GBP by 2026-03-20 on INV-1; "
        "it holds the ladder until 2026-03-23",
    ) in texts
    lines = explanation.lines()
    assert "held on 2026-03-10 by promise P-00001 on INV-1 until 2026-03-23" in lines
    # not the formal demand on 2026-03-15 while the promise holds: on the day after it ends
    assert explanation.next.on == date(2026, 3, 24)
    assert [action.step for action in explanation.next.actions] == ["formal demand"]
    assert explanation.next.on == first_day_the_cycle_contacts(engine, "D1", TUESDAY, 30)


def test_explain_shows_an_open_dispute_and_why_nothing_is_sent(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 13)])
    raise_invoice_dispute(
        new_uow(engine), ACME, "INV-1", DisputeReason.QUALITY, raised_on=TUESDAY, raised_by="portal", now=now
    )

    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY + timedelta(days=1), look_ahead_days=30)

    texts = [event.text for event in explanation.events if event.kind == "deal"]
    assert texts == [
        "dispute D-00001 raised on INV-1: quality, 1,000.00 GBP disputed; it holds INV-1 until it is decided"
    ]
    lines = explanation.lines()
    assert "held on 2026-03-11 by dispute D-00001 on INV-1 until it is decided" in lines
    assert explanation.next.on is None
    assert first_day_the_cycle_contacts(engine, "D1", TUESDAY + timedelta(days=1), 30) is None
    assert any(line.startswith("not on 2026-03-11: ") and "held: dispute" in line for line in lines)


def test_explain_tells_a_broken_promise_and_the_ladder_resuming(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 20)])
    promise(engine, ["INV-1"], TUESDAY - timedelta(days=6), made_on=TUESDAY - timedelta(days=8))

    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY)

    texts = [event.text for event in explanation.events if event.kind == "deal"]
    assert texts[-1] == "promise P-00001 broken, 1,000.00 GBP short: it no longer holds; the ladder resumes"
    assert not explanation.next.first_day_holds
    assert explanation.next.on == first_day_the_cycle_contacts(engine, "D1", TUESDAY, 30)


# --- approvals --------------------------------------------------------------------------------


def test_the_queue_warns_when_a_deal_made_since_holds_the_action(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    promise(engine, ["INV-1"], TUESDAY + timedelta(days=7))

    (request,) = approvals.pending_approvals(new_uow(engine), TUESDAY + timedelta(days=1))

    assert request.action.id == action_id and request.held_by_deal
    assert [held.deal for held in request.deal_holds] == ["promise P-00001"]
    assert "now held by promise P-00001 on INV-1 until 2026-03-20" in request.warning()


def test_approving_an_action_a_promise_now_holds_is_refused_with_the_promise_named(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    promise(engine, ["INV-1"], TUESDAY + timedelta(days=7))
    day = TUESDAY + timedelta(days=1)

    with pytest.raises(
        approvals.HeldByDealError, match=r"held by promise P-00001 on INV-1 until 2026-03-20"
    ) as caught:
        approvals.approve(new_uow(engine), ACME, action_id, on=day, by="sme")
    assert [held.deal for held in caught.value.holds] == ["promise P-00001"]
    with pytest.raises(approvals.ApprovalError, match="give a reason to override"):
        approvals.approve(new_uow(engine), ACME, action_id, on=day, by="sme", override=True)
    with new_uow(engine) as uow:
        assert uow.actions.get(ACME, action_id).status is ActionState.AWAITING_APPROVAL

    decision = approvals.approve(
        new_uow(engine), ACME, action_id, on=day, by="sme", override=True, reason="promised twice before"
    )

    assert decision.action.status is ActionState.APPROVED
    assert [held.deal for held in decision.overridden] == ["promise P-00001"]
    assert decision.action.decision_note == (
        "override of promise P-00001 on INV-1 until 2026-03-20: promised twice before"
    )


def test_a_dispute_or_a_plan_raised_since_holds_the_approval(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    raise_invoice_dispute(
        new_uow(engine),
        ACME,
        "INV-1",
        DisputeReason.ALREADY_PAID,
        raised_on=TUESDAY,
        raised_by="portal",
        now=now,
    )

    with pytest.raises(
        approvals.HeldByDealError, match=r"held by dispute D-00001 on INV-1 until it is decided"
    ):
        approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY + timedelta(days=2))


def test_a_plan_on_the_documents_holds_the_approval(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    propose_payment_plan(
        new_uow(engine),
        ACME,
        "D1",
        instalments=2,
        frequency=Frequency.MONTHLY,
        first_due_on=TUESDAY + timedelta(days=14),
        agreed_on=TUESDAY,
        by="Sam",
        documents=["INV-1"],
        now=now,
    )

    with pytest.raises(approvals.HeldByDealError, match=r"held by payment plan PP-00001 on INV-1 until"):
        approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY + timedelta(days=1))


def test_a_deal_on_other_documents_or_one_over_does_not_hold_the_approval(engine: Engine) -> None:
    action_id = awaiting_letter_before_action(engine)
    promise(engine, ["INV-2"], TUESDAY + timedelta(days=7))
    (request,) = approvals.pending_approvals(new_uow(engine), TUESDAY + timedelta(days=1))
    assert not request.held_by_deal and request.warning() == ""

    # a promise on INV-1 whose grace ended (2026-03-15) before the decision
    record_promise(
        new_uow(engine),
        ACME,
        "D1",
        money("1000.00"),
        TUESDAY + timedelta(days=2),
        made_on=TUESDAY + timedelta(days=1),
        documents=["INV-1"],
        taken_by="Sam",
        now=now,
    )
    decision = approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY + timedelta(days=20))
    assert decision.action.status is ActionState.APPROVED and decision.overridden == ()


def test_another_creditors_deals_never_hold_an_approval_and_its_actions_are_out_of_reach(
    engine: Engine,
) -> None:
    action_id = awaiting_letter_before_action(engine)
    add_ledger(engine, [invoice("INV-1", "D1", 104, creditor_code="BETA")], creditor_code="BETA")
    record_promise(
        new_uow(engine),
        "BETA",
        "D1",
        money("1000.00"),
        TUESDAY + timedelta(days=7),
        made_on=TUESDAY,
        documents=["INV-1"],
        taken_by="Sam",
        now=now,
    )

    (request,) = approvals.pending_approvals(new_uow(engine), TUESDAY + timedelta(days=1), creditor=ACME)
    assert not request.held_by_deal
    with pytest.raises(NotFoundError):
        approvals.approve(new_uow(engine), "BETA", action_id, on=TUESDAY + timedelta(days=1))
    assert (
        approvals.approve(new_uow(engine), ACME, action_id, on=TUESDAY + timedelta(days=1)).overridden == ()
    )
