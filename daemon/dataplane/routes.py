"""The inbound API routes: every path an SDK or coding agent calls, mapped to the pipeline.

Handlers are raw ASGI callables (Starlette's Request/Response cost more than the proxy should
on the hot path). `ProxyApp` has already authenticated the client and put the client's wire
format and headers into `scope["state"]`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from daemon.asgi import Receive, Scope, Send, send_json
from daemon.dataplane.body import model_of, parse_json_body
from daemon.dataplane.legacy import LegacyCompletions
from daemon.dataplane.listing import model_list, model_retrieve
from daemon.dataplane.pipeline import Call
from daemon.dataplane.plane import DataPlane
from daemon.dataplane.tokens import count_tokens
from daemon.errors import NotFound
from daemon.model import WireFormat

GEMINI_ACTIONS = ("generateContent", "streamGenerateContent", "countTokens")


class Generate:
    """POST of a chat / responses / messages request: the model is in the body."""

    def __init__(self, plane: DataPlane, client_format: WireFormat) -> None:
        self.plane = plane
        self.client_format = client_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await parse_json_body(scope, receive, self.plane.state.settings.max_body_size_mb)
        call = Call(
            client_format=self.client_format,
            body=body,
            model=model_of(body),
            stream=bool(body.get("stream")),
            headers=scope["state"]["headers"],
        )
        await self.plane.pipeline.generate(call, receive, send)


class AnthropicCountTokens:
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await parse_json_body(scope, receive, self.plane.state.settings.max_body_size_mb)
        tokens = await count_tokens(
            self.plane, WireFormat.ANTHROPIC, body, model_of(body), scope["state"]["headers"]
        )
        await send_json(send, 200, {"input_tokens": tokens})


class GeminiModelAction:
    """POST /v1beta/models/{model}:{action} (and the same under /v1 for google-genai)."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target: str = scope["path_params"]["target"]
        model, _, action = target.rpartition(":")
        if action not in GEMINI_ACTIONS or not model:
            raise NotFound(f"unknown Gemini method {target!r}; expected one of {GEMINI_ACTIONS}")
        model = model.removeprefix("models/")
        body = await parse_json_body(scope, receive, self.plane.state.settings.max_body_size_mb)
        headers = scope["state"]["headers"]
        if action == "countTokens":
            inner = body.get("generateContentRequest")
            request_body = inner if isinstance(inner, dict) else body
            tokens = await count_tokens(self.plane, WireFormat.GEMINI, request_body, model, headers)
            await send_json(send, 200, {"totalTokens": tokens})
            return
        query = scope.get("query_string", b"")
        call = Call(
            client_format=WireFormat.GEMINI,
            body=body,
            model=model,
            stream=action == "streamGenerateContent",
            headers=headers,
            gemini_sse=b"alt=sse" in query,
        )
        await self.plane.pipeline.generate(call, receive, send)


class ListModels:
    def __init__(self, plane: DataPlane, forced: WireFormat | None = None) -> None:
        self.plane = plane
        self.forced = forced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        shape = self.forced or scope["state"]["wire_format"]
        await send_json(send, 200, model_list(shape, self.plane.registry.models()))


class RetrieveModel:
    def __init__(self, plane: DataPlane, forced: WireFormat | None = None) -> None:
        self.plane = plane
        self.forced = forced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        shape = self.forced or scope["state"]["wire_format"]
        wanted = str(scope["path_params"]["target"]).removeprefix("models/")
        await send_json(send, 200, model_retrieve(shape, self.plane.registry.models(), wanted))


class ProviderMetrics:
    """GET /v1/metrics/providers: how each provider and credential is doing (client key needed)."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"providers": self.plane.metrics()})


class ModelsUnderV1:
    """/v1/models/{target}: a model retrieve on GET, google-genai's Gemini calls on POST."""

    def __init__(self, plane: DataPlane) -> None:
        self.retrieve = RetrieveModel(plane)
        self.gemini = GeminiModelAction(plane)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            scope["state"]["wire_format"] = WireFormat.GEMINI
            await self.gemini(scope, receive, send)
        else:
            await self.retrieve(scope, receive, send)


def build_routes(plane: DataPlane) -> list[BaseRoute]:
    """The route table of the proxy listener (health and the key check live in ProxyApp)."""
    chat = Generate(plane, WireFormat.OPENAI_CHAT)
    responses = Generate(plane, WireFormat.OPENAI_RESPONSES)
    messages = Generate(plane, WireFormat.ANTHROPIC)
    legacy = LegacyCompletions(plane)
    gemini = GeminiModelAction(plane)
    routes: list[BaseRoute] = []
    for base in ("/v1", "/openai/v1"):
        routes += [
            Route(f"{base}/chat/completions", chat, methods=["POST"]),
            Route(f"{base}/completions", legacy, methods=["POST"]),
            Route(f"{base}/responses", responses, methods=["POST"]),
        ]
    routes += [
        Route("/openai/v1/models", ListModels(plane, WireFormat.OPENAI_CHAT), methods=["GET"]),
        Route(
            "/openai/v1/models/{target:path}",
            RetrieveModel(plane, WireFormat.OPENAI_CHAT),
            methods=["GET"],
        ),
        Route("/backend-api/codex/responses", responses, methods=["POST"]),
        Route("/v1/metrics/providers", ProviderMetrics(plane), methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", AnthropicCountTokens(plane), methods=["POST"]),
        Route("/v1/models", ListModels(plane), methods=["GET"]),
        Route("/v1/models/{target:path}", ModelsUnderV1(plane), methods=["GET", "POST"]),
        Route("/v1beta/models", ListModels(plane, WireFormat.GEMINI), methods=["GET"]),
        Route("/v1beta/models/{target:path}", gemini, methods=["POST"]),
        Route(
            "/v1beta/models/{target:path}", RetrieveModel(plane, WireFormat.GEMINI), methods=["GET"]
        ),
    ]
    return routes
