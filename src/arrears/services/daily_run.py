"""One day's run, as a daily scheduler does it: each creditor's cycle for the day and then, when
asked, the day's messages sent for the same creditor(s).

`run_day(uow_factory, settings, home, as_of, creditor=None, send=False, clock=...)`:

1. the cycle of each creditor (or of the one named), each in a unit of work of its own
   (`arrears.services.cycle.run_cycle`): planned actions are recorded and committed first;
2. with `send`, after every cycle has committed: the payment-plan instalment reminders due that
   day are queued (`arrears.services.instalment_reminders.remind_instalments`, each once), then
   the actions ready for delivery (planned or
   approved, calls included) are rendered into the outbox and the outbox is drained
   (`arrears.comms.service.send`) for the same creditor(s), within contact hours and the
   contact cap as of `clock()`.

`clock` is the one source of "now": cycle runs are stamped with it and the dispatcher checks
quiet hours and caps against it, so a replay of past days (the demo's simulated month) passes a
clock set to each day during business hours and sees the rules as they stood that day. A dry
run records nothing, so there is nothing to send: `dry_run` with `send` is refused. The CLI's
`arrears cycle [--send]` calls this.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from arrears.comms import service as comms_service
from arrears.comms.config import CommsSettings
from arrears.comms.dispatcher import Clock, system_clock
from arrears.comms.service import SendReport
from arrears.core.errors import ArrearsError
from arrears.services.cycle import DEFAULT_RUN_BY, CycleReport, run_cycle
from arrears.services.instalment_reminders import RemindersSent, remind_instalments
from arrears.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class DayReport:
    """What one day's run did: each creditor's cycle and, when asked to send, what was queued
    and delivered (None when the day's messages were not sent)."""

    as_of: date
    cycles: tuple[CycleReport, ...]
    sending: SendReport | None = None
    reminders: tuple[RemindersSent, ...] = ()  # instalment reminders, when sent: one per creditor

    @property
    def creditors(self) -> tuple[str, ...]:
        return tuple(report.creditor for report in self.cycles)

    def summary_lines(self) -> list[str]:
        """The cycles' summaries and, when sent, one line per creditor of what was queued and
        delivered (then what could not be queued and why)."""
        lines = [line for report in self.cycles for line in report.summary_lines()]
        if self.sending is None:
            return lines
        for reminders in self.reminders:
            if reminders.queued or reminders.problem:
                lines.append(reminders.summary())
        for code in self.creditors:
            lines.append(f"{code} sent: {self.send_line(code)}")
            queued = self.sending.queued.get(code)
            for refused in queued.refused if queued is not None else ():
                lines.append(f"  refused {refused.debtor}: {refused.reason}")
            if code in self.sending.problems:
                lines.append(f"  nothing queued: {self.sending.problems[code]}")
        lines.extend(f"print batch: {path}" for path in self.sending.dispatched.print_batches)
        return lines

    def send_line(self, creditor: str) -> str:
        """'queued 12, refused 0; delivered: 10 sent, 0 retry, ...' for one creditor."""
        assert self.sending is not None
        queued = self.sending.queued.get(creditor)
        counts = (
            "nothing queued"
            if queued is None
            else f"queued {len(queued.queued)}, refused {len(queued.refused)}"
        )
        return f"{counts}; delivered: {self.sending.dispatched.for_creditor(creditor).summary()}"


def run_day(
    uow_factory: Callable[[], UnitOfWork],
    settings: CommsSettings,
    home: Path,
    as_of: date,
    *,
    creditor: str | None = None,
    send: bool = False,
    dry_run: bool = False,
    clock: Clock = system_clock,
    run_by: str = DEFAULT_RUN_BY,
) -> DayReport:
    """Run the day's cycle for one creditor or all, then, with `send`, queue and deliver their
    ready actions (see the module docstring)."""
    if dry_run and send:
        raise ArrearsError(
            "a dry run records nothing, so there is nothing to send: drop --send, or --dry-run"
        )
    if creditor is None:
        with uow_factory() as uow:
            codes = [each.code for each in uow.creditors.list_all()]
    else:
        codes = [creditor]
    cycles = tuple(
        run_cycle(uow_factory(), code, as_of, dry_run=dry_run, run_by=run_by, now=clock) for code in codes
    )
    if not send:
        return DayReport(as_of, cycles)
    reminders = tuple(remind_instalments(uow_factory(), code, as_of, now=clock) for code in codes)
    sending = comms_service.send(uow_factory, settings, home, creditor=creditor, clock=clock)
    return DayReport(as_of, cycles, sending, reminders)
