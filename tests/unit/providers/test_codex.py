"""daemon.providers.codex: OpenAI Responses requests with an API key."""

from __future__ import annotations

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.codex import DEFAULT_BASE_URL, CodexProvider

PROVIDER = CodexProvider()
CREDENTIAL = Credential(
    id="codex-api-key[0]", family="codex", api_key="sk-proj-secret", base_url=DEFAULT_BASE_URL
)


def test_identity() -> None:
    assert PROVIDER.family == "codex"
    assert PROVIDER.wire_format is WireFormat.OPENAI_RESPONSES


def test_responses_request() -> None:
    body = {"model": "alias", "input": [{"role": "user", "content": "hi"}], "store": False}
    request = PROVIDER.build_request(
        CREDENTIAL,
        "gpt-5-codex",
        body,
        stream=True,
        client_headers={"authorization": "Bearer client-key"},
    )
    assert request.url == "https://api.openai.com/v1/responses"
    assert request.method == "POST"
    assert request.stream is True
    assert request.headers["authorization"] == "Bearer sk-proj-secret"
    assert request.headers["accept"] == "text/event-stream"
    assert orjson.loads(request.body) == {
        "model": "gpt-5-codex",
        "input": body["input"],
        "store": False,
        "stream": True,
    }


def test_no_count_tokens() -> None:
    assert PROVIDER.build_count_tokens(CREDENTIAL, "gpt-5", {}, client_headers={}) is None
