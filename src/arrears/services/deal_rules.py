"""Set a creditor's deal rules (what a controller may agree without asking the SME), and read
the rules in force.

A creditor that never set rules has `DealRules(currency=<its currency>)`: no settlement
discount, no fees, every write-off approved by a person, plans of at most 12 instalments over a
year, three days' grace (see `arrears.core.deal_rules`). Each change is a new version; the old
ones stay as the history.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from arrears.core.deal_rules import DealRules, DealRulesError
from arrears.core.deal_rules_format import parse_rules
from arrears.store.repositories import StoredRules
from arrears.store.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


def rules_in_force(uow: UnitOfWork, creditor: str) -> DealRules:
    """The creditor's current rules, or the defaults in its currency. Call inside a unit of work."""
    stored = uow.deals.rules(creditor)
    if stored is not None:
        return stored.rules
    return DealRules(currency=uow.creditors.get(creditor).currency)


def read_rules_file(path: Path) -> DealRules:
    """Deal rules from a YAML (or JSON) file; errors name the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DealRulesError(f"{path.name}: cannot be read: {error.strerror or error}") from None
    return parse_rules(text, source=path.name)


def set_deal_rules(
    uow: UnitOfWork, creditor: str, rules: DealRules, *, by: str, now: Callable[[], datetime] = _now
) -> StoredRules:
    """Record `rules` as the creditor's new rules (a new version)."""
    with uow:
        uow.creditors.lock(creditor)
        stored = uow.deals.set_rules(creditor, rules, by=by, at=now())
        uow.commit()
    return stored
