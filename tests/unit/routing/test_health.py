"""daemon.routing.health: rolling-window health, latency percentiles, in-flight counts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.clock import FakeClock
from daemon.routing.health import HealthState, HealthTracker, InFlight
from daemon.routing.types import FailureKind

K = "claude-api-key[0]"


def tracker(clock: FakeClock, **kwargs: float) -> HealthTracker:
    return HealthTracker(clock, **kwargs)  # type: ignore[arg-type]


def outcomes(h: HealthTracker, ok: int, failed: int, kind: FailureKind | None = None) -> None:
    for _ in range(ok):
        h.record(K, True, 100.0)
    for _ in range(failed):
        h.record(K, False, None, kind)


# --- states ---------------------------------------------------------------------------------


def test_unknown_credential_is_healthy_with_nothing_counted() -> None:
    h = HealthTracker(FakeClock())
    assert h.state(K, cooling=False) is HealthState.HEALTHY
    assert h.counts(K) == (0, 0)
    assert h.p50_ms(K) is None
    assert h.p95_ms(K) is None


def test_cooling_wins_over_everything() -> None:
    h = HealthTracker(FakeClock())
    outcomes(h, 0, 10)
    assert h.state(K, cooling=True) is HealthState.COOLDOWN


@pytest.mark.parametrize(
    ("ok", "failed", "expected"),
    [
        (10, 0, HealthState.HEALTHY),
        (9, 1, HealthState.HEALTHY),  # 10 %
        (8, 2, HealthState.DEGRADED),  # 20 %: at the threshold
        (6, 4, HealthState.DEGRADED),  # 40 %
        (5, 5, HealthState.ERROR),  # 50 %: at the threshold
        (0, 10, HealthState.ERROR),
    ],
)
def test_failure_rate_thresholds(ok: int, failed: int, expected: HealthState) -> None:
    h = HealthTracker(FakeClock())
    outcomes(h, ok, failed, FailureKind.TRANSIENT)
    assert h.counts(K) == (ok + failed, failed)
    assert h.state(K, cooling=False) is expected


def test_rates_need_min_requests() -> None:
    h = HealthTracker(FakeClock(), min_requests=5)
    outcomes(h, 0, 4, FailureKind.TRANSIENT)
    assert h.state(K, cooling=False) is HealthState.HEALTHY
    outcomes(h, 0, 1, FailureKind.TRANSIENT)
    assert h.state(K, cooling=False) is HealthState.ERROR


def test_an_auth_failure_is_an_error_at_once() -> None:
    h = HealthTracker(FakeClock())
    outcomes(h, 20, 0)
    h.record(K, False, failure_kind=FailureKind.AUTH)
    assert h.state(K, cooling=False) is HealthState.ERROR


def test_a_success_after_an_auth_failure_clears_the_error() -> None:
    h = HealthTracker(FakeClock())
    h.record(K, False, failure_kind=FailureKind.AUTH)
    h.record(K, True, 50.0)
    assert h.state(K, cooling=False) is HealthState.HEALTHY


def test_a_later_failure_of_another_kind_replaces_the_auth_mark() -> None:
    h = HealthTracker(FakeClock())
    outcomes(h, 20, 0)
    h.record(K, False, failure_kind=FailureKind.AUTH)
    h.record(K, False, failure_kind=FailureKind.RATE_LIMIT)
    assert h.state(K, cooling=False) is HealthState.HEALTHY  # 2 of 22


def test_a_client_failure_is_not_the_credentials_fault() -> None:
    h = HealthTracker(FakeClock())
    h.record(K, False, failure_kind=FailureKind.AUTH)
    outcomes(h, 0, 10, FailureKind.CLIENT)
    assert h.counts(K) == (11, 1)
    assert h.state(K, cooling=False) is HealthState.ERROR  # the AUTH mark stands


def test_the_auth_mark_ages_out_with_the_window() -> None:
    # An ERROR credential gets no traffic under health-aware routing, so only time can heal it.
    clock = FakeClock()
    h = HealthTracker(clock, window_seconds=300)
    h.record(K, False, failure_kind=FailureKind.AUTH)
    clock.advance(299)
    assert h.state(K, cooling=False) is HealthState.ERROR
    clock.advance(1)
    assert h.state(K, cooling=False) is HealthState.HEALTHY
    assert h.credentials() == []


def test_failures_age_out_of_the_window() -> None:
    clock = FakeClock()
    h = HealthTracker(clock, window_seconds=300, bucket_seconds=10)
    outcomes(h, 0, 10, FailureKind.TRANSIENT)
    assert h.state(K, cooling=False) is HealthState.ERROR
    clock.advance(150)
    outcomes(h, 10, 0)
    assert h.counts(K) == (20, 10)
    clock.advance(160)  # the failures' bucket is now more than 300 s old
    assert h.counts(K) == (10, 0)
    assert h.state(K, cooling=False) is HealthState.HEALTHY
    clock.advance(300)
    assert h.counts(K) == (0, 0)
    assert h.credentials() == []


def test_the_window_holds_a_bounded_number_of_buckets() -> None:
    clock = FakeClock()
    h = HealthTracker(clock, window_seconds=60, bucket_seconds=10)
    for _ in range(1000):
        h.record(K, True, 10.0)
        clock.advance(1)
    # Now t=1000: the window holds buckets 95..100 and the samples of 950..999 s.
    assert h.counts(K) == (50, 0)
    assert len(h._series[K].buckets) == 5


def test_credentials_are_tracked_apart() -> None:
    h = HealthTracker(FakeClock())
    for _ in range(5):
        h.record("a", False, failure_kind=FailureKind.TRANSIENT)
        h.record("b", True, 10.0)
    assert h.state("a", cooling=False) is HealthState.ERROR
    assert h.state("b", cooling=False) is HealthState.HEALTHY
    assert sorted(h.credentials()) == ["a", "b"]
    h.forget("a")
    assert h.credentials() == ["b"]
    assert h.counts("a") == (0, 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_seconds": 0},
        {"bucket_seconds": -1},
        {"degraded_failure_rate": 0.6, "error_failure_rate": 0.5},
        {"error_failure_rate": 1.5},
        {"min_requests": 0},
    ],
)
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        tracker(FakeClock(), **kwargs)


# --- latency --------------------------------------------------------------------------------


def test_percentiles_of_equal_samples_are_exact() -> None:
    h = HealthTracker(FakeClock())
    for _ in range(7):
        h.record(K, True, 123.4)
    assert h.p50_ms(K) == 123.4
    assert h.p95_ms(K) == 123.4


def test_percentiles_over_a_spread() -> None:
    h = HealthTracker(FakeClock())
    for ms in range(1, 101):  # 1 .. 100 ms
        h.record(K, True, float(ms))
    assert h.p50_ms(K) == pytest.approx(50.0, rel=0.01)
    assert h.p95_ms(K) == pytest.approx(95.0, rel=0.01)
    assert h.percentile_ms(K, 1.0) == 100.0  # the maximum is kept exactly


def test_failed_requests_do_not_count_for_latency() -> None:
    h = HealthTracker(FakeClock())
    h.record(K, True, 800.0)
    h.record(K, False, 5.0, FailureKind.RATE_LIMIT)  # a fast 429 is not a fast credential
    assert h.p50_ms(K) == 800.0


def test_latency_edge_values() -> None:
    h = HealthTracker(FakeClock())
    h.record(K, True, 0.0)
    h.record(K, True, math.inf)  # dropped
    h.record(K, True, math.nan)  # dropped
    h.record(K, True, None)
    assert h.counts(K) == (4, 0)
    assert h.p95_ms(K) == 0.0


def test_latency_ages_out_with_its_bucket() -> None:
    clock = FakeClock()
    h = HealthTracker(clock, window_seconds=60, bucket_seconds=10)
    h.record(K, True, 1000.0)
    clock.advance(30)
    h.record(K, True, 10.0)
    assert h.percentile_ms(K, 1.0) == 1000.0
    clock.advance(35)
    assert h.percentile_ms(K, 1.0) == 10.0


def test_percentile_rejects_a_bad_quantile() -> None:
    with pytest.raises(ValueError, match="q must"):
        HealthTracker(FakeClock()).percentile_ms(K, 0)


@settings(max_examples=80, deadline=None)
@given(samples=st.lists(st.floats(min_value=0.5, max_value=600_000), min_size=1, max_size=200))
def test_percentiles_are_within_one_percent_of_nearest_rank(samples: list[float]) -> None:
    h = HealthTracker(FakeClock())
    for ms in samples:
        h.record(K, True, ms)
    ordered = sorted(samples)
    for q in (0.5, 0.95):
        exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]
        got = h.percentile_ms(K, q)
        assert got is not None
        assert got == pytest.approx(exact, rel=0.0101)


# --- in flight ------------------------------------------------------------------------------


def test_in_flight_counts_per_credential() -> None:
    f = InFlight()
    assert f.inc("a") == 1
    assert f.inc("a") == 2
    assert f.inc("b") == 1
    assert f.get("a") == 2
    assert f.snapshot() == {"a": 2, "b": 1}
    assert f.dec("a") == 1
    assert f.dec("a") == 0
    assert f.get("a") == 0
    assert f.snapshot() == {"b": 1}


def test_in_flight_never_goes_below_zero() -> None:
    f = InFlight()
    assert f.dec("a") == 0
    assert f.inc("a") == 1


def test_in_flight_track_decrements_on_error() -> None:
    f = InFlight()
    with f.track("a"):
        assert f.get("a") == 1

    def fail() -> None:
        with f.track("a"):
            assert f.get("a") == 1
            raise RuntimeError("upstream went away")

    with pytest.raises(RuntimeError):
        fail()
    assert f.get("a") == 0
