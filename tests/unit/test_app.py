"""daemon.app.ProxyApp: health probes, the client-key gate, error shapes, counters, body limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from daemon.app import HEALTH_PATHS, ProxyApp, build_app
from daemon.asgi import Message, Receive, Scope, Send
from daemon.config import EXAMPLE_API_KEYS, Settings
from daemon.errors import RateLimited
from daemon.model import WireFormat
from daemon.runtime import DaemonState

KEY = "sk-unit-client-key-0123456789abcdef"
MIB = 1024 * 1024
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_state(**overrides: Any) -> DaemonState:
    settings = Settings(api_keys=overrides.pop("api_keys", (KEY,)), **overrides)
    return DaemonState(settings=settings)


def client_for(app: ProxyApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy")


@pytest.fixture
def state() -> DaemonState:
    return make_state(max_body_size_mb=1)


@pytest.fixture
async def client(state: DaemonState) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(ProxyApp(state)) as c:
        yield c


def error_type(wire_format: str, body: dict[str, Any]) -> str:
    """The error's type name, wherever the format keeps it."""
    if wire_format == "anthropic":
        assert body["type"] == "error"
        assert set(body["error"]) == {"type", "message"}
        return str(body["error"]["type"])
    if wire_format == "gemini":
        assert set(body["error"]) >= {"code", "message", "status"}
        return str(body["error"]["status"])
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return str(body["error"]["type"])


def message_of(body: dict[str, Any]) -> str:
    return str(body["error"]["message"])


# One request per API family: (method, path, extra headers, format).
FAMILIES = [
    ("POST", "/v1/chat/completions", {}, "openai"),
    ("POST", "/v1/responses", {}, "openai"),
    ("POST", "/backend-api/codex/responses", {}, "openai"),
    ("POST", "/v1/messages?beta=true", {}, "anthropic"),
    ("POST", "/v1beta/models/gemini-x:streamGenerateContent?alt=sse", {}, "gemini"),
    ("POST", "/v1/models/gemini-x:generateContent", {}, "gemini"),
    ("GET", "/v1/models", {"anthropic-version": "2023-06-01"}, "anthropic"),
    ("GET", "/v1/models", {"user-agent": "claude-cli/2.0.1 (external, cli)"}, "anthropic"),
    ("GET", "/v1/models", {}, "openai"),
]

TYPE_NAMES = {
    401: {"openai": "authentication_error", "anthropic": "authentication_error",
          "gemini": "UNAUTHENTICATED"},
    403: {"openai": "permission_error", "anthropic": "permission_error",
          "gemini": "PERMISSION_DENIED"},
    404: {"openai": "not_found_error", "anthropic": "not_found_error", "gemini": "NOT_FOUND"},
    413: {"openai": "invalid_request_error", "anthropic": "request_too_large",
          "gemini": "INVALID_ARGUMENT"},
}  # fmt: skip


# --------------------------------------------------------------------------- health


