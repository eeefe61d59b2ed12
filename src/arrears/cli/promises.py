"""Commands of promises to pay: take one (confirmed to the debtor), list them with where they stand."""

from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, store
from arrears.cli.deal_options import (
    By,
    Creditor,
    Format,
    Invoices,
    OnDay,
    debtor_currency,
    invoice_currency,
    parse_amount,
    parse_day,
    print_json,
    say,
    show_confirmation,
    who,
)
from arrears.core.promises import PromiseChannel
from arrears.services import promises

promise_app = typer.Typer(help="Promises to pay: take one, list them.", no_args_is_help=True)
app.add_typer(promise_app, name="promise")


@promise_app.command("add")
@clear_errors
def promise_add(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    amount: Annotated[str, typer.Argument(help="The amount promised, e.g. 500.00.")],
    creditor: Creditor,
    pay_by: Annotated[str, typer.Option("--pay-by", help="The promised date (YYYY-MM-DD).")],
    invoices: Invoices = None,
    channel: Annotated[PromiseChannel, typer.Option(help="Where it was taken.")] = PromiseChannel.CALL,
    on: OnDay = None,
    by: By = None,
    note: Annotated[str, typer.Option(help="A note for the file.")] = "",
) -> None:
    """Record a promise to pay (on some invoices, or the whole account) and confirm it to the debtor."""
    with store() as opened:
        currency = (
            invoice_currency(opened, creditor, invoices[0])
            if invoices
            else debtor_currency(opened, creditor, debtor)
        )
        recorded = promises.record_promise(
            opened.unit_of_work(),
            creditor,
            debtor,
            parse_amount(amount, currency, "amount"),
            parse_day(pay_by, "--pay-by"),
            made_on=parse_day(on, "--on"),
            channel=channel,
            documents=invoices or (),
            taken_by=who(by),
            note=note,
        )
    promise = recorded.promise
    covers = ", ".join(sorted(promise.documents)) or "the whole account"
    say(
        f"promise {promise.reference}: {debtor} will pay {promise.amount} by {promise.promised_on.isoformat()} "
        f"for {covers}; reminders held until {promise.deadline.isoformat()}"
    )
    show_confirmation(recorded.confirmation)


@promise_app.command("list")
@clear_errors
def promise_list(
    creditor: Creditor,
    debtor: Annotated[str | None, typer.Option(help="One debtor's promises.")] = None,
    as_of: AsOf = None,
    output: Format = OutputFormat.TABLE,
) -> None:
    """Promises with where they stand (pending, kept, broken) as of a day."""
    day = parse_date(as_of)
    with store() as opened:
        views = promises.list_promises(opened.unit_of_work(), creditor, day, debtor=debtor)
    rows: list[dict[str, Any]] = [
        {
            "reference": v.promise.reference,
            "debtor": v.promise.debtor,
            "amount": str(v.promise.amount.amount),
            "currency": v.promise.amount.currency,
            "pay_by": v.promise.promised_on.isoformat(),
            "documents": sorted(v.promise.documents),
            "state": v.status.state.value,
            "paid": str(v.status.paid.amount),
            "kept_on": v.status.kept_on,
            "broken_on": v.status.broken_on,
        }
        for v in views
    ]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    table = Table("promise", "debtor", "amount", "pay by", "covers", "state", "paid")
    for row in rows:
        table.add_row(
            row["reference"],
            row["debtor"],
            f"{row['amount']} {row['currency']}",
            row["pay_by"],
            ", ".join(row["documents"]) or "whole account",
            row["state"],
            row["paid"],
        )
    console.print(table)
