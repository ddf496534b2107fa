"""A well-formedness checker for Gemini streams, reusable by any test that produces one.

`check_stream(raw)` checks the SSE form (alt=sse); `check_array(raw)` the JSON-array form.
Rules: every chunk is a GenerateContentResponse or a final `{"error": {code, message, status}}`;
candidate content has role "model" and well-formed parts (exactly one data field; `thought` only
on text; functionCall has a name and object args); responseId / modelVersion stay constant; the
finishReason appears exactly once, on the last non-error chunk, with usageMetadata; nothing but an
error may follow it; the stream ends with a finishReason or an error.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.sse import SSEParser

_DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)
_ERROR_STATUSES = {
    "INVALID_ARGUMENT",
    "FAILED_PRECONDITION",
    "UNAUTHENTICATED",
    "PERMISSION_DENIED",
    "NOT_FOUND",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DEADLINE_EXCEEDED",
}
_USAGE_INTS = (
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


def check_stream(raw: bytes) -> None:
    """Assert `raw` is a well-formed Gemini SSE stream (alt=sse). Google ends lines with CRLF,
    the proxy's own additions (keep-alives, a closing error) with LF: SSE allows both, mixed."""
    parser = SSEParser()
    events = parser.feed(raw) + parser.close()
    assert raw.endswith((b"\n\n", b"\r\n\r\n")), "the last event is not terminated"
    for event in events:
        assert event.event is None, f"Gemini SSE has no event names, got {event.event!r}"
    check_chunks([orjson.loads(event.data) for event in events])


def check_array(raw: bytes) -> None:
    """Assert `raw` is a well-formed Gemini JSON-array stream (no alt=sse)."""
    parsed = orjson.loads(raw)
    assert isinstance(parsed, list), "the array stream is not a JSON array"
    check_chunks(parsed)


def check_chunks(chunks: list[Any]) -> None:
    assert chunks, "empty stream"
    finished = False
    ids: set[Any] = set()
    models: set[Any] = set()
    for n, chunk in enumerate(chunks):
        assert isinstance(chunk, dict), f"chunk {n} is not an object"
        if "error" in chunk:
            assert n == len(chunks) - 1, "an error chunk must be the last"
            _check_error(chunk)
            return
        assert not finished, f"chunk {n} follows the finishReason chunk"
        ids.add(chunk.get("responseId"))
        models.add(chunk.get("modelVersion"))
        assert set(chunk) <= {
            "candidates",
            "usageMetadata",
            "modelVersion",
            "responseId",
            "promptFeedback",
            "createTime",
        }, f"chunk {n} has unexpected keys {sorted(chunk)}"
        candidates = chunk.get("candidates")
        assert isinstance(candidates, list) and len(candidates) == 1, f"chunk {n} candidates"
        candidate = candidates[0]
        if "content" in candidate:
            _check_content(candidate["content"], n)
        if "usageMetadata" in chunk:
            _check_usage(chunk["usageMetadata"], n)
        if "finishReason" in candidate:
            assert isinstance(candidate["finishReason"], str)
            assert "usageMetadata" in chunk, "the finishReason chunk carries no usageMetadata"
            finished = True
        else:
            assert candidate.get("content", {}).get("parts"), f"chunk {n} says nothing"
    assert len(ids) == 1, f"responseId changes: {ids}"
    assert len(models) == 1, f"modelVersion changes: {models}"
    assert finished, "the stream ends without finishReason or error"


def _check_content(content: Any, n: int) -> None:
    assert isinstance(content, dict), f"chunk {n}: content is not an object"
    assert content.get("role") == "model", f"chunk {n}: content role is not 'model'"
    parts = content.get("parts")
    assert isinstance(parts, list), f"chunk {n}: parts is not a list"
    for part in parts:
        _check_part(part, n)


def _check_part(part: Any, n: int) -> None:
    assert isinstance(part, dict), f"chunk {n}: part is not an object"
    fields = [key for key in _DATA_FIELDS if key in part]
    assert len(fields) == 1, f"chunk {n}: part has data fields {fields}"
    if "thought" in part:
        assert part["thought"] is True and "text" in part, f"chunk {n}: bad thought part"
    if "thoughtSignature" in part:
        assert isinstance(part["thoughtSignature"], str)
        assert part["thoughtSignature"]
    if "text" in part:
        assert isinstance(part["text"], str)
    if "functionCall" in part:
        call = part["functionCall"]
        assert isinstance(call.get("name"), str) and call["name"], f"chunk {n}: call name"
        assert isinstance(call.get("args", {}), dict), f"chunk {n}: call args not an object"
        assert "id" not in call or isinstance(call["id"], str)


def _check_usage(usage: Any, n: int) -> None:
    assert isinstance(usage, dict), f"chunk {n}: usageMetadata is not an object"
    for key in _USAGE_INTS:
        if key in usage:
            assert isinstance(usage[key], int) and usage[key] >= 0, f"chunk {n}: {key}"


def _check_error(chunk: dict[str, Any]) -> None:
    error = chunk["error"]
    assert isinstance(error, dict), "error is not an object"
    assert isinstance(error.get("code"), int), "error.code is not an int"
    assert isinstance(error.get("message"), str), "error.message is not a string"
    assert error.get("status") in _ERROR_STATUSES, f"unknown error status {error.get('status')}"
