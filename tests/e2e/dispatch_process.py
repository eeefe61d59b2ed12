"""The dispatcher run once in a process of its own, for tests/e2e/test_dispatch_crash.py:

    python dispatch_process.py DATABASE_URL MOMENT GATEWAY_URL ACCOUNT_SID AUTH_TOKEN FOLDER

delivers the outbox as at MOMENT (ISO 8601) through the SMS gateway, the maildir and the print
folder under FOLDER. `ARREARS_DISPATCH_CRASH_AT` in its environment makes it die on the spot.
"""

import sys
from datetime import datetime
from pathlib import Path

from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.channels.sms import SmsGateway, SmsGatewaySettings
from arrears.comms.dispatcher import Channels, dispatch
from arrears.store.database import make_engine, session_factory
from arrears.store.unit_of_work import SqlUnitOfWork


def main(
    database_url: str, moment: str, gateway: str, account_sid: str, auth_token: str, folder: str
) -> None:
    at = datetime.fromisoformat(moment)
    channels = Channels(
        email=MaildirTransport(Path(folder) / "maildir"),
        sms=SmsGateway(SmsGatewaySettings(gateway, account_sid, auth_token, timeout_seconds=5)),
        letters=LetterPrinter(Path(folder) / "letters"),
    )
    engine = make_engine(database_url)
    try:
        report = dispatch(SqlUnitOfWork(session_factory(engine)), channels, clock=lambda: at)
    finally:
        engine.dispose()
    print(report.summary())


if __name__ == "__main__":
    main(*sys.argv[1:])
