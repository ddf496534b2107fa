"""HTTP status ⇄ canonical error kind, for errors whose body names no kind we know."""

from __future__ import annotations

from daemon.model import ErrorKind

STATUS_OF_KIND: dict[ErrorKind, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "request_too_large": 413,
    "rate_limit": 429,
    "server_error": 500,
    "bad_gateway": 502,
    "overloaded": 503,
    "timeout": 504,
}


_KIND_OF_STATUS: dict[int, ErrorKind] = {v: k for k, v in STATUS_OF_KIND.items()}


def kind_from_status(status: int) -> ErrorKind:
    """The nearest kind for a bare HTTP status."""
    if status in _KIND_OF_STATUS:
        return _KIND_OF_STATUS[status]
    if status == 529:
        return "overloaded"
    if status == 408:
        return "timeout"
    if status == 402:
        return "permission"
    if 400 <= status < 500:
        return "invalid_request"
    return "server_error"
