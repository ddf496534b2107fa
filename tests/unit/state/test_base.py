"""daemon.state.base: the cooldown entry and the store interface."""

from __future__ import annotations

import dataclasses

import pytest

from daemon.routing.types import ALL_MODELS, FailureKind
from daemon.state.base import CooldownEntry, CooldownStore
from daemon.state.memory import MemoryStore


def test_an_entry_knows_its_key_and_is_immutable() -> None:
    entry = CooldownEntry(
        "gemini-api-key[0]", ALL_MODELS, 20.0, "429 quota", FailureKind.QUOTA, 10.0
    )
    assert entry.key == ("gemini-api-key[0]", "*")
    assert (entry.status, entry.failures, entry.probe_at) == (0, 1, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.until = 30.0  # type: ignore[misc]


def test_the_memory_store_is_a_cooldown_store() -> None:
    assert isinstance(MemoryStore(), CooldownStore)
    assert not isinstance(object(), CooldownStore)
