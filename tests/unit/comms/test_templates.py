"""Templates: a complete default set for the default ladder, rendered in a sandbox where
debtor-supplied text is data, never template code."""

from datetime import date
from pathlib import Path

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice

from arrears.comms.message import OutboundAction
from arrears.comms.render import render_action
from arrears.comms.templates import (
    CONFIRMATIONS,
    TEMPLATES,
    TemplateLibrary,
    TemplateProblem,
    check_policy_templates,
    default_library,
    policy_templates,
)
from arrears.core.policy import Channel
from arrears.policies import default_uk

DUE = date(2026, 3, 2)


def _action(template: str, channel: Channel, documents: tuple[str, ...] = ("INV-1",)) -> OutboundAction:
    return OutboundAction(
        "ACME", "C100", template, channel, template, documents, f"key-{template}", "test", date(2026, 5, 4)
    )


def test_every_template_the_default_ladder_can_use_exists() -> None:
    needed = policy_templates(default_uk())
    names = {name for name, _ in needed}
    assert {
        "friendly_reminder",
        "due_today",
        "overdue_7_days",
        "overdue_14_days",
        "call_30_days",
        "key_account_call",
        "formal_demand",
        "final_notice",
        "letter_before_action",
        "letter_of_claim_debt_protocol",
        "referral_notice",
        *CONFIRMATIONS,
    } <= names
    checked = check_policy_templates(default_uk(), default_library())
    assert checked.ok, checked.missing


def test_every_shipped_template_has_its_parts_on_every_channel_it_claims() -> None:
    library = default_library()
    for name, spec in TEMPLATES.items():
        for channel in spec.channels:
            assert library.has(name, channel), library.missing_parts(name, channel)


def test_a_template_missing_for_a_channel_is_reported_with_its_file() -> None:
    assert default_library().missing_parts("formal_demand", Channel.SMS) == ("en/sms/formal_demand.txt",)


HOSTILE_NAME = "Evil {{ 7*191 }} <script>alert('x')</script> Ltd"


@pytest.mark.parametrize(
    ("template", "channel"), [("overdue_7_days", Channel.EMAIL), ("formal_demand", Channel.LETTER)]
)
def test_debtor_names_with_template_syntax_or_script_render_as_text(template: str, channel: Channel) -> None:
    debtor = customer(name=HOSTILE_NAME, contact="Mr {{ config }} <b>Bold</b>")
    message = render_action(
        _action(template, channel),
        creditor=creditor(),
        debtor=debtor,
        documents=[invoice("INV-1", DUE, "120.00")],
        brand=brand(),
        now=NOW,
    )[0]
    assert "1337" not in message.text
    assert "Dear Mr {{ config }} <b>Bold</b>," in message.text
    assert message.html is not None
    assert "<script>" not in message.html and "<b>Bold</b>" not in message.html
    assert "Mr {{ config }} &lt;b&gt;Bold&lt;/b&gt;" in message.html
    if channel is Channel.LETTER:
        assert "Evil {{ 7*191 }} &lt;script&gt;" in message.html


def test_the_sandbox_refuses_a_creditor_template_reaching_python_internals(tmp_path: Path) -> None:
    (tmp_path / "en" / "sms").mkdir(parents=True)
    (tmp_path / "en" / "sms" / "due_today.txt").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    library = TemplateLibrary(extra_dirs=[tmp_path])
    with pytest.raises(TemplateProblem, match="not allowed"):
        render_action(
            _action("due_today", Channel.SMS),
            creditor=creditor(),
            debtor=customer(),
            documents=[invoice("INV-1", DUE, "120.00")],
            brand=brand(),
            now=NOW,
            library=library,
        )


def test_the_sandbox_refuses_a_template_changing_its_values(tmp_path: Path) -> None:
    (tmp_path / "en" / "sms").mkdir(parents=True)
    (tmp_path / "en" / "sms" / "due_today.txt").write_text("{% set xs = [1] %}{{ xs.append(2) }}")
    with pytest.raises(TemplateProblem, match="not allowed"):
        TemplateLibrary(extra_dirs=[tmp_path]).render("due_today", Channel.SMS, "en", {})


def test_a_misspelt_variable_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "en" / "sms").mkdir(parents=True)
    (tmp_path / "en" / "sms" / "due_today.txt").write_text("Hello {{ debtr.name }}")
    with pytest.raises(TemplateProblem, match=r"en/sms/due_today.txt failed: 'debtr' is undefined"):
        TemplateLibrary(extra_dirs=[tmp_path]).render("due_today", Channel.SMS, "en", {})


def test_a_creditors_own_template_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "en" / "sms").mkdir(parents=True)
    (tmp_path / "en" / "sms" / "due_today.txt").write_text(
        "{{ presenter.name }}: pay {{ total.open|money }} today"
    )
    (message,) = render_action(
        _action("due_today", Channel.SMS),
        creditor=creditor(),
        debtor=customer(),
        documents=[invoice("INV-1", DUE, "120.00")],
        brand=brand(),
        now=NOW,
        library=TemplateLibrary(extra_dirs=[tmp_path]),
    )
    assert message.text == "Acme Widgets: pay £120.00 today"


def test_a_language_without_templates_falls_back_to_english() -> None:
    library = default_library()
    assert library.language_for("fr-FR") == "en"
    assert library.language_for("en_GB") == "en"
