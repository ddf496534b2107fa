"""Session affinity: keep one conversation on one credential, so the upstream's prompt cache
for it stays warm.

`session_key` finds the conversation's id in the request; `AffinityTable` remembers which
credential served it, per model, in a bounded LRU whose entries expire `ttl_seconds` after
their last use. The caller decides what "still available" means: it asks `get`, checks the
credential against its candidates, and pins anew when it has to pick another.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from daemon.clock import Clock
from daemon.routing.types import CredentialId

# Checked case-insensitively, first found wins.
SESSION_HEADERS: tuple[str, ...] = (
    "x-session-key",
    "x-session-id",
    "x-claude-code-session-id",
    "session-id",
)
SESSION_BODY_FIELDS: tuple[str, ...] = ("prompt_cache_key", "conversation_id", "user")

# A longer id is kept as its hash: the table holds up to max_entries keys, and a client could
# otherwise make each one as large as a request body.
_MAX_KEY_CHARS = 200


def session_key(headers: Mapping[str, str], body: Mapping[str, Any]) -> str | None:
    """The conversation's id: a session header, else `prompt_cache_key`, `conversation_id`,
    `user`, or Anthropic's `metadata.user_id` from the body. None when there is none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in SESSION_HEADERS:
        found = _text(lowered.get(name))
        if found is not None:
            return found
    for name in SESSION_BODY_FIELDS:
        found = _text(body.get(name))
        if found is not None:
            return found
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):
        return _text(metadata.get("user_id"))
    return None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > _MAX_KEY_CHARS:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


class AffinityTable:
    """(model, session) -> credential, least recently used first out, expiring after
    `ttl_seconds` without use. Not thread-safe: the event loop owns it."""

    def __init__(self, clock: Clock, ttl_seconds: float, max_entries: int = 10_000) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock
        self._ttl = ttl_seconds
        self._max = max_entries
        # Every touch moves an entry to the end with a fresh expiry, so the order is both
        # LRU and expiry order: expired entries are always at the front.
        self._entries: OrderedDict[tuple[str, str], tuple[CredentialId, float]] = OrderedDict()

    def get(self, model: str, session: str) -> CredentialId | None:
        """The pinned credential, or None when there is none or it expired. A hit counts as
        use: the pin lives on for another `ttl_seconds`."""
        key = (model, session)
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock.monotonic()
        credential, expires = entry
        if now >= expires:
            del self._entries[key]
            return None
        self._entries[key] = (credential, now + self._ttl)
        self._entries.move_to_end(key)
        return credential

    def pin(self, model: str, session: str, credential: CredentialId) -> None:
        """Pin (or re-pin) the session to `credential`."""
        now = self._clock.monotonic()
        self._expire(now)
        key = (model, session)
        self._entries[key] = (credential, now + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def unpin(self, model: str, session: str) -> None:
        self._entries.pop((model, session), None)

    def drop_credential(self, credential: CredentialId) -> int:
        """Unpin every session on `credential` (it was removed or reset); returns how many."""
        keys = [key for key, (pinned, _) in self._entries.items() if pinned == credential]
        for key in keys:
            del self._entries[key]
        return len(keys)

    def __len__(self) -> int:
        """Entries held, counting expired ones not yet swept."""
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            _, (_, expires) = next(iter(self._entries.items()))
            if now < expires:
                return
            self._entries.popitem(last=False)
