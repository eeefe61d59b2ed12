"""The creditor's deal rules: versioned in the store, read from a YAML file with exact decimals."""

from decimal import Decimal
from pathlib import Path

import pytest
from deals_builders import ledger, now
from store_builders import money

from arrears.core.deal_rules import DealRules, DealRulesError, DisputeMode, FeeKind, FeeRule, PlanRules
from arrears.services.deal_rules import read_rules_file, rules_in_force, set_deal_rules
from arrears.store.unit_of_work import SqlUnitOfWork

RULES_YAML = """\
currency: GBP
plans:
  max_instalments: 6
  max_term_days: 180
  min_first_payment_percent: 20
  min_instalment: 50.00
  grace_days: 3
max_settlement_discount_percent: 12.5
fees:
  - {kind: returned_payment, amount: 25.00, description: returned direct debit}
dispute_mode: resolve
write_off_without_approval_up_to: 10.00
"""


def test_rules_are_versioned_and_the_latest_is_in_force(uow: SqlUnitOfWork) -> None:
    ledger(uow)
    with uow:
        assert rules_in_force(uow, "ACME") == DealRules(currency="GBP")

    set_deal_rules(uow, "ACME", DealRules(max_settlement_discount_percent=Decimal(10)), by="Jo", now=now)
    second = set_deal_rules(
        uow, "ACME", DealRules(max_settlement_discount_percent=Decimal("12.5")), by="Jo", now=now
    )

    with uow:
        assert rules_in_force(uow, "ACME").max_settlement_discount_percent == Decimal("12.5")
        assert [stored.version for stored in uow.deals.rules_history("ACME")] == [2, 1]
    assert second.version == 2


def test_a_rules_file_round_trips_through_the_store_exactly(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    ledger(uow)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML)

    rules = read_rules_file(path)
    set_deal_rules(uow, "ACME", rules, by="Jo", now=now)

    assert rules == DealRules(
        plans=PlanRules(
            max_instalments=6,
            max_term_days=180,
            min_first_payment_percent=Decimal(20),
            min_instalment=money("50.00"),
        ),
        max_settlement_discount_percent=Decimal("12.5"),
        fees=(FeeRule(FeeKind.RETURNED_PAYMENT, money("25.00"), "returned direct debit"),),
        dispute_mode=DisputeMode.RESOLVE,
        write_off_without_approval_up_to=money("10.00"),
    )
    with uow:
        assert rules_in_force(uow, "ACME") == rules


def test_a_misspelt_rule_is_refused_with_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("plans:\n  max_instalment: 6\n")

    with pytest.raises(DealRulesError, match=r"^rules.yaml, plans: unknown field 'max_instalment'"):
        read_rules_file(path)
