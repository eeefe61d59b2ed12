"""Payment plans: schedules that add up, the creditor's rules, standing from the cash, holds."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules, DealRulesError, PlanRules
from arrears.core.holds import HoldReason
from arrears.core.instalments import Frequency, Instalment, PlanError, add_months, instalment_schedule
from arrears.core.ledger import Allocation, Creditor, Debtor, Document, DocumentKind, DocumentStatus
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, plan
from arrears.core.plans import (
    PaymentPlan,
    PlanState,
    approve_plan,
    decide_plan,
    instalment_reminder,
    interest_runs_on,
    plan_status,
    propose_plan,
)
from arrears.policies import default_uk

AGREED = date(2026, 3, 2)
FIRST = date(2026, 3, 9)


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def invoice(
    number: str, amount: str, *, debtor: str = "C001", kind: DocumentKind = DocumentKind.INVOICE
) -> Document:
    return Document(
        "acme", debtor, kind, number, date(2026, 1, 1), date(2026, 1, 31), gbp(amount), gbp(amount)
    )


def cash(amount: str, on: date, document: str = "INV-1") -> Allocation:
    return Allocation("acme", document, gbp(amount), on, payment=f"PAY-{on.isoformat()}")


def weekly_plan(
    total: str = "1000.00", count: int = 4, grace_days: int = 3, approved: bool = True
) -> PaymentPlan:
    return PaymentPlan(
        reference="PP-1",
        creditor="acme",
        debtor="C001",
        documents=("INV-1", "INV-2"),
        frequency=Frequency.WEEKLY,
        instalments=instalment_schedule(gbp(total), count, Frequency.WEEKLY, FIRST),
        agreed_on=AGREED,
        grace_days=grace_days,
        approved_by=APPROVED_BY_RULES if approved else None,
    )


# --- schedules ------------------------------------------------------------------------------


def test_equal_instalments_add_up_to_the_debt_with_the_remainder_on_the_last() -> None:
    schedule = instalment_schedule(gbp("100.00"), 3, Frequency.MONTHLY, date(2026, 1, 15))

    assert [i.amount for i in schedule] == [gbp("33.33"), gbp("33.33"), gbp("33.34")]
    assert [i.number for i in schedule] == [1, 2, 3]


def test_weekly_and_fortnightly_dates_step_by_seven_and_fourteen_days() -> None:
    weekly = instalment_schedule(gbp("30.00"), 3, Frequency.WEEKLY, FIRST)
    fortnightly = instalment_schedule(gbp("30.00"), 3, Frequency.FORTNIGHTLY, FIRST)

    assert [i.due_on for i in weekly] == [FIRST, date(2026, 3, 16), date(2026, 3, 23)]
    assert [i.due_on for i in fortnightly] == [FIRST, date(2026, 3, 23), date(2026, 4, 6)]


def test_monthly_instalments_keep_the_day_or_take_the_months_last_day() -> None:
    schedule = instalment_schedule(gbp("400.00"), 4, Frequency.MONTHLY, date(2026, 1, 31))

    assert [i.due_on for i in schedule] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)


def test_a_first_payment_is_taken_first_and_the_rest_split_equally() -> None:
    schedule = instalment_schedule(gbp("1000.00"), 4, Frequency.MONTHLY, FIRST, first_payment=gbp("250.01"))

    assert [i.amount for i in schedule] == [gbp("250.01"), gbp("249.99"), gbp("249.99"), gbp("250.01")]


@given(
    st.integers(min_value=1, max_value=10_000_000),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(Frequency),
    st.booleans(),
)
def test_any_schedule_adds_up_exactly_and_is_in_date_order(
    minor: int, count: int, frequency: Frequency, with_first: bool
) -> None:
    total = Money.from_minor_units(minor, "GBP")
    first = Money.from_minor_units(max(1, minor // 3), "GBP") if with_first and count > 1 else None
    try:
        schedule = instalment_schedule(total, count, frequency, FIRST, first_payment=first)
    except PlanError:
        assert minor < count or (first is not None and minor - first.to_minor_units() < count - 1)
        return
    assert Money.total((i.amount for i in schedule), "GBP") == total
    assert all(i.amount.is_positive for i in schedule)
    assert all(a.due_on < b.due_on for a, b in pairwise(schedule))
    equal = schedule[1:] if first is not None else schedule
    assert max(i.amount for i in equal) - min(i.amount for i in equal) < Money.from_minor_units(count, "GBP")


@pytest.mark.parametrize(
    ("total", "count", "first", "message"),
    [
        ("0.02", 3, None, "too little for 3 instalments"),
        ("100.00", 0, None, "at least one instalment"),
        ("100.00", 2, "100.00", "pays the whole debt; make it one instalment"),
        ("100.00", 1, "60.00", "does not pay the debt"),
        ("100.00", 2, "100.01", "more than the debt"),
    ],
)
def test_impossible_schedules_are_refused(total: str, count: int, first: str | None, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        instalment_schedule(
            gbp(total), count, Frequency.WEEKLY, FIRST, first_payment=gbp(first) if first else None
        )


def test_a_plan_refuses_instalments_out_of_order_or_before_it_was_agreed() -> None:
    good = weekly_plan()
    swapped = (good.instalments[1], good.instalments[0], *good.instalments[2:])
    with pytest.raises(PlanError, match=r"numbered 1, 2, \.\.\. in order"):
        replace(good, instalments=swapped)
    with pytest.raises(PlanError, match="due 2026-03-09, before the plan was agreed on 2026-03-10"):
        replace(good, agreed_on=date(2026, 3, 10))
    with pytest.raises(PlanError, match="not after the instalment before"):
        replace(good, instalments=(Instalment(1, FIRST, gbp("1.00")), Instalment(2, FIRST, gbp("1.00"))))


# --- the creditor's rules -------------------------------------------------------------------


def test_a_plan_inside_the_rules_is_accepted_at_once() -> None:
    proposal = propose_plan(
        "PP-1",
        [invoice("INV-1", "600.00"), invoice("INV-2", "400.00")],
        frequency=Frequency.MONTHLY,
        instalments=4,
        first_due_on=FIRST,
        agreed_on=AGREED,
        rules=DealRules(plans=PlanRules(max_instalments=6, min_instalment=gbp("100.00"))),
    )

    assert proposal.decision.accepted
    assert proposal.decision.describe() == "accepted: within the creditor's rules"
    assert proposal.plan.approved_by == APPROVED_BY_RULES
    assert proposal.plan.total == gbp("1000.00")
    assert proposal.plan.documents == ("INV-1", "INV-2")


def test_a_plan_outside_the_rules_needs_approval_and_says_which_rules_and_figures() -> None:
    rules = DealRules(
        plans=PlanRules(
            max_instalments=6,
            max_term_days=90,
            min_first_payment_percent=Decimal(20),
            min_instalment=gbp("150.00"),
        )
    )
    proposal = propose_plan(
        "PP-1",
        [invoice("INV-1", "1000.00")],
        frequency=Frequency.MONTHLY,
        instalments=8,
        first_due_on=FIRST,
        agreed_on=AGREED,
        rules=rules,
    )

    decision = proposal.decision
    assert decision.needs_approval
    assert proposal.plan.approved_by is None
    assert [(b.rule, b.limit, b.actual) for b in decision.breaches] == [
        ("max_instalments", "6", "8"),
        ("max_term_days", "90 days", "221 days"),
        ("min_first_payment_percent", "20%", "12.5%"),
        ("min_instalment", "150.00 GBP", "125.00 GBP"),
    ]
    assert decision.reasons[0] == "8 instalments is more than the 6 the creditor allows"
    assert decision.reasons[2] == (
        "the first payment of 125.00 GBP is 12.5% of 1,000.00 GBP, less than the 20% the creditor asks"
    )


def test_a_first_payment_of_exactly_the_minimum_share_is_inside_the_rules() -> None:
    rules = DealRules(plans=PlanRules(min_first_payment_percent=Decimal("25")))
    proposal = propose_plan(
        "PP-1",
        [invoice("INV-1", "1000.00")],
        frequency=Frequency.MONTHLY,
        instalments=4,
        first_due_on=FIRST,
        agreed_on=AGREED,
        rules=rules,
        first_payment=gbp("250.00"),
    )

    assert proposal.decision.accepted
    assert not decide_plan(
        replace(
            proposal.plan,
            instalments=instalment_schedule(
                gbp("1000.00"), 4, Frequency.MONTHLY, FIRST, first_payment=gbp("249.99")
            ),
        ),
        rules,
    ).accepted


def test_approval_names_who_approved() -> None:
    pending = replace(weekly_plan(), approved_by=None)

    assert approve_plan(pending, "Jo at Acme").approved_by == "Jo at Acme"
    with pytest.raises(PlanError, match="name who approves it"):
        approve_plan(pending, "")


def test_proposal_refuses_credit_notes_other_debtors_and_closed_documents() -> None:
    kwargs = {
        "frequency": Frequency.WEEKLY,
        "instalments": 2,
        "first_due_on": FIRST,
        "agreed_on": AGREED,
        "rules": DealRules(),
    }
    note = invoice("CN-1", "10.00", kind=DocumentKind.CREDIT_NOTE)
    paid = replace(invoice("INV-3", "10.00"), open_amount=gbp("0"), status=DocumentStatus.PAID)

    with pytest.raises(PlanError, match="CN-1: a credit note; apply it to the invoices"):
        propose_plan("PP-1", [invoice("INV-1", "10.00"), note], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="on account C002, the plan on C001; one plan, one debtor"):
        propose_plan("PP-1", [invoice("INV-1", "10.00"), invoice("INV-2", "10.00", debtor="C002")], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match=r"INV-3: nothing is open on it \(paid\)"):
        propose_plan("PP-1", [paid], **kwargs)  # type: ignore[arg-type]


def test_rules_refuse_impossible_limits() -> None:
    with pytest.raises(DealRulesError, match="max_instalments is 0"):
        PlanRules(max_instalments=0)
    with pytest.raises(
        DealRulesError, match="min_first_payment_percent: 120 per cent must be between 0 and 100"
    ):
        PlanRules(min_first_payment_percent=Decimal(120))
    with pytest.raises(DealRulesError, match="not a float"):
        PlanRules(min_first_payment_percent=0.5)  # type: ignore[arg-type]
    with pytest.raises(DealRulesError, match=r"plans\.min_instalment is in EUR, the rules in GBP"):
        DealRules(plans=PlanRules(min_instalment=Money.of(10, "EUR")))


# --- standing -------------------------------------------------------------------------------


def test_plan_in_good_standing_before_the_first_instalment() -> None:
    status = plan_status(weekly_plan(), [], date(2026, 3, 5))

    assert status.state is PlanState.GOOD_STANDING
    assert status.next_instalment is not None and status.next_instalment.number == 1
    assert status.next_instalment_outstanding == gbp("250.00")
    assert status.behind.is_zero
    assert status.hold is not None
    assert status.hold.reason is HoldReason.PAYMENT_PLAN
    assert status.hold.documents == frozenset({"INV-1", "INV-2"})
    assert (status.hold.starts_on, status.hold.ends_on) == (AGREED, date(2026, 3, 12))


def test_instalment_due_today_then_missed_in_grace_then_defaulted() -> None:
    plan_ = weekly_plan()

    assert plan_status(plan_, [], FIRST).state is PlanState.INSTALMENT_DUE
    missed = plan_status(plan_, [], date(2026, 3, 12))
    assert missed.state is PlanState.MISSED
    assert missed.behind == gbp("250.00")
    assert missed.holds_documents
    defaulted = plan_status(plan_, [], date(2026, 3, 13))
    assert defaulted.state is PlanState.DEFAULTED
    assert defaulted.defaulted_on == date(2026, 3, 13)
    assert defaulted.hold is None
    assert not defaulted.holds_documents


def test_paying_within_grace_keeps_the_plan() -> None:
    status = plan_status(weekly_plan(), [cash("250.00", date(2026, 3, 12))], date(2026, 3, 13))

    assert status.state is PlanState.GOOD_STANDING
    assert status.next_instalment is not None and status.next_instalment.number == 2


def test_a_short_payment_defaults_the_plan_after_grace_and_late_cash_does_not_revive_it() -> None:
    allocations = [cash("200.00", FIRST), cash("800.00", date(2026, 3, 20))]

    status = plan_status(weekly_plan(), allocations, date(2026, 4, 30))

    assert status.state is PlanState.DEFAULTED
    assert status.defaulted_on == date(2026, 3, 13)


def test_paying_ahead_covers_later_instalments() -> None:
    status = plan_status(weekly_plan(), [cash("600.00", FIRST, "INV-2")], date(2026, 3, 17))

    assert status.state is PlanState.GOOD_STANDING
    assert status.next_instalment is not None and status.next_instalment.number == 3
    assert status.next_instalment_outstanding == gbp("150.00")
    assert status.hold is not None and status.hold.ends_on == date(2026, 3, 26)


def test_plan_completed_when_its_total_is_paid() -> None:
    allocations = [cash("250.00", FIRST + timedelta(days=7 * n)) for n in range(4)]

    status = plan_status(weekly_plan(), allocations, date(2026, 6, 1))

    assert status.state is PlanState.COMPLETED
    assert status.completed_on == date(2026, 3, 30)
    assert status.hold is None
    assert status.describe() == "payment plan PP-1: completed on 2026-03-30"


def test_credit_notes_applied_to_plan_documents_count_toward_the_plan() -> None:
    credit = Allocation("acme", "INV-1", gbp("250.00"), FIRST, credit_note="CN-7")

    assert plan_status(weekly_plan(), [credit], date(2026, 3, 13)).state is PlanState.GOOD_STANDING


def test_cash_to_other_documents_or_before_the_plan_does_not_count() -> None:
    allocations = [cash("250.00", FIRST, "INV-9"), cash("250.00", AGREED - timedelta(days=1))]

    assert plan_status(weekly_plan(), allocations, date(2026, 3, 13)).state is PlanState.DEFAULTED


def test_grace_can_be_given_when_asking() -> None:
    assert plan_status(weekly_plan(), [], date(2026, 3, 13), grace_days=5).state is PlanState.MISSED


def test_describe_says_where_the_plan_stands() -> None:
    status = plan_status(weekly_plan(), [cash("100.00", FIRST)], date(2026, 3, 11))

    assert status.describe() == (
        "payment plan PP-1: missed; instalment 1 of 4 due 2026-03-09, 150.00 GBP to pay, 150.00 GBP behind"
    )


def test_a_plan_awaiting_approval_holds_its_documents_until_the_first_instalment() -> None:
    status = plan_status(weekly_plan(approved=False), [], date(2026, 3, 5))

    assert status.hold is not None
    assert status.hold.reason is HoldReason.AWAITING_APPROVAL
    assert status.hold.ends_on == FIRST


def test_defaulted_plan_resumes_the_ladder() -> None:
    creditor = Creditor("acme", "Acme")
    documents = (invoice("INV-1", "600.00"), invoice("INV-2", "400.00"))
    snapshot = LedgerSnapshot(creditor, (Debtor("acme", "C001", "Customer"),), documents)
    plan_ = weekly_plan()
    held = plan_status(plan_, [], date(2026, 3, 12))
    assert plan_status(plan_, [], date(2026, 3, 13)).state is PlanState.DEFAULTED

    assert held.hold is not None
    assert plan(snapshot, default_uk(), date(2026, 3, 12), holds=[held.hold]).actions == ()
    assert [a.step for a in plan(snapshot, default_uk(), date(2026, 3, 13), holds=[]).actions] == [
        "phone call"
    ]
    # Unattended, the hold expires by its own dates the day the plan defaults.
    assert [a.step for a in plan(snapshot, default_uk(), date(2026, 3, 13), holds=[held.hold]).actions] == [
        "phone call"
    ]


# --- reminders and interest -----------------------------------------------------------------


def test_reminder_goes_the_set_number_of_days_before_each_unpaid_instalment() -> None:
    plan_ = weekly_plan()  # reminders 3 days before

    assert instalment_reminder(plan_, [], date(2026, 3, 5)) is None
    reminder = instalment_reminder(plan_, [], date(2026, 3, 6))
    assert reminder is not None
    assert (reminder.instalment.number, reminder.amount_to_pay, reminder.key) == (
        1,
        gbp("250.00"),
        "plan-reminder:PP-1:1",
    )
    assert instalment_reminder(plan_, [], FIRST) is not None  # catch-up on the day, same key
    second = instalment_reminder(plan_, [cash("250.00", date(2026, 3, 8))], date(2026, 3, 13))
    assert second is not None and second.key == "plan-reminder:PP-1:2"
    assert instalment_reminder(plan_, [cash("500.00", date(2026, 3, 8))], date(2026, 3, 13)) is None


def test_no_reminder_for_a_missed_defaulted_or_unapproved_plan() -> None:
    assert instalment_reminder(weekly_plan(), [], date(2026, 3, 10)) is None
    assert instalment_reminder(weekly_plan(approved=False), [], date(2026, 3, 6)) is None


def test_interest_is_frozen_while_a_plan_is_kept_and_runs_again_once_it_defaults() -> None:
    document = invoice("INV-1", "600.00")
    plan_ = weekly_plan()

    assert interest_runs_on(document, date(2026, 3, 1), [plan_], [])  # before the plan
    assert not interest_runs_on(document, date(2026, 3, 5), [plan_], [])
    assert not interest_runs_on(document, date(2026, 3, 12), [plan_], [])  # missed, in grace
    assert interest_runs_on(document, date(2026, 3, 13), [plan_], [])  # defaulted
    assert interest_runs_on(document, date(2026, 3, 5), [replace(plan_, interest_frozen=False)], [])
    assert interest_runs_on(document, date(2026, 3, 5), [replace(plan_, approved_by=None)], [])


def test_interest_never_runs_before_the_due_date_or_on_other_documents() -> None:
    document = invoice("INV-1", "600.00")

    assert not interest_runs_on(document, document.due_date, [], [])
    assert interest_runs_on(replace(document, number="INV-9"), date(2026, 3, 5), [weekly_plan()], [])


def test_a_plan_takes_the_rules_freeze_grace_and_reminder_days() -> None:
    rules = DealRules(plans=PlanRules(interest_frozen=False, grace_days=5, reminder_days_before=7))
    proposal = propose_plan(
        "PP-1", [invoice("INV-1", "90.00")], frequency=Frequency.FORTNIGHTLY, instalments=3,
        first_due_on=FIRST, agreed_on=AGREED, rules=rules,
    )  # fmt: skip

    assert (proposal.plan.interest_frozen, proposal.plan.grace_days, proposal.plan.reminder_days_before) == (
        False,
        5,
        7,
    )
