"""Commands of deals with debtors: promises, payment plans, settlements, disputes, write-offs,
fees, the creditor's deal rules and the review; and statutory interest (`arrears interest`)."""

import getpass
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, store
from arrears.core.deal_rules import FeeKind
from arrears.core.deal_rules_format import rules_to_dict
from arrears.core.disputes import DisputeOutcome, DisputeReason, Resolver
from arrears.core.errors import ArrearsError
from arrears.core.instalments import Frequency
from arrears.core.interest import Regime
from arrears.core.money import Money
from arrears.core.promises import PromiseChannel
from arrears.core.writeoffs import WriteOffReason
from arrears.services import (
    deal_review,
    deal_rules,
    disputes,
    fees,
    payment_plans,
    promises,
    settlements,
    write_offs,
)
from arrears.services.deal_confirmations import Confirmation
from arrears.services.statutory_interest import interest_claims
from arrears.services.workspace import Store

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
OnDay = Annotated[str | None, typer.Option("--on", help="The day it happens (YYYY-MM-DD); default today.")]
By = Annotated[str | None, typer.Option("--by", help="Who does it; default the logged-in user.")]
Invoices = Annotated[
    list[str] | None,
    typer.Option("--invoice", "-i", help="An invoice it covers (repeat for several); default all."),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]

promise_app = typer.Typer(help="Promises to pay: take one, list them.", no_args_is_help=True)
app.add_typer(promise_app, name="promise")
plan_app = typer.Typer(help="Payment plans: propose, approve or reject, list.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
settlement_app = typer.Typer(help="Settlements in full and final settlement.", no_args_is_help=True)
app.add_typer(settlement_app, name="settlement")
dispute_app = typer.Typer(help="Disputes on invoices: raise, resolve, report.", no_args_is_help=True)
app.add_typer(dispute_app, name="dispute")
write_off_app = typer.Typer(help="Write-offs with a reason and an approver.", no_args_is_help=True)
app.add_typer(write_off_app, name="write-off")
deals_app = typer.Typer(help="The creditor's deal rules, and the review of its deals.", no_args_is_help=True)
app.add_typer(deals_app, name="deals")


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "arrears"


def _day(text: str | None, option: str) -> date:
    try:
        return parse_date(text)
    except ArrearsError:
        raise ArrearsError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-23") from None


def _amount(text: str, currency: str, option: str) -> Money:
    """'500', '500.00' or '500.00 EUR' (the currency must then be the debt's)."""
    parts = text.split()
    if len(parts) == 2:
        text, given = parts
        if given.upper() != currency:
            raise ArrearsError(f"{option} {text} {given}: the debt is in {currency}")
    try:
        return Money.of(text, currency)
    except ArrearsError:
        raise ArrearsError(f"{option} {text!r} is not an amount: write it as 500 or 500.00") from None


def _debtor_currency(opened: Store, creditor: str, debtor: str) -> str:
    with opened.unit_of_work() as uow:
        return uow.debtors.get(creditor, debtor).currency


def _invoice_currency(opened: Store, creditor: str, number: str) -> str:
    with opened.unit_of_work() as uow:
        return uow.documents.get(creditor, number).currency


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def _confirmation(confirmation: Confirmation | None) -> None:
    if confirmation is not None:
        _say(f"  {confirmation.describe()}")


# --- promises ----------------------------------------------------------------------------------


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
            _invoice_currency(opened, creditor, invoices[0])
            if invoices
            else _debtor_currency(opened, creditor, debtor)
        )
        recorded = promises.record_promise(
            opened.unit_of_work(),
            creditor,
            debtor,
            _amount(amount, currency, "amount"),
            _day(pay_by, "--pay-by"),
            made_on=_day(on, "--on"),
            channel=channel,
            documents=invoices or (),
            taken_by=_who(by),
            note=note,
        )
    promise = recorded.promise
    covers = ", ".join(sorted(promise.documents)) or "the whole account"
    _say(
        f"promise {promise.reference}: {debtor} will pay {promise.amount} by {promise.promised_on.isoformat()} "
        f"for {covers}; reminders held until {promise.deadline.isoformat()}"
    )
    _confirmation(recorded.confirmation)


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
        _json(rows)
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


# --- payment plans -------------------------------------------------------------------------------


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
        currency = _debtor_currency(opened, creditor, debtor)
        agreed = payment_plans.propose_payment_plan(
            opened.unit_of_work(),
            creditor,
            debtor,
            instalments=instalments,
            frequency=frequency,
            first_due_on=_day(first, "--first"),
            agreed_on=_day(on, "--on"),
            by=_who(by),
            documents=invoices,
            first_payment=None
            if first_payment is None
            else _amount(first_payment, currency, "--first-payment"),
        )
    plan = agreed.plan
    _say(
        f"payment plan {plan.reference} for {debtor}: {plan.total} in {len(plan.instalments)} {plan.frequency.value} instalments"
    )
    for instalment in plan.instalments:
        _say(f"  {instalment.number}. {instalment.due_on.isoformat()}  {instalment.amount}")
    _say(f"  {agreed.decision.describe()}")
    _confirmation(agreed.confirmation)


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
            opened.unit_of_work(), creditor, reference, by=_who(by), on=_day(on, "--on")
        )
    _say(f"payment plan {reference} approved by {agreed.plan.approved_by}")
    _confirmation(agreed.confirmation)


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
            opened.unit_of_work(), creditor, reference, by=_who(by), on=_day(on, "--on")
        )
    _say(f"payment plan {reference} rejected")


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
        _json(rows)
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


