"""daemon.routing.affinity: finding a session id and pinning it to a credential."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.clock import FakeClock
from daemon.routing.affinity import AffinityTable, session_key

# --- session_key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({}, {}, None),
        ({"X-Session-Key": "k1"}, {}, "k1"),
        ({"x-session-id": "s1"}, {}, "s1"),
        ({"X-CLAUDE-CODE-SESSION-ID": "cc"}, {}, "cc"),
        ({"Session-Id": "plain"}, {}, "plain"),
        # header order: X-Session-Key, X-Session-ID, X-Claude-Code-Session-Id, Session-Id
        ({"Session-Id": "4", "X-Claude-Code-Session-Id": "3", "X-Session-ID": "2"}, {}, "2"),
        ({"Session-Id": "4", "X-Session-Key": "1", "X-Session-ID": "2"}, {}, "1"),
        ({"Session-Id": "4", "X-Claude-Code-Session-Id": "3"}, {}, "3"),
        # headers beat the body
        ({"Session-Id": "h"}, {"prompt_cache_key": "b"}, "h"),
        # body order: prompt_cache_key, conversation_id, user, metadata.user_id
        ({}, {"user": "u", "conversation_id": "c", "prompt_cache_key": "p"}, "p"),
        ({}, {"user": "u", "conversation_id": "c"}, "c"),
        ({}, {"user": "u", "metadata": {"user_id": "m"}}, "u"),
        ({}, {"metadata": {"user_id": "user_abc_session_123"}}, "user_abc_session_123"),
        # blank or non-string values are skipped, not used
        ({"X-Session-Key": "  "}, {"prompt_cache_key": ""}, None),
        ({"X-Session-Key": ""}, {"prompt_cache_key": 7, "user": " u "}, "u"),
        ({}, {"metadata": "not-a-mapping"}, None),
        ({}, {"metadata": {"user_id": None}}, None),
        ({"Other": "x"}, {"messages": []}, None),
    ],
)
def test_session_key(headers: dict[str, str], body: dict[str, Any], expected: str | None) -> None:
    assert session_key(headers, body) == expected


def test_a_long_session_id_is_kept_as_a_hash() -> None:
    long_id = "x" * 5000
    key = session_key({"X-Session-ID": long_id}, {})
    assert key is not None
    assert key.startswith("sha256:")
    assert len(key) == len("sha256:") + 64
    assert key == session_key({}, {"user": long_id})  # the same id gives the same key
    assert key != session_key({}, {"user": "y" * 5000})


# --- AffinityTable --------------------------------------------------------------------------


def test_pin_and_get() -> None:
    table = AffinityTable(FakeClock(), ttl_seconds=60)
    assert table.get("gpt-5", "s") is None
    table.pin("gpt-5", "s", "openai-api-key[0]")
    assert table.get("gpt-5", "s") == "openai-api-key[0]"
    assert table.get("gpt-4o", "s") is None  # pins are per model
    table.pin("gpt-5", "s", "openai-api-key[1]")  # re-pin after a fresh pick
    assert table.get("gpt-5", "s") == "openai-api-key[1]"
    assert len(table) == 1


def test_a_pin_expires_after_its_ttl() -> None:
    clock = FakeClock()
    table = AffinityTable(clock, ttl_seconds=60)
    table.pin("m", "s", "c")
    clock.advance(59.9)
    assert table.get("m", "s") == "c"
    clock.advance(60)
    assert table.get("m", "s") is None
    assert len(table) == 0


def test_use_keeps_a_pin_alive() -> None:
    clock = FakeClock()
    table = AffinityTable(clock, ttl_seconds=60)
    table.pin("m", "s", "c")
    for _ in range(10):  # a conversation that goes on for 500 s
        clock.advance(50)
        assert table.get("m", "s") == "c"


def test_unpin() -> None:
    table = AffinityTable(FakeClock(), ttl_seconds=60)
    table.pin("m", "s", "c")
    table.unpin("m", "s")
    table.unpin("m", "never-pinned")
    assert table.get("m", "s") is None


def test_drop_credential_unpins_all_its_sessions() -> None:
    table = AffinityTable(FakeClock(), ttl_seconds=60)
    table.pin("m", "s1", "a")
    table.pin("n", "s2", "a")
    table.pin("m", "s3", "b")
    assert table.drop_credential("a") == 2
    assert table.get("m", "s1") is None
    assert table.get("m", "s3") == "b"
    assert len(table) == 1


def test_the_least_recently_used_goes_when_full() -> None:
    table = AffinityTable(FakeClock(), ttl_seconds=60, max_entries=3)
    for session in ("s1", "s2", "s3"):
        table.pin("m", session, "c-" + session)
    assert table.get("m", "s1") == "c-s1"  # s1 is now the most recent
    table.pin("m", "s4", "c-s4")
    assert len(table) == 3
    assert table.get("m", "s2") is None
    assert [table.get("m", s) for s in ("s1", "s3", "s4")] == ["c-s1", "c-s3", "c-s4"]


def test_expired_entries_are_swept_on_pin() -> None:
    clock = FakeClock()
    table = AffinityTable(clock, ttl_seconds=10, max_entries=100)
    for i in range(50):
        table.pin("m", f"s{i}", "c")
    clock.advance(5)
    table.pin("m", "kept", "c")
    clock.advance(6)  # the first fifty are 11 s old, "kept" 6 s
    table.pin("m", "new", "c")
    assert len(table) == 2
    assert table.get("m", "kept") == "c"


def test_memory_stays_bounded() -> None:
    table = AffinityTable(FakeClock(), ttl_seconds=3600, max_entries=100)
    for i in range(10_000):
        table.pin("m", f"s{i}", "c")
    assert len(table) == 100
    assert table.get("m", "s9999") == "c"
    assert table.get("m", "s0") is None


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (-1, 10), (60, 0)])
def test_nonsense_settings_are_refused(ttl: float, size: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        AffinityTable(FakeClock(), ttl_seconds=ttl, max_entries=size)
