"""Anthropic error objects: `{"type": "error", "error": {"type", "message"}}`."""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.status import kind_from_status
from daemon.model import ApiError, ErrorKind

_TYPE_OF_KIND: dict[ErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "request_too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "server_error": "api_error",
    "bad_gateway": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
}

_KIND_OF_TYPE: dict[str, ErrorKind] = {v: k for k, v in _TYPE_OF_KIND.items() if k != "bad_gateway"}
_KIND_OF_TYPE["api_error"] = "server_error"


def encode_error(error: ApiError) -> dict[str, Any]:
    """The error body an Anthropic client expects."""
    return {"type": "error", "error": {"type": _TYPE_OF_KIND[error.kind], "message": error.message}}


def decode_error(status: int, body: bytes) -> ApiError:
    """Read an Anthropic-shaped error body; anything else becomes a kind from the status."""
    message, kind = "", kind_from_status(status)
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(inner, dict):
        message = str(inner.get("message") or "")
        err_type = inner.get("type")
        if isinstance(err_type, str) and err_type in _KIND_OF_TYPE:
            kind = _KIND_OF_TYPE[err_type]
    if not message:
        message = body.decode("utf-8", "replace")[:500] or f"upstream returned HTTP {status}"
    return ApiError(kind=kind, message=message, status=status)
