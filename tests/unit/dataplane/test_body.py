"""daemon.dataplane.body: the client's JSON body, its size limit and the model field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from daemon.asgi import Message, Receive, Scope
from daemon.dataplane.body import model_of, parse_json_body
from daemon.errors import InvalidRequest, RequestTooLarge

MIB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def scope_with(headers: Iterable[tuple[bytes, bytes]] = ()) -> Scope:
    return {"type": "http", "method": "POST", "path": "/v1/x", "headers": list(headers)}


def receiver(*chunks: bytes) -> tuple[Receive, list[int]]:
    """A receive() that hands out `chunks` (more_body on all but the last); counts the calls."""
    calls = [0]
    pending = list(chunks)

    async def receive() -> Message:
        calls[0] += 1
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return receive, calls


@pytest.mark.anyio
async def test_a_json_object_split_over_chunks_is_parsed() -> None:
    receive, _ = receiver(b'{"model": "m", ', b'"messages": []', b"}")
    assert await parse_json_body(scope_with(), receive, 1) == {"model": "m", "messages": []}


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"a": 1'])
async def test_invalid_json_is_a_400(raw: bytes) -> None:
    receive, _ = receiver(raw)
    with pytest.raises(InvalidRequest, match="not valid JSON") as caught:
        await parse_json_body(scope_with(), receive, 1)
    assert caught.value.status == 400


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null"])
async def test_a_body_that_is_not_an_object_is_a_400(raw: bytes) -> None:
    receive, _ = receiver(raw)
    with pytest.raises(InvalidRequest, match="must be a JSON object"):
        await parse_json_body(scope_with(), receive, 1)


@pytest.mark.anyio
async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    receive, calls = receiver(b"{}")
    scope = scope_with([(b"content-length", str(2 * MIB + 1).encode())])
    with pytest.raises(RequestTooLarge) as caught:
        await parse_json_body(scope, receive, 2)
    assert caught.value.status == 413
    assert "2 MiB" in caught.value.message
    assert calls[0] == 0


@pytest.mark.anyio
async def test_a_chunked_body_over_the_limit_is_refused_mid_way() -> None:
    piece = b" " * (MIB // 2)
    receive, calls = receiver(b"{", piece, piece, piece, b"}")
    with pytest.raises(RequestTooLarge):
        await parse_json_body(scope_with(), receive, 1)
    assert calls[0] == 3  # stopped at the chunk that crossed the limit


@pytest.mark.anyio
async def test_a_body_exactly_at_the_limit_is_accepted() -> None:
    padding = b" " * (MIB - 2)
    receive, _ = receiver(b"{" + padding + b"}")
    assert await parse_json_body(scope_with(), receive, 1) == {}


def test_model_of_returns_the_model() -> None:
    assert model_of({"model": "gpt-5(high)"}) == "gpt-5(high)"


@pytest.mark.parametrize("body", [{}, {"model": ""}, {"model": 5}, {"model": None}])
def test_model_of_refuses_a_missing_or_non_string_model(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        model_of(body)
    assert caught.value.param == "model"
    assert caught.value.status == 400
