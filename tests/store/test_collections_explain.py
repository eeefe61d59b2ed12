"""Explaining a debtor: its timeline with the reason for each action and skip, and what comes next."""

from datetime import date, timedelta

import pytest
from collections_builders import ACME, TUESDAY, add_ledger, cycle, cycles, invoice, new_uow, pay
from sqlalchemy import Engine

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.holds import HoldReason
from arrears.services import collections_setup as setup
from arrears.services.explain import explain_debtor


def test_timeline_gives_each_action_and_skip_with_its_reason(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    cycles(engine, TUESDAY, 5)  # the 7-day reminder on Tuesday, nothing more up to Saturday
    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY + timedelta(days=4), creditor=ACME)

    kinds = [(event.on, event.kind) for event in explanation.events]
    assert (TUESDAY - timedelta(days=37), "document") in kinds  # issued
    texts = [event.text for event in explanation.events]
    (planned,) = [text for text in texts if text.startswith("action")]
    assert "step 'first overdue reminder' by email planned" in planned
    assert "invoice INV-1 is 7 days past due; step 'first overdue reminder' applies" in planned
    assert [str(amount) for amount in explanation.open_amounts] == ["1,000.00 GBP"]
    lines = explanation.lines()
    assert lines[0].startswith("Customer D1 (D1) at ACME Ltd (ACME)")
    # a cycle ran on the day asked about, so what comes next is looked for from the day after
    assert explanation.next.first_day == TUESDAY + timedelta(days=5)


def test_next_says_when_and_why_the_next_step_comes(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    cycle(engine, TUESDAY)

    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY)

    following = explanation.next
    assert following.on == TUESDAY + timedelta(days=7)
    assert [action.step for action in following.actions] == ["second overdue reminder"]
    assert any(
        line.startswith("next: 2026-03-17 step 'second overdue reminder' by email")
        for line in explanation.lines()
    )


def test_holds_payments_and_skips_are_in_the_timeline_and_next_says_what_blocks(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7, "2000.00"), invoice("INV-2", "D1", 7, "2000.00")])
    pay(engine, "D1", "INV-1", "2000.00", TUESDAY - timedelta(days=3))
    setup.add_hold(
        new_uow(engine), ACME, "D1", HoldReason.DISPUTE, starts_on=TUESDAY, note="wrong goods", by="ann"
    )
    cycles(engine, TUESDAY, 3)

    explanation = explain_debtor(new_uow(engine), "D1", TUESDAY + timedelta(days=2), look_ahead_days=10)

    texts = [event.text for event in explanation.events]
    assert any(text.startswith("payment PAY-INV-1") for text in texts)
    assert any(text.startswith("hold 1: dispute") and "wrong goods" in text for text in texts)
    assert any(text.startswith("held, step 'first overdue reminder', on 3 cycle days") for text in texts)
    assert explanation.next.on is None
    assert any("held: dispute" in line and line.startswith("not on") for line in explanation.lines())


def test_a_debtor_is_found_without_naming_its_creditor_unless_two_have_it(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    assert explain_debtor(new_uow(engine), "D1", TUESDAY).creditor.code == ACME
    add_ledger(engine, [invoice("INV-1", "D1", 7, creditor_code="BETA")], creditor_code="BETA")

    with pytest.raises(ArrearsError, match="account of ACME, BETA: say which with --creditor"):
        explain_debtor(new_uow(engine), "D1", TUESDAY)
    with pytest.raises(NotFoundError, match="no creditor has a debtor 'D9'"):
        explain_debtor(new_uow(engine), "D9", date(2026, 3, 10))
