"""Commands of the intake area: `arrears import` (a ledger file), `arrears imports` (the
history), `arrears profiles` (the layouts known) and `arrears cleanup` (what a ledger taken over
needs first)."""

import getpass
import sys
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, errors, parse_date, state, store
from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor
from arrears.intake.profiles import available_profiles
from arrears.intake.safe_csv import write_file, write_rows
from arrears.services.cleanup_report import CSV_HEADER, SECTION_TITLES, SECTIONS, cleanup_report, csv_rows
from arrears.services.import_ledger import ImportReport, import_ledger

SHOWN_ERRORS = 200


class Mode(StrEnum):
    FULL = "full"
    PART = "part"


def profile_folders() -> list[Path]:
    """Where a workspace keeps its own profiles: `<workspace>/profiles/*.yaml`."""
    return [state.settings.home / "profiles"]


@app.command("import")
@clear_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="The ledger file: CSV or Excel (.xlsx).", show_default=False)],
    creditor: Annotated[str, typer.Option("--creditor", "-c", help="The creditor whose ledger this is.")],
    profile: Annotated[
        str, typer.Option(help="A profile name, a profile .yaml file, or auto to detect it from the header.")
    ] = "auto",
    mode: Annotated[
        Mode,
        typer.Option(help="full: the whole ledger (what is missing was settled); part: only these rows."),
    ] = Mode.FULL,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read, check and compare; write nothing.")
    ] = False,
    accept_valid: Annotated[
        bool,
        typer.Option(
            "--accept-valid", help="Write the valid rows; save the rejected ones with their errors to a CSV."
        ),
    ] = False,
    who: Annotated[str | None, typer.Option(help="Who is importing (recorded) [the login name].")] = None,
    encoding: Annotated[str | None, typer.Option(help="The CSV's encoding, if not detected right.")] = None,
    sheet: Annotated[str | None, typer.Option(help="The worksheet of an Excel file [the first].")] = None,
    allow_mass_settle: Annotated[
        bool, typer.Option("--allow-mass-settle", help="Let a full import settle most of the ledger.")
    ] = False,
    new_creditor: Annotated[
        str | None,
        typer.Option("--new-creditor", help="Add the creditor with this name if it is not there yet."),
    ] = None,
    currency: Annotated[str, typer.Option(help="The new creditor's currency.")] = "GBP",
    errors_csv: Annotated[
        Path | None, typer.Option("--errors-csv", help="Also write every error to this CSV file.")
    ] = None,
) -> None:
    """Import a ledger file (Sage 50, QuickBooks, Xero or the generic layout) for a creditor."""
    if not file.is_file():
        raise ArrearsError(f"{file}: no such file")
    new = Creditor(code=creditor, name=new_creditor, currency=currency.upper()) if new_creditor else None
    with store() as opened:
        report = import_ledger(
            opened.unit_of_work(),
            creditor,
            file,
            who=who or _login(),
            profile=profile,
            mode=mode.value,
            dry_run=dry_run,
            accept_valid=accept_valid,
            quarantine_dir=state.settings.home / "imports",
            profile_folders=profile_folders(),
            encoding=encoding,
            sheet=sheet,
            allow_mass_settle=allow_mass_settle,
            new_creditor=new,
        )
    if errors_csv is not None and report.errors:
        write_file(
            errors_csv,
            ("file", "row", "column", "value", "error"),
            ((e.source, e.row or "", e.column or "", e.value or "", e.message) for e in report.errors),
        )
    render_import(report, errors_csv)
    if report.rejected:
        raise typer.Exit(1)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def render_import(report: ImportReport, errors_csv: Path | None) -> None:
    summary = report.summary
    heading = "dry run: nothing written" if report.dry_run else f"import #{summary.id}"
    console.print(f"[bold]{summary.file_name}[/] for {summary.creditor}: {summary.status} ({heading})")
    console.print(f"profile: {report.profile_title} — {report.profile_reason}", soft_wrap=True)
    console.print(
        f"rows: {summary.rows_read} read, {report.furniture_rows} titles/totals/blank skipped, "
        f"{report.left_out_rows} left out (drafts, voided, allocated cash), {summary.rejected_rows} rejected"
    )
    table = Table(title="What the file holds (accepted rows)")
    for column in (
        "currency",
        "documents",
        "open invoices",
        "open credit notes",
        "unallocated cash",
        "net open",
    ):
        table.add_column(column, justify="left" if column == "currency" else "right")
    for total in summary.totals:
        table.add_row(
            total.currency,
            str(total.documents),
            f"{total.invoices_open.amount:,}",
            f"{total.credit_notes_open.amount:,}",
            f"{total.cash_unallocated.amount:,}",
            f"{total.net_open.amount:,}",
        )
    console.print(table)
    for line in report.bank_cash_lines:  # why the ledger's open invoices are below the file's
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    console.print(f"debtors: {summary.debtors}; cash on account: {summary.payments}")
    declared = report.declared_total
    if declared is not None and report.total_checked:
        console.print(f"the file's own total (row {declared.row}: {declared.text}) agrees with its rows")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if summary.status in ("applied", "partial") or (report.dry_run and summary.status != "rejected"):
        verb = "would be" if report.dry_run else "were"
        console.print(
            f"documents and cash: {summary.added} added, {summary.updated} updated, {summary.settled} settled in "
            f"the source, {summary.reopened} reopened, {summary.unchanged} unchanged ({verb}); debtors: "
            f"{summary.debtors_added} added, {summary.debtors_updated} updated"
        )
        for line in report.changes:
            console.print(f"  {line}", soft_wrap=True, highlight=False, markup=False)
    if summary.note:
        console.print(summary.note)
    if summary.quarantine_file and not report.dry_run:
        console.print(f"rejected rows saved with their errors to {summary.quarantine_file}", soft_wrap=True)
    if report.errors:
        what = "nothing was written" if report.rejected else "these rows were not written"
        errors.print(f"[bold red]{len(report.errors)} error(s): {what}[/]")
        for error in report.errors[:SHOWN_ERRORS]:
            errors.print(str(error), soft_wrap=True, highlight=False, markup=False)
        if len(report.errors) > SHOWN_ERRORS:
            where = f"; all of them are in {errors_csv}" if errors_csv else "; --errors-csv FILE writes all"
            errors.print(f"... and {len(report.errors) - SHOWN_ERRORS} more{where}")


