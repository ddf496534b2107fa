"""Golden fixtures for every (client format, upstream format) pair, same-format included.

Each `tests/fixtures/formats/cross/<client>__<upstream>/` holds a client request (a second tool
turn whose history carries the first turn's reasoning as the client received it), an upstream
non-stream response and an upstream tool-call stream, with what the codecs must make of them.
Regenerate with `python -m tests.fixtures.formats.cross.regenerate`, then review the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from daemon.model import WireFormat
from tests.fixtures.formats.cross.regenerate import client_request

from .anthropic.test_anthropic_request import validate_sdk as validate_anthropic
from .cross_support import (
    CHECK_STREAM,
    PAIRS,
    decode_client_request,
    pair_name,
    translate_request,
    translate_response,
    translate_stream,
)
from .gemini.test_gemini_sdk import validate_request_body as validate_gemini
from .openai_chat.test_openai_chat_sdk import validate_request as validate_chat
from .openai_responses.test_openai_responses_request import validate_request as validate_responses

CROSS = Path(__file__).resolve().parents[2] / "fixtures" / "formats" / "cross"
IDS = [pair_name(c, u) for c, u in PAIRS]

VALIDATE_REQUEST: dict[WireFormat, Callable[[dict[str, Any]], None]] = {
    WireFormat.OPENAI_CHAT: validate_chat,
    WireFormat.OPENAI_RESPONSES: validate_responses,
    WireFormat.ANTHROPIC: validate_anthropic,
    WireFormat.GEMINI: validate_gemini,
}


def _json(client: WireFormat, upstream: WireFormat, name: str) -> dict[str, Any]:
    data = orjson.loads((CROSS / pair_name(client, upstream) / name).read_bytes())
    assert isinstance(data, dict)
    return data


def _bytes(client: WireFormat, upstream: WireFormat, name: str) -> bytes:
    return (CROSS / pair_name(client, upstream) / name).read_bytes()


def test_every_pair_has_its_fixtures() -> None:
    names = {
        "request.json",
        "upstream_request.json",
        "upstream_response.json",
        "response.json",
        "upstream_stream.sse",
        "stream.sse",
    }
    folders = {p.name for p in CROSS.iterdir() if p.is_dir() and "__" in p.name}
    assert folders == set(IDS)
    for folder in folders:
        assert {p.name for p in (CROSS / folder).iterdir()} == names, folder


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_request(client: WireFormat, upstream: WireFormat) -> None:
    produced = translate_request(client, upstream, _json(client, upstream, "request.json"))
    assert produced == _json(client, upstream, "upstream_request.json")
    VALIDATE_REQUEST[upstream](orjson.loads(orjson.dumps(produced)))


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_response(client: WireFormat, upstream: WireFormat) -> None:
    produced = translate_response(
        client, upstream, _json(client, upstream, "upstream_response.json")
    )
    assert produced == _json(client, upstream, "response.json")


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_stream(client: WireFormat, upstream: WireFormat) -> None:
    request = decode_client_request(client, _json(client, upstream, "request.json"))
    produced = translate_stream(
        client, upstream, request, _bytes(client, upstream, "upstream_stream.sse")
    )
    assert produced.decode() == _bytes(client, upstream, "stream.sse").decode()
    CHECK_STREAM[client](produced)


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_the_request_holds_the_first_turn_as_the_client_received_it(
    client: WireFormat, upstream: WireFormat
) -> None:
    """request.json's history is the upstream's first answer encoded for the client: a change
    to any encode_response shows here as well."""
    assert client_request(client, upstream) == _json(client, upstream, "request.json")
