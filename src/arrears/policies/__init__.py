"""Escalation ladders shipped with Arrears, as YAML files in this package.

`default_uk()` is the ladder a new UK creditor starts from; its file, `default_uk.yaml`, is the
place to read what it does and why.
"""

from importlib.resources import files

from arrears.core.policy import Policy, PolicyError
from arrears.core.policy_format import parse_policy

DEFAULT_UK = "default_uk"


def shipped_policy_names() -> tuple[str, ...]:
    """Names of the shipped policies ('default_uk', ...)."""
    found = (entry.name for entry in files(__name__).iterdir() if entry.name.endswith(".yaml"))
    return tuple(sorted(name.removesuffix(".yaml") for name in found))


def shipped_policy(name: str) -> Policy:
    """A shipped policy by name; `PolicyError` names the file if it is broken."""
    resource = files(__name__).joinpath(f"{name}.yaml")
    if not resource.is_file():
        raise PolicyError(f"no shipped policy {name!r}; there are {', '.join(shipped_policy_names())}")
    return parse_policy(resource.read_text(encoding="utf-8"), source=f"{name}.yaml")


def default_uk() -> Policy:
    """The default UK ladder: reminders before and after the due date, a call at 30 days, a
    formal demand at 60, a final notice at 90, then, with approval, a letter before action and a
    referral to a collection agency or solicitor."""
    return shipped_policy(DEFAULT_UK)
