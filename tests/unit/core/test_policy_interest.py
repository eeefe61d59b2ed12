"""The policy decides from which step letters claim statutory interest, and the contractual rate
that replaces the statutory one: validated by name, written and read back exactly."""

import json
from decimal import Decimal

import pytest

from arrears.core.policy import Channel, Policy, PolicyError, Step
from arrears.core.policy_format import parse_policy, policy_from_dict, policy_to_dict
from arrears.policies import default_uk

STEPS = (
    Step("reminder", 7, Channel.EMAIL, "overdue_7_days"),
    Step("demand", 60, Channel.LETTER, "formal_demand"),
    Step("final", 90, Channel.LETTER, "final_notice"),
)

LADDER = """
name: Claims
version: 1
claim_interest_from: {claim}
steps:
  - {{name: reminder, offset_days: 7, channel: email, template: overdue_7_days}}
  - {{name: demand, offset_days: 60, channel: letter, template: formal_demand}}
"""


def test_the_step_named_and_every_later_step_claim_interest() -> None:
    policy = Policy("Claims", 1, STEPS, claim_interest_from="demand")
    assert [policy.claims_interest(step.name) for step in STEPS] == [False, True, True]


def test_without_the_field_no_step_claims_interest() -> None:
    policy = Policy("Quiet", 1, STEPS)
    assert not any(policy.claims_interest(step.name) for step in STEPS)


def test_a_name_the_policy_does_not_have_claims_nothing() -> None:
    policy = Policy("Claims", 1, STEPS, claim_interest_from="reminder")
    assert not policy.claims_interest("deal confirmation")
    assert not policy.claims_interest("instalment reminder")


def test_an_unknown_step_name_is_refused_naming_the_field_and_the_steps() -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(LADDER.format(claim="formal demnd"), source="ladder.yaml")
    message = str(refused.value)
    assert message.startswith("ladder.yaml: policy 'Claims' v1, field claim_interest_from:")
    assert "'formal demnd' is not a step of the policy" in message
    assert "'reminder', 'demand'" in message


def test_an_empty_step_name_is_refused() -> None:
    with pytest.raises(PolicyError, match="field claim_interest_from: a non-empty text is needed"):
        parse_policy(LADDER.format(claim='""'), source="ladder.yaml")


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", r"0% a year must be more than 0 and at most 100"),
        ("-2", r"-2% a year must be more than 0"),
        ("250", r"250% a year must be more than 0 and at most 100"),
        ("eight", r"'eight' is not a number"),
        ("[8]", r"a rate in per cent a year is needed"),
    ],
)
def test_a_contractual_rate_must_be_a_sensible_exact_number(rate: str, message: str) -> None:
    text = LADDER.format(claim="demand") + f"contractual_interest_rate: {rate}\n"
    with pytest.raises(PolicyError, match=message) as refused:
        parse_policy(text, source="ladder.yaml")
    assert "field contractual_interest_rate" in str(refused.value)


def test_a_binary_float_rate_from_json_is_refused() -> None:
    data = policy_to_dict(Policy("Claims", 1, STEPS))
    data["contractual_interest_rate"] = 8.1
    with pytest.raises(PolicyError, match=r"not 8\.1"):
        policy_from_dict(data, source="form")


def test_the_rate_is_read_as_an_exact_decimal() -> None:
    policy = parse_policy(LADDER.format(claim="demand") + "contractual_interest_rate: 8.10\n")
    assert policy.contractual_interest_rate == Decimal("8.10")
    assert isinstance(policy.contractual_interest_rate, Decimal)


def test_the_fields_survive_a_json_round_trip() -> None:
    policy = Policy("Claims", 2, STEPS, claim_interest_from="final", contractual_interest_rate=Decimal("7.5"))
    data = json.loads(json.dumps(policy_to_dict(policy)))
    assert data["claim_interest_from"] == "final" and data["contractual_interest_rate"] == "7.5"
    assert policy_from_dict(data) == policy


def test_the_shipped_uk_ladder_claims_from_the_formal_demand_onward() -> None:
    policy = default_uk()
    assert policy.claim_interest_from == "formal demand"
    assert policy.contractual_interest_rate is None
    claiming = [step.name for step in policy.steps if policy.claims_interest(step.name)]
    assert claiming == ["formal demand", "final notice", "letter before action", "referral"]
    assert policy.step("formal demand").offset_days == 60
