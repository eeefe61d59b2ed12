"""Commands of the bank: import statement files, and work the unmatched queue."""

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli.app import AsOf, OutputFormat, app, clear_errors, console, parse_date, store
from arrears.services.bank_import import import_bank_statement
from arrears.services.matching import ignore_line, match_line, rematch_queue, unmatched_queue

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
By = Annotated[str | None, typer.Option("--by", help="Who does it; default the logged-in user.")]

bank_app = typer.Typer(
    help="Bank statements: import, match payments, the unmatched queue.", no_args_is_help=True
)
app.add_typer(bank_app, name="bank")


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "arrears"


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


@bank_app.command("import")
@clear_errors
def bank_import(
    file: Annotated[Path, typer.Argument(help="A camt.053/054 (XML), MT940, OFX or bank CSV file.")],
    creditor: Creditor,
    file_format: Annotated[
        str | None,
        typer.Option("--file-format", help="camt, mt940, ofx or csv; default: read from the file."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Bank CSV layout: lloyds, natwest, starling or generic; default: by header."),
    ] = None,
    account: Annotated[str | None, typer.Option(help="The account, for a bank CSV that names none.")] = None,
    currency: Annotated[
        str | None, typer.Option(help="The currency, for a bank CSV that names none.")
    ] = None,
    as_of: AsOf = None,
    by: By = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Import a statement: lines already imported are skipped, exact payments are matched and
    allocated, the rest wait in the unmatched queue. A malformed file changes nothing."""
    with store() as opened:
        report = import_bank_statement(
            opened.unit_of_work(),
            creditor,
            file,
            by=_who(by),
            format=file_format,
            csv_profile=profile,
            account=account,
            currency=currency,
            as_of=None if as_of is None else parse_date(as_of),
        )
    if output is OutputFormat.JSON:
        sys.stdout.write(
            json.dumps(
                {
                    "source": report.source,
                    "statements": report.statements,
                    "statements_known": report.statements_known,
                    "lines_new": report.lines_new,
                    "lines_known": report.lines_known,
                    "debits": report.debits,
                    "matched": [
                        {
                            "line": m.line.id,
                            "debtor": m.debtor,
                            "payment": m.payment,
                            "documents": list(m.documents),
                            "amount": str(m.line.amount.amount),
                            "currency": m.line.amount.currency,
                            "on_account": str(m.on_account.amount),
                            "confidence": m.confidence,
                            "method": m.method,
                        }
                        for m in report.matched
                    ],
                    "queued": [q.line.id for q in report.queued],
                    "balance_warnings": report.balance_warnings,
                    "review": None if report.review is None else report.review.summary(),
                },
                indent=2,
            )
            + "\n"
        )
        return
    _say(
        f"{report.source}: {report.statements} statement(s) imported ({report.statements_known} already known), "
        f"{report.lines_new} new line(s) ({report.lines_known} already imported), {report.debits} debit(s)"
    )
    matched = ", ".join(str(m) for m in report.cash_matched().values()) or "nothing"
    queued = ", ".join(str(m) for m in report.cash_queued().values()) or "nothing"
    _say(f"  matched: {len(report.matched)} payment(s), {matched}; unmatched: {len(report.queued)}, {queued}")
    for done in report.matched:
        settled = ", ".join(done.documents) or "on account"
        extra = f" ({done.on_account} on account)" if done.on_account.is_positive else ""
        _say(
            f"    {done.line.booking_date.isoformat()} {done.line.amount} -> {done.debtor}: {settled}{extra} [{done.method}, {done.confidence}]"
        )
    for warning in report.balance_warnings:
        _say(f"  warning: {warning}")
    if report.review is not None:
        _say(f"  {report.review.summary()}")


@bank_app.command("unmatched")
@clear_errors
def bank_unmatched(
    creditor: Creditor,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Credits waiting for a person, with the matcher's best guesses."""
    with store() as opened:
        queue = unmatched_queue(opened.unit_of_work(), creditor)
    rows: list[dict[str, Any]] = [
        {
            "line": q.line.id,
            "booked": q.line.booking_date.isoformat(),
            "amount": str(q.line.amount.amount),
            "currency": q.line.amount.currency,
            "payer": q.line.counterparty_name,
            "payer_account": q.line.counterparty_account,
            "text": " ".join(part for part in (q.line.reference, q.line.narration) if part),
            "suggestions": list(q.suggestions),
        }
        for q in queue
    ]
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table("line", "booked", "amount", "payer", "remittance", "best guess")
    for row in rows:
        best = row["suggestions"][0] if row["suggestions"] else None
        guess = (
            ""
            if best is None
            else f"{best['debtor']} {', '.join(best['documents'][:3])} ({best['confidence']})"
        )
        table.add_row(
            str(row["line"]),
            row["booked"],
            f"{row['amount']} {row['currency']}",
            row["payer"] or "",
            row["text"][:60],
            guess,
        )
    console.print(table)
    _say(f"{len(rows)} unmatched credit(s); match one with `arrears bank match LINE DEBTOR`")


@bank_app.command("match")
@clear_errors
def bank_match(
    line: Annotated[int, typer.Argument(help="The line's number (from `bank unmatched`).")],
    debtor: Annotated[str, typer.Argument(help="The debtor's account code.")],
    creditor: Creditor,
    invoices: Annotated[
        list[str] | None,
        typer.Option("--invoice", "-i", help="An invoice it pays (repeat); default oldest first."),
    ] = None,
    by: By = None,
) -> None:
    """Match an unmatched credit to a debtor: it becomes the debtor's payment, allocated to invoices."""
    with store() as opened:
        done = match_line(opened.unit_of_work(), creditor, line, debtor, by=_who(by), documents=invoices)
    extra = f", {done.on_account} on account" if done.on_account.is_positive else ""
    _say(
        f"line {line}: {done.line.amount} from {debtor} as payment {done.payment}: {', '.join(done.documents) or 'on account'}{extra}"
    )


@bank_app.command("ignore")
@clear_errors
def bank_ignore(
    line: Annotated[int, typer.Argument(help="The line's number (from `bank unmatched`).")],
    creditor: Creditor,
    note: Annotated[str, typer.Option(help="Why it is not a customer's payment.")],
    by: By = None,
) -> None:
    """Take a credit out of the queue: not a customer's payment (a refund, interest...)."""
    with store() as opened:
        ignore_line(opened.unit_of_work(), creditor, line, by=_who(by), note=note)
    _say(f"line {line} ignored: {note}")


@bank_app.command("rematch")
@clear_errors
def bank_rematch(creditor: Creditor, as_of: AsOf = None) -> None:
    """Run the matcher again over the queue (after new invoices were imported)."""
    with store() as opened:
        matched, queued = rematch_queue(opened.unit_of_work(), creditor, parse_date(as_of))
    _say(f"{len(matched)} matched now, {len(queued)} still unmatched")
