"""daemon.state.memory: the in-process cooldown store."""

from __future__ import annotations

from daemon.routing.types import FailureKind
from daemon.state.base import CooldownEntry
from daemon.state.memory import MemoryStore


def _entry(credential: str, model: str) -> CooldownEntry:
    return CooldownEntry(credential, model, 20.0, "r", FailureKind.RATE_LIMIT, 10.0)


def test_put_get_delete_clear() -> None:
    store = MemoryStore()
    a, b = _entry("c[0]", "m"), _entry("c[1]", "*")
    assert store.get(a.key) is None
    store.put(a.key, a)
    store.put(b.key, b)
    assert store.get(("c[0]", "m")) is a
    assert len(store) == 2
    store.delete(a.key)
    store.delete(a.key)  # deleting what is gone is fine
    assert store.items() == [(b.key, b)]
    store.clear()
    assert len(store) == 0


def test_items_may_be_changed_while_iterating() -> None:
    store = MemoryStore()
    for n in range(3):
        entry = _entry(f"c[{n}]", "m")
        store.put(entry.key, entry)
    for key, _ in store.items():
        store.delete(key)
    assert store.items() == []
