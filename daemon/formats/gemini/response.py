"""Gemini `GenerateContentResponse` ⇄ canonical `Response` (plus finish reasons and usage).

- Only `candidates[0]` is translated; further candidates are kept for a Gemini client only.
- The Code Assist envelope `{response: {...}, traceId}` is unwrapped (traceId stands in for a
  missing responseId).
- Usage: input = promptTokenCount (cached included), output = candidatesTokenCount +
  thoughtsTokenCount, reasoning = thoughtsTokenCount, cached = cachedContentTokenCount.
- What this codec keeps for a Gemini client lives under `Response.extra["_gemini"]`, and is
  used (with the parts' extras) only when `Response.source_format` is Gemini, so extras another
  format's decoder left on a response never leak into a Gemini body.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from daemon.errors import UpstreamFailed
from daemon.formats.gemini._wire import as_dict, as_list, opt_int, split
from daemon.formats.gemini.part_decode import PartDecoder, settle
from daemon.formats.gemini.part_encode import PartEncoder
from daemon.formats.reasoning import restore_carriers
from daemon.model import ApiError, Part, Response, StopReason, ToolCallPart, Usage, WireFormat

GEMINI = WireFormat.GEMINI

NS = "_gemini"  # Response.extra namespace of this codec
_BODY_KEYS = frozenset(
    {"candidates", "promptFeedback", "usageMetadata", "modelVersion", "responseId"}
)
_CANDIDATE_KEYS = frozenset({"content", "finishReason"})
_CONTENT_KEYS = frozenset({"role", "parts"})
_USAGE_KEYS = frozenset(
    {"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount"}
    | {"cachedContentTokenCount", "totalTokenCount"}
)
_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
    | {"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}
)
_FINISH_OF_STOP: dict[str, str] = {
    "stop": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "refusal": "SAFETY",
    "error": "OTHER",
}


def bad_upstream(message: str) -> Exception:
    return UpstreamFailed(
        ApiError(kind="bad_gateway", message=f"malformed Gemini response: {message}", status=502)
    )


# --------------------------------------------------------------------------- shared pieces


def unwrap(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Strip the Code Assist envelope; returns (inner response, traceId)."""
    inner = body.get("response")
    if isinstance(inner, dict) and "candidates" not in body:
        trace = body.get("traceId")
        return inner, trace if isinstance(trace, str) else None
    return body, None


def response_id(body: dict[str, Any], trace: str | None) -> str:
    """responseId, else the envelope's traceId, else a digest of the body (stable ids)."""
    rid = body.get("responseId") or body.get("response_id") or trace
    if isinstance(rid, str) and rid:
        return rid
    return "gemini-" + hashlib.sha256(orjson.dumps(body)).hexdigest()[:24]


def stop_reason_of(finish: str | None, has_calls: bool) -> StopReason:
    if finish is None or finish == "STOP":
        return "tool_calls" if has_calls else "stop"
    if finish == "MAX_TOKENS":
        return "length"
    if finish in _FILTERED:
        return "content_filter"
    return "error"  # MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, LANGUAGE, OTHER, …


def finish_reason_for(stop: StopReason, original: Any = None, has_calls: bool = False) -> str:
    """Gemini's finishReason; the upstream's own value when it means the same thing."""
    if isinstance(original, str) and stop_reason_of(original, has_calls) == stop:
        return original
    return _FINISH_OF_STOP[stop]


def decode_usage(raw: Any, fail: Any = bad_upstream) -> tuple[Usage, dict[str, Any]]:
    found, extra = split(as_dict(raw, "usageMetadata", fail), _USAGE_KEYS)
    prompt = opt_int(found.get("promptTokenCount"), "promptTokenCount", fail) or 0
    candidates = opt_int(found.get("candidatesTokenCount"), "candidatesTokenCount", fail) or 0
    thoughts = opt_int(found.get("thoughtsTokenCount"), "thoughtsTokenCount", fail) or 0
    cached = opt_int(found.get("cachedContentTokenCount"), "cachedContentTokenCount", fail) or 0
    usage = Usage(
        input_tokens=prompt,
        output_tokens=candidates + thoughts,
        cached_tokens=cached,
        reasoning_tokens=thoughts,
    )
    total = found.get("totalTokenCount")
    if total is not None and total != _total(usage, extra):
        extra["totalTokenCount"] = total
    return usage, extra


