"""daemon.providers.claude: Messages and count_tokens requests."""

from __future__ import annotations

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.claude import DEFAULT_VERSION, ClaudeProvider

PROVIDER = ClaudeProvider()
CREDENTIAL = Credential(
    id="claude-api-key[0]",
    family="claude",
    api_key="sk-ant-secret",
    base_url="https://api.anthropic.com",
    headers={"X-Team": "red"},
)
BODY = {
    "model": "sonnet",
    "max_tokens": 1024,
    "stream": True,
    "system": [{"type": "text", "text": "be brief"}],
    "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"name": "t", "input_schema": {"type": "object"}}],
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "metadata": {"user_id": "u"},
    "temperature": 0.5,
}


def test_identity() -> None:
    assert PROVIDER.family == "claude"
    assert PROVIDER.wire_format is WireFormat.ANTHROPIC


def test_messages_request_defaults() -> None:
    request = PROVIDER.build_request(
        CREDENTIAL, "claude-sonnet-4-5", BODY, stream=True, client_headers={}
    )
    assert request.url == "https://api.anthropic.com/v1/messages"
    assert request.method == "POST"
    assert request.stream is True
    assert request.headers["x-api-key"] == "sk-ant-secret"
    assert request.headers["anthropic-version"] == DEFAULT_VERSION == "2023-06-01"
    assert "anthropic-beta" not in request.headers
    assert "authorization" not in request.headers
    assert request.headers["x-team"] == "red"
    assert request.headers["accept"] == "text/event-stream"
    sent = orjson.loads(request.body)
    assert sent["model"] == "claude-sonnet-4-5"
    assert sent["stream"] is True
    assert sent["metadata"] == {"user_id": "u"}


def test_client_version_and_betas_pass_through() -> None:
    client = {"Anthropic-Version": "2024-01-01", "anthropic-beta": "a-1,b-2", "x-api-key": "no"}
    request = PROVIDER.build_request(
        CREDENTIAL, "m", {"messages": []}, stream=False, client_headers=client
    )
    assert request.headers["anthropic-version"] == "2024-01-01"
    assert request.headers["anthropic-beta"] == "a-1,b-2"
    assert request.headers["x-api-key"] == "sk-ant-secret"  # never the client's key
    assert orjson.loads(request.body) == {"messages": [], "model": "m"}


def test_custom_base_url() -> None:
    credential = Credential(
        id="claude-api-key[1]", family="claude", api_key="k", base_url="https://gw.example/api"
    )
    request = PROVIDER.build_request(credential, "m", {}, stream=False, client_headers={})
    assert request.url == "https://gw.example/api/v1/messages"


def test_count_tokens_keeps_only_what_the_endpoint_accepts() -> None:
    request = PROVIDER.build_count_tokens(
        CREDENTIAL, "claude-sonnet-4-5", BODY, client_headers={"anthropic-beta": "x"}
    )
    assert request is not None
    assert request.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert request.stream is False
    assert request.headers["x-api-key"] == "sk-ant-secret"
    assert request.headers["anthropic-beta"] == "x"
    assert request.headers["accept"] == "application/json"
    sent = orjson.loads(request.body)
    assert sent == {
        "model": "claude-sonnet-4-5",
        "system": BODY["system"],
        "messages": BODY["messages"],
        "tools": BODY["tools"],
        "thinking": BODY["thinking"],
    }


def test_key_is_not_in_the_request_repr() -> None:
    request = PROVIDER.build_request(CREDENTIAL, "m", {}, stream=False, client_headers={})
    assert "sk-ant-secret" not in repr(request)
    assert "sk-ant-secret" not in repr(CREDENTIAL)
