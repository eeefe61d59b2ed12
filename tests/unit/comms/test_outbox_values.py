"""The outbox's pure parts: back-off, rendering in worker processes, channels from settings."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from comms_builders import NOW, brand, creditor, customer, invoice

from arrears.comms.channels.email import SmtpTransport
from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.config import CommsSettings
from arrears.comms.message import OutboundAction
from arrears.comms.outbox import RetryPolicy, _Inputs, _render_in_parallel, render_actions
from arrears.core.errors import ArrearsError
from arrears.core.policy import Channel


def test_back_off_grows_by_the_factor_up_to_the_longest_delay_then_stops() -> None:
    policy = RetryPolicy(
        max_attempts=6, first_delay=timedelta(minutes=2), factor=3, longest_delay=timedelta(hours=1)
    )
    delays = [policy.delay_after(n) for n in range(1, 7)]
    assert delays == [
        timedelta(minutes=2),
        timedelta(minutes=6),
        timedelta(minutes=18),
        timedelta(minutes=54),
        timedelta(hours=1),
        None,
    ]
    with pytest.raises(ArrearsError):
        RetryPolicy(max_attempts=0)


def test_rendering_in_worker_processes_gives_the_same_messages_in_order() -> None:
    debtors = {f"C{i}": customer(account_code=f"C{i}", email=f"d{i}@x.example") for i in range(60)}
    documents = {
        code: [invoice(f"INV-{code}", date(2026, 4, 20), "100.00", debtor_code=code)] for code in debtors
    }
    inputs = _Inputs(creditor(), brand(), debtors, documents)
    actions = [
        OutboundAction(
            "ACME",
            code,
            "due today",
            Channel.EMAIL,
            "due_today",
            (f"INV-{code}",),
            f"k-{code}",
            "r",
            date(2026, 5, 4),
        )
        for code in debtors
    ] + [
        OutboundAction(
            "ACME", "NOBODY", "due today", Channel.EMAIL, "due_today", ("X",), "k-x", "r", date(2026, 5, 4)
        )
    ]
    serial = render_actions(actions, inputs, now=NOW)
    parallel = _render_in_parallel(actions, inputs, NOW, None, workers=2)
    assert parallel == serial
    assert [r.key for r in parallel[1]] == ["k-x"]


def test_without_an_smtp_host_email_goes_to_the_workspace_maildir(tmp_path: Path) -> None:
    channels = CommsSettings(smtp_host=None).channels(tmp_path)
    assert (
        isinstance(channels.email, MaildirTransport)
        and channels.email.root == tmp_path / "outbox" / "maildir"
    )
    assert (
        channels.sms is None
        and channels.letters is not None
        and channels.letters.root == tmp_path / "letters"
    )
    configured = CommsSettings(
        smtp_host="smtp.example",
        smtp_port=465,
        smtp_security="ssl",
        sms_gateway_url="https://gw.example",
        sms_account_sid="AC1",
    )  # type: ignore[arg-type]
    smtp = configured.channels(tmp_path)
    assert isinstance(smtp.email, SmtpTransport) and smtp.email.settings.port == 465 and smtp.sms is not None
