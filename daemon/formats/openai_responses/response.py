"""Responses `response` objects ⇄ canonical `Response`.

A `Response` decoded here has `source_format` openai_responses and carries the marker under
`extra["_responses"]`; the encoder honours both (and writes the other extras back) only for a
response of this format.
"""

from __future__ import annotations

from typing import Any

from daemon.formats import reasoning
from daemon.formats.openai_responses.common import (
    FMT,
    MARK,
    as_dict,
    as_list,
    decode_usage,
    encode_usage,
    fail,
    marker,
    opt_str,
    req_str,
    rest,
    wire_extra,
)
from daemon.formats.openai_responses.items_decode import (
    decode_function_call,
    decode_message_item,
    decode_reasoning,
)
from daemon.formats.openai_responses.items_encode import assistant_items
from daemon.model import Part, Response, StopReason, TextPart, ToolCallPart, Usage

_SET_BY_US = frozenset(
    {"id", "object", "created_at", "model", "status", "output", "usage", "incomplete_details"}
)


def stop_reason_of(status: Any, incomplete: Any, parts: list[Part]) -> StopReason:
    if status == "failed":
        return "error"
    if status == "incomplete":
        reason = incomplete.get("reason") if isinstance(incomplete, dict) else None
        return "content_filter" if reason == "content_filter" else "length"
    if any(isinstance(p, ToolCallPart) for p in parts):
        return "tool_calls"
    if any(isinstance(p, TextPart) and marker(p.extra).get("refusal") for p in parts):
        return "refusal"
    return "stop"


def status_of(stop_reason: StopReason) -> tuple[str, dict[str, Any] | None]:
    """(status, incomplete_details) for a canonical stop reason."""
    if stop_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if stop_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    if stop_reason == "error":
        return "failed", None
    return "completed", None


def decode_output_item(item: dict[str, Any], where: str) -> list[Part] | None:
    """The parts of one output item; None for an item kept raw."""
    kind = item.get("type")
    if kind == "message":
        _, parts, extra, opaque = decode_message_item(item, where)
        if opaque or not parts:
            return None
        item_mark = extra.pop(MARK, {})
        parts[0].extra[MARK] = {**parts[0].extra.get(MARK, {}), **item_mark, "item": extra}
        for later in parts[1:]:
            later.extra[MARK] = {**later.extra.get(MARK, {}), "cont": True}
        return list(parts)
    if kind == "function_call":
        return [decode_function_call(item, where)]
    if kind == "reasoning":
        return [decode_reasoning(item, where)]
    return None


def decode_response(body: dict[str, Any]) -> Response:
    body = as_dict(body, "response")
    parts: list[Part] = []
    raw_output: list[list[Any]] = []
    for i, entry in enumerate(as_list(body.get("output", []), "output")):
        item = as_dict(entry, f"output[{i}]")
        decoded = decode_output_item(item, f"output[{i}]")
        if decoded is None:
            raw_output.append([i, item])
        else:
            parts.extend(decoded)
    parts = reasoning.restore_carriers(parts)
    created = body.get("created_at")
    mark: dict[str, Any] = {
        "status": body.get("status"),
        "incomplete_details": body.get("incomplete_details"),
        "usage": body.get("usage"),
        "created_at": created,
    }
    if raw_output:
        mark["raw_output"] = raw_output
    mark["keys"] = list(body)
    error = body.get("error")
    response = Response(
        id=req_str(body, "id", ""),
        model=opt_str(body, "model", "") or "",
        parts=parts,
        stop_reason=stop_reason_of(body.get("status"), body.get("incomplete_details"), parts),
        usage=decode_usage(body.get("usage")),
        created=int(created) if isinstance(created, int | float) else None,
        source_format=FMT,
        extra={**rest(body, _SET_BY_US), MARK: mark},
    )
    if response.stop_reason == "error" and error is not None and not isinstance(error, dict):
        raise fail("error", "must be an object")
    return response


def envelope(
    response_id: str,
    model: str,
    created: int | None,
    status: str,
    output: list[dict[str, Any]],
    usage: Usage | None,
    incomplete: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `response` object, with the fields the SDK's `Response` model requires."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created or 0,
        "status": status,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": encode_usage(usage) if usage is not None else None,
    }


def encode_response(response: Response) -> dict[str, Any]:
    same = response.source_format == FMT
    mark = marker(response.extra) if same else {}
    output = assistant_items(response.parts, "response", same, {}, seed=response.id)
    for pos, raw in mark.get("raw_output", []) if same else []:
        output.insert(pos, raw)
    status, incomplete = status_of(response.stop_reason)
    error = None
    if status == "failed":
        error = {"code": "server_error", "message": "the upstream failed"}
    body = envelope(
        response.id, response.model, response.created, status, output, response.usage, incomplete
    )
    body["error"] = error
    if same:
        if stop_reason_of(mark.get("status"), mark.get("incomplete_details"), response.parts) == (
            response.stop_reason
        ):
            body["status"] = mark.get("status")
            body["incomplete_details"] = mark.get("incomplete_details")
        if decode_usage(mark.get("usage")) == response.usage:
            body["usage"] = mark.get("usage")
        body["created_at"] = mark.get("created_at")
        for key, value in wire_extra(response.extra).items():
            body[key] = value  # the upstream's own fields (error, tools, text, ...) win
        keys = mark.get("keys")
        if isinstance(keys, list):
            body = {key: body[key] for key in keys if key in body}
    return body


__all__ = ["FMT", "decode_response", "encode_response", "envelope", "status_of", "stop_reason_of"]
