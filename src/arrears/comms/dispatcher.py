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
   collections store. Results are recorded every `record_every` messages, and after each SMS
   (the gateway has no idempotency key, so an SMS is never left unrecorded for long).

At the end, each day's letters are combined into the print batch.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from arrears.comms.channels import Delivered, DeliveryError
from arrears.comms.channels.email import email_bytes
from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.channels.sms import OPTED_OUT_CODE, SmsGateway
from arrears.comms.message import StoredMessage
from arrears.comms.outbox import RetryPolicy
from arrears.core.calendar import Calendar, contacts_left, next_contact_time, within_contact_hours
from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor
from arrears.core.policy import Channel
from arrears.store.unit_of_work import UnitOfWork


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


class Outcome:
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    creditor: str
    key: str
    action_key: str
    channel: Channel
    outcome: str
    detail: str


@dataclass(slots=True)
class DispatchReport:
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    print_batches: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.outcomes if item.outcome == outcome)

    @property
    def sent(self) -> int:
        return self.count(Outcome.SENT)

    def summary(self) -> str:
        parts = [
            f"{self.count(o)} {o}"
            for o in (Outcome.SENT, Outcome.RETRY, Outcome.DEAD, Outcome.DEFERRED, Outcome.SUPPRESSED)
        ]
        return ", ".join(parts)


@dataclass(slots=True)
class _Result:
    stored: StoredMessage
    outcome: str
    detail: str
    at: datetime
    provider_ref: str | None = None
    retry_at: datetime | None = None
    bounce: bool = False
    defer_until: datetime | None = None
    call_due: datetime | None = None


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
        pending: list[_Result] = []
        for stored in claimed:
            result = _deliver(
                stored, channels, calendar, clock, settings, blocked, opted_out, contact_days, letter_days
            )
            pending.append(result)
            if len(pending) >= settings.record_every or stored.message.channel is Channel.SMS:
                _record(uow, creditor.code, pending, report)
                pending = []
        _record(uow, creditor.code, pending, report)
    if channels.letters is not None:
        for day in sorted(letter_days):
            batch_path = channels.letters.build_print_batch(creditor.code, day)
            if batch_path is not None:
                report.print_batches.append(str(batch_path))


def _deliver(
    stored: StoredMessage,
    channels: Channels,
    calendar: Calendar,
    clock: Clock,
    settings: DispatchSettings,
    blocked: dict[str, str],
    opted_out: set[str],
    contact_days: dict[str, list[date]],
    letter_days: set[date],
) -> _Result:
    message = stored.message
    now = clock()
    local = now.astimezone(calendar.zone)
    if message.debtor in blocked:
        return _Result(stored, Outcome.SUPPRESSED, f"not sent: {blocked[message.debtor]}", now)
    if message.channel is Channel.SMS and message.recipients and message.recipients[0] in opted_out:
        return _Result(
            stored,
            Outcome.SUPPRESSED,
            f"not sent: {message.recipients[0]} opted out of SMS (replied STOP)",
            now,
        )
    # A call task goes into the worklist at once, due when calls may be made.
    if message.channel is not Channel.CALL and not within_contact_hours(message.channel, local, calendar):
        until = next_contact_time(message.channel, local, calendar)
        return _Result(
            stored,
            Outcome.DEFERRED,
            f"outside contact hours; due {until.isoformat(timespec='minutes')}",
            now,
            defer_until=until,
        )
    capped = not message.transactional and message.channel is not Channel.CALL
    if capped:
        left = contacts_left(contact_days.get(message.debtor, []), local.date(), calendar)
        if left == 0:
            tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=calendar.zone)
            until = next_contact_time(message.channel, tomorrow, calendar)
            return _Result(
                stored,
                Outcome.DEFERRED,
                "contact cap reached for this debtor this week",
                now,
                defer_until=until,
            )
    try:
        delivered = _hand_over(stored, channels, local.date())
    except DeliveryError as error:
        failed_at = clock()
        if error.permanent:
            return _Result(stored, Outcome.DEAD, error.detail, failed_at, bounce=error.bounce)
        delay = settings.retry.delay_after(stored.attempts)
        if delay is None:
            detail = f"{error.detail} (gave up after {stored.attempts} attempts)"
            return _Result(stored, Outcome.DEAD, detail, failed_at, bounce=error.bounce)
        return _Result(
            stored, Outcome.RETRY, error.detail, failed_at, retry_at=failed_at + delay, bounce=error.bounce
        )
    if capped:
        contact_days.setdefault(message.debtor, []).append(local.date())
    if message.channel is Channel.LETTER:
        letter_days.add(local.date())
    call_due = next_contact_time(Channel.CALL, local, calendar) if message.channel is Channel.CALL else None
    return _Result(
        stored,
        Outcome.SENT,
        delivered.detail,
        clock(),
        provider_ref=delivered.provider_ref,
        call_due=call_due,
    )


