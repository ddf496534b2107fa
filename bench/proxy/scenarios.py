"""The fixed set-up of the bench and its scenarios: the requests the load sends, their checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[2]
MOCK_KEY = "sk-bench-upstream-key-0123456789"
CLIENT_KEY = "sk-bench-client-key-0123456789abcdef"
ANTHROPIC_VERSION = "2023-06-01"
PROXY_CORE = 0  # the daemon, or nginx
LOAD_CORE = 1  # the mock and wrk

DEFAULT_CONNECTIONS = 50
DEFAULT_DURATION = 8  # seconds of measured load per run (wrk takes whole seconds)
DEFAULT_WARMUP = 2
STREAM_EVENTS = 20
PLAIN_MODEL = "bench-plain"
STREAM_MODEL = f"bench-events-{STREAM_EVENTS}"  # the mock answers `events-<n>` with n deltas

# The targets of issue 4 (one daemon process) and the limits that hold for every scenario.
P99_TARGET_MS = 50.0
RSS_TARGET_MB = 80.0

TARGETS: tuple[str, ...] = ("direct", "nginx", "cliproxy")

# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    client: str  # "openai" or "anthropic": the format the load speaks
    stream: bool
    cpu_target_ms: float

    @property
    def path(self) -> str:
        return "/v1/chat/completions" if self.client == "openai" else "/v1/messages"

    @property
    def model(self) -> str:
        return STREAM_MODEL if self.stream else PLAIN_MODEL

    def body(self) -> bytes:
        """A small, realistic request: a system prompt and one user turn."""
        system = "You are a terse assistant. Answer in one short sentence."
        user = "Why would anyone put a local proxy in front of an LLM API?"
        payload: dict[str, Any]
        if self.client == "openai":
            payload = {
                "model": self.model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                "max_tokens": 256,
                "temperature": 0.2,
            }
            if self.stream:
                payload["stream"] = True
                payload["stream_options"] = {"include_usage": True}
        else:
            payload = {
                "model": self.model,
                "max_tokens": 256,
                "system": system,
                "messages": [{"role": "user", "content": user}],
                "temperature": 0.2,
            }
            if self.stream:
                payload["stream"] = True
        return orjson.dumps(payload)

    def headers(self, key: str) -> dict[str, str]:
        """The request headers with `key` as the credential, in the client format's own way."""
        headers = {"Content-Type": "application/json"}
        if self.client == "openai":
            headers["Authorization"] = f"Bearer {key}"
        else:
            headers["x-api-key"] = key
            headers["anthropic-version"] = ANTHROPIC_VERSION
        return headers

    def check(self, status: int, body: bytes) -> str:
        """`"ok"`, or what is wrong with one answer to this scenario's request."""
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        try:
            if not self.stream:
                data = orjson.loads(body)
                if self.client == "openai":
                    text = data["choices"][0]["message"]["content"]
                else:
                    text = "".join(b.get("text", "") for b in data["content"])
                return "ok" if text else "empty text"
            deltas, done = stream_deltas(self.client, body)
        except (ValueError, KeyError, IndexError, TypeError) as error:
            return f"unparsable answer ({error}): {body[:200]!r}"
        if not done:
            return "stream without its terminal event"
        if deltas != STREAM_EVENTS:
            return f"{deltas} text deltas, expected {STREAM_EVENTS}"
        return "ok"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("openai", "OpenAI chat pass-through, non-stream", "openai", False, 0.45),
    Scenario(
        "openai-stream", f"OpenAI chat pass-through, {STREAM_EVENTS}-event stream", "openai", True,
        0.45,
    ),
    Scenario(
        "anthropic", "Anthropic client → OpenAI upstream, non-stream", "anthropic", False, 0.65
    ),
    Scenario(
        "anthropic-stream", f"Anthropic client → OpenAI upstream, {STREAM_EVENTS}-event stream",
        "anthropic", True, 1.0,
    ),
)  # fmt: skip


def stream_deltas(client: str, body: bytes) -> tuple[int, bool]:
    """(text delta events, terminal event seen) in an SSE answer of the `client` format."""
    deltas, done = 0, False
    for line in body.split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if client == "openai":
            if data == b"[DONE]":
                done = True
                continue
            event = orjson.loads(data)
            for choice in event.get("choices") or ():
                if (choice.get("delta") or {}).get("content"):
                    deltas += 1
        else:
            event = orjson.loads(data)
            kind = event.get("type")
            if kind == "content_block_delta" and event["delta"].get("type") == "text_delta":
                deltas += 1
            elif kind == "message_stop":
                done = True
    return deltas, done
