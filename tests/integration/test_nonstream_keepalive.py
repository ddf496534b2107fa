"""`nonstream-keepalive-interval` through the real daemon: a slow non-stream answer starts early
and sends a newline each interval, which the official SDKs read past; a fast one is untouched."""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest

from tests.integration.dataplane_support import Daemon, mock, providers_config, start_daemon
from tests.support.mock_upstream import DEFAULT_KEY, MockUpstream

pytestmark = pytest.mark.integration
__all__ = ["mock"]

SLOW = "slow-first-byte-2300"  # the mock waits this long before its answer


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Daemon]:
    config = "nonstream-keepalive-interval = 1\n" + providers_config(mock.base_url, {})
    yield from start_daemon(tmp_path_factory, config)


def test_the_sdks_read_a_slow_answer_past_the_newlines(daemon: Daemon) -> None:
    chat = daemon.openai().chat.completions.create(
        model=f"oc/mock-{SLOW}", messages=[{"role": "user", "content": "hi"}]
    )
    assert chat.choices[0].message.content == "echo: hi"
    reply = daemon.anthropic().messages.create(
        model=f"claude-{SLOW}", max_tokens=32, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.content[0].type == "text" and reply.content[0].text == "echo: hi"


def test_the_newlines_come_each_interval_before_the_body(daemon: Daemon) -> None:
    body = {"model": f"oc/mock-{SLOW}", "messages": [{"role": "user", "content": "hi"}]}
    arrivals: list[tuple[float, bytes]] = []
    with daemon.http() as http, http.stream("POST", "/v1/chat/completions", json=body) as answer:
        started = time.monotonic()
        assert answer.status_code == 200
        for chunk in answer.iter_raw():
            arrivals.append((time.monotonic() - started, chunk))
    raw = b"".join(chunk for _, chunk in arrivals)
    assert raw.startswith(b"\n\n")  # one per second of the 2.3 s wait
    assert orjson.loads(raw)["choices"][0]["message"]["content"] == "echo: hi"
    assert arrivals[0][0] < 1.5  # the first newline did not wait for the answer


def test_an_error_after_the_early_start_comes_as_the_body(
    daemon: Daemon, mock: MockUpstream
) -> None:
    mock.script_key(DEFAULT_KEY, status=400, times=1, delay=1.6)
    body = {
        "model": "claude-plain",
        "max_tokens": 9,
        "messages": [{"role": "user", "content": "x"}],
    }
    with daemon.http() as http:
        answer = http.post("/v1/messages", json=body)
    mock.clear()
    assert answer.status_code == 200  # it had begun already
    error = orjson.loads(answer.content)
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"


def test_a_quick_error_keeps_its_status(daemon: Daemon) -> None:
    body = {"model": "oc/mock-error-429", "messages": [{"role": "user", "content": "hi"}]}
    with daemon.http() as http:
        answer = http.post("/v1/chat/completions", json=body)
    assert answer.status_code == 429
    assert not answer.content.startswith(b"\n")
