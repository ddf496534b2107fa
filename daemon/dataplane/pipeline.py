"""One generation request, end to end:

    client body ─(same format? pass through : decode → canonical → encode)─▶ upstream body
    upstream response ─(pass through, or decode → encode)─▶ client, streamed as it comes

The pipeline owns no I/O policy of its own: providers build requests, the pool sends them,
the relay streams them; routing decisions (which target) come from the selector.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from daemon.asgi import Receive, Send, send_bytes
from daemon.dataplane.relay import PassThrough, Translating, relay_stream, run_watching_disconnect
from daemon.dataplane.upstream import UpstreamPool, UpstreamTimeout, UpstreamUnreachable
from daemon.errors import InvalidRequest, UpstreamFailed
from daemon.formats.base import Codec, codec_for
from daemon.model import ApiError, Request, Usage, WireFormat
from daemon.routing.payload import PayloadRules
from daemon.routing.registry import ModelRegistry, Resolution, Target
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


@dataclass(slots=True)
class Call:
    """What the inbound route parsed out of the client's request."""

    client_format: WireFormat
    body: dict[str, Any]
    model: str
    stream: bool
    headers: Mapping[str, str]
    gemini_sse: bool = True  # Gemini streams: SSE with ?alt=sse, else one JSON array


class Pipeline:
    def __init__(
        self, state: DaemonState, pool: UpstreamPool, registry: ModelRegistry, payload: PayloadRules
    ) -> None:
        self.state = state
        self.pool = pool
        self.registry = registry
        self.payload = payload
        self._turn = 0

    def pick(self, resolution: Resolution) -> Target:
        """Round-robin over the targets (issue 5 brings strategies, cooldowns and retries)."""
        targets = resolution.targets
        self._turn = (self._turn + 1) % (1 << 30)
        return targets[self._turn % len(targets)]

    async def generate(self, call: Call, receive: Receive, send: Send) -> None:
        for name in STEERING_FIELDS:
            if name in call.body:
                raise InvalidRequest(
                    f"'{name}' is not accepted: this proxy chooses the upstream itself", param=name
                )
        resolution = self.registry.resolve(call.model)
        target = self.pick(resolution)
        upstream_format = target.provider.wire_format
        client_codec = codec_for(call.client_format)
        # Gemini upstreams always stream SSE; a client that wants the JSON-array form is translated.
        passthrough = (
            upstream_format == call.client_format
            and resolution.reasoning is None
            and (call.gemini_sse or not call.stream)
        )
        upstream_codec = client_codec if passthrough else codec_for(upstream_format)
        canonical: Request | None = None
        if passthrough:
            body = dict(call.body)
        else:
            canonical = client_codec.decode_request(call.body)
            canonical.model = target.upstream_model
            canonical.stream = call.stream
            if resolution.reasoning is not None:
                canonical.reasoning = resolution.reasoning
            body = upstream_codec.encode_request(canonical)
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
        request = target.provider.build_request(
            target.credential,
            target.upstream_model,
            body,
            stream=call.stream,
            client_headers=call.headers,
        )
        proxy = target.credential.proxy_url or self.state.settings.proxy_url
        if canonical is None:
            canonical = Request(
                model=resolution.model, stream=call.stream, source_format=call.client_format
            )

        async def exchange() -> None:
            response = await self.pool.open(request, proxy)
            try:
                if response.status >= 400:
                    raw = await self.pool.read_body(response, 1024 * 1024)
                    raise UpstreamFailed(
                        self._masked(upstream_codec.decode_error(response.status, raw))
                    )
                if call.stream:
                    await self._stream(
                        call,
                        canonical,
                        response,
                        client_codec,
                        upstream_codec,
                        passthrough,
                        receive,
                        send,
                    )
                else:
                    raw = await self.pool.read_body(response, MAX_UPSTREAM_BODY)
                    await self._whole(call, raw, client_codec, upstream_codec, passthrough, send)
            finally:
                response.close()

        if not call.stream:
            await run_watching_disconnect(exchange(), receive)
        else:
            await exchange()

    async def _whole(
        self,
        call: Call,
        raw: bytes,
        client_codec: Codec,
        upstream_codec: Codec,
        passthrough: bool,
        send: Send,
    ) -> None:
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise UpstreamUnreachable(
                "the upstream answered with something that is not JSON"
            ) from error
        decoded = upstream_codec.decode_response(parsed)
        self.record(call.model, decoded.usage)
        if passthrough:
            await send_bytes(send, 200, raw)
            return
        await send_bytes(send, 200, orjson.dumps(client_codec.encode_response(decoded)))

    async def _stream(
        self,
        call: Call,
        canonical: Request,
        response: aiohttp.ClientResponse,
        client_codec: Codec,
        upstream_codec: Codec,
        passthrough: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        encoder = _stream_encoder(client_codec, canonical, call)
        decoder = upstream_codec.stream_decoder()
        translator = PassThrough(decoder, encoder) if passthrough else Translating(decoder, encoder)
        json_array = call.client_format == WireFormat.GEMINI and not call.gemini_sse
        keepalive_interval = self.state.settings.stream_keepalive_seconds
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": JSON_STREAM_HEADERS if json_array else SSE_HEADERS,
            }
        )
        completed = await relay_stream(
            response,
            translator,
            receive,
            send,
            idle_timeout=self.pool.timeouts.idle,
            keepalive=_keepalive(call.client_format, json_array) if keepalive_interval else None,
            keepalive_interval=keepalive_interval,
            on_error=self._stream_failure,
        )
        if translator.usage is not None:
            self.record(call.model, translator.usage)
        if not completed:
            log.info("client went away mid-stream; upstream request cancelled")

    def _stream_failure(self, error: BaseException) -> ApiError:
        if isinstance(error, TimeoutError):
            return UpstreamTimeout("the upstream went silent mid-stream").to_api_error()
        return UpstreamUnreachable("the upstream broke off the stream").to_api_error()

    def _masked(self, error: ApiError) -> ApiError:
        error.message = self.state.masker.mask(error.message)
        return error

    def record(self, model: str, usage: Usage) -> None:
        self.state.usage.record(model, usage)


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
