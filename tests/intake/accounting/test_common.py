"""What the connectors share: exact amounts, Retry-After, retrying HTTP 429, paging, countries."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from arrears.core.money import Money
from arrears.intake.accounting.common import (
    CallStats,
    RateLimitError,
    RetryPolicy,
    SourceDataError,
    Throttled,
    call_with_retry,
    country_code,
    currency_code,
    money,
    pages,
    parse_retry_after,
)


class TooMany(Exception):
    pass


def test_vendor_amounts_become_exact_money() -> None:
    assert money(Decimal("362.07"), "GBP", "TotalAmt") == Money.of("362.07", "GBP")
    assert money(100, "JPY", "Total") == Money.of(100, "JPY")
    assert money("0.1", "GBP", "Total").to_minor_units() == 10


def test_a_float_amount_is_refused_rather_than_rounded() -> None:
    with pytest.raises(SourceDataError, match="not an exact amount"):
        money(0.1, "GBP", "Total")


def test_an_amount_finer_than_the_currency_is_refused() -> None:
    with pytest.raises(SourceDataError, match="finer than the minor unit of GBP"):
        money(Decimal("10.005"), "GBP", "Total")


def test_a_quickbooks_currency_reference_and_a_missing_one() -> None:
    assert currency_code({"value": "usd", "name": "United States Dollar"}, "GBP", "CurrencyRef") == "USD"
    assert currency_code(None, "GBP", "CurrencyRef") == "GBP"
    with pytest.raises(SourceDataError, match="'XYZ' is not an ISO 4217 code"):
        currency_code("XYZ", "GBP", "CurrencyCode")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", Decimal(7)),
        ("Sun, 01 Feb 2026 10:01:30 GMT", Decimal(90)),
        ("", None),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, seconds: Decimal | None) -> None:
    assert parse_retry_after(header, datetime(2026, 2, 1, 10, 0, tzinfo=UTC)) == seconds


def throttled_until(successful_attempt: int) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) < successful_attempt:
            raise TooMany
        return "ok"

    return calls, call


def test_a_throttled_call_waits_as_asked_then_succeeds() -> None:
    waits: list[Decimal] = []
    calls, call = throttled_until(3)
    stats = CallStats()

    result = call_with_retry(
        call,
        lambda e: Throttled(Decimal(5)) if isinstance(e, TooMany) else None,
        RetryPolicy(sleep=waits.append),
        stats,
        "test",
    )

    assert (result, len(calls), waits, stats.retries) == ("ok", 3, [Decimal(5), Decimal(5)], 2)


def test_a_wait_longer_than_the_cap_is_cut_to_it() -> None:
    waits: list[Decimal] = []
    _, call = throttled_until(2)

    call_with_retry(
        call,
        lambda e: Throttled(Decimal(86400)),
        RetryPolicy(sleep=waits.append, max_wait=Decimal(300)),
        CallStats(),
        "test",
    )

    assert waits == [Decimal(300)]


def test_the_call_gives_up_after_the_last_attempt() -> None:
    calls, call = throttled_until(99)

    with pytest.raises(RateLimitError, match="after 3 attempts"):
        call_with_retry(
            call,
            lambda e: Throttled(None),
            RetryPolicy(max_attempts=3, sleep=lambda s: None),
            CallStats(),
            "test",
        )
    assert len(calls) == 3


def test_other_failures_are_not_retried() -> None:
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise ValueError("boom")

    with pytest.raises(ValueError):
        call_with_retry(call, lambda e: None, RetryPolicy(sleep=lambda s: None), CallStats(), "test")
    assert len(calls) == 1


def test_pages_stop_at_the_first_short_page() -> None:
    asked: list[int] = []

    def fetch(index: int) -> list[int]:
        asked.append(index)
        return [[1, 2], [3, 4], [5], [6]][index]

    assert list(pages(fetch, 2)) == [1, 2, 3, 4, 5]
    assert asked == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GB", "GB"),
        ("United Kingdom", "GB"),
        ("USA", "US"),
        ("Germany", "DE"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_free_text_countries_become_codes_where_they_can(text: str, code: str | None) -> None:
    assert country_code(text) == code
