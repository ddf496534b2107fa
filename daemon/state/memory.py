"""The in-process cooldown store."""

from __future__ import annotations

from daemon.state.base import CooldownEntry, CooldownKey


class MemoryStore:
    """A dict. Not thread-safe: the daemon touches it from its one event loop thread."""

    def __init__(self) -> None:
        self._entries: dict[CooldownKey, CooldownEntry] = {}

    def get(self, key: CooldownKey) -> CooldownEntry | None:
        return self._entries.get(key)

    def put(self, key: CooldownKey, entry: CooldownEntry) -> None:
        self._entries[key] = entry

    def delete(self, key: CooldownKey) -> None:
        self._entries.pop(key, None)

    def items(self) -> list[tuple[CooldownKey, CooldownEntry]]:
        # A copy, so callers may delete while they iterate (reset does).
        return list(self._entries.items())

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
