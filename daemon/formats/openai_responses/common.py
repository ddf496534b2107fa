"""Shared helpers of the Responses codec: field validation, stable ids, usage, markers.

Markers. Wire fields the model does not carry go in `extra` at the level they appeared. What the
codec itself must remember for a lossless same-format round trip (content given as a string, a
message item without `type`, which part began a new output item, ...) goes under the single key
`MARK` ("_responses") of that `extra`; the encoder reads it and never writes it to the wire.
"""

from __future__ import annotations

import hashlib
from typing import Any

from daemon.errors import InvalidRequest
from daemon.model import Usage, WireFormat, wire_fields

FMT = WireFormat.OPENAI_RESPONSES
MARK = "_responses"


def fail(field: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {problem}", param=field)


def as_dict(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(field, "must be an object")
    return value


def as_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(field, "must be an array")
    return value


def path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def req_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise fail(path(where, key), "is required and must be a string")
    return value


def opt_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise fail(path(where, key), "must be a string")
    return value


def opt_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(path(where, key), "must be an integer")
    return value


def opt_float(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path(where, key), "must be a number")
    return float(value) if isinstance(value, float) else value


def opt_bool(obj: dict[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise fail(path(where, key), "must be a boolean")
    return value


def rest(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The fields of `obj` this codec does not model."""
    return {k: v for k, v in obj.items() if k not in known}


def marker(extra: dict[str, Any]) -> dict[str, Any]:
    found = extra.get(MARK)
    return found if isinstance(found, dict) else {}


def wire_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` without private keys (the marker, any "_" key, "carrier"): what goes on the wire."""
    return wire_fields(extra)


def stable_id(prefix: str, *seeds: str) -> str:
    """A deterministic item id derived from content (same input, same id)."""
    digest = hashlib.blake2b(digest_size=16)
    for seed in seeds:
        digest.update(seed.encode())
        digest.update(b"\0")
    return prefix + digest.hexdigest()


def joined_tool_name(namespace: str, name: str) -> str:
    """The flat canonical name of a function inside a Codex `namespace` tool.

    Codex namespaces end in "__" (e.g. "mcp__github__"); others get "__" added in between.
    The encoder maps back through the tool table, never by splitting the string.
    """
    if namespace.endswith("__"):
        return namespace + name
    return f"{namespace}__{name}"


# --------------------------------------------------------------------------- usage


def decode_usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    in_details = raw.get("input_tokens_details")
    out_details = raw.get("output_tokens_details")
    cached = in_details.get("cached_tokens") if isinstance(in_details, dict) else None
    written = in_details.get("cache_write_tokens") if isinstance(in_details, dict) else None
    reasoning = out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None
    return Usage(
        input_tokens=lenient_int(raw.get("input_tokens")),
        output_tokens=lenient_int(raw.get("output_tokens")),
        cached_tokens=lenient_int(cached),
        cache_creation_tokens=lenient_int(written),
        reasoning_tokens=lenient_int(reasoning),
    )


def encode_usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def lenient_int(value: Any) -> int:
    """An integer field of an upstream event or body; 0 for anything else (absent, bool, …)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def data_url(media_type: str | None, data: str) -> str:
    return f"data:{media_type or 'application/octet-stream'};base64,{data}"


def split_data_url(url: str) -> tuple[str, str] | None:
    """(media_type, base64 data) of a `data:` URL in base64, else None."""
    if not url.startswith("data:"):
        return None
    head, sep, payload = url[5:].partition(",")
    if not sep or not head.endswith(";base64"):
        return None
    return head[: -len(";base64")] or "application/octet-stream", payload
