"""Commands of the ledger: the workspace, the simulator, ageing, metrics and the demo."""

import json
import sys
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from arrears.cli.app import (
    AsOf,
    CreditorOption,
    OutputFormat,
    app,
    clear_errors,
    console,
    creditor_codes,
    db_app,
    figure,
    parse_buckets,
    parse_date,
    progress_bar,
    state,
    store,
    write_csv,
)
from arrears.core.ageing import AgeingBasis
from arrears.services.ageing_report import CreditorAgeing, ageing_reports
from arrears.services.ledger_metrics import CreditorMetrics, ledger_metrics
from arrears.services.simulate_ledger import simulate_ledger, total_debtors
from arrears.services.workspace import display_url, init_workspace, upgrade_database
from arrears.sim import SimulationParams


@app.command()
@clear_errors
def init(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="SQLAlchemy URL of the store, recorded in the workspace [SQLite file]."
        ),
    ] = None,
) -> None:
    """Create the workspace (a SQLite file, or the database given by --database-url) and its schema."""
    report = init_workspace(state.settings.with_overrides(database_url=database_url))
    console.print(f"workspace: {report.home}")
    console.print(f"database:  {display_url(report.database_url)} (schema {report.revision})")


@db_app.command("upgrade")
@clear_errors
def db_upgrade() -> None:
    """Apply the schema migrations to the workspace's database."""
    url = state.settings.resolved_database_url()
    revision = upgrade_database(url)
    console.print(f"{display_url(url)} is at schema revision {revision}")


@app.command()
@clear_errors
def sim(
    creditors: Annotated[int, typer.Option(min=1, help="How many creditors (SMEs).")] = 3,
    debtors: Annotated[int, typer.Option(min=1, help="How many debtors in all.")] = 2000,
    invoices: Annotated[int, typer.Option(min=1, help="How many invoices in all.")] = 50_000,
    seed: Annotated[int, typer.Option(help="The random seed: the same seed gives the same ledger.")] = 7,
    as_of: AsOf = None,
) -> None:
    """Simulate realistic creditors, debtors and ledgers into the store."""
    params = SimulationParams(
        creditors=creditors, debtors=debtors, invoices=invoices, seed=seed, as_of=parse_date(as_of)
    )
    with store() as opened, progress_bar() as progress:
        task = progress.add_task("simulating", total=total_debtors(params))
        report = simulate_ledger(opened.unit_of_work, params, progress=lambda n: progress.advance(task, n))
    console.print(
        f"simulated {len(report.creditors)} creditors ({', '.join(report.creditors)}), {report.debtors} debtors, "
        f"{report.invoices} invoices, {report.credit_notes} credit notes, {report.payments} payments "
        f"as of {params.as_of.isoformat()}"
    )
    for amount in report.open_amounts().values():
        console.print(f"open: {amount}")


