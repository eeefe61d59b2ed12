"""Render and store 10,000 emails and 1,000 PDF letters in the outbox, then deliver 2,000 emails
to a local SMTP server (aiosmtpd on 127.0.0.1).

Each figure is the whole path a cycle takes: read the debtors and documents from the store,
render (Jinja2 sandbox; WeasyPrint for letters), store the message and its attachments
(`enqueue_actions`); then claim, build the MIME bytes, send over SMTP and record
(`dispatch`). The store is a fresh SQLite file in bench/.work/. Peak memory is the process's
maximum resident set size. Target: at least 200 emails a second delivered to the local server.

    .venv/bin/python bench/render.py [--emails 10000] [--letters 1000] [--smtp 2000]
"""

import argparse
import os
import resource
import shutil
import socket
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from arrears.comms.channels.email import SmtpSecurity, SmtpSettings, SmtpTransport
from arrears.comms.dispatcher import Channels, DispatchSettings, dispatch
from arrears.comms.message import OutboundAction
from arrears.comms.outbox import enqueue_actions
from arrears.comms.samples import sample_brand
from arrears.core.ledger import Contact, Creditor, Debtor, PostalAddress
from arrears.core.policy import Channel
from arrears.store.database import make_engine, session_factory, upgrade
from arrears.store.repositories import DocumentRow
from arrears.store.unit_of_work import SqlUnitOfWork

WORK = Path(__file__).resolve().parent / ".work" / "render"
AS_OF = date(2026, 5, 5)
NOW = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
CHUNK = 5000  # actions per enqueue call (a cycle hands over its day at once)


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def _debtors(creditor: str, count: int, prefix: str) -> list[Debtor]:
    return [
        Debtor(
            creditor=creditor,
            account_code=f"{prefix}{index:06d}",
            name=f"Customer {index} Ltd",
            contacts=(
                Contact(
                    f"Accounts {index}",
                    f"accounts{index}@customer{index}.example",
                    "07700 900123",
                    PostalAddress((f"{index} High Street", "Leeds"), "LS1 1AA"),
                ),
            ),
        )
        for index in range(count)
    ]


def _setup(uow: SqlUnitOfWork, creditor: Creditor, emails: int, letters: int) -> None:
    with uow:
        uow.creditors.add(creditor)
        uow.debtors.add(creditor.code, _debtors(creditor.code, emails, "E"))
        uow.debtors.add(creditor.code, _debtors(creditor.code, letters, "L"))
        rows = [
            DocumentRow(
                f"E{i:06d}",
                "invoice",
                f"E-{i}",
                AS_OF - timedelta(days=30),
                AS_OF,
                "GBP",
                10_000 + i,
                10_000 + i,
            )
            for i in range(emails)
        ] + [
            DocumentRow(
                f"L{i:06d}",
                "invoice",
                f"L-{i}",
                AS_OF - timedelta(days=95),
                AS_OF - timedelta(days=65),
                "GBP",
                50_000 + i,
                50_000 + i,
            )
            for i in range(letters)
        ]
        uow.documents.add_rows(creditor.code, rows)
        # letters alone: no emailed copies, so the letter figure is the PDFs' own
        uow.brands.put(creditor.code, replace(sample_brand(creditor), email_letter_copies=False), at=NOW)
        uow.commit()


def _actions(creditor: str, prefix: str, count: int, template: str, channel: Channel) -> list[OutboundAction]:
    return [
        OutboundAction(
            creditor,
            f"{prefix}{i:06d}",
            template,
            channel,
            template,
            (f"{prefix}-{i}",),
            f"{prefix}{i:08d}",
            "bench",
            AS_OF,
        )
        for i in range(count)
    ]


def _enqueue(uow: SqlUnitOfWork, creditor: str, actions: list[OutboundAction], workers: int = 1) -> float:
    started = time.perf_counter()
    for start in range(0, len(actions), CHUNK):
        report = enqueue_actions(uow, creditor, actions[start : start + CHUNK], now=NOW, workers=workers)
        if report.refused:
            raise SystemExit(f"refused: {report.refused[0]}")
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--letters", type=int, default=1_000)
    parser.add_argument("--smtp", type=int, default=2_000)
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    url = f"sqlite:///{WORK / 'outbox.db'}"
    upgrade(url)
    uow = SqlUnitOfWork(session_factory(make_engine(url)))
    bench, smtp = Creditor("BENCH", "Bench Supplies"), Creditor("SMTP", "Smtp Supplies")
    _setup(uow, bench, args.emails, args.letters)
    _setup(uow, smtp, args.smtp, 0)

    seconds = _enqueue(uow, "BENCH", _actions("BENCH", "E", args.emails, "due_today", Channel.EMAIL))
    emails_per_s = args.emails / seconds
    print(f"emails rendered and stored: {args.emails} in {seconds:.1f} s = {emails_per_s:.0f}/s")

    workers = os.cpu_count() or 1
    seconds = _enqueue(
        uow, "BENCH", _actions("BENCH", "L", args.letters, "formal_demand", Channel.LETTER), workers
    )
    letters_per_s = args.letters / seconds
    print(
        f"letters rendered (2-page PDF: letter and statement) and stored: {args.letters} in {seconds:.1f} s "
        f"= {letters_per_s:.1f}/s ({workers} worker processes)"
    )

    _enqueue(uow, "SMTP", _actions("SMTP", "E", args.smtp, "due_today", Channel.EMAIL))
    handler = CountingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channels = Channels(email=SmtpTransport(SmtpSettings("127.0.0.1", port, SmtpSecurity.NONE)))
        started = time.perf_counter()
        report = dispatch(
            uow, channels, creditor="SMTP", clock=lambda: NOW, settings=DispatchSettings(batch=500)
        )
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    if report.sent != args.smtp or handler.count != args.smtp:
        raise SystemExit(
            f"expected {args.smtp} deliveries, got {report.sent} sent and {handler.count} received"
        )
    smtp_per_s = args.smtp / seconds
    print(f"emails delivered over SMTP: {args.smtp} in {seconds:.1f} s = {smtp_per_s:.0f}/s (target 200/s)")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mb:.0f} MB")
    print(
        f"emails_per_s={emails_per_s:.0f} letters_per_s={letters_per_s:.1f} smtp_per_s={smtp_per_s:.0f} peak_mb={peak_mb:.0f}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
