"""Commands of the sync agent (`arrears agent ...`).

On the Arrears server: `token` (issue one for a creditor; shown once), `tokens`, `revoke`,
`uploads` (what the agents sent). On the SME's machine: `watch` (the agent itself), `status`
(its spool) and `retry` (send again what the server refused, once the cause is fixed).
"""

import getpass
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.app import app, clear_errors, console, errors, store
from arrears.core.errors import ArrearsError
from arrears.intake.agent import DEFAULT_IGNORE, DEFAULT_INCLUDE, Agent, AgentConfig, Backoff
from arrears.intake.agent_spool import JOURNAL, Spool
from arrears.services.upload_tokens import issue_token, list_tokens, revoke_token

agent_app = typer.Typer(
    help="The sync agent: upload tokens (on the server), and the agent that watches an export folder.",
    no_args_is_help=True,
)
app.add_typer(agent_app, name="agent")

CreditorCode = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
SpoolOption = Annotated[
    Path,
    typer.Option(
        "--spool",
        envvar="ARREARS_AGENT_SPOOL",
        help="The agent's spool folder (copies waiting to be sent, and the journal); not inside DIR.",
    ),
]


def _default_spool() -> Path:
    try:
        return Path.home() / ".arrears-agent" / "spool"
    except RuntimeError:  # no home folder (some service accounts): beside where it runs
        return Path(".arrears-agent") / "spool"


DEFAULT_SPOOL = _default_spool()
EXIT_TRY_LATER = 75  # EX_TEMPFAIL: some files are waiting for the server


class Mode(StrEnum):
    FULL = "full"
    PART = "part"


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@agent_app.command("token")
@clear_errors
def token_command(
    creditor: CreditorCode,
    name: Annotated[
        str, typer.Option(help="What the token is for, e.g. the machine it runs on.")
    ] = "sync agent",
) -> None:
    """Issue an upload token for the creditor's sync agent. It is shown once: only its hash is kept."""
    with store() as opened:
        issued = issue_token(opened.unit_of_work(), creditor, name=name, who=_login())
    console.print(issued.token, highlight=False, soft_wrap=True)
    errors.print(
        f"upload token #{issued.stored.id} ({issued.stored.name}) for {creditor}: copy it now, it is not "
        "shown again. Give it to the agent as ARREARS_AGENT_TOKEN or in a --token-file."
    )


@agent_app.command("tokens")
@clear_errors
def tokens_command(creditor: CreditorCode) -> None:
    """The creditor's upload tokens (never the tokens themselves)."""
    with store() as opened:
        tokens = list_tokens(opened.unit_of_work(), creditor)
    table = Table(title=f"Upload tokens of {creditor}")
    for column in ("#", "key", "name", "created", "by", "last used", "revoked"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            str(token.id),
            f"arr_{token.key_id}_…",
            token.name,
            _when(token.created_at),
            token.created_by,
            _when(token.last_used_at),
            _when(token.revoked_at),
        )
    console.print(table)


@agent_app.command("revoke")
@clear_errors
def revoke_command(
    token_id: Annotated[int, typer.Argument(help="The token's # (see `arrears agent tokens`).")],
    creditor: CreditorCode,
) -> None:
    """Revoke an upload token: the server refuses it from now on."""
    with store() as opened:
        revoked = revoke_token(opened.unit_of_work(), creditor, token_id)
    console.print(
        f"upload token #{revoked.id} ({revoked.name}) of {creditor} revoked {_when(revoked.revoked_at)}"
    )


@agent_app.command("uploads")
@clear_errors
def uploads_command(
    creditor: CreditorCode,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
) -> None:
    """What the creditor's agents uploaded, and what the server answered."""
    with store() as opened, opened.unit_of_work() as uow:
        uploads = uow.agent_uploads.list_recent(creditor, limit)
    table = Table(title=f"Agent uploads of {creditor}")
    for column in ("#", "received", "token", "file", "mode", "status", "import", "HTTP"):
        table.add_column(column)
    for upload in uploads:
        table.add_row(
            str(upload.id),
            _when(upload.received_at),
            f"#{upload.token_id}",
            upload.file_name,
            upload.mode,
            upload.status,
            "-" if upload.import_id is None else f"#{upload.import_id}",
            str(upload.http_status),
        )
    console.print(table)


