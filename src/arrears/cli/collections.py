"""Commands of the collections engine: run the cycle, decide approvals, work the worklist,
explain a debtor, and set up a creditor's policy, service, holds and time budget."""

import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from arrears.cli.app import (
    AsOf,
    CreditorOption,
    OutputFormat,
    app,
    clear_errors,
    console,
    parse_date,
    state,
    store,
)
from arrears.cli.comms import parse_promise, print_send_report
from arrears.comms.channels.call import CallOutcome
from arrears.comms.config import CommsSettings
from arrears.comms.dispatcher import Outcome
from arrears.core.errors import ArrearsError
from arrears.core.policy_format import policy_to_dict
from arrears.services import approvals as approvals_service
from arrears.services import collections_setup as setup
from arrears.services.cycle import CycleReport
from arrears.services.daily_run import DayReport, run_day
from arrears.services.explain import DEFAULT_LOOK_AHEAD_DAYS, explain_debtor
from arrears.services.worklist import (
    OpenTask,
    TaskKind,
    WorkItem,
    Worklist,
    work_debtor,
    work_task,
    worklist,
)
from arrears.store.repositories import StoredHold

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
OnDay = Annotated[
    str | None, typer.Option("--on", help="The day it takes effect (YYYY-MM-DD); default today.")
]

