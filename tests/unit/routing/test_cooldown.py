"""daemon.routing.cooldown: every cooldown rule, the cap, and the half-open re-probe."""

from __future__ import annotations

import pytest

from daemon.clock import FakeClock
from daemon.routing.cooldown import Availability, CooldownBook, CooldownPolicy
from daemon.routing.types import ALL_MODELS, Failure, FailureKind
from daemon.state.memory import MemoryStore

CRED = "claude-api-key[0]"
OTHER = "claude-api-key[1]"


def failure(
    kind: FailureKind,
    *,
    retry_after: float | None = None,
    wide: bool | None = None,
    status: int = 429,
    penalize: bool = True,
) -> Failure:
    if wide is None:
        wide = kind in (FailureKind.AUTH, FailureKind.FORBIDDEN, FailureKind.QUOTA)
    return Failure(
        kind=kind,
        status=status,
        retry_after=retry_after,
        scope_all_models=wide,
        reason=f"{status} {kind.value}",
        retryable=kind is not FailureKind.CLIENT,
        penalize=penalize,
    )


RATE = failure(FailureKind.RATE_LIMIT)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def book(clock: FakeClock) -> CooldownBook:
    return CooldownBook(CooldownPolicy(), clock, MemoryStore())


def cools_for(book: CooldownBook, clock: FakeClock, f: Failure, model: str = "m") -> float:
    until = book.record_failure(CRED, model, f)
    assert until is not None
    return until - clock.time()


# ------------------------------------------------------------------ durations per kind


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [
        (FailureKind.AUTH, 1800),
        (FailureKind.FORBIDDEN, 1800),
        (FailureKind.MODEL_UNSUPPORTED, 43200),
        (FailureKind.TRANSIENT, 60),
        (FailureKind.RATE_LIMIT, 1),  # backoff from 1 s
        (FailureKind.QUOTA, 1),
    ],
)
def test_default_durations(
    book: CooldownBook, clock: FakeClock, kind: FailureKind, seconds: float
) -> None:
    assert cools_for(book, clock, failure(kind)) == seconds


def test_fixed_durations_ignore_reset_hints(book: CooldownBook, clock: FakeClock) -> None:
    assert cools_for(book, clock, failure(FailureKind.AUTH, retry_after=5)) == 1800
    assert cools_for(book, clock, failure(FailureKind.MODEL_UNSUPPORTED, retry_after=5)) == 43200


@pytest.mark.parametrize("kind", [FailureKind.RATE_LIMIT, FailureKind.QUOTA, FailureKind.TRANSIENT])
def test_a_reset_hint_is_used(book: CooldownBook, clock: FakeClock, kind: FailureKind) -> None:
    assert cools_for(book, clock, failure(kind, retry_after=42.5)) == 42.5


def test_a_reset_hint_is_trusted_only_up_to_max_cooldown(
    book: CooldownBook, clock: FakeClock
) -> None:
    assert cools_for(book, clock, failure(FailureKind.QUOTA, retry_after=7 * 86400)) == 21600


def test_client_errors_and_overload_cool_nothing(book: CooldownBook) -> None:
    assert book.record_failure(CRED, "m", failure(FailureKind.CLIENT, status=400)) is None
    overloaded = failure(FailureKind.TRANSIENT, status=529, penalize=False)
    assert book.record_failure(CRED, "m", overloaded) is None
    assert book.snapshot() == []
    assert book.availability(CRED, "m").available


def test_disable_cooling_globally_and_per_credential(clock: FakeClock) -> None:
    off = CooldownBook(CooldownPolicy(disabled=True), clock, MemoryStore())
    assert off.record_failure(CRED, "m", failure(FailureKind.AUTH)) is None
    assert off.availability(CRED, "m").available
    store = MemoryStore()
    some = CooldownBook(CooldownPolicy(disabled_credentials=frozenset({CRED})), clock, store)
    assert some.record_failure(CRED, "m", failure(FailureKind.AUTH)) is None
    assert some.record_failure(OTHER, "m", failure(FailureKind.AUTH)) is not None
    assert some.availability(CRED, "m").available
    assert not some.availability(OTHER, "m").available


# ------------------------------------------------------------------ scope


def test_a_rate_limit_cools_that_model_only(book: CooldownBook) -> None:
    book.record_failure(CRED, "m", RATE)
    assert not book.availability(CRED, "m").available
    assert book.availability(CRED, "other-model").available
    assert book.availability(OTHER, "m").available


@pytest.mark.parametrize("kind", [FailureKind.QUOTA, FailureKind.AUTH, FailureKind.FORBIDDEN])
def test_account_wide_failures_cool_every_model(book: CooldownBook, kind: FailureKind) -> None:
    book.record_failure(CRED, "m", failure(kind))
    for model in ("m", "other-model", ALL_MODELS):
        state = book.availability(CRED, model)
        assert (state.available, state.reason) == (False, f"429 {kind.value}")
    assert [(e.credential, e.model) for e in book.snapshot()] == [(CRED, ALL_MODELS)]


