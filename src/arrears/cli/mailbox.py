"""Commands of the mailbox area: `arrears mailbox ingest` (take a creditor's new messages from a
Maildir or an IMAP folder), `list` (what was taken, or the PDFs waiting to be keyed in), `save`
(a PDF to open) and `keyed` (a PDF has been keyed in)."""

import getpass
import os
import ssl
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from arrears.cli.app import app, clear_errors, console, store
from arrears.cli.intake import Mode, profile_folders
from arrears.core.errors import ArrearsError
from arrears.intake.mailbox import MailSource
from arrears.intake.mailbox_imap import ImapSettings, ImapSource
from arrears.intake.mailbox_maildir import MaildirSource
from arrears.services.mailbox_intake import (
    IngestReport,
    ingest_mailbox,
    mailbox_messages,
    mark_keyed,
    pdf_to_key,
    to_key,
)
from arrears.store.repositories.mailbox import StoredAttachment, StoredMailMessage

PASSWORD_VARIABLE = "ARREARS_IMAP_PASSWORD"

mailbox_app = typer.Typer(
    help="Intake mailboxes: ledgers and invoices that creditors send by email.", no_args_is_help=True
)
app.add_typer(mailbox_app, name="mailbox")

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
OUTCOMES = {
    "imported": "imported",
    "rejected": "rejected",
    "to_key": "to key in",
    "keyed": "keyed",
    "ignored": "ignored",
}


