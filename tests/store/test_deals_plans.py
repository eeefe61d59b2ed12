"""Payment plans through the services and the store: accepted inside the rules, approved or
rejected outside them, reminded before each instalment, kept by bank payments, defaulted."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from deals_builders import AGREED, now, pay_by_bank, two_invoices
from store_builders import money

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules, PlanRules
from arrears.core.holds import HoldReason
from arrears.core.instalments import Frequency
from arrears.core.plans import PlanState
from arrears.services.deal_book import deal_holds
from arrears.services.deal_review import review_deals
from arrears.services.deal_rules import set_deal_rules
from arrears.services.payment_plans import (
    PlanRefused,
    approve_payment_plan,
    list_payment_plans,
    propose_payment_plan,
    reject_payment_plan,
)
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    return two_invoices(uow, "500.00", "250.00")


def _propose(uow: SqlUnitOfWork, instalments: int = 3):  # type: ignore[no-untyped-def]
    return propose_payment_plan(
        uow,
        "ACME",
        "D1",
        instalments=instalments,
        frequency=Frequency.MONTHLY,
        first_due_on=date(2026, 3, 15),
        agreed_on=AGREED,
        by="Sam",
        now=now,
    )


def test_a_plan_inside_the_rules_is_accepted_at_once_and_holds_its_invoices(acme: SqlUnitOfWork) -> None:
    agreed = _propose(acme)

    assert agreed.decision.accepted and agreed.plan.approved_by == APPROVED_BY_RULES
    assert [(i.due_on, i.amount) for i in agreed.plan.instalments] == [
        (date(2026, 3, 15), money("250.00")),
        (date(2026, 4, 15), money("250.00")),
        (date(2026, 5, 15), money("250.00")),
    ]
    assert agreed.plan.documents == ("INV-000101", "INV-000102")
    with acme:
        (hold,) = deal_holds(acme, "ACME", date(2026, 3, 10))
    assert (hold.reason, hold.documents, hold.ends_on) == (
        HoldReason.PAYMENT_PLAN,
        frozenset({"INV-000101", "INV-000102"}),
        date(2026, 3, 18),
    )


def test_a_plan_outside_the_rules_waits_for_approval_then_is_confirmed(acme: SqlUnitOfWork) -> None:
    set_deal_rules(acme, "ACME", DealRules(plans=PlanRules(max_instalments=2)), by="Jo at Acme", now=now)

    agreed = _propose(acme)

    assert agreed.decision.needs_approval and agreed.plan.approved_by is None
    assert "3 instalments is more than the 2 the creditor allows" in agreed.decision.describe()
    assert agreed.confirmation is None
    with acme:
        (hold,) = deal_holds(acme, "ACME", date(2026, 3, 10))
    assert (hold.reason, hold.ends_on) == (HoldReason.AWAITING_APPROVAL, date(2026, 3, 15))

    approved = approve_payment_plan(
        acme, "ACME", agreed.plan.reference, by="Jo at Acme", on=date(2026, 3, 3), now=now
    )

    assert approved.plan.approved_by == "Jo at Acme"
    assert approved.confirmation is not None and "no brand" in approved.confirmation.reason
    (view,) = list_payment_plans(acme, "ACME", date(2026, 3, 4))
    assert view.recorded_state == "good_standing" and view.plan.approved_by == "Jo at Acme"
    with pytest.raises(PlanRefused, match="good standing, not awaiting approval"):
        approve_payment_plan(acme, "ACME", agreed.plan.reference, by="Jo", on=date(2026, 3, 4), now=now)


def test_a_rejected_plan_holds_nothing(acme: SqlUnitOfWork) -> None:
    set_deal_rules(
        acme, "ACME", DealRules(plans=PlanRules(min_first_payment_percent=Decimal(50))), by="Jo", now=now
    )
    agreed = _propose(acme)

    reject_payment_plan(acme, "ACME", agreed.plan.reference, by="Jo at Acme", on=date(2026, 3, 4))

    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 5)) == []
    (view,) = list_payment_plans(acme, "ACME", date(2026, 3, 5))
    assert view.recorded_state == "rejected" and view.status is None


def test_reminders_are_recorded_once_before_each_instalment(acme: SqlUnitOfWork) -> None:
    _propose(acme)

    too_early = review_deals(acme, "ACME", date(2026, 3, 11), now=now)
    due = review_deals(acme, "ACME", date(2026, 3, 12), now=now)
    again = review_deals(acme, "ACME", date(2026, 3, 13), now=now)

    assert too_early.reminders == []
    assert [(r.key, r.amount_to_pay) for r in due.reminders] == [
        ("plan-reminder:PP-00001:1", money("250.00"))
    ]
    assert again.reminders == []


def test_instalments_paid_by_bank_quoting_the_plan_keep_it_and_a_missed_one_defaults_it(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    _propose(acme)
    report = pay_by_bank(
        acme, tmp_path, date(2026, 3, 14), "250.00", "PP-00001 first instalment", counterparty="Harrington"
    )

    (matched,) = report.matched
    assert matched.method.startswith("deal reference") and matched.documents == ("INV-000101",)
    (view,) = list_payment_plans(acme, "ACME", date(2026, 4, 18))
    assert view.status is not None and view.status.state is PlanState.MISSED  # in grace of instalment 2
    with acme:
        assert [h.reason for h in deal_holds(acme, "ACME", date(2026, 4, 18))] == [HoldReason.PAYMENT_PLAN]

    review = review_deals(acme, "ACME", date(2026, 4, 19), now=now)

    assert review.plans_defaulted == ["PP-00001"]
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 4, 19)) == []
    (view,) = list_payment_plans(acme, "ACME", date(2026, 4, 19))
    assert (view.recorded_state, view.status and view.status.defaulted_on) == ("defaulted", date(2026, 4, 19))


def test_a_plan_paid_in_full_is_completed(acme: SqlUnitOfWork, tmp_path: Path) -> None:
    _propose(acme)
    report = pay_by_bank(acme, tmp_path, date(2026, 3, 16), "750.00", "INV-000101 INV-000102")

    assert report.review is not None and report.review.plans_completed == ["PP-00001"]
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 17)) == []
