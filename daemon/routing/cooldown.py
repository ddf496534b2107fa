"""Cooldowns that heal themselves: which (credential, model) may not be used until when.

A failure cools its key: (credential, model), or (credential, ALL_MODELS) when the upstream
said the whole account is out. Reset hints are trusted up to `max_cooldown`; rate limits
without one back off exponentially. When a cooldown runs out, or every `probe_interval`
while a long one runs, exactly one caller is let through as a half-open probe; its success
clears the credential at once, its failure cools it again. A probe whose outcome is never
recorded stops counting after `probe_timeout`, so a lost request cannot wedge a credential.

Times are wall-clock seconds from the injected clock (they are shown and persisted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from daemon.clock import Clock
from daemon.routing.types import ALL_MODELS, CredentialId, Failure, FailureKind, ModelKey
from daemon.state.base import CooldownEntry, CooldownKey, CooldownStore


@dataclass(frozen=True, slots=True)
class CooldownPolicy:
    """How long each kind of failure cools a credential, in seconds."""

    auth_seconds: float = 1800
    forbidden_seconds: float = 1800
    model_unsupported_seconds: float = 43200
    transient_seconds: float = 60
    backoff_base: float = 1.0
    backoff_cap: float = 1800
    max_cooldown: float = 21600  # the cap on any reset hint or backoff we trust
    probe_interval: float = 600  # during a long cooldown, let one probe through this often
    disabled: bool = False  # disable-cooling: never cool anything
    probe_timeout: float = 60  # a probe with no recorded outcome is given up after this
    disabled_credentials: frozenset[CredentialId] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Availability:
    """May a request use (credential, model) now?

    `probe`: this caller holds the one half-open probe and must record its outcome (or call
    `cancel_probe`). `until`: when the cooldown ends (past for a probe after expiry).
    `next_try`: when this key may next be usable, at a probe or at the end (unavailable only).
    `probing`: unavailable only while another caller's probe runs, whose success frees it.
    """

    available: bool
    probe: bool
    until: float | None
    reason: str | None
    next_try: float | None = None
    probing: bool = False


_FREE = Availability(available=True, probe=False, until=None, reason=None)


class CooldownBook:
    """The cooldown rules over a `CooldownStore`. Synchronous: the hot path never awaits."""

    def __init__(self, policy: CooldownPolicy, clock: Clock, store: CooldownStore) -> None:
        self.policy = policy
        self._clock = clock
        self._store = store

    def record_failure(
        self,
        credential: CredentialId,
        model: ModelKey,
        failure: Failure,
        *,
        started_at: float | None = None,
    ) -> float | None:
        """Cool the key `failure` scopes to; the `until` set, or None when nothing cools.

        `started_at` (wall time the request was sent) keeps a late answer from overriding a
        cooldown set after the request left.
        """
        if not self._cools(credential, failure):
            # The outcome is in, even if it cools nothing: the next caller may probe.
            self.cancel_probe(credential, model)
            return None
        now = self._clock.time()
        scope = ALL_MODELS if failure.scope_all_models else model
        old = self._store.get((credential, scope))
        if old is not None and _newer(old, started_at):
            return old.until
        # A failure while the cooldown still runs (and is not being probed) is a request
        # that left before it was set: it neither advances the backoff nor shortens it.
        running = old is not None and now < old.until and not self._probing(old, now)
        failures = 1 if old is None else old.failures + (0 if running else 1)
        until = now + self._seconds(failure, failures)
        if old is not None and running and old.until >= until:
            return old.until
        entry = CooldownEntry(
            credential=credential,
            model=scope,
            until=until,
            reason=failure.reason,
            kind=failure.kind,
            set_at=now,
            status=failure.status,
            failures=failures,
        )
        self._store.put(entry.key, entry)
        if scope != ALL_MODELS:
            self._settle_credential_probe(credential, failure, now, started_at)
        return until

    def record_success(
        self, credential: CredentialId, model: ModelKey, *, started_at: float | None = None
    ) -> None:
        """Clear the model's and the whole credential's cooldown, and the backoff with them."""
        for key in _keys(credential, model):
            entry = self._store.get(key)
            if entry is not None and not _newer(entry, started_at):
                self._store.delete(key)

    def availability(
        self, credential: CredentialId, model: ModelKey, *, claim: bool = True
    ) -> Availability:
        """Whether (credential, model) may be used now.

        With `claim` (the default) a due probe is taken by this caller: call it for the
        candidate you will send to. `claim=False` only looks, for filtering a candidate list.
        """
        if self.policy.disabled or credential in self.policy.disabled_credentials:
            return _FREE
        now = self._clock.time()
        entries = [e for key in _keys(credential, model) if (e := self._store.get(key)) is not None]
        if not entries:
            return _FREE
        blocked = [entry for entry in entries if not self._due(entry, now)]
        if blocked:
            worst = max(blocked, key=lambda entry: entry.until)
            return Availability(
                available=False,
                probe=False,
                until=worst.until,
                reason=worst.reason,
                next_try=max(self._next_try(entry, now) for entry in blocked),
                probing=all(self._probing(entry, now) for entry in blocked),
            )
        if claim:
            for entry in entries:
                self._store.put(entry.key, replace(entry, probe_at=now))
        latest = max(entries, key=lambda entry: entry.until)
        return Availability(available=True, probe=True, until=latest.until, reason=latest.reason)

    def cancel_probe(self, credential: CredentialId, model: ModelKey) -> None:
        """Give back a claimed probe without an outcome (request not sent, client gone)."""
        for key in _keys(credential, model):
            entry = self._store.get(key)
            if entry is not None and entry.probe_at is not None:
                self._store.put(key, replace(entry, probe_at=None))

    def reset(self, credential: CredentialId | None = None) -> int:
        """Clear one credential's cooldowns, or all; how many entries went (POST /reset-quota)."""
        keys = [key for key, _ in self._store.items() if credential in (None, key[0])]
        if credential is None:
            self._store.clear()
        else:
            for key in keys:
                self._store.delete(key)
        return len(keys)

    def snapshot(self) -> list[CooldownEntry]:
        """Every entry, running or awaiting its probe, by credential then model."""
        return [entry for _, entry in sorted(self._store.items(), key=lambda item: item[0])]

    # ------------------------------------------------------------------ internals

    def _cools(self, credential: CredentialId, failure: Failure) -> bool:
        policy = self.policy
        return not (
            policy.disabled
            or credential in policy.disabled_credentials
            or failure.kind is FailureKind.CLIENT
            or not failure.penalize
        )

    def _seconds(self, failure: Failure, failures: int) -> float:
        policy, kind = self.policy, failure.kind
        if kind is FailureKind.AUTH:
            return policy.auth_seconds
        if kind is FailureKind.FORBIDDEN:
            return policy.forbidden_seconds
        if kind is FailureKind.MODEL_UNSUPPORTED:
            return policy.model_unsupported_seconds
        if failure.retry_after is not None:
            # Self-healing: a reset hint of days is trusted only up to max_cooldown.
            return min(max(0.0, failure.retry_after), policy.max_cooldown)
        if kind is FailureKind.TRANSIENT:
            return policy.transient_seconds
        exponent = min(failures - 1, 64)  # past the cap anyway; keeps the float finite
        backoff = policy.backoff_base * 2.0**exponent
        return min(backoff, policy.backoff_cap, policy.max_cooldown)

    def _probing(self, entry: CooldownEntry, now: float) -> bool:
        return entry.probe_at is not None and now < entry.probe_at + self.policy.probe_timeout

    def _due(self, entry: CooldownEntry, now: float) -> bool:
        """May a probe go through now (ran out, or a long one's probe interval passed)?"""
        if self._probing(entry, now):
            return False
        return now >= entry.until or now >= self._next_probe(entry)

    def _next_probe(self, entry: CooldownEntry) -> float:
        last = entry.probe_at if entry.probe_at is not None else entry.set_at
        return last + self.policy.probe_interval

    def _next_try(self, entry: CooldownEntry, now: float) -> float:
        """The soonest this entry may let a request through (for waiting before a retry)."""
        soonest = min(entry.until, self._next_probe(entry))
        if entry.probe_at is None or not self._probing(entry, now):
            return soonest
        probe_over = entry.probe_at + self.policy.probe_timeout
        # A running probe may free the key any moment; failing that, its timeout does.
        return probe_over if now >= entry.until else min(entry.until, max(soonest, probe_over))

    def _settle_credential_probe(
        self, credential: CredentialId, failure: Failure, now: float, started_at: float | None
    ) -> None:
        """A model-scoped failure ends a probe of the whole credential.

        Past the network trouble (TRANSIENT) the upstream judged the model, so the account
        itself answers: its cooldown goes. A transient failure proves nothing; the probe is
        only given back.
        """
        key = (credential, ALL_MODELS)
        entry = self._store.get(key)
        if entry is None or not self._probing(entry, now) or _newer(entry, started_at):
            return
        if failure.kind is FailureKind.TRANSIENT:
            self._store.put(key, replace(entry, probe_at=None))
        else:
            self._store.delete(key)


def _keys(credential: CredentialId, model: ModelKey) -> list[CooldownKey]:
    if model == ALL_MODELS:
        return [(credential, ALL_MODELS)]
    return [(credential, model), (credential, ALL_MODELS)]


def _newer(entry: CooldownEntry, started_at: float | None) -> bool:
    """Was `entry` set after the request that is reporting now was sent?"""
    return started_at is not None and entry.set_at > started_at