@pytest.mark.anyio
@pytest.mark.parametrize("path", HEALTH_PATHS)
async def test_health_needs_no_key_and_is_not_counted(
    client: httpx.AsyncClient, state: DaemonState, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"
    assert state.counters.total == 0
    assert state.counters.by_status == {}


@pytest.mark.anyio
async def test_readiness_fails_while_draining(
    client: httpx.AsyncClient, state: DaemonState
) -> None:
    state.draining = True
    ready = await client.get("/health/readiness")
    assert ready.status_code == 503
    assert ready.json() == {"status": "draining"}
    assert (await client.get("/health/liveness")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    state.draining = False
    assert (await client.get("/health/readiness")).status_code == 200


@pytest.mark.anyio
async def test_health_paths_are_exact(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz/")).status_code == 401
    assert (await client.get("/health")).status_code == 401


# --------------------------------------------------------------------------- the key gate


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "fmt"), FAMILIES)
async def test_missing_key_is_a_401_in_the_callers_shape(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], fmt: str
) -> None:
    response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    body = response.json()
    assert error_type(fmt, body) == TYPE_NAMES[401][fmt]
    assert "missing client API key" in message_of(body)
    if fmt == "gemini":
        assert body["error"]["code"] == 401


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "fmt"), FAMILIES)
async def test_wrong_key_is_a_401_in_the_callers_shape(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], fmt: str
) -> None:
    headers = {**headers, "x-api-key": "sk-not-the-right-key"}
    response = await client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert error_type(fmt, response.json()) == TYPE_NAMES[401][fmt]
    assert message_of(response.json()) == "invalid client API key"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": f"Bearer {KEY}"}, ""),
        ({"authorization": f"bearer {KEY}"}, ""),
        ({"x-api-key": KEY}, ""),
        ({"x-goog-api-key": KEY}, ""),
        ({}, f"?key={KEY}"),
        ({"x-api-key": "wrong-one"}, f"?key={KEY}"),  # one valid key among several is enough
    ],
)
async def test_every_key_location_passes_the_gate(
    client: httpx.AsyncClient, headers: dict[str, str], query: str
) -> None:
    response = await client.get("/v1/models" + query, headers=headers)
    assert response.status_code == 404  # past the gate; no such route yet


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "fmt"), FAMILIES)
async def test_example_keys_are_a_403_even_with_the_right_key(
    method: str, path: str, headers: dict[str, str], fmt: str
) -> None:
    example = sorted(EXAMPLE_API_KEYS)[0]
    state = make_state(api_keys=("sk-mine-0123456789", example))
    async with client_for(ProxyApp(state)) as client:
        response = await client.request(
            method, path, headers={**headers, "x-api-key": "sk-mine-0123456789"}
        )
    assert response.status_code == 403
    assert error_type(fmt, response.json()) == TYPE_NAMES[403][fmt]
    assert "api-keys[1]" in message_of(response.json())
    assert state.counters.unauthorized == 0
    assert state.counters.by_status == {"4xx": 1}


@pytest.mark.anyio
async def test_no_configured_keys_refuses_every_key() -> None:
    state = make_state(api_keys=())
    async with client_for(ProxyApp(state)) as other:
        response = await other.get("/v1/models", headers={"x-api-key": "anything"})
    assert response.status_code == 401


@pytest.mark.anyio
async def test_new_settings_apply_to_the_next_request(
    client: httpx.AsyncClient, state: DaemonState
) -> None:
    new_key = "sk-rotated-key-abcdefabcdef"
    assert (await client.get("/v1/models", headers={"x-api-key": new_key})).status_code == 401
    state.apply(Settings(api_keys=(new_key,)))
    assert (await client.get("/v1/models", headers={"x-api-key": new_key})).status_code == 404
    assert (await client.get("/v1/models", headers={"x-api-key": KEY})).status_code == 401


# --------------------------------------------------------------------------- 404 and 413


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "fmt"), FAMILIES)
async def test_unknown_route_is_a_404_in_the_callers_shape(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], fmt: str
) -> None:
    response = await client.request(method, path, headers={**headers, **AUTH})
    assert response.status_code == 404
    assert error_type(fmt, response.json()) == TYPE_NAMES[404][fmt]
    bare_path = path.split("?")[0]
    assert message_of(response.json()) == f"no route for {method} {bare_path} on this proxy"


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "fmt"), FAMILIES)
async def test_body_over_the_limit_is_a_413_via_content_length(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], fmt: str
) -> None:
    response = await client.request(
        "POST", path, headers={**headers, **AUTH}, content=b"x" * (MIB + 1)
    )
    assert response.status_code == 413
    assert error_type(fmt, response.json()) == TYPE_NAMES[413][fmt]
    assert "1 MiB limit" in message_of(response.json())


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


