"""The dispatcher: drains the outbox through the channels, within contact hours and caps.

For each creditor (or the one asked for), in batches:

1. **claim** (one short unit of work under the creditor lock): due messages become `sending`
   and their attempt is counted; a `sending` message claimed more than `lease` ago is taken
   again (its dispatcher is presumed dead: at-least-once delivery);
2. **decide** each message: suppressed if the debtor is flagged do-not-contact or insolvent, or
   an SMS goes to a number that replied STOP; deferred (untried) outside the channel's contact
   hours to the next allowed moment (`arrears.core.calendar`); deferred to the next day when a
   collection message would break the contact cap (confirmations and call tasks do not count);
   a call task goes into the worklist at once, due at the next calling time;
3. **deliver**: email through SMTP or the workspace maildir (`build_email` gives the same bytes
   and Message-ID every time), SMS through the gateway, letters to the print folder, call tasks
   into the worklist (in the same unit of work that marks the message sent: exactly once);
4. **record** the results: sent; failed with the next attempt after the back-off; dead after
   the last attempt or at once for a permanent refusal (a 5xx, an opted-out number); bounces on
   the debtor's timeline. The action that made the message is marked sent or failed in the
   collections store (a call action stays planned until a controller works its call task).
   Results are recorded every `record_every` messages, and after each SMS.

**SMS is never sent twice.** Email, letters and call tasks are idempotent (the same
Message-ID and bytes, the same letter file, found again on a later day, one task per
message). An SMS gateway is not, so before calling it the dispatcher commits the message as
*handing over* (`outbox.mark_handing_over`). A message found handing over (the process died
between the gateway taking the SMS and the result being recorded, or the gateway's answer never
came) is not sent again: the gateway is asked for it (`SmsGateway.find_sent`) and it is
recorded sent when found; when the gateway cannot say, it becomes **needs checking** (shown by
`arrears outbox list`) for a person to resolve with `arrears outbox confirm-sent` or `arrears
outbox retry KEY --confirm-not-sent`. Nothing resends it automatically.

At the end, each day's letters are combined into the print batch.

`ARREARS_DISPATCH_CRASH_AT` (`handing_over`: after the hand-over is committed, before the
gateway is called; `handed_over`: after a channel took a message, before its result is
recorded; either may name a channel, e.g. `handed_over:letter`) makes the process exit on the
spot: a fault-injection hook for the crash tests (tests/e2e/test_dispatch_crash.py), unset in
normal use.
"""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from arrears.comms.channels import Delivered, DeliveryError
from arrears.comms.channels.email import email_bytes
from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.channels.sms import OPTED_OUT_CODE, SmsGateway
from arrears.comms.delivery_results import DeliveryOutcome, DispatchReport, Outcome, Result, record_results
from arrears.comms.message import StoredMessage
from arrears.comms.outbox import RetryPolicy
from arrears.comms.templates import spec_for
from arrears.core.calendar import Calendar, contacts_left, next_contact_time, within_contact_hours
from arrears.core.ledger import Creditor
from arrears.core.policy import Channel
from arrears.store.repositories.comms_delivery import hand_over_started
from arrears.store.unit_of_work import UnitOfWork

CRASH_VARIABLE = "ARREARS_DISPATCH_CRASH_AT"
CRASH_POINTS = ("handing_over", "handed_over")
CRASH_EXIT_CODE = 86
NOT_IDEMPOTENT = frozenset({Channel.SMS})
"""Channels whose provider cannot tell a repeated hand-over from a new message."""


def _crash_point(point: str, channel: Channel) -> None:
    """Exit at once, as a killed process would, when the crash test asks for `point` (for any
    channel, or for `channel`)."""
    if os.environ.get(CRASH_VARIABLE) in (point, f"{point}:{channel.value}"):
        os._exit(CRASH_EXIT_CODE)


class EmailTransport(Protocol):
    """SMTP or the maildir: hands over one message's bytes."""

    def send(self, raw: bytes, sender: str, recipients: Sequence[str], *, key: str = "") -> Delivered: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class Channels:
    """The channels a dispatcher delivers through; a missing one makes its messages dead with a
    message saying what to configure. Call tasks need nothing: they go into the store."""

    email: EmailTransport | None = None
    sms: SmsGateway | None = None
    letters: LetterPrinter | None = None

    def close(self) -> None:
        if self.email is not None:
            self.email.close()


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    batch: int = 200
    lease: timedelta = timedelta(minutes=10)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    record_every: int = 50


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def dispatch(
    uow: UnitOfWork,
    channels: Channels,
    *,
    clock: Clock = system_clock,
    creditor: str | None = None,
    settings: DispatchSettings | None = None,
    calendars: Callable[[Creditor], Calendar] = Calendar.for_creditor,
    limit: int | None = None,
) -> DispatchReport:
    """Drain the outbox of one creditor, or of all; at most `limit` messages (None: all due)."""
    settings = settings or DispatchSettings()
    report = DispatchReport()
    with uow:
        creditors = [uow.creditors.get(creditor)] if creditor is not None else uow.creditors.list_all()
    try:
        for value in creditors:
            _drain(uow, channels, value, calendars(value), clock, settings, report, limit)
            if limit is not None and len(report.outcomes) >= limit:
                break
    finally:
        channels.close()
    return report


