"""Holds: reasons not to chase a debtor or a document, each with optional dates.

How the planner skips what a hold covers, for every reason, is specified in test_planner.py
(`test_..._is_skipped...`, `test_flagged_debtor_is_never_contacted`,
`test_an_action_awaiting_approval_holds_its_invoices`, `test_nothing_is_planned_while_the_service_is_off`).
"""

from datetime import date

import pytest

from arrears.core.holds import (
    DEFAULT_PROMISE_GRACE_DAYS,
    Hold,
    HoldBook,
    HoldError,
    HoldReason,
    ServiceWindow,
    describe_holds,
    describe_service_off,
    holds_from_flags,
    promise_to_pay,
    service_is_on,
)
from arrears.core.ledger import Debtor, DebtorFlag

MARCH_1 = date(2026, 3, 1)
MARCH_31 = date(2026, 3, 31)


def test_hold_is_active_between_its_dates_inclusive() -> None:
    dispute = Hold(HoldReason.DISPUTE, "D1", starts_on=MARCH_1, ends_on=MARCH_31)

    assert [dispute.is_active(day) for day in (date(2026, 2, 28), MARCH_1, MARCH_31, date(2026, 4, 1))] == [
        False,
        True,
        True,
        False,
    ]


def test_hold_without_dates_lasts_until_lifted() -> None:
    assert Hold(HoldReason.DO_NOT_CONTACT, "D1").is_active(date(2099, 1, 1))


def test_hold_cannot_end_before_it_starts() -> None:
    with pytest.raises(
        HoldError, match="dispute hold on D1: ends on 2026-03-01, before it starts on 2026-03-31"
    ):
        Hold(HoldReason.DISPUTE, "D1", starts_on=MARCH_31, ends_on=MARCH_1)


def test_hold_needs_a_debtor() -> None:
    with pytest.raises(HoldError, match="needs the debtor's account code"):
        Hold(HoldReason.DISPUTE, " ")


def test_hold_covers_the_whole_debtor_or_some_documents() -> None:
    assert Hold(HoldReason.PAYMENT_PLAN, "D1").covers_whole_debtor
    assert not Hold(HoldReason.DISPUTE, "D1", frozenset({"INV-1"})).covers_whole_debtor


def test_promise_to_pay_lasts_until_the_promised_date_plus_grace() -> None:
    promise = promise_to_pay("D1", MARCH_1, documents=["INV-1"], made_on=date(2026, 2, 20), note="by BACS")

    assert promise.reason is HoldReason.PROMISE_TO_PAY
    assert promise.ends_on == date(2026, 3, 1 + DEFAULT_PROMISE_GRACE_DAYS)
    assert promise.documents == {"INV-1"}
    assert promise.describe() == "promise to pay until 2026-03-04 (by BACS)"


def test_promise_grace_cannot_be_negative() -> None:
    with pytest.raises(HoldError, match="grace of -1 days is negative"):
        promise_to_pay("D1", MARCH_1, grace_days=-1)


@pytest.mark.parametrize(
    ("flags", "reasons"),
    [
        (frozenset(), ()),
        (frozenset({DebtorFlag.KEY_ACCOUNT, DebtorFlag.CREDIT_HOLD}), ()),
        (frozenset({DebtorFlag.DO_NOT_CONTACT}), (HoldReason.DO_NOT_CONTACT,)),
        (frozenset({DebtorFlag.INSOLVENT}), (HoldReason.INSOLVENCY,)),
        (
            frozenset({DebtorFlag.INSOLVENT, DebtorFlag.DO_NOT_CONTACT}),
            (HoldReason.DO_NOT_CONTACT, HoldReason.INSOLVENCY),
        ),
    ],
)
def test_debtor_flags_that_stop_contact_become_holds(
    flags: frozenset[DebtorFlag], reasons: tuple[HoldReason, ...]
) -> None:
    debtor = Debtor("acme", "D1", "Customer", flags=flags)

    assert tuple(hold.reason for hold in holds_from_flags(debtor)) == reasons


def test_holds_describe_themselves_for_a_reason() -> None:
    holds = [
        Hold(HoldReason.DISPUTE, "D1", starts_on=MARCH_1, note="wrong price"),
        Hold(HoldReason.INSOLVENCY, "D1"),
    ]

    assert describe_holds(holds) == "held: dispute since 2026-03-01 (wrong price); insolvency"


def test_hold_book_indexes_the_holds_active_on_its_day() -> None:
    whole = Hold(HoldReason.PAYMENT_PLAN, "D1")
    document = Hold(HoldReason.DISPUTE, "D2", frozenset({"INV-7", "INV-8"}))
    ended = Hold(HoldReason.DISPUTE, "D3", ends_on=date(2026, 2, 1))

    book = HoldBook.active_on([whole, document, ended], MARCH_1)

    assert book.for_debtor("D1") == (whole,)
    assert book.for_debtor("D2") == ()
    assert book.for_documents("D2") == {"INV-7": (document,), "INV-8": (document,)}
    assert book.for_debtor("D3") == () and book.for_documents("D3") == {}


def test_service_is_on_within_its_windows() -> None:
    windows = [ServiceWindow(date(2026, 1, 1), date(2026, 1, 31)), ServiceWindow(MARCH_1)]

    assert service_is_on(windows, date(2026, 1, 31))
    assert not service_is_on(windows, date(2026, 2, 14))
    assert service_is_on(windows, date(2027, 1, 1))
    assert not service_is_on([], MARCH_1)


def test_service_off_says_since_when() -> None:
    windows = [ServiceWindow(date(2026, 1, 1), date(2026, 1, 31))]

    assert describe_service_off(windows, date(2026, 2, 14)) == "the service is off since 2026-02-01"
    assert describe_service_off([ServiceWindow(MARCH_31)], MARCH_1) == (
        "the service is not on for this creditor on 2026-03-01"
    )


def test_service_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(HoldError, match="service window ends on 2026-03-01, before it starts on 2026-03-31"):
        ServiceWindow(MARCH_31, MARCH_1)
