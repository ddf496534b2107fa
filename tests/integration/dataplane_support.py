"""Shared by the data-plane integration tests: one mock upstream and one real daemon (started
with `cliproxyctl start` in private folders) per test module, and the official SDK clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from tests.support.daemon import CLIENT_KEY, Sandbox, base_config, make_sandbox
from tests.support.mock_upstream import DEFAULT_KEY, MockConfig, MockUpstream, run_mock

# The upstream families, each reached through its own config section.
FAMILIES = ("openai-compatible", "claude", "gemini", "codex")
# What the mock records about a request of each family: its path and wire format.
UPSTREAM_PATH = {
    "openai-compatible": "/v1/chat/completions",
    "claude": "/v1/messages",
    "gemini": "/v1beta/models/",
    "codex": "/v1/responses",
}
UPSTREAM_FORMAT = {
    "openai-compatible": "openai-chat",
    "claude": "anthropic",
    "gemini": "gemini",
    "codex": "openai-responses",
}


def providers_config(mock_url: str, aliases: dict[str, list[tuple[str, str]]]) -> str:
    """The four provider sections against the mock. `aliases[family]` lists (upstream, alias)
    pairs; a family without any serves its default catalogue and pattern (claude-*, gemini-*,
    gpt-*); the openai-compatible entry also serves anything as `oc/<upstream id>`."""

    def models(family: str) -> str:
        pairs = aliases.get(family)
        if not pairs:
            return ""
        inner = ", ".join(f'{{name = "{name}", alias = "{alias}"}}' for name, alias in pairs)
        return f"models = [{inner}]\n"

    key = f'api-key = "{DEFAULT_KEY}"'
    return f"""
[[openai-compatibility]]
name = "mockchat"
base-url = "{mock_url}/v1"
prefix = "oc"
api-key-entries = [{{{key}}}]
{models("openai-compatible")}
[[claude-api-key]]
{key}
base-url = "{mock_url}"
{models("claude")}
[[gemini-api-key]]
{key}
base-url = "{mock_url}"
{models("gemini")}
[[codex-api-key]]
{key}
base-url = "{mock_url}/v1"
{models("codex")}
"""


@dataclass
class Daemon:
    """A running daemon and SDK clients for it (one of each, closed with the daemon)."""

    box: Sandbox
    listen: str
    _clients: dict[str, Any] = field(default_factory=dict)

    def logs(self) -> str:
        return self.box.cli("logs", "-n", "80").stdout

    def status(self) -> dict[str, Any]:
        return self.box.status()

    def openai(self) -> openai.OpenAI:
        if "openai" not in self._clients:
            self._clients["openai"] = openai.OpenAI(
                base_url=f"{self.listen}/v1", api_key=CLIENT_KEY, max_retries=0
            )
        client: openai.OpenAI = self._clients["openai"]
        return client

    def anthropic(self) -> anthropic.Anthropic:
        if "anthropic" not in self._clients:
            self._clients["anthropic"] = anthropic.Anthropic(
                base_url=self.listen, api_key=CLIENT_KEY, max_retries=0
            )
        client: anthropic.Anthropic = self._clients["anthropic"]
        return client

    def genai(self) -> genai.Client:
        if "genai" not in self._clients:
            options = genai_types.HttpOptions(base_url=self.listen, retry_options=None)
            self._clients["genai"] = genai.Client(api_key=CLIENT_KEY, http_options=options)
        client: genai.Client = self._clients["genai"]
        return client

    def http(self) -> httpx.Client:
        """A new raw client (close it: use it in a with block)."""
        return httpx.Client(
            base_url=self.listen, headers={"authorization": f"Bearer {CLIENT_KEY}"}, timeout=20
        )

    def close_clients(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    with run_mock(MockConfig()) as upstream:
        yield upstream


def start_daemon(tmp_path_factory: pytest.TempPathFactory, config: str) -> Iterator[Daemon]:
    """Start one daemon with `config` (the text after the base keys); stopped afterwards.

    Cooling is off: these modules test API shapes with scripted upstream errors, and one
    test's 401 must not cool the credential the next test uses (test_routing.py tests that)."""
    for box in make_sandbox(tmp_path_factory.mktemp("daemon")):
        box.write_config(base_config(extra="disable-cooling = true\n" + config))
        started = box.cli("start")
        assert started.returncode == 0, started.stderr
        daemon = Daemon(box, str(box.status()["listen"]))
        try:
            yield daemon
        finally:
            daemon.close_clients()