def _drain(
    uow: UnitOfWork,
    channels: Channels,
    creditor: Creditor,
    calendar: Calendar,
    clock: Clock,
    settings: DispatchSettings,
    report: DispatchReport,
    limit: int | None,
) -> None:
    letter_days: set[date] = set()
    seen: set[int] = set()
    while limit is None or len(report.outcomes) < limit:
        now = clock()
        batch = settings.batch if limit is None else min(settings.batch, limit - len(report.outcomes))
        with uow:
            uow.creditors.lock(creditor.code)
            claimed = [m for m in uow.outbox.claim_due(creditor.code, now, limit=batch, lease=settings.lease)]
            debtors = {m.message.debtor for m in claimed}
            blocked = uow.outbox.not_to_contact(creditor.code, debtors)
            contacts = uow.outbox.contact_times(creditor.code, debtors, now - timedelta(days=8))
            phones = {
                m.message.recipients[0]
                for m in claimed
                if m.message.channel is Channel.SMS and m.message.recipients
            }
            opted_out = uow.opt_outs.opted_out(creditor.code, phones)
            uow.commit()
        claimed = [m for m in claimed if m.id not in seen]  # a message deferred this run waits
        if not claimed:
            break
        seen.update(m.id for m in claimed)
        contact_days = {
            debtor: [moment.astimezone(calendar.zone).date() for moment in moments]
            for debtor, moments in contacts.items()
        }
        pending: list[Result] = []
        for stored in claimed:
            channel = stored.message.channel
            started = hand_over_started(stored.provider_ref)
            if started is not None and channel in NOT_IDEMPOTENT:
                result = _recover(stored, channels, clock, started)
            else:
                decided = _decide(stored, calendar, clock, blocked, opted_out, contact_days)
                if decided is None and channel in NOT_IDEMPOTENT:
                    record_results(uow, creditor.code, pending, report)
                    pending = []
                    if not _mark_handing_over(uow, creditor.code, stored, clock()):
                        continue  # no longer ours (another dispatcher took it after the lease)
                    _crash_point("handing_over", channel)
                if decided is None:
                    result = _deliver(stored, channels, calendar, clock, settings, contact_days, letter_days)
                    _crash_point("handed_over", channel)
                else:
                    result = decided
            pending.append(result)
            if len(pending) >= settings.record_every or channel in NOT_IDEMPOTENT:
                record_results(uow, creditor.code, pending, report)
                pending = []
        record_results(uow, creditor.code, pending, report)
    if channels.letters is not None:
        for day in sorted(letter_days):
            batch_path = channels.letters.build_print_batch(creditor.code, day)
            if batch_path is not None:
                report.print_batches.append(str(batch_path))


def _to_creditor(template: str) -> bool:
    return spec_for(template).to_creditor


def _decide(
    stored: StoredMessage,
    calendar: Calendar,
    clock: Clock,
    blocked: dict[str, str],
    opted_out: set[str],
    contact_days: dict[str, list[date]],
) -> Result | None:
    """Why the message is not to be delivered now (suppressed, deferred), or None: deliver it."""
    message = stored.message
    now = clock()
    local = now.astimezone(calendar.zone)
    # a notice to the creditor about a debtor (a dispute) is no contact with that debtor
    if message.debtor in blocked and not _to_creditor(message.template):
        return Result(stored, Outcome.SUPPRESSED, f"not sent: {blocked[message.debtor]}", now)
    if message.channel is Channel.SMS and message.recipients and message.recipients[0] in opted_out:
        return Result(
            stored,
            Outcome.SUPPRESSED,
            f"not sent: {message.recipients[0]} opted out of SMS (replied STOP)",
            now,
        )
    # A call task goes into the worklist at once, due when calls may be made.
    if message.channel is not Channel.CALL and not within_contact_hours(message.channel, local, calendar):
        until = next_contact_time(message.channel, local, calendar)
        return Result(
            stored,
            Outcome.DEFERRED,
            f"outside contact hours; due {until.isoformat(timespec='minutes')}",
            now,
            defer_until=until,
        )
    if _capped(stored):
        left = contacts_left(contact_days.get(message.debtor, []), local.date(), calendar)
        if left == 0:
            tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=calendar.zone)
            until = next_contact_time(message.channel, tomorrow, calendar)
            return Result(
                stored,
                Outcome.DEFERRED,
                "contact cap reached for this debtor this week",
                now,
                defer_until=until,
            )
    return None


def _capped(stored: StoredMessage) -> bool:
    return not stored.message.transactional and stored.message.channel is not Channel.CALL