def _hand_over(stored: StoredMessage, channels: Channels, day: date) -> Delivered:
    message = stored.message
    if message.channel is Channel.EMAIL:
        if channels.email is None:
            raise DeliveryError(
                "no email transport is configured: set ARREARS_SMTP_HOST (or use the maildir)", permanent=True
            )
        if not message.recipients or not message.sender_address:
            raise DeliveryError("the message has no recipient or no sender address", permanent=True)
        return channels.email.send(
            email_bytes(message), message.sender_address, message.recipients, key=message.idempotency_key
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
        return channels.letters.deliver(message, day)
    return Delivered(None, "call task added to the worklist")


def _record(uow: UnitOfWork, creditor: str, results: list[_Result], report: DispatchReport) -> None:
    if not results:
        return
    with uow:
        uow.creditors.lock(creditor)
        sent: list[tuple[int, datetime, str | None, str]] = []
        for result in results:
            stored, message = result.stored, result.stored.message
            if result.outcome == Outcome.SENT:
                if message.channel is Channel.CALL:
                    uow.calls.add_task(
                        creditor,
                        stored.id,
                        debtor=message.debtor,
                        phone=message.recipients[0] if message.recipients else None,
                        title=f"{message.step}: {message.subject}",
                        due_at=result.call_due or result.at,
                        at=result.at,
                    )
                sent.append((stored.id, result.at, result.provider_ref, result.detail))
                _tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=True,
                    at=result.at,
                    detail="",
                )
            elif result.outcome == Outcome.RETRY:
                uow.outbox.mark_failed(
                    creditor,
                    stored.id,
                    at=result.at,
                    error=result.detail,
                    retry_at=result.retry_at,
                    bounce=result.bounce,
                )
            elif result.outcome == Outcome.DEAD:
                uow.outbox.mark_failed(
                    creditor,
                    stored.id,
                    at=result.at,
                    error=result.detail,
                    retry_at=None,
                    bounce=result.bounce,
                )
                _tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=False,
                    at=result.at,
                    detail=result.detail,
                )
            elif result.outcome == Outcome.DEFERRED:
                assert result.defer_until is not None
                uow.outbox.defer(creditor, stored.id, result.defer_until)
            else:
                uow.outbox.suppress(creditor, stored.id, at=result.at, reason=result.detail)
                _tell_action(
                    uow,
                    creditor,
                    message.idempotency_key,
                    message.action_key,
                    sent=False,
                    at=result.at,
                    detail=result.detail,
                )
        uow.outbox.mark_sent_many(creditor, sent)
        uow.commit()
    report.outcomes.extend(
        DeliveryOutcome(
            creditor, r.stored.key, r.stored.message.action_key, r.stored.message.channel, r.outcome, r.detail
        )
        for r in results
    )


def _tell_action(
    uow: UnitOfWork, creditor: str, key: str, action_key: str, *, sent: bool, at: datetime, detail: str
) -> None:
    """Report delivery back to the action in the collections store (confirmations and letter
    copies have no action of their own, and an action decided otherwise meanwhile keeps its
    status)."""
    if key != action_key:
        return
    try:
        if sent:
            uow.actions.mark_sent(creditor, action_key, at)
        else:
            uow.actions.mark_failed(creditor, action_key, at, detail)
    except ArrearsError:
        pass
