"""The proxy listener's ASGI app: health probes, client-key check, then the API routes.

This is a thin raw-ASGI gate in front of a Starlette router: the data plane (issue 4) adds its
inbound API routes to `routes`; everything here stays on the hot path, so it stays small.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Router

from daemon.asgi import Message, Receive, Scope, Send, header_dict, read_body, send_error, send_json
from daemon.config import EXAMPLE_API_KEYS, Settings
from daemon.errors import (
    AuthenticationFailed,
    InternalError,
    NotFound,
    PermissionDenied,
    ProxyError,
)
from daemon.inbound import detect_format, key_is_valid, presented_keys
from daemon.runtime import DaemonState

HEALTH_PATHS = ("/healthz", "/health/liveness", "/health/readiness")

log = logging.getLogger("cliproxy.dataplane")


class MethodNotAllowed(ProxyError):
    status = 405
    kind = "invalid_request"


class ProxyApp:
    def __init__(
        self,
        state: DaemonState,
        routes: Sequence[BaseRoute] = (),
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.state = state

        @contextlib.asynccontextmanager
        async def lifespan(_: Any) -> AsyncIterator[None]:
            yield
            if on_shutdown is not None:
                await on_shutdown()

        self.router = Router(routes=list(routes), default=self._not_found, lifespan=lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)  # lifespan (websockets are refused there)
            return
        path: str = scope["path"]
        if path in HEALTH_PATHS:
            await self._health(path, send)
            return
        headers = header_dict(scope)
        wire_format = detect_format(path, headers)
        counters = self.state.counters
        counters.total += 1
        counters.in_flight += 1
        status = 500
        started = False

        async def send_counted(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
            await send(message)

        try:
            self._authenticate(headers, scope["query_string"])
            scope["state"] = {"wire_format": wire_format, "headers": headers}
            # With "app" set, a route called with the wrong method raises HTTPException(405)
            # instead of answering in plain text, so the client gets its own error shape.
            scope["app"] = self
            try:
                await self.router(scope, receive, send_counted)
            except HTTPException as error:
                raise MethodNotAllowed(
                    f"{scope['method']} is not allowed on {path}; "
                    f"use {(error.headers or {}).get('Allow', 'another method')}"
                ) from None
        except ProxyError as error:
            if isinstance(error, AuthenticationFailed):
                counters.unauthorized += 1
            await send_error(send_counted, wire_format, error)
        except Exception as error:
            # A bug of ours: logged with its traceback (through the masking log filters), and
            # answered in the caller's shape when nothing was sent yet.
            log.exception("unexpected failure serving %s %s", scope["method"], path)
            if started:
                raise
            kind = type(error).__name__
            await send_error(
                send_counted,
                wire_format,
                InternalError(f"cliproxy failed on this request ({kind}); the daemon log has more"),
            )
        finally:
            counters.in_flight -= 1
            counters.finished(status)

    def _authenticate(self, headers: dict[str, str], query_string: bytes) -> None:
        settings = self.state.settings
        example = _example_key_in_use(settings.api_keys)
        if example is not None:
            raise PermissionDenied(
                f"api-keys[{example}] still holds the example value from the sample config; "
                "replace it with a key of your own (cliproxyctl setup generates one) and reload"
            )
        keys = presented_keys(headers, query_string)
        if not keys:
            raise AuthenticationFailed(
                "missing client API key: send it as 'Authorization: Bearer <key>', "
                "'x-api-key', 'x-goog-api-key' or '?key='"
            )
        if not key_is_valid(keys, settings.api_keys):
            raise AuthenticationFailed("invalid client API key")

    async def _health(self, path: str, send: Send) -> None:
        if path == "/health/readiness" and self.state.draining:
            await send_json(send, 503, {"status": "draining"})
            return
        await send_json(send, 200, {"status": "ok"})

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Read (and size-check) the body first, so a client never sees a reset mid-upload.
        await read_body(scope, receive, self.state.settings.max_body_size_mb * 1024 * 1024)
        raise NotFound(f"no route for {scope['method']} {scope['path']} on this proxy")


def _example_key_in_use(api_keys: Sequence[str]) -> int | None:
    for index, key in enumerate(api_keys):
        if key in EXAMPLE_API_KEYS:
            return index
    return None


def build_app(settings: Settings) -> ProxyApp:
    """The proxy as an ASGI app, for embedding in a server of your own (run its lifespan)."""
    from daemon.dataplane.plane import DataPlane
    from daemon.dataplane.routes import build_routes

    state = DaemonState(settings=settings)
    plane = DataPlane(state)
    return ProxyApp(state, build_routes(plane), on_shutdown=plane.close)
