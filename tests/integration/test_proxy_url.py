"""`proxy-url` for real, on loopback: a daemon whose provider entries reach the mock upstream
through the global SOCKS5 proxy (with username/password), a per-entry HTTP proxy (with Basic
credentials), or "direct" past the global proxy (tests/support/proxies.py); the proxies record
where they connected and the credentials they were offered, and the passwords stay out of the
CLI's logs and config output."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.integration.dataplane_support import Daemon, start_daemon
from tests.support.mock_upstream import MockConfig, MockUpstream, run_mock
from tests.support.proxies import HttpProxy, Socks5Proxy, run_http_proxy, run_socks5

pytestmark = pytest.mark.integration
pytest.importorskip("aiohttp_socks")

SOCKS_PASSWORD = "s0cks-pa55word-must-not-leak"
HTTP_PASSWORD = "http-pa55word-must-not-leak"
KEYS = {"socks": "sk-via-socks-0123456789", "http": "sk-via-http-0123456789",
        "direct": "sk-via-direct-0123456789"}  # fmt: skip


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    with run_mock(MockConfig(api_keys=tuple(KEYS.values()))) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def socks() -> Iterator[Socks5Proxy]:
    with run_socks5("suser", SOCKS_PASSWORD) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def http_proxy() -> Iterator[HttpProxy]:
    with run_http_proxy("huser", HTTP_PASSWORD) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def daemon(
    tmp_path_factory: pytest.TempPathFactory,
    mock: MockUpstream,
    socks: Socks5Proxy,
    http_proxy: HttpProxy,
) -> Iterator[Daemon]:
    base = f"http://127.0.0.1:{mock.port}/v1"

    def entry(name: str, proxy: str | None) -> str:
        extra = f', proxy-url = "{proxy}"' if proxy else ""
        return (
            f'[[openai-compatibility]]\nname = "{name}"\nbase-url = "{base}"\nprefix = "{name}"\n'
            f'api-key-entries = [{{api-key = "{KEYS[name]}"{extra}}}]\n'
        )

    config = "\n".join(
        [
            f'proxy-url = "{socks.url("socks5")}"',
            entry("socks", None),
            entry("http", http_proxy.url("http")),
            entry("direct", "direct"),
        ]
    )
    yield from start_daemon(tmp_path_factory, config)


def chat(client: openai.OpenAI, model: str, *, stream: bool) -> str:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "hi"}
    ]
    if not stream:
        answer = client.chat.completions.create(model=model, messages=messages)
        return answer.choices[0].message.content or ""
    with client.chat.completions.create(model=model, messages=messages, stream=True) as events:
        return "".join(e.choices[0].delta.content or "" for e in events if e.choices)


def keys_seen(mock: MockUpstream, since: int) -> list[str]:
    return [r.api_key for r in mock.requests[since:] if r.path == "/v1/chat/completions"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_global_socks_proxy_carries_entries_without_their_own(
    daemon: Daemon, mock: MockUpstream, socks: Socks5Proxy, http_proxy: HttpProxy, stream: bool
) -> None:
    before, up_before, http_before = len(mock.requests), socks.bytes_up, len(http_proxy.requests)
    assert chat(daemon.openai(), "socks/mock-model", stream=stream) == "echo: hi"
    assert keys_seen(mock, before) == [KEYS["socks"]]
    assert ("127.0.0.1", mock.port) in socks.targets
    assert ("suser", SOCKS_PASSWORD) in socks.auths
    assert socks.bytes_up > up_before
    assert len(http_proxy.requests) == http_before


@pytest.mark.parametrize("stream", [False, True])
def test_a_per_entry_http_proxy_overrides_the_global_one(
    daemon: Daemon, mock: MockUpstream, socks: Socks5Proxy, http_proxy: HttpProxy, stream: bool
) -> None:
    before, up_before, http_before = len(mock.requests), socks.bytes_up, len(http_proxy.requests)
    assert chat(daemon.openai(), "http/mock-model", stream=stream) == "echo: hi"
    assert keys_seen(mock, before) == [KEYS["http"]]
    assert http_proxy.requests[http_before:] == [
        ("POST", f"http://127.0.0.1:{mock.port}/v1/chat/completions")
    ]
    assert http_proxy.auths[http_before:] == [("huser", HTTP_PASSWORD)]
    assert socks.bytes_up == up_before
    # The proxy's credentials are for the proxy: the upstream never sees them.
    assert "proxy-authorization" not in mock.requests[-1].headers


@pytest.mark.parametrize("stream", [False, True])
def test_a_direct_entry_bypasses_the_global_proxy(
    daemon: Daemon, mock: MockUpstream, socks: Socks5Proxy, http_proxy: HttpProxy, stream: bool
) -> None:
    before, up_before, http_before = len(mock.requests), socks.bytes_up, len(http_proxy.requests)
    targets_before = len(socks.targets)
    assert chat(daemon.openai(), "direct/mock-model", stream=stream) == "echo: hi"
    assert keys_seen(mock, before) == [KEYS["direct"]]
    assert socks.bytes_up == up_before and len(socks.targets) == targets_before
    assert len(http_proxy.requests) == http_before


def test_the_proxy_passwords_stay_out_of_logs_and_config(
    daemon: Daemon, mock: MockUpstream, socks: Socks5Proxy, http_proxy: HttpProxy
) -> None:
    # Some traffic through each route first, so the logs have something to say.
    for model in ("socks/mock-model", "http/mock-model", "direct/mock-model"):
        assert chat(daemon.openai(), model, stream=False) == "echo: hi"
    logs = daemon.box.cli("logs", "--json", "-n", "1000")
    shown = daemon.box.cli("config", "show", "--json")
    assert logs.returncode == 0, logs.stderr
    assert shown.returncode == 0, shown.stderr
    assert f"127.0.0.1:{socks.port}" in shown.stdout
    assert f"127.0.0.1:{http_proxy.port}" in shown.stdout
    for output in (logs.stdout, logs.stderr, shown.stdout, shown.stderr):
        assert SOCKS_PASSWORD not in output
        assert HTTP_PASSWORD not in output
