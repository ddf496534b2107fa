"""Cooldowns across restarts (`save-cooldown-status`): a small private JSON file.

Probes in flight are not saved (they died with the process), and entries that have run out
by the time the file is read are dropped: after a restart such a credential is simply tried.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from daemon.clock import Clock
from daemon.fileio import atomic_write
from daemon.routing.types import FailureKind
from daemon.state.base import CooldownEntry, CooldownStore
from daemon.state.memory import MemoryStore

VERSION = 1


def save(store: CooldownStore, path: Path) -> None:
    """Write every entry of `store` to `path` atomically, mode 0600."""
    entries = [
        {
            "credential": entry.credential,
            "model": entry.model,
            "until": entry.until,
            "reason": entry.reason,
            "kind": entry.kind.value,
            "set_at": entry.set_at,
            "status": entry.status,
            "failures": entry.failures,
        }
        for _, entry in sorted(store.items(), key=lambda item: item[0])
    ]
    text = json.dumps({"version": VERSION, "entries": entries}, indent=1, sort_keys=True)
    atomic_write(path, text + "\n", mode=0o600)


def load(path: Path, clock: Clock) -> MemoryStore:
    """The entries saved at `path` that are still running; an empty store when there is none.

    A damaged file or entry is skipped rather than raised: this is a cache of upstream
    verdicts, and losing it only means a few requests rediscover them.
    """
    store = MemoryStore()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return store
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return store
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list):
        return store
    now = clock.time()
    for raw in raw_entries:
        entry = _entry(raw)
        if entry is not None and entry.until > now:
            store.put(entry.key, entry)
    return store


def _entry(raw: Any) -> CooldownEntry | None:
    if not isinstance(raw, dict):
        return None
    try:
        credential, model, reason = raw["credential"], raw["model"], raw["reason"]
        until, set_at = float(raw["until"]), float(raw["set_at"])
        kind = FailureKind(raw["kind"])
        status, failures = int(raw.get("status", 0)), int(raw.get("failures", 1))
    except (KeyError, TypeError, ValueError):
        return None
    if not all(isinstance(v, str) for v in (credential, model, reason)):
        return None
    if not (math.isfinite(until) and math.isfinite(set_at)):
        return None  # json reads NaN and Infinity; an endless cooldown is exactly the bug
    return CooldownEntry(
        credential=credential,
        model=model,
        until=until,
        reason=reason,
        kind=kind,
        set_at=set_at,
        status=status,
        failures=max(1, failures),
    )
