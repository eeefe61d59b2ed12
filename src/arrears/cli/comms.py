"""Commands of the comms area: brands, previews, sending, the outbox and call logs."""

import getpass
import json
import re
import sys
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.app import (
    AsOf,
    CreditorOption,
    OutputFormat,
    app,
    clear_errors,
    console,
    parse_date,
    state,
    store,
)
from arrears.comms.brand import brand_to_dict
from arrears.comms.channels.call import CallDirection, CallLog, CallOutcome
from arrears.comms.channels.email import email_bytes
from arrears.comms.config import CommsSettings
from arrears.comms.dispatcher import Outcome
from arrears.comms.message import MessageStatus
from arrears.comms.outbox import retry_messages
from arrears.comms.samples import sample_brand
from arrears.comms.service import (
    SendReport,
    check_again,
    confirm_sent,
    preview,
    read_brand_file,
    retry_unsent,
    send,
    set_brand,
    show_brand,
)
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.core.policy import Channel
from arrears.services.worklist import log_call

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]

brand_app = typer.Typer(help="How a creditor appears in its messages.", no_args_is_help=True)
app.add_typer(brand_app, name="brand")
outbox_app = typer.Typer(help="Messages queued, sent, failed and dead.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
call_app = typer.Typer(help="Log calls made and received.", no_args_is_help=True)
app.add_typer(call_app, name="call")


def _now() -> datetime:
    return datetime.now(UTC)


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "arrears"


def parse_promise(amount: str | None, on: str | None, currency: str) -> tuple[Money | None, date | None]:
    """--amount and --on of a promise taken on the phone."""
    promised = None
    if amount is not None:
        try:
            promised = Money.of(Decimal(amount), currency)
        except (InvalidOperation, ArrearsError):
            raise ArrearsError(f"--amount {amount!r} is not an amount; write it as 250.00") from None
    promised_on = None
    if on is not None:
        try:
            promised_on = date.fromisoformat(on)
        except ValueError:
            raise ArrearsError(f"--on {on!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-23") from None
    return promised, promised_on


@brand_app.command("set")
@clear_errors
def brand_set(
    creditor: Creditor,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A brand file (YAML or JSON).")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Use the fictional sample brand (demos).")] = False,
) -> None:
    """Set a creditor's brand, checked against every template its policy can use."""
    if (file is None) == (not sample):
        raise ArrearsError("give a brand file with --file, or --sample for the sample brand")
    with store() as opened:
        if sample:
            with opened.unit_of_work() as uow:
                brand = sample_brand(uow.creditors.get(creditor))
        else:
            assert file is not None
            brand = read_brand_file(file, creditor)
        set_brand(opened.unit_of_work(), brand, at=_now())
    console.print(f"brand of {creditor} set: {brand.trading_name} ({brand.mode.value.replace('_', ' ')})")


@brand_app.command("show")
@clear_errors
def brand_show(creditor: Creditor) -> None:
    """Print a creditor's brand as a brand file (YAML-compatible JSON)."""
    with store() as opened:
        brand = show_brand(opened.unit_of_work(), creditor)
    data = brand_to_dict(brand)
    data["logo"] = f"({brand.logo.media_type}, {len(brand.logo.data)} bytes)" if brand.logo else None
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command("preview")
@clear_errors
def preview_command(
    step: Annotated[str, typer.Argument(help="The step's name, e.g. 'formal demand'.")],
    debtor: Annotated[str, typer.Option("--debtor", "-d", help="The debtor's account code.")],
    creditor: Creditor,
    as_of: AsOf = None,
    channel: Annotated[Channel | None, typer.Option("--channel", help="Override the step's channel.")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the HTML, PDF and .eml files [workspace/previews]."),
    ] = None,
) -> None:
    """Render the message a step would send a debtor, print it and keep its files."""
    day = parse_date(as_of)
    with store() as opened:
        messages = preview(
            opened.unit_of_work(), creditor, debtor, step, as_of=day, now=_now(), channel=channel
        )
    folder = out or state.settings.home / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    for message in messages:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", f"{message.template}-{message.channel.value}-{debtor}")
        console.rule(f"{message.channel.value}: {message.subject}")
        if message.channel is Channel.EMAIL:
            console.print(f"From: {message.sender} <{message.sender_address}>", highlight=False, markup=False)
            console.print(f"To: {', '.join(message.recipients)}", highlight=False, markup=False)
            (folder / f"{stem}.eml").write_bytes(email_bytes(message))
        console.print(message.text, highlight=False, markup=False)
        if message.html is not None:
            (folder / f"{stem}.html").write_text(message.html, encoding="utf-8")
        for attachment in message.attachments:
            if attachment.media_type == "application/pdf":
                (folder / attachment.filename).write_bytes(attachment.data)
                console.print(f"attachment: {folder / attachment.filename}", highlight=False, markup=False)
    console.print(f"files in {folder}", highlight=False, markup=False)


