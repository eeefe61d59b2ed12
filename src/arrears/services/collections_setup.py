"""Setting up a creditor's collections: its policy, its service, its holds, its time budget.

Each function is one small use case: it opens a unit of work, takes the creditor lock first
(so that it never interleaves with a running cycle), changes one thing and commits.

- **Policy** (`set_policy`): a YAML or JSON file (see docs/collections.md) becomes the
  creditor's next policy version; the version in the file is replaced by the stored one. A
  creditor that never set one runs on the shipped UK ladder (`policy_of`).
- **Service** (`turn_service_on`, `turn_service_off`): from a day (inclusive). A creditor whose
  service was never turned off is on.
- **Holds** (`add_hold`, `lift_hold`, `list_holds`): disputes, promises to pay (held until the
  promised date plus the grace, three days by default), payment plans, customers not to
  contact, insolvency; on a whole debtor or some of its documents.
- **Budget** (`set_budget`): controller hours per month, minutes per call, the amount at risk
  that flags an account on the worklist.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from arrears.core.errors import ArrearsError
from arrears.core.holds import DEFAULT_PROMISE_GRACE_DAYS, Hold, HoldReason, ServiceWindow, promise_to_pay
from arrears.core.money import Money
from arrears.core.policy import Policy
from arrears.core.policy_format import load_policy
from arrears.policies import default_uk
from arrears.store.repositories import CollectionSettings, StoredHold, StoredPolicy
from arrears.store.unit_of_work import UnitOfWork

RECORDABLE_HOLDS = (
    HoldReason.DISPUTE,
    HoldReason.PROMISE_TO_PAY,
    HoldReason.PAYMENT_PLAN,
    HoldReason.DO_NOT_CONTACT,
    HoldReason.INSOLVENCY,
)


class SetupError(ArrearsError, ValueError):
    """A set-up value that cannot be used: the message names it and what to give instead."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PolicyInForce:
    """The policy a creditor's cycles use; `stored` is None for the shipped default."""

    policy: Policy
    stored: StoredPolicy | None

    @property
    def source(self) -> str:
        return "the shipped UK ladder (no policy set)" if self.stored is None else self.stored.source


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    creditor: str
    windows: tuple[ServiceWindow, ...]
    on: date
    is_on: bool


def set_policy(
    uow: UnitOfWork, creditor: str, path: Path, *, by: str, now: Callable[[], datetime] = _now
) -> StoredPolicy:
    """Read a policy file and store it as the creditor's next version (a clear `PolicyError`,
    naming the file, step and field, if it cannot be used)."""
    policy = load_policy(path)
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.policies.add(creditor, policy, source=path.name, by=by, at=now())
        uow.commit()
    return stored


def policy_of(uow: UnitOfWork, creditor: str, *, version: int | None = None) -> PolicyInForce:
    """The creditor's current policy (or a given version)."""
    with uow:
        uow.creditors.get(creditor)
        stored = (
            uow.policies.get(creditor, version) if version is not None else uow.policies.current(creditor)
        )
    if stored is None:
        return PolicyInForce(default_uk(), None)
    return PolicyInForce(stored.policy, stored)


def policy_versions(uow: UnitOfWork, creditor: str) -> list[StoredPolicy]:
    with uow:
        uow.creditors.get(creditor)
        return uow.policies.versions(creditor)


def turn_service_on(uow: UnitOfWork, creditor: str, day: date) -> ServiceStatus:
    """The service is on from `day`: the next cycle catches up, one step per debtor at most."""
    with uow:
        uow.creditors.lock(creditor)
        uow.service_windows.turn_on(creditor, day)
        status = _status(uow, creditor, day)
        uow.commit()
    return status


def turn_service_off(uow: UnitOfWork, creditor: str, day: date) -> ServiceStatus:
    """The service is off from `day` (inclusive): cycles plan nothing for the creditor."""
    with uow:
        uow.creditors.lock(creditor)
        uow.service_windows.turn_off(creditor, day)
        status = _status(uow, creditor, day)
        uow.commit()
    return status


def service_status(uow: UnitOfWork, creditor: str, day: date) -> ServiceStatus:
    with uow:
        uow.creditors.get(creditor)
        return _status(uow, creditor, day)


def _status(uow: UnitOfWork, creditor: str, day: date) -> ServiceStatus:
    windows = tuple(uow.service_windows.windows(creditor))
    is_on = not windows or any(window.includes(day) for window in windows)
    return ServiceStatus(creditor, windows, day, is_on)


