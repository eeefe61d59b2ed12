"""The cycle against the store, on SQLite and PostgreSQL: what it records, that repeating it
adds nothing, and the planner's rules (holds, calendar, catch-up, payments, service windows,
contact cap) as they come through the store."""

from datetime import date, timedelta

import pytest
from collections_builders import (
    ACME,
    MONDAY,
    SATURDAY,
    TUESDAY,
    add_ledger,
    cycle,
    cycles,
    invoice,
    new_uow,
    pay,
    steps_of,
    stored_actions,
)
from sqlalchemy import Engine

from arrears.core.holds import HoldReason
from arrears.core.ledger import DebtorFlag
from arrears.core.policy import Channel
from arrears.services import collections_setup as setup
from arrears.store.repositories import ActionState


def test_cycle_records_each_action_as_planned_with_a_run(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 45)])

    report = cycle(engine, TUESDAY)

    actions = stored_actions(engine)
    assert [(a.debtor, a.step, a.documents, a.status) for a in actions] == [
        ("D1", "first overdue reminder", ("INV-1",), ActionState.PLANNED),
        ("D2", "phone call", ("INV-2",), ActionState.PLANNED),
    ]
    assert {a.idempotency_key for a in actions} == {a.idempotency_key for a in report.actions}
    assert all(a.cycle_run == report.run_id and a.planned_on == TUESDAY for a in actions)
    assert "catching up" in actions[1].reason
    with new_uow(engine) as uow:
        (run,) = uow.cycle_runs.list_all(ACME)
        assert (run.as_of, run.planned, run.awaiting_approval, run.policy_version) == (TUESDAY, 2, 0, 1)
        assert run.summary["by_step_and_channel"] == [
            ["first overdue reminder", "email", 1, 0],
            ["phone call", "call", 1, 0],
        ]
        # the shipped ladder became the creditor's version 1 on its first cycle
        assert uow.policies.current(ACME) is not None


def test_running_the_cycle_twice_on_the_same_day_adds_nothing(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 45)])
    cycle(engine, TUESDAY)
    before = stored_actions(engine)

    again = cycle(engine, TUESDAY)

    assert again.actions == () and again.already_recorded == 0
    assert stored_actions(engine) == before


def test_dry_run_reports_the_plan_and_records_nothing(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])

    report = cycle(engine, TUESDAY, dry_run=True)

    assert steps_of_actions(report.actions) == ["first overdue reminder"] and report.run_id is None
    assert stored_actions(engine) == []
    with new_uow(engine) as uow:
        assert uow.cycle_runs.list_all(ACME) == [] and uow.policies.current(ACME) is None


def steps_of_actions(actions: object) -> list[str]:
    return [action.step for action in actions]  # type: ignore[attr-defined]


def test_the_ladder_runs_day_by_day_each_step_once(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", -7)])

    cycles(engine, TUESDAY, 22)

    assert steps_of(stored_actions(engine)) == [
        "friendly reminder",
        "due today",
        "first overdue reminder",
        "second overdue reminder",
    ]


def test_catch_up_gives_an_invoice_45_days_overdue_only_the_call(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 45)])

    cycles(engine, TUESDAY, 3)

    (action,) = stored_actions(engine)
    assert (action.step, action.channel) == ("phone call", Channel.CALL)
    assert "catching up: 'friendly reminder', 'due today', 'first overdue reminder'" in action.reason


# --- holds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        HoldReason.DISPUTE,
        HoldReason.PROMISE_TO_PAY,
        HoldReason.PAYMENT_PLAN,
        HoldReason.DO_NOT_CONTACT,
        HoldReason.INSOLVENCY,
    ],
)
def test_each_recorded_hold_stops_contact_and_says_why(engine: Engine, reason: HoldReason) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 7)])
    if reason is HoldReason.PROMISE_TO_PAY:
        setup.add_hold(new_uow(engine), ACME, "D1", reason, ends_on=TUESDAY + timedelta(days=5), by="tester")
    else:
        setup.add_hold(new_uow(engine), ACME, "D1", reason, note="test", by="tester")

    report = cycle(engine, TUESDAY)

    assert [action.debtor for action in report.actions] == ["D2"]
    assert dict(report.skipped_by_reason) == {f"held: {reason.label}": 1}
    with new_uow(engine) as uow:
        (skip,) = uow.cycle_runs.skips(ACME, debtor="D1")
    assert skip.holds == (reason,) and skip.step == "first overdue reminder"
    assert reason.label in skip.reason


def test_a_hold_on_one_document_leaves_the_others_chased(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D1", 7)])
    setup.add_hold(new_uow(engine), ACME, "D1", HoldReason.DISPUTE, documents=["INV-1"], by="tester")

    (action,) = cycle(engine, TUESDAY).actions

    assert action.documents == ("INV-2",)


def test_debtor_flagged_do_not_contact_is_never_contacted(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)], flags={"D1": frozenset({DebtorFlag.DO_NOT_CONTACT})})

    reports = cycles(engine, TUESDAY, 10)

    assert all(report.actions == () for report in reports)


