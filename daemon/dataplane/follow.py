"""Which upstream events a pass-through stream must decode, per wire format.

A pass-through stream forwards the upstream's bytes untouched; decoding runs on the side only
for what the proxy must know: usage, the stop reason and errors. Decoding every text delta to
learn nothing costed about a fifth of a 20-event stream's CPU (bench/proxy/), so each format
names the few events that carry those facts, by their event name or a substring of their data.
Decoders tolerate the gaps: they synthesize what they did not see.
"""

from __future__ import annotations

from collections.abc import Callable

from daemon.formats.sse import SSEEvent
from daemon.model import WireFormat

Follow = Callable[[SSEEvent], bool]


def _chat(event: SSEEvent) -> bool:
    data = event.data
    if '"finish_reason":null' in data and '"usage":null' in data:
        return False  # the common content delta (compact JSON, as OpenAI sends it)
    return (
        '"usage":{' in data
        or '"usage": {' in data
        or '"finish_reason":"' in data
        or '"finish_reason": "' in data
        or '"error"' in data
    )


_ANTHROPIC_EVENTS = frozenset({"message_start", "message_delta", "message_stop", "error"})


def _anthropic(event: SSEEvent) -> bool:
    return event.event in _ANTHROPIC_EVENTS or (event.event is None and '"error"' in event.data)


_RESPONSES_TERMINAL = ("response.completed", "response.incomplete", "response.failed", "error")


def _responses(event: SSEEvent) -> bool:
    if event.event is not None:
        return event.event in _RESPONSES_TERMINAL or event.event == "response.created"
    return any(f'"type":"{name}"' in event.data for name in _RESPONSES_TERMINAL)


def _gemini(event: SSEEvent) -> bool:
    data = event.data
    return '"finishReason"' in data or '"error"' in data or '"usageMetadata"' in data


FOLLOW: dict[WireFormat, Follow] = {
    WireFormat.OPENAI_CHAT: _chat,
    WireFormat.ANTHROPIC: _anthropic,
    WireFormat.OPENAI_RESPONSES: _responses,
    WireFormat.GEMINI: _gemini,
}
