"""Commands of disputes on invoices: raise (the invoice is held from reminders), resolve, report."""

from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, store
from arrears.cli.deal_options import (
    By,
    Creditor,
    Format,
    OnDay,
    invoice_currency,
    parse_amount,
    parse_day,
    print_json,
    say,
    show_confirmation,
    who,
)
from arrears.core.disputes import DisputeOutcome, DisputeReason, Resolver
from arrears.services import disputes

dispute_app = typer.Typer(help="Disputes on invoices: raise, resolve, report.", no_args_is_help=True)
app.add_typer(dispute_app, name="dispute")


@dispute_app.command("raise")
@clear_errors
def dispute_raise(
    invoice: Annotated[str, typer.Argument(help="The invoice disputed.")],
    creditor: Creditor,
    reason: Annotated[DisputeReason, typer.Option(help="Why the debtor disputes it.")],
    amount: Annotated[str | None, typer.Option(help="The part disputed; default all that is open.")] = None,
    notes: Annotated[str, typer.Option(help="What the debtor said.")] = "",
    on: OnDay = None,
    by: By = None,
) -> None:
    """Record a dispute: the invoice is held from reminders and the creditor is told."""
    with store() as opened:
        currency = invoice_currency(opened, creditor, invoice)
        raised = disputes.raise_invoice_dispute(
            opened.unit_of_work(),
            creditor,
            invoice,
            reason,
            raised_on=parse_day(on, "--on"),
            raised_by=who(by),
            amount=None if amount is None else parse_amount(amount, currency, "--amount"),
            notes=notes,
        )
    say(
        f"dispute {raised.dispute.reference}: {raised.dispute.disputed} of {invoice} ({reason.label}); {raised.collectable} may still be asked for"
    )
    say(f"  to the creditor: {raised.creditor_notice}")
    show_confirmation(raised.acknowledgement)
    if raised.creditor_notification is not None:
        say(f"  notice to the creditor: {raised.creditor_notification.describe()}")


@dispute_app.command("resolve")
@clear_errors
def dispute_resolve(
    reference: Annotated[str, typer.Argument(help="The dispute's reference, e.g. D-00001.")],
    outcome: Annotated[DisputeOutcome, typer.Argument(help="credit_note, rejected or partially_upheld.")],
    creditor: Creditor,
    credit: Annotated[str | None, typer.Option(help="The credit given (partially upheld).")] = None,
    credit_note: Annotated[
        str | None, typer.Option(help="A credit note already in the ledger that gives the credit.")
    ] = None,
    resolver: Annotated[
        Resolver, typer.Option(help="Who decided: creditor or controller.")
    ] = Resolver.CREDITOR,
    on: OnDay = None,
    by: By = None,
    note: Annotated[str, typer.Option(help="A note on the decision.")] = "",
) -> None:
    """Record the outcome; a credit is given by a credit note applied to the invoice."""
    with store() as opened:
        with opened.unit_of_work() as uow:
            currency = uow.disputes.get(creditor, reference).dispute.disputed.currency
        resolved = disputes.resolve_invoice_dispute(
            opened.unit_of_work(),
            creditor,
            reference,
            outcome,
            on=parse_day(on, "--on"),
            by=who(by),
            resolver=resolver,
            credit=None if credit is None else parse_amount(credit, currency, "--credit"),
            credit_note=credit_note,
            note=note,
        )
    text = f"dispute {reference}: {outcome.label}"
    if resolved.credit_note is not None:
        text += f"; credit note {resolved.credit_note} applied {resolved.credit_applied}"
    say(text)


@dispute_app.command("list")
@clear_errors
def dispute_list(creditor: Creditor, as_of: AsOf = None, output: Format = OutputFormat.TABLE) -> None:
    """Open disputes and the summary the creditor's reports show."""
    day = parse_date(as_of)
    with store() as opened:
        report = disputes.dispute_report(opened.unit_of_work(), creditor, day)
    summary = report.summary
    rows: list[dict[str, Any]] = [
        {
            "reference": d.reference,
            "debtor": d.debtor,
            "invoice": d.document,
            "disputed": str(d.disputed.amount),
            "currency": d.disputed.currency,
            "reason": d.reason.value,
            "raised_on": d.raised_on.isoformat(),
            "days_open": (day - d.raised_on).days,
        }
        for d in report.open
    ]
    if output is OutputFormat.JSON:
        print_json(
            {
                "open": rows,
                "open_amounts": {c: str(m.amount) for c, m in summary.open_amounts.items()},
                "resolved": {o.value: n for o, n in summary.resolved_by_outcome.items()},
                "credit_given": {c: str(m.amount) for c, m in summary.credit_given.items()},
            }
        )
        return
    table = Table("dispute", "debtor", "invoice", "disputed", "reason", "raised", "days open")
    for row in rows:
        table.add_row(
            row["reference"],
            row["debtor"],
            row["invoice"],
            f"{row['disputed']} {row['currency']}",
            row["reason"],
            row["raised_on"],
            str(row["days_open"]),
        )
    console.print(table)
    resolved = ", ".join(f"{o.label} {n}" for o, n in summary.resolved_by_outcome.items()) or "none"
    say(f"{summary.open_count} open; resolved: {resolved}")
