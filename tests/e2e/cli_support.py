"""How the end-to-end tests run `arrears` and read what it says.

Every run names its workspace with `--home` and runs without the caller's `ARREARS_*`
variables, so nothing reads or writes the work tree or anyone else's workspace.
"""

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from arrears.cli import app

CONSOLE_SCRIPT = Path(sys.executable).parent / "arrears"

AS_OF = "2026-03-31"
# Small enough to take well under a second, big enough for every bucket and two currencies.
SIM = ("sim", "--creditors", "2", "--debtors", "60", "--invoices", "800", "--seed", "3", "--as-of", AS_OF)
DEFAULT_LABELS = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]

# Variables that would point a run at someone else's workspace or change how Rich renders.
FOREIGN_VARIABLES = (
    "ARREARS_HOME",
    "ARREARS_DATABASE_URL",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a person sees of one command: its exit status and both streams."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def csv_rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.stdout)))


def run_in_process(home: Path, *args: str) -> Outcome:
    """`arrears --home HOME ARGS...` through Typer's runner: fast, for the many small cases.
    An exception that escapes the command fails the test with its traceback."""
    result = CliRunner().invoke(
        app,
        ["--home", str(home), *args],
        env=dict.fromkeys(FOREIGN_VARIABLES),  # None unsets the variable for the run
        catch_exceptions=False,
    )
    return Outcome(result.exit_code, result.stdout, result.stderr)


def run_console_script(home: Path, *args: str) -> Outcome:
    """`arrears --home HOME ARGS...` through the installed console script, in a subprocess."""
    environment = {name: value for name, value in os.environ.items() if name not in FOREIGN_VARIABLES}
    completed = subprocess.run(
        [str(CONSOLE_SCRIPT), "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=home.parent,  # a forgotten --home lands in the temporary folder, not the work tree
        check=False,
    )
    return Outcome(completed.returncode, completed.stdout, completed.stderr)


def succeeded(outcome: Outcome) -> Outcome:
    """The outcome, once checked that the command worked and said nothing on stderr."""
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stderr == ""
    return outcome


def failed_with_one_line(outcome: Outcome, *fragments: str, exit_code: int = 1) -> str:
    """The error line, once checked that the command failed the way a person should see it:
    a non-zero exit status, nothing on stdout, one line on stderr naming the problem, no traceback."""
    assert outcome.exit_code == exit_code, (outcome.exit_code, outcome.stdout, outcome.stderr)
    assert "Traceback" not in outcome.stderr
    assert outcome.stdout == ""
    line = outcome.stderr.strip()
    assert "\n" not in line, f"more than one line on stderr:\n{outcome.stderr}"
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line
    return line


def money(text: str) -> Decimal:
    """A decimal string from the JSON or CSV output, checked to be exactly that: '-1234.50'."""
    assert isinstance(text, str), f"{text!r} is not a decimal string"
    value = Decimal(text)
    assert value.as_tuple().exponent == -2, f"{text!r} is not an amount with two decimals"
    return value
