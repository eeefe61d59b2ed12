"""Promises to pay: kept or broken from the cash, holding the ladder while pending."""

from datetime import date, timedelta

import pytest

from arrears.core.deal_rules import DealRules
from arrears.core.holds import HoldReason
from arrears.core.ledger import Allocation, Creditor, Debtor, Document, DocumentKind, Payment
from arrears.core.money import Money
from arrears.core.planner import LedgerSnapshot, plan
from arrears.core.promises import (
    Promise,
    PromiseChannel,
    PromiseError,
    PromiseState,
    confirmation_text,
    promise_status,
    take_promise,
)
from arrears.policies import default_uk

MADE = date(2026, 3, 2)  # a Monday
PROMISED = date(2026, 3, 13)  # a Friday; grace of 3 days ends Monday 16 March


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def promise(amount: str = "500.00", documents: frozenset[str] = frozenset(), grace_days: int = 3) -> Promise:
    return Promise(
        "P-1",
        "acme",
        "C001",
        gbp(amount),
        PROMISED,
        MADE,
        PromiseChannel.CALL,
        documents=documents,
        grace_days=grace_days,
        taken_by="Sam",
    )


def cash(document: str, amount: str, on: date) -> Allocation:
    return Allocation("acme", document, gbp(amount), on, payment=f"PAY-{on.isoformat()}")


def credit(document: str, amount: str, on: date) -> Allocation:
    return Allocation("acme", document, gbp(amount), on, credit_note="CN-1")


def test_promise_kept_when_enough_cash_arrives_by_the_date() -> None:
    status = promise_status(
        promise(),
        [cash("INV-1", "200.00", date(2026, 3, 5)), cash("INV-2", "300.00", PROMISED)],
        date(2026, 3, 20),
    )

    assert status.state is PromiseState.KEPT
    assert status.kept_on == PROMISED
    assert status.short.is_zero
    assert status.hold is None


def test_cash_within_the_grace_still_keeps_the_promise() -> None:
    status = promise_status(promise(), [cash("INV-1", "500.00", date(2026, 3, 16))], date(2026, 3, 30))

    assert status.state is PromiseState.KEPT


def test_promise_broken_after_grace_lifts_the_hold_so_the_ladder_resumes() -> None:
    late = [cash("INV-1", "200.00", date(2026, 3, 10)), cash("INV-1", "300.00", date(2026, 3, 17))]

    status = promise_status(promise(), late, date(2026, 3, 17))

    assert status.state is PromiseState.BROKEN
    assert status.is_broken
    assert status.broken_on == date(2026, 3, 17)
    assert status.paid == gbp("200.00")  # the cash after the grace does not mend it
    assert status.short == gbp("300.00")
    assert status.hold is None
    assert status.describe() == (
        "promise P-1 of 500.00 GBP by 2026-03-13: broken on 2026-03-17, 200.00 GBP paid, 300.00 GBP short"
    )


def test_promise_pending_until_the_grace_ends_holds_the_ladder() -> None:
    status = promise_status(promise(), [cash("INV-1", "100.00", date(2026, 3, 4))], date(2026, 3, 16))

    assert status.state is PromiseState.PENDING
    assert status.paid == gbp("100.00")
    assert status.hold is not None
    assert status.hold.reason is HoldReason.PROMISE_TO_PAY
    assert (status.hold.starts_on, status.hold.ends_on) == (MADE, date(2026, 3, 16))
    assert status.hold.is_active(date(2026, 3, 16))
    assert not status.hold.is_active(date(2026, 3, 17))


def test_cash_before_the_promise_was_made_does_not_count() -> None:
    status = promise_status(promise(), [cash("INV-1", "500.00", MADE - timedelta(days=1))], date(2026, 3, 20))

    assert status.state is PromiseState.BROKEN


def test_credit_notes_do_not_keep_a_promise_to_pay() -> None:
    status = promise_status(promise(), [credit("INV-1", "500.00", date(2026, 3, 5))], date(2026, 3, 20))

    assert status.state is PromiseState.BROKEN


def test_a_promise_on_documents_counts_only_cash_to_those_documents() -> None:
    on_one = promise("300.00", documents=frozenset({"INV-1"}))
    allocations = [cash("INV-2", "300.00", date(2026, 3, 5)), cash("INV-1", "250.00", date(2026, 3, 6))]

    status = promise_status(on_one, allocations, date(2026, 3, 20))

    assert status.state is PromiseState.BROKEN
    assert status.paid == gbp("250.00")
    assert promise_status(on_one, allocations, date(2026, 3, 10)).hold is not None
    assert promise_status(on_one, allocations, date(2026, 3, 10)).hold.documents == frozenset({"INV-1"})  # type: ignore[union-attr]


