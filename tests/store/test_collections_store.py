"""The collections repositories on SQLite and PostgreSQL: policies, service windows, holds,
actions (one per key, the outbox's hand-over), skips and the planner's snapshot and history."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from collections_builders import ACME, TUESDAY, add_ledger, cycle, cycles, invoice, new_uow, pay
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from store_builders import document

from arrears.core.actions import ActionStatus, Skip, SkipKind
from arrears.core.errors import NotFoundError
from arrears.core.holds import Hold, HoldReason, ServiceWindow
from arrears.core.ledger import DebtorFlag, DocumentKind, DocumentStatus
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, plan
from arrears.core.policy import Channel
from arrears.policies import default_uk
from arrears.store.repositories import ActionState, CollectionSettings
from arrears.store.repositories.collections_actions import ActionStateError
from arrears.store.repositories.collections_holds import HoldError
from arrears.store.repositories.collections_policies import ServiceWindowError
from arrears.store.repositories.collections_writes import documents_json
from arrears.store.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


# --- policies ----------------------------------------------------------------------------------


def test_each_policy_stored_is_a_new_version_and_reads_back_equal(engine: Engine) -> None:
    add_ledger(engine, [])
    shipped = default_uk()
    tighter = replace(shipped, name="Tighter", pause_after_payment_days=3)
    with new_uow(engine) as uow:
        assert uow.policies.current(ACME) is None
        first = uow.policies.add(ACME, shipped, source="default_uk.yaml", by="ann", at=NOW)
        second = uow.policies.add(ACME, tighter, source="tighter.yaml", by="ann", at=NOW)
        uow.commit()

    with new_uow(engine) as uow:
        current = uow.policies.current(ACME)
        assert (first.version, second.version) == (1, 2)
        assert current is not None and current.policy == replace(tighter, version=2)
        assert uow.policies.get(ACME, 1).policy == replace(shipped, version=1)
        assert [stored.source for stored in uow.policies.versions(ACME)] == [
            "default_uk.yaml",
            "tighter.yaml",
        ]
        assert current.created_at == NOW
        with pytest.raises(NotFoundError, match="no policy version 3"):
            uow.policies.get(ACME, 3)


# --- service windows ----------------------------------------------------------------------------


def test_service_is_on_until_turned_off_and_windows_follow_on_and_off(engine: Engine) -> None:
    add_ledger(engine, [])
    off, on = date(2026, 3, 1), date(2026, 5, 1)
    with new_uow(engine) as uow:
        assert uow.service_windows.windows(ACME) == [] and uow.service_windows.is_on(ACME, off)
        with pytest.raises(ServiceWindowError, match="already on"):
            uow.service_windows.turn_on(ACME, off)
        uow.service_windows.turn_off(ACME, off)
        with pytest.raises(ServiceWindowError, match="already off"):
            uow.service_windows.turn_off(ACME, off + timedelta(days=3))
        uow.service_windows.turn_on(ACME, on)
        uow.commit()
    with new_uow(engine) as uow:
        assert uow.service_windows.windows(ACME) == [
            ServiceWindow(date.min, off - timedelta(days=1)),
            ServiceWindow(on, None),
        ]
        assert not uow.service_windows.is_on(ACME, date(2026, 4, 1))
        assert uow.service_windows.is_on(ACME, on)


def test_turning_the_service_off_on_the_day_it_was_turned_on_removes_that_window(engine: Engine) -> None:
    add_ledger(engine, [])
    with new_uow(engine) as uow:
        uow.service_windows.turn_off(ACME, date(2026, 3, 1))
        uow.service_windows.turn_on(ACME, date(2026, 4, 1))
        uow.service_windows.turn_off(ACME, date(2026, 4, 1))
        assert uow.service_windows.windows(ACME) == [ServiceWindow(date.min, date(2026, 2, 28))]


# --- settings ----------------------------------------------------------------------------------


def test_settings_default_until_set_and_round_trip(engine: Engine) -> None:
    add_ledger(engine, [])
    with new_uow(engine) as uow:
        assert uow.collection_settings.get(ACME, "GBP") == CollectionSettings()
        chosen = CollectionSettings(Decimal("7.5"), 15, Money.of("5000", "GBP"))
        uow.collection_settings.set(ACME, chosen)
        uow.commit()
    with new_uow(engine) as uow:
        assert uow.collection_settings.get(ACME, "GBP") == chosen
        assert chosen.monthly_budget_minutes == 450


# --- holds -------------------------------------------------------------------------------------


def test_holds_read_back_with_their_documents_and_lifting_ends_them(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D1", 7), invoice("INV-3", "D2", 7)])
    dispute = Hold(
        HoldReason.DISPUTE, "D1", frozenset({"INV-1", "INV-2"}), starts_on=TUESDAY, note="short delivery"
    )
    with new_uow(engine) as uow:
        stored = uow.holds.add(ACME, dispute, by="ann", at=NOW)
        uow.holds.add(ACME, Hold(HoldReason.DO_NOT_CONTACT, "D2"), by="ann", at=NOW)
        uow.commit()
    with new_uow(engine) as uow:
        assert uow.holds.get(ACME, stored.id).hold == dispute
        assert [h.hold.debtor for h in uow.holds.list_all(ACME)] == ["D1", "D2"]
        assert uow.holds.in_force(ACME, TUESDAY - timedelta(days=1), debtor="D1") == []
        uow.holds.lift(ACME, stored.id, TUESDAY + timedelta(days=5), "credit note agreed")
        uow.commit()
    with new_uow(engine) as uow:
        lifted = uow.holds.get(ACME, stored.id)
        assert lifted.lifted_on == TUESDAY + timedelta(days=5)
        assert lifted.effective() == replace(dispute, ends_on=TUESDAY + timedelta(days=4))
        assert uow.holds.in_force(ACME, TUESDAY + timedelta(days=4), debtor="D1") != []
        assert uow.holds.in_force(ACME, TUESDAY + timedelta(days=5), debtor="D1") == []
        with pytest.raises(HoldError, match="already lifted"):
            uow.holds.lift(ACME, stored.id, TUESDAY + timedelta(days=6))


def test_a_hold_refuses_a_document_of_another_debtor_or_none_at_all(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-3", "D2", 7)])
    with new_uow(engine) as uow:
        with pytest.raises(HoldError, match="INV-3 is not on account D1"):
            uow.holds.add(ACME, Hold(HoldReason.DISPUTE, "D1", frozenset({"INV-3"})), by="ann", at=NOW)
        with pytest.raises(NotFoundError, match="no document 'INV-9'"):
            uow.holds.add(ACME, Hold(HoldReason.DISPUTE, "D1", frozenset({"INV-9"})), by="ann", at=NOW)
        with pytest.raises(HoldError, match="turn the service off"):
            uow.holds.add(ACME, Hold(HoldReason.SERVICE_OFF, "D1"), by="ann", at=NOW)


# --- actions -----------------------------------------------------------------------------------


def test_recording_the_same_actions_twice_keeps_one_row_per_key(engine: Engine) -> None:
    """The last line of defence: whatever plans an action twice, the store keeps it once."""
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 7)])
    with new_uow(engine) as uow:
        planned = plan(uow.collections.snapshot(ACME, TUESDAY), default_uk(), TUESDAY)
        first_run = uow.cycle_runs.start(
            ACME, TUESDAY, policy_name="p", policy_version=1, service_on=True, by="t", at=NOW
        )
        second_run = uow.cycle_runs.start(
            ACME, TUESDAY, policy_name="p", policy_version=1, service_on=True, by="t", at=NOW
        )
        first = uow.actions.record(ACME, first_run, planned.actions, 1)
        second = uow.actions.record(ACME, second_run, planned.actions, 1)
        uow.commit()
    assert first.inserted == 2 and first.already_recorded == ()
    assert second.inserted == 0
    assert set(second.already_recorded) == {action.idempotency_key for action in planned.actions}
    with new_uow(engine) as uow:
        assert len(uow.actions.list_all(ACME)) == 2


def test_recording_partly_recorded_actions_inserts_and_counts_only_the_new_ones(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 7), invoice("INV-3", "D3", 7)])
    with new_uow(engine) as uow:
        actions = plan(uow.collections.snapshot(ACME, TUESDAY), default_uk(), TUESDAY).actions
        runs = [
            uow.cycle_runs.start(
                ACME, TUESDAY, policy_name="p", policy_version=1, service_on=True, by="t", at=NOW
            )
            for _ in range(2)
        ]
        uow.actions.record(ACME, runs[0], actions[:1], 1)
        again = uow.actions.record(ACME, runs[1], actions, 1)
        uow.commit()
    assert again.inserted == 2 and again.already_recorded == (actions[0].idempotency_key,)
    with new_uow(engine) as uow:
        stored = uow.actions.list_all(ACME)
    assert [(a.idempotency_key, a.documents, a.amounts, a.reason) for a in stored] == [
        (a.idempotency_key, a.documents, a.amounts, a.reason) for a in actions
    ]


@given(st.lists(st.text(max_size=12), max_size=6))
def test_documents_are_written_as_the_json_module_writes_them(numbers: list[str]) -> None:
    assert documents_json(tuple(numbers)) == json.dumps(tuple(numbers))


def test_outbox_takes_planned_and_approved_actions_once_and_reports_back(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 30)])
    cycle(engine, TUESDAY)
    with new_uow(engine) as uow:
        ready = uow.actions.ready_for_delivery(ACME)
        assert [(a.debtor, a.channel) for a in ready] == [
            ("D1", Channel.EMAIL)
        ]  # the call goes to the worklist
        assert uow.actions.mark_handed_over(ACME, [ready[0].idempotency_key], NOW) == 1
        assert uow.actions.mark_handed_over(ACME, [ready[0].idempotency_key], NOW) == 0
        uow.commit()
    with new_uow(engine) as uow:
        assert uow.actions.ready_for_delivery(ACME) == []
        sent = uow.actions.mark_sent(ACME, ready[0].idempotency_key, NOW + timedelta(minutes=1))
        assert sent.status is ActionState.SENT and sent.sent_at == NOW + timedelta(minutes=1)
        with pytest.raises(ActionStateError, match="sent and cannot be marked failed"):
            uow.actions.mark_failed(ACME, ready[0].idempotency_key, NOW, "bounced")
        uow.commit()


def test_a_failed_delivery_is_a_follow_up_for_the_worklist(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    cycle(engine, TUESDAY)
    with new_uow(engine) as uow:
        (action,) = uow.actions.ready_for_delivery(ACME)
        failed = uow.actions.mark_failed(ACME, action.idempotency_key, NOW, "mailbox unknown")
        assert (failed.status, failed.failure) == (ActionState.FAILED, "mailbox unknown")
        assert [task.id for task in uow.actions.open_tasks(ACME)] == [action.id]
        uow.actions.mark_worked(ACME, action.id, by="bob", note="new address", at=NOW)
        assert uow.actions.open_tasks(ACME) == []
        assert uow.actions.worked_between(ACME, NOW - timedelta(days=1), NOW + timedelta(days=1)) == 1


def test_another_creditors_actions_are_never_found(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    add_ledger(engine, [invoice("INV-1", "D1", 7, creditor_code="BETA")], creditor_code="BETA")
    cycle(engine, TUESDAY)
    with new_uow(engine) as uow:
        (action,) = uow.actions.list_all(ACME)
        assert uow.actions.list_all("BETA") == [] and uow.actions.ready_for_delivery("BETA") == []
        with pytest.raises(NotFoundError):
            uow.actions.get("BETA", action.id)
        with pytest.raises(NotFoundError):
            uow.actions.mark_sent("BETA", action.idempotency_key, NOW)


def test_history_keeps_what_the_planner_reads_and_leaves_old_episodes(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 65, "2000.00"), invoice("INV-2", "D1", 65, "2000.00")])
    cycle(engine, TUESDAY)  # formal demand, episode 'first'
    pay(engine, "D1", "INV-1", "2000.00", TUESDAY + timedelta(days=1))
    cycles(engine, TUESDAY + timedelta(days=1), 10)  # the restart: phone call in the new episode
    later = TUESDAY + timedelta(days=30)
    with new_uow(engine) as uow:
        everything = [action.as_past() for action in uow.actions.list_all(ACME)]
        read = uow.actions.history(ACME, later)
    assert [past.step for past in everything] == ["formal demand", "phone call"]
    # the formal demand is an older episode and not the latest action day: not read
    assert [past.step for past in read] == ["phone call"]
    with new_uow(engine) as uow:
        snapshot = uow.collections.snapshot(ACME, later)
    full = plan(snapshot, default_uk(), later, history=everything)
    filtered = plan(snapshot, default_uk(), later, history=read)
    assert full == filtered


def test_history_reads_the_latest_action_of_an_old_episode(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 65, "2000.00"), invoice("INV-2", "D1", 65, "2000.00")])
    cycle(engine, TUESDAY)
    pay(engine, "D1", "INV-1", "2000.00", TUESDAY + timedelta(days=1))
    with new_uow(engine) as uow:
        read = uow.actions.history(ACME, TUESDAY + timedelta(days=3))
    # needed to know the debtor paid since its last step
    assert [(past.step, past.status) for past in read] == [("formal demand", ActionStatus.PLANNED)]


def test_decisions_change_status_and_count_from_the_decision_day(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 104)])
    # the final notice first, then the letter before action 14 days later, for approval
    cycle(engine, TUESDAY - timedelta(days=14))
    report = cycle(engine, TUESDAY)
    (waiting,) = report.awaiting_approval
    with new_uow(engine) as uow:
        stored = uow.actions.get_by_key(ACME, waiting.idempotency_key)
        assert stored.status is ActionState.AWAITING_APPROVAL
        decided = uow.actions.decide(
            ACME, stored.id, approve=True, by="sme", note="go", on=TUESDAY + timedelta(days=2), at=NOW
        )
        assert (decided.status, decided.effective_on, decided.decision_note) == (
            ActionState.APPROVED,
            TUESDAY + timedelta(days=2),
            "go",
        )
        with pytest.raises(ActionStateError, match="only an action awaiting approval"):
            uow.actions.decide(ACME, stored.id, approve=False, by="sme", note="no", on=TUESDAY, at=NOW)
        assert stored.id in [a.id for a in uow.actions.ready_for_delivery(ACME)]


# --- skips -------------------------------------------------------------------------------------


def test_skips_fold_into_one_row_per_debtor_step_and_kind(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", 7)])
    skip = Skip(
        SkipKind.HELD, "D1", "first overdue reminder", ("INV-1",), "held: dispute", (HoldReason.DISPUTE,)
    )
    with new_uow(engine) as uow:
        run = uow.cycle_runs.start(
            ACME, TUESDAY, policy_name="p", policy_version=1, service_on=True, by="t", at=NOW
        )
        uow.cycle_runs.record_skips(ACME, run, TUESDAY, [skip])
        uow.cycle_runs.record_skips(ACME, run, TUESDAY, [skip])  # the same day again: not another day
        later = replace(skip, reason="held: dispute (still)")
        uow.cycle_runs.record_skips(ACME, run, TUESDAY + timedelta(days=2), [later])
        uow.cycle_runs.record_skips(ACME, run, TUESDAY, [Skip(SkipKind.CONTACT_CAP, "D1", "x", (), "cap")])
        uow.commit()
    with new_uow(engine) as uow:
        held, capped = uow.cycle_runs.skips(ACME, debtor="D1")
    assert (held.kind, held.first_on, held.last_on, held.days, held.reason) == (
        SkipKind.HELD,
        TUESDAY,
        TUESDAY + timedelta(days=2),
        2,
        "held: dispute (still)",
    )
    assert held.holds == (HoldReason.DISPUTE,) and held.documents == ("INV-1",)
    assert (capped.kind, capped.days) == (SkipKind.CONTACT_CAP, 1)


# --- the planner's snapshot ---------------------------------------------------------------------


def test_snapshot_reads_the_open_documents_as_the_planner_sees_the_validated_ones(engine: Engine) -> None:
    issued, due = TUESDAY - timedelta(days=40), TUESDAY - timedelta(days=10)
    add_ledger(
        engine,
        [
            invoice("INV-1", "D1", 7),
            invoice("INV-2", "D1", 40, "12.34"),
            invoice("INV-3", "D2", -3, "99999.99"),
            document(ACME, "D2", "CN-1", issued, due, "50.00", "20.00", kind=DocumentKind.CREDIT_NOTE),
            document(ACME, "D2", "INV-4", issued, due, "7000", currency="JPY"),
            document(ACME, "D1", "INV-5", issued, due, "80.00", "0", status=DocumentStatus.PAID),
        ],
    )
    pay(engine, "D1", "INV-2", "2.34", TUESDAY - timedelta(days=2))
    with new_uow(engine) as uow:
        snapshot = uow.collections.snapshot(ACME, TUESDAY)
        expected = uow.documents.list_open(ACME)
        one = uow.collections.snapshot(ACME, TUESDAY, debtor="D1")
    validated = LedgerSnapshot(snapshot.creditor, snapshot.debtors, tuple(expected)).open_by_debtor()
    read = snapshot.open_by_debtor()
    for kind in ("invoices", "credit_notes"):  # list_open has an order of its own
        assert {code: sorted(items) for code, items in getattr(read, kind).items()} == {
            code: sorted(items) for code, items in getattr(validated, kind).items()
        }
    assert snapshot.documents == ()
    assert read.invoices["D1"] == [
        ("INV-1", TUESDAY - timedelta(days=7), "GBP", 100000),
        ("INV-2", TUESDAY - timedelta(days=40), "GBP", 1000),  # part-paid: what is still open
    ]
    assert read.invoices["D2"][1] == ("INV-4", due, "JPY", 7000)
    assert read.credit_notes == {"D2": [("CN-1", due, "GBP", 2000)]}
    assert snapshot.last_payments == {"D1": TUESDAY - timedelta(days=2)}
    assert [d.account_code for d in snapshot.debtors] == ["D1", "D2"]
    assert set(one.open_by_debtor().invoices) == {"D1"} and one.open_by_debtor().credit_notes == {}
    assert [d.account_code for d in one.debtors] == ["D1"]


def test_snapshot_leaves_out_documents_issued_after_the_day(engine: Engine) -> None:
    add_ledger(engine, [invoice("INV-1", "D1", -20)])  # issued 10 days before TUESDAY
    with new_uow(engine) as uow:
        early = uow.collections.snapshot(ACME, TUESDAY - timedelta(days=15))
        now = uow.collections.snapshot(ACME, TUESDAY)
    assert early.open_by_debtor().invoices == {} and len(now.open_by_debtor().invoices["D1"]) == 1


def test_unknown_creditor_is_a_clear_error(uow: SqlUnitOfWork) -> None:
    with uow, pytest.raises(NotFoundError, match="no creditor 'NOPE'"):
        uow.collections.snapshot("NOPE", TUESDAY)


def test_snapshot_debtors_equal_the_stored_debtors_without_contacts(engine: Engine) -> None:
    add_ledger(
        engine,
        [invoice("INV-1", "D1", 7), invoice("INV-2", "D2", 7)],
        flags={"D2": frozenset({DebtorFlag.KEY_ACCOUNT, DebtorFlag.INDIVIDUAL})},
    )
    with new_uow(engine) as uow:
        d1 = uow.debtors.get(ACME, "D1")
        uow.debtors.update(ACME, replace(d1, credit_limit=Money.of("2500.00", "GBP"), payment_terms_days=14))
        uow.commit()
    with new_uow(engine) as uow:
        stored = uow.debtors.list_all(ACME)
        snapshot = uow.collections.snapshot(ACME, TUESDAY)
    assert list(snapshot.debtors) == [replace(debtor, contacts=()) for debtor in stored]
