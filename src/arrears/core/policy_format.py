"""Policies as YAML or JSON: what a creditor's ladder looks like on disk and in the web app.

```yaml
name: UK standard
version: 1
currency: GBP                 # the currency of every amount below
small_balance_below: 100.00   # debtors owing less are in the small_balance segment
pause_after_payment_days: 7
claim_interest_from: letter before action   # this step and later ones claim statutory interest
contractual_interest_rate: 8  # optional: the contract's rate, % a year, instead of the statutory one
steps:
  - name: first overdue reminder
    offset_days: 7            # days after the due date; negative: before it
    channel: email            # email, sms, letter or call
    template: overdue_7_days
  - name: letter before action
    offset_days: 104
    channel: letter
    template: letter_before_action
    legal: true               # needs_approval is then always true
    min_overdue: 500.00
    only_if_no_payment_since_last_step: true
    min_days_after_previous_step: 14
segments:
  small_balance:
    channels: [email]
  key_account:
    changes:
      - step: first overdue reminder
        channel: call
        template: key_account_call
```

Numbers with a decimal point are read as exact `Decimal`s, never binary fractions. Unknown
fields are refused by name (a misspelt `needs_aproval` must not silently drop an approval), and
every error says where: file, step number and name, field.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from arrears.core.errors import ArrearsError
from arrears.core.money import Money, check_currency
from arrears.core.policy import Channel, Policy, PolicyError, Segment, SegmentRule, Step, StepChange

_POLICY_KEYS = frozenset(
    {
        "name",
        "version",
        "currency",
        "small_balance_below",
        "pause_after_payment_days",
        "claim_interest_from",
        "contractual_interest_rate",
        "steps",
        "segments",
    }
)
_STEP_KEYS = frozenset(
    {
        "name",
        "offset_days",
        "channel",
        "template",
        "needs_approval",
        "legal",
        "group",
        "min_overdue",
        "segments",
        "only_if_no_payment_since_last_step",
        "min_days_after_previous_step",
    }
)
_SEGMENT_KEYS = frozenset({"channels", "changes"})
_CHANGE_KEYS = frozenset({"step", "channel", "template", "min_days_after_previous_step"})

_Choice = TypeVar("_Choice", bound=StrEnum)


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    """A policy from YAML or JSON text; `source` names it in error messages (a file name)."""
    try:
        import yaml  # imported here: only reading a policy needs PyYAML
    except ImportError as missing:  # pragma: no cover - PyYAML is a dependency
        raise PolicyError(f"{source}: reading a policy needs PyYAML (pip install pyyaml)") from missing

    loader: Any = type("DecimalSafeLoader", (yaml.SafeLoader,), {})
    loader.add_constructor("tag:yaml.org,2002:float", _exact_number)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyError(f"{source}:{where} not valid YAML or JSON ({problem})") from None
    if not isinstance(data, Mapping):
        raise PolicyError(f"{source}: a policy is a mapping with name, version and steps")
    return policy_from_dict(data, source=source)


def load_policy(path: str | PathLike[str]) -> Policy:
    """A policy from a YAML or JSON file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"{file}: cannot read the policy ({error.strerror})") from None
    return parse_policy(text, source=file.name)


def _exact_number(loader: Any, node: Any) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # '.inf', '.nan': left as text, for the amount check to refuse by name


def policy_from_dict(data: Mapping[str, Any], *, source: str = "policy") -> Policy:
    """A policy from plain data (parsed YAML or JSON, a web form); the inverse of `policy_to_dict`."""
    _check_keys(data, _POLICY_KEYS, source)
    name = _text(data, "name", source)
    where = f"{source} (policy {name!r})"
    currency = _text(data, "currency", where, default="GBP")
    try:
        check_currency(currency)
    except ArrearsError as error:
        raise PolicyError(f"{where}, field currency: {error}") from None
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PolicyError(f"{where}, field steps: a list of at least one step is needed")
    steps = tuple(_step_from_dict(raw, f"{where}, step {n}", currency) for n, raw in enumerate(raw_steps, 1))
    raw_segments = data.get("segments") or {}
    if not isinstance(raw_segments, Mapping):
        raise PolicyError(f"{where}, field segments: a mapping of segment name to its rule is needed")
    rules = tuple(
        _segment_rule_from_dict(segment, raw, f"{where}, segment {segment!r}")
        for segment, raw in raw_segments.items()
    )
    version = _integer(data, "version", where)
    small_balance_below = _amount(data, "small_balance_below", where, currency)
    pause = _integer(data, "pause_after_payment_days", where, default=7)
    claim_from = (
        None if data.get("claim_interest_from") is None else _text(data, "claim_interest_from", where)
    )
    rate = _rate(data, "contractual_interest_rate", where)
    try:
        return Policy(name, version, steps, currency, small_balance_below, rules, pause, claim_from, rate)
    except PolicyError as error:
        raise PolicyError(f"{source}: {error}") from None


def _step_from_dict(raw: Any, where: str, currency: str) -> Step:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a step is a mapping with name, offset_days, channel and template")
    name = _text(raw, "name", where)
    where = f"{where} {name!r}"
    _check_keys(raw, _STEP_KEYS, where)
    legal = _flag(raw, "legal", where, default=False)
    needs_approval = _flag(raw, "needs_approval", where, default=legal)
    if legal and not needs_approval:
        raise PolicyError(
            f"{where}, field needs_approval: a legal step always needs the creditor's approval; "
            "set it to true or leave it out"
        )
    offset_days = _integer(raw, "offset_days", where)
    channel = _choice(Channel, raw.get("channel"), f"{where}, field channel")
    template = _text(raw, "template", where)
    group = _flag(raw, "group", where, default=True)
    min_overdue = _amount(raw, "min_overdue", where, currency)
    segments = frozenset(
        _choice(Segment, v, f"{where}, field segments") for v in _list(raw, "segments", where)
    )
    restart_elsewhere = _flag(raw, "only_if_no_payment_since_last_step", where, default=False)
    wait = _integer(raw, "min_days_after_previous_step", where, default=0)
    try:
        return Step(
            name,
            offset_days,
            channel,
            template,
            needs_approval=needs_approval,
            legal=legal,
            group=group,
            min_overdue=min_overdue,
            segments=segments,
            only_if_no_payment_since_last_step=restart_elsewhere,
            min_days_after_previous_step=wait,
        )
    except PolicyError as error:
        message = str(error).removeprefix(f"step {name!r}: ")
        raise PolicyError(f"{where}: {message}") from None