approvals_app = typer.Typer(help="Actions waiting for the creditor's approval.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")
policy_app = typer.Typer(help="A creditor's escalation policy (versioned).", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
service_app = typer.Typer(help="Turn the collections service on or off for a creditor.", no_args_is_help=True)
app.add_typer(service_app, name="service")
hold_app = typer.Typer(
    help="Holds: disputes, promises, plans, customers not to contact.", no_args_is_help=True
)
app.add_typer(hold_app, name="hold")
worklist_app = typer.Typer(help="Call tasks and follow-ups for controllers, within the time budget.")
app.add_typer(worklist_app, name="worklist")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "arrears"


def _day(text: str | None, option: str) -> date:
    try:
        return parse_date(text)
    except ArrearsError:
        raise ArrearsError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-23") from None


def _optional_day(text: str | None, option: str) -> date | None:
    return None if text is None else _day(text, option)


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


# --- the cycle ---------------------------------------------------------------------------------


@app.command("cycle")
@clear_errors
def cycle_command(
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and report, record nothing.")] = False,
    send: Annotated[
        bool,
        typer.Option("--send", help="Then queue the ready actions and deliver the outbox (as arrears send)."),
    ] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Plan the day's actions, record them and hand them to the outbox (safe to repeat); with
    --send, then deliver them within contact hours and caps."""
    day = parse_date(as_of)
    settings = CommsSettings()
    with store() as opened:
        ran = run_day(
            opened.unit_of_work,
            settings,
            state.settings.home,
            day,
            creditor=creditor,
            send=send,
            dry_run=dry_run,
            run_by=_who(),
        )
    if output is OutputFormat.JSON:
        _json([_report_row(report, ran) for report in ran.cycles])
        return
    for report in ran.cycles:
        console.print("\n".join(report.summary_lines()), highlight=False, soft_wrap=True)
    if ran.sending is not None:
        print_send_report(ran.sending, settings)


def _report_row(report: CycleReport, ran: DayReport) -> dict[str, Any]:
    row = _cycle_row(report)
    if ran.sending is not None:
        queued = ran.sending.queued.get(report.creditor)
        delivered = ran.sending.dispatched.for_creditor(report.creditor)
        row["send"] = {
            "queued": 0 if queued is None else len(queued.queued),
            "refused": []
            if queued is None
            else [{"debtor": r.debtor, "reason": r.reason} for r in queued.refused],
            "problem": ran.sending.problems.get(report.creditor),
            "delivered": {
                outcome: delivered.count(outcome)
                for outcome in (
                    Outcome.SENT,
                    Outcome.RETRY,
                    Outcome.DEAD,
                    Outcome.DEFERRED,
                    Outcome.SUPPRESSED,
                    Outcome.NEEDS_CHECKING,
                )
            },
            "print_batches": delivered.print_batches,
        }
    return row


def _cycle_row(report: CycleReport) -> dict[str, Any]:
    return {
        "creditor": report.creditor,
        "as_of": report.as_of.isoformat(),
        "dry_run": report.dry_run,
        "run_id": report.run_id,
        "policy": report.policy_name,
        "policy_version": report.policy_version,
        "service_on": report.service_on,
        "planned": len(report.planned),
        "awaiting_approval": len(report.awaiting_approval),
        "already_recorded": report.already_recorded,
        "skipped": report.skipped,
        "by_step_and_channel": [
            {"step": step, "channel": channel, "planned": planned, "awaiting_approval": waiting}
            for step, channel, planned, waiting in report.by_step_and_channel()
        ],
        "skipped_by_reason": dict(report.skipped_by_reason),
    }


# --- approvals ---------------------------------------------------------------------------------


@approvals_app.command("list")
@clear_errors
def approvals_list(
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Actions awaiting approval, with the documents they chase, the debtor's history and holds."""
    day = parse_date(as_of)
    with store() as opened:
        requests = approvals_service.pending_approvals(opened.unit_of_work(), day, creditor=creditor)
    if output is OutputFormat.JSON:
        _json(
            [
                {
                    "id": request.action.id,
                    "creditor": request.action.creditor,
                    "debtor": request.action.debtor,
                    "step": request.action.step,
                    "channel": request.action.channel.value,
                    "planned_on": request.action.planned_on.isoformat(),
                    "reason": request.action.reason,
                    "documents": [
                        {
                            "number": evidence.document.number,
                            "due_date": evidence.document.due_date.isoformat(),
                            "open": str(evidence.document.open_amount.amount),
                            "currency": evidence.document.currency,
                            "days_past_due": evidence.days_past_due,
                        }
                        for evidence in request.documents
                    ],
                    "open_amounts": {money.currency: str(money.amount) for money in request.open_amounts()},
                    "history": [
                        {
                            "id": past.id,
                            "step": past.step,
                            "on": past.planned_on.isoformat(),
                            "status": past.status.value,
                        }
                        for past in request.history
                    ],
                    "holds": [_hold_row(hold) for hold in request.holds],
                    "deal_holds": [
                        {"deal": held.deal, "reason": held.hold.reason.value, "hold": held.describe()}
                        for held in request.deal_holds
                    ],
                    "warning": request.warning() or None,
                }
                for request in requests
            ]
        )
        return
    if not requests:
        console.print("nothing awaits approval")
        return
    for request in requests:
        action = request.action
        owed = ", ".join(str(money) for money in request.open_amounts()) or "nothing open"
        console.rule(
            f"action {action.id}: {action.creditor} / {action.debtor} ({request.debtor.name})", align="left"
        )
        console.print(
            f"step {action.step!r} by {action.channel.value}, planned {action.planned_on.isoformat()}; open now: {owed}",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"why: {action.reason}", highlight=False, soft_wrap=True)
        if request.held_by_deal:
            console.print(f"warning: {request.warning()}", highlight=False, soft_wrap=True, markup=False)
        table = Table("document", "due", "days past due", "open", "status")
        for evidence in request.documents:
            document = evidence.document
            table.add_row(
                document.number,
                document.due_date.isoformat(),
                str(evidence.days_past_due),
                str(document.open_amount),
                document.status.value,
            )
        console.print(table)
        for past in request.history:
            console.print(
                f"  earlier: {past.planned_on.isoformat()} {past.step!r} by {past.channel.value}, {past.status.label}",
                highlight=False,
            )
        for stored in request.holds:
            console.print(f"  hold {stored.id}: {stored.hold.describe()}", highlight=False)
        for payment in request.payments[-3:]:
            console.print(
                f"  payment {payment.reference} on {payment.received_on.isoformat()}: {payment.amount}"
            )


@approvals_app.command("approve")
@clear_errors
def approvals_approve(
    action_id: Annotated[int, typer.Argument(help="The action's id (from `approvals list`).")],
    creditor: Creditor,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")] = "",
    override: Annotated[
        bool,
        typer.Option("--override", help="Approve although a deal now holds it (needs --reason; recorded)."),
    ] = False,
    on: OnDay = None,
) -> None:
    """Approve an action: it goes to the outbox."""
    with store() as opened:
        decision = approvals_service.approve(
            opened.unit_of_work(),
            creditor,
            action_id,
            on=_day(on, "--on"),
            by=_who(),
            reason=reason,
            override=override,
        )
    console.print(
        f"action {decision.action.id} ({decision.action.step!r} for {decision.action.debtor}) approved"
    )
    for held in decision.overridden:
        console.print(f"  overriding {held.describe()}", highlight=False, soft_wrap=True, markup=False)


@approvals_app.command("reject")
@clear_errors
def approvals_reject(
    action_id: Annotated[int, typer.Argument(help="The action's id (from `approvals list`).")],
    creditor: Creditor,
    reason: Annotated[str, typer.Option("--reason", help="Why the creditor declines (required).")] = "",
    keep_chasing: Annotated[
        bool, typer.Option("--keep-chasing", help="A rejected legal step does not hold its documents.")
    ] = False,
    on: OnDay = None,
) -> None:
    """Reject an action; a rejected legal step also holds its documents (do not contact)."""
    with store() as opened:
        decision = approvals_service.reject(
            opened.unit_of_work(),
            creditor,
            action_id,
            on=_day(on, "--on"),
            reason=reason,
            by=_who(),
            keep_chasing=keep_chasing,
        )
    console.print(
        f"action {decision.action.id} ({decision.action.step!r} for {decision.action.debtor}) rejected"
    )
    if decision.hold is not None:
        console.print(
            f"hold {decision.hold.id}: {decision.hold.hold.describe()}", highlight=False, soft_wrap=True
        )


# --- worklist ----------------------------------------------------------------------------------


@worklist_app.callback(invoke_without_command=True)
@clear_errors
def worklist_command(
    context: typer.Context,
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """The debtors to call, one row each with all its open tasks, most urgent first, within the
    time budget; debtors on hold apart; tasks settled since they were planned are closed."""
    if context.invoked_subcommand is not None:
        return
    if creditor is None:
        raise ArrearsError("name the creditor: arrears worklist --creditor CODE")
    day = parse_date(as_of)
    with store() as opened:
        found = worklist(opened.unit_of_work(), creditor, day)
    if output is OutputFormat.JSON:
        _json(_worklist_rows(found))
        return
    _render_worklist(found)


def _worklist_rows(found: Worklist) -> dict[str, Any]:
    def task_row(task: OpenTask) -> dict[str, Any]:
        return {
            "action": task.action.id,
            "kind": task.kind.value,
            "step": task.step,
            "documents": list(task.documents),
            "planned_on": task.action.planned_on.isoformat(),
            "call_task": None if task.call is None else task.call.id,
            "phone": None if task.call is None else task.call.phone,
            "due_at": None if task.call is None else task.call.due_at.isoformat(),
        }

    def row(item: WorkItem) -> dict[str, Any]:
        return {
            "debtor": item.debtor,
            "action": item.action.id,
            "kind": item.kind.value,
            "step": item.step,
            "flagged": item.flagged,
            "priority": str(item.priority),
            "amount_at_risk": str(item.amount_at_risk.amount),
            "balance": str(item.balance.amount),
            "days_overdue": item.days_overdue,
            "broken_promises": item.broken_promises,
            "step_position": item.step_position,
            "call_task": None if item.task is None else item.task.id,
            "phone": None if item.task is None else item.task.phone,
            "due_at": None if item.task is None else item.task.due_at.isoformat(),
            "card": item.card,
            "documents": list(item.documents),
            "hold": item.hold,
            "holds": list(item.holds),
            "tasks": [task_row(task) for task in item.tasks],
        }

    return {
        "creditor": found.creditor.code,
        "as_of": found.as_of.isoformat(),
        "minutes_per_call": found.settings.minutes_per_call,
        "used_minutes": found.used_minutes,
        "remaining_minutes": found.remaining_minutes,
        "items": [row(item) for item in found.items],
        "over_budget": [row(item) for item in found.over_budget],
        "on_hold": [row(item) for item in found.on_hold],
        "closed": [
            {
                "debtor": closed.debtor,
                "action": closed.task.action.id,
                "kind": closed.task.kind.value,
                "step": closed.task.step,
                "call_task": None if closed.task.call is None else closed.task.call.id,
                "closed_at": closed.closed_at.isoformat(),
                "reason": closed.reason,
            }
            for closed in found.closed
        ],
    }


def _render_worklist(found: Worklist) -> None:
    settings = found.settings
    budget = (
        "no time budget"
        if found.remaining_minutes is None
        else f"{found.remaining_minutes} of {settings.monthly_budget_minutes} minutes left this month"
    )
    table = Table(
        title=f"{found.creditor.name} ({found.creditor.code}): worklist as of {found.as_of} — {budget}, "
        f"{settings.minutes_per_call} min a debtor",
        title_justify="left",
    )
    for column in (
        "",
        "actions",
        "debtor",
        "tasks",
        "step",
        "documents",
        "at risk",
        "days overdue",
        "broken promises",
        "priority",
        "call tasks",
    ):
        table.add_column(
            column, justify="right" if column in ("at risk", "days overdue", "priority") else "left"
        )
    locale = found.creditor.locale
    for item in found.items:
        table.add_row(
            "⚑" if item.flagged else "",
            ", ".join(map(str, item.action_ids)),
            item.debtor,
            _tasks_cell(item),
            item.step,
            ", ".join(item.documents),
            item.amount_at_risk.format(locale),
            str(item.days_overdue),
            str(item.broken_promises),
            str(item.priority),
            _call_task_cell(item),
        )
    if not found.items:
        table.add_row("", "", "nothing to do", "", "", "", "", "", "", "", "")
    console.print(table)
    for item in found.items:
        if item.holds:
            console.print(
                f"{item.debtor}: partly held: {'; '.join(item.holds)}", highlight=False, soft_wrap=True
            )
    if found.over_budget:
        console.print(
            f"{len(found.over_budget)} more debtor(s) do not fit the budget: "
            + ", ".join(f"{item.debtor} (action {item.action.id})" for item in found.over_budget[:10])
            + (" ..." if len(found.over_budget) > 10 else ""),
            highlight=False,
            soft_wrap=True,
        )
    for item in found.on_hold:
        actions = ", ".join(map(str, item.action_ids))
        console.print(
            f"{item.debtor} (action {actions}), not counted: {item.hold}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for closed in found.closed:
        console.print(
            f"closed: {closed.debtor} action {closed.task.action.id} ({closed.task.step!r}) {closed.reason}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _tasks_cell(item: WorkItem) -> str:
    """'call', '3 calls', '1 call, 2 follow-ups'."""
    calls = sum(task.kind is TaskKind.CALL for task in item.tasks)
    follow_ups = len(item.tasks) - calls
    if len(item.tasks) == 1:
        return item.kind.value
    parts = [
        f"{calls} call{'s' if calls != 1 else ''}" if calls else "",
        f"{follow_ups} follow-up{'s' if follow_ups != 1 else ''}" if follow_ups else "",
    ]
    return ", ".join(part for part in parts if part)


def _call_task_cell(item: WorkItem) -> str:
    cells = [f"{task.id} (card)" if n == 0 else str(task.id) for n, task in enumerate(item.call_tasks)]
    unqueued = sum(task.kind is TaskKind.CALL and task.call is None for task in item.tasks)
    if unqueued:
        cells.append("not queued yet" if unqueued == 1 else f"{unqueued} not queued yet")
    return ", ".join(cells)


def _find_item(found: Worklist, action_id: int | None, debtor: str | None, creditor: str) -> WorkItem:
    if (action_id is None) == (debtor is None):
        raise ArrearsError("name the task's action id (from the worklist) or --debtor CODE, not both")
    item = found.find(action_id=action_id, debtor=debtor)
    if item is None:
        what = f"action {action_id}" if action_id is not None else f"debtor {debtor}"
        raise ArrearsError(f"{what} is not on creditor {creditor}'s worklist")
    return item


@worklist_app.command("show")
@clear_errors
def worklist_show(
    creditor: Creditor,
    action_id: Annotated[
        int | None, typer.Argument(help="Any of the debtor's action ids (from the worklist).")
    ] = None,
    debtor: Annotated[str | None, typer.Option("--debtor", "-d", help="The debtor instead.")] = None,
    as_of: AsOf = None,
) -> None:
    """A debtor's tasks and the call card to read from: what to say, and the outcomes to log."""
    with store() as opened:
        found = worklist(opened.unit_of_work(), creditor, parse_date(as_of))
    item = _find_item(found, action_id, debtor, creditor)
    console.print(
        f"{item.debtor}: {_tasks_cell(item)}, most advanced step {item.step!r} (priority {item.priority})",
        highlight=False,
    )
    if item.hold is not None:
        console.print(item.hold, highlight=False, markup=False, soft_wrap=True)
    for task in item.tasks:
        call = f", call task {task.call.id}" if task.call is not None else ""
        console.print(
            f"  action {task.action.id}: {task.kind.value} {task.step!r} on {', '.join(task.documents)}"
            f" (planned {task.action.planned_on.isoformat()}{call})",
            highlight=False,
            markup=False,
        )
        if task.kind is TaskKind.FOLLOW_UP:
            console.print(
                f"    why: {task.action.failure or ''}", highlight=False, markup=False, soft_wrap=True
            )
    if item.task is not None:
        phone = f", {item.task.phone}" if item.task.phone else ""
        console.print(f"call task {item.task.id}{phone}", highlight=False, markup=False)
        console.print(item.task.card, highlight=False, markup=False)
    elif item.kind is TaskKind.CALL:
        console.print(
            f"its call card is rendered when the call is queued: run arrears send --creditor {creditor}",
            highlight=False,
        )


@worklist_app.command("done")
@clear_errors
def worklist_done(
    creditor: Creditor,
    action_id: Annotated[
        int | None, typer.Argument(help="Any of the debtor's action ids (from the worklist).")
    ] = None,
    debtor: Annotated[str | None, typer.Option("--debtor", "-d", help="The debtor instead.")] = None,
    note: Annotated[str, typer.Option("--note", help="What happened on the call.")] = "",
    outcome: Annotated[
        CallOutcome | None,
        typer.Option("--outcome", help="What came of the call (a call is logged as 'other' without it)."),
    ] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Amount promised (with --outcome promise).")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Date promised (YYYY-MM-DD).")] = None,
) -> None:
    """A controller worked a debtor: one call, logged once, does all its open tasks (its call
    tasks close with the outcome; its failed deliveries are followed up)."""
    if (action_id is None) == (debtor is None):
        raise ArrearsError("name the task's action id (from the worklist) or --debtor CODE, not both")
    with store() as opened:
        with opened.unit_of_work() as uow:
            code = debtor if debtor is not None else uow.actions.get(creditor, action_id or 0).debtor
            currency = uow.debtors.get(creditor, code).currency
        promised, promised_on = parse_promise(amount, on, currency)
        options: dict[str, Any] = {
            "by": _who(),
            "note": note,
            "outcome": outcome,
            "promised_amount": promised,
            "promised_on": promised_on,
        }
        if action_id is not None:
            done = work_task(opened.unit_of_work(), creditor, action_id, **options)
        else:
            done = work_debtor(opened.unit_of_work(), creditor, code, **options)
    for action in done.actions:
        console.print(
            f"action {action.id} ({action.step!r} for {action.debtor}) worked: {action.status.label}"
        )
    if done.calls:
        tasks = f" (call task(s) {', '.join(map(str, done.call_tasks))} closed)" if done.call_tasks else ""
        console.print(
            f"{done.debtor}: one call logged for {len(done.actions)} task(s){tasks}", highlight=False
        )


# --- explain -----------------------------------------------------------------------------------


@app.command("explain")
@clear_errors
def explain_command(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    creditor: CreditorOption = None,
    as_of: AsOf = None,
    look_ahead: Annotated[
        int, typer.Option("--look-ahead", min=1, max=400, help="Days to look ahead for the next action.")
    ] = DEFAULT_LOOK_AHEAD_DAYS,
) -> None:
    """A debtor's timeline, and why each past and next action happened or did not."""
    day = parse_date(as_of)
    with store() as opened:
        explanation = explain_debtor(
            opened.unit_of_work(), debtor, day, creditor=creditor, look_ahead_days=look_ahead
        )
    for line in explanation.lines():
        console.print(line, highlight=False, soft_wrap=True, markup=False)


# --- set-up: policy, service, holds, budget ----------------------------------------------------


@policy_app.command("set")
@clear_errors
def policy_set(
    file: Annotated[Path, typer.Argument(help="The policy as YAML or JSON.")],
    creditor: Creditor,
) -> None:
    """Make a policy file the creditor's next policy version."""
    with store() as opened:
        stored = setup.set_policy(opened.unit_of_work(), creditor, file, by=_who())
    console.print(
        f"creditor {creditor}: policy {stored.policy.name!r} stored as version {stored.version} "
        f"({len(stored.policy.steps)} steps, from {file.name})",
        highlight=False,
    )


@policy_app.command("show")
@clear_errors
def policy_show(
    creditor: Creditor,
    version: Annotated[
        int | None, typer.Option("--version", help="A stored version; default the current.")
    ] = None,
) -> None:
    """Print the creditor's policy as YAML (the shipped UK ladder when none was set)."""
    with store() as opened:
        found = setup.policy_of(opened.unit_of_work(), creditor, version=version)
    console.print(f"# creditor {creditor}: {found.source}", highlight=False, markup=False)
    sys.stdout.flush()
    sys.stdout.write(yaml.safe_dump(policy_to_dict(found.policy), sort_keys=False, allow_unicode=True))


@policy_app.command("versions")
@clear_errors
def policy_versions(creditor: Creditor) -> None:
    """The creditor's policy versions, oldest first."""
    with store() as opened:
        versions = setup.policy_versions(opened.unit_of_work(), creditor)
    if not versions:
        console.print(f"creditor {creditor} has set no policy: its cycles use the shipped UK ladder")
    for stored in versions:
        console.print(
            f"v{stored.version}  {stored.created_at:%Y-%m-%d %H:%M} UTC  {stored.policy.name!r} from {stored.source} "
            f"by {stored.created_by}",
            highlight=False,
        )


def _print_status(status: setup.ServiceStatus) -> None:
    state = "on" if status.is_on else "off"
    console.print(
        f"creditor {status.creditor}: the service is {state} on {status.on.isoformat()}", highlight=False
    )
    for window in status.windows:
        start = "since it was added" if window.starts_on == date.min else f"from {window.starts_on}"
        end = "" if window.ends_on is None else f" to {window.ends_on}"
        console.print(f"  on {start}{end}", highlight=False)


@service_app.command("on")
@clear_errors
def service_on(creditor: Creditor, from_day: Annotated[str | None, typer.Option("--from")] = None) -> None:
    """Turn the service on from a day (default today): the next cycle catches up."""
    with store() as opened:
        _print_status(setup.turn_service_on(opened.unit_of_work(), creditor, _day(from_day, "--from")))


@service_app.command("off")
@clear_errors
def service_off(creditor: Creditor, from_day: Annotated[str | None, typer.Option("--from")] = None) -> None:
    """Turn the service off from a day (default today): cycles plan nothing."""
    with store() as opened:
        _print_status(setup.turn_service_off(opened.unit_of_work(), creditor, _day(from_day, "--from")))


@service_app.command("status")
@clear_errors
def service_status(creditor: Creditor, as_of: AsOf = None) -> None:
    """Whether the service is on, and its windows."""
    with store() as opened:
        _print_status(setup.service_status(opened.unit_of_work(), creditor, parse_date(as_of)))


def _hold_row(stored: StoredHold) -> dict[str, Any]:
    hold = stored.hold
    return {
        "id": stored.id,
        "debtor": hold.debtor,
        "reason": hold.reason.value,
        "documents": sorted(hold.documents),
        "starts_on": None if hold.starts_on is None else hold.starts_on.isoformat(),
        "ends_on": None if hold.ends_on is None else hold.ends_on.isoformat(),
        "lifted_on": None if stored.lifted_on is None else stored.lifted_on.isoformat(),
        "note": hold.note,
    }


@hold_app.command("add")
@clear_errors
def hold_add(
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    creditor: Creditor,
    reason: Annotated[
        str,
        typer.Option("--reason", help="dispute, promise_to_pay, payment_plan, do_not_contact or insolvency."),
    ],
    documents: Annotated[
        str | None,
        typer.Option("--documents", help="Document numbers, comma-separated; default the whole debtor."),
    ] = None,
    from_day: Annotated[
        str | None, typer.Option("--from", help="First day held; default: in force at once.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Last day held; for a promise to pay, the promised date (grace is added)."
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Why, for the record.")] = "",
) -> None:
    """Hold a debtor, or some of its documents: nobody contacts it about them meanwhile."""
    chosen = setup.parse_hold_reason(reason)
    with store() as opened:
        stored = setup.add_hold(
            opened.unit_of_work(),
            creditor,
            debtor,
            chosen,
            documents=(documents or "").split(","),
            starts_on=_optional_day(from_day, "--from"),
            ends_on=_optional_day(until, "--until"),
            note=note,
            by=_who(),
        )
    console.print(f"hold {stored.id} on {debtor}: {stored.hold.describe()}", highlight=False, soft_wrap=True)


@hold_app.command("lift")
@clear_errors
def hold_lift(
    hold_id: Annotated[int, typer.Argument(help="The hold's id (from `hold list`).")],
    creditor: Creditor,
    on: OnDay = None,
    note: Annotated[str, typer.Option("--note", help="Why it is lifted.")] = "",
) -> None:
    """Lift a hold from a day (default today): the ladder resumes where it fits."""
    with store() as opened:
        lifted = setup.lift_hold(opened.unit_of_work(), creditor, hold_id, _day(on, "--on"), note=note)
    console.print(
        f"hold {lifted.id} ({lifted.hold.reason.label} on {lifted.hold.debtor}) lifted from {lifted.lifted_on}",
        highlight=False,
    )


@hold_app.command("list")
@clear_errors
def hold_list(
    creditor: Creditor,
    debtor: Annotated[str | None, typer.Option("--debtor", help="Only this debtor's holds.")] = None,
    active_on: Annotated[
        str | None, typer.Option("--active-on", help="Only holds in force on this day.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """The creditor's holds (lifted and ended ones too, unless --active-on)."""
    with store() as opened:
        holds = setup.list_holds(
            opened.unit_of_work(), creditor, debtor=debtor, active_on=_optional_day(active_on, "--active-on")
        )
    if output is OutputFormat.JSON:
        _json([_hold_row(stored) for stored in holds])
        return
    table = Table("id", "debtor", "reason", "documents", "from", "until", "lifted", "note")
    for stored in holds:
        row = _hold_row(stored)
        table.add_row(
            str(row["id"]),
            row["debtor"],
            row["reason"],
            ", ".join(row["documents"]) or "all",
            row["starts_on"] or "",
            row["ends_on"] or "",
            row["lifted_on"] or "",
            row["note"],
        )
    console.print(table)


@app.command("budget")
@clear_errors
def budget_command(
    creditor: Creditor,
    hours: Annotated[str | None, typer.Option("--hours", help="Controller hours per calendar month.")] = None,
    no_budget: Annotated[bool, typer.Option("--no-budget", help="Remove the time budget.")] = False,
    minutes_per_call: Annotated[
        int | None, typer.Option("--minutes-per-call", min=1, help="Minutes a call task takes [10].")
    ] = None,
    flag_above: Annotated[
        str | None, typer.Option("--flag-above", help="Flag accounts with at least this much at risk.")
    ] = None,
    no_flag: Annotated[bool, typer.Option("--no-flag", help="Flag no account.")] = False,
) -> None:
    """Set the creditor's worklist time budget and flag amount (shows them when nothing is given)."""
    with store() as opened:
        settings = setup.set_budget(
            opened.unit_of_work(),
            creditor,
            monthly_hours=None if hours is None else setup.parse_hours(hours),
            minutes_per_call=minutes_per_call,
            flag_above=flag_above,
            clear_budget=no_budget,
            clear_flag=no_flag,
        )
    budget = (
        "none" if settings.monthly_budget_hours is None else f"{settings.monthly_budget_hours} hours a month"
    )
    flag = "none" if settings.flag_above is None else str(settings.flag_above)
    console.print(
        f"creditor {creditor}: time budget {budget}, {settings.minutes_per_call} minutes a call, flag above {flag}",
        highlight=False,
    )
