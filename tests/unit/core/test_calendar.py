"""Calendar rules: business days and public holidays, contact hours, the contact cap."""

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from arrears.core.calendar import (
    Calendar,
    CalendarError,
    ContactHours,
    contacts_left,
    next_contact_time,
    rolling_week,
    within_contact_hours,
)
from arrears.core.ledger import Creditor
from arrears.core.policy import Channel

ENGLAND = Calendar()
SCOTLAND = Calendar(subdivision="SCT")
EASTER_MONDAY = date(2026, 4, 6)
MONDAY = date(2026, 3, 9)


# --- business days ---------------------------------------------------------------------------


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    assert ENGLAND.is_business_day(MONDAY)
    assert not ENGLAND.is_business_day(date(2026, 3, 14))  # Saturday
    assert not ENGLAND.is_business_day(date(2026, 3, 15))  # Sunday


def test_bank_holidays_differ_between_england_and_scotland() -> None:
    assert not ENGLAND.is_business_day(EASTER_MONDAY)
    assert SCOTLAND.is_business_day(EASTER_MONDAY)
    assert ENGLAND.is_business_day(date(2026, 1, 2))
    assert not SCOTLAND.is_business_day(date(2026, 1, 2))  # 2 January is a Scottish bank holiday


def test_next_business_day_skips_weekends_and_holidays() -> None:
    good_friday = date(2026, 4, 3)

    assert ENGLAND.next_business_day(MONDAY) == MONDAY
    assert ENGLAND.next_business_day(good_friday) == date(2026, 4, 7)
    assert SCOTLAND.next_business_day(good_friday) == EASTER_MONDAY


def test_the_creditor_can_add_days_it_is_closed() -> None:
    calendar = Calendar(closures=frozenset({MONDAY}))

    assert not calendar.is_business_day(MONDAY)
    assert calendar.why_not_business_day(MONDAY) == "Monday 2026-03-09 is a day the creditor is closed"


def test_a_different_weekend_can_be_set() -> None:
    calendar = Calendar(weekend=frozenset({4, 5}))  # Friday and Saturday

    assert calendar.is_business_day(date(2026, 3, 15))  # Sunday
    assert not calendar.is_business_day(date(2026, 3, 13))  # Friday


def test_why_not_a_business_day_is_said_in_words() -> None:
    assert (
        ENGLAND.why_not_business_day(date(2026, 12, 25))
        == "Friday 2026-12-25 is a public holiday (Christmas Day)"
    )
    assert ENGLAND.why_not_business_day(date(2026, 3, 14)) == "Saturday 2026-03-14 is not a business day"


def test_calendar_follows_the_creditors_country_and_timezone() -> None:
    creditor = Creditor("acme", "Acme", country="GB", timezone="Europe/London")

    assert Calendar.for_creditor(creditor) == Calendar(
        timezone="Europe/London", country="GB", subdivision="ENG"
    )
    assert Calendar.for_creditor(creditor, subdivision="NIR").subdivision == "NIR"
    assert Calendar.for_creditor(
        Creditor("fr", "Fr", currency="EUR", country="FR", timezone="Europe/Paris")
    ) == (Calendar(timezone="Europe/Paris", country="FR", subdivision=None))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Calendar(timezone="Europe/Londres"), "unknown timezone 'Europe/Londres'"),
        (lambda: Calendar(country="XX", subdivision=None), "no public holidays are known for 'XX'"),
        (lambda: Calendar(subdivision="XYZ"), "no public holidays are known for 'GB' XYZ"),
        (lambda: Calendar(weekend=frozenset(range(7))), "must be weekday numbers 0-6, not all of them"),
        (lambda: Calendar(max_contacts_per_7_days=0), "a contact cap of 0 would stop every contact"),
        (lambda: ContactHours(time(18), time(9)), "contact hours end at 09:00:00 but start at 18:00:00"),
    ],
)
def test_impossible_calendars_are_refused(build: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        build()  # type: ignore[operator]


# --- contact hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "moment", "allowed"),
    [
        (Channel.CALL, datetime(2026, 3, 9, 8, 59), False),
        (Channel.CALL, datetime(2026, 3, 9, 9, 0), True),
        (Channel.CALL, datetime(2026, 3, 9, 17, 59), True),
        (Channel.CALL, datetime(2026, 3, 9, 18, 0), False),
        (Channel.SMS, datetime(2026, 3, 9, 19, 30), True),
        (Channel.SMS, datetime(2026, 3, 9, 21, 0), False),
        (Channel.CALL, datetime(2026, 3, 14, 11, 0), False),  # Saturday
        (Channel.SMS, datetime(2026, 4, 6, 11, 0), False),  # Easter Monday
        (Channel.EMAIL, datetime(2026, 3, 14, 3, 0), True),
        (Channel.LETTER, datetime(2026, 3, 15, 23, 0), True),
    ],
)
def test_calls_and_sms_keep_to_contact_hours_on_business_days(
    channel: Channel, moment: datetime, allowed: bool
) -> None:
    assert within_contact_hours(channel, moment, ENGLAND) is allowed


def test_an_aware_time_is_read_in_the_creditors_timezone() -> None:
    # 08:30 in New York is 12:30 in London (13 March 2026: New York is already on summer time).
    new_york_morning = datetime(2026, 3, 13, 8, 30, tzinfo=ZoneInfo("America/New_York"))

    assert within_contact_hours(Channel.CALL, new_york_morning, ENGLAND)
    assert not within_contact_hours(Channel.CALL, new_york_morning, Calendar(timezone="America/New_York"))


def test_contact_hours_can_be_set_per_channel() -> None:
    calendar = replace(
        ENGLAND, contact_hours=((Channel.SMS, ContactHours(time(10), time(12), business_days_only=False)),)
    )

    assert within_contact_hours(Channel.SMS, datetime(2026, 3, 14, 11, 0), calendar)  # Saturday allowed
    assert within_contact_hours(Channel.CALL, datetime(2026, 3, 14, 23, 0), calendar)  # calls unrestricted


def test_next_contact_time_waits_for_the_next_window() -> None:
    thursday_evening = datetime(2026, 4, 2, 19, 0)  # before Good Friday and Easter Monday

    assert next_contact_time(Channel.CALL, thursday_evening, ENGLAND) == datetime(2026, 4, 7, 9, 0)
    assert next_contact_time(Channel.CALL, datetime(2026, 3, 9, 7, 0), ENGLAND) == datetime(2026, 3, 9, 9, 0)
    assert next_contact_time(Channel.CALL, datetime(2026, 3, 9, 10, 0), ENGLAND) == datetime(
        2026, 3, 9, 10, 0
    )
    assert next_contact_time(Channel.EMAIL, thursday_evening, ENGLAND) == thursday_evening


# --- contact cap ---------------------------------------------------------------------------------


def test_rolling_week_is_the_seven_days_ending_today() -> None:
    assert rolling_week(date(2026, 3, 10)) == (date(2026, 3, 4), date(2026, 3, 10))


def test_contacts_in_the_rolling_week_use_up_the_cap() -> None:
    as_of = date(2026, 3, 10)

    assert contacts_left([], as_of, ENGLAND) == 2
    assert contacts_left([date(2026, 3, 3), date(2026, 3, 9)], as_of, ENGLAND) == 1  # 3 March is outside
    assert contacts_left([date(2026, 3, 4), date(2026, 3, 9), date(2026, 3, 10)], as_of, ENGLAND) == 0
    assert contacts_left([date(2026, 3, 9)], as_of, Calendar(max_contacts_per_7_days=None)) is None