def _segment_rule_from_dict(segment: Any, raw: Any, where: str) -> SegmentRule:
    chosen = _choice(Segment, segment, where)
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a segment rule is a mapping with channels and/or changes")
    _check_keys(raw, _SEGMENT_KEYS, where)
    changes = []
    for n, change in enumerate(_list(raw, "changes", where), 1):
        at = f"{where}, change {n}"
        if not isinstance(change, Mapping):
            raise PolicyError(f"{at}: a change is a mapping with step and the fields it changes")
        _check_keys(change, _CHANGE_KEYS, at)
        channel, template, days = (
            change.get(key) for key in ("channel", "template", "min_days_after_previous_step")
        )
        changes.append(
            StepChange(
                step=_text(change, "step", at),
                channel=None if channel is None else _choice(Channel, channel, f"{at}, field channel"),
                template=None if template is None else _text(change, "template", at),
                min_days_after_previous_step=(
                    None if days is None else _integer(change, "min_days_after_previous_step", at)
                ),
            )
        )
    channels = frozenset(
        _choice(Channel, v, f"{where}, field channels") for v in _list(raw, "channels", where)
    )
    return SegmentRule(segment=chosen, channels=channels, changes=tuple(changes))


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Plain data for YAML or JSON (amounts as decimal strings); `policy_from_dict` reads it back."""
    result: dict[str, Any] = {
        "name": policy.name,
        "version": policy.version,
        "currency": policy.currency,
        "pause_after_payment_days": policy.pause_after_payment_days,
    }
    if policy.small_balance_below is not None:
        result["small_balance_below"] = str(policy.small_balance_below.amount)
    if policy.claim_interest_from is not None:
        result["claim_interest_from"] = policy.claim_interest_from
    if policy.contractual_interest_rate is not None:
        result["contractual_interest_rate"] = str(policy.contractual_interest_rate)
    result["steps"] = [_step_to_dict(step) for step in policy.steps]
    if policy.segment_rules:
        result["segments"] = {
            rule.segment.value: _segment_rule_to_dict(rule) for rule in policy.segment_rules
        }
    return result


def _step_to_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": step.name,
        "offset_days": step.offset_days,
        "channel": step.channel.value,
        "template": step.template,
        "needs_approval": step.needs_approval,
        "legal": step.legal,
        "group": step.group,
    }
    if step.min_overdue is not None:
        data["min_overdue"] = str(step.min_overdue.amount)
    if step.segments:
        data["segments"] = sorted(segment.value for segment in step.segments)
    if step.only_if_no_payment_since_last_step:
        data["only_if_no_payment_since_last_step"] = True
    if step.min_days_after_previous_step:
        data["min_days_after_previous_step"] = step.min_days_after_previous_step
    return data


def _segment_rule_to_dict(rule: SegmentRule) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rule.channels:
        data["channels"] = sorted(channel.value for channel in rule.channels)
    if rule.changes:
        data["changes"] = []
        for change in rule.changes:
            entry: dict[str, Any] = {"step": change.step}
            if change.channel is not None:
                entry["channel"] = change.channel.value
            if change.template is not None:
                entry["template"] = change.template
            if change.min_days_after_previous_step is not None:
                entry["min_days_after_previous_step"] = change.min_days_after_previous_step
            data["changes"].append(entry)
    return data


def _check_keys(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise PolicyError(
            f"{where}: unknown field {', '.join(map(repr, unknown))}; the fields are {', '.join(sorted(allowed))}"
        )


def _text(data: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}, field {key}: a non-empty text is needed, not {value!r}")
    return value.strip()


def _integer(data: Mapping[str, Any], key: str, where: str, *, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{where}, field {key}: a whole number is needed, not {value!r}")
    return value


def _flag(data: Mapping[str, Any], key: str, where: str, *, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{where}, field {key}: true or false is needed, not {value!r}")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyError(f"{where}, field {key}: a list is needed, not {value!r}")
    return value


def _amount(data: Mapping[str, Any], key: str, where: str, currency: str) -> Money | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise PolicyError(f"{where}, field {key}: an amount in {currency} is needed, not {value!r}")
    try:
        return Money.of(value, currency)
    except ArrearsError as error:
        raise PolicyError(f"{where}, field {key}: {error}") from None


def _rate(data: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """A rate in per cent a year, exact: a decimal, a whole number or a decimal string (a binary
    float from JSON is refused, as amounts are)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise PolicyError(
            f"{where}, field {key}: a rate in per cent a year is needed, as a decimal or a string "
            f'such as "8.5", not {value!r}'
        )
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise PolicyError(f"{where}, field {key}: {value!r} is not a number (per cent a year)") from None
    if not rate.is_finite():
        raise PolicyError(f"{where}, field {key}: {value!r} is not a number (per cent a year)")
    return rate


def _choice(kind: type[_Choice], value: Any, where: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise PolicyError(f"{where}: {value!r} is not one of {choices}") from None