@agent_app.command("watch")
@clear_errors
def watch_command(
    folder: Annotated[Path, typer.Argument(help="The export folder to watch.", show_default=False)],
    server: Annotated[
        str, typer.Option("--server", envvar="ARREARS_AGENT_SERVER", help="The Arrears server, https://...")
    ],
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="ARREARS_AGENT_TOKEN", help="The upload token (better: the variable)."
        ),
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option("--token-file", help="A file holding the upload token.")
    ] = None,
    spool: SpoolOption = DEFAULT_SPOOL,
    mode: Annotated[
        Mode, typer.Option(help="full: each file is the whole ledger; part: only its rows.")
    ] = Mode.FULL,
    once: Annotated[bool, typer.Option("--once", help="One pass (look, send), then exit: for cron.")] = False,
    poll: Annotated[float, typer.Option(min=0.01, help="Seconds between looks at the folder.")] = 30.0,
    settle: Annotated[
        float, typer.Option(min=0.0, help="--once: seconds between the two looks that prove a file stable.")
    ] = 2.0,
    backoff: Annotated[
        float, typer.Option(min=0.01, help="First wait after a failed send, in seconds.")
    ] = 2.0,
    backoff_cap: Annotated[float, typer.Option(min=0.01, help="Longest wait between attempts.")] = 300.0,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help=f"File patterns to send [{' '.join(DEFAULT_INCLUDE)}]."),
    ] = None,
    recursive: Annotated[bool, typer.Option("--recursive", help="Watch sub-folders too.")] = False,
    creditor: Annotated[
        str | None,
        typer.Option("--creditor", help="Have the server refuse the token unless it is this creditor's."),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="CA certificate(s) to trust for the server, PEM.")
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Allow plain http:// to another machine (never on the internet)."),
    ] = False,
) -> None:
    """Watch an export folder and send new or changed ledger files to the Arrears server."""
    config = AgentConfig(
        folder=folder,
        server=server,
        token=_token(token, token_file),
        spool=spool,
        mode=mode.value,
        poll_seconds=poll,
        settle_seconds=settle,
        backoff=Backoff(backoff, max(backoff, backoff_cap)),
        insecure=insecure,
        ca_file=ca_file,
        include=tuple(include) if include else DEFAULT_INCLUDE,
        ignore=DEFAULT_IGNORE,
        recursive=recursive,
        creditor=creditor,
    )
    with Agent(config) as agent:
        if not once:
            _watch(agent)
            return
        result = agent.run_once()
    for version, answer in result.sent:
        console.print(f"sent {version.path} (version #{version.id}): {answer}", highlight=False)
    for version, message in result.failed:
        errors.print(
            f"refused {version.path} (version #{version.id}): {message}", highlight=False, soft_wrap=True
        )
    if result.waiting:
        errors.print(f"{result.waiting} file version(s) wait in the spool for the server", highlight=False)
        raise typer.Exit(EXIT_TRY_LATER)
    if result.failed:
        raise typer.Exit(1)
    if not result.sent:
        console.print("nothing new to send")


def _watch(agent: Agent) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        agent.run(stop)
    except KeyboardInterrupt:
        stop.set()


def _token(token: str | None, token_file: Path | None) -> str:
    if token_file is not None:
        try:
            return token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ArrearsError(f"--token-file {token_file}: {error.strerror or error}") from None
    if token:
        return token.strip()
    raise ArrearsError("no upload token: set ARREARS_AGENT_TOKEN, or pass --token-file (or --token)")


@agent_app.command("status")
@clear_errors
def status_command(
    folder: Annotated[Path, typer.Argument(help="The watched folder.", show_default=False)],
    spool: SpoolOption = DEFAULT_SPOOL,
    limit: Annotated[int, typer.Option(min=1, help="How many versions, newest first.")] = 30,
) -> None:
    """What the agent spooled and what became of each version."""
    _existing(spool)
    with Spool(spool, watched=folder, exclusive=False) as opened:
        versions = opened.recent(limit)
    table = Table(title=f"Spool {spool}")
    for column in ("#", "file", "spooled", "state", "tries", "HTTP", "answer or error"):
        table.add_column(column)
    for version in versions:
        table.add_row(
            str(version.id),
            version.path,
            version.spooled_at,
            version.state,
            str(version.attempts),
            "-" if version.http_status is None else str(version.http_status),
            version.answer or version.last_error or "",
        )
    console.print(table)


@agent_app.command("retry")
@clear_errors
def retry_command(
    folder: Annotated[Path, typer.Argument(help="The watched folder.", show_default=False)],
    spool: SpoolOption = DEFAULT_SPOOL,
    version: Annotated[int | None, typer.Option("--version", help="Only this version #.")] = None,
) -> None:
    """Send again the versions the server refused (after fixing the token or the file's cause)."""
    _existing(spool)
    with Spool(spool, watched=folder, exclusive=False) as opened:
        count = opened.retry_failed(version)
    console.print(f"{count} version(s) will be sent at the agent's next pass")


def _existing(spool: Path) -> None:
    if not (spool / JOURNAL).is_file():
        raise ArrearsError(f"no agent spool at {spool}: give the --spool the agent runs with")


def _login() -> str:
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
