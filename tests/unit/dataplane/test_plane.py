"""daemon.dataplane.plane.DataPlane: built from the settings, rebuilt on reload, closed once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from daemon.app import ProxyApp
from daemon.config import ModelEntry, OpenAICompatEntry, ProviderKeyEntry, UpstreamTimeouts
from daemon.dataplane.plane import DataPlane
from daemon.dataplane.routes import build_routes
from daemon.errors import ModelNotFound
from daemon.runtime import DaemonState
from tests.support.mock_upstream import DEFAULT_KEY, MockUpstream
from tests.unit.dataplane.support import AUTH, mock, running, settings_for

__all__ = ["mock"]

MESSAGES = {"max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def plane(mock: MockUpstream) -> AsyncIterator[DataPlane]:
    plane = DataPlane(DaemonState(settings=settings_for(mock.base_url)))
    try:
        yield plane
    finally:
        await plane.close()
        mock.clear()


def client_for(plane: DataPlane) -> tuple[ProxyApp, httpx.AsyncClient]:
    app = ProxyApp(plane.state, build_routes(plane), on_shutdown=plane.close)
    transport = httpx.ASGITransport(app=app)
    return app, httpx.AsyncClient(transport=transport, base_url="http://proxy", headers=AUTH)


@pytest.mark.anyio
async def test_the_plane_is_built_from_the_settings(plane: DataPlane) -> None:
    settings = plane.state.settings
    assert plane.pool.timeouts == settings.upstream_timeouts
    assert plane.pipeline.registry is plane.registry
    assert plane.pipeline.pool is plane.pool
    families = {m.family for m in plane.registry.models()}
    assert families == {"claude", "gemini", "codex"}  # the compat entry lists nothing by name
    assert plane.registry.resolve("oc/anything").targets[0].credential.family == (
        "openai-compatible"
    )


@pytest.mark.anyio
async def test_apply_swaps_registry_payload_and_timeouts(
    plane: DataPlane, mock: MockUpstream
) -> None:
    settings = plane.state.settings
    renamed = ProviderKeyEntry(api_key=DEFAULT_KEY, base_url=mock.base_url, prefix="team")
    payload = {"override": [{"models": [{"name": "claude-*"}], "params": {"temperature": 0.25}}]}
    timeouts = UpstreamTimeouts(connect=1, first_byte=2, non_stream=3, idle=4)
    new = replace(
        settings,
        claude_api_key=(renamed,),
        force_model_prefix=True,
        upstream_timeouts=timeouts,
        extra={"payload": payload},
    )
    old_registry = plane.registry
    plane.apply(new)
    plane.state.apply(new)
    assert plane.registry is not old_registry
    assert plane.pipeline.registry is plane.registry
    assert plane.pool.timeouts == timeouts
    with pytest.raises(ModelNotFound):
        plane.registry.resolve("claude-plain")  # prefixed entries need their prefix now
    app, http = client_for(plane)
    async with running(app), http:
        response = await http.post("/v1/messages", json={"model": "team/claude-plain", **MESSAGES})
    assert response.status_code == 200, response.text
    seen = mock.wait_for(lambda r: r.model == "claude-plain")
    assert seen.body["temperature"] == 0.25  # the new payload rule


@pytest.mark.anyio
async def test_served_models_name_the_credentials_and_upstream_ids_behind_each(
    plane: DataPlane, mock: MockUpstream
) -> None:
    settings = plane.state.settings
    aliased = ProviderKeyEntry(
        api_key=DEFAULT_KEY,
        base_url=mock.base_url,
        models=(ModelEntry(name="claude-sonnet-4-5", alias="sonnet"),),
    )
    plane.apply(replace(settings, claude_api_key=(aliased, *settings.claude_api_key)))
    rows = {row["id"]: row for row in plane.served_models()}
    assert rows["sonnet"] == {
        "id": "sonnet",
        "owned_by": "claude",
        "family": "claude",
        "credentials": ["claude-api-key[0]"],
        "upstream": ["claude-sonnet-4-5"],
    }
    # The keyed entry without a list serves the family's catalogue: both keys serve it.
    catalogue = [row for row in rows.values() if row["family"] == "gemini"]
    assert catalogue and all(row["upstream"] == [row["id"]] for row in catalogue)
    assert [row["id"] for row in plane.served_models()] == [m.id for m in plane.registry.models()]


@pytest.mark.anyio
async def test_a_bad_provider_entry_is_refused_and_the_running_plane_kept(
    plane: DataPlane,
) -> None:
    registry, payload = plane.registry, plane.pipeline.payload
    broken = replace(
        plane.state.settings, openai_compatibility=(OpenAICompatEntry(name="my-own-server"),)
    )
    with pytest.raises(ValueError, match="my-own-server"):
        plane.apply(broken)
    assert plane.registry is registry
    assert plane.pipeline.payload is payload


@pytest.mark.anyio
async def test_a_bad_payload_rule_is_refused(plane: DataPlane) -> None:
    registry = plane.registry
    with pytest.raises(ValueError, match="payload"):
        plane.apply(replace(plane.state.settings, extra={"payload": {"nonsense": []}}))
    assert plane.registry is registry


@pytest.mark.anyio
async def test_close_closes_the_upstream_sessions_and_may_repeat(mock: MockUpstream) -> None:
    plane = DataPlane(DaemonState(settings=settings_for(mock.base_url)))
    app, http = client_for(plane)
    async with running(app), http:  # the lifespan's shutdown closes the plane
        response = await http.post("/v1/messages", json={"model": "claude-plain", **MESSAGES})
        assert response.status_code == 200
        sessions = list(plane.pool._sessions.values())
        assert sessions and not any(s.closed for s in sessions)
    assert all(s.closed for s in sessions)
    await plane.close()
    mock.clear()
