"""One generation request, end to end:

    client body ─(same format? pass through : decode → canonical → encode)─▶ upstream body
    upstream response ─(pass through, or decode → encode)─▶ client, streamed as it comes

The pipeline owns no I/O policy of its own: providers build requests, the pool sends them,
the relay streams them; which target serves, and retries before the first byte, come from
the router through the attempt loop (attempts.py).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from daemon.asgi import Receive, Send, send_bytes
from daemon.dataplane.attempts import AttemptLoop, Budget, Opened, Prepared
from daemon.dataplane.endings import ending_for
from daemon.dataplane.follow import FOLLOW
from daemon.dataplane.headers import passed_through
from daemon.dataplane.relay import PassThrough, Translating, copy_stream
from daemon.dataplane.upstream import UpstreamPool, UpstreamTimeout, UpstreamUnreachable
from daemon.dataplane.watch import ClientWatch
from daemon.errors import InvalidRequest, ProxyError, UpstreamFailed, render_error
from daemon.formats.base import Codec, codec_for
from daemon.formats.policy import check_translatable
from daemon.model import ApiError, Request, Usage, WireFormat
from daemon.providers.base import UpstreamRequest
from daemon.routing.affinity import session_key
from daemon.routing.payload import PayloadRules
from daemon.routing.registry import ModelRegistry, Resolution, Target
from daemon.routing.router import Router
from daemon.runtime import DaemonState

log = logging.getLogger("cliproxy.dataplane")

MAX_UPSTREAM_BODY = 64 * 1024 * 1024
# Fields that would let a client choose where the proxy sends its credentials.
STEERING_FIELDS = ("api_base", "base_url", "api_url", "endpoint")

SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
JSON_STREAM_HEADERS = [(b"content-type", b"application/json")]
EARLY_JSON_START = {"type": "http.response.start", "status": 200, "headers": JSON_STREAM_HEADERS}


def _always() -> bool:
    return True


@dataclass(slots=True)
class Call:
    """What the inbound route parsed out of the client's request."""

    client_format: WireFormat
    body: dict[str, Any]
    model: str
    stream: bool
    headers: Mapping[str, str]
    gemini_sse: bool = True  # Gemini streams: SSE with ?alt=sse, else one JSON array


@dataclass(slots=True)
class Route:
    """How one target is spoken to, decided once per attempt."""

    target: Target
    passthrough: bool
    client_codec: Codec
    upstream_codec: Codec
    canonical: Request
    hide_usage_chunk: bool = False  # we asked a chat upstream for usage the client did not


