"""Commands of payment plans: propose (inside the creditor's rules or awaiting approval), approve,
reject, list."""

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
    show_confirmation,
    who,
)
from arrears.core.instalments import Frequency
from arrears.services import instalment_reminders, payment_plans

plan_app = typer.Typer(
    help="Payment plans: propose, approve or reject, list, remind before instalments.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")


@plan_app.command("propose")
@clear_errors
def plan_propose(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    creditor: Creditor,
    instalments: Annotated[int, typer.Option(min=1, help="How many instalments.")],
    first: Annotated[str, typer.Option("--first", help="The first instalment's date (YYYY-MM-DD).")],
    frequency: Annotated[Frequency, typer.Option(help="weekly, fortnightly or monthly.")] = Frequency.MONTHLY,
    invoices: Invoices = None,
    first_payment: Annotated[str | None, typer.Option(help="A larger first instalment (a deposit).")] = None,
    on: OnDay = None,
    by: By = None,
) -> None:
    """Agree a plan: accepted at once inside the creditor's rules, else it waits for approval."""
    with store() as opened:
        currency = debtor_currency(opened, creditor, debtor)
        agreed = payment_plans.propose_payment_plan(
            opened.unit_of_work(),
            creditor,
            debtor,
            instalments=instalments,
            frequency=frequency,
            first_due_on=parse_day(first, "--first"),
            agreed_on=parse_day(on, "--on"),
            by=who(by),
            documents=invoices,
            first_payment=None
            if first_payment is None
            else parse_amount(first_payment, currency, "--first-payment"),
        )
    plan = agreed.plan
    say(
        f"payment plan {plan.reference} for {debtor}: {plan.total} in {len(plan.instalments)} {plan.frequency.value} instalments"
    )
    for instalment in plan.instalments:
        say(f"  {instalment.number}. {instalment.due_on.isoformat()}  {instalment.amount}")
    say(f"  {agreed.decision.describe()}")
    show_confirmation(agreed.confirmation)


@plan_app.command("approve")
@clear_errors
def plan_approve(
    reference: Annotated[str, typer.Argument(help="The plan's reference, e.g. PP-00001.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    """The creditor approves a plan outside its rules; the debtor is sent the confirmation."""
    with store() as opened:
        agreed = payment_plans.approve_payment_plan(
            opened.unit_of_work(), creditor, reference, by=who(by), on=parse_day(on, "--on")
        )
    say(f"payment plan {reference} approved by {agreed.plan.approved_by}")
    show_confirmation(agreed.confirmation)


@plan_app.command("reject")
@clear_errors
def plan_reject(
    reference: Annotated[str, typer.Argument(help="The plan's reference.")],
    creditor: Creditor,
    on: OnDay = None,
    by: By = None,
) -> None:
    """The creditor refuses a plan awaiting its approval; the ladder resumes."""
    with store() as opened:
        payment_plans.reject_payment_plan(
            opened.unit_of_work(), creditor, reference, by=who(by), on=parse_day(on, "--on")
        )
    say(f"payment plan {reference} rejected")


@plan_app.command("list")
@clear_errors
def plan_list(
    creditor: Creditor,
    debtor: Annotated[str | None, typer.Option(help="One debtor's plans.")] = None,
    as_of: AsOf = None,
    output: Format = OutputFormat.TABLE,
) -> None:
    """Plans with their standing as of a day."""
    day = parse_date(as_of)
    with store() as opened:
        views = payment_plans.list_payment_plans(opened.unit_of_work(), creditor, day, debtor=debtor)
    rows: list[dict[str, Any]] = [
        {
            "reference": v.plan.reference,
            "debtor": v.plan.debtor,
            "total": str(v.plan.total.amount),
            "currency": v.plan.currency,
            "instalments": len(v.plan.instalments),
            "approved_by": v.plan.approved_by,
            "state": v.recorded_state if v.status is None else v.status.state.value,
            "standing": v.status.describe() if v.status is not None else v.recorded_state,
        }
        for v in views
    ]
    if output is OutputFormat.JSON:
        print_json(rows)
        return
    table = Table("plan", "debtor", "total", "instalments", "approved by", "standing")
    for row in rows:
        table.add_row(
            row["reference"],
            row["debtor"],
            f"{row['total']} {row['currency']}",
            str(row["instalments"]),
            row["approved_by"] or "awaiting approval",
            row["standing"],
        )
    console.print(table)


@plan_app.command("remind")
@clear_errors
def plan_remind(
    creditor: Creditor,
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what is due; queue nothing.")] = False,
) -> None:
    """Queue the reminders due before the plans' next instalments (each instalment once)."""
    day = parse_date(as_of)
    with store() as opened:
        if dry_run:
            planned = instalment_reminders.plan_instalment_reminders(opened.unit_of_work(), creditor, day)
            say(f"{len(planned.due)} instalment reminder(s) due for {creditor} as of {day.isoformat()}")
            skipped = planned.skipped
        else:
            sent = instalment_reminders.remind_instalments(opened.unit_of_work(), creditor, day)
            planned, skipped = sent.plan, sent.plan.skipped
            say(sent.summary())
            for refused in sent.refused:
                say(f"  refused {refused.key}: {refused.reason}")
    for reminder in planned.due:
        say(f"  {reminder.describe()}")
    for skip in skipped:
        say(f"  skipped {skip.plan} instalment {skip.instalment}: {skip.reason}")
