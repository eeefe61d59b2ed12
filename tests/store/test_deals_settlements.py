"""Settlements through the services and the store: within the pre-agreed discount or by
approval; when paid the rest is written off with the reason; lapsed when the grace ends short."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from deals_builders import now, pay_by_bank, settlement, two_invoices
from store_builders import money

from arrears.core.deal_rules import APPROVED_BY_RULES, DealRules
from arrears.core.holds import HoldReason
from arrears.core.ledger import DocumentStatus
from arrears.core.writeoffs import WriteOffReason
from arrears.services.deal_book import deal_holds
from arrears.services.deal_review import review_deals
from arrears.services.settlements import (
    SettlementRefused,
    approve_settlement_offer,
    list_settlements,
    reject_settlement,
)
from arrears.services.write_offs import list_write_offs
from arrears.store.unit_of_work import SqlUnitOfWork


@pytest.fixture
def acme(uow: SqlUnitOfWork) -> SqlUnitOfWork:
    rules = DealRules(max_settlement_discount_percent=Decimal(20))
    return two_invoices(uow, "600.00", "400.00", rules=rules)


def test_settlement_within_the_discount_is_accepted_and_when_paid_the_rest_is_written_off(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    agreed = settlement(acme, "800.00")
    assert agreed.decision.accepted and agreed.settlement.approved_by == APPROVED_BY_RULES
    with acme:
        (hold,) = deal_holds(acme, "ACME", date(2026, 3, 10))
    assert (hold.reason, hold.ends_on) == (HoldReason.PROMISE_TO_PAY, date(2026, 3, 19))

    pay_by_bank(acme, tmp_path, date(2026, 3, 12), "800.00", "S-00001 full and final")

    write_offs = list_write_offs(acme, "ACME", debtor="D1")
    assert [(w.document, w.amount, w.reason, w.decided_by, w.settlement) for w in write_offs] == [
        ("INV-000102", money("200.00"), WriteOffReason.SETTLEMENT, APPROVED_BY_RULES, "S-00001")
    ]
    with acme:
        assert acme.documents.get("ACME", "INV-000102").status is DocumentStatus.WRITTEN_OFF
        assert acme.ledger.open_balance("ACME", "D1") == {"GBP": money("0.00")}
    (view,) = list_settlements(acme, "ACME", date(2026, 3, 12))
    assert (view.recorded_state, view.closed_on) == ("paid", date(2026, 3, 12))
    again = review_deals(acme, "ACME", date(2026, 3, 20), now=now)
    assert again.settled == [] and again.written_off == []  # written off once


def test_settlement_beyond_the_discount_waits_for_approval_and_writes_off_once_approved(
    acme: SqlUnitOfWork, tmp_path: Path
) -> None:
    agreed = settlement(acme, "700.00")
    assert agreed.decision.needs_approval
    pay_by_bank(acme, tmp_path, date(2026, 3, 10), "700.00", "S-00001")
    assert list_write_offs(acme, "ACME") == []  # paid, but not approved: nothing written off

    approve_settlement_offer(acme, "ACME", "S-00001", by="Jo at Acme", on=date(2026, 3, 11))
    review = review_deals(acme, "ACME", date(2026, 3, 11), now=now)

    assert review.settled == ["S-00001"]
    assert sum((w.amount for w in list_write_offs(acme, "ACME")), money("0")) == money("300.00")
    assert {w.decided_by for w in list_write_offs(acme, "ACME")} == {"Jo at Acme"}


def test_a_settlement_not_paid_by_the_end_of_its_grace_lapses(acme: SqlUnitOfWork) -> None:
    settlement(acme, "900.00")

    review = review_deals(acme, "ACME", date(2026, 3, 20), now=now)

    assert review.lapsed == ["S-00001"]
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 20)) == []
        assert acme.ledger.open_balance("ACME", "D1") == {"GBP": money("1000.00")}


def test_a_rejected_settlement_cannot_be_approved(acme: SqlUnitOfWork) -> None:
    settlement(acme, "500.00")
    reject_settlement(acme, "ACME", "S-00001", by="Jo", on=date(2026, 3, 3))

    with pytest.raises(SettlementRefused, match="settlement S-00001 is rejected"):
        approve_settlement_offer(acme, "ACME", "S-00001", by="Jo", on=date(2026, 3, 4))
    with acme:
        assert deal_holds(acme, "ACME", date(2026, 3, 4)) == []
