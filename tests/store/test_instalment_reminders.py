"""Instalment reminders through the store and the outbox: due a few days before each instalment,
queued once per instalment ever, never for plans that are over, nor to debtors not to be
contacted, and never across tenants."""

from datetime import date

import pytest
from comms_builders import NOW, brand, customer
from deals_builders import ledger, now
from store_builders import creditor, money

from arrears.comms.message import RenderedMessage
from arrears.core.errors import NotFoundError
from arrears.core.holds import Hold, HoldReason
from arrears.core.instalments import Frequency
from arrears.core.ledger import Allocation, DebtorFlag, Payment
from arrears.services.instalment_reminders import plan_instalment_reminders, remind_instalments
from arrears.services.payment_plans import propose_payment_plan
from arrears.store.unit_of_work import SqlUnitOfWork

ISSUED = date(2026, 1, 5)  # due 4 February 2026
AGREED = date(2026, 3, 20)
FIRST = date(2026, 4, 1)  # then 1 May and 1 June; reminders 3 days before (the rules' default)
KEY_1, KEY_2 = "plan-reminder:PP-00001:1", "plan-reminder:PP-00001:2"


def _books(uow: SqlUnitOfWork, code: str = "ACME", *, flags: frozenset[DebtorFlag] = frozenset()) -> None:
    ledger(
        uow,
        code=code,
        debtors=[customer(code, "D1", name="Harrington Joinery Ltd", contact="Pat Harrington", flags=flags)],
        invoices=[("D1", f"{code}-INV-1", ISSUED, "900.00")],
    )
    with uow:
        uow.brands.put(code, brand(creditor(code)), at=NOW)
        uow.commit()
    propose_payment_plan(
        uow,
        code,
        "D1",
        instalments=3,
        frequency=Frequency.MONTHLY,
        first_due_on=FIRST,
        agreed_on=AGREED,
        by="Sam",
        now=now,
    )


def _pay(uow: SqlUnitOfWork, amount: str, on: date, code: str = "ACME") -> None:
    with uow:
        uow.payments.add(code, [Payment(code, f"BANK-{on.isoformat()}", on, money(amount), debtor="D1")])
        uow.payments.allocate(
            code, [Allocation(code, f"{code}-INV-1", money(amount), on, payment=f"BANK-{on.isoformat()}")]
        )
        uow.commit()


def _message(uow: SqlUnitOfWork, key: str, code: str = "ACME") -> RenderedMessage:
    with uow:
        return uow.outbox.get(code, key).message


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    _books(uow)
    return uow


def test_the_reminder_goes_once_three_days_before_the_instalment(acme: SqlUnitOfWork) -> None:
    too_early = remind_instalments(acme, "ACME", date(2026, 3, 28), now=now)
    due = remind_instalments(acme, "ACME", date(2026, 3, 29), now=now)
    again = remind_instalments(acme, "ACME", date(2026, 3, 29), now=now)
    later = remind_instalments(acme, "ACME", date(2026, 3, 31), now=now)

    assert too_early.queued == () and too_early.plan.due == ()
    assert due.queued == (KEY_1,) and due.refused == ()
    assert again.queued == () and again.already_queued == (KEY_1,)
    assert later.queued == () and later.already_queued == (KEY_1,)
    message = _message(acme, KEY_1)
    assert message.recipients == ("jo@bloggs.example",)
    assert message.template == "instalment_reminder" and message.transactional
    assert (
        message.subject == "Reminder: £300.00 due on 1 April 2026 under your payment plan PP-00001 - ACME Ltd"
    )
    assert "instalment 1 of 3 of your payment plan PP-00001 falls due on 1 April 2026" in message.text
    assert "Paid so far: £0.00" in message.text
    assert "Left to pay, this instalment included: £900.00" in message.text
    assert "Left after this instalment: £600.00, in 2 more instalments:" in message.text
    assert "1 May 2026: £300.00" in message.text and "1 June 2026: £300.00" in message.text
    assert "Please quote PP-00001 as the reference." in message.text
    assert message.html is not None and "£900.00" in message.html
    with acme:
        assert acme.deals.plan("ACME", "PP-00001").reminded == {1: date(2026, 3, 29)}


def test_a_missed_day_is_caught_up_until_the_due_date_but_not_after(acme: SqlUnitOfWork) -> None:
    on_the_day = plan_instalment_reminders(acme, "ACME", FIRST)
    after = plan_instalment_reminders(acme, "ACME", date(2026, 4, 2))

    assert [(r.key, r.amount_to_pay) for r in on_the_day.due] == [(KEY_1, money("300.00"))]
    assert after.due == ()  # the instalment is missed: the plan's grace and default take over


