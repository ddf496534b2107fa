"""Which target serves the next attempt of a request, and what each outcome teaches us.

    targets of the model ─ not tried yet ─ not cooling (half-open probes allowed) ─
        highest priority tier with anyone left ─ health-aware / prefer-healthy ─
        the session's pinned credential, else the strategy's pick

The router owns the routing state (cooldowns, health, in-flight counts, session pins) and
nothing else: it does no I/O and reads time only from its clock, so every rule is tested
with a FakeClock. The pipeline asks `choose`, sends, then reports `succeeded` or `failed`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from daemon.clock import Clock
from daemon.config import HealthTracking, Settings
from daemon.routing.affinity import AffinityTable
from daemon.routing.cooldown import Availability, CooldownBook, CooldownPolicy
from daemon.routing.health import HealthState, HealthTracker, InFlight
from daemon.routing.registry import Resolution, Target
from daemon.routing.strategies import STRATEGIES, LowestLatency, Strategy
from daemon.routing.types import Candidate, Failure, FailureKind
from daemon.state.base import CooldownStore


@dataclass(frozen=True, slots=True)
class Choice:
    """One attempt: the target, its index in the resolution, and whether it is a probe."""

    target: Target
    index: int
    probe: bool


@dataclass(frozen=True, slots=True)
class Blocked:
    """Nobody can serve now; `next_try` is when the soonest candidate may (None: never).
    `probing`: a candidate is held only by another request's probe, which may free it any
    moment (worth looking again soon rather than waiting for `next_try`)."""

    next_try: float | None
    reason: str | None
    probing: bool = False


def cooldown_policy(settings: Settings, disabled_credentials: frozenset[str]) -> CooldownPolicy:
    return CooldownPolicy(
        transient_seconds=settings.transient_error_cooldown_seconds,
        max_cooldown=settings.max_cooldown,
        probe_interval=settings.cooldown_probe_interval,
        disabled=settings.disable_cooling,
        disabled_credentials=disabled_credentials,
    )


class Router:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: CooldownStore,
        *,
        rng: random.Random | None = None,
        disabled_cooling: frozenset[str] = frozenset(),
    ) -> None:
        self.clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - load spreading, not secrecy
        self.cooldowns = CooldownBook(cooldown_policy(settings, disabled_cooling), clock, store)
        self.in_flight = InFlight()
        self._tracking: HealthTracking | None = None
        self._strategy_name: str | None = None
        self._affinity_ttl: float | None = None
        self.affinity: AffinityTable | None = None
        self._configure(settings)

    def apply(self, settings: Settings, disabled_cooling: frozenset[str] = frozenset()) -> None:
        """Take new settings; cooldowns, health history and pins survive a reload."""
        self.cooldowns.policy = cooldown_policy(settings, disabled_cooling)
        self._configure(settings)

    def _configure(self, settings: Settings) -> None:
        routing = settings.routing
        tracking = settings.health_tracking
        if self._tracking != tracking:
            self._tracking = tracking
            self.health = HealthTracker(
                self.clock,
                window_seconds=tracking.window,
                degraded_failure_rate=tracking.degraded_failure_rate,
                error_failure_rate=tracking.error_failure_rate,
                min_requests=tracking.min_requests,
            )
        if self._strategy_name != routing.strategy:
            self.strategy: Strategy = STRATEGIES[routing.strategy](self._rng)
            self._strategy_name = routing.strategy
        self.health_aware = routing.health_aware
        self.prefer_healthy = routing.prefer_healthy
        ttl = routing.session_affinity_ttl if routing.session_affinity else None
        if ttl != self._affinity_ttl:  # pins survive a reload that keeps the same affinity
            self._affinity_ttl = ttl
            self.affinity = AffinityTable(self.clock, ttl) if ttl is not None else None

    # ------------------------------------------------------------------ choosing

    def choose(
        self, resolution: Resolution, tried: set[int], session: str | None = None
    ) -> Choice | Blocked:
        """The next attempt for `resolution`, skipping the target indices in `tried`."""
        for _ in range(len(resolution.targets) + 1):
            open_now, blocked = self._open_targets(resolution, tried)
            if not open_now:
                return blocked
            index = self._pick(resolution, list(open_now), session)
            target = resolution.targets[index]
            claim = self.cooldowns.availability(target.credential.id, target.upstream_model)
            if claim.available:
                if session and self.affinity is not None:
                    self.affinity.pin(resolution.model, session, target.credential.id)
                return Choice(target=target, index=index, probe=claim.probe)
            tried = tried | {index}  # someone else took the probe a moment ago
        return Blocked(next_try=None, reason="no credential is available")

    def _open_targets(
        self, resolution: Resolution, tried: set[int]
    ) -> tuple[dict[int, Availability], Blocked]:
        available: dict[int, Availability] = {}
        soonest: float | None = None
        reason: str | None = None
        probing = False
        for index, target in enumerate(resolution.targets):
            if index in tried:
                continue
            state = self.cooldowns.availability(
                target.credential.id, target.upstream_model, claim=False
            )
            if state.available:
                available[index] = state
                continue
            probing = probing or state.probing
            if state.next_try is not None and (soonest is None or state.next_try < soonest):
                soonest, reason = state.next_try, state.reason
        return available, Blocked(next_try=soonest, reason=reason, probing=probing)

    def _pick(self, resolution: Resolution, open_now: list[int], session: str | None) -> int:
        targets = resolution.targets
        tier = max(targets[i].credential.priority for i in open_now)
        indices = [i for i in open_now if targets[i].credential.priority == tier]
        if len(indices) == 1:
            return indices[0]  # no choice to make (and nothing to pin that is not pinned)
        indices = self._by_health(indices, targets)
        if session and self.affinity is not None:
            pinned = self.affinity.get(resolution.model, session)
            for index in indices:
                if targets[index].credential.id == pinned:
                    return index
        # Latency percentiles cost a histogram walk: only the strategy that reads them gets them.
        wants_latency = isinstance(self.strategy, LowestLatency)
        in_flight, health = self.in_flight, self.health
        candidates = [
            Candidate(
                id=targets[i].credential.id,
                weight=targets[i].credential.weight,
                in_flight=in_flight.get(targets[i].credential.id),
                p95_ms=health.p95_ms(targets[i].credential.id) if wants_latency else None,
                order=i,
            )
            for i in indices
        ]
        return self.strategy.pick(candidates, resolution.model).order

    def _by_health(self, indices: list[int], targets: tuple[Target, ...]) -> list[int]:
        if not (self.health_aware or self.prefer_healthy):
            return indices
        # Cooling targets were filtered out already; a probe target counts as not cooling.
        states = {i: self.health.state(targets[i].credential.id, cooling=False) for i in indices}
        if self.health_aware:
            bad = (HealthState.COOLDOWN, HealthState.ERROR)
            usable = [i for i in indices if states[i] not in bad]
            indices = usable or indices  # with nothing healthy, fall back to all
        if self.prefer_healthy:
            healthy = [i for i in indices if states[i] == HealthState.HEALTHY]
            indices = healthy or indices
        return indices

    def soonest(self, resolution: Resolution) -> Blocked:
        """When the soonest cooling target (tried ones too) may be used again, claiming nothing.
        Targets that failed without a cooldown (an overloaded or stalled upstream) do not count:
        trying them again at once would only make the client wait longer."""
        return self._open_targets(resolution, set())[1]

    def peek(self, resolution: Resolution) -> Target:
        """A target for a side request (token counting): the first not cooling, claiming no
        probe and counting no outcome; the first of all when every one cools."""
        for target in resolution.targets:
            state = self.cooldowns.availability(
                target.credential.id, target.upstream_model, claim=False
            )
            if state.available and not state.probe:
                return target
        return resolution.targets[0]

    # ------------------------------------------------------------------ outcomes

    def succeeded(self, choice: Choice, started_at: float, latency_ms: float | None) -> None:
        credential = choice.target.credential.id
        self.cooldowns.record_success(
            credential, choice.target.upstream_model, started_at=started_at
        )
        self.health.record(credential, True, latency_ms)

    def failed(self, choice: Choice, failure: Failure, started_at: float) -> float | None:
        """Record a failed attempt; returns until when the target cools (None: it does not)."""
        credential = choice.target.credential.id
        until = self.cooldowns.record_failure(
            credential, choice.target.upstream_model, failure, started_at=started_at
        )
        self.health.record(credential, failure.kind == FailureKind.CLIENT, None, failure.kind)
        return until

    def stream_broke(self, choice: Choice) -> None:
        """The upstream failed after its stream began: it counts against the credential's
        health (no cooldown: the request already succeeded in getting an answer going)."""
        self.health.record(choice.target.credential.id, False, None, FailureKind.TRANSIENT)

    def abandoned(self, choice: Choice) -> None:
        """The attempt ended with no verdict (the client left): give a held probe back."""
        if choice.probe:
            self.cooldowns.cancel_probe(choice.target.credential.id, choice.target.upstream_model)

    # ------------------------------------------------------------------ visibility

    def reset(self, credential: str | None = None) -> int:
        cleared = self.cooldowns.reset(credential)
        if self.affinity is not None and credential is not None:
            self.affinity.drop_credential(credential)
        return cleared

    def cooling(self) -> Iterator[dict[str, Any]]:
        for entry in self.cooldowns.snapshot():
            yield {
                "credential": entry.credential,
                "model": entry.model,
                "until": entry.until,
                "reason": entry.reason,
                "kind": str(entry.kind),
            }
