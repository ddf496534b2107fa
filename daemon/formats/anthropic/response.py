"""Anthropic Messages responses ⇄ canonical `Response`; stop reasons and usage, both ways.

Usage: canonical `input_tokens` counts every prompt token, so it is Anthropic's
input_tokens + cache_read_input_tokens + cache_creation_input_tokens; `cached_tokens` is
cache_read_input_tokens. Encoding subtracts them back out. `reasoning_tokens` ⇄
`output_tokens_details.thinking_tokens`.

Stop reasons: end_turn / stop_sequence / pause_turn → stop, max_tokens /
model_context_window_exceeded → length, tool_use → tool_calls, refusal → refusal. Encoding:
stop → end_turn (stop_sequence when one matched), length → max_tokens, tool_calls → tool_use,
refusal and content_filter → refusal, error → end_turn. A native value the inverse map would
not give back (pause_turn, model_context_window_exceeded) is kept in `extra["stop_reason"]`.
"""

from __future__ import annotations

from typing import Any

from daemon.errors import InvalidRequest
from daemon.formats.anthropic.blocks import (
    FMT,
    PartEncoder,
    decode_block,
    opt_str,
    put_extra,
    req_dict,
    req_list,
    req_str,
    rest,
)
from daemon.formats.reasoning import restore_carriers
from daemon.model import Response, StopReason, ToolResultPart, Usage

STOP_OF_NATIVE: dict[str, StopReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
}
NATIVE_OF_STOP: dict[StopReason, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "refusal": "refusal",
    "error": "end_turn",
}
_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def stop_of_native(value: str | None) -> StopReason:
    return STOP_OF_NATIVE.get(value or "end_turn", "stop")


def native_stop(stop: StopReason, stop_sequence: str | None, hint: Any = None) -> str:
    """The Anthropic stop_reason for a canonical one; `hint` is a native value to prefer."""
    if isinstance(hint, str) and STOP_OF_NATIVE.get(hint) == stop:
        return hint
    if stop == "stop" and stop_sequence is not None:
        return "stop_sequence"
    return NATIVE_OF_STOP[stop]


def _int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def decode_usage(raw: Any, into: Usage | None = None) -> Usage:
    """Anthropic usage → canonical; with `into`, fields present in `raw` update it."""
    usage = into if into is not None else Usage()
    if not isinstance(raw, dict):
        return usage
    present = {k for k in _USAGE_KEYS if isinstance(raw.get(k), int)}
    if present & {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}:
        cache_read = (
            _int(raw, "cache_read_input_tokens")
            if "cache_read_input_tokens" in present
            else usage.cached_tokens
        )
        cache_write = (
            _int(raw, "cache_creation_input_tokens")
            if "cache_creation_input_tokens" in present
            else usage.cache_creation_tokens
        )
        base = (
            _int(raw, "input_tokens")
            if "input_tokens" in present
            else usage.input_tokens - usage.cached_tokens - usage.cache_creation_tokens
        )
        usage.cached_tokens, usage.cache_creation_tokens = cache_read, cache_write
        usage.input_tokens = base + cache_read + cache_write
    if "output_tokens" in present:
        usage.output_tokens = _int(raw, "output_tokens")
    details = raw.get("output_tokens_details")
    if isinstance(details, dict) and isinstance(details.get("thinking_tokens"), int):
        usage.reasoning_tokens = details["thinking_tokens"]
    return usage


def encode_usage(usage: Usage) -> dict[str, Any]:
    uncached = usage.input_tokens - usage.cached_tokens - usage.cache_creation_tokens
    out: dict[str, Any] = {
        "input_tokens": max(0, uncached),
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
    }
    if usage.reasoning_tokens:
        out["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return out


def decode_response(body: dict[str, Any]) -> Response:
    body = req_dict(body, "response")
    content = req_list(body.get("content", []), "content")
    parts = [decode_block(b, f"content[{i}]") for i, b in enumerate(content)]
    if any(isinstance(p, ToolResultPart) for p in parts):
        raise InvalidRequest("content: a response cannot hold tool_result blocks")
    stop_raw = opt_str(body, "stop_reason", "response")
    stop = stop_of_native(stop_raw)
    known = ("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage")
    extra = rest(body, known)
    if stop_raw is not None and native_stop(stop, body.get("stop_sequence")) != stop_raw:
        extra["stop_reason"] = stop_raw
    usage_raw = body.get("usage")
    if isinstance(usage_raw, dict):
        extra["usage"] = rest(usage_raw, (*_USAGE_KEYS, "output_tokens_details"))
        details = usage_raw.get("output_tokens_details")
        if isinstance(details, dict):  # thinking_tokens is carried unless it is 0
            kept = (
                rest(details, ("thinking_tokens",)) if details.get("thinking_tokens") else details
            )
            if kept:
                extra["usage"]["output_tokens_details"] = kept
    return Response(
        id=req_str(body, "id", "response"),
        model=req_str(body, "model", "response"),
        parts=restore_carriers(parts),
        stop_reason=stop,
        stop_sequence=opt_str(body, "stop_sequence", "response"),
        usage=decode_usage(usage_raw),
        source_format=FMT,
        extra=extra,
    )


def encode_response(response: Response) -> dict[str, Any]:
    """Extras (and the native stop_reason hint) are written back only for an Anthropic
    response; another format's response gets the plain Anthropic shape."""
    native = response.source_format == FMT
    enc = PartEncoder(native=native, for_client=True)
    extra = response.extra if native else {}
    out: dict[str, Any] = {
        "id": response.id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": enc.assistant(response.parts),
        "stop_reason": native_stop(
            response.stop_reason, response.stop_sequence, extra.get("stop_reason")
        ),
        "stop_sequence": response.stop_sequence,
        "usage": encode_usage(response.usage),
    }
    return put_extra(out, extra)
