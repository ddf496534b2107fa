"""OpenAI error objects: `{"error": {"message", "type", "param", "code"}}` (chat and responses)."""

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
    "request_too_large": "invalid_request_error",
    "rate_limit": "rate_limit_error",
    "server_error": "server_error",
    "bad_gateway": "server_error",
    "overloaded": "server_error",
    "timeout": "server_error",
}

_KIND_OF_TYPE: dict[str, ErrorKind] = {
    "invalid_request_error": "invalid_request",
    "authentication_error": "authentication",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limit",
    "insufficient_quota": "rate_limit",
}


def encode_error(error: ApiError) -> dict[str, Any]:
    """The error body an OpenAI client expects."""
    return {
        "error": {
            "message": error.message,
            "type": _TYPE_OF_KIND[error.kind],
            "param": error.param,
            "code": error.code,
        }
    }


def decode_error(status: int, body: bytes) -> ApiError:
    """Read an OpenAI-shaped error body; anything else becomes a kind from the status."""
    message, kind, code, param = "", kind_from_status(status), None, None
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(inner, dict):
        message = str(inner.get("message") or "")
        err_type = inner.get("type")
        # The status decides the kind; the type refines it only where the status is vague.
        if isinstance(err_type, str) and status in (400, 0) and err_type in _KIND_OF_TYPE:
            kind = _KIND_OF_TYPE[err_type]
        raw_code = inner.get("code")
        code = str(raw_code) if raw_code is not None else None
        raw_param = inner.get("param")
        param = str(raw_param) if raw_param is not None else None
    elif isinstance(inner, str):
        message = inner
    if not message:
        message = body.decode("utf-8", "replace")[:500] or f"upstream returned HTTP {status}"
    return ApiError(kind=kind, message=message, status=status, code=code, param=param)