def parse_hold_reason(text: str) -> HoldReason:
    """A hold reason as a person types it ('dispute', 'promise-to-pay', 'do not contact')."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    for reason in RECORDABLE_HOLDS:
        if reason.value == wanted:
            return reason
    choices = ", ".join(reason.value for reason in RECORDABLE_HOLDS)
    raise SetupError(f"hold reason {text!r} is not one of {choices}")


def add_hold(
    uow: UnitOfWork,
    creditor: str,
    debtor: str,
    reason: HoldReason,
    *,
    documents: Iterable[str] = (),
    starts_on: date | None = None,
    ends_on: date | None = None,
    note: str = "",
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
    by: str,
    now: Callable[[], datetime] = _now,
) -> StoredHold:
    """Record a hold. For a promise to pay, `ends_on` is the promised date, and the hold runs
    `grace_days` beyond it (a payment made on the day can take days to arrive)."""
    numbers = frozenset(number.strip() for number in documents if number.strip())
    if reason is HoldReason.PROMISE_TO_PAY:
        if ends_on is None:
            raise SetupError(f"a promise to pay by {debtor} needs the promised date (--until)")
        hold = promise_to_pay(
            debtor, ends_on, documents=numbers, made_on=starts_on, grace_days=grace_days, note=note
        )
    else:
        hold = Hold(reason, debtor, numbers, starts_on=starts_on, ends_on=ends_on, note=note)
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.holds.add(creditor, hold, by=by, at=now())
        uow.commit()
    return stored


def lift_hold(uow: UnitOfWork, creditor: str, hold_id: int, on: date, *, note: str = "") -> StoredHold:
    """The hold no longer applies from `on`; the next cycle resumes the ladder where it fits."""
    with uow:
        uow.creditors.lock(creditor)
        lifted = uow.holds.lift(creditor, hold_id, on, note)
        uow.commit()
    return lifted


def list_holds(
    uow: UnitOfWork, creditor: str, *, debtor: str | None = None, active_on: date | None = None
) -> list[StoredHold]:
    with uow:
        return uow.holds.list_all(creditor, debtor=debtor, active_on=active_on)


def parse_hours(text: str) -> Decimal:
    """Hours as a person types them ('12', '7.5'), at most to the minute."""
    try:
        hours = Decimal(text.strip())
    except InvalidOperation:
        raise SetupError(f"{text!r} is not a number of hours; give e.g. 12 or 7.5") from None
    if not hours.is_finite() or hours < 0:
        raise SetupError(f"{text!r} is not a number of hours; give zero or more")
    if (hours * 60) != (hours * 60).to_integral_value():
        raise SetupError(f"{text!r} hours is not a whole number of minutes")
    return hours


def set_budget(
    uow: UnitOfWork,
    creditor: str,
    *,
    monthly_hours: Decimal | None = None,
    minutes_per_call: int | None = None,
    flag_above: str | None = None,
    clear_budget: bool = False,
    clear_flag: bool = False,
) -> CollectionSettings:
    """Change the worklist settings given (the others stay as they are)."""
    if minutes_per_call is not None and minutes_per_call < 1:
        raise SetupError(f"minutes per call must be at least 1, not {minutes_per_call}")
    with uow:
        uow.creditors.lock(creditor)
        currency = uow.creditors.get(creditor).currency
        settings = uow.collection_settings.get(creditor, currency)
        if monthly_hours is not None or clear_budget:
            settings = replace(settings, monthly_budget_hours=None if clear_budget else monthly_hours)
        if minutes_per_call is not None:
            settings = replace(settings, minutes_per_call=minutes_per_call)
        if flag_above is not None or clear_flag:
            settings = replace(
                settings, flag_above=None if clear_flag else _amount(flag_above or "", currency)
            )
        uow.collection_settings.set(creditor, settings)
        uow.commit()
    return settings


def _amount(text: str, currency: str) -> Money:
    try:
        money = Money.of(text, currency)
    except ArrearsError:
        raise SetupError(f"{text!r} is not an amount in {currency}; give e.g. 5000 or 2500.50") from None
    if money.is_negative or not money.is_whole_minor_units():
        raise SetupError(f"{text!r} is not an amount in {currency} of zero or more, in whole minor units")
    return money