# --- settlements ---------------------------------------------------------------------------------


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
        currency = _debtor_currency(opened, creditor, debtor)
        agreed = settlements.agree_settlement(
            opened.unit_of_work(),
            creditor,
            debtor,
            _amount(amount, currency, "amount"),
            pay_by=_day(pay_by, "--pay-by"),
            agreed_on=_day(on, "--on"),
            by=_who(by),
            documents=invoices,
            note=note,
        )
    s = agreed.settlement
    _say(
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
            opened.unit_of_work(), creditor, reference, by=_who(by), on=_day(on, "--on")
        )
    _say(f"settlement {reference} approved by {approved.approved_by}")


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
            opened.unit_of_work(), creditor, reference, by=_who(by), on=_day(on, "--on")
        )
    _say(f"settlement {reference} rejected")


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
        _json(rows)
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


# --- disputes ------------------------------------------------------------------------------------


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
        currency = _invoice_currency(opened, creditor, invoice)
        raised = disputes.raise_invoice_dispute(
            opened.unit_of_work(),
            creditor,
            invoice,
            reason,
            raised_on=_day(on, "--on"),
            raised_by=_who(by),
            amount=None if amount is None else _amount(amount, currency, "--amount"),
            notes=notes,
        )
    _say(
        f"dispute {raised.dispute.reference}: {raised.dispute.disputed} of {invoice} ({reason.label}); {raised.collectable} may still be asked for"
    )
    _say(f"  to the creditor: {raised.creditor_notice}")
    _confirmation(raised.acknowledgement)


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
            on=_day(on, "--on"),
            by=_who(by),
            resolver=resolver,
            credit=None if credit is None else _amount(credit, currency, "--credit"),
            credit_note=credit_note,
            note=note,
        )
    text = f"dispute {reference}: {outcome.label}"
    if resolved.credit_note is not None:
        text += f"; credit note {resolved.credit_note} applied {resolved.credit_applied}"
    _say(text)


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
        _json(
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
    _say(f"{summary.open_count} open; resolved: {resolved}")


# --- write-offs and fees -------------------------------------------------------------------------


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
        currency = _invoice_currency(opened, creditor, invoice)
        outcome = write_offs.write_off_invoice(
            opened.unit_of_work(),
            creditor,
            invoice,
            None if amount is None else _amount(amount, currency, "--amount"),
            reason=reason,
            on=_day(on, "--on"),
            by=_who(by),
            note=note,
            approved_by=approved_by,
        )
    value = outcome.write_off
    if outcome.applied:
        _say(
            f"write-off {value.id}: {value.amount} of {invoice} written off ({value.reason.label}; approved by {value.decided_by})"
        )
    else:
        _say(
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
            opened.unit_of_work(), creditor, write_off_id, by=_who(by), on=_day(on, "--on")
        )
    _say(
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
            opened.unit_of_work(), creditor, write_off_id, by=_who(by), on=_day(on, "--on")
        )
    _say(f"write-off {value.id} on {value.document} refused by {value.decided_by}")


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
        _json(rows)
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
        currency = _debtor_currency(opened, creditor, debtor)
        charged = fees.charge_debtor_fee(
            opened.unit_of_work(),
            creditor,
            debtor,
            kind,
            on=_day(on, "--on"),
            by=_who(by),
            amount=None if amount is None else _amount(amount, currency, "--amount"),
            note=note,
            due_days=due_days,
        )
    _say(
        f"fee {charged.fee.reference}: {charged.fee.amount} ({kind.label}) as invoice {charged.invoice.number}"
    )


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
                opened.unit_of_work(), creditor, deal_rules.read_rules_file(file), by=_who(by)
            )
            _say(f"deal rules of {creditor}: version {stored.version} recorded")
            return
        with opened.unit_of_work() as uow:
            rules = deal_rules.rules_in_force(uow, creditor)
    _json(rules_to_dict(rules))


@deals_app.command("review")
@clear_errors
def deals_review(creditor: Creditor, as_of: AsOf = None) -> None:
    """Record what the cash made of the deals: promises kept or broken, plans, settlements."""
    with store() as opened:
        review = deal_review.review_deals(opened.unit_of_work(), creditor, parse_date(as_of), by=_who(None))
    _say(review.summary())
    for reminder in review.reminders:
        _say(
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
        _json(
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
        _say(f"{item.document.number}: {item.basis or 'not claimable: ' + item.not_claimable}")
    totals = ", ".join(str(m) for m in claims.totals().values()) or "nothing"
    _say(f"total claimable from {debtor} as of {claims.as_of.isoformat()}: {totals}")
