"""Message templates: Jinja2 in a sandbox, one set per language, one file per part.

Layout of the shipped set (`arrears/comms/templates/<language>/`), English first:

    email/<name>.subject.txt   email/<name>.txt   email/<name>.html
    sms/<name>.txt
    letter/<name>.html          (rendered to PDF on the letterhead)
    call/<name>.txt             call/<name>.html   (the call card: what to say)

`.html` parts are autoescaped; `.txt` parts are not (they are never read as HTML). Templates run
in Jinja's `ImmutableSandboxedEnvironment` with `StrictUndefined`: a template cannot reach
Python internals or change the values it is given, and a misspelt variable is an error, which
`check_templates` finds when a creditor is configured, not when a message is sent. Values from
the ledger (a debtor called `{{ 7*7 }}` or `<script>`) are data, never compiled as templates, so
they print as written (escaped in HTML).

A language without its own folder falls back to English. A creditor may keep its own templates
in a folder given to `TemplateLibrary(extra_dirs=...)`: files there, with the same names, take
precedence (and run in the same sandbox).

`TEMPLATES` is the catalogue: for every template of the default ladder and the confirmations,
its title, the channels it is written for, the brand fields it needs, what is attached and how
many days the debtor is given to answer. The context every template receives is documented in
docs/comms.md and built by `arrears.comms.context`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.core.policy import Channel, Policy, Segment

DEFAULT_LANGUAGE = "en"


class TemplateProblem(ArrearsError, ValueError):
    """A template that is missing, fails to render, or tries something the sandbox forbids."""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """What one template is and needs.

    - `channels`: the channels the shipped set has it for;
    - `requires`: brand fields it needs on every channel (each channel adds its own, `CHANNEL_NEEDS`);
    - `response_days`: days the debtor is given to pay or answer (`reply_by` in the context);
    - `attach_statement` / `attach_invoices`: emails carry a statement PDF / the invoice copies;
    - `transactional`: a confirmation the debtor asked for, not a collection contact: not
      counted against the contact cap;
    - `details`: which of `promise`, `plan`, `dispute` the caller must give;
    - `to_creditor`: the message goes to the creditor itself (`Brand.notify_address`), not to
      the debtor it is about (a dispute notice).
    """

    name: str
    title: str
    channels: frozenset[Channel]
    requires: frozenset[str] = frozenset()
    response_days: int | None = None
    attach_statement: bool = False
    attach_invoices: bool = False
    transactional: bool = False
    details: str | None = None
    legal: bool = False
    to_creditor: bool = False


E, S, L, C = Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.CALL

CHANNEL_NEEDS: Mapping[Channel, frozenset[str]] = {
    Channel.EMAIL: frozenset({"sender.email", "sender.name", "signature"}),
    Channel.SMS: frozenset({"sms_sender", "phone"}),
    Channel.LETTER: frozenset({"letterhead.address", "sender.address", "signature"}),
    Channel.CALL: frozenset({"phone"}),
}

_PAYS = frozenset({"payment", "phone"})

TEMPLATES: Mapping[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        TemplateSpec("friendly_reminder", "Payment reminder", frozenset({E, S}), _PAYS, attach_invoices=True),
        TemplateSpec("due_today", "Payment due today", frozenset({E, S}), _PAYS, attach_invoices=True),
        TemplateSpec("overdue_7_days", "Overdue payment", frozenset({E, S}), _PAYS, 7, attach_statement=True),
        TemplateSpec(
            "overdue_14_days", "Second reminder: overdue payment", frozenset({E, S}), _PAYS, 7, True
        ),
        TemplateSpec("call_30_days", "Call: 30 days overdue", frozenset({C}), _PAYS),
        TemplateSpec("key_account_call", "Call: key account", frozenset({C}), _PAYS),
        TemplateSpec("formal_demand", "Formal demand for payment", frozenset({L}), _PAYS, 7, True),
        TemplateSpec("final_notice", "Final notice before legal action", frozenset({L}), _PAYS, 14, True),
        TemplateSpec(
            "letter_before_action",
            "Letter before action",
            frozenset({L}),
            _PAYS,
            14,
            True,
            legal=True,
        ),
        TemplateSpec(
            "letter_of_claim_debt_protocol",
            "Letter of claim",
            frozenset({L}),
            _PAYS,
            30,
            True,
            legal=True,
        ),
        TemplateSpec(
            "referral_notice", "Notice of referral", frozenset({L}), frozenset({"phone"}), legal=True
        ),
        TemplateSpec(
            "payment_plan_confirmation",
            "Your payment plan",
            frozenset({E, S}),
            _PAYS,
            transactional=True,
            details="plan",
        ),
        TemplateSpec(
            "promise_confirmation",
            "Your promise to pay",
            frozenset({E, S}),
            _PAYS,
            transactional=True,
            details="promise",
        ),
        TemplateSpec(
            "dispute_acknowledgement",
            "We have received your query",
            frozenset({E}),
            frozenset({"phone"}),
            transactional=True,
            details="dispute",
        ),
        TemplateSpec("letter_copy", "Copy of our letter", frozenset({E}), frozenset(), transactional=True),
        TemplateSpec(
            "instalment_reminder",
            "Payment plan instalment due",
            frozenset({E}),
            _PAYS,
            transactional=True,
            details="plan",
        ),
        TemplateSpec(
            "dispute_notice_to_creditor",
            "A customer has disputed an invoice",
            frozenset({E}),
            frozenset({"notify_email"}),
            transactional=True,
            details="dispute",
            to_creditor=True,
        ),
    )
}
"""The shipped templates by name. `letter_copy` is the covering email of a letter's email copy."""

