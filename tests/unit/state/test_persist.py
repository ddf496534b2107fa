"""daemon.state.persist: cooldowns saved across a restart."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from daemon.clock import FakeClock
from daemon.routing.types import ALL_MODELS, FailureKind
from daemon.state.base import CooldownEntry
from daemon.state.memory import MemoryStore
from daemon.state.persist import load, save


def _store(*entries: CooldownEntry) -> MemoryStore:
    store = MemoryStore()
    for entry in entries:
        store.put(entry.key, entry)
    return store


def test_a_round_trip_keeps_running_entries(tmp_path: Path) -> None:
    clock = FakeClock()
    now = clock.time()
    quota = CooldownEntry(
        "codex[0]",
        ALL_MODELS,
        now + 3600,
        "429 usage_limit_reached",
        FailureKind.QUOTA,
        now,
        status=429,
        failures=3,
        probe_at=now,
    )
    rate = CooldownEntry(
        "gemini[1]", "gemini-2.5-pro", now + 30, "429 x", FailureKind.RATE_LIMIT, now
    )
    path = tmp_path / "state" / "cooldowns.json"
    save(_store(quota, rate), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load(path, clock)
    # A probe in flight died with the process: it is not restored.
    assert loaded.get(quota.key) == CooldownEntry(
        "codex[0]",
        ALL_MODELS,
        now + 3600,
        "429 usage_limit_reached",
        FailureKind.QUOTA,
        now,
        status=429,
        failures=3,
    )
    assert loaded.get(rate.key) == rate


def test_entries_run_out_while_the_daemon_was_down_are_dropped(tmp_path: Path) -> None:
    clock = FakeClock()
    now = clock.time()
    short = CooldownEntry("c[0]", "m", now + 30, "r", FailureKind.TRANSIENT, now)
    long = CooldownEntry("c[1]", "m", now + 300, "r", FailureKind.AUTH, now)
    path = tmp_path / "cooldowns.json"
    save(_store(short, long), path)
    clock.advance(30)
    assert [key for key, _ in load(path, clock).items()] == [long.key]


def test_a_missing_or_damaged_file_is_an_empty_store(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "cooldowns.json"
    assert len(load(path, clock)) == 0
    path.write_text("{not json")
    assert len(load(path, clock)) == 0
    path.write_text(json.dumps({"version": 99, "entries": []}))
    assert len(load(path, clock)) == 0
    path.write_text(json.dumps({"version": 1, "entries": {}}))
    assert len(load(path, clock)) == 0


def test_damaged_entries_are_skipped(tmp_path: Path) -> None:
    clock = FakeClock()
    until = clock.time() + 60
    good = {
        "credential": "c",
        "model": "m",
        "until": until,
        "reason": "r",
        "kind": "rate_limit",
        "set_at": 1.0,
    }
    entries = [
        good,
        {**good, "credential": "no kind", "kind": "sleepy"},
        {**good, "credential": 7},
        {**good, "credential": "endless", "until": "Infinity"},
        {k: v for k, v in good.items() if k != "reason"},
        "junk",
    ]
    path = tmp_path / "cooldowns.json"
    path.write_text(json.dumps({"version": 1, "entries": entries}))
    loaded = load(path, clock)
    assert [key for key, _ in loaded.items()] == [("c", "m")]
    assert loaded.get(("c", "m")) == CooldownEntry(
        "c", "m", until, "r", FailureKind.RATE_LIMIT, 1.0
    )
