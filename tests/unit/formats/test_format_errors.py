"""Error bodies of each format: encode the canonical error, decode upstream bodies of any shape."""

from __future__ import annotations

from typing import Any, get_args

import orjson
import pytest

from daemon.formats.anthropic import errors as anthropic
from daemon.formats.gemini import errors as gemini
from daemon.formats.openai_chat import errors as openai
from daemon.formats.openai_responses import errors as responses
from daemon.formats.status import STATUS_OF_KIND
from daemon.model import ApiError, ErrorKind

KINDS: list[ErrorKind] = list(get_args(ErrorKind))
MODULES = [openai, anthropic, gemini]
MODULE_IDS = ["openai", "anthropic", "gemini"]

# Kinds a format cannot tell apart on the wire (they share a type name or status name).
LOSSY = {
    (anthropic, "bad_gateway"),  # api_error, 502 → server_error
    (gemini, "bad_gateway"),  # UNAVAILABLE → overloaded
    (gemini, "request_too_large"),  # INVALID_ARGUMENT → invalid_request
}


def api_error(kind: ErrorKind, **fields: Any) -> ApiError:
    return ApiError(kind=kind, message=f"{kind} happened", status=STATUS_OF_KIND[kind], **fields)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


# --------------------------------------------------------------------------- shared behaviour


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_encodes_to_json(module: Any, kind: ErrorKind) -> None:
    body = module.encode_error(api_error(kind))
    assert orjson.loads(orjson.dumps(body)) == body
    assert "happened" in orjson.dumps(body).decode()


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_encode_then_decode_keeps_message_and_status(module: Any, kind: ErrorKind) -> None:
    error = api_error(kind)
    decoded = module.decode_error(error.status, dumps(module.encode_error(error)))
    assert decoded.message == error.message
    assert decoded.status == error.status
    assert decoded.kind == kind or (module, kind) in LOSSY


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "invalid_request"), (401, "authentication"), (404, "not_found"),
     (429, "rate_limit"), (500, "server_error"), (502, "bad_gateway"), (503, "overloaded"),
     (529, "overloaded"), (418, "invalid_request")],
)  # fmt: skip
@pytest.mark.parametrize(
    "body",
    [b"", b"<html>Bad Gateway</html>", b"not json {", b"null", b"[]", b"42", b'"text"',
     b'{"message": "top-level message"}', b'{"error": null}', b'{"error": 5}',
     b'{"detail": {"error": "x"}}'],
)  # fmt: skip
def test_bodies_of_another_shape_fall_back_to_the_status(
    module: Any, status: int, kind: ErrorKind, body: bytes
) -> None:
    decoded = module.decode_error(status, body)
    assert decoded.kind == kind
    assert decoded.status == status
    assert decoded.message  # never empty
    if body:
        assert decoded.message == body.decode()[:500]
    else:
        assert decoded.message == f"upstream returned HTTP {status}"


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_long_bodies_are_cut_and_bad_utf8_is_replaced(module: Any) -> None:
    decoded = module.decode_error(502, b"\xff" + b"x" * 2000)
    assert decoded.message.startswith("\ufffd")
    assert len(decoded.message) == 500


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_an_error_object_with_an_empty_message_keeps_the_raw_body(module: Any) -> None:
    body = b'{"error": {"message": ""}}'
    assert module.decode_error(500, body).message == body.decode()


# --------------------------------------------------------------------------- OpenAI


