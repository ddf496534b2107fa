"""Google API errors: `{"error": {"code", "message", "status", "details"}}`."""

from __future__ import annotations

import re
from typing import Any

import orjson

from daemon.formats.status import kind_from_status
from daemon.model import ApiError, ErrorKind

_STATUS_OF_KIND: dict[ErrorKind, str] = {
    "invalid_request": "INVALID_ARGUMENT",
    "authentication": "UNAUTHENTICATED",
    "permission": "PERMISSION_DENIED",
    "not_found": "NOT_FOUND",
    "request_too_large": "INVALID_ARGUMENT",
    "rate_limit": "RESOURCE_EXHAUSTED",
    "server_error": "INTERNAL",
    "bad_gateway": "UNAVAILABLE",
    "overloaded": "UNAVAILABLE",
    "timeout": "DEADLINE_EXCEEDED",
}

_KIND_OF_STATUS: dict[str, ErrorKind] = {
    "INVALID_ARGUMENT": "invalid_request",
    "FAILED_PRECONDITION": "invalid_request",
    "UNAUTHENTICATED": "authentication",
    "PERMISSION_DENIED": "permission",
    "NOT_FOUND": "not_found",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "INTERNAL": "server_error",
    "UNAVAILABLE": "overloaded",
    "DEADLINE_EXCEEDED": "timeout",
}

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


def encode_error(error: ApiError) -> dict[str, Any]:
    """The error body a Gemini client expects; a known retry delay rides in RetryInfo."""
    inner: dict[str, Any] = {
        "code": error.status,
        "message": error.message,
        "status": _STATUS_OF_KIND[error.kind],
    }
    if error.retry_after is not None:
        inner["details"] = [{"@type": _RETRY_INFO, "retryDelay": f"{error.retry_after:g}s"}]
    return {"error": inner}


def decode_error(status: int, body: bytes) -> ApiError:
    """Read a Google-shaped error body (also inside a one-element array, as streams send it)."""
    message, kind, retry_after = "", kind_from_status(status), None
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(inner, dict):
        message = str(inner.get("message") or "")
        status_name = inner.get("status")
        if isinstance(status_name, str) and status_name in _KIND_OF_STATUS:
            kind = _KIND_OF_STATUS[status_name]
        for detail in inner.get("details") or []:
            if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
                match = _DURATION.match(str(detail.get("retryDelay", "")))
                if match:
                    retry_after = float(match.group(1))
    if not message:
        message = body.decode("utf-8", "replace")[:500] or f"upstream returned HTTP {status}"
    return ApiError(kind=kind, message=message, status=status, retry_after=retry_after)