@app.command("send")
@clear_errors
def send_command(
    creditor: CreditorOption = None,
    no_queue: Annotated[
        bool, typer.Option("--no-queue", help="Only drain the outbox; do not queue ready actions.")
    ] = False,
) -> None:
    """Queue the actions ready for delivery (call tasks included) and deliver the outbox (SMTP,
    or the workspace maildir when no SMTP server is set), within contact hours and caps."""
    settings = CommsSettings()
    with store() as opened:
        report = send(
            opened.unit_of_work,
            settings,
            state.settings.home,
            creditor=creditor,
            queue_ready_actions=not no_queue,
        )
    print_send_report(report, settings)


def print_send_report(report: SendReport, settings: CommsSettings) -> None:
    """What `send` (or `cycle --send`) queued and delivered, for a person."""
    for code, queued in report.queued.items():
        if queued.queued or queued.refused:
            console.print(f"{code}: queued {len(queued.queued)}, refused {len(queued.refused)}")
        for refused in queued.refused:
            console.print(f"  refused {refused.debtor}: {refused.reason}", highlight=False, markup=False)
    for code, problem in report.problems.items():
        console.print(f"[yellow]{code}: nothing queued: {problem}[/]", highlight=False)
    console.print(f"delivered: {report.dispatched.summary()}")
    for path in report.dispatched.print_batches:
        console.print(f"print batch: {path}", highlight=False, markup=False)
    checking = report.dispatched.count(Outcome.NEEDS_CHECKING)
    if checking:
        console.print(
            f"[yellow]{checking} SMS need checking (an interrupted hand-over): see arrears outbox list "
            "--needs-checking[/]",
            highlight=False,
        )
    if not settings.smtp_host:
        console.print(
            f"emails are in {state.settings.home / 'outbox' / 'maildir' / 'new'}",
            highlight=False,
            markup=False,
        )