def test_unavailable_reports_the_later_of_model_and_credential(
    book: CooldownBook, clock: FakeClock
) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.MODEL_UNSUPPORTED))
    book.record_failure(CRED, "m", failure(FailureKind.QUOTA, retry_after=100))
    state = book.availability(CRED, "m")
    assert (state.until, state.reason) == (clock.time() + 43200, "429 model_unsupported")
    assert book.availability(CRED, "n").until == clock.time() + 100


# ------------------------------------------------------------------ success and backoff


def test_success_clears_the_model_and_the_credential_at_once(
    book: CooldownBook, clock: FakeClock
) -> None:
    book.record_failure(CRED, "m", RATE)
    book.record_failure(CRED, "n", RATE)
    book.record_failure(CRED, "m", failure(FailureKind.QUOTA, retry_after=3600))
    book.record_success(CRED, "m")
    assert [(e.model) for e in book.snapshot()] == ["n"]
    assert book.availability(CRED, "m") == Availability(True, False, None, None)


def _fail_after_expiry(book: CooldownBook, clock: FakeClock) -> float:
    """Let the cooldown run out, take the probe, and fail it: how long the next one is."""
    entries = book.snapshot()
    if entries:
        clock.advance(entries[0].until - clock.time())
        assert book.availability(CRED, "m").probe
    return cools_for(book, clock, RATE)


def test_rate_limits_back_off_exponentially_up_to_the_cap(
    book: CooldownBook, clock: FakeClock
) -> None:
    seen = [_fail_after_expiry(book, clock) for _ in range(14)]
    assert seen == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800, 1800, 1800]


def test_a_success_resets_the_backoff(book: CooldownBook, clock: FakeClock) -> None:
    for _ in range(4):
        _fail_after_expiry(book, clock)
    book.record_success(CRED, "m")
    assert _fail_after_expiry(book, clock) == 1


def test_the_backoff_is_per_model(book: CooldownBook, clock: FakeClock) -> None:
    for _ in range(3):
        _fail_after_expiry(book, clock)
    assert cools_for(book, clock, RATE, model="n") == 1


def test_concurrent_failures_neither_advance_nor_shorten_a_cooldown(
    book: CooldownBook, clock: FakeClock
) -> None:
    until = book.record_failure(CRED, "m", failure(FailureKind.RATE_LIMIT, retry_after=30))
    # Requests that left before the cooldown come back one by one.
    assert book.record_failure(CRED, "m", RATE) == until
    assert book.record_failure(CRED, "m", failure(FailureKind.RATE_LIMIT, retry_after=5)) == until
    assert book.snapshot()[0].failures == 1
    later = book.record_failure(CRED, "m", failure(FailureKind.RATE_LIMIT, retry_after=90))
    assert later == clock.time() + 90


def test_a_late_answer_does_not_undo_a_newer_verdict(book: CooldownBook, clock: FakeClock) -> None:
    sent = clock.time()
    clock.advance(1)
    until = book.record_failure(CRED, "m", failure(FailureKind.QUOTA, retry_after=600))
    clock.advance(1)
    book.record_success(CRED, "m", started_at=sent)  # it left before the quota verdict
    assert not book.availability(CRED, "m").available
    late = failure(FailureKind.QUOTA, retry_after=5)
    assert book.record_failure(CRED, "m", late, started_at=sent) == until
    book.record_success(CRED, "m", started_at=clock.time())
    assert book.availability(CRED, "m").available


# ------------------------------------------------------------------ half-open probes


def test_after_expiry_exactly_one_caller_probes(book: CooldownBook, clock: FakeClock) -> None:
    until = book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT))
    assert until is not None
    clock.advance(59.9)
    assert not book.availability(CRED, "m").available
    clock.advance(0.1)
    states = [book.availability(CRED, "m") for _ in range(5)]
    assert [(s.available, s.probe) for s in states] == [(True, True)] + [(False, False)] * 4
    assert states[0].until == until
    assert states[1].next_try == clock.time() + 60  # when the probe times out
    assert states[1].probing  # ...unless the probe's outcome frees it first
    assert not book.availability(CRED, "other").probing  # not held by anything


def test_only_a_probe_can_make_a_key_probing(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT))
    assert not book.availability(CRED, "m").probing  # cooling, nobody probes
    clock.advance(60)
    assert book.availability(CRED, "m").probe
    assert book.availability(CRED, "m").probing
    # A long credential-wide cooldown on top: the model's probe alone cannot free the key.
    book.record_failure(CRED, "m", failure(FailureKind.AUTH))
    assert not book.availability(CRED, "m").probing


def test_a_successful_probe_opens_the_credential(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT))
    clock.advance(60)
    assert book.availability(CRED, "m").probe
    book.record_success(CRED, "m")
    assert book.availability(CRED, "m") == Availability(True, False, None, None)
    assert book.availability(CRED, "m") == Availability(True, False, None, None)


