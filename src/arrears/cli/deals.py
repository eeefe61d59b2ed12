"""Commands of deals with debtors: promises, payment plans, settlements, disputes, write-offs,
fees, the creditor's deal rules and the review; and statutory interest (`arrears interest`).

Each group of commands lives in its own module (promises, plans, settlements, disputes,
write_offs); importing them here registers them on `app` in the order `arrears --help` shows.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, store
from arrears.cli.deal_options import By, Creditor, Format, print_json, say, who
from arrears.core.deal_rules_format import rules_to_dict
from arrears.core.errors import ArrearsError
from arrears.core.interest import Regime
from arrears.services import deal_review, deal_rules
from arrears.services.statutory_interest import interest_claims

# The order registers the groups as `arrears --help` has always listed them.
# isort: off
from arrears.cli import promises  # noqa: F401
from arrears.cli import plans  # noqa: F401
from arrears.cli import settlements  # noqa: F401
from arrears.cli import disputes  # noqa: F401
from arrears.cli import write_offs  # noqa: F401
# isort: on

deals_app = typer.Typer(help="The creditor's deal rules, and the review of its deals.", no_args_is_help=True)
app.add_typer(deals_app, name="deals")


# --- rules and review ----------------------------------------------------------------------------


@deals_app.command("rules")
@clear_errors
def deals_rules(
    creditor: Creditor,
    file: Annotated[
        Path | None, typer.Option("--file", help="A YAML file of rules to record as the new version.")
    ] = None,
    by: By = None,
) -> None:
    """Show the creditor's deal rules, or set new ones from a YAML file (a new version)."""
    with store() as opened:
        if file is not None:
            stored = deal_rules.set_deal_rules(
                opened.unit_of_work(), creditor, deal_rules.read_rules_file(file), by=who(by)
            )
            say(f"deal rules of {creditor}: version {stored.version} recorded")
            return
        with opened.unit_of_work() as uow:
            rules = deal_rules.rules_in_force(uow, creditor)
    print_json(rules_to_dict(rules))


@deals_app.command("review")
@clear_errors
def deals_review(creditor: Creditor, as_of: AsOf = None) -> None:
    """Record what the cash made of the deals: promises kept or broken, plans, settlements."""
    with store() as opened:
        review = deal_review.review_deals(opened.unit_of_work(), creditor, parse_date(as_of), by=who(None))
    say(review.summary())
    for reminder in review.reminders:
        say(
            f"  reminder due: {reminder.debtor}, plan {reminder.plan} instalment {reminder.instalment.number} of "
            f"{reminder.amount_to_pay} on {reminder.instalment.due_on.isoformat()}"
        )


# --- statutory interest --------------------------------------------------------------------------


@app.command("interest")
@clear_errors
def interest_command(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    creditor: Creditor,
    as_of: AsOf = None,
    regime: Annotated[str | None, typer.Option(help="uk or eu; default from the creditor's country.")] = None,
    rate: Annotated[
        str | None, typer.Option(help="A contractual rate (per cent a year) instead of the statutory one.")
    ] = None,
    output: Format = OutputFormat.TABLE,
) -> None:
    """Statutory interest and fixed compensation claimable, invoice by invoice."""
    chosen = None
    if regime is not None:
        regimes = {"uk": Regime.UK_LATE_PAYMENT, "eu": Regime.EU_DIRECTIVE}
        if regime.lower() not in regimes:
            raise ArrearsError(f"--regime {regime!r}: use uk or eu")
        chosen = regimes[regime.lower()]
    contractual = None
    if rate is not None:
        try:
            contractual = Decimal(rate)
        except InvalidOperation:
            raise ArrearsError(
                f"--rate {rate!r} is not a number: write it as 8 or 8.5 (per cent a year)"
            ) from None
    with store() as opened:
        claims = interest_claims(
            opened.unit_of_work(),
            creditor,
            debtor,
            parse_date(as_of),
            regime=chosen,
            contractual_rate=contractual,
        )
    rows: list[dict[str, Any]] = [
        {
            "invoice": item.document.number,
            "due": item.document.due_date.isoformat(),
            "principal": str(item.principal.amount),
            "currency": item.principal.currency,
            "days": 0 if item.claim is None else item.claim.days,
            "interest": str(item.interest.amount),
            "compensation": None if item.compensation is None else str(item.compensation.rounded().amount),
            "compensation_currency": None if item.compensation is None else item.compensation.currency,
            "daily": str(item.daily_interest.rounded().amount),
            "basis": item.basis or item.not_claimable,
        }
        for item in claims.invoices
    ]
    if output is OutputFormat.JSON:
        print_json(
            {
                "debtor": debtor,
                "as_of": claims.as_of.isoformat(),
                "invoices": rows,
                "totals": {c: str(m.rounded().amount) for c, m in claims.totals().items()},
            }
        )
        return
    table = Table("invoice", "due", "principal", "days", "interest", "compensation", "per day")
    for row in rows:
        compensation = (
            "" if row["compensation"] is None else f"{row['compensation']} {row['compensation_currency']}"
        )
        table.add_row(
            row["invoice"],
            row["due"],
            f"{row['principal']} {row['currency']}",
            str(row["days"]),
            row["interest"],
            compensation,
            row["daily"],
        )
    console.print(table)
    for item in claims.invoices:
        say(f"{item.document.number}: {item.basis or 'not claimable: ' + item.not_claimable}")
    totals = ", ".join(str(m) for m in claims.totals().values()) or "nothing"
    say(f"total claimable from {debtor} as of {claims.as_of.isoformat()}: {totals}")