def encode_usage(usage: Usage, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": max(usage.output_tokens - usage.reasoning_tokens, 0),
        "totalTokenCount": _total(usage, extra or {}),
    }
    if usage.reasoning_tokens:
        out["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cached_tokens:
        out["cachedContentTokenCount"] = usage.cached_tokens
    if extra:
        out.update(extra)
    return out


def _total(usage: Usage, extra: dict[str, Any]) -> int:
    tool_prompt = extra.get("toolUsePromptTokenCount")
    return usage.total_tokens + (tool_prompt if isinstance(tool_prompt, int) else 0)


# --------------------------------------------------------------------------- decode


def decode_response(body: dict[str, Any]) -> Response:
    inner, trace = unwrap(as_dict(body, "response body", bad_upstream))
    found, extra = split(inner, _BODY_KEYS)
    rid = response_id(inner, trace)
    keep: dict[str, Any] = {"body": extra} if extra else {}
    if not (inner.get("responseId") or inner.get("response_id")):
        keep["noResponseId"] = True
    model = found.get("modelVersion")
    response = Response(id=rid, model=model if isinstance(model, str) else "")
    candidates = as_list(found.get("candidates") or [], "candidates", bad_upstream)
    finish: Any = None
    if candidates:
        cand, cand_extra = split(
            as_dict(candidates[0], "candidates[0]", bad_upstream), _CANDIDATE_KEYS
        )
        if cand_extra:
            keep["candidate"] = cand_extra
        if len(candidates) > 1:
            keep["candidates"] = candidates[1:]
        finish = cand.get("finishReason")
        if cand.get("content") is not None:
            response.parts = _content_parts(cand["content"], rid, keep)
    else:
        keep["noCandidate"] = True
    has_calls = any(isinstance(p, ToolCallPart) for p in response.parts)
    response.stop_reason = stop_reason_of(finish if isinstance(finish, str) else None, has_calls)
    feedback = found.get("promptFeedback")
    if isinstance(feedback, dict):
        keep["promptFeedback"] = feedback
        if feedback.get("blockReason") and not candidates:
            response.stop_reason = "content_filter"
    if finish is not None and finish != finish_reason_for(response.stop_reason, None):
        keep["finishReason"] = finish
    if found.get("usageMetadata") is not None:
        response.usage, usage_extra = decode_usage(found["usageMetadata"])
        if usage_extra:
            keep["usageMetadata"] = usage_extra
    if keep:
        response.extra[NS] = keep
    response.source_format = GEMINI
    return response


def _content_parts(raw: Any, rid: str, keep: dict[str, Any]) -> list[Part]:
    content, content_extra = split(
        as_dict(raw, "candidates[0].content", bad_upstream), _CONTENT_KEYS
    )
    if content_extra:
        keep["content"] = content_extra
    decoder = PartDecoder(rid, bad_upstream)
    parts: list[Part] = []
    opaque: list[list[Any]] = []
    for i, raw_part in enumerate(as_list(content.get("parts") or [], "parts", bad_upstream)):
        part = decoder.decode(raw_part, f"candidates[0].content.parts[{i}]")
        if part is None:
            opaque.append([len(parts), raw_part])
        else:
            parts.append(part)
    if opaque:
        keep["opaqueParts"] = opaque
    return restore_carriers(settle(parts))


# --------------------------------------------------------------------------- encode


def encode_response(response: Response) -> dict[str, Any]:
    same = response.source_format == GEMINI
    keep: dict[str, Any] = (response.extra.get(NS) or {}) if same else {}
    encoder = PartEncoder(request=False, pass_extra=same)
    parts = encoder.encode_turn(response.parts, "parts")
    for position, raw in keep.get("opaqueParts", []):
        parts.insert(min(position, len(parts)), raw)
    has_calls = any("functionCall" in p for p in parts)
    body: dict[str, Any] = {}
    if not keep.get("noCandidate"):
        content: dict[str, Any] = {"role": "model", "parts": parts}
        content.update(keep.get("content") or {})
        candidate: dict[str, Any] = {
            "content": content,
            "finishReason": finish_reason_for(
                response.stop_reason, keep.get("finishReason"), has_calls
            ),
        }
        for key, value in (keep.get("candidate") or {}).items():
            candidate.setdefault(key, value)
        body["candidates"] = [candidate, *keep.get("candidates", [])]
    if "promptFeedback" in keep:
        body["promptFeedback"] = keep["promptFeedback"]
    body["usageMetadata"] = encode_usage(response.usage, keep.get("usageMetadata"))
    if response.model:
        body["modelVersion"] = response.model
    if response.id and not keep.get("noResponseId"):
        body["responseId"] = response.id
    for key, value in (keep.get("body") or {}).items():
        body.setdefault(key, value)
    return body
