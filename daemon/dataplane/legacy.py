"""`POST /v1/completions`, the legacy prompt API, served through chat completions: the prompt
becomes one user message, and chat output is rewritten as `text_completion` objects."""

from __future__ import annotations

from typing import Any

import orjson

from daemon.asgi import Message, Receive, Scope, Send
from daemon.dataplane.body import model_of, parse_json_body
from daemon.dataplane.pipeline import Call
from daemon.dataplane.plane import DataPlane
from daemon.errors import InvalidRequest
from daemon.formats.sse import SSEParser, encode_event
from daemon.model import WireFormat

# Fields only the legacy API has; none has a chat equivalent worth faking.
LEGACY_ONLY = ("prompt", "echo", "suffix", "best_of", "logprobs")


def chat_body_from_legacy(body: dict[str, Any]) -> dict[str, Any]:
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        if len(prompt) != 1 or not isinstance(prompt[0], str):
            raise InvalidRequest("this proxy serves one string prompt per request", param="prompt")
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise InvalidRequest("'prompt' is required and must be a string", param="prompt")
    chat = {k: v for k, v in body.items() if k not in LEGACY_ONLY}
    chat["messages"] = [{"role": "user", "content": prompt}]
    return chat


def completion_from_chat(chat: dict[str, Any], chunk: bool) -> dict[str, Any]:
    choices = []
    for choice in chat.get("choices") or []:
        source = choice.get("delta" if chunk else "message") or {}
        choices.append(
            {
                "text": source.get("content") or "",
                "index": choice.get("index", 0),
                "logprobs": None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    out: dict[str, Any] = {
        "id": chat.get("id", ""),
        "object": "text_completion",
        "created": chat.get("created", 0),
        "model": chat.get("model", ""),
        "choices": choices,
    }
    if chat.get("usage") is not None or not chunk:
        out["usage"] = chat.get("usage")
    return out


class LegacySend:
    """Wraps `send`: rewrites chat responses (whole or streamed) into legacy completions."""

    def __init__(self, send: Send, stream: bool) -> None:
        self._send = send
        self._stream = stream
        self._start: Message | None = None
        self._status = 200
        self._buffer: list[bytes] = []
        self._parser = SSEParser()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
            if self._stream and self._status == 200:
                await self._send(message)
            else:
                self._start = message
            return
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self._start is None:  # streaming
            if more and body.startswith(b":") and self._parser.at_boundary:
                await self._send(message)  # the proxy's keep-alive comment, for this client too
                return
            out = b"".join(self._rewrite_event(e.data) for e in self._parser.feed(body))
            if not more:
                out += b"".join(self._rewrite_event(e.data) for e in self._parser.close())
            await self._send({"type": "http.response.body", "body": out, "more_body": more})
            return
        self._buffer.append(body)
        if more:
            return
        whole = b"".join(self._buffer)
        if self._status == 200:
            whole = orjson.dumps(completion_from_chat(orjson.loads(whole), chunk=False))
        headers = [(k, v) for k, v in self._start["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(whole)).encode()))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": whole})

    def _rewrite_event(self, data: str) -> bytes:
        if data == "[DONE]":
            return encode_event(data)
        parsed = orjson.loads(data)
        if "choices" not in parsed:
            return encode_event(data)  # an error object passes unchanged
        return encode_event(orjson.dumps(completion_from_chat(parsed, chunk=True)).decode())


class LegacyCompletions:
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await parse_json_body(scope, receive, self.plane.state.settings.max_body_size_mb)
        chat = chat_body_from_legacy(body)
        stream = bool(body.get("stream"))
        call = Call(
            client_format=WireFormat.OPENAI_CHAT,
            body=chat,
            model=model_of(body),
            stream=stream,
            headers=scope["state"]["headers"],
        )
        await self.plane.pipeline.generate(call, receive, LegacySend(send, stream))