def test_a_failed_probe_cools_again(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT))
    clock.advance(60)
    assert book.availability(CRED, "m").probe
    assert book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT)) == clock.time() + 60
    assert not book.availability(CRED, "m").available


def test_a_probe_without_outcome_times_out(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", RATE)
    clock.advance(1)
    assert book.availability(CRED, "m").probe
    clock.advance(59)
    assert not book.availability(CRED, "m").available
    clock.advance(1)
    assert book.availability(CRED, "m").probe


def test_a_probe_can_be_given_back(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", RATE)
    clock.advance(1)
    assert book.availability(CRED, "m").probe
    book.cancel_probe(CRED, "m")
    assert book.availability(CRED, "m").probe


def test_an_outcome_that_cools_nothing_gives_the_probe_back(
    book: CooldownBook, clock: FakeClock
) -> None:
    book.record_failure(CRED, "m", RATE)
    clock.advance(1)
    assert book.availability(CRED, "m").probe
    book.record_failure(CRED, "m", failure(FailureKind.CLIENT, status=400))
    assert book.availability(CRED, "m").probe


def test_looking_without_claiming(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(CRED, "m", RATE)
    clock.advance(1)
    assert book.availability(CRED, "m", claim=False).probe
    assert book.availability(CRED, "m", claim=False).probe
    assert book.availability(CRED, "m").probe
    assert not book.availability(CRED, "m", claim=False).available


def test_long_cooldowns_are_probed_on_a_schedule(book: CooldownBook, clock: FakeClock) -> None:
    until = book.record_failure(CRED, "m", failure(FailureKind.QUOTA, retry_after=5 * 3600))
    state = book.availability(CRED, "m")
    assert (state.available, state.until, state.next_try) == (False, until, clock.time() + 600)
    clock.advance(599)
    assert not book.availability(CRED, "m").available
    clock.advance(1)
    assert book.availability(CRED, "m").probe  # the quota may have reset early
    assert not book.availability(CRED, "n").available
    clock.advance(60)  # the probe timed out: the next one waits for the schedule
    assert book.availability(CRED, "m").next_try == clock.time() + 540
    clock.advance(540)
    assert book.availability(CRED, "n").probe
    # The probe failed: the upstream's new verdict runs, probed again 10 minutes on.
    book.record_failure(CRED, "n", failure(FailureKind.QUOTA, retry_after=3 * 3600))
    clock.advance(599)
    assert not book.availability(CRED, "m").available
    clock.advance(1)
    assert book.availability(CRED, "m").probe
    book.record_success(CRED, "m")
    assert book.snapshot() == []


def test_a_model_verdict_during_a_credential_probe_ends_it(
    book: CooldownBook, clock: FakeClock
) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.AUTH))
    clock.advance(1800)
    assert book.availability(CRED, "m").probe
    # A 429 for the model means the credential authenticated again.
    book.record_failure(CRED, "m", RATE)
    assert [e.model for e in book.snapshot()] == ["m"]
    assert book.availability(CRED, "n").available


def test_a_transient_failure_during_a_credential_probe_proves_nothing(
    book: CooldownBook, clock: FakeClock
) -> None:
    book.record_failure(CRED, "m", failure(FailureKind.AUTH))
    clock.advance(1800)
    assert book.availability(CRED, "m").probe
    book.record_failure(CRED, "m", failure(FailureKind.TRANSIENT, status=502))
    assert {e.model for e in book.snapshot()} == {"m", ALL_MODELS}
    assert not book.availability(CRED, "m").available  # the model's own 60 s
    assert book.availability(CRED, "n").probe  # the credential's probe is free again


# ------------------------------------------------------------------ reset and snapshot


def test_reset_one_credential_or_all(book: CooldownBook) -> None:
    book.record_failure(CRED, "m", RATE)
    book.record_failure(CRED, "n", failure(FailureKind.QUOTA))
    book.record_failure(OTHER, "m", RATE)
    assert book.reset("nobody") == 0
    assert book.reset(CRED) == 2
    assert book.availability(CRED, "m").available
    assert not book.availability(OTHER, "m").available
    assert book.reset() == 1
    assert book.snapshot() == []


def test_snapshot_describes_each_entry(book: CooldownBook, clock: FakeClock) -> None:
    book.record_failure(OTHER, "m", RATE)
    clock.advance(5)
    book.record_failure(CRED, "m", failure(FailureKind.QUOTA, retry_after=10))
    first, second = book.snapshot()
    assert (first.credential, first.model, first.kind, first.reason) == (
        CRED,
        ALL_MODELS,
        FailureKind.QUOTA,
        "429 quota",
    )
    assert (first.set_at, first.until, first.status) == (clock.time(), clock.time() + 10, 429)
    assert (second.credential, second.model, second.kind) == (OTHER, "m", FailureKind.RATE_LIMIT)
