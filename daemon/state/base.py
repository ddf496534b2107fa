"""The state interface: cooldown entries keyed by (credential id, model key).

The interface is synchronous over local state on purpose: the hot path checks availability
for every candidate of every request and must not await. A Redis implementation later keeps
a local mirror, reads from it, and writes through (and subscribes to others' writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

from daemon.routing.types import CredentialId, FailureKind, ModelKey

CooldownKey: TypeAlias = tuple[CredentialId, ModelKey]  # model ALL_MODELS: the whole credential


@dataclass(frozen=True, slots=True)
class CooldownEntry:
    """One cooldown: (credential, model) is unavailable until `until` (wall time, seconds)."""

    credential: CredentialId
    model: ModelKey
    until: float
    reason: str  # secret-free, from Failure.reason
    kind: FailureKind
    set_at: float  # wall time the cooldown was (last) set
    status: int = 0  # the HTTP status that caused it; 0 for transport failures
    failures: int = 1  # cooldown cycles in a row on this key, for exponential backoff
    probe_at: float | None = None  # when the half-open probe in flight was let through

    @property
    def key(self) -> CooldownKey:
        return (self.credential, self.model)


@runtime_checkable
class CooldownStore(Protocol):
    """Where cooldown entries live."""

    def get(self, key: CooldownKey) -> CooldownEntry | None: ...

    def put(self, key: CooldownKey, entry: CooldownEntry) -> None: ...

    def delete(self, key: CooldownKey) -> None: ...

    def items(self) -> Iterable[tuple[CooldownKey, CooldownEntry]]: ...

    def clear(self) -> None: ...