class Pipeline:
    def __init__(
        self,
        state: DaemonState,
        pool: UpstreamPool,
        registry: ModelRegistry,
        payload: PayloadRules,
        router: Router,
    ) -> None:
        self.state = state
        self.pool = pool
        self.registry = registry
        self.payload = payload
        self.router = router

    async def generate(self, call: Call, receive: Receive, send: Send) -> None:
        for name in STEERING_FIELDS:
            if name in call.body:
                raise InvalidRequest(
                    f"'{name}' is not accepted: this proxy chooses the upstream itself", param=name
                )
        resolution = self.registry.resolve(call.model)
        settings = self.state.settings
        budget = Budget(
            attempts=1 + settings.request_retry,
            credentials=settings.max_retry_credentials,
            max_wait=float(settings.max_retry_interval),
        )
        session = session_key(call.headers, call.body) if self.router.affinity else None
        client_codec = codec_for(call.client_format)
        decoded: list[Request] = []  # the client's request, decoded once if any target needs it

        def prepare(resolved: Resolution, target: Target) -> Prepared:
            route = self._route(call, resolved, target, client_codec, decoded)
            return Prepared(
                request=self._build(call, route),
                proxy=target.credential.proxy_url or settings.proxy_url,
                decode_error=route.upstream_codec.decode_error,
                context=route,
            )

        loop = AttemptLoop(
            self.router, self.registry, self.pool, settings.fallback_chains, self.state.masker.mask
        )
        interval = (
            settings.stream_keepalive_seconds
            if call.stream
            else settings.nonstream_keepalive_interval
        )
        async with ClientWatch(receive, send, interval) as watch:
            if not call.stream and interval:
                # nonstream-keepalive-interval: for clients behind proxies that drop idle
                # connections, a 200 goes out early, then a newline (JSON allows leading
                # whitespace) each interval until the answer. An error after that can only
                # be the body, under the 200: the price of the setting.
                watch.keep_alive(b"\n", _always, start=EARLY_JSON_START)
            try:
                opened = await loop.open(resolution, prepare, budget, session)
                await self._answer(call, opened, watch)
            except ProxyError as error:
                if not watch.started_early:
                    raise
                _, _, body = render_error(call.client_format, error.to_api_error())
                await watch.send({"type": "http.response.body", "body": body, "more_body": False})
        if watch.gone:
            log.info("client went away; its upstream request was cancelled")

    async def _answer(self, call: Call, opened: Opened, watch: ClientWatch) -> None:
        """Relay the opened upstream answer to the client, streamed or whole."""
        route: Route = opened.prepared.context
        credential = route.target.credential.id
        self.router.in_flight.inc(credential)
        try:
            headers = {"x-cliproxy-model": opened.resolution.model}
            if self.state.settings.passthrough_headers:
                headers = {**passed_through(opened.response.headers.items()), **headers}
            if call.stream:
                broke = await self._stream(call, route, opened.response, watch, headers)
                if broke:
                    self.router.stream_broke(opened.choice)
            else:
                raw = await self.pool.read_body(opened.response, MAX_UPSTREAM_BODY)
                await self._whole(call, route, raw, watch.send, headers)
        finally:
            self.router.in_flight.dec(credential)
            opened.response.close()

    def _route(
        self,
        call: Call,
        resolution: Resolution,
        target: Target,
        client_codec: Codec,
        decoded: list[Request],
    ) -> Route:
        upstream_format = target.provider.wire_format
        # Gemini upstreams always stream SSE; a client that wants the JSON-array form is translated.
        passthrough = (
            upstream_format == call.client_format
            and resolution.reasoning is None
            and (call.gemini_sse or not call.stream)
        )
        if passthrough:
            canonical = Request(
                model=resolution.model, stream=call.stream, source_format=call.client_format
            )
            return Route(target, True, client_codec, client_codec, canonical)
        if not decoded:
            decoded.append(client_codec.decode_request(call.body))
        canonical = copy.copy(decoded[0])  # per target: the model and reasoning may differ
        check_translatable(canonical, upstream_format)
        canonical.model = target.upstream_model
        canonical.stream = call.stream
        if resolution.reasoning is not None:
            canonical.reasoning = resolution.reasoning
        return Route(target, False, client_codec, codec_for(upstream_format), canonical)

    def _build(self, call: Call, route: Route) -> UpstreamRequest:
        target = route.target
        upstream_format = target.provider.wire_format
        if route.passthrough:
            body = dict(call.body)
            if call.stream and upstream_format == WireFormat.OPENAI_CHAT:
                options = body.get("stream_options")
                options = dict(options) if isinstance(options, dict) else {}
                if not options.get("include_usage"):
                    # Usage is recorded for every request: ask for it, hide it from the client.
                    body["stream_options"] = {**options, "include_usage": True}
                    route.hide_usage_chunk = True
        else:
            body = route.upstream_codec.encode_request(route.canonical)
        if "model" in body or upstream_format != WireFormat.GEMINI:
            body["model"] = target.upstream_model
        self.payload.apply(
            body,
            target.upstream_model,
            upstream_format,
            requested=call.model,
            source_format=call.client_format,
            headers=call.headers,
            family=target.credential.family,
        )
        return target.provider.build_request(
            target.credential,
            target.upstream_model,
            body,
            stream=call.stream,
            client_headers=call.headers,
        )

    async def _whole(
        self, call: Call, route: Route, raw: bytes, send: Send, headers: dict[str, str]
    ) -> None:
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise UpstreamUnreachable(
                "the upstream answered with something that is not JSON"
            ) from error
        try:
            decoded = route.upstream_codec.decode_response(parsed)
        except InvalidRequest as error:  # the codecs' word for a shape they cannot read
            if not route.passthrough:
                raise UpstreamFailed(
                    ApiError("bad_gateway", f"malformed upstream answer: {error.message}", 502)
                ) from None
            decoded = None  # passed on as the upstream sent it; no usage to record
        if decoded is not None:
            self.record(call.model, decoded.usage)
        headers = {"content-type": "application/json", **headers}
        if route.passthrough:
            for old, new in model_renames(route.target.upstream_model, call.model):
                raw = raw.replace(old, new)
            await send_bytes(send, 200, raw, headers)
            return
        assert decoded is not None  # a translated answer that could not be read raised above
        decoded.model = call.model  # clients match answers to the name they asked for
        if decoded.created is None:
            decoded.created = int(self.state.clock.time())
        body = orjson.dumps(route.client_codec.encode_response(decoded))
        await send_bytes(send, 200, body, headers)

    async def _stream(
        self,
        call: Call,
        route: Route,
        response: aiohttp.ClientResponse,
        watch: ClientWatch,
        headers: dict[str, str],
    ) -> bool:
        """Stream the answer to the client; True when the upstream broke off mid-way."""
        encoder = _stream_encoder(route.client_codec, route.canonical, call)
        decoder = route.upstream_codec.stream_decoder()
        translator: PassThrough | Translating
        if route.passthrough:
            renames = model_renames(route.target.upstream_model, call.model)
            translator = PassThrough(
                decoder,
                encoder,
                ending_for(call.client_format),
                renames,
                hide_usage_chunk=route.hide_usage_chunk,
                follow=FOLLOW[call.client_format],
            )
        else:
            translator = Translating(decoder, encoder, call.model, int(self.state.clock.time()))
        json_array = call.client_format == WireFormat.GEMINI and not call.gemini_sse
        start_headers = list(JSON_STREAM_HEADERS if json_array else SSE_HEADERS)
        start_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
        await watch.send({"type": "http.response.start", "status": 200, "headers": start_headers})
        if self.state.settings.stream_keepalive_seconds:
            watch.keep_alive(
                _keepalive(call.client_format, json_array), lambda: translator.at_boundary
            )
        try:
            await copy_stream(
                response,
                translator,
                watch.send,
                idle_timeout=None,  # the pool's sessions enforce upstream-timeouts.idle
                on_error=self._stream_failure,
            )
        finally:
            if translator.usage is not None:
                self.record(call.model, translator.usage)
        return translator.broke

    def _stream_failure(self, error: BaseException) -> ApiError:
        if isinstance(error, TimeoutError):
            return UpstreamTimeout("the upstream went silent mid-stream").to_api_error()
        return UpstreamUnreachable("the upstream broke off the stream").to_api_error()

    def record(self, model: str, usage: Usage) -> None:
        self.state.usage.record(model, usage)


def model_renames(upstream: str, requested: str) -> list[tuple[bytes, bytes]]:
    """Byte rewrites that make an upstream's answer name the model the client asked for."""
    if upstream == requested:
        return []
    out: list[tuple[bytes, bytes]] = []
    old, new = orjson.dumps(upstream), orjson.dumps(requested)
    for key in (b'"model":', b'"model": ', b'"modelVersion":', b'"modelVersion": '):
        out.append((key + old, key + new))
    return out


def _stream_encoder(codec: Codec, request: Request, call: Call) -> Any:
    if call.client_format == WireFormat.GEMINI:
        from daemon.formats.gemini import CODEC as GEMINI

        return GEMINI.stream_encoder(request, sse=call.gemini_sse)
    return codec.stream_encoder(request)


def _keepalive(client_format: WireFormat, json_array: bool) -> bytes:
    if json_array:
        return b"\n"
    if client_format == WireFormat.ANTHROPIC:
        return b'event: ping\ndata: {"type": "ping"}\n\n'
    return b": keep-alive\n\n"
