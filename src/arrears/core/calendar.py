"""Calendar rules: when a creditor may contact its debtors.

- **Business days**: weekdays outside the weekend that are not public holidays (from the
  `holidays` package, per country and subdivision: `GB` with `ENG`, `WLS`, `SCT` or `NIR`, since
  Scotland and Northern Ireland have bank holidays of their own) and not days the creditor is
  closed. The planner plans contacts on business days only: a step that falls due on a weekend
  or holiday is planned on the next business day (it is still due then; see the planner).
- **Contact hours**: calls and SMS go out only within set hours on business days, in local
  time (`within_contact_hours`, `next_contact_time`). Email and letters are not time-bound.
  The defaults keep to office hours, well inside what UK debt-collection guidance (the OFT's
  Debt Collection Guidance, carried into the FCA's CONC 7) would call reasonable times.
- **Contact cap**: at most `max_contacts_per_7_days` contacts per debtor in any rolling
  7 days, across channels (`contacts_left`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from arrears.core.errors import ArrearsError
from arrears.core.ledger import Creditor
from arrears.core.policy import Channel

ROLLING_WEEK_DAYS = 7
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarError(ArrearsError, ValueError):
    """A calendar that names an unknown timezone, country or subdivision, or impossible hours."""


@dataclass(frozen=True, slots=True)
class ContactHours:
    """Local times a channel may be used, from `start` (inclusive) to `end` (exclusive)."""

    start: time
    end: time
    business_days_only: bool = True

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise CalendarError(f"contact hours end at {self.end} but start at {self.start}")


DEFAULT_CONTACT_HOURS: tuple[tuple[Channel, ContactHours], ...] = (
    (Channel.CALL, ContactHours(time(9, 0), time(18, 0))),
    (Channel.SMS, ContactHours(time(9, 0), time(20, 0))),
)

DEFAULT_SUBDIVISIONS = {"GB": "ENG"}
"""England's bank holidays, which Wales shares, unless a creditor says otherwise."""


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as error:
        raise CalendarError(
            f"no public holidays are known for {country!r} {subdivision or ''}: {error}"
        ) from None
    return dict(found.items())


@dataclass(frozen=True, slots=True)
class Calendar:
    """A creditor's calendar: timezone, business days, public holidays, contact hours and the
    contact cap. Hashable, so that holiday look-ups are cached per calendar."""

    timezone: str = "Europe/London"
    country: str = "GB"
    subdivision: str | None = "ENG"
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Monday is 0
    closures: frozenset[date] = frozenset()  # days the creditor is closed besides public holidays
    contact_hours: tuple[tuple[Channel, ContactHours], ...] = DEFAULT_CONTACT_HOURS
    max_contacts_per_7_days: int | None = 2  # None: no cap

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f"unknown timezone {self.timezone!r}: use an IANA name such as Europe/London"
            ) from None
        _public_holidays(self.country, self.subdivision, 2000)  # refuses an unknown country early
        if not isinstance(self.weekend, frozenset):
            object.__setattr__(self, "weekend", frozenset(self.weekend))
        if not isinstance(self.closures, frozenset):
            object.__setattr__(self, "closures", frozenset(self.closures))
        if len(self.weekend) >= 7 or any(day not in range(7) for day in self.weekend):
            raise CalendarError(
                f"weekend days {sorted(self.weekend)} must be weekday numbers 0-6, not all of them"
            )
        if self.max_contacts_per_7_days is not None and self.max_contacts_per_7_days < 1:
            raise CalendarError(f"a contact cap of {self.max_contacts_per_7_days} would stop every contact")

    @classmethod
    def for_creditor(cls, creditor: Creditor, *, subdivision: str | None = None) -> "Calendar":
        """The calendar of a creditor's country and timezone (GB: England and Wales by default);
        change the other rules with `dataclasses.replace`."""
        chosen = subdivision if subdivision is not None else DEFAULT_SUBDIVISIONS.get(creditor.country)
        return cls(timezone=creditor.timezone, country=creditor.country, subdivision=chosen)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def holiday(self, day: date) -> str | None:
        """The name of the public holiday on `day`, or None."""
        return _public_holidays(self.country, self.subdivision, day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.closures and self.holiday(day) is None

    def next_business_day(self, day: date) -> date:
        """`day` itself if it is a business day, else the first business day after it."""
        for offset in range(366):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise CalendarError("no business day within a year: check the weekend and closures")

    def why_not_business_day(self, day: date) -> str:
        """'Saturday 2026-03-07 is not a business day' or '... is a public holiday (Good Friday)'."""
        name = self.holiday(day)
        label = f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"
        if name is not None:
            return f"{label} is a public holiday ({name})"
        if day in self.closures:
            return f"{label} is a day the creditor is closed"
        return f"{label} is not a business day"

    def hours_for(self, channel: Channel) -> ContactHours | None:
        """Contact hours of a channel; None means any time (email, letters)."""
        for candidate, hours in self.contact_hours:
            if candidate is channel:
                return hours
        return None


def _local(moment: datetime, calendar: Calendar) -> datetime:
    return moment.astimezone(calendar.zone) if moment.tzinfo is not None else moment


def within_contact_hours(channel: Channel, local: datetime, calendar: Calendar) -> bool:
    """Whether a message on `channel` may go out at `local`.

    A naive `local` is taken as the creditor's local time; an aware one is converted to the
    calendar's timezone first. Channels without contact hours (email, letter) may always go;
    calls and SMS only within their hours and, by default, on business days.
    """
    hours = calendar.hours_for(channel)
    if hours is None:
        return True
    moment = _local(local, calendar)
    if hours.business_days_only and not calendar.is_business_day(moment.date()):
        return False
    return hours.start <= moment.time() < hours.end


def next_contact_time(channel: Channel, local: datetime, calendar: Calendar) -> datetime:
    """The first moment at or after `local` when `channel` may be used (for the dispatcher)."""
    moment = _local(local, calendar)
    hours = calendar.hours_for(channel)
    if hours is None or within_contact_hours(channel, moment, calendar):
        return moment
    day = moment.date() if moment.time() < hours.start else moment.date() + timedelta(days=1)
    for _ in range(366):
        if not hours.business_days_only or calendar.is_business_day(day):
            return datetime.combine(day, hours.start, tzinfo=moment.tzinfo)
        day += timedelta(days=1)
    raise CalendarError(f"no contact time for {channel.value} within a year: check the calendar")


def rolling_week(as_of: date) -> tuple[date, date]:
    """The rolling 7 days that end on `as_of`, both inclusive."""
    return as_of - timedelta(days=ROLLING_WEEK_DAYS - 1), as_of


def contacts_left(contact_days: Iterable[date], as_of: date, calendar: Calendar) -> int | None:
    """How many more contacts a debtor may get on `as_of` under the cap (None: no cap).

    `contact_days` are the days of the debtor's past contacts; those in the rolling 7 days
    ending on `as_of` count, whatever their channel.
    """
    cap = calendar.max_contacts_per_7_days
    if cap is None:
        return None
    first, last = rolling_week(as_of)
    used = sum(1 for day in contact_days if first <= day <= last)
    return max(cap - used, 0)
