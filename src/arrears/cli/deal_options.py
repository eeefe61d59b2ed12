"""What the deal commands share: their options, and parsing of days and amounts in the words a
credit controller types (`--on`, `--pay-by`, `500.00 EUR`), with errors that say how to write them."""

import getpass
import json
import sys
from datetime import date
from typing import Annotated, Any

import typer

from arrears.cli.app import OutputFormat, console, parse_date
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.services.deal_confirmations import Confirmation
from arrears.services.workspace import Store

Creditor = Annotated[str, typer.Option("--creditor", "-c", help="The creditor's code.")]
OnDay = Annotated[str | None, typer.Option("--on", help="The day it happens (YYYY-MM-DD); default today.")]
By = Annotated[str | None, typer.Option("--by", help="Who does it; default the logged-in user.")]
Invoices = Annotated[
    list[str] | None,
    typer.Option("--invoice", "-i", help="An invoice it covers (repeat for several); default all."),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "arrears"


def parse_day(text: str | None, option: str) -> date:
    try:
        return parse_date(text)
    except ArrearsError:
        raise ArrearsError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-23") from None


def parse_amount(text: str, currency: str, option: str) -> Money:
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


def debtor_currency(opened: Store, creditor: str, debtor: str) -> str:
    with opened.unit_of_work() as uow:
        return uow.debtors.get(creditor, debtor).currency


def invoice_currency(opened: Store, creditor: str, number: str) -> str:
    with opened.unit_of_work() as uow:
        return uow.documents.get(creditor, number).currency


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def show_confirmation(confirmation: Confirmation | None) -> None:
    if confirmation is not None:
        say(f"  {confirmation.describe()}")