@app.command("imports")
@clear_errors
def imports_command(
    creditor: Annotated[str, typer.Option("--creditor", "-c", help="The creditor.")],
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    changes: Annotated[int | None, typer.Option(help="Show what this import (its #) changed.")] = None,
) -> None:
    """The creditor's ledger imports: who, when, what file, outcome, counts and totals."""
    with store() as opened, opened.unit_of_work() as uow:
        if changes is not None:
            chosen = uow.imports.get(creditor, changes)
            recorded = uow.imports.changes(creditor, changes)
        else:
            history = uow.imports.list_recent(creditor, limit)
    if changes is not None:
        console.print(
            f"import #{chosen.id} of {chosen.file_name}: {len(recorded)} change(s) beyond additions"
        )
        for change in recorded:
            about = (
                f"{change.document[0].replace('_', ' ')} {change.document[1]}"
                if change.document
                else f"cash {change.payment}"
                if change.payment
                else f"debtor {change.debtor}"
            )
            console.print(f"  {change.change}: {about}: {change.detail}", soft_wrap=True, markup=False)
        return
    table = Table(title=f"Imports of {creditor}")
    for column in (
        "#",
        "when (UTC)",
        "who",
        "file",
        "profile",
        "mode",
        "status",
        "rows",
        "added",
        "updated",
        "settled",
        "rejected",
        "open (net)",
    ):
        table.add_column(column)
    for item in history:
        table.add_row(
            str(item.id),
            f"{item.started_at:%Y-%m-%d %H:%M}",
            item.who,
            item.file_name,
            item.profile,
            item.mode,
            item.status,
            str(item.rows_read),
            str(item.added),
            str(item.updated),
            str(item.settled),
            str(item.rejected_rows),
            "; ".join(f"{t.net_open.amount:,} {t.currency}" for t in item.totals),
        )
    console.print(table)


@app.command("profiles")
@clear_errors
def profiles_command() -> None:
    """The ledger layouts `arrears import` knows (built in, and the workspace's profiles/)."""
    table = Table(title="Import profiles")
    table.add_column("name")
    table.add_column("layout")
    table.add_column("dates")
    for profile in sorted(available_profiles(profile_folders()).values(), key=lambda p: p.name):
        table.add_row(profile.name, profile.title, profile.dates.replace("_", " "))
    console.print(table)


@app.command("cleanup")
@clear_errors
def cleanup_command(
    creditor: Annotated[str, typer.Option("--creditor", "-c", help="The creditor.")],
    as_of: AsOf = None,
    small_balance: Annotated[
        str, typer.Option(help="Balances above zero and below this are not worth chasing.")
    ] = "10",
    output: Annotated[OutputFormat, typer.Option("--format", help="table or csv.")] = OutputFormat.TABLE,
) -> None:
    """What a ledger taken over needs first: old debt, credits to apply, duplicates, missing contacts..."""
    try:
        threshold = Decimal(small_balance)
    except InvalidOperation:
        raise ArrearsError(f"--small-balance {small_balance!r} is not an amount, e.g. 10 or 25.00") from None
    day = parse_date(as_of)
    with store() as opened:
        report = cleanup_report(opened.unit_of_work(), creditor, day, small_balance=threshold)
    if output is OutputFormat.CSV:
        write_rows(sys.stdout, CSV_HEADER, csv_rows(report))
        return
    if output is OutputFormat.JSON:
        raise ArrearsError("the clean-up report comes as a table or csv (--format table|csv)")
    console.print(f"[bold]Clean-up report for {creditor} as of {day.isoformat()}[/]")
    for section in SECTIONS:
        found = report.section(section)
        table = Table(title=f"{SECTION_TITLES[section]}: {len(found)}", title_justify="left")
        for column in ("debtor", "name", "document", "amount", "days", "why"):
            table.add_column(column, justify="right" if column in ("amount", "days") else "left")
        for finding in found:
            table.add_row(
                finding.debtor,
                finding.debtor_name,
                finding.document or "",
                f"{finding.amount.rounded().amount:,} {finding.amount.currency}" if finding.amount else "",
                "" if finding.days_past_due is None else str(finding.days_past_due),
                finding.detail,
                end_section=False,
            )
        console.print(table)