@pytest.mark.anyio
async def test_body_over_the_limit_is_a_413_when_chunked(
    client: httpx.AsyncClient, state: DaemonState
) -> None:
    response = await client.post("/v1/messages", headers=AUTH, content=chunks(5, MIB // 4))
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"
    at_limit = await client.post("/v1/messages", headers=AUTH, content=chunks(4, MIB // 4))
    assert at_limit.status_code == 404
    assert state.counters.by_status == {"4xx": 2}
    assert state.counters.in_flight == 0


@pytest.mark.anyio
async def test_an_unauthenticated_big_body_is_a_401_not_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", content=b"x" * (MIB + 1))
    assert response.status_code == 401


# --------------------------------------------------------------------------- counters


@pytest.mark.anyio
async def test_counters_count_requests_statuses_and_unauthorized(
    client: httpx.AsyncClient, state: DaemonState
) -> None:
    await client.get("/v1/models")  # 401 missing
    await client.get("/v1/models", headers={"x-api-key": "nope"})  # 401 wrong
    await client.get("/v1/models", headers=AUTH)  # 404
    await client.get("/healthz")  # not counted
    counters = state.counters
    assert counters.total == 3
    assert counters.in_flight == 0
    assert counters.by_status == {"4xx": 3}
    assert counters.unauthorized == 2
    assert counters.as_dict() == {
        "total": 3,
        "in_flight": 0,
        "by_status": {"4xx": 3},
        "unauthorized": 2,
    }


def routed_app(state: DaemonState) -> ProxyApp:
    async def inspect(request: Request) -> Response:
        return JSONResponse(
            {
                "wire_format": request.state.wire_format,
                "is_enum": isinstance(request.state.wire_format, WireFormat),
                "in_flight": state.counters.in_flight,
                "x_test": request.state.headers.get("x-test"),
            }
        )

    async def limited(request: Request) -> Response:
        raise RateLimited("slow down", retry_after=7)

    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug in a route")

    return ProxyApp(
        state,
        routes=[
            Route("/v1/messages", inspect, methods=["POST"]),
            Route("/v1/chat/completions", limited, methods=["POST"]),
            Route("/v1/responses", broken, methods=["POST"]),
        ],
    )


@pytest.mark.anyio
async def test_routes_see_the_format_and_headers_and_are_counted(state: DaemonState) -> None:
    async with client_for(routed_app(state)) as client:
        response = await client.post("/v1/messages", headers={**AUTH, "X-Test": "yes"})
    assert response.status_code == 200
    assert response.json() == {
        "wire_format": "anthropic",
        "is_enum": True,
        "in_flight": 1,
        "x_test": "yes",
    }
    assert state.counters.in_flight == 0
    assert state.counters.by_status == {"2xx": 1}


@pytest.mark.anyio
async def test_a_proxy_error_from_a_route_is_rendered_with_retry_after(
    state: DaemonState,
) -> None:
    async with client_for(routed_app(state)) as client:
        response = await client.post("/v1/chat/completions", headers=AUTH)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert state.counters.by_status == {"4xx": 1}
    assert state.counters.unauthorized == 0


@pytest.mark.anyio
async def test_an_unexpected_error_is_a_500_in_the_callers_shape_and_logged(
    state: DaemonState, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(routed_app(state)) as client:
        response = await client.post("/v1/responses", headers=AUTH)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error"
    assert "RuntimeError" in error["message"] and "daemon log" in error["message"]
    assert "a bug in a route" not in response.text  # the details stay in the log
    logged = [r for r in caplog.records if r.name == "cliproxy.dataplane"]
    assert logged and logged[0].exc_info is not None
    assert "POST /v1/responses" in logged[0].getMessage()
    assert state.counters.total == 1
    assert state.counters.in_flight == 0
    assert state.counters.by_status == {"5xx": 1}


@pytest.mark.anyio
async def test_an_unexpected_error_after_the_answer_began_ends_the_connection(
    state: DaemonState,
) -> None:
    class Half:  # a raw ASGI endpoint, as the data plane's routes are
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise RuntimeError("broke mid-answer")

    app = ProxyApp(state, routes=[Route("/v1/messages", Half(), methods=["POST"])])
    async with client_for(app) as client:
        with pytest.raises(RuntimeError, match="broke mid-answer"):  # no second start
            await client.post("/v1/messages", headers=AUTH)
    assert state.counters.in_flight == 0
    assert state.counters.by_status == {"2xx": 1}


@pytest.mark.anyio
async def test_a_wrong_method_on_a_known_route_is_not_a_404(state: DaemonState) -> None:
    async with client_for(routed_app(state)) as client:
        response = await client.get("/v1/messages", headers=AUTH)
    assert response.status_code == 405


# --------------------------------------------------------------------------- lifespan, build_app


@pytest.mark.anyio
async def test_lifespan_goes_to_the_router(state: DaemonState) -> None:
    incoming: list[Message] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await ProxyApp(state)({"type": "lifespan", "state": {}}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert state.counters.total == 0


def test_build_app_wraps_the_settings() -> None:
    settings = Settings(api_keys=(KEY,))
    app = build_app(settings)
    assert isinstance(app, ProxyApp)
    assert app.state.settings is settings
    assert app.state.counters.total == 0