def test_unallocated_cash_on_the_debtors_account_counts() -> None:
    on_account = Payment("acme", "PAY-9", date(2026, 3, 12), gbp("500.00"), debtor="C001")
    someone_else = Payment("acme", "PAY-8", date(2026, 3, 12), gbp("500.00"), debtor="C002")

    assert (
        promise_status(promise(), [], date(2026, 3, 20), payments=[someone_else]).state is PromiseState.BROKEN
    )
    assert promise_status(promise(), [], date(2026, 3, 20), payments=[on_account]).state is PromiseState.KEPT


def test_part_allocated_payment_counts_its_allocation_and_its_rest_once() -> None:
    payment = Payment(
        "acme", "PAY-1", date(2026, 3, 12), gbp("500.00"), debtor="C001", unallocated=gbp("100.00")
    )
    allocation = Allocation("acme", "INV-1", gbp("400.00"), date(2026, 3, 12), payment="PAY-1")

    status = promise_status(promise("600.00"), [allocation], date(2026, 3, 20), payments=[payment])

    assert status.paid == gbp("500.00")
    assert status.state is PromiseState.BROKEN


def test_promise_with_zero_grace_breaks_the_day_after() -> None:
    status = promise_status(promise(grace_days=0), [], PROMISED + timedelta(days=1))

    assert status.broken_on == PROMISED + timedelta(days=1)


def test_take_promise_uses_the_creditors_grace() -> None:
    taken = take_promise(
        "P-2", "acme", "C001", gbp("50.00"), PROMISED, made_on=MADE, channel=PromiseChannel.PORTAL,
        rules=DealRules(promise_grace_days=5), taken_by="portal",
    )  # fmt: skip

    assert taken.deadline == date(2026, 3, 18)
    assert taken.channel is PromiseChannel.PORTAL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": gbp("0.00")}, "amount 0.00 must be positive"),
        ({"amount": gbp("1.001")}, "in whole minor units"),
        (
            {"promised_on": MADE - timedelta(days=1)},
            "promised date 2026-03-01 is before the day it was made, 2026-03-02",
        ),
        ({"grace_days": -1}, "grace of -1 days"),
        ({"reference": ""}, "a promise needs a reference"),
        ({"channel": "fax"}, "fax"),
    ],
)
def test_promise_refuses_contradictions(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "reference": "P-1",
        "creditor": "acme",
        "debtor": "C001",
        "amount": gbp("10.00"),
        "promised_on": PROMISED,
        "made_on": MADE,
        "channel": PromiseChannel.EMAIL,
    } | change
    with pytest.raises((PromiseError, ValueError), match=message):
        Promise(**fields)  # type: ignore[arg-type]


def test_confirmation_repeats_the_promise_without_revealing_the_grace() -> None:
    text = confirmation_text(
        promise(documents=frozenset({"INV-2", "INV-1"})), creditor_name="Acme Supplies Ltd"
    )

    assert text == (
        "Thank you. Acme Supplies Ltd has noted your promise to pay £500.00 towards invoices INV-1, INV-2 by "
        "13 March 2026. We will not send you reminders about it until then. If the payment has not reached us "
        "by that date, reminders will resume."
    )
    assert "16 March" not in text


def test_confirmation_for_a_whole_account_promise_in_german() -> None:
    text = confirmation_text(promise(), creditor_name="Acme GmbH", locale="de_DE")

    assert "500,00\xa0£" in text
    assert "on account C001 by 13. März 2026" in text


def _planner_actions(holds: tuple[object, ...], as_of: date) -> list[str]:
    creditor = Creditor("acme", "Acme")
    invoice = Document(
        "acme",
        "C001",
        DocumentKind.INVOICE,
        "INV-1",
        date(2026, 1, 1),
        date(2026, 1, 31),
        gbp("500.00"),
        gbp("500.00"),
    )
    snapshot = LedgerSnapshot(creditor, (Debtor("acme", "C001", "Customer"),), (invoice,))
    result = plan(snapshot, default_uk(), as_of, holds=holds)  # type: ignore[arg-type]
    return [action.step for action in result.actions]


def test_promise_broken_after_grace_resumes_ladder() -> None:
    """End to end with the planner: the pending promise holds the invoice; once it is broken the
    ladder resumes at the step the invoice's age calls for."""
    pending = promise_status(promise(), [], date(2026, 3, 16))
    broken = promise_status(promise(), [], date(2026, 3, 17))

    assert pending.hold is not None
    assert _planner_actions((pending.hold,), date(2026, 3, 16)) == []
    assert broken.hold is None
    assert _planner_actions((), date(2026, 3, 17)) == ["phone call"]