class Security(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


def _plain(text: str) -> Text:
    """A sender's text shown as it is: a subject such as "[bold]" is not Rich markup."""
    return Text(text)


@mailbox_app.command("ingest")
@clear_errors
def ingest_command(
    creditor: Creditor,
    maildir: Annotated[
        Path | None, typer.Option("--maildir", help="A Maildir folder (with cur, new, tmp).")
    ] = None,
    imap_host: Annotated[str | None, typer.Option("--imap-host", help="The IMAP server.")] = None,
    imap_user: Annotated[str | None, typer.Option("--imap-user", help="The mailbox's login.")] = None,
    imap_folder: Annotated[str, typer.Option("--imap-folder", help="The folder to read.")] = "INBOX",
    imap_port: Annotated[
        int | None, typer.Option("--imap-port", help="[993 for ssl, 143 for starttls]")
    ] = None,
    imap_security: Annotated[
        Security, typer.Option("--imap-security", help="ssl (IMAPS) or starttls.")
    ] = Security.SSL,
    imap_cafile: Annotated[
        Path | None,
        typer.Option("--imap-cafile", help="A CA certificate file, for a server with a private CA."),
    ] = None,
    mode: Annotated[
        Mode, typer.Option(help="How ledgers that arrive are imported: full or part.")
    ] = Mode.FULL,
) -> None:
    """Take the new messages of a creditor's mailbox: ledgers imported, PDFs listed to key in.

    The IMAP password is read from ARREARS_IMAP_PASSWORD, never from the command line."""
    source = _source(maildir, imap_host, imap_user, imap_folder, imap_port, imap_security, imap_cafile)
    with store() as opened, source:
        report = ingest_mailbox(
            opened.unit_of_work(), creditor, source, profile_folders=profile_folders(), mode=mode.value
        )
    _render_ingest(report)


def _source(
    maildir: Path | None,
    host: str | None,
    user: str | None,
    folder: str,
    port: int | None,
    security: Security,
    cafile: Path | None,
) -> MailSource:
    if (maildir is None) == (host is None):
        raise ArrearsError("name one mailbox: --maildir DIR, or --imap-host HOST with --imap-user USER")
    if maildir is not None:
        return MaildirSource(maildir)
    assert host is not None
    if not user:
        raise ArrearsError("--imap-host needs --imap-user (the mailbox's login)")
    password = os.environ.get(PASSWORD_VARIABLE)
    if not password:
        raise ArrearsError(f"set {PASSWORD_VARIABLE} to the password of {user} on {host}")
    context: ssl.SSLContext | None = None
    if cafile is not None:
        try:
            context = ssl.create_default_context(cafile=str(cafile))
        except (OSError, ssl.SSLError) as error:
            raise ArrearsError(f"--imap-cafile {cafile}: not a readable CA certificate ({error})") from None
    settings = ImapSettings(
        host=host,
        user=user,
        password=password,
        folder=folder,
        port=port,
        security=security.value,
        ssl_context=context,
    )
    return ImapSource(settings)


def _render_ingest(report: IngestReport) -> None:
    console.print(
        Text(
            f"{report.mailbox} for {report.creditor}: {len(report.messages)} message(s) taken, "
            f"{report.already_taken} taken before"
        )
    )
    for message in report.messages:
        _print_message(message)
    console.print(
        f"attachments: {report.count('imported')} imported, {report.count('rejected')} rejected, "
        f"{report.count('to_key')} to key in, {report.count('ignored')} ignored; messages: "
        f"{report.messages_with('ignored')} ignored, {report.messages_with('malformed')} malformed",
        highlight=False,
    )


def _print_message(message: StoredMailMessage) -> None:
    head = f"message #{message.id} {_when(message.received_at)} from {message.sender}: {message.subject!r}"
    console.print(
        Text(f"{head} - {message.status}" + (f": {message.note}" if message.note else "")), soft_wrap=True
    )
    for attachment in message.attachments:
        first, *rest = attachment.detail.splitlines() or [""]
        outcome = OUTCOMES[attachment.outcome]
        console.print(
            Text(f"  attachment #{attachment.id} {attachment.filename}: {outcome} - {first}"), soft_wrap=True
        )
        for line in rest:
            console.print(Text(f"    {line}"), soft_wrap=True)


@mailbox_app.command("list")
@clear_errors
def list_command(
    creditor: Creditor,
    waiting: Annotated[
        bool, typer.Option("--to-key", help="Only the PDF invoices waiting to be keyed in.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="How many messages, newest first.")] = 50,
) -> None:
    """What the creditor's mailbox brought, or (--to-key) the PDFs waiting for a person."""
    with store() as opened:
        if waiting:
            _render_to_key(creditor, to_key(opened.unit_of_work(), creditor))
            return
        messages = mailbox_messages(opened.unit_of_work(), creditor, limit=limit)
    console.print(f"{creditor}: {len(messages)} message(s) from the mailbox, newest first", highlight=False)
    for message in messages:
        _print_message(message)


def _render_to_key(creditor: str, waiting: list[StoredAttachment]) -> None:
    if not waiting:
        console.print(f"{creditor}: no PDF waiting to be keyed in", highlight=False)
        return
    table = Table(title=f"{creditor}: PDF invoices to key in, oldest first ({len(waiting)})")
    for heading in ("id", "received (UTC)", "from", "subject", "file", "size"):
        table.add_column(heading, justify="right" if heading in ("id", "size") else "left")
    for attachment in waiting:
        table.add_row(
            str(attachment.id),
            _when(attachment.received_at),
            _plain(attachment.sender),
            _plain(attachment.subject),
            _plain(attachment.filename),
            f"{attachment.size:,}",
        )
    console.print(table)
    console.print(
        f"open one with `arrears mailbox save ID -c {creditor}`; when it is keyed in, "
        f"`arrears mailbox keyed ID -c {creditor}`",
        highlight=False,
        markup=False,
    )


@mailbox_app.command("save")
@clear_errors
def save_command(
    attachment_id: Annotated[int, typer.Argument(help="The attachment's id (from `mailbox list`).")],
    creditor: Creditor,
    to: Annotated[
        Path | None, typer.Option("--to", help="Where to write it [./ID-FILENAME in this folder].")
    ] = None,
) -> None:
    """Write a PDF waiting to be keyed in (or keyed already) to a file, to open it."""
    with store() as opened:
        attachment, content = pdf_to_key(opened.unit_of_work(), creditor, attachment_id)
    target = to or Path(f"{attachment.id}-{_safe(attachment.filename)}")
    if target.exists():
        raise ArrearsError(f"{target} exists already: choose another with --to")
    try:
        target.write_bytes(content)
    except OSError as error:
        raise ArrearsError(f"cannot write {target}: {error.strerror or error}") from None
    console.print(Text(f"attachment #{attachment.id} ({attachment.filename}) written to {target}"))


def _safe(name: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|\x00' or ord(c) < 32 else c for c in name)[:200] or "invoice.pdf"


@mailbox_app.command("keyed")
@clear_errors
def keyed_command(
    attachment_id: Annotated[
        int, typer.Argument(help="The PDF's attachment id (from `mailbox list --to-key`).")
    ],
    creditor: Creditor,
    who: Annotated[str | None, typer.Option(help="Who keyed it in (recorded) [the login name].")] = None,
) -> None:
    """Mark a PDF invoice as keyed in: it leaves the list of PDFs to key in."""
    with store() as opened:
        keyed = mark_keyed(opened.unit_of_work(), creditor, attachment_id, who=who or _login())
        left = len(to_key(opened.unit_of_work(), creditor))
    console.print(
        Text(
            f"attachment #{keyed.id} ({keyed.filename}) keyed in by {keyed.keyed_by} at "
            f"{_when(keyed.keyed_at)} UTC; {left} left to key in"
        )
    )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
