"""The control plane: a Starlette app served on the private Unix socket.

GET  /status              version, pid, uptime, listen address, config, reload, counters
GET  /models              the models served, each with its credentials and upstream ids
POST /reload              re-read the config file now
POST /shutdown            drain and exit
GET  /logs?lines=N        recent log lines; &follow=1 streams new ones as they come
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from daemon.runtime import DaemonState, ReloadResult


@dataclass(slots=True)
class ControlHooks:
    """What the control plane may ask of the server that owns it."""

    reload: Callable[[], Awaitable[ReloadResult]]
    shutdown: Callable[[], None]
    stopping: asyncio.Event
    providers: Callable[[], list[dict[str, Any]]] = list
    models: Callable[[], list[dict[str, Any]]] = list
    reset_quota: Callable[[str | None], int] = lambda _credential: 0


def build_control_app(state: DaemonState, hooks: ControlHooks) -> Starlette:
    async def status(request: Request) -> Response:
        return JSONResponse({**state.status(), "providers": hooks.providers()})

    async def models(request: Request) -> Response:
        return JSONResponse({"models": hooks.models()})

    async def reset_quota(request: Request) -> Response:
        body = await request.body()
        try:
            wanted = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        credential = wanted.get("credential") if isinstance(wanted, dict) else None
        if credential is not None and not isinstance(credential, str):
            return JSONResponse({"error": "credential must be a string"}, status_code=400)
        known = {c["id"] for p in hooks.providers() for c in p["credentials"]}
        if credential is not None and credential not in known:
            return JSONResponse(
                {"error": f"no credential {credential!r}; known: {sorted(known)}"},
                status_code=404,
            )
        return JSONResponse({"cleared": hooks.reset_quota(credential), "credential": credential})

    async def reload(request: Request) -> Response:
        result = await hooks.reload()
        return JSONResponse(result.as_dict(), status_code=200 if result.ok else 422)

    async def shutdown(request: Request) -> Response:
        # Answer first; the server starts draining once this response has gone out.
        asyncio.get_running_loop().call_soon(hooks.shutdown)
        return JSONResponse({"ok": True, "message": "draining"}, status_code=202)

    async def logs(request: Request) -> Response:
        try:
            lines = int(request.query_params.get("lines", "200"))
        except ValueError:
            return JSONResponse({"error": "lines must be a whole number"}, status_code=400)
        if request.query_params.get("follow") not in ("1", "true"):
            return JSONResponse({"lines": state.recent_logs.tail(lines)})
        return StreamingResponse(_follow(lines), media_type="text/plain; charset=utf-8")

    async def _follow(lines: int) -> AsyncIterator[str]:
        recent = state.recent_logs
        queue = recent.follow()
        try:
            for line in recent.tail(lines):
                yield line + "\n"
            while not hooks.stopping.is_set():
                try:
                    line = await asyncio.wait_for(queue.get(), timeout=0.5)
                except TimeoutError:
                    continue
                yield line + "\n"
        finally:
            recent.unfollow(queue)

    return Starlette(
        routes=[
            Route("/status", status, methods=["GET"]),
            Route("/models", models, methods=["GET"]),
            Route("/reload", reload, methods=["POST"]),
            Route("/shutdown", shutdown, methods=["POST"]),
            Route("/reset-quota", reset_quota, methods=["POST"]),
            Route("/logs", logs, methods=["GET"]),
        ]
    )