def _deliver(
    stored: StoredMessage,
    channels: Channels,
    calendar: Calendar,
    clock: Clock,
    settings: DispatchSettings,
    contact_days: dict[str, list[date]],
    letter_days: set[date],
) -> Result:
    """Hand the message to its channel and say what came of it."""
    message = stored.message
    local = clock().astimezone(calendar.zone)
    try:
        delivered = _hand_over(stored, channels, local.date())
    except DeliveryError as error:
        failed_at = clock()
        if error.permanent:
            return Result(stored, Outcome.DEAD, error.detail, failed_at, bounce=error.bounce)
        delay = settings.retry.delay_after(stored.attempts)
        if error.uncertain and message.channel in NOT_IDEMPOTENT:
            # never dead on an uncertain hand-over: the next try asks the provider first
            wait = delay or settings.retry.first_delay
            detail = f"{error.detail}; the next try asks the gateway before sending anything"
            return Result(
                stored, Outcome.RETRY, detail, failed_at, retry_at=failed_at + wait, keep_hand_over=True
            )
        if delay is None:
            detail = f"{error.detail} (gave up after {stored.attempts} attempts)"
            return Result(stored, Outcome.DEAD, detail, failed_at, bounce=error.bounce)
        return Result(
            stored, Outcome.RETRY, error.detail, failed_at, retry_at=failed_at + delay, bounce=error.bounce
        )
    if _capped(stored):
        contact_days.setdefault(message.debtor, []).append(local.date())
    if message.channel is Channel.LETTER:
        printed = delivered.provider_ref
        letter_days.add(LetterPrinter.day_of(Path(printed)) if printed else local.date())
    call_due = next_contact_time(Channel.CALL, local, calendar) if message.channel is Channel.CALL else None
    return Result(
        stored,
        Outcome.SENT,
        delivered.detail,
        clock(),
        provider_ref=delivered.provider_ref,
        call_due=call_due,
    )


def _mark_handing_over(uow: UnitOfWork, creditor: str, stored: StoredMessage, at: datetime) -> bool:
    """Commit that the message is being handed to a provider that cannot deduplicate."""
    with uow:
        uow.creditors.lock(creditor)
        marked = uow.outbox.mark_handing_over(creditor, stored.id, at)
        uow.commit()
    return marked


def _recover(stored: StoredMessage, channels: Channels, clock: Clock, started: datetime) -> Result:
    """An SMS whose hand-over was interrupted: sent if the gateway has it, else needs checking.
    Never sent again here."""
    message = stored.message
    to = message.recipients[0] if message.recipients else ""
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    hint = (
        f"check the gateway's log for an SMS to {to} since {when}, then run arrears outbox confirm-sent "
        f"--creditor {message.creditor} {stored.key} [--sid SID] if it went, or arrears outbox retry "
        f"--creditor {message.creditor} {stored.key} --confirm-not-sent if it did not"
    )
    if channels.sms is None:
        cause = "no SMS gateway is configured to ask"
    else:
        try:
            sid = channels.sms.find_sent(to, message.text, since=started)
        except DeliveryError as error:
            cause = f"the gateway could not say whether it took it ({error.detail})"
        else:
            if sid is not None:
                detail = f"SMS {sid} found at the gateway after an interrupted hand-over; not sent again"
                return Result(stored, Outcome.SENT, detail, clock(), provider_ref=sid)
            cause = f"the gateway lists no such SMS to {to} (it may not list it yet)"
    detail = f"the hand-over to the SMS gateway at {when} was interrupted and {cause}: {hint}"
    return Result(stored, Outcome.NEEDS_CHECKING, detail, clock(), handed_over_at=started)


def _hand_over(stored: StoredMessage, channels: Channels, day: date) -> Delivered:
    message = stored.message
    if message.channel is Channel.EMAIL:
        if channels.email is None:
            raise DeliveryError(
                "no email transport is configured: set ARREARS_SMTP_HOST (or use the maildir)", permanent=True
            )
        if not message.recipients or not message.sender_address:
            raise DeliveryError("the message has no recipient or no sender address", permanent=True)
        # keys are unique per creditor only: the transport's key (the maildir's file name) carries both
        return channels.email.send(
            email_bytes(message),
            message.sender_address,
            message.recipients,
            key=f"{message.creditor}.{message.idempotency_key}",
        )
    if message.channel is Channel.SMS:
        if channels.sms is None:
            raise DeliveryError(
                "no SMS gateway is configured: set ARREARS_SMS_GATEWAY_URL and its credentials",
                permanent=True,
            )
        try:
            return channels.sms.send(
                message.recipients[0], message.sender_address or message.sender, message.text
            )
        except DeliveryError as error:
            if error.code == OPTED_OUT_CODE:
                raise DeliveryError(
                    f"{message.recipients[0]} has unsubscribed from this sender: {error.detail}",
                    permanent=True,
                ) from None
            raise
    if message.channel is Channel.LETTER:
        if channels.letters is None:
            raise DeliveryError("no print folder is configured for letters", permanent=True)
        # a letter tried before may have been printed by a dispatcher that died before recording it
        return channels.letters.deliver(message, day, again=stored.attempts > 1)
    return Delivered(None, "call task added to the worklist")


__all__ = [
    "Channels",
    "Clock",
    "DeliveryOutcome",
    "DispatchReport",
    "DispatchSettings",
    "Outcome",
    "dispatch",
    "system_clock",
]
