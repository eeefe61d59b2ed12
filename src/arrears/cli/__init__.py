"""The `arrears` command line: one module of commands per area, all on the shared `app`.

An area adds its commands in `arrears/cli/<area>.py` (importing `app` and helpers from
`arrears.cli.app`) and one import line below.
"""

from arrears.cli import (
    agent,  # noqa: F401  (registers its commands)
    bank,  # noqa: F401  (registers its commands)
    collections,  # noqa: F401  (registers its commands)
    comms,  # noqa: F401  (registers its commands)
    connections,  # noqa: F401  (registers its commands)
    deals,  # noqa: F401  (registers its commands)
    demo,  # noqa: F401  (registers its commands)
    intake,  # noqa: F401  (registers its commands)
    ledger,  # noqa: F401  (registers its commands)
    mailbox,  # noqa: F401  (registers its commands)
    serve,  # noqa: F401  (registers its commands)
)
from arrears.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
