"""The data plane as one object: registry, payload rules, upstream pool and pipeline, rebuilt
from the settings on every reload (requests already running keep what they started with)."""

from __future__ import annotations

from daemon.config import Settings
from daemon.dataplane.pipeline import Pipeline
from daemon.dataplane.upstream import UpstreamPool
from daemon.providers import credentials_from_settings
from daemon.routing.payload import PayloadRules
from daemon.routing.registry import ModelRegistry
from daemon.runtime import DaemonState


class DataPlane:
    def __init__(self, state: DaemonState) -> None:
        self.state = state
        self.pool = UpstreamPool(state.settings.upstream_timeouts)
        self.registry, payload = _build(state.settings)
        self.pipeline = Pipeline(state, self.pool, self.registry, payload)

    def apply(self, settings: Settings) -> None:
        """Rebuild what depends on the config; raises ValueError on a provider misconfiguration."""
        registry, payload = _build(settings)
        self.registry = registry
        self.pipeline.registry = registry
        self.pipeline.payload = payload
        self.pool.timeouts = settings.upstream_timeouts

    async def close(self) -> None:
        await self.pool.close()


def _build(settings: Settings) -> tuple[ModelRegistry, PayloadRules]:
    credentials = credentials_from_settings(settings)
    return ModelRegistry(settings, credentials), PayloadRules.from_settings(settings)
