"""The router's choices under cooldowns, tiers, health and affinity, on a fake clock."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from daemon.clock import FakeClock
from daemon.config import RoutingSettings, Settings
from daemon.providers import PROVIDERS
from daemon.providers.base import Credential
from daemon.routing.classify import classify, classify_exception
from daemon.routing.registry import Resolution, Target
from daemon.routing.router import Blocked, Choice, Router
from daemon.routing.types import Failure, FailureKind
from daemon.state.memory import MemoryStore

RATE_LIMIT = Failure(FailureKind.RATE_LIMIT, 429, 30.0, False, "429 rate limited", True)
AUTH = Failure(FailureKind.AUTH, 401, None, True, "401 invalid key", True)


def target(index: int, priority: int = 0, weight: int = 1, model: str = "m") -> Target:
    credential = Credential(
        id=f"claude-api-key[{index}]",
        family="claude",
        api_key=f"sk-{index}",
        base_url="http://127.0.0.1:9",
        priority=priority,
        weight=weight,
    )
    return Target(PROVIDERS["claude"], credential, model)


def resolution(*targets: Target) -> Resolution:
    return Resolution(model="m", targets=tuple(targets), reasoning=None)


def router(clock: FakeClock, **routing: object) -> Router:
    settings = Settings(routing=dataclasses.replace(RoutingSettings(), **routing))  # type: ignore[arg-type]
    return Router(settings, clock, MemoryStore(), rng=random.Random(7))


def pick(
    r: Router, res: Resolution, tried: set[int] | None = None, session: str | None = None
) -> Choice:
    choice = r.choose(res, tried or set(), session)
    assert isinstance(choice, Choice), choice
    return choice


def test_round_robin_spreads_over_every_target() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0), target(1), target(2))
    seen = Counter(pick(r, res).index for _ in range(30))
    assert seen == {0: 10, 1: 10, 2: 10}


def test_a_rate_limited_target_is_skipped_until_its_reset_then_probed_once() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0), target(1))
    first = pick(r, res, tried={1})
    assert r.failed(first, RATE_LIMIT, clock.time()) == clock.time() + 30
    assert {pick(r, res).index for _ in range(5)} == {1}
    clock.advance(31)
    probes = [c for c in (pick(r, res, tried={1}) for _ in range(1)) if c.probe]
    assert len(probes) == 1  # the first caller after the reset holds the probe...
    held = r.choose(res, {1})
    assert isinstance(held, Blocked)  # ...and nobody else gets target 0 meanwhile,
    assert held.probing  # though the probe's outcome may free it any moment
    r.succeeded(probes[0], clock.time(), 12.0)
    assert not pick(r, res, tried={1}).probe  # success cleared the state at once


def test_everything_cooling_says_when_the_soonest_recovers() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0), target(1))
    for index in (0, 1):
        choice = pick(r, res, tried={1 - index})
        r.failed(
            choice, dataclasses.replace(RATE_LIMIT, retry_after=10.0 * (index + 1)), clock.time()
        )
    blocked = r.choose(res, set())
    assert isinstance(blocked, Blocked)
    assert blocked.next_try == clock.time() + 10
    assert not blocked.probing


def test_a_lower_priority_tier_is_used_only_when_the_higher_one_is_unavailable() -> None:
    clock = FakeClock()
    r = router(clock)
    res = resolution(target(0, priority=10), target(1, priority=10), target(2, priority=0))
    assert {pick(r, res).index for _ in range(10)} == {0, 1}
    for index in (0, 1):
        r.failed(pick(r, res, tried={1 - index, 2}), AUTH, clock.time())
    assert {pick(r, res).index for _ in range(5)} == {2}


def test_session_affinity_pins_a_conversation_and_repins_when_its_target_cools() -> None:
    clock = FakeClock()
    r = router(clock, session_affinity=True, session_affinity_ttl=600.0)
    res = resolution(target(0), target(1), target(2))
    first = pick(r, res, session="conv-1")
    assert {pick(r, res, session="conv-1").index for _ in range(10)} == {first.index}
    r.failed(first, RATE_LIMIT, clock.time())
    moved = pick(r, res, session="conv-1")
    assert moved.index != first.index
    assert {pick(r, res, session="conv-1").index for _ in range(5)} == {moved.index}


def test_health_aware_routing_avoids_a_failing_credential_but_falls_back_to_it() -> None:
    clock = FakeClock()
    r = router(clock)
    res = resolution(target(0), target(1))
    transient = classify_exception("reset")
    bad = pick(r, res, tried={1})
    for _ in range(6):  # a failure rate over the error threshold, with enough requests
        r.health.record(bad.target.credential.id, False, None, transient.kind)
    assert {pick(r, res).index for _ in range(6)} == {1}
    assert pick(r, res, tried={1}).index == 0  # with nothing else left, it is still used


def test_least_busy_follows_in_flight_counts() -> None:
    clock = FakeClock()
    r = router(clock, strategy="least-busy")
    res = resolution(target(0), target(1))
    r.in_flight.inc("claude-api-key[0]")
    r.in_flight.inc("claude-api-key[0]")
    assert pick(r, res).index == 1


def test_reload_keeps_cooldowns_and_takes_the_new_strategy() -> None:
    clock = FakeClock()
    r = router(clock)
    res = resolution(target(0), target(1))
    r.failed(pick(r, res, tried={1}), RATE_LIMIT, clock.time())
    r.apply(Settings(routing=RoutingSettings(strategy="fill-first")))
    assert {pick(r, res).index for _ in range(4)} == {1}
    assert r.reset("claude-api-key[0]") == 1
    assert {pick(r, res).index for _ in range(4)} == {0}  # fill-first, now that 0 is back


def test_a_client_error_is_not_held_against_the_credential() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0))
    failure = classify(400, {}, b'{"error": {"message": "bad field"}}', "claude", clock.time())
    assert failure.kind == FailureKind.CLIENT
    assert r.failed(pick(r, res), failure, clock.time()) is None
    assert pick(r, res).index == 0


def test_an_abandoned_probe_is_given_back() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0))
    r.failed(pick(r, res), RATE_LIMIT, clock.time())
    clock.advance(31)
    probe = pick(r, res)
    assert probe.probe
    r.abandoned(probe)
    assert pick(r, res).probe  # the next caller may probe at once


def test_a_stream_that_broke_counts_against_health_but_cools_nothing() -> None:
    clock = FakeClock()
    r, res = router(clock), resolution(target(0))
    choice = pick(r, res)
    r.succeeded(choice, clock.time(), 5.0)
    r.stream_broke(choice)
    assert r.health.counts(choice.target.credential.id) == (2, 1)
    assert r.cooldowns.snapshot() == []
