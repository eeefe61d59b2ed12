"""Policies: the ladder as data, validated on load, with segment rules; the shipped UK ladder."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.core.ledger import Debtor, DebtorFlag
from arrears.core.money import Money
from arrears.core.policy import (
    Channel,
    Policy,
    PolicyError,
    Segment,
    SegmentRule,
    Step,
    StepChange,
    segments_of,
)
from arrears.core.policy_format import load_policy, parse_policy, policy_from_dict, policy_to_dict
from arrears.policies import default_uk, shipped_policy, shipped_policy_names

REMINDER = Step("reminder", 7, Channel.EMAIL, "overdue")
CALL = Step("call", 30, Channel.CALL, "call")
DEMAND = Step("demand", 60, Channel.LETTER, "demand")

SMALL_POLICY = """
name: Small
version: 3
currency: GBP
small_balance_below: 100.50
steps:
  - {name: reminder, offset_days: 7, channel: email, template: overdue}
  - name: letter before action
    offset_days: 104
    channel: letter
    template: lba
    legal: true
    min_overdue: 250.10
segments:
  small_balance: {channels: [email]}
"""


def gbp(amount: str) -> Money:
    return Money.of(amount, "GBP")


def debtor(*flags: DebtorFlag) -> Debtor:
    return Debtor("acme", "D1", "Customer", flags=frozenset(flags))


# --- steps and policies ---------------------------------------------------------------------


def test_legal_step_always_needs_approval() -> None:
    assert Step("letter before action", 104, Channel.LETTER, "lba", legal=True).needs_approval


def test_step_defaults_group_documents_into_one_message_without_approval() -> None:
    assert REMINDER.group and not REMINDER.needs_approval and not REMINDER.legal


def test_steps_must_be_in_order_of_offset() -> None:
    with pytest.raises(
        PolicyError, match=r"step 2 'reminder': offset_days 7 must be after the previous step 'call' \(30\)"
    ):
        Policy("p", 1, (CALL, REMINDER))


def test_two_steps_at_the_same_offset_are_refused() -> None:
    with pytest.raises(PolicyError, match="must be after the previous step"):
        Policy("p", 1, (REMINDER, Step("other", 7, Channel.SMS, "sms")))


def test_step_names_must_be_unique() -> None:
    with pytest.raises(PolicyError, match="step 2 'reminder': the name is already used by step 1"):
        Policy("p", 1, (REMINDER, Step("reminder", 14, Channel.EMAIL, "again")))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Policy("p", 1, ()), "has no steps"),
        (lambda: Policy("p", 0, (REMINDER,)), "version 0 must be 1 or more"),
        (lambda: Policy(" ", 1, (REMINDER,)), "a policy needs a name"),
        (lambda: Step("", 1, Channel.EMAIL, "t"), "a step needs a name"),
        (lambda: Step("s", 1, Channel.EMAIL, " "), "step 's': template is empty"),
        (lambda: Step("s", 1, Channel.EMAIL, "t", min_days_after_previous_step=-1), "must be zero or more"),
        (
            lambda: Step("s", 1, Channel.EMAIL, "t", min_overdue=gbp("-1")),
            "min_overdue -1.00 GBP is negative",
        ),
        (
            lambda: Policy("p", 1, (Step("s", 1, Channel.EMAIL, "t", min_overdue=Money.of(5, "EUR")),)),
            "min_overdue is in EUR, the policy in GBP",
        ),
        (
            lambda: Policy("p", 1, (REMINDER,), segment_rules=(SegmentRule(Segment.SMALL_BALANCE),)),
            "segment 'small_balance': has a rule but the policy sets no small_balance_below threshold",
        ),
        (
            lambda: Policy(
                "p",
                1,
                (REMINDER,),
                segment_rules=(SegmentRule(Segment.KEY_ACCOUNT, changes=(StepChange("nope"),)),),
            ),
            "changes step 'nope', which the policy does not have",
        ),
        (
            lambda: Policy(
                "p",
                1,
                (REMINDER,),
                segment_rules=(SegmentRule(Segment.KEY_ACCOUNT), SegmentRule(Segment.KEY_ACCOUNT)),
            ),
            "has two rules",
        ),
    ],
)
def test_invalid_policies_are_refused_with_a_message_naming_the_field(build: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        build()  # type: ignore[operator]


def test_step_is_found_by_name() -> None:
    policy = Policy("p", 1, (REMINDER, CALL))

    assert policy.step("call") is CALL
    assert policy.index_of("call") == 1 and policy.index_of("gone") is None
    with pytest.raises(PolicyError, match="has no step 'gone'"):
        policy.step("gone")


# --- segments -------------------------------------------------------------------------------


def test_steps_limited_to_a_segment_are_only_in_that_segments_ladder() -> None:
    key_call = Step("key call", 45, Channel.CALL, "key", segments=frozenset({Segment.KEY_ACCOUNT}))
    policy = Policy("p", 1, (REMINDER, key_call, DEMAND))

    assert [s.name for s in policy.ladder_for({Segment.STANDARD})] == ["reminder", "demand"]
    assert [s.name for s in policy.ladder_for({Segment.KEY_ACCOUNT})] == ["reminder", "key call", "demand"]


def test_segment_rule_changes_a_step_then_limits_channels() -> None:
    policy = Policy(
        "p",
        1,
        (REMINDER, CALL, DEMAND),
        small_balance_below=gbp("100"),
        segment_rules=(
            SegmentRule(
                Segment.KEY_ACCOUNT, changes=(StepChange("demand", channel=Channel.CALL, template="key"),)
            ),
            SegmentRule(Segment.SMALL_BALANCE, channels=frozenset({Channel.EMAIL})),
        ),
    )

    key_ladder = policy.ladder_for({Segment.KEY_ACCOUNT})
    assert [(s.name, s.channel, s.template) for s in key_ladder][-1] == ("demand", Channel.CALL, "key")
    assert [s.name for s in policy.ladder_for({Segment.SMALL_BALANCE})] == ["reminder"]
    assert policy.ladder_for({Segment.STANDARD}) == policy.steps


def test_segments_come_from_flags_and_balance() -> None:
    policy = Policy("p", 1, (REMINDER,), small_balance_below=gbp("100"))

    assert segments_of(debtor(), {"GBP": Decimal("500")}, policy) == {Segment.STANDARD}
    assert segments_of(debtor(), {"GBP": Decimal("99.99")}, policy) == {Segment.SMALL_BALANCE}
    assert segments_of(debtor(DebtorFlag.KEY_ACCOUNT, DebtorFlag.INDIVIDUAL), {}, policy) == {
        Segment.KEY_ACCOUNT,
        Segment.INDIVIDUAL,
    }


def test_a_balance_in_another_currency_is_not_a_small_balance() -> None:
    policy = Policy("p", 1, (REMINDER,), small_balance_below=gbp("100"))

    assert segments_of(debtor(), {"EUR": Decimal("5")}, policy) == {Segment.STANDARD}
    assert segments_of(debtor(), {"GBP": Decimal("5"), "EUR": Decimal("5")}, policy) == {Segment.STANDARD}
    assert segments_of(debtor(), {"GBP": Decimal("0")}, policy) == {Segment.STANDARD}


# --- YAML and JSON ---------------------------------------------------------------------------


def test_policy_is_read_from_yaml_with_exact_amounts() -> None:
    policy = parse_policy(SMALL_POLICY)

    assert (policy.name, policy.version) == ("Small", 3)
    assert policy.small_balance_below == gbp("100.50")
    lba = policy.step("letter before action")
    assert lba.min_overdue == gbp("250.10") and lba.legal and lba.needs_approval
    assert isinstance(lba.min_overdue.amount, Decimal)


def test_policy_round_trips_through_json() -> None:
    policy = default_uk()

    text = json.dumps(policy_to_dict(policy))

    assert parse_policy(text, source="policy.json") == policy
    assert policy_from_dict(json.loads(text)) == policy


def test_policy_is_loaded_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ladder.yaml"
    path.write_text(SMALL_POLICY, encoding="utf-8")

    assert load_policy(path) == parse_policy(SMALL_POLICY)
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read the policy"):
        load_policy(tmp_path / "missing.yaml")


def one_step_policy(**fields: str) -> str:
    step = {"name": "reminder", "offset_days": "7", "channel": "email", "template": "overdue", **fields}
    lines = "\n    ".join(f"{key}: {value}" for key, value in step.items())
    return f"name: Small\nversion: 1\nsteps:\n  - {lines}\n"


def test_a_one_step_policy_reads() -> None:
    assert parse_policy(one_step_policy()).steps == (Step("reminder", 7, Channel.EMAIL, "overdue"),)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("needs_aproval", "true", r"step 1 'reminder': unknown field 'needs_aproval'; the fields are"),
        ("channel", "fax", r"step 1 'reminder', field channel: 'fax' is not one of email, sms, letter, call"),
        (
            "offset_days",
            "seven",
            r"step 1 'reminder', field offset_days: a whole number is needed, not 'seven'",
        ),
        ("offset_days", "7.5", r"field offset_days: a whole number is needed, not Decimal\('7.5'\)"),
        ("template", "''", r"step 1 'reminder', field template: a non-empty text is needed"),
        ("min_overdue", ".inf", r"step 1 'reminder', field min_overdue: '.inf' is not an amount"),
        ("min_overdue", "[1]", r"step 1 'reminder', field min_overdue: an amount in GBP is needed"),
        ("group", "maybe", r"step 1 'reminder', field group: true or false is needed, not 'maybe'"),
        ("segments", "[vip]", r"field segments: 'vip' is not one of standard, key_account"),
        ("min_days_after_previous_step", "-3", r"step 1 'reminder': min_days_after_previous_step is -3"),
    ],
)
def test_bad_step_fields_are_refused_naming_step_and_field(field: str, value: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(one_step_policy(**{field: value}), source="ladder.yaml")


def test_a_legal_step_cannot_be_set_to_skip_approval() -> None:
    text = SMALL_POLICY.replace("    legal: true\n", "    legal: true\n    needs_approval: false\n")

    with pytest.raises(
        PolicyError, match="'letter before action', field needs_approval: a legal step always needs"
    ):
        parse_policy(text)


def test_steps_out_of_order_in_a_file_name_the_file_and_step() -> None:
    text = SMALL_POLICY.replace("offset_days: 104", "offset_days: 3")

    with pytest.raises(
        PolicyError, match=r"ladder.yaml: policy 'Small' v3, step 2 'letter before action': offset_days 3"
    ):
        parse_policy(text, source="ladder.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\n steps: [", r"ladder.yaml: line 2, column 7: not valid YAML or JSON"),
        ("- a list", "a policy is a mapping"),
        ("name: x\nversion: 1\n", "field steps: a list of at least one step is needed"),
        ("name: x\nversion: 1\ncurrency: ABC\nsteps: []", "field currency: unknown currency 'ABC'"),
        (
            "name: x\nsteps: [{name: a, offset_days: 1, channel: sms, template: t}]",
            "field version: a whole number",
        ),
        ("name: x\nversion: 1\ncolour: red\nsteps: []", "unknown field 'colour'"),
        (
            "name: x\nversion: 1\nsteps: [{name: a, offset_days: 1, channel: sms, template: t}]\nsegments: {vip: {}}",
            "segment 'vip': 'vip' is not one of",
        ),
    ],
)
def test_broken_policy_files_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, source="ladder.yaml")


# --- the shipped UK ladder -------------------------------------------------------------------


def test_default_uk_ladder_follows_common_practice() -> None:
    policy = default_uk()

    assert [(s.name, s.offset_days, s.channel.value) for s in policy.ladder_for({Segment.STANDARD})] == [
        ("friendly reminder", -7, "email"),
        ("due today", 0, "email"),
        ("first overdue reminder", 7, "email"),
        ("second overdue reminder", 14, "email"),
        ("phone call", 30, "call"),
        ("formal demand", 60, "letter"),
        ("final notice", 90, "letter"),
        ("letter before action", 104, "letter"),
        ("referral", 118, "letter"),
    ]
    assert [s.name for s in policy.steps if s.needs_approval] == ["letter before action", "referral"]
    assert all(s.legal for s in policy.steps if s.needs_approval)


def test_default_uk_ladder_gives_small_balances_email_only_and_key_accounts_calls_first() -> None:
    policy = default_uk()

    assert {s.channel for s in policy.ladder_for({Segment.SMALL_BALANCE})} == {Channel.EMAIL}
    key_channels = [s.channel for s in policy.ladder_for({Segment.KEY_ACCOUNT})]
    assert key_channels.index(Channel.CALL) < key_channels.index(Channel.LETTER)
    assert key_channels[key_channels.index(Channel.LETTER) - 1] is Channel.CALL


def test_shipped_policies_are_listed_and_an_unknown_one_is_refused() -> None:
    assert "default_uk" in shipped_policy_names()
    assert shipped_policy("default_uk") == default_uk()
    with pytest.raises(PolicyError, match="no shipped policy 'nope'; there are default_uk"):
        shipped_policy("nope")
