"""Commands of write-offs (with a reason and an approver) and of fees charged to a debtor."""

from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import OutputFormat, app, clear_errors, console, store
from arrears.cli.deal_options import (
    By,
    Creditor,
    Format,
    OnDay,
    debtor_currency,
    invoice_currency,
    parse_amount,
    parse_day,
    print_json,
    say,
    who,
)
from arrears.core.deal_rules import FeeKind
from arrears.core.writeoffs import WriteOffReason
from arrears.services import fees, write_offs

write_off_app = typer.Typer(help="Write-offs with a reason and an approver.", no_args_is_help=True)
app.add_typer(write_off_app, name="write-off")


@write_off_app.command("add")
@clear_errors
def write_off_add(
    invoice: Annotated[str, typer.Argument(help="The invoice to write off.")],
    creditor: Creditor,
    reason: Annotated[WriteOffReason, typer.Option(help="Why it is written off.")],
    amount: Annotated[str | None, typer.Option(help="How much; default all that is open.")] = None,
    approved_by: Annotated[
        str | None, typer.Option(help="The creditor's user who approves it now (else its rules decide).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why, in words (needed for 'other').")] = "",
    on: OnDay = None,
    by: By = None,
) -> None:
    """Write off an invoice: at once within the creditor's rules or with an approver, else it waits."""
    with store() as opened:
        currency = invoice_currency(opened, creditor, invoice)
        outcome = write_offs.write_off_invoice(
            opened.unit_of_work(),
            creditor,
            invoice,
            None if amount is None else parse_amount(amount, currency, "--amount"),
            reason=reason,
            on=parse_day(on, "--on"),
            by=who(by),
            note=note,
            approved_by=approved_by,
        )
    value = outcome.write_off
    if outcome.applied:
        say(
            f"write-off {value.id}: {value.amount} of {invoice} written off ({value.reason.label}; approved by {value.decided_by})"
        )
    else:
        say(
            f"write-off {value.id}: {value.amount} of {invoice} awaits approval; {outcome.decision.describe()}"
        )


@write_off_app.command("approve")
@clear_errors
def write_off_approve(
    write_off_id: Annotated[int, typer.Argument(help="The write-off's number.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    with store() as opened:
        value = write_offs.approve_write_off(
            opened.unit_of_work(), creditor, write_off_id, by=who(by), on=parse_day(on, "--on")
        )
    say(
        f"write-off {value.id}: {value.amount} of {value.document} written off, approved by {value.decided_by}"
    )


@write_off_app.command("refuse")
@clear_errors
def write_off_refuse(
    write_off_id: Annotated[int, typer.Argument(help="The write-off's number.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    with store() as opened:
        value = write_offs.refuse_write_off(
            opened.unit_of_work(), creditor, write_off_id, by=who(by), on=parse_day(on, "--on")
        )
    say(f"write-off {value.id} on {value.document} refused by {value.decided_by}")


@write_off_app.command("list")
@clear_errors
def write_off_list(
    creditor: Creditor,
    debtor: Annotated[str | None, typer.Option(help="One debtor's write-offs.")] = None,
    output: Format = OutputFormat.TABLE,
) -> None:
    with store() as opened:
        found = write_offs.list_write_offs(opened.unit_of_work(), creditor, debtor=debtor)
    rows: list[dict[str, Any]] = [
        {
            "id": w.id,
            "debtor": w.debtor,
            "invoice": w.document,
            "amount": str(w.amount.amount),
            "currency": w.amount.currency,
            "reason": w.reason.value,
            "state": w.state,
            "on": w.on.isoformat(),
            "approved_by": w.decided_by,
            "settlement": w.settlement,
        }
        for w in found
    ]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    table = Table("id", "debtor", "invoice", "amount", "reason", "state", "on", "approved by")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["debtor"],
            row["invoice"],
            f"{row['amount']} {row['currency']}",
            row["reason"],
            row["state"],
            row["on"],
            row["approved_by"] or "",
        )
    console.print(table)


@app.command("fee")
@clear_errors
def fee_command(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    kind: Annotated[FeeKind, typer.Argument(help="returned_payment, administration or other.")],
    creditor: Creditor,
    amount: Annotated[str | None, typer.Option(help="Less than the creditor's fee, if so.")] = None,
    due_days: Annotated[int, typer.Option(min=0, help="Days until the fee invoice is due.")] = 0,
    note: Annotated[str, typer.Option(help="What it is for (needed for 'other').")] = "",
    on: OnDay = None,
    by: By = None,
) -> None:
    """Charge a fee the creditor's rules allow; it becomes an invoice."""
    with store() as opened:
        currency = debtor_currency(opened, creditor, debtor)
        charged = fees.charge_debtor_fee(
            opened.unit_of_work(),
            creditor,
            debtor,
            kind,
            on=parse_day(on, "--on"),
            by=who(by),
            amount=None if amount is None else parse_amount(amount, currency, "--amount"),
            note=note,
            due_days=due_days,
        )
    say(
        f"fee {charged.fee.reference}: {charged.fee.amount} ({kind.label}) as invoice {charged.invoice.number}"
    )
