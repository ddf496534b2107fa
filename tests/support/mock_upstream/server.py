"""The aiohttp app, the streaming driver and the background-thread runner."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson
from aiohttp import web

from .anthropic import Anthropic
from .base import JSON_HEADERS, Failure, WireFormat
from .gemini import Gemini, models_list
from .keys import KeyMode, KeyScript, KeyTable, body_bytes, request_key
from .openai_chat import OpenAIChat
from .openai_responses import OpenAIResponses
from .records import MockConfig, RecordedRequest, Recorder, SignatureEcho
from .script import ID_BYTES, Options, Reply, Script, count_tokens, dumps, parse_script, plan

_CACHE_LIMIT = 2048


class MockUpstream(Recorder):
    """One server speaking all four wire formats; see the package docstring."""

    def __init__(self, config: MockConfig | None = None) -> None:
        super().__init__()
        self.config = config or MockConfig()
        self.port = 0
        self.issued_signatures: dict[str, str] = {}  # signature -> thinking text
        self._counter = itertools.count(1)
        self._cache: dict[tuple[str, Reply, Options], tuple[bytes, list[bytes] | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None
        self.chat, self.responses, self.anthropic = OpenAIChat(), OpenAIResponses(), Anthropic()
        self.gemini = Gemini(self.config.gemini_invalid_key_status)
        self.keys = KeyTable()

    # ---- per-credential scripts ------------------------------------------------------------

    def script_key(
        self,
        api_key: str,
        status: int = 429,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        times: int | None = None,
        *,
        mode: KeyMode = "error",
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Requests carrying `api_key` (after the usual credential check) get this, whatever
        their model scripts; see `KeyScript`. Replaces the key's earlier script."""
        script = KeyScript(
            mode=mode,
            status=status,
            headers=dict(headers or {}),
            body=body_bytes(body),
            retry_after=retry_after,
            delay=delay,
            times=times,
        )
        self.keys.set(api_key, script)

    def clear_scripts(self, api_key: str | None = None) -> None:
        """Forget the script of `api_key`, or of every key."""
        self.keys.clear(api_key)

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    # ---- the app ---------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._generate(self.chat))
        app.router.add_post("/v1/responses", self._generate(self.responses))
        app.router.add_post("/v1/messages", self._generate(self.anthropic))
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_post(r"/{version:v1beta|v1}/models/{target}", self._gemini)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1beta/models", self._models)
        return app

    def _issue(self, fmt: WireFormat) -> Callable[[str], str]:
        def issue(thinking: str) -> str:
            signature = fmt.signature(next(self._counter))
            if signature:
                self.issued_signatures[signature] = thinking
            return signature

        return issue

    async def _begin(self, request: web.Request, fmt: WireFormat) -> tuple[RecordedRequest, Any]:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()}
            if self.config.record
            else {},
            raw=raw,
            body=body,
            format=fmt.name,
            api_key=request_key(request),
        )
        if self.config.record:
            self._add(record)
        return record, body

    def _failure(self, record: RecordedRequest, failure: Failure) -> web.Response:
        record.status = failure.status
        record.finished, record.finished_at = True, time.monotonic()
        self._touch()
        return web.Response(status=failure.status, body=failure.body, headers=failure.headers)

    def _generate(self, fmt: WireFormat) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, fmt)

        return handler

    async def _gemini(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["target"].rpartition(":")[2]
        if action == "countTokens":
            return await self._count(request, self.gemini, _gemini_count_target, self.gemini.count)
        if action not in ("generateContent", "streamGenerateContent"):
            record, _ = await self._begin(request, self.gemini)
            return self._failure(record, self.gemini.error(404, f"Unknown method {action}.", 1))
        return await self._handle(request, self.gemini)

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        def answer(tokens: int) -> bytes:
            return dumps({"input_tokens": tokens})

        return await self._count(request, self.anthropic, lambda body: body, answer)

    async def _count(
        self,
        request: web.Request,
        fmt: WireFormat,
        target: Callable[[Any], Any],
        answer: Callable[[int], bytes],
    ) -> web.StreamResponse:
        """A count-tokens call: checked like a generate call, `error-<status>` honoured."""
        record, body = await self._begin(request, fmt)
        failure = fmt.authenticate(request, self.config.api_keys)
        if failure:
            return self._failure(record, failure)
        record.model = fmt.model(request, body if isinstance(body, dict) else {})
        keyed = await self._keyed(request, record, fmt)
        if keyed is not None:
            return keyed
        status = parse_script(record.model).error_status
        if status:
            return self._failure(record, fmt.error(status, None, self.config.retry_after_seconds))
        return self._ok(record, answer(count_tokens(target(body))))

    def _ok(self, record: RecordedRequest, body: bytes) -> web.Response:
        record.status = 200
        record.finished, record.finished_at = True, time.monotonic()
        self._touch()
        return web.Response(body=body, headers=JSON_HEADERS)

    async def _models(self, request: web.Request) -> web.StreamResponse:
        headers = request.headers
        now = int(time.time())
        models = self.config.models
        data: list[dict[str, Any]]
        if (
            request.path.startswith("/v1beta")
            or "x-goog-api-key" in headers
            or "key" in request.query
        ):
            fmt: WireFormat = self.gemini
            body = models_list(models)
        elif "anthropic-version" in headers:
            fmt = self.anthropic
            data = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in models
            ]
            first, last = (models[0], models[-1]) if models else (None, None)
            body = dumps({"data": data, "has_more": False, "first_id": first, "last_id": last})
        else:
            fmt = self.chat
            data = [
                {"id": m, "object": "model", "created": now, "owned_by": "mock"} for m in models
            ]
            body = dumps({"object": "list", "data": data})
        record, _ = await self._begin(request, fmt)
        failure = fmt.authenticate(request, self.config.api_keys)
        return self._failure(record, failure) if failure else self._ok(record, body)

    async def _handle(self, request: web.Request, fmt: WireFormat) -> web.StreamResponse:
        record, body = await self._begin(request, fmt)
        failure = fmt.authenticate(request, self.config.api_keys)
        if failure:
            return self._failure(record, failure)
        if not isinstance(body, dict):
            return self._failure(record, fmt.error(400, "The request body is not valid JSON.", 1))
        model = record.model = fmt.model(request, body)
        script = parse_script(model)
        stream = record.stream = fmt.is_stream(request, body)
        keyed = await self._keyed(request, record, fmt)
        if keyed is not None:
            return keyed
        if script.error_status:
            status = script.error_status
            return self._failure(record, fmt.error(status, None, self.config.retry_after_seconds))
        refusal = fmt.refusal(body, script)
        if refusal is not None:
            return self._failure(record, refusal)
        for signature, thinking in fmt.echoes(body):
            issued = self.issued_signatures.get(signature)
            matched = issued is not None and (thinking is None or thinking == issued)
            record.signature_echoes.append(SignatureEcho(fmt.name, signature, matched))
        conv = fmt.conversation(body)
        reply = plan(
            model,
            script,
            conv,
            count_tokens(body),
            self._issue(fmt),
            fmt.sign_tool_calls,
            self.config.tool_arguments,
        )
        opts = fmt.options(request, body)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if script.slow_first_byte_ms:
                await asyncio.sleep(script.slow_first_byte_ms / 1000)
            if stream or script.stall or script.reset:
                return await self._stream(request, record, fmt, reply, opts, script, stream)
            record.status = 200
            record.finished, record.finished_at = True, time.monotonic()
            self._touch()
            return web.Response(
                body=self._rendered(fmt, reply, opts, False)[0], headers=JSON_HEADERS
            )
        except asyncio.CancelledError:
            self._gone(record)
            raise
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _keyed(
        self, request: web.Request, record: RecordedRequest, fmt: WireFormat
    ) -> web.StreamResponse | None:
        """The answer the request's key is scripted to get; None: answer as usual."""
        script = self.keys.take(record.api_key)
        if script is None:
            return None
        record.keyed = script.mode
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if script.delay:
                await asyncio.sleep(script.delay)
            if script.mode == "stall":
                await asyncio.Event().wait()  # until the client goes away (or the mock stops)
        except asyncio.CancelledError:
            self._gone(record)
            raise
        finally:
            if task is not None:
                self._tasks.discard(task)
        if script.mode == "ok":
            return None
        if script.mode == "reset":
            self._touch()  # `keyed` says what happened; no response went out
            _reset(request)
            raise asyncio.CancelledError  # nothing more to send: aiohttp ends the handler
        if script.body is None:
            retry_after = script.retry_after or self.config.retry_after_seconds
            built = fmt.error(script.status, None, retry_after)
            headers = _merged(built.headers, script.headers)
            failure = Failure(script.status, built.body, headers)
        else:
            headers = _merged({"Content-Type": "application/json"}, script.headers)
            failure = Failure(script.status, script.body, headers)
        return self._failure(record, failure)

    def _rendered(
        self, fmt: WireFormat, reply: Reply, opts: Options, stream: bool
    ) -> tuple[bytes, list[bytes], bytes]:
        """The response bytes with a fresh id (also returned); cached while the reply carries no
        signature."""
        key = (fmt.name, reply, opts)
        hit = self._cache.get(key)
        if hit is None or (stream and hit[1] is None):
            events = fmt.events(reply, opts) if stream else None
            hit = (fmt.render(reply, opts), events)
            if not reply.signature:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = hit
        fresh = os.urandom(12).hex().encode()
        events = [e.replace(ID_BYTES, fresh) for e in hit[1]] if hit[1] is not None else []
        return hit[0].replace(ID_BYTES, fresh), events, fresh

    def _gone(self, record: RecordedRequest) -> None:
        if not self._closing and not record.finished:
            record.disconnected, record.disconnected_at = True, time.monotonic()
            self._touch()

    async def _stream(
        self,
        request: web.Request,
        record: RecordedRequest,
        fmt: WireFormat,
        reply: Reply,
        opts: Options,
        script: Script,
        stream: bool,
    ) -> web.StreamResponse:
        whole, events, fresh = self._rendered(fmt, reply, opts, True)
        if not stream:
            events = [whole[: len(whole) // 2], whole[len(whole) // 2 :]]
        headers = fmt.stream_headers if stream else JSON_HEADERS
        if fmt is self.gemini and not opts.sse:
            headers = JSON_HEADERS
        response = web.StreamResponse(status=200, headers=headers)
        record.status = 200
        cut = max(1, len(events) // 2)  # "a few events": always before the terminal ones
        try:
            await response.prepare(request)
            if script.stall:
                await self._send(response, record, events[:1])
                await asyncio.Event().wait()  # until the client goes away (or the mock stops)
            if script.reset:
                await self._send(response, record, events[:cut])
                await asyncio.sleep(0.05)  # let the kernel deliver them before the RST
                _reset(request)
                return response
            if script.midstream_error:
                error = fmt.midstream_error(reply, opts, cut).replace(ID_BYTES, fresh)
                events = [*events[:cut], error]
            await self._send(response, record, events)
            await response.write_eof()
        except ConnectionError:  # the client went away mid-write
            self._gone(record)
            return response
        record.finished, record.finished_at = True, time.monotonic()
        self._touch()
        return response

    async def _send(
        self, response: web.StreamResponse, record: RecordedRequest, events: list[bytes]
    ) -> None:
        for event in events:
            await response.write(event)
            record.events_sent += 1

    # ---- running ---------------------------------------------------------------------------

    async def start_async(self) -> None:
        """Start serving on the running loop (for callers that own a loop)."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(
            self.build_app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        self.port = _bound_port(runner)

    async def stop_async(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until `request_stop()`; `on_ready()` runs once the port is bound."""
        await self.start_async()
        assert self._stop is not None
        try:
            if on_ready is not None:
                on_ready()
            await self._stop.wait()
        finally:
            await self.stop_async()

    def request_stop(self) -> None:
        """Ask `serve_forever` to stop; callable from any thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already finished
                self._loop.call_soon_threadsafe(self._stop.set)

    def start(self) -> None:
        """Serve from a background thread with its own event loop; returns once listening."""
        ready = threading.Event()

        def run() -> None:
            try:
                asyncio.run(self.serve_forever(ready.set))
            except BaseException as exc:
                self._error = exc
            finally:
                ready.set()

        self._error = None
        self._thread = threading.Thread(target=run, name="mock-upstream", daemon=True)
        self._thread.start()
        if not ready.wait(30) or self._error is not None:
            error, self._error = self._error, None
            self.stop()
            raise RuntimeError("the mock upstream failed to start") from error

    def stop(self) -> None:
        """Stop the background server; raises if its loop died of an error."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        error, self._error = self._error, None
        if error is not None:
            raise RuntimeError("the mock upstream's event loop failed") from error


def _gemini_count_target(body: Any) -> Any:
    """countTokens takes `contents` or a whole `generateContentRequest`."""
    return body.get("generateContentRequest", body) if isinstance(body, dict) else None


def _merged(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """`base` with `extra` over it, names compared case-insensitively; "" in `extra` removes."""
    names = {name.lower() for name in extra}
    merged = {name: value for name, value in base.items() if name.lower() not in names}
    merged.update((name, value) for name, value in extra.items() if value != "")
    return merged


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the mock upstream has no bound TCP address")


def _reset(request: web.Request) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0), mid-response."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@contextlib.contextmanager
def run_mock(config: MockConfig | None = None) -> Iterator[MockUpstream]:
    """`with run_mock(cfg) as mock:` a started mock on 127.0.0.1, stopped cleanly on exit."""
    mock = MockUpstream(config)
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()
