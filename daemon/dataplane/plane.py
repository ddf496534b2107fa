"""The data plane as one object: registry, payload rules, router, upstream pool and pipeline,
rebuilt from the settings on every reload (requests already running keep what they started
with; cooldowns, health and session pins survive the reload)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from daemon.config import Settings
from daemon.dataplane.pipeline import Pipeline
from daemon.dataplane.upstream import UpstreamPool
from daemon.errors import ModelNotFound
from daemon.providers import credentials_from_settings
from daemon.providers.base import Credential
from daemon.routing.metrics import provider_metrics
from daemon.routing.payload import PayloadRules
from daemon.routing.registry import ModelRegistry
from daemon.routing.router import Router
from daemon.runtime import DaemonState
from daemon.state import persist
from daemon.state.base import CooldownStore
from daemon.state.memory import MemoryStore

log = logging.getLogger("cliproxy.dataplane")


class DataPlane:
    def __init__(self, state: DaemonState, cooldown_file: Path | None = None) -> None:
        self.state = state
        self.cooldown_file = cooldown_file
        settings = state.settings
        self.pool = UpstreamPool(settings.upstream_timeouts)
        credentials, self.registry, payload = _build(settings)
        self.credentials = credentials
        self.store = self._load_store(settings)
        self.router = Router(
            settings, state.clock, self.store, disabled_cooling=_no_cooling(credentials)
        )
        self.pipeline = Pipeline(state, self.pool, self.registry, payload, self.router)

    def apply(self, settings: Settings) -> None:
        """Rebuild what depends on the config; raises ValueError on a provider misconfiguration."""
        credentials, registry, payload = _build(settings)
        self.credentials = credentials
        self.registry = registry
        self.pipeline.registry = registry
        self.pipeline.payload = payload
        self.router.apply(settings, _no_cooling(credentials))
        self.pool.timeouts = settings.upstream_timeouts

    def metrics(self) -> list[dict[str, Any]]:
        """Per provider and credential: health, latency, in-flight and cooldowns."""
        return provider_metrics(self.router, self.credentials)

    def served_models(self) -> list[dict[str, Any]]:
        """What `GET /v1/models` lists, each id with the credentials and upstream ids behind it
        (in the order the router considers them)."""
        rows: list[dict[str, Any]] = []
        for info in self.registry.models():
            try:
                targets = self.registry.resolve(info.id).targets
            except ModelNotFound:
                targets = ()
            rows.append(
                {
                    "id": info.id,
                    "owned_by": info.owned_by,
                    "family": info.family,
                    "credentials": list(dict.fromkeys(t.credential.id for t in targets)),
                    "upstream": list(dict.fromkeys(t.upstream_model for t in targets)),
                }
            )
        return rows

    def reset_quota(self, credential: str | None = None) -> int:
        """Clear cooldowns (of one credential, or all); how many entries went."""
        cleared = self.router.reset(credential)
        log.info("cooldowns reset by hand: %d cleared (%s)", cleared, credential or "all")
        return cleared

    async def close(self) -> None:
        if self.state.settings.save_cooldown_status and self.cooldown_file is not None:
            persist.save(self.store, self.cooldown_file)
            log.info("cooldown state saved to %s", self.cooldown_file)
        await self.pool.close()

    def _load_store(self, settings: Settings) -> CooldownStore:
        if settings.save_cooldown_status and self.cooldown_file is not None:
            store = persist.load(self.cooldown_file, self.state.clock)
            log.info("cooldown state: %d entries restored", len(list(store.items())))
            return store
        return MemoryStore()


def _build(settings: Settings) -> tuple[list[Credential], ModelRegistry, PayloadRules]:
    credentials = credentials_from_settings(settings)
    return credentials, ModelRegistry(settings, credentials), PayloadRules.from_settings(settings)


def _no_cooling(credentials: list[Credential]) -> frozenset[str]:
    return frozenset(c.id for c in credentials if c.disable_cooling)
