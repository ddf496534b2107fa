"""Routing strategies: which of the available candidates serves the next request.

The caller filters first (cooling, excluded, lower priority tiers, unhealthy) and hands over
only what may be used; a strategy never sees an unavailable credential. `key` scopes the
rotation state, normally the requested model, so one model's traffic does not skew another's.

Strategies keep small per-key state and are not thread-safe: the daemon calls them from its
single event-loop thread, and `pick` never awaits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Protocol

from daemon.routing.types import Candidate


class Strategy(Protocol):
    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        """One of `candidates` (not empty; ValueError when it is)."""
        ...


def _ordered(candidates: Sequence[Candidate]) -> list[Candidate]:
    if not candidates:
        raise ValueError("no candidates to pick from")
    return sorted(candidates, key=lambda c: c.order)


class _Rotation:
    """Round-robin by `order`, remembering the last order picked per key.

    Moving to the next order after the last one (rather than indexing by a counter) stays
    fair when the candidate set changes between picks, as it does when credentials cool.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, ordered: Sequence[Candidate], key: str) -> Candidate:
        last = self._last.get(key)
        chosen = ordered[0]
        if last is not None:
            chosen = next((c for c in ordered if c.order > last), ordered[0])
        self._last[key] = chosen.order
        return chosen


class RoundRobin:
    """Each candidate in turn, per key."""

    def __init__(self) -> None:
        self._rotation = _Rotation()

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        return self._rotation.next(_ordered(candidates), key)


class WeightedRoundRobin:
    """Smooth weighted round-robin (nginx): shares follow the weights and picks interleave.

    Weights 3:1 give a, a, b, a, ... rather than a, a, a, b. Weight 0 is a standby: used only
    when every candidate left has weight 0, and then in plain turn.
    """

    def __init__(self) -> None:
        # key -> (order, id) -> current weight. A candidate absent from a pick loses its entry,
        # so a credential back from a cooldown starts fresh instead of bursting to catch up.
        # The id is in the slot so that a reload which reorders credentials starts over.
        self._current: dict[str, dict[tuple[int, str], int]] = {}

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        ordered = _ordered(candidates)
        weighted = [c for c in ordered if c.weight > 0]
        if not weighted:
            weighted = ordered
        weights = {(c.order, c.id): max(c.weight, 1) for c in weighted}
        previous = self._current.get(key, {})
        current = {slot: previous.get(slot, 0) + w for slot, w in weights.items()}
        # max() keeps the first of equals, so ties go to the lower order, as in nginx.
        chosen = max(weighted, key=lambda c: current[(c.order, c.id)])
        current[(chosen.order, chosen.id)] -= sum(weights.values())
        self._current[key] = current
        return chosen


class FillFirst:
    """The first candidate in order; the next one only once it is unavailable."""

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        return _ordered(candidates)[0]


class LeastBusy:
    """Fewest requests in flight; ties in turn, so an idle pool is still spread evenly."""

    def __init__(self) -> None:
        self._rotation = _Rotation()

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        ordered = _ordered(candidates)
        fewest = min(c.in_flight for c in ordered)
        return self._rotation.next([c for c in ordered if c.in_flight == fewest], key)


class LowestLatency:
    """Lowest p95 over the health window; ties in turn.

    An unmeasured candidate counts as the fastest, so a new credential (or one whose samples
    aged out of the window) gets tried and measured instead of being starved forever.
    """

    def __init__(self) -> None:
        self._rotation = _Rotation()

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        ordered = _ordered(candidates)
        best = min(_latency(c) for c in ordered)
        return self._rotation.next([c for c in ordered if _latency(c) == best], key)


def _latency(candidate: Candidate) -> float:
    return float("-inf") if candidate.p95_ms is None else candidate.p95_ms


class Random:
    """Uniformly at random from the injected generator (seed it in tests)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pick(self, candidates: Sequence[Candidate], key: str) -> Candidate:
        return self._rng.choice(_ordered(candidates))


# Keyed by the names of daemon.config.known.ROUTING_STRATEGIES. Every factory takes the rng so
# the caller builds any strategy the same way; only `random` uses it.
STRATEGIES: dict[str, Callable[[random.Random], Strategy]] = {
    "round-robin": lambda _rng: RoundRobin(),
    "weighted-round-robin": lambda _rng: WeightedRoundRobin(),
    "fill-first": lambda _rng: FillFirst(),
    "least-busy": lambda _rng: LeastBusy(),
    "lowest-latency": lambda _rng: LowestLatency(),
    "random": Random,
}