def test_the_next_reminder_says_what_is_paid_and_what_is_left(acme: SqlUnitOfWork) -> None:
    remind_instalments(acme, "ACME", date(2026, 3, 29), now=now)
    _pay(acme, "350.00", date(2026, 3, 31))  # the first instalment and 50.00 ahead

    report = remind_instalments(acme, "ACME", date(2026, 4, 28), now=now)

    assert report.queued == (KEY_2,)
    text = _message(acme, KEY_2).text
    assert "instalment 2 of 3" in text and "Please make sure £250.00 reaches us by then." in text
    assert "The instalment is £300.00; £50.00 of it is already covered by what you have paid ahead." in text
    assert "Paid so far: £350.00" in text and "Left to pay, this instalment included: £550.00" in text
    assert "Left after this instalment: £300.00, in 1 more instalment:" in text


def test_an_instalment_paid_ahead_needs_no_reminder(acme: SqlUnitOfWork) -> None:
    _pay(acme, "600.00", date(2026, 3, 25))

    report = remind_instalments(acme, "ACME", date(2026, 3, 29), now=now)

    assert report.plan.due == () and report.queued == ()


def test_no_reminder_for_a_defaulted_or_completed_plan(uow: SqlUnitOfWork) -> None:
    _books(uow)
    _books(uow, "BETA")
    _pay(uow, "900.00", date(2026, 3, 25), code="BETA")  # BETA's plan is completed

    # ACME paid nothing: the plan defaulted when the first instalment's grace ended (4 April)
    assert plan_instalment_reminders(uow, "ACME", date(2026, 4, 28)).due == ()
    assert plan_instalment_reminders(uow, "BETA", date(2026, 3, 29)).due == ()


def test_a_debtor_not_to_be_contacted_is_skipped_with_the_reason(uow: SqlUnitOfWork) -> None:
    _books(uow, flags=frozenset({DebtorFlag.DO_NOT_CONTACT}))

    report = remind_instalments(uow, "ACME", date(2026, 3, 29), now=now)

    assert report.queued == () and report.plan.due == ()
    (skipped,) = report.plan.skipped
    assert (skipped.plan, skipped.instalment) == ("PP-00001", 1)
    assert skipped.reason == "debtor D1 is flagged do not contact"


def test_a_do_not_contact_hold_the_creditor_recorded_is_respected(acme: SqlUnitOfWork) -> None:
    with acme:
        acme.holds.add(
            "ACME", Hold(HoldReason.DO_NOT_CONTACT, "D1", note="creditor handles it"), by="Jo", at=NOW
        )
        acme.commit()

    report = plan_instalment_reminders(acme, "ACME", date(2026, 3, 29))

    assert report.due == () and "do not contact" in report.skipped[0].reason


def test_reminders_never_cross_tenants(uow: SqlUnitOfWork) -> None:
    _books(uow)
    _books(uow, "BETA")

    acme = remind_instalments(uow, "ACME", date(2026, 3, 29), now=now)
    beta = plan_instalment_reminders(uow, "BETA", date(2026, 3, 29))

    assert acme.queued == (KEY_1,) and [r.action.creditor for r in acme.plan.due] == ["ACME"]
    assert [r.key for r in beta.due] == [KEY_1]  # BETA's own plan has the same reference, not sent yet
    with uow:
        assert [m.key for m in uow.outbox.list_messages("BETA") if m.key.startswith("plan-reminder")] == []
    with pytest.raises(NotFoundError):
        plan_instalment_reminders(uow, "NOBODY", date(2026, 3, 29))


def test_without_a_brand_nothing_is_queued_and_the_report_says_why(uow: SqlUnitOfWork) -> None:
    ledger(uow, debtors=[customer("ACME", "D1")], invoices=[("D1", "INV-1", ISSUED, "900.00")])
    propose_payment_plan(
        uow,
        "ACME",
        "D1",
        instalments=3,
        frequency=Frequency.MONTHLY,
        first_due_on=FIRST,
        agreed_on=AGREED,
        by="Sam",
    )

    report = remind_instalments(uow, "ACME", date(2026, 3, 29), now=now)

    assert report.queued == () and "has no brand yet" in report.problem
    assert "0 queued" in report.summary()