@app.command()
@clear_errors
def ageing(
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    by: Annotated[
        AgeingBasis, typer.Option("--by", help="Age by due date or invoice date.")
    ] = AgeingBasis.DUE_DATE,
    buckets: Annotated[
        str | None, typer.Option(help="Bucket edges in days, e.g. '0,30,60,90,120' (the default).")
    ] = None,
    debtors: Annotated[
        bool, typer.Option("--debtors/--totals", help="One line per debtor, or totals only.")
    ] = False,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Open amounts by how long they are past due, per creditor (and per debtor with --debtors)."""
    day = parse_date(as_of)
    edges = parse_buckets(buckets)
    with store() as opened:
        results = ageing_reports(opened.unit_of_work(), day, creditor=creditor, buckets=edges, basis=by)
    render_ageing(results, output, debtors=debtors)


@app.command("metrics")
@clear_errors
def metrics_command(
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    months: Annotated[int, typer.Option(min=1, help="Whole months in the period.")] = 3,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """DSO (standard and countback), best possible DSO, ADD and CEI per creditor and currency."""
    day = parse_date(as_of)
    with store() as opened:
        codes = [creditor] if creditor else creditor_codes(opened)
        results = [ledger_metrics(opened.unit_of_work(), code, day, months=months) for code in codes]
    render_metrics(results, output)


# --- rendering --------------------------------------------------------------------------------


def render_ageing(results: list[CreditorAgeing], output: OutputFormat, *, debtors: bool) -> None:
    rows: list[dict[str, Any]] = []
    for item in results:
        report = item.report
        for currency in report.currencies:
            summary = report.summary(currency)
            if debtors:
                for line in report.lines:
                    if line.currency == currency:
                        rows.append(
                            _ageing_row(
                                item.creditor.code,
                                line.debtor,
                                currency,
                                line.amounts,
                                line.total,
                                report.labels,
                            )
                        )
            rows.append(
                _ageing_row(
                    item.creditor.code, "TOTAL", currency, summary.amounts, summary.total, report.labels
                )
            )
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if output is OutputFormat.CSV:
        write_csv(rows)
        return
    for item in results:
        report = item.report
        table = Table(
            title=f"{item.creditor.name} ({item.creditor.code}) — ageing as of {report.as_of} by {report.basis.value}",
            title_justify="left",
        )
        table.add_column("debtor" if debtors else "", style="bold", no_wrap=True)
        table.add_column("currency", no_wrap=True)
        for label in report.labels:
            table.add_column(label, justify="right", no_wrap=True)
        table.add_column("total", justify="right", style="bold", no_wrap=True)
        locale = item.creditor.locale
        for currency in report.currencies:
            if debtors:
                for line in report.lines:
                    if line.currency == currency:
                        table.add_row(
                            line.debtor,
                            currency,
                            *(a.format(locale) for a in line.amounts),
                            line.total.format(locale),
                        )
            summary = report.summary(currency)
            table.add_row(
                "total", currency, *(a.format(locale) for a in summary.amounts), summary.total.format(locale)
            )
            table.add_row("share", "", *(f"{share}%" for share in summary.shares), "100%", style="dim")
        if not report.currencies:
            table.add_row("nothing open", "", *("" for _ in report.labels), "")
        console.print(table)


def _ageing_row(
    creditor: str, debtor: str, currency: str, amounts: tuple[Any, ...], total: Any, labels: tuple[str, ...]
) -> dict[str, Any]:
    row: dict[str, Any] = {"creditor": creditor, "debtor": debtor, "currency": currency}
    for label, amount in zip(labels, amounts, strict=True):
        row[label] = str(amount.rounded().amount)
    row["total"] = str(total.rounded().amount)
    return row


def render_metrics(results: list[CreditorMetrics], output: OutputFormat) -> None:
    rows = [
        {
            "creditor": item.creditor.code,
            "currency": m.currency,
            "period_start": m.start.isoformat(),
            "period_end": m.end.isoformat(),
            "receivables": str(m.receivables.amount),
            "current_receivables": str(m.current_receivables.amount),
            "credit_sales": str(m.credit_sales.amount),
            "dso": figure(m.dso),
            "dso_countback": figure(m.dso_countback),
            "best_possible_dso": figure(m.best_possible_dso),
            "add": figure(m.average_days_delinquent),
            "cei_percent": figure(m.collection_effectiveness),
        }
        for item in results
        for m in item.currencies
    ]
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if output is OutputFormat.CSV:
        write_csv(rows)
        return
    table = Table(title="Receivables metrics (days; CEI in %)", title_justify="left")
    for column in ("creditor", "currency", "period", "receivables", "sales in period"):
        justify: Literal["left", "right"] = (
            "left" if column in ("creditor", "currency", "period") else "right"
        )
        table.add_column(column, justify=justify, no_wrap=True)
    for column in ("DSO", "countback DSO", "best DSO", "ADD", "CEI %"):
        table.add_column(column, justify="right", no_wrap=True)
    for item in results:
        for m in item.currencies:
            locale = item.creditor.locale
            table.add_row(
                item.creditor.code,
                m.currency,
                f"{m.start} – {m.end}",
                m.receivables.format(locale),
                m.credit_sales.format(locale),
                figure(m.dso) or "n/a",
                figure(m.dso_countback) or "n/a",
                figure(m.best_possible_dso) or "n/a",
                figure(m.average_days_delinquent) or "n/a",
                figure(m.collection_effectiveness) or "n/a",
            )
    console.print(table)
