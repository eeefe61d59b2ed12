"""What every command module shares: the Typer `app`, the consoles, the error wrapper, the
store opener, option types and small renderers.

Commands parse their options, call one service and render its result; an `ArrearsError`
becomes one line on stderr and exit status 1, never a traceback.
"""

import csv
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arrears.core.ageing import Buckets
from arrears.core.errors import ArrearsError
from arrears.services.workspace import Store, open_store
from arrears.settings import Settings

app = typer.Typer(
    name="arrears",
    help="Credit control and debt collections: ledgers, ageing, metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Piped output (CI logs, files) gets room for a whole ageing row instead of Rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class _State:
    settings: Settings = Settings()


state = _State()


def clear_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a person's mistake (an ArrearsError) into one line and exit status 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ArrearsError as error:
            # soft_wrap: one line however narrow the terminal (or 80 columns when piped).
            errors.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            errors.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


@contextmanager
def store() -> Iterator[Store]:
    opened = open_store(state.settings)
    try:
        yield opened
    finally:
        opened.dispose()


def parse_date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArrearsError(f"--as-of {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-23") from None


def parse_buckets(text: str | None) -> Buckets:
    if text is None:
        return Buckets()
    return Buckets.parse(text)


AsOf = Annotated[
    str | None, typer.Option("--as-of", help="The date to report as of (YYYY-MM-DD); default today.")
]
CreditorOption = Annotated[str | None, typer.Option("--creditor", "-c", help="A creditor code; default all.")]


@app.callback()
def main_options(
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="ARREARS_HOME", help="Workspace folder [./arrears-workspace]."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="ARREARS_DATABASE_URL", help="SQLAlchemy URL of the store."),
    ] = None,
) -> None:
    state.settings = Settings().with_overrides(home=home, database_url=database_url)


def figure(value: object) -> str | None:
    return None if value is None else str(value)


def write_csv(rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())


def creditor_codes(opened: Store) -> list[str]:
    with opened.unit_of_work() as uow:
        return [creditor.code for creditor in uow.creditors.list_all()]


@contextmanager
def progress_bar() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        # Piped or captured, a bar is only noise (and leaves a blank line before an error).
        disable=not errors.is_terminal,
    ) as progress:
        yield progress
