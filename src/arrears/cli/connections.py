"""Commands of accounting connections: connect a creditor to QuickBooks Online or Xero, sync
its ledger from there, list and disconnect connections, make a secret key for the tokens."""

import secrets
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.app import app, clear_errors, console, errors, store
from arrears.intake.accounting.common import Entity, Provider
from arrears.intake.accounting.tokens import SECRET_KEY_VARIABLE, generate_key
from arrears.services.sync_accounting import (
    authorization_url,
    connect,
    disconnect,
    list_connections,
    sync,
)

connections_app = typer.Typer(
    help="Connections to accounting packages (QuickBooks Online, Xero).", no_args_is_help=True
)
app.add_typer(connections_app, name="connections")

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command("connect")
@clear_errors
def connect_command(
    provider: Annotated[Provider, typer.Argument(help="quickbooks or xero.")],
    creditor: Creditor,
    code: Annotated[
        str | None,
        typer.Option("--code", help="The authorization code the package sent to the redirect URI."),
    ] = None,
    refresh_token: Annotated[
        str | None,
        typer.Option("--refresh-token", help="A refresh token the creditor already has, instead of a code."),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            "--realm",
            help="QuickBooks: the company id (realmId on the redirect). Xero: the organisation, when several were granted.",
        ),
    ] = None,
    print_url: Annotated[
        bool, typer.Option("--print-url", help="Print where the creditor signs in to grant access, and stop.")
    ] = False,
) -> None:
    """Connect a creditor to its accounting package (tokens are stored encrypted with ARREARS_SECRET_KEY)."""
    if print_url:
        state = secrets.token_urlsafe(16)
        console.print(authorization_url(provider, state), soft_wrap=True, highlight=False)
        errors.print(
            f"Open it, sign in and allow access; then run `arrears connect {provider.value} --creditor {creditor} "
            f"--code CODE{' --realm REALM_ID' if provider is Provider.QUICKBOOKS else ''}` with the values the "
            f"redirect carries (check that its state is {state})."
        )
        return
    with store() as opened:
        summary = connect(
            opened.unit_of_work(),
            creditor,
            provider,
            tenant_id=tenant,
            code=code,
            refresh_token=refresh_token,
        )
    console.print(
        f"creditor {summary.creditor} is connected to {provider.label} (tenant {summary.tenant_id})"
    )


@app.command("sync")
@clear_errors
def sync_command(
    creditor: Creditor,
    provider: Annotated[
        Provider | None, typer.Option("--provider", help="quickbooks or xero; default the only connection.")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Pull everything, not only what changed.")] = False,
) -> None:
    """Pull what changed in the creditor's accounting package into the ledger, in one transaction."""
    with store() as opened:
        result = sync(opened.unit_of_work(), creditor, provider, full=full)
    table = Table(title=f"{result.creditor}: sync from {result.provider.label}")
    for heading in (
        "entity",
        "received",
        "added",
        "updated",
        "withdrawn",
        "skipped",
        "changed since",
        "now up to",
    ):
        table.add_column(
            heading, justify="left" if heading in ("entity", "changed since", "now up to") else "right"
        )
    for entity in Entity:
        counts = result.counts[entity]
        table.add_row(
            entity.value.replace("_", " "),
            str(counts.received),
            str(counts.added),
            str(counts.updated),
            str(counts.withdrawn),
            str(counts.skipped),
            _when(result.changed_since[entity]),
            _when(result.cursors[entity]),
        )
    console.print(table)
    console.print(
        f"{result.allocations} allocations recorded; {result.requests} requests, {result.retries} retried after HTTP 429"
    )
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@app.command("disconnect")
@clear_errors
def disconnect_command(
    provider: Annotated[Provider, typer.Argument(help="quickbooks or xero.")],
    creditor: Creditor,
    revoke: Annotated[
        bool, typer.Option("--revoke/--no-revoke", help="Revoke the tokens at the package first.")
    ] = True,
) -> None:
    """Forget a creditor's tokens for its accounting package (revoking them there first)."""
    with store() as opened:
        warning = disconnect(opened.unit_of_work(), creditor, provider, revoke=revoke)
    if warning:
        errors.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    console.print(f"creditor {creditor} is disconnected from {provider.label}")


@connections_app.command("list")
@clear_errors
def list_command(creditor: Creditor) -> None:
    """A creditor's connections: status, tenant, last sync, last error (never the tokens)."""
    with store() as opened:
        summaries = list_connections(opened.unit_of_work(), creditor)
    table = Table(title=f"{creditor}: accounting connections")
    for heading in ("package", "tenant", "status", "connected", "last sync", "last error"):
        table.add_column(heading)
    for summary in summaries:
        table.add_row(
            summary.provider.label,
            summary.tenant_id,
            summary.status,
            _when(summary.connected_at),
            _when(summary.last_sync_at),
            summary.last_error or "",
        )
    console.print(table)


@connections_app.command("new-key")
def new_key_command() -> None:
    """Print a new random key for ARREARS_SECRET_KEY (Fernet); keep it as safe as a password."""
    console.print(generate_key(), highlight=False)
    errors.print(
        f"Set {SECRET_KEY_VARIABLE} to it wherever Arrears runs. To rotate, put the new key first: "
        f"{SECRET_KEY_VARIABLE}=NEW,OLD (tokens stored under OLD still read)."
    )