CONFIRMATIONS = (
    "payment_plan_confirmation",
    "promise_confirmation",
    "dispute_acknowledgement",
    "instalment_reminder",
    "dispute_notice_to_creditor",
)
"""Messages the deals send by email whatever the ladder: every brand is checked for them too."""

_PARTS: Mapping[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("subject.txt", "txt", "html"),
    Channel.SMS: ("txt",),
    Channel.LETTER: ("html",),
    Channel.CALL: ("txt", "html"),
}


def spec_for(name: str) -> TemplateSpec:
    """The catalogue entry of `name`; a template of a creditor's own (not in the catalogue) gets
    a plain spec: available on the channels its files exist for, no extra requirements."""
    return TEMPLATES.get(name) or TemplateSpec(name, name.replace("_", " ").capitalize(), frozenset())


def required_brand_fields(name: str, channel: Channel) -> frozenset[str]:
    """Every brand field rendering `name` on `channel` needs."""
    return CHANNEL_NEEDS[channel] | spec_for(name).requires


@dataclass(frozen=True, slots=True)
class RenderedParts:
    """What a template rendered: `subject` (email), `text`, `html` (email, letter, call card)."""

    subject: str | None
    text: str | None
    html: str | None


# --- filters -----------------------------------------------------------------------------------


@pass_context
def _money(context: Context, value: Money | None) -> str:
    """`{{ amount|money }}`: the amount as the message's locale writes it (£1,234.50)."""
    if value is None:
        return ""
    if not isinstance(value, Money):
        raise TemplateProblem(f"the money filter takes an amount, not {type(value).__name__}")
    return value.format(str(context.get("locale") or "en_GB"))


@pass_context
def _long_date(context: Context, value: date | None) -> str:
    """`{{ day|long_date }}`: 14 March 2026 (en_GB)."""
    if value is None:
        return ""
    return str(format_date(value, "long", locale=str(context.get("locale") or "en_GB")))


@pass_context
def _short_date(context: Context, value: date | None) -> str:
    """`{{ day|short_date }}`: 14/03/2026 (en_GB)."""
    if value is None:
        return ""
    return str(format_date(value, "short", locale=str(context.get("locale") or "en_GB")))


