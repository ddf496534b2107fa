"""daemon.routing.resets: retry times from headers, messages and their value formats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.routing.resets import (
    from_message,
    from_reset_headers,
    from_retry_after,
    google_duration,
    number,
    parse_duration,
    seconds_until,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("1h2m3.5s", 3723.5),
        ("900ms", 0.9),
        ("34.074824224s", 34.074824224),
        ("  20ms ", 0.02),
        (".5s", 0.5),
        ("1h", 3600.0),
        ("250us", 0.00025),
        ("3ns", 3e-9),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "12", "1x", "1h 2m", "-1s", "1s!", "ms"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_durations_add_up(h: int, m: int, s: int, ms: int) -> None:
    text = f"{h}h{m}m{s}s{ms}ms"
    assert parse_duration(text) == pytest.approx(h * 3600 + m * 60 + s + ms / 1000)


def test_numbers() -> None:
    assert number(3) == 3.0
    assert number(" 2.5 ") == 2.5
    assert number(True) is None
    assert number("nan") is None
    assert number(float("inf")) is None
    assert number("soon") is None
    assert number(None) is None


def test_google_durations() -> None:
    assert google_duration("34s") == 34
    assert google_duration({"seconds": 3, "nanos": 500_000_000}) == 3.5
    assert google_duration({"seconds": "x"}) is None
    assert google_duration(34) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2023-11-14T22:14:20Z", 60.0),
        ("2023-11-14T22:14:20.250000000Z", 60.25),  # nanoseconds, as Google writes them
        ("2023-11-14T23:14:20+01:00", 60.0),
        ("2023-11-14T22:14:20", 60.0),  # no zone: UTC
        (1_700_000_060, 60.0),  # unix seconds
        ("1700000060", 60.0),
        (1_700_000_060_000, 60.0),  # unix milliseconds
        ("1m", 60.0),
        ("60", 60.0),  # a small number is a delay
        ("2023-13-99T00:00:00Z", None),
        ("whenever", None),
        ([], None),
    ],
)
def test_seconds_until(value: object, seconds: float | None) -> None:
    result = seconds_until(value, NOW)
    assert result == (None if seconds is None else pytest.approx(seconds))


def test_retry_after_forms() -> None:
    assert from_retry_after({"retry-after": "7"}, NOW) == 7
    assert from_retry_after({"retry-after": "1.5"}, NOW) == 1.5
    assert from_retry_after({"retry-after": "Tue, 14 Nov 2023 22:14:20 GMT"}, NOW) == 60
    assert from_retry_after({"retry-after": "7", "retry-after-ms": "6500"}, NOW) == 6.5
    assert from_retry_after({"retry-after": "later"}, NOW) is None
    assert from_retry_after({}, NOW) is None


def test_reset_headers_take_the_exhausted_limit() -> None:
    headers = {
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-requests": "10",
        "x-ratelimit-reset-tokens": "1m30s",
        "x-ratelimit-remaining-tokens": "0",
    }
    assert from_reset_headers(headers, NOW) == 90
    headers["x-ratelimit-remaining-tokens"] = "5"  # nothing exhausted: the soonest
    assert from_reset_headers(headers, NOW) == 1


def test_anthropic_reset_headers_come_before_openai_ones() -> None:
    headers = {
        "anthropic-ratelimit-tokens-reset": "2023-11-14T22:13:30Z",
        "x-ratelimit-reset-tokens": "5m",
    }
    assert from_reset_headers(headers, NOW) == 10


def test_overage_windows_do_not_count() -> None:
    headers = {
        "anthropic-ratelimit-unified-overage-status": "rejected",
        "anthropic-ratelimit-unified-overage-reset": str(int(NOW) + 50_000),
    }
    assert from_reset_headers(headers, NOW) is None


def test_codex_windows_count_only_when_used_up() -> None:
    headers = {
        "x-codex-primary-used-percent": "99.5",
        "x-codex-primary-reset-at": str(int(NOW) + 100),
        "x-codex-secondary-used-percent": "100",
        "x-codex-secondary-reset-at": str(int(NOW) + 5000),
    }
    assert from_reset_headers(headers, NOW) == 5000
    headers["x-codex-secondary-used-percent"] = "80"
    assert from_reset_headers(headers, NOW) is None


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Please retry in 34.07s.", 34.07),
        ("Please try again in 6m0s.", 360.0),
        ("Please try again in 20ms", 0.02),
        ("Your quota will reset after 1h2m3s.", 3723.0),
        ("retry after 30s", 30.0),
        ("Try again after 5 minutes.", 300.0),
        ("please retry in 2 seconds", 2.0),
        ("after 1 hour", 3600.0),
        ("Rate limited, try later.", None),
        ("after 2024 we changed the limits", None),
    ],
)
def test_delays_in_messages(message: str, seconds: float | None) -> None:
    result = from_message(message)
    assert result == (None if seconds is None else pytest.approx(seconds))
