"""Deal rules as data: `DealRules` to and from a plain dict (JSON in the store, YAML from a file).

```yaml
currency: GBP
plans:
  max_instalments: 6          # null: no limit
  max_term_days: 180
  min_first_payment_percent: 20
  min_instalment: 50.00
  interest_frozen: true
  grace_days: 3
  reminder_days_before: 3
max_settlement_discount_percent: 20
fees:
  - {kind: returned_payment, amount: 25.00, description: returned direct debit}
dispute_mode: no_mediation    # or resolve
promise_grace_days: 3
write_off_without_approval_up_to: 10.00   # null: every write-off is approved by a person
```

Amounts and percentages are exact decimals (written as text in the dict this module makes, so
that JSON never turns them into binary fractions). Every field may be left out (the default of
`DealRules` applies); an unknown field is an error naming it, so a misspelt limit is never
silently ignored.
"""

from collections.abc import Mapping
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from arrears.core.deal_rules import DealRules, DealRulesError, FeeKind, FeeRule, PlanRules
from arrears.core.errors import ArrearsError
from arrears.core.money import Money

_PLAN_FIELDS = frozenset(f.name for f in fields(PlanRules))
_RULE_FIELDS = frozenset(f.name for f in fields(DealRules))
_FEE_FIELDS = frozenset({"kind", "amount", "description"})


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def rules_to_dict(rules: DealRules) -> dict[str, Any]:
    """The rules as a dict of plain values (amounts and percentages as decimal text)."""
    plans = rules.plans
    return {
        "currency": rules.currency,
        "plans": {
            "max_instalments": plans.max_instalments,
            "max_term_days": plans.max_term_days,
            "min_first_payment_percent": _text(plans.min_first_payment_percent),
            "min_instalment": None if plans.min_instalment is None else _text(plans.min_instalment.amount),
            "interest_frozen": plans.interest_frozen,
            "grace_days": plans.grace_days,
            "reminder_days_before": plans.reminder_days_before,
        },
        "max_settlement_discount_percent": _text(rules.max_settlement_discount_percent),
        "fees": [
            {"kind": fee.kind.value, "amount": _text(fee.amount.amount), "description": fee.description}
            for fee in rules.fees
        ],
        "dispute_mode": rules.dispute_mode.value,
        "promise_grace_days": rules.promise_grace_days,
        "write_off_without_approval_up_to": (
            None
            if rules.write_off_without_approval_up_to is None
            else _text(rules.write_off_without_approval_up_to.amount)
        ),
    }


def parse_rules(text: str, *, source: str = "deal rules") -> DealRules:
    """Deal rules from YAML or JSON text; numbers with a decimal point are read as exact
    decimals. `source` names the file in error messages."""
    import yaml  # imported here: only reading a rules file needs PyYAML

    loader: Any = type("DecimalSafeLoader", (yaml.SafeLoader,), {})
    loader.add_constructor("tag:yaml.org,2002:float", _exact_number)
    try:
        data = yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DealRulesError(f"{source}:{where} not valid YAML or JSON ({problem})") from None
    return rules_from_dict(data, source)


def _exact_number(loader: Any, node: Any) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text


def rules_from_dict(data: object, source: str = "deal rules") -> DealRules:
    """`DealRules` from a dict as `rules_to_dict` writes it (or a person writes it in YAML).

    Errors are `DealRulesError`s naming `source` and the field.
    """
    if not isinstance(data, Mapping):
        raise DealRulesError(
            f"{source}: expected a mapping of rule names to values, not {type(data).__name__}"
        )
    _no_unknown(data, _RULE_FIELDS, source)
    currency = str(data.get("currency", "GBP"))
    try:
        plans_data = data.get("plans") or {}
        if not isinstance(plans_data, Mapping):
            raise DealRulesError(f"{source}, plans: expected a mapping of plan limits")
        _no_unknown(plans_data, _PLAN_FIELDS, f"{source}, plans")
        plan_values: dict[str, Any] = {}
        for name in ("max_instalments", "max_term_days", "grace_days", "reminder_days_before"):
            if name in plans_data:
                plan_values[name] = _whole(plans_data[name], f"{source}, plans.{name}", optional=True)
        if "min_first_payment_percent" in plans_data:
            plan_values["min_first_payment_percent"] = _decimal(
                plans_data["min_first_payment_percent"], f"{source}, plans.min_first_payment_percent"
            )
        if plans_data.get("min_instalment") is not None:
            plan_values["min_instalment"] = _money(
                plans_data["min_instalment"], currency, f"{source}, plans.min_instalment"
            )
        if "interest_frozen" in plans_data:
            plan_values["interest_frozen"] = _flag(
                plans_data["interest_frozen"], f"{source}, plans.interest_frozen"
            )
        values: dict[str, Any] = {"currency": currency, "plans": PlanRules(**plan_values)}
        if "max_settlement_discount_percent" in data:
            values["max_settlement_discount_percent"] = _decimal(
                data["max_settlement_discount_percent"], f"{source}, max_settlement_discount_percent"
            )
        if "fees" in data:
            values["fees"] = tuple(
                _fee(item, currency, f"{source}, fees[{n}]") for n, item in enumerate(data["fees"] or ())
            )
        if "dispute_mode" in data:
            values["dispute_mode"] = str(data["dispute_mode"])
        if "promise_grace_days" in data:
            values["promise_grace_days"] = _whole(data["promise_grace_days"], f"{source}, promise_grace_days")
        if data.get("write_off_without_approval_up_to") is not None:
            values["write_off_without_approval_up_to"] = _money(
                data["write_off_without_approval_up_to"],
                currency,
                f"{source}, write_off_without_approval_up_to",
            )
        return DealRules(**values)
    except DealRulesError as error:
        message = str(error)
        raise DealRulesError(message if message.startswith(source) else f"{source}: {message}") from None
    except (ArrearsError, ValueError) as error:
        raise DealRulesError(f"{source}: {error}") from None


def _no_unknown(data: Mapping[Any, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise DealRulesError(
            f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(sorted(known))}"
        )


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise DealRulesError(f"{where}: {value!r} is not an exact number; write it as 20 or '2.5'")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise DealRulesError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite():
        raise DealRulesError(f"{where}: {value!r} is not a number")
    return result


def _money(value: object, currency: str, where: str) -> Money:
    return Money(_decimal(value, where), currency)


def _whole(value: object, where: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DealRulesError(f"{where}: {value!r} is not a whole number")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise DealRulesError(f"{where}: {value!r} is not true or false")
    return value


def _fee(item: object, currency: str, where: str) -> FeeRule:
    if not isinstance(item, Mapping):
        raise DealRulesError(f"{where}: expected kind, amount and description")
    _no_unknown(item, _FEE_FIELDS, where)
    try:
        kind = FeeKind(str(item.get("kind")))
    except ValueError:
        allowed = ", ".join(k.value for k in FeeKind)
        raise DealRulesError(f"{where}: kind {item.get('kind')!r} is not one of {allowed}") from None
    return FeeRule(
        kind, _money(item.get("amount"), currency, f"{where}.amount"), str(item.get("description", ""))
    )
