"""`arrears demo`: a fresh demo workspace, a simulated month of collections, and where to look."""

from collections import Counter
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, progress_bar, state
from arrears.cli.ledger import render_ageing, render_metrics
from arrears.services import demo as demo_service
from arrears.services.demo_month import CreditorMonth, DemoMonth
from arrears.services.simulate_ledger import total_debtors
from arrears.services.workspace import display_url


@app.command()
@clear_errors
def demo(
    as_of: AsOf = None,
    seed: Annotated[int, typer.Option(help="The random seed of the simulated ledger and month.")] = 7,
    # None: the demo's own size, read when it runs (tests shrink it)
    debtors: Annotated[
        int | None,
        typer.Option(
            min=2, help=f"Debtors in the simulated ledger ({demo_service.DEMO_DEBTORS} by default)."
        ),
    ] = None,
    invoices: Annotated[
        int | None,
        typer.Option(
            min=2, help=f"Invoices in the simulated ledger ({demo_service.DEMO_INVOICES} by default)."
        ),
    ] = None,
) -> None:
    """Make a fresh demo workspace: two creditors' simulated ledgers, then the last complete month
    up to --as-of replayed day by day (deals, bank files, the cycle, emails, letters, calls)."""
    home = state.settings.home.resolve()
    day = parse_date(as_of)
    params = demo_service.demo_params(day, seed, debtors=debtors, invoices=invoices)
    start, end = demo_service.demo_month(day)
    days = (end - start).days + 1
    with progress_bar() as progress:
        ledger = progress.add_task("simulating the ledger", total=total_debtors(params))
        month = progress.add_task("replaying the month", total=days * params.creditors)
        result = demo_service.run_demo(
            home,
            params,
            progress=lambda n: progress.advance(ledger, n),
            on_day=lambda creditor, on: progress.advance(month, 1),
        )
    # The heading only once the demo has run: a refusal to wipe the folder is then a single line.
    console.rule("[bold]Arrears demo")
    report = result.simulation
    console.print(
        f"Simulated {len(report.creditors)} creditors with {report.debtors} debtors, {report.invoices} invoices, "
        f"{report.credit_notes} credit notes and {report.payments} payments: "
        f"sales up to {end.isoformat()}, paid up to {params.settled_until or end}; then "
        f"{start.isoformat()} to {end.isoformat()} replayed day by day.",
        soft_wrap=True,
    )
    for creditor_month in result.month.creditors:
        console.rule(f"The month for {creditor_month.creditor}")
        _render_month(creditor_month)
    console.rule(f"Ageing by due date on {end.isoformat()}")
    render_ageing(result.ageing, OutputFormat.TABLE, debtors=False)
    console.rule(f"Metrics on {end.isoformat()}")
    render_metrics(result.metrics, OutputFormat.TABLE)
    console.rule()
    _render_where(result.home, result.database_url, result.month)
    first = report.creditors[0]
    console.print(
        f"Try: arrears --home {result.home} worklist --creditor {first} --as-of {end.isoformat()}",
        soft_wrap=True,
    )
    console.print(
        f"     arrears --home {result.home} ageing --creditor {first} --debtors --as-of {end.isoformat()}",
        soft_wrap=True,
    )


def _render_month(month: CreditorMonth) -> None:
    planned = month.planned
    table = Table(title="Actions planned by the daily cycle", title_justify="left")
    table.add_column("step")
    table.add_column("channel")
    table.add_column("actions", justify="right")
    for (step, channel), count in planned.items():
        table.add_row(step, channel, str(count))
    table.add_row("all steps", "", str(sum(planned.values())), style="bold")
    console.print(table)
    delivered: Counter[str] = Counter()
    for (channel, outcome), count in month.delivered.items():
        what = "call tasks created" if (channel, outcome) == ("call", "sent") else f"{channel} {outcome}"
        delivered[what] += count
    sent = ", ".join(f"{count} {what}" for what, count in sorted(delivered.items())) or "nothing"
    console.print(
        f"Delivered: {sent}; among them {month.reminders} payment-plan instalment reminder(s); "
        f"{month.awaiting_approval} action(s) waited for the creditor's approval.",
        soft_wrap=True,
    )
    for reason, count in month.refused.most_common():
        console.print(f"  not sent ({count}): {reason}", soft_wrap=True)
    if month.deals is not None:
        console.print("\n".join(month.deals.summary_lines()), highlight=False, soft_wrap=True)
    if month.worklist is not None:
        work = month.worklist
        console.print(
            f"Worklist on {work.as_of.isoformat()}: {len(work.items)} debtor(s) to call within the time budget, "
            f"{len(work.over_budget)} over it, {len(work.on_hold)} on hold; "
            f"{len(work.closed)} call task(s) closed as settled since."
        )


def _render_where(home: object, database_url: str, month: DemoMonth) -> None:
    # soft_wrap: a long path stays on one line, to be copied whole.
    console.print(f"Workspace: {home}", soft_wrap=True)
    console.print(f"Database:  {display_url(database_url)}", soft_wrap=True)
    console.print(f"Emails:    {month.maildir} ({month.emails} .eml files)", soft_wrap=True)
    batches = sum(len(each.print_batches) for each in month.creditors)
    console.print(
        f"Letters:   {month.letters} ({month.letter_files} PDF letters, {batches} daily print batches)",
        soft_wrap=True,
    )
    console.print(f"Worklists: {month.worklists} (one CSV per creditor)", soft_wrap=True)
    statements = sum(len(each.deals.statements) for each in month.creditors if each.deals is not None)
    console.print(f"Bank:      {month.bank} ({statements} camt.053 statements)", soft_wrap=True)