@outbox_app.command("list")
@clear_errors
def outbox_list(
    creditor: Creditor,
    status: Annotated[
        MessageStatus | None, typer.Option("--status", help="Only messages in this status.")
    ] = None,
    debtor: Annotated[str | None, typer.Option("--debtor", "-d")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    needs_checking: Annotated[
        bool,
        typer.Option("--needs-checking", help="Only SMS whose hand-over was interrupted: a person checks."),
    ] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """The creditor's messages, newest first."""
    with store() as opened, opened.unit_of_work() as uow:
        messages = uow.outbox.list_messages(
            creditor, status=status, debtor=debtor, limit=limit, needs_checking=needs_checking
        )
    if output is OutputFormat.JSON:
        rows = [
            {
                "key": m.key,
                "debtor": m.debtor,
                "channel": m.channel.value,
                "template": m.template,
                "subject": m.subject,
                "status": m.status.value,
                "needs_checking": m.needs_checking,
                "attempts": m.attempts,
                "next_attempt_at": m.next_attempt_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "last_error": m.last_error,
                "delivery": m.delivery,
            }
            for m in messages
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table("key", "debtor", "channel", "template", "status", "tries", "next / sent", "error")
    for m in messages:
        when = m.sent_at or m.next_attempt_at
        table.add_row(
            m.key,
            m.debtor,
            m.channel.value,
            m.template,
            m.state + (f" ({m.delivery})" if m.delivery else ""),
            str(m.attempts),
            when.strftime("%Y-%m-%d %H:%M"),
            (m.last_error or "")[:60],
        )
    console.print(table)
    unchecked = [m for m in messages if m.needs_checking]
    if unchecked:
        console.print(
            f"{len(unchecked)} message(s) need checking: the SMS gateway may have sent them. Check its log "
            f"(or run arrears outbox check --creditor {creditor}), then arrears outbox confirm-sent "
            f"--creditor {creditor} KEY [--sid SID] if it went, or arrears outbox retry --creditor {creditor} "
            "KEY --confirm-not-sent if it did not.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@outbox_app.command("retry")
@clear_errors
def outbox_retry(
    creditor: Creditor,
    keys: Annotated[
        list[str] | None,
        typer.Argument(help="Message keys; default every dead message but those that need checking."),
    ] = None,
    confirm_not_sent: Annotated[
        bool,
        typer.Option(
            "--confirm-not-sent",
            help="The named messages need checking and you checked the gateway: they were not sent.",
        ),
    ] = False,
) -> None:
    """Queue dead messages again (all of the creditor's, or those named). A message that needs
    checking is queued again only when named with --confirm-not-sent."""
    with store() as opened:
        if confirm_not_sent:
            count = retry_unsent(opened.unit_of_work(), creditor, keys or [], now=_now())
        else:
            count = retry_messages(opened.unit_of_work(), creditor, now=_now(), keys=keys or None)
        with opened.unit_of_work() as uow:
            unchecked = len(uow.outbox.list_messages(creditor, needs_checking=True, limit=None))
    console.print(f"{count} message{'s' if count != 1 else ''} queued again")
    if unchecked and not keys:
        console.print(
            f"{unchecked} message(s) that need checking were left alone: see arrears outbox list "
            f"--creditor {creditor} --needs-checking",
            highlight=False,
            markup=False,
        )


@outbox_app.command("confirm-sent")
@clear_errors
def outbox_confirm_sent(
    key: Annotated[str, typer.Argument(help="The key of a message that needs checking.")],
    creditor: Creditor,
    sid: Annotated[
        str | None, typer.Option("--sid", help="The gateway's id of the SMS, if you have it.")
    ] = None,
) -> None:
    """Record as sent a message that needs checking, once the gateway's log shows it went."""
    with store() as opened:
        stored = confirm_sent(opened.unit_of_work(), creditor, key, at=_now(), by=_who(), sid=sid)
    console.print(f"message {stored.key} recorded sent{f' ({sid})' if sid else ''}", highlight=False)


@outbox_app.command("check")
@clear_errors
def outbox_check(creditor: Creditor) -> None:
    """Ask the SMS gateway again for the messages that need checking; those it has are recorded sent."""
    with store() as opened:
        results = check_again(opened.unit_of_work, CommsSettings(), state.settings.home, creditor)
    for result in results:
        console.print(f"{result.key}: {result.detail}", highlight=False, markup=False, soft_wrap=True)
    if not results:
        console.print(f"creditor {creditor} has no message that needs checking")


@outbox_app.command("timeline")
@clear_errors
def outbox_timeline(creditor: Creditor, debtor: Annotated[str, typer.Option("--debtor", "-d")]) -> None:
    """A debtor's comms timeline: messages queued, sent, bounced, delivered; opt-outs; calls."""
    with store() as opened, opened.unit_of_work() as uow:
        events = uow.outbox.timeline(creditor, debtor)
    table = Table("when", "what", "channel", "detail")
    for event in events:
        table.add_row(
            event.occurred_at.strftime("%Y-%m-%d %H:%M"),
            event.kind.value,
            event.channel.value if event.channel else "",
            event.detail,
        )
    console.print(table)


@call_app.command("log")
@clear_errors
def call_log(
    creditor: Creditor,
    debtor: Annotated[str, typer.Option("--debtor", "-d")],
    outcome: Annotated[CallOutcome, typer.Option("--outcome")],
    inbound: Annotated[bool, typer.Option("--inbound", help="The debtor called us.")] = False,
    task: Annotated[int | None, typer.Option("--task", help="The call task this call was for.")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    by: Annotated[str | None, typer.Option("--by", help="Who made or took the call.")] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Amount promised (with --outcome promise).")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Date promised (YYYY-MM-DD).")] = None,
) -> None:
    """Log a call's outcome (no_answer, promise, dispute, wrong_number, paid, other); with
    --task, the call task closes and its action counts as worked (as `worklist done`)."""
    with store() as opened:
        with opened.unit_of_work() as uow:
            currency = uow.debtors.get(creditor, debtor).currency
        promised, promised_on = parse_promise(amount, on, currency)
        call = CallLog(
            creditor=creditor,
            debtor=debtor,
            direction=CallDirection.INBOUND if inbound else CallDirection.OUTBOUND,
            outcome=outcome,
            logged_at=_now(),
            note=note,
            controller=by,
            task_id=task,
            promised_amount=promised,
            promised_on=promised_on,
        )
        worked = log_call(opened.unit_of_work(), creditor, call)
    console.print(call.describe(), highlight=False, markup=False)
    if worked is not None:
        console.print(f"call task {task} done: action {worked.id} ({worked.step!r}) worked", highlight=False)
