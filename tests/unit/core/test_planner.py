"""The planner: which step each debtor gets today, and why not when it gets none.

Most tests run the shipped default UK ladder (`arrears.policies.default_uk`): friendly reminder
7 days before due, due today, 7 and 14 days overdue, a call at 30, formal demand at 60, final
notice at 90, then with approval a letter before action (104) and a referral (118).
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from arrears.core.actions import Action, ActionStatus, PastAction, SkipKind, idempotency_key
from arrears.core.calendar import Calendar
from arrears.core.holds import Hold, HoldReason, ServiceWindow, promise_to_pay
from arrears.core.ledger import Creditor, Debtor, DebtorFlag, Document, DocumentKind
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, SnapshotError, plan
from arrears.core.policy import Channel, Policy, Step
from arrears.policies import default_uk

CREDITOR = Creditor("acme", "Acme Supplies Ltd")
TUESDAY = date(2026, 3, 10)
POLICY = default_uk()
NO_CAP = Calendar(max_contacts_per_7_days=None)


def invoice(
    number: str,
    days_past_due: int,
    amount: str = "1000.00",
    *,
    debtor: str = "D1",
    as_of: date = TUESDAY,
    kind: DocumentKind = DocumentKind.INVOICE,
) -> Document:
    due = as_of - timedelta(days=days_past_due)
    total = Money.of(amount, "GBP")
    return Document(CREDITOR.code, debtor, kind, number, due - timedelta(days=30), due, total, total)


def debtor(code: str = "D1", *flags: DebtorFlag) -> Debtor:
    return Debtor(CREDITOR.code, code, f"Customer {code}", flags=frozenset(flags))


def snapshot(
    *documents: Document, debtors: Iterable[Debtor] = (), last_payments: dict[str, date] | None = None
) -> LedgerSnapshot:
    given = {d.account_code: d for d in debtors}
    for document in documents:
        given.setdefault(document.debtor, debtor(document.debtor))
    return LedgerSnapshot(CREDITOR, tuple(given.values()), documents, last_payments or {})


def past(step: str, on: date, *documents: str, status: ActionStatus = ActionStatus.SENT) -> PastAction:
    return PastAction("D1", step, tuple(documents), on, status)


def replay(
    ledger: LedgerSnapshot,
    start: date,
    days: int,
    *,
    policy: Policy = POLICY,
    history: Iterable[PastAction] = (),
    approve_after_days: int | None = None,
    **options: object,
) -> list[Action]:
    """Run the planner every day from `start`, feeding each day's actions back as history;
    actions awaiting approval are approved (marked sent) after `approve_after_days`."""
    recorded = list(history)
    planned: list[Action] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if approve_after_days is not None:
            recorded = [
                replace(entry, status=ActionStatus.SENT)
                if entry.status is ActionStatus.AWAITING_APPROVAL
                and (day - entry.on).days >= approve_after_days
                else entry
                for entry in recorded
            ]
        result = plan(ledger, policy, day, history=recorded, **options)  # type: ignore[arg-type]
        planned.extend(result.actions)
        recorded.extend(result.as_history())
    return planned


def steps(actions: Iterable[Action]) -> list[str]:
    return [action.step for action in actions]


# --- catch-up ----------------------------------------------------------------------------


def test_catch_up_gives_only_the_step_that_fits_45_days() -> None:
    result = plan(snapshot(invoice("INV-104", 45)), POLICY, TUESDAY)

    (action,) = result.actions
    assert (action.step, action.channel, action.status) == ("phone call", Channel.CALL, ActionStatus.PLANNED)
    assert action.documents == ("INV-104",)
    assert "catching up" in action.reason


def test_invoice_not_yet_within_reach_of_the_first_step_gets_nothing() -> None:
    result = plan(snapshot(invoice("INV-1", -10)), POLICY, TUESDAY)

    assert result.actions == () and result.skips == ()


def test_friendly_reminder_goes_a_week_before_the_due_date() -> None:
    (action,) = plan(snapshot(invoice("INV-1", -7)), POLICY, TUESDAY).actions

    assert action.step == "friendly reminder"
    assert action.reason.startswith("invoice INV-1 is due in 7 days; step 'friendly reminder' applies")


def test_ladder_runs_in_order_each_step_once() -> None:
    ledger = snapshot(invoice("INV-1", -7))

    actions = replay(ledger, TUESDAY, 140, calendar=NO_CAP, approve_after_days=2)

    assert steps(actions) == [
        "friendly reminder",
        "due today",
        "first overdue reminder",
        "second overdue reminder",
        "phone call",
        "formal demand",
        "final notice",
        "letter before action",
        "referral",
    ]
    assert [a.status for a in actions][-2:] == [ActionStatus.AWAITING_APPROVAL] * 2


def test_legal_steps_are_never_reached_by_catch_up() -> None:
    ledger = snapshot(invoice("INV-1", 400))

    actions = replay(ledger, TUESDAY, 20)

    assert steps(actions) == ["final notice", "letter before action"]
    assert actions[1].planned_on - actions[0].planned_on == timedelta(days=14)
    assert actions[1].needs_approval


def test_a_step_keeps_its_distance_from_the_previous_one() -> None:
    # The call was late (at 58 days); the formal demand waits 7 days after it, not until day 60.
    ledger = snapshot(invoice("INV-1", 59))
    history = [past("phone call", TUESDAY - timedelta(days=1), "INV-1")]

    actions = replay(ledger, TUESDAY, 10, history=history)

    assert steps(actions) == ["formal demand"]
    assert actions[0].planned_on == TUESDAY + timedelta(days=6)


# --- one step a day, grouping ----------------------------------------------------------------


def test_invoices_at_the_same_step_share_one_action() -> None:
    (action,) = plan(snapshot(invoice("INV-2", 10), invoice("INV-1", 8)), POLICY, TUESDAY).actions

    assert action.step == "first overdue reminder"
    assert action.documents == ("INV-1", "INV-2")
    assert action.amounts == (Money.of("2000.00", "GBP"),)


def test_debtor_gets_only_its_most_advanced_step_in_a_day() -> None:
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 8))

    first = plan(ledger, POLICY, TUESDAY)
    assert steps(first.actions) == ["phone call"]
    assert first.actions[0].documents == ("INV-1",)

    ledger_next_day = snapshot(invoice("INV-1", 46), invoice("INV-2", 9))
    (second,) = plan(ledger_next_day, POLICY, TUESDAY + timedelta(days=1), history=first.as_history()).actions
    assert (second.step, second.documents) == ("first overdue reminder", ("INV-2",))


def test_per_document_step_makes_one_action_per_invoice() -> None:
    result = plan(snapshot(invoice("INV-1", -5), invoice("INV-2", -7)), POLICY, TUESDAY, calendar=NO_CAP)

    assert [(a.step, a.documents) for a in result.actions] == [  # the nearest due first
        ("friendly reminder", ("INV-1",)),
        ("friendly reminder", ("INV-2",)),
    ]
    assert len({a.idempotency_key for a in result.actions}) == 2


def test_debtor_who_had_an_action_today_gets_nothing_more_today() -> None:
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 8))
    history = [past("phone call", TUESDAY, "INV-1")]

    assert plan(ledger, POLICY, TUESDAY, history=history).actions == ()


# --- restart after a payment ------------------------------------------------------------------


def test_payment_pauses_the_ladder_then_restarts_it_at_the_step_that_fits() -> None:
    first_call = TUESDAY - timedelta(days=9)
    history = [past("phone call", first_call, "INV-1")]
    ledger = snapshot(invoice("INV-1", 45), last_payments={"D1": date(2026, 3, 5)})

    paused = plan(ledger, POLICY, TUESDAY, history=history)
    assert paused.actions == ()
    (skip,) = paused.skips
    assert skip.kind is SkipKind.PAUSED_AFTER_PAYMENT
    assert "the ladder restarts on 2026-03-12" in skip.reason

    restarted_on = date(2026, 3, 12)
    ledger = snapshot(invoice("INV-1", 47), last_payments={"D1": date(2026, 3, 5)})
    (action,) = plan(ledger, POLICY, restarted_on, history=history).actions
    assert action.step == "phone call"
    assert "the ladder restarted after the payment on 2026-03-05" in action.reason
    assert action.episode == "paid-2026-03-05"
    first_key = idempotency_key(CREDITOR.code, "D1", "phone call", "first", ("INV-1",))
    assert action.idempotency_key != first_key


def test_after_a_payment_the_ladder_restarts_below_the_steps_kept_for_non_payers() -> None:
    # Formal demand at 60 days, then a part payment: the ladder restarts at the call, and the
    # formal demand comes back a week after it.
    history = [
        past("phone call", TUESDAY - timedelta(days=45), "INV-1"),
        past("formal demand", TUESDAY - timedelta(days=15), "INV-1"),
    ]
    ledger = snapshot(invoice("INV-1", 75, "600.00"), last_payments={"D1": TUESDAY - timedelta(days=9)})

    actions = replay(ledger, TUESDAY, 8, history=history)

    assert [(a.step, a.planned_on) for a in actions] == [
        ("phone call", TUESDAY),
        ("formal demand", TUESDAY + timedelta(days=7)),
    ]


def test_history_before_the_last_payment_belongs_to_an_earlier_episode() -> None:
    history = [past("first overdue reminder", TUESDAY - timedelta(days=20), "INV-1")]
    ledger = snapshot(invoice("INV-1", 10), last_payments={"D1": TUESDAY - timedelta(days=8)})

    (action,) = plan(ledger, POLICY, TUESDAY, history=history).actions

    assert action.step == "first overdue reminder"  # the same step again, in the new episode


# --- turning the service off and on ------------------------------------------------------------


def test_nothing_is_planned_while_the_service_is_off() -> None:
    windows = [ServiceWindow(date(2026, 1, 1), date(2026, 2, 28))]

    result = plan(snapshot(invoice("INV-1", 45)), POLICY, TUESDAY, service_windows=windows)

    assert result.actions == ()
    (skip,) = result.skips
    assert (skip.kind, skip.debtor, skip.holds) == (SkipKind.HELD, None, (HoldReason.SERVICE_OFF,))
    assert "the service is off since 2026-03-01" in skip.reason


def test_turning_the_service_off_and_on_again_resumes_without_a_flood() -> None:
    on_again = date(2026, 4, 1)
    windows = [ServiceWindow(date(2026, 1, 5), date(2026, 2, 1)), ServiceWindow(on_again)]
    ledger = snapshot(
        invoice("INV-1", 0, as_of=date(2026, 1, 20)),
        invoice("INV-2", 0, as_of=date(2026, 3, 1), debtor="D2"),
    )

    actions = replay(ledger, date(2026, 1, 5), 100, service_windows=windows)

    assert not [a for a in actions if date(2026, 2, 1) < a.planned_on < on_again]
    resumed = [(a.debtor, a.step) for a in actions if a.planned_on == on_again]
    assert resumed == [("D1", "formal demand"), ("D2", "phone call")]
    d1 = steps(a for a in actions if a.debtor == "D1")
    assert "second overdue reminder" not in d1 and "phone call" not in d1


# --- contact cap ---------------------------------------------------------------------------


def test_contact_cap_defers_a_third_contact_in_seven_days_across_channels() -> None:
    history = [
        past("phone call", TUESDAY - timedelta(days=6), "INV-9"),
        past("first overdue reminder", TUESDAY - timedelta(days=4), "INV-8"),
    ]
    ledger = snapshot(invoice("INV-1", 14))

    capped = plan(ledger, POLICY, TUESDAY, history=history)
    assert capped.actions == ()
    (skip,) = capped.skips
    assert skip.kind is SkipKind.CONTACT_CAP
    assert "contact cap of 2 in 7 days reached (2026-03-04, 2026-03-06)" in skip.reason

    next_day = snapshot(invoice("INV-1", 15))
    assert steps(plan(next_day, POLICY, TUESDAY + timedelta(days=1), history=history).actions) == [
        "second overdue reminder"
    ]


def test_contact_cap_is_set_by_the_calendar() -> None:
    history = [past("phone call", TUESDAY - timedelta(days=3), "INV-9")]
    ledger = snapshot(invoice("INV-1", 14))

    assert (
        plan(ledger, POLICY, TUESDAY, history=history, calendar=Calendar(max_contacts_per_7_days=1)).actions
        == ()
    )
    assert plan(ledger, POLICY, TUESDAY, history=history, calendar=NO_CAP).actions != ()


def test_actions_awaiting_approval_are_not_capped() -> None:
    history = [
        past("final notice", TUESDAY - timedelta(days=14), "INV-1"),
        past("phone call", TUESDAY - timedelta(days=2), "INV-9"),
        past("phone call", TUESDAY - timedelta(days=1), "INV-8"),
    ]

    (action,) = plan(snapshot(invoice("INV-1", 104)), POLICY, TUESDAY, history=history).actions

    assert (action.step, action.status) == ("letter before action", ActionStatus.AWAITING_APPROVAL)


# --- approval -------------------------------------------------------------------------------


def test_legal_step_awaits_the_creditors_approval() -> None:
    history = [past("final notice", TUESDAY - timedelta(days=14), "INV-1")]

    result = plan(snapshot(invoice("INV-1", 104)), POLICY, TUESDAY, history=history)

    assert result.awaiting_approval == result.actions
    assert result.contacts == ()
    assert result.actions[0].reason.endswith("no hold; needs the creditor's approval")


def test_any_step_can_be_marked_as_needing_approval() -> None:
    policy = Policy("strict", 1, (Step("call", 30, Channel.CALL, "call", needs_approval=True),))

    (action,) = plan(snapshot(invoice("INV-1", 31)), policy, TUESDAY).actions

    assert action.status is ActionStatus.AWAITING_APPROVAL


def test_an_action_awaiting_approval_holds_its_invoices() -> None:
    history = [
        past("final notice", TUESDAY - timedelta(days=34), "INV-1"),
        past(
            "letter before action",
            TUESDAY - timedelta(days=20),
            "INV-1",
            status=ActionStatus.AWAITING_APPROVAL,
        ),
    ]

    result = plan(snapshot(invoice("INV-1", 124)), POLICY, TUESDAY, history=history)

    assert result.actions == ()
    (skip,) = result.skips
    assert (skip.step, skip.holds) == ("referral", (HoldReason.AWAITING_APPROVAL,))
    assert "awaiting approval (step 'letter before action' planned on 2026-02-18)" in skip.reason


def test_referral_waits_14_days_after_the_approved_letter_before_action() -> None:
    sent = TUESDAY - timedelta(days=8)
    history = [
        past("final notice", sent - timedelta(days=14), "INV-1"),
        past("letter before action", sent, "INV-1"),
    ]
    ledger = snapshot(invoice("INV-1", 130))

    actions = replay(ledger, TUESDAY, 10, history=history)

    assert [(a.step, a.planned_on) for a in actions] == [("referral", sent + timedelta(days=14))]


# --- idempotency ----------------------------------------------------------------------------


def test_the_same_inputs_give_the_same_plan_and_keys() -> None:
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 20, debtor="D2"))

    assert plan(ledger, POLICY, TUESDAY) == plan(ledger, POLICY, TUESDAY)


def test_repeating_a_recorded_cycle_plans_nothing_new() -> None:
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 20, debtor="D2"))
    first = plan(ledger, POLICY, TUESDAY)

    again = plan(ledger, POLICY, TUESDAY, history=first.as_history())

    assert len(first.actions) == 2 and again.actions == ()


def test_idempotency_key_names_debtor_step_documents_and_episode() -> None:
    key = idempotency_key("acme", "D1", "phone call", "first", ("INV-1", "INV-2"))

    assert key == idempotency_key("acme", "D1", "phone call", "first", ("INV-2", "INV-1"))
    assert len(key) == 32
    others = [
        idempotency_key("other", "D1", "phone call", "first", ("INV-1", "INV-2")),
        idempotency_key("acme", "D2", "phone call", "first", ("INV-1", "INV-2")),
        idempotency_key("acme", "D1", "formal demand", "first", ("INV-1", "INV-2")),
        idempotency_key("acme", "D1", "phone call", "paid-2026-03-01", ("INV-1", "INV-2")),
        idempotency_key("acme", "D1", "phone call", "first", ("INV-1",)),
    ]
    assert key not in others and len(set(others)) == len(others)


# --- business days --------------------------------------------------------------------------


def test_a_step_due_on_a_weekend_goes_out_on_monday() -> None:
    saturday = date(2026, 3, 14)
    ledger = snapshot(invoice("INV-1", 7, as_of=saturday))

    weekend = plan(ledger, POLICY, saturday)
    assert weekend.actions == ()
    (skip,) = weekend.skips
    assert skip.kind is SkipKind.NOT_A_BUSINESS_DAY
    assert "Saturday 2026-03-14 is not a business day; next business day 2026-03-16" in skip.reason

    actions = replay(ledger, saturday, 3)
    assert [(a.step, a.planned_on) for a in actions] == [("first overdue reminder", date(2026, 3, 16))]


def test_a_step_due_on_a_bank_holiday_waits_for_the_next_business_day() -> None:
    good_friday = date(2026, 4, 3)
    ledger = snapshot(invoice("INV-1", 30, as_of=good_friday))

    (skip,) = plan(ledger, POLICY, good_friday).skips
    assert "public holiday (Good Friday); next business day 2026-04-07" in skip.reason
    assert [a.planned_on for a in replay(ledger, good_friday, 5)] == [date(2026, 4, 7)]


# --- holds ----------------------------------------------------------------------------------


def test_disputed_invoice_is_skipped_with_its_reason_and_the_others_are_chased() -> None:
    dispute = Hold(
        HoldReason.DISPUTE, "D1", frozenset({"INV-1"}), starts_on=date(2026, 3, 1), note="goods damaged"
    )
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 40))

    result = plan(ledger, POLICY, TUESDAY, holds=[dispute])

    assert [(a.step, a.documents) for a in result.actions] == [("phone call", ("INV-2",))]
    (skip,) = result.skips
    assert (skip.kind, skip.documents, skip.holds) == (SkipKind.HELD, ("INV-1",), (HoldReason.DISPUTE,))
    assert skip.reason == (
        "invoice INV-1 is 45 days past due; step 'phone call' would apply; "
        "held: dispute since 2026-03-01 (goods damaged)"
    )


def test_promise_to_pay_holds_until_the_promised_date_plus_grace() -> None:
    promise = promise_to_pay("D1", date(2026, 3, 12), grace_days=3)
    ledger = snapshot(invoice("INV-1", 20))

    assert promise.ends_on == date(2026, 3, 15)
    held = plan(ledger, POLICY, TUESDAY, holds=[promise])
    assert held.actions == () and held.skips[0].holds == (HoldReason.PROMISE_TO_PAY,)


def test_promise_broken_after_grace_resumes_ladder() -> None:
    promise = promise_to_pay("D1", date(2026, 3, 12), documents=["INV-1"], grace_days=3)
    ledger = snapshot(invoice("INV-1", 20))

    actions = replay(ledger, TUESDAY, 7, holds=[promise])

    assert [(a.step, a.planned_on) for a in actions] == [("second overdue reminder", date(2026, 3, 16))]


def test_payment_plan_holds_the_debtor() -> None:
    instalments = Hold(HoldReason.PAYMENT_PLAN, "D1", ends_on=date(2026, 6, 30))

    result = plan(snapshot(invoice("INV-1", 45)), POLICY, TUESDAY, holds=[instalments])

    assert result.actions == ()
    assert result.skips[0].reason.endswith("held: payment plan until 2026-06-30")


@pytest.mark.parametrize(
    ("flag", "reason"),
    [(DebtorFlag.DO_NOT_CONTACT, HoldReason.DO_NOT_CONTACT), (DebtorFlag.INSOLVENT, HoldReason.INSOLVENCY)],
)
def test_flagged_debtor_is_never_contacted(flag: DebtorFlag, reason: HoldReason) -> None:
    ledger = snapshot(invoice("INV-1", 45), debtors=[debtor("D1", flag)])

    result = plan(ledger, POLICY, TUESDAY)

    assert result.actions == ()
    assert result.skips[0].holds == (reason,)


def test_customer_excluded_by_the_creditor_is_skipped_and_the_others_are_chased() -> None:
    excluded = Hold(HoldReason.DO_NOT_CONTACT, "D2", note="part-ledger service: handled in house")
    ledger = snapshot(invoice("INV-1", 45), invoice("INV-2", 45, debtor="D2"))

    result = plan(ledger, POLICY, TUESDAY, holds=[excluded])

    assert [a.debtor for a in result.actions] == ["D1"]
    assert [(s.debtor, s.holds) for s in result.skips] == [("D2", (HoldReason.DO_NOT_CONTACT,))]


def test_a_hold_that_has_ended_no_longer_holds() -> None:
    ended = Hold(HoldReason.DISPUTE, "D1", ends_on=TUESDAY - timedelta(days=1))

    assert steps(plan(snapshot(invoice("INV-1", 45)), POLICY, TUESDAY, holds=[ended]).actions) == [
        "phone call"
    ]


# --- conditions and segments -----------------------------------------------------------------


def test_a_step_whose_minimum_is_not_reached_is_passed_over() -> None:
    (action,) = plan(snapshot(invoice("INV-1", 45, "200.00")), POLICY, TUESDAY).actions

    assert action.step == "second overdue reminder"  # the call needs 250.00 overdue


def test_per_document_minimum_compares_each_invoice() -> None:
    policy = Policy(
        "big ones by phone",
        1,
        (
            Step("email", 7, Channel.EMAIL, "overdue"),
            Step("call", 30, Channel.CALL, "call", group=False, min_overdue=Money.of("500", "GBP")),
        ),
    )
    ledger = snapshot(invoice("INV-1", 40, "400.00"), invoice("INV-2", 40, "600.00"))

    (action,) = plan(ledger, policy, TUESDAY).actions

    assert (action.step, action.documents) == ("call", ("INV-2",))


def test_small_balance_gets_email_only() -> None:
    (action,) = plan(snapshot(invoice("INV-1", 75, "60.00")), POLICY, TUESDAY).actions

    assert (action.step, action.channel) == ("second overdue reminder", Channel.EMAIL)
    assert "segment small balance" in action.reason


def test_key_account_gets_a_call_before_the_formal_demand_letter() -> None:
    key_account = [debtor("D1", DebtorFlag.KEY_ACCOUNT)]

    (late,) = plan(snapshot(invoice("INV-1", 55), debtors=key_account), POLICY, TUESDAY).actions
    (early,) = plan(snapshot(invoice("INV-1", 15), debtors=key_account), POLICY, TUESDAY).actions

    assert (late.step, late.channel) == ("key account call", Channel.CALL)
    assert (early.step, early.channel, early.template) == (
        "second overdue reminder",
        Channel.CALL,
        "key_account_call",
    )


def test_individual_gets_the_debt_protocol_letter_of_claim_and_30_days_to_answer() -> None:
    individual = [debtor("D1", DebtorFlag.INDIVIDUAL)]
    history = [past("final notice", TUESDAY - timedelta(days=14), "INV-1")]
    ledger = snapshot(invoice("INV-1", 104), debtors=individual)

    actions = replay(ledger, TUESDAY, 40, history=history, approve_after_days=1)

    assert [(a.step, a.template, (a.planned_on - TUESDAY).days) for a in actions] == [
        ("letter before action", "letter_of_claim_debt_protocol", 0),
        ("referral", "referral_notice", 30),
    ]


def test_invoices_covered_by_unapplied_credit_notes_are_not_chased() -> None:
    note = invoice("CN-1", 10, "600.00", kind=DocumentKind.CREDIT_NOTE)

    result = plan(snapshot(invoice("INV-1", 45, "500.00"), note), POLICY, TUESDAY)

    assert result.actions == ()
    (skip,) = result.skips
    assert skip.kind is SkipKind.COVERED_BY_CREDIT
    assert "the debtor is 100.00 GBP in credit" in skip.reason


def test_a_smaller_credit_note_does_not_stop_the_chase() -> None:
    note = invoice("CN-1", 10, "100.00", kind=DocumentKind.CREDIT_NOTE)

    assert steps(plan(snapshot(invoice("INV-1", 45, "500.00"), note), POLICY, TUESDAY).actions) == [
        "phone call"
    ]


# --- inputs --------------------------------------------------------------------------------


def test_reason_says_why_in_words() -> None:
    history = [past("second overdue reminder", TUESDAY - timedelta(days=17), "INV-104")]

    (action,) = plan(snapshot(invoice("INV-104", 31)), POLICY, TUESDAY, history=history).actions

    assert action.reason == "invoice INV-104 is 31 days past due; step 'phone call' applies; no hold"


def test_history_after_the_as_of_date_is_ignored() -> None:
    later = [past("phone call", TUESDAY + timedelta(days=1), "INV-1")]

    assert steps(plan(snapshot(invoice("INV-1", 45)), POLICY, TUESDAY, history=later).actions) == [
        "phone call"
    ]


def test_paid_documents_are_not_chased() -> None:
    paid = invoice("INV-1", 45).with_open_amount(Money.zero("GBP"))

    assert plan(snapshot(paid), POLICY, TUESDAY).actions == ()


def test_document_of_a_debtor_missing_from_the_snapshot_is_refused() -> None:
    ledger = LedgerSnapshot(CREDITOR, (), (invoice("INV-1", 45),))

    with pytest.raises(
        SnapshotError, match="document INV-1 belongs to debtor 'D1', which is not in the snapshot"
    ):
        plan(ledger, POLICY, TUESDAY)


def test_document_of_another_creditor_is_refused() -> None:
    foreign = replace(invoice("INV-1", 45), creditor="other")

    with pytest.raises(SnapshotError, match="belongs to creditor 'other', not 'acme'"):
        plan(snapshot(foreign), POLICY, TUESDAY)