def test_openai_encode() -> None:
    error = api_error("invalid_request", code="model_not_found", param="model")
    assert openai.encode_error(error) == {
        "error": {
            "message": "invalid_request happened",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }


def test_responses_uses_the_openai_error_object() -> None:
    assert responses.encode_error is openai.encode_error
    assert responses.decode_error is openai.decode_error


def test_openai_decode_reads_code_and_param() -> None:
    body = {"error": {"message": "m", "type": "x", "param": "messages", "code": 123}}
    decoded = openai.decode_error(400, dumps(body))
    assert (decoded.message, decoded.param, decoded.code) == ("m", "messages", "123")


@pytest.mark.parametrize(
    ("status", "err_type", "kind"),
    [
        (400, "authentication_error", "authentication"),  # a vague 400 is refined by type
        (400, "insufficient_quota", "rate_limit"),
        (0, "rate_limit_error", "rate_limit"),  # no status (a stream error): type decides
        (400, "something_new", "invalid_request"),
        (429, "insufficient_quota", "rate_limit"),
        (401, "invalid_request_error", "authentication"),  # a precise status wins over type
        (500, "invalid_request_error", "server_error"),
    ],
)
def test_openai_type_refines_only_a_vague_status(status: int, err_type: str, kind: str) -> None:
    body = {"error": {"message": "m", "type": err_type}}
    assert openai.decode_error(status, dumps(body)).kind == kind


def test_openai_decode_of_a_string_error() -> None:
    decoded = openai.decode_error(403, dumps({"error": "Forbidden region"}))
    assert decoded.message == "Forbidden region"
    assert decoded.kind == "permission"


# --------------------------------------------------------------------------- Anthropic


def test_anthropic_encode() -> None:
    assert anthropic.encode_error(api_error("overloaded")) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "overloaded happened"},
    }


@pytest.mark.parametrize(
    ("err_type", "kind"),
    [
        ("overloaded_error", "overloaded"),
        ("api_error", "server_error"),
        ("rate_limit_error", "rate_limit"),
        ("request_too_large", "request_too_large"),
        ("timeout_error", "timeout"),
        ("permission_error", "permission"),
    ],
)
def test_anthropic_type_decides_the_kind(err_type: str, kind: str) -> None:
    body = {"type": "error", "error": {"type": err_type, "message": "m"}}
    assert anthropic.decode_error(500, dumps(body)).kind == kind


def test_anthropic_unknown_type_falls_back_to_the_status() -> None:
    body = {"type": "error", "error": {"type": "brand_new_error", "message": "m"}}
    decoded = anthropic.decode_error(529, dumps(body))
    assert (decoded.kind, decoded.message) == ("overloaded", "m")


def test_anthropic_decode_of_an_openai_shaped_body_keeps_the_message() -> None:
    body = {"error": {"message": "from openai", "type": "invalid_request_error"}}
    decoded = anthropic.decode_error(400, dumps(body))
    assert (decoded.kind, decoded.message) == ("invalid_request", "from openai")


# --------------------------------------------------------------------------- Gemini


def test_gemini_encode_without_and_with_retry() -> None:
    assert gemini.encode_error(api_error("not_found")) == {
        "error": {"code": 404, "message": "not_found happened", "status": "NOT_FOUND"}
    }
    body = gemini.encode_error(api_error("rate_limit", retry_after=1.5))
    assert body["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
    ]


def test_gemini_retry_delay_round_trips() -> None:
    body = dumps(gemini.encode_error(api_error("rate_limit", retry_after=30)))
    decoded = gemini.decode_error(429, body)
    assert decoded.retry_after == 30.0
    assert decoded.kind == "rate_limit"


def test_gemini_decode_of_a_real_quota_error() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Quota exceeded",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
            ],
        }
    }
    decoded = gemini.decode_error(429, dumps(body))
    assert (decoded.kind, decoded.message, decoded.retry_after) == (
        "rate_limit",
        "Quota exceeded",
        17.0,
    )


def test_gemini_decode_inside_a_one_element_array() -> None:
    body = [{"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}]
    decoded = gemini.decode_error(503, dumps(body))
    assert (decoded.kind, decoded.message) == ("overloaded", "busy")


@pytest.mark.parametrize(
    "details",
    [
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"}],
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "5m"}],
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo"}],
        ["not a dict"],
        None,
    ],
)
def test_gemini_odd_details_give_no_retry(details: Any) -> None:
    body = {"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}}
    body["error"]["details"] = details
    decoded = gemini.decode_error(429, dumps(body))
    assert decoded.retry_after is None
    assert decoded.message == "m"


@pytest.mark.parametrize(
    ("status_name", "kind"),
    [("FAILED_PRECONDITION", "invalid_request"), ("DEADLINE_EXCEEDED", "timeout"),
     ("PERMISSION_DENIED", "permission"), ("SOMETHING_ELSE", "server_error")],
)  # fmt: skip
def test_gemini_status_name_decides_the_kind(status_name: str, kind: str) -> None:
    body = {"error": {"code": 500, "message": "m", "status": status_name}}
    assert gemini.decode_error(500, dumps(body)).kind == kind