def _days(value: int) -> str:
    """`{{ 1|days }}`: '1 day'; `{{ 7|days }}`: '7 days'."""
    number = abs(int(value))
    return f"{number} day{'' if number == 1 else 's'}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    """`{{ n|plural('invoice') }}`: 'invoice' or 'invoices'."""
    return singular if int(count) == 1 else (plural or f"{singular}s")


def _join_amounts(amounts: Sequence[Money], locale: str = "en_GB") -> str:
    texts = [amount.format(locale) for amount in amounts]
    if len(texts) <= 1:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} and {texts[-1]}"


@pass_context
def _amounts(context: Context, values: Iterable[Money]) -> str:
    """`{{ totals|map(attribute='open')|amounts }}`: '£100.00' or '£100.00 and €50.00'."""
    return _join_amounts(list(values), str(context.get("locale") or "en_GB"))


FILTERS: Mapping[str, Callable[..., Any]] = {
    "money": _money,
    "long_date": _long_date,
    "short_date": _short_date,
    "days": _days,
    "plural": _plural,
    "amounts": _amounts,
}


# --- the library -------------------------------------------------------------------------------


class TemplateLibrary:
    """The compiled templates (compiled once, then cached by the environment)."""

    def __init__(self, extra_dirs: Sequence[Path] = ()) -> None:
        loaders: list[Any] = [FileSystemLoader([str(path) for path in extra_dirs])] if extra_dirs else []
        loaders.append(PackageLoader("arrears.comms", "templates"))
        self.environment = ImmutableSandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=True, default=False
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=2000,
        )
        self.environment.filters.update(FILTERS)
        self._languages: dict[str, str] = {}
        self._exists: dict[str, bool] = {}

    def _exists_file(self, path: str) -> bool:
        found = self._exists.get(path)
        if found is None:
            try:
                self.environment.get_template(path)
                found = True
            except TemplateNotFound:
                found = False
            self._exists[path] = found
        return found

    def language_for(self, language: str) -> str:
        """The template language used for a debtor's language ('en-GB' -> 'en'); English when
        there is no set for it."""
        cached = self._languages.get(language)
        if cached is None:
            code = (language or DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()
            cached = code if self._exists_file(f"{code}/email/_layout.html") else DEFAULT_LANGUAGE
            self._languages[language] = cached
        return cached

    def paths(self, name: str, channel: Channel, language: str) -> tuple[str, ...]:
        code = self.language_for(language)
        return tuple(f"{code}/{channel.value}/{name}.{part}" for part in _PARTS[channel])

    def has(self, name: str, channel: Channel, language: str = DEFAULT_LANGUAGE) -> bool:
        """Whether every part of `name` for `channel` exists."""
        return all(self._exists_file(path) for path in self.paths(name, channel, language))

    def missing_parts(self, name: str, channel: Channel, language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
        return tuple(path for path in self.paths(name, channel, language) if not self._exists_file(path))

    def render(self, name: str, channel: Channel, language: str, context: Mapping[str, Any]) -> RenderedParts:
        """Render every part of `name` for `channel`; a missing part or a failing template is a
        `TemplateProblem` naming the file."""
        parts: dict[str, str] = {}
        context = dict(context, text_part=None)
        for part, path in zip(_PARTS[channel], self.paths(name, channel, language), strict=True):
            try:
                template = self.environment.get_template(path)
            except TemplateNotFound:
                raise TemplateProblem(
                    f"there is no template {path}: template {name!r} has no {channel.value} version; "
                    "write one or change the step's channel"
                ) from None
            except TemplateError as error:
                raise TemplateProblem(f"template {path} does not compile: {error}") from None
            try:
                parts[part] = template.render(context)
                if part == "txt":
                    context["text_part"] = parts[part].strip()  # the HTML card shows it, escaped
            except SecurityError as error:
                raise TemplateProblem(f"template {path} tried something not allowed: {error}") from None
            except ArrearsError:
                raise
            except TemplateError as error:
                raise TemplateProblem(f"template {path} failed: {error}") from None
        subject = " ".join(parts["subject.txt"].split()) if "subject.txt" in parts else None
        text = parts["txt"].strip() + "\n" if "txt" in parts else None
        html = parts.get("html")
        return RenderedParts(subject, text, html)


@cache
def default_library() -> TemplateLibrary:
    """The shipped templates, compiled once per process."""
    return TemplateLibrary()


# --- what a policy needs -----------------------------------------------------------------------


def policy_templates(policy: Policy) -> tuple[tuple[str, Channel], ...]:
    """Every (template, channel) a debtor in any combination of segments can get under
    `policy`, plus the confirmations by email, in ladder order."""
    found: dict[tuple[str, Channel], None] = {}
    segments = list(Segment)
    for size in range(1, len(segments) + 1):
        for chosen in combinations(segments, size):
            for step in policy.ladder_for(chosen):
                found[(step.template, step.channel)] = None
    for name in CONFIRMATIONS:
        found[(name, Channel.EMAIL)] = None
    return tuple(found)


@dataclass(frozen=True, slots=True)
class TemplateCheck:
    """The outcome of checking a policy's templates against a library and a brand."""

    missing: tuple[str, ...] = ()
    needs: tuple[tuple[str, frozenset[str]], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.missing


def check_policy_templates(
    policy: Policy, library: TemplateLibrary, language: str = DEFAULT_LANGUAGE
) -> TemplateCheck:
    """Which templates the policy needs that the library lacks, and the brand fields each
    needs (labelled for `arrears.comms.brand.check_brand`)."""
    missing: list[str] = []
    needs: list[tuple[str, frozenset[str]]] = []
    for name, channel in policy_templates(policy):
        for path in library.missing_parts(name, channel, language):
            missing.append(f"{path} (template {name!r} on {channel.value})")
        needs.append((f"template {name!r} ({channel.value})", required_brand_fields(name, channel)))
    return TemplateCheck(tuple(missing), tuple(needs))
