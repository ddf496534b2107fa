"""daemon.errors: the error family and render_error in each API's shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from daemon.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ModelNotFound,
    NotFound,
    PermissionDenied,
    ProxyError,
    RateLimited,
    RequestTooLarge,
    TranslationError,
    UpstreamFailed,
    render_error,
)
from daemon.model import ApiError, WireFormat

# (error, status, kind, OpenAI type, Anthropic type, Gemini status)
CASES: list[tuple[ProxyError, int, str, str, str, str]] = [
    (ProxyError("boom"), 500, "server_error", "server_error", "api_error", "INTERNAL"),
    (InvalidRequest("bad"), 400, "invalid_request", "invalid_request_error",
     "invalid_request_error", "INVALID_ARGUMENT"),
    (TranslationError("cannot"), 400, "invalid_request", "invalid_request_error",
     "invalid_request_error", "INVALID_ARGUMENT"),
    (ModelNotFound("m-x"), 400, "invalid_request", "invalid_request_error",
     "invalid_request_error", "INVALID_ARGUMENT"),
    (AuthenticationFailed("who"), 401, "authentication", "authentication_error",
     "authentication_error", "UNAUTHENTICATED"),
    (PermissionDenied("no"), 403, "permission", "permission_error", "permission_error",
     "PERMISSION_DENIED"),
    (NotFound("gone"), 404, "not_found", "not_found_error", "not_found_error", "NOT_FOUND"),
    (RequestTooLarge("big"), 413, "request_too_large", "invalid_request_error",
     "request_too_large", "INVALID_ARGUMENT"),
    (RateLimited("slow", retry_after=3), 429, "rate_limit", "rate_limit_error",
     "rate_limit_error", "RESOURCE_EXHAUSTED"),
    (UpstreamFailed(ApiError(kind="overloaded", message="busy", status=529)), 529, "overloaded",
     "server_error", "overloaded_error", "UNAVAILABLE"),
    (UpstreamFailed(ApiError(kind="timeout", message="slow", status=504)), 504, "timeout",
     "server_error", "timeout_error", "DEADLINE_EXCEEDED"),
    (UpstreamFailed(ApiError(kind="bad_gateway", message="bad", status=502)), 502,
     "bad_gateway", "server_error", "api_error", "UNAVAILABLE"),
]  # fmt: skip

IDS = [f"{type(c[0]).__name__}-{c[1]}" for c in CASES]


def rendered(wire_format: WireFormat, error: ProxyError) -> tuple[int, dict[str, str], Any]:
    status, headers, body = render_error(wire_format, error.to_api_error())
    return status, headers, orjson.loads(body)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_status_and_kind(case: tuple[ProxyError, int, str, str, str, str]) -> None:
    error, status, kind, *_ = case
    api = error.to_api_error()
    assert api.status == status
    assert api.kind == kind
    assert api.message == error.message


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("wire_format", [WireFormat.OPENAI_CHAT, WireFormat.OPENAI_RESPONSES])
def test_openai_shape(
    case: tuple[ProxyError, int, str, str, str, str], wire_format: WireFormat
) -> None:
    error, status, _, openai_type, _, _ = case
    got_status, headers, body = rendered(wire_format, error)
    assert got_status == status
    assert headers["content-type"] == "application/json"
    assert body == {
        "error": {
            "message": error.message,
            "type": openai_type,
            "param": error.param,
            "code": error.code,
        }
    }


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_anthropic_shape(case: tuple[ProxyError, int, str, str, str, str]) -> None:
    error, status, _, _, anthropic_type, _ = case
    got_status, _, body = rendered(WireFormat.ANTHROPIC, error)
    assert got_status == status
    assert body == {"type": "error", "error": {"type": anthropic_type, "message": error.message}}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gemini_shape(case: tuple[ProxyError, int, str, str, str, str]) -> None:
    error, status, _, _, _, gemini_status = case
    got_status, _, body = rendered(WireFormat.GEMINI, error)
    assert got_status == status
    inner = body["error"]
    assert inner["code"] == status
    assert inner["message"] == error.message
    assert inner["status"] == gemini_status
    if error.retry_after is None:
        assert "details" not in inner
    else:
        assert inner["details"] == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}
        ]


@pytest.mark.parametrize("wire_format", list(WireFormat))
def test_retry_after_header_only_when_known(wire_format: WireFormat) -> None:
    _, headers, _ = rendered(wire_format, NotFound("x"))
    assert "retry-after" not in headers
    _, headers, _ = rendered(wire_format, RateLimited("x", retry_after=3))
    assert headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("seconds", "header"), [(0, "1"), (0.2, "1"), (1.4, "1"), (1.6, "2"), (59.9, "60")]
)
def test_retry_after_is_whole_seconds_and_at_least_one(seconds: float, header: str) -> None:
    _, headers, _ = rendered(WireFormat.OPENAI_CHAT, RateLimited("x", retry_after=seconds))
    assert headers["retry-after"] == header


def test_model_not_found_names_the_model_with_code_and_param() -> None:
    error = ModelNotFound("gpt-nope")
    assert isinstance(error, InvalidRequest)
    assert "'gpt-nope'" in error.message
    _, _, body = rendered(WireFormat.OPENAI_CHAT, error)
    assert body["error"]["code"] == "model_not_found"
    assert body["error"]["param"] == "model"


def test_code_and_param_travel_on_any_error() -> None:
    error = InvalidRequest("bad temperature", code="bad_value", param="temperature")
    api = error.to_api_error()
    assert (api.code, api.param) == ("bad_value", "temperature")
    assert str(error) == "bad temperature"


def test_upstream_failed_passes_the_upstream_error_through() -> None:
    upstream = ApiError(
        kind="rate_limit", message="quota", status=429, code="q", param="p", retry_after=12.0
    )
    error = UpstreamFailed(upstream)
    assert isinstance(error, ProxyError)
    assert error.to_api_error() is upstream
    assert (error.message, error.code, error.param, error.retry_after) == ("quota", "q", "p", 12.0)
    status, headers, _ = render_error(WireFormat.ANTHROPIC, error.to_api_error())
    assert status == 429
    assert headers["retry-after"] == "12"


def test_translation_error_is_an_invalid_request() -> None:
    assert issubclass(TranslationError, InvalidRequest)
    assert TranslationError.status == 400
