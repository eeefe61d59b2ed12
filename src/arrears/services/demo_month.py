"""The demo's simulated month: every day, the debtors' deals and bank payments, the collections
cycle, and the day's messages delivered, as a daily scheduler would run them for an SME.

`replay_month(unit_of_work_factory, home, creditors, start, end)` gives each creditor the sample
brand (`arrears.comms.samples`: fictional, safe to send) and then, day by day from `start` to
`end` (`arrears.services.simulate_deals.simulate_deals_and_bank` drives the days):

1. debtors pay unprompted when the ledger's simulator says they would, and chased ones promise,
   keep and break promises, enter plans and pay; the bank's camt.053 files are imported and
   matched (`simulate_deals_and_bank`);
2. the cycle plans the day's actions (`arrears.services.cycle.run_cycle`), which sees the deals'
   holds, so a debtor who promised is not chased until the promise is broken;
3. the instalment reminders due and the ready actions are rendered into the outbox and
   delivered as at 10:00 on that day in the creditor's timezone (`arrears.services.daily_run`), so quiet hours and contact caps are those of the simulated day. With no
   SMTP server configured, email goes to the workspace's maildir (`outbox/maildir`, real .eml
   files), letters are PDFs in `letters/<creditor>/<day>/` with one print batch per day, and call
   tasks wait in the worklist;
4. after the last day, each creditor's worklist is written to `worklist/<creditor>.csv`.

Nothing here reads the clock: what is recorded is stamped with the simulated day.
"""

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from arrears.comms.config import LETTERS, MAILDIR, CommsSettings
from arrears.comms.samples import sample_brand
from arrears.comms.service import set_brand
from arrears.services.cycle import CycleReport
from arrears.services.daily_run import run_day
from arrears.services.simulate_deals import DealsDemoReport, simulate_deals_and_bank
from arrears.services.worklist import Worklist, worklist
from arrears.sim import LaterPayment
from arrears.store.unit_of_work import UnitOfWork

DEMO_RUN_BY = "demo scheduler"
SEND_AT = time(10)  # the day's messages go out at ten in the morning, creditor's time
WORKLIST = Path("worklist")


@dataclass(slots=True)
class CreditorMonth:
    """What the month did for one creditor."""

    creditor: str
    cycles: list[CycleReport] = field(default_factory=list)
    queued: int = 0
    reminders: int = 0  # instalment reminders queued
    refused: Counter[str] = field(default_factory=Counter)
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, outcome)
    print_batches: list[Path] = field(default_factory=list)
    deals: DealsDemoReport | None = None
    worklist: Worklist | None = None
    worklist_file: Path | None = None

    @property
    def planned(self) -> Counter[tuple[str, str]]:
        """Actions planned over the month, by (step, channel)."""
        counts: Counter[tuple[str, str]] = Counter()
        for report in self.cycles:
            for step, channel, planned, waiting in report.by_step_and_channel():
                counts[(step, channel)] += planned + waiting
        return counts

    @property
    def awaiting_approval(self) -> int:
        return sum(len(report.awaiting_approval) for report in self.cycles)


@dataclass(frozen=True, slots=True)
class DemoMonth:
    start: date
    end: date
    creditors: list[CreditorMonth]
    maildir: Path
    letters: Path
    bank: Path
    worklists: Path

    @property
    def emails(self) -> int:
        """The .eml files in the maildir: what the month's email deliveries left."""
        return sum(1 for folder in ("new", "cur") for _ in (self.maildir / folder).glob("*"))

    @property
    def letter_files(self) -> int:
        return sum(1 for path in self.letters.rglob("*.pdf") if not path.name.startswith("_print-batch-"))


def send_time(day: date, timezone: str) -> datetime:
    """When the demo delivers `day`'s messages: `SEND_AT` in the creditor's timezone, as UTC."""
    return datetime.combine(day, SEND_AT, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def replay_month(
    unit_of_work_factory: Callable[[], UnitOfWork],
    home: Path,
    creditors: list[str],
    start: date,
    end: date,
    *,
    seed: int = 7,
    on_day: Callable[[str, date], None] | None = None,
    later_payments: Sequence[LaterPayment] = (),
) -> DemoMonth:
    """Replay `start`..`end` for each creditor in turn (see the module docstring);
    `later_payments` are the simulator's unprompted payments in the month, paid by bank."""
    settings = CommsSettings(smtp_host=None, sms_gateway_url=None)
    months = []
    for code in creditors:
        with unit_of_work_factory() as uow:
            creditor = uow.creditors.get(code)
        set_brand(unit_of_work_factory(), sample_brand(creditor), at=send_time(start, creditor.timezone))
        month = CreditorMonth(code)

        def day_job(
            day: date, code: str = code, timezone: str = creditor.timezone, month: CreditorMonth = month
        ) -> None:
            _one_day(unit_of_work_factory, settings, home, code, day, send_time(day, timezone), month)
            if on_day is not None:
                on_day(code, day)

        months.append(month)
        month.deals = simulate_deals_and_bank(
            unit_of_work_factory,
            code,
            start,
            end,
            folder=home,
            seed=seed,
            on_day=day_job,
            later_payments=later_payments,
        )
        month.worklist = worklist(
            unit_of_work_factory(), code, end, now=_fixed(send_time(end, creditor.timezone))
        )
        month.worklist_file = write_worklist(home / WORKLIST / f"{code}.csv", month.worklist)
    return DemoMonth(start, end, months, home / MAILDIR, home / LETTERS, home / "bank", home / WORKLIST)


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _one_day(
    unit_of_work_factory: Callable[[], UnitOfWork],
    settings: CommsSettings,
    home: Path,
    creditor: str,
    day: date,
    at: datetime,
    month: CreditorMonth,
) -> None:
    report = run_day(
        unit_of_work_factory,
        settings,
        home,
        day,
        creditor=creditor,
        send=True,
        clock=_fixed(at),
        run_by=DEMO_RUN_BY,
    )
    month.cycles.extend(report.cycles)
    month.reminders += sum(len(each.queued) for each in report.reminders)
    if report.sending is not None:
        queued = report.sending.queued.get(creditor)
        if queued is not None:
            month.queued += len(queued.queued)
            month.refused.update(refused.reason for refused in queued.refused)
        if creditor in report.sending.problems:
            month.refused[report.sending.problems[creditor]] += 1
        delivered = report.sending.dispatched
        month.delivered.update((item.channel.value, item.outcome) for item in delivered.outcomes)
        month.print_batches.extend(Path(path) for path in delivered.print_batches)


def write_worklist(path: Path, work: Worklist) -> Path:
    """The worklist as a CSV a controller can open: one row per debtor to call, in priority order,
    then those the month's time budget leaves out, then those on hold (not counted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["rank", "debtor", "task", "step", "tasks", "amount_at_risk", "balance", "days_overdue",
             "broken_promises", "priority", "flagged", "status", "holds"]
        )  # fmt: skip
        rows = [
            *((item, "within budget") for item in work.items),
            *((item, "over budget") for item in work.over_budget),
            *((item, "on hold") for item in work.on_hold),
        ]
        for rank, (item, status) in enumerate(rows, 1):
            writer.writerow(
                [
                    rank,
                    item.debtor,
                    item.kind.value,
                    item.action.step,
                    len(item.tasks),
                    item.amount_at_risk.amount,
                    item.balance.amount,
                    item.days_overdue,
                    item.broken_promises,
                    item.priority,
                    "yes" if item.flagged else "",
                    status,
                    "; ".join(item.holds),
                ]
            )
    return path
