"""Commands of settlements: a lower sum agreed in full and final settlement, its approval, the list."""

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
    parse_amount,
    parse_day,
    print_json,
    say,
    who,
)
from arrears.services import settlements

settlement_app = typer.Typer(help="Settlements in full and final settlement.", no_args_is_help=True)
app.add_typer(settlement_app, name="settlement")


@settlement_app.command("offer")
@clear_errors
def settlement_offer(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    amount: Annotated[str, typer.Argument(help="The sum accepted in full and final settlement.")],
    creditor: Creditor,
    pay_by: Annotated[str, typer.Option("--pay-by", help="The day it must be paid by (YYYY-MM-DD).")],
    invoices: Invoices = None,
    on: OnDay = None,
    by: By = None,
    note: Annotated[str, typer.Option(help="A note for the file.")] = "",
) -> None:
    """Agree a lower sum in full and final settlement (approval needed beyond the pre-agreed discount)."""
    with store() as opened:
        currency = debtor_currency(opened, creditor, debtor)
        agreed = settlements.agree_settlement(
            opened.unit_of_work(),
            creditor,
            debtor,
            parse_amount(amount, currency, "amount"),
            pay_by=parse_day(pay_by, "--pay-by"),
            agreed_on=parse_day(on, "--on"),
            by=who(by),
            documents=invoices,
            note=note,
        )
    s = agreed.settlement
    say(
        f"settlement {s.reference}: {s.amount} for {s.balance} ({s.discount_percent}% off) by {s.pay_by.isoformat()}; "
        f"{agreed.decision.describe()}"
    )


@settlement_app.command("approve")
@clear_errors
def settlement_approve(
    reference: Annotated[str, typer.Argument(help="The settlement's reference.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    with store() as opened:
        approved = settlements.approve_settlement_offer(
            opened.unit_of_work(), creditor, reference, by=who(by), on=parse_day(on, "--on")
        )
    say(f"settlement {reference} approved by {approved.approved_by}")


@settlement_app.command("reject")
@clear_errors
def settlement_reject(
    reference: Annotated[str, typer.Argument(help="The settlement's reference.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    with store() as opened:
        settlements.reject_settlement(
            opened.unit_of_work(), creditor, reference, by=who(by), on=parse_day(on, "--on")
        )
    say(f"settlement {reference} rejected")


@settlement_app.command("list")
@clear_errors
def settlement_list(creditor: Creditor, as_of: AsOf = None, output: Format = OutputFormat.TABLE) -> None:
    day = parse_date(as_of)
    with store() as opened:
        views = settlements.list_settlements(opened.unit_of_work(), creditor, day)
    rows: list[dict[str, Any]] = [
        {
            "reference": v.settlement.reference,
            "debtor": v.settlement.debtor,
            "amount": str(v.settlement.amount.amount),
            "balance": str(v.settlement.balance.amount),
            "currency": v.settlement.amount.currency,
            "pay_by": v.settlement.pay_by.isoformat(),
            "approved_by": v.settlement.approved_by,
            "state": v.recorded_state if v.status is None else v.status.state.value,
            "written_off": v.closed_on,
        }
        for v in views
    ]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    table = Table("settlement", "debtor", "sum", "for", "pay by", "approved by", "state")
    for row in rows:
        table.add_row(
            row["reference"],
            row["debtor"],
            f"{row['amount']} {row['currency']}",
            row["balance"],
            row["pay_by"],
            row["approved_by"] or "awaiting approval",
            row["state"],
        )
    console.print(table)