def test_lifting_a_hold_resumes_the_ladder_where_it_fits(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    stored = setup.add_hold(new_uow(engine), ACME, "D1", HoldReason.DISPUTE, by="tester")
    cycles(engine, TUESDAY, 29)
    assert stored_actions(engine) == []

    setup.lift_hold(new_uow(engine), ACME, stored.id, TUESDAY + timedelta(days=29))
    cycle(engine, TUESDAY + timedelta(days=29))  # Wednesday: 36 days past due

    (action,) = stored_actions(engine)
    assert action.step == "phone call"


def test_a_broken_promise_resumes_the_ladder_after_its_grace(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 20)])
    setup.add_hold(
        new_uow(engine),
        ACME,
        "D1",
        HoldReason.PROMISE_TO_PAY,
        ends_on=TUESDAY + timedelta(days=7),
        by="tester",
    )

    reports = cycles(engine, TUESDAY, 14)

    planned_on = [report.as_of for report in reports if report.actions]
    # held to the promised day plus three days' grace (Friday 2026-03-20), then the weekend
    assert planned_on == [date(2026, 3, 23)]
    assert steps_of(stored_actions(engine)) == ["phone call"]  # 33 days past due by then


# --- calendar ----------------------------------------------------------------------------------


def test_nothing_is_planned_at_the_weekend_the_step_goes_on_monday(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7, as_of=SATURDAY)])

    saturday, sunday, monday = cycles(engine, SATURDAY, 3)

    assert saturday.actions == () and dict(saturday.skipped_by_reason) == {"not a business day": 1}
    assert sunday.actions == ()
    assert [action.step for action in monday.actions] == ["first overdue reminder"]
    assert monday.as_of == MONDAY


def test_nothing_is_planned_on_a_bank_holiday(engine: Engine) -> None:
    good_friday = date(2026, 4, 3)
    add_ledger(engine, [invoice("INV-1", "D1", 0, as_of=good_friday)])

    reports = cycles(engine, good_friday, 5)  # Friday to Tuesday: Easter Monday is a holiday too

    assert [report.as_of for report in reports if report.actions] == [date(2026, 4, 7)]


def test_the_contact_cap_holds_a_debtor_to_two_contacts_in_seven_days(engine: Engine) -> None:
    add_ledger(engine, [invoice(f"INV-{n}", "D1", -7 + n) for n in range(4)])  # four friendly reminders due

    first, second, third = cycles(engine, TUESDAY, 3)

    assert len(first.actions) == 2
    assert dict(first.skipped_by_reason) == {"contact cap": 2}
    assert second.actions == () and third.actions == ()
    with new_uow(engine) as uow:
        skips = uow.cycle_runs.skips(ACME, debtor="D1")
    assert [(skip.kind.value, skip.days) for skip in skips] == [("contact_cap", 3)]


# --- payments, service windows ------------------------------------------------------------------


def test_after_a_payment_the_ladder_pauses_then_restarts_in_a_new_episode(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 65, "2000.00"), invoice("INV-2", "D1", 65, "2000.00")])
    cycle(engine, TUESDAY)  # catch-up: the formal demand
    pay(engine, "D1", "INV-1", "2000.00", TUESDAY + timedelta(days=1))

    reports = cycles(engine, TUESDAY + timedelta(days=1), 10)

    paused = [r for r in reports if dict(r.skipped_by_reason).get("paused after payment")]
    assert len(paused) == 7
    actions = stored_actions(engine)
    assert [(a.step, a.episode) for a in actions] == [
        ("formal demand", "first"),
        ("phone call", "paid-2026-03-11"),
    ]
    assert "restarted after the payment on 2026-03-11" in actions[1].reason


def test_service_turned_off_plans_nothing_and_turned_on_catches_up_one_step(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 8)])
    cycle(engine, TUESDAY)  # both get the 7-day reminder
    setup.turn_service_off(new_uow(engine), ACME, TUESDAY + timedelta(days=1))
    off = cycles(engine, TUESDAY + timedelta(days=1), 60)
    assert all(report.actions == () and not report.service_on for report in off)

    on_day = TUESDAY + timedelta(days=63)  # a Tuesday; INV-1 is 70 days past due
    setup.turn_service_on(new_uow(engine), ACME, on_day)
    back = cycle(engine, on_day)

    assert sorted((a.debtor, a.step) for a in back.actions) == [
        ("D1", "formal demand"),
        ("D2", "formal demand"),
    ]
    assert all("catching up" in a.reason for a in back.actions)


# --- tenancy -----------------------------------------------------------------------------------


def test_a_cycle_for_one_creditor_never_touches_another(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    add_ledger(engine, [invoice("INV-1", "D1", 7, creditor_code="BETA")], creditor_code="BETA")

    cycle(engine, TUESDAY)

    assert len(stored_actions(engine)) == 1
    assert stored_actions(engine, creditor_code="BETA") == []
    beta = cycle(engine, TUESDAY, creditor_code="BETA")
    assert len(beta.actions) == 1  # the same debtor, step and document: a key of its own creditor
