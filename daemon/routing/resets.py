"""Where upstreams hide a retry time outside the error body (docs/protocols.md C1, steps 2-4).

Every function returns seconds from `now` (possibly negative for a past instant; the caller
clamps) or None when the source says nothing usable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_MESSAGE_DELAY = re.compile(
    r"(?:retry in|try again in|after)\s+((?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+)"
    r"(?![a-z])",
    re.IGNORECASE,
)
_MESSAGE_DELAY_WORDS = re.compile(
    r"(?:retry in|try again in|after)\s+(\d+(?:\.\d+)?)\s*(second|sec|minute|min|hour)s?\b",
    re.IGNORECASE,
)
_WORD_UNITS = {"second": 1.0, "sec": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")  # Google writes nanoseconds; datetime takes micro

# (reset header, remaining header) per limit; the first family present decides.
_STANDARD_RESETS: tuple[tuple[tuple[str, str], ...], ...] = (
    tuple(
        (f"anthropic-ratelimit-{n}-reset", f"anthropic-ratelimit-{n}-remaining")
        for n in ("requests", "tokens", "input-tokens", "output-tokens")
    ),
    (
        ("x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"),
        ("x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"),
        ("x-ratelimit-reset", "x-ratelimit-remaining"),  # OpenRouter and other compatibles
    ),
)


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("1s", "6m0s", "1h2m3.5s", "900ms"); None if not one."""
    text = text.strip()
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return total if position and position == len(text) else None


def number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def google_duration(value: Any) -> float | None:
    """A protobuf Duration: "34.07s" in JSON; "900ms" and {"seconds", "nanos"} also seen."""
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, dict):
        seconds, nanos = number(value.get("seconds", 0)), number(value.get("nanos", 0))
        if seconds is not None and nanos is not None:
            return seconds + nanos / 1e9
    return None


def seconds_until(value: Any, now: float) -> float | None:
    """Seconds from `now` to a reset given as an instant or as a delay.

    RFC 3339 dates and unix times (seconds, or milliseconds past 1e12) are instants; Go
    durations and small plain numbers are delays.
    """
    plain = number(value)
    if plain is not None:
        if plain > 1e12:
            return plain / 1000 - now
        return plain - now if plain > 1e9 else plain
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _ISO_DATE.match(text):
        try:
            instant = datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
        except ValueError:
            return None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.timestamp() - now
    return parse_duration(text)


def from_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """`retry-after-ms`, else `Retry-After` in seconds or as an HTTP date (lower-case names)."""
    milliseconds = number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000  # the same hint as Retry-After, only finer
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = number(value)
    if seconds is not None:
        return seconds
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date.timestamp() - now


def from_reset_headers(headers: Mapping[str, str], now: float) -> float | None:
    """Anthropic unified (when rejected), Anthropic and OpenAI rate-limit, then Codex resets."""
    rejected = [
        seconds_until(headers.get(name[: -len("status")] + "reset"), now)
        for name, value in headers.items()
        if name.startswith("anthropic-ratelimit-unified-")
        and name.endswith("-status")
        and "overage" not in name  # rejected whenever no paid overflow is set up
        and value.strip().lower() == "rejected"
    ]
    known = [seconds for seconds in rejected if seconds is not None]
    if known:
        return max(known)  # every rejected window must have reset
    if headers.get("anthropic-ratelimit-unified-status", "").strip().lower() == "rejected":
        seconds = seconds_until(headers.get("anthropic-ratelimit-unified-reset"), now)
        if seconds is not None:
            return seconds
    for group in _STANDARD_RESETS:
        windows: list[tuple[float, bool]] = []
        for reset, remaining in group:
            seconds = seconds_until(headers.get(reset), now)
            if seconds is not None:
                left = number(headers.get(remaining))
                windows.append((seconds, left is not None and left <= 0))
        if windows:
            return _binding(windows)
    return _codex_reset(headers, now)


def from_message(message: str) -> float | None:
    """ "Please retry in 34.07s", "try again in 6m0s", "after 1h2m3s", "after 30 seconds"."""
    match = _MESSAGE_DELAY.search(message)
    if match:
        return parse_duration(match.group(1))
    match = _MESSAGE_DELAY_WORDS.search(message)
    if match:
        return float(match.group(1)) * _WORD_UNITS[match.group(2).lower()]
    return None


def _binding(windows: list[tuple[float, bool]]) -> float:
    """The reset that explains a 429: the latest of the exhausted limits, else the soonest."""
    exhausted = [seconds for seconds, out in windows if out]
    return max(exhausted) if exhausted else min(seconds for seconds, _ in windows)


def _codex_reset(headers: Mapping[str, str], now: float) -> float | None:
    # Codex windows are hours or days long: only a window at 100% explains the failure.
    resets: list[float] = []
    for name, value in headers.items():
        if not (name.startswith("x-codex-") and name.endswith("-used-percent")):
            continue
        used = number(value)
        if used is None or used < 100:
            continue
        window = name[: -len("used-percent")]
        seconds = seconds_until(headers.get(window + "reset-at"), now)
        if seconds is None:
            seconds = number(headers.get(window + "reset-after-seconds"))
        if seconds is not None:
            resets.append(seconds)
    return max(resets) if resets else None
