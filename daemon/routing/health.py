"""Credential health over a rolling window: request and failure counts, latency percentiles,
and the state `routing.health-aware` / `routing.prefer-healthy` act on.

The window is a ring of fixed time buckets (10 s by default), and latencies go into a
log-scale histogram per bucket, so memory per credential is bounded whatever the traffic.
Time is the injected clock's monotonic time. Not thread-safe: the event loop owns it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from daemon.clock import Clock
from daemon.routing.types import CredentialId, FailureKind

# Latency histogram bins grow by 2 %, so a percentile is within 1 % of the true sample.
_GROWTH = 1.02
_LOG_GROWTH = math.log(_GROWTH)
_MIN_MS = 0.01  # a latency at or below this (or 0) lands in the lowest bin


class HealthState(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    COOLDOWN = "cooldown"
    ERROR = "error"


@dataclass(slots=True)
class _Bucket:
    index: int  # monotonic time // bucket_seconds
    requests: int = 0
    failures: int = 0
    bins: dict[int, int] = field(default_factory=dict)  # latency bin -> samples
    low: float = math.inf  # the exact extremes, to clamp the binned estimate
    high: float = -math.inf


@dataclass(slots=True)
class _Series:
    buckets: deque[_Bucket] = field(default_factory=deque)
    auth_failed_at: float | None = None  # monotonic; the last outcome was an AUTH failure


class HealthTracker:
    """Per-credential outcomes over the last `window_seconds`."""

    def __init__(
        self,
        clock: Clock,
        window_seconds: float = 300.0,
        degraded_failure_rate: float = 0.2,
        error_failure_rate: float = 0.5,
        min_requests: int = 5,
        bucket_seconds: float = 10.0,
    ) -> None:
        if window_seconds <= 0 or bucket_seconds <= 0:
            raise ValueError("window_seconds and bucket_seconds must be positive")
        if not 0 <= degraded_failure_rate <= error_failure_rate <= 1:
            raise ValueError("need 0 <= degraded_failure_rate <= error_failure_rate <= 1")
        if min_requests < 1:
            raise ValueError("min_requests must be at least 1")
        self._clock = clock
        self._window = window_seconds
        self._bucket_seconds = bucket_seconds
        self._buckets = max(1, math.ceil(window_seconds / bucket_seconds))
        self._degraded = degraded_failure_rate
        self._error = error_failure_rate
        self._min_requests = min_requests
        self._series: dict[CredentialId, _Series] = {}

    def record(
        self,
        credential: CredentialId,
        ok: bool,
        latency_ms: float | None = None,
        failure_kind: FailureKind | None = None,
    ) -> None:
        """One finished request. Latency counts only for successes: a fast 429 would
        otherwise make a rate-limited credential look like the quickest."""
        now = self._clock.monotonic()
        series = self._series.setdefault(credential, _Series())
        bucket = self._current_bucket(series, now)
        bucket.requests += 1
        if ok:
            series.auth_failed_at = None  # a success proves the credential works
            if latency_ms is not None:
                _add_latency(bucket, latency_ms)
            return
        if failure_kind is FailureKind.CLIENT:
            return  # the request's fault, not the credential's: a request, not a failure
        bucket.failures += 1
        series.auth_failed_at = now if failure_kind is FailureKind.AUTH else None

    def state(self, credential: CredentialId, cooling: bool) -> HealthState:
        """COOLDOWN when the caller says it cools; ERROR on an AUTH failure as the last
        outcome within the window, or a failure rate at the error threshold; DEGRADED at the
        degraded threshold; else HEALTHY. The rates need `min_requests` in the window."""
        if cooling:
            return HealthState.COOLDOWN
        series = self._live(credential)
        if series is None:
            return HealthState.HEALTHY
        # The AUTH mark ages out with the window: health-aware routing sends an ERROR
        # credential nothing, so without expiry nothing could ever clear it.
        auth = series.auth_failed_at
        if auth is not None and self._clock.monotonic() - auth < self._window:
            return HealthState.ERROR
        requests, failures = _totals(series)
        if requests < self._min_requests:
            return HealthState.HEALTHY
        rate = failures / requests
        if rate >= self._error:
            return HealthState.ERROR
        if rate >= self._degraded:
            return HealthState.DEGRADED
        return HealthState.HEALTHY

    def counts(self, credential: CredentialId) -> tuple[int, int]:
        """(requests, failures) over the window."""
        series = self._live(credential)
        return (0, 0) if series is None else _totals(series)

    def percentile_ms(self, credential: CredentialId, q: float) -> float | None:
        """The q-quantile (0 < q <= 1, nearest rank) of successful latencies in the window,
        within 1 %; None without samples."""
        if not 0 < q <= 1:
            raise ValueError("q must be in (0, 1]")
        series = self._live(credential)
        if series is None:
            return None
        merged: dict[int, int] = {}
        low, high = math.inf, -math.inf
        for bucket in series.buckets:
            for index, count in bucket.bins.items():
                merged[index] = merged.get(index, 0) + count
            low, high = min(low, bucket.low), max(high, bucket.high)
        total = sum(merged.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        if rank == total:
            return high  # the slowest sample is known exactly
        seen = 0
        for index in sorted(merged):
            seen += merged[index]
            if seen >= rank:
                # The bin's geometric middle, kept within the exact extremes so a window of
                # equal samples reports that sample exactly.
                return min(max(math.exp((index + 0.5) * _LOG_GROWTH), low), high)
        return high  # not reached: the bins sum to total

    def p50_ms(self, credential: CredentialId) -> float | None:
        return self.percentile_ms(credential, 0.50)

    def p95_ms(self, credential: CredentialId) -> float | None:
        return self.percentile_ms(credential, 0.95)

    def credentials(self) -> list[CredentialId]:
        """The credentials with anything still in the window (for metrics)."""
        return [c for c in list(self._series) if self._live(c) is not None]

    def forget(self, credential: CredentialId) -> None:
        """Drop a credential's history (it left the configuration)."""
        self._series.pop(credential, None)

    def _current_bucket(self, series: _Series, now: float) -> _Bucket:
        index = self._index(now)
        self._prune(series, index)
        if not series.buckets or series.buckets[-1].index != index:
            series.buckets.append(_Bucket(index))
        return series.buckets[-1]

    def _live(self, credential: CredentialId) -> _Series | None:
        """The credential's series with old buckets pruned; None (and forgotten) when
        nothing of it is left in the window."""
        series = self._series.get(credential)
        if series is None:
            return None
        now = self._clock.monotonic()
        self._prune(series, self._index(now))
        auth = series.auth_failed_at
        if auth is not None and now - auth >= self._window:
            series.auth_failed_at = None
        if not series.buckets and series.auth_failed_at is None:
            del self._series[credential]
            return None
        return series

    def _index(self, now: float) -> int:
        return math.floor(now / self._bucket_seconds)

    def _prune(self, series: _Series, index: int) -> None:
        oldest = index - self._buckets + 1
        while series.buckets and series.buckets[0].index < oldest:
            series.buckets.popleft()


