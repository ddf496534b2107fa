"""daemon.routing.metrics.provider_metrics: the router's view of each credential as plain data,
on a fake clock."""

from __future__ import annotations

import random

import orjson

from daemon.clock import FakeClock
from daemon.config import Settings
from daemon.providers.base import Credential
from daemon.routing.classify import classify_exception
from daemon.routing.metrics import provider_metrics
from daemon.routing.router import Router
from daemon.routing.types import ALL_MODELS, Failure, FailureKind
from daemon.state.memory import MemoryStore

SECRET = "sk-ant-api03-very-secret-key-0000"
RATE_LIMIT = Failure(FailureKind.RATE_LIMIT, 429, 30.0, False, "429 rate_limit_error: slow", True)
AUTH = Failure(FailureKind.AUTH, 401, None, True, "401 authentication_error: bad key", True)


def credentials() -> list[Credential]:
    return [
        Credential(
            id="claude-api-key[0]",
            family="claude",
            api_key=SECRET,
            base_url="http://x",
            owner="claude",
            priority=2,
            weight=3,
        ),
        Credential(
            id="claude-api-key[1]",
            family="claude",
            api_key="short",
            base_url="http://x",
            owner="claude",
        ),
        Credential(
            id="openai-compatibility[local][0]",
            family="openai-compatible",
            api_key="",
            base_url="http://y",
            owner="local",
        ),
    ]


def router(clock: FakeClock) -> Router:
    return Router(Settings(), clock, MemoryStore(), rng=random.Random(1))


def rows(r: Router) -> dict[str, dict[str, object]]:
    return {row["id"]: row for p in provider_metrics(r, credentials()) for row in p["credentials"]}


def test_one_entry_per_provider_with_its_credentials_in_order() -> None:
    r = router(FakeClock())
    providers = provider_metrics(r, credentials())
    assert [(p["provider"], p["family"]) for p in providers] == [
        ("claude", "claude"),
        ("local", "openai-compatible"),
    ]
    assert [c["id"] for c in providers[0]["credentials"]] == [
        "claude-api-key[0]",
        "claude-api-key[1]",
    ]


def test_an_idle_credential_is_healthy_with_nothing_measured() -> None:
    row = rows(router(FakeClock()))["claude-api-key[0]"]
    assert row == {
        "id": "claude-api-key[0]",
        "key": "sk-a…0000",
        "state": "healthy",
        "priority": 2,
        "weight": 3,
        "in_flight": 0,
        "requests": 0,
        "failures": 0,
        "p50_ms": None,
        "p95_ms": None,
        "cooling": [],
    }


def test_keys_are_masked_and_a_keyless_credential_has_none() -> None:
    r = router(FakeClock())
    every = rows(r)
    assert every["claude-api-key[1]"]["key"] == "****"
    assert every["openai-compatibility[local][0]"]["key"] is None
    assert SECRET.encode() not in orjson.dumps(provider_metrics(r, credentials()))


def test_traffic_latency_and_in_flight_are_counted() -> None:
    r = router(FakeClock())
    for latency in (10.0, 20.0, 30.0, 40.0):
        r.health.record("claude-api-key[0]", True, latency)
    r.health.record("claude-api-key[0]", False, None, FailureKind.TRANSIENT)
    r.in_flight.inc("claude-api-key[0]")
    row = rows(r)["claude-api-key[0]"]
    assert (row["requests"], row["failures"], row["in_flight"]) == (5, 1, 1)
    p50, p95 = row["p50_ms"], row["p95_ms"]
    assert isinstance(p50, float) and 19 <= p50 <= 21
    assert p95 == 40.0  # the slowest sample is exact
    assert row["state"] == "degraded"  # 1 failure in 5 reaches the 20 % threshold


def test_a_cooling_credential_shows_its_models_until_when_and_why() -> None:
    clock = FakeClock()
    r = router(clock)
    r.cooldowns.record_failure("claude-api-key[0]", "claude-x", RATE_LIMIT)
    r.cooldowns.record_failure("claude-api-key[1]", "claude-x", AUTH)
    clock.advance(10)
    every = rows(r)
    first = every["claude-api-key[0]"]
    assert first["state"] == "cooldown"
    assert first["cooling"] == [
        {
            "model": "claude-x",
            "until": clock.time() + 20,
            "seconds_left": 20.0,
            "reason": "429 rate_limit_error: slow",
            "kind": "rate_limit",
        }
    ]
    second = every["claude-api-key[1]"]["cooling"]
    assert isinstance(second, list)
    assert [(c["model"], c["kind"]) for c in second] == [(ALL_MODELS, "auth")]
    assert every["openai-compatibility[local][0]"]["cooling"] == []


def test_a_run_out_cooldown_awaiting_its_probe_is_listed_but_not_cooling() -> None:
    clock = FakeClock()
    r = router(clock)
    r.cooldowns.record_failure("claude-api-key[0]", "claude-x", RATE_LIMIT)
    clock.advance(45)
    row = rows(r)["claude-api-key[0]"]
    assert row["state"] == "healthy"
    cooling = row["cooling"]
    assert isinstance(cooling, list) and [c["seconds_left"] for c in cooling] == [0.0]


def test_reset_clears_what_the_metrics_show() -> None:
    clock = FakeClock()
    r = router(clock)
    r.cooldowns.record_failure("claude-api-key[0]", "*", classify_exception("connect"))
    r.cooldowns.record_failure("claude-api-key[1]", "claude-x", RATE_LIMIT)
    assert r.reset("claude-api-key[0]") == 1
    every = rows(r)
    assert every["claude-api-key[0]"]["cooling"] == []
    assert every["claude-api-key[1]"]["state"] == "cooldown"
    assert r.reset() == 1
    assert all(row["cooling"] == [] for row in rows(r).values())