def _totals(series: _Series) -> tuple[int, int]:
    return (
        sum(b.requests for b in series.buckets),
        sum(b.failures for b in series.buckets),
    )


def _add_latency(bucket: _Bucket, latency_ms: float) -> None:
    if not math.isfinite(latency_ms):
        return  # a broken measurement must not poison the window
    value = max(latency_ms, 0.0)
    index = math.floor(math.log(max(value, _MIN_MS)) / _LOG_GROWTH)
    bucket.bins[index] = bucket.bins.get(index, 0) + 1
    bucket.low = min(bucket.low, value)
    bucket.high = max(bucket.high, value)


class InFlight:
    """Requests running per credential, for `least-busy` and metrics."""

    def __init__(self) -> None:
        self._counts: dict[CredentialId, int] = {}

    def inc(self, credential: CredentialId) -> int:
        count = self._counts.get(credential, 0) + 1
        self._counts[credential] = count
        return count

    def dec(self, credential: CredentialId) -> int:
        """One request ended. Never below zero; a credential at zero is forgotten."""
        count = self._counts.get(credential, 0) - 1
        if count <= 0:
            self._counts.pop(credential, None)
            return 0
        self._counts[credential] = count
        return count

    def get(self, credential: CredentialId) -> int:
        return self._counts.get(credential, 0)

    def snapshot(self) -> dict[CredentialId, int]:
        return dict(self._counts)

    @contextmanager
    def track(self, credential: CredentialId) -> Iterator[None]:
        """Count a request for the block's duration, including when it fails or is cancelled."""
        self.inc(credential)
        try:
            yield
        finally:
            self.dec(credential)
