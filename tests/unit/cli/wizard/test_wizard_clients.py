"""cliproxyctl.wizard.clients: the snippets that point each client at the proxy."""

from __future__ import annotations

import tomllib

from cliproxyctl.wizard.clients import client_howtos, proxy_base_url, render_howtos


def test_base_urls_reach_wildcard_listeners_on_loopback() -> None:
    assert proxy_base_url("127.0.0.1", 8317) == "http://127.0.0.1:8317"
    assert proxy_base_url("0.0.0.0", 1) == "http://127.0.0.1:1"
    assert proxy_base_url("", 1) == "http://127.0.0.1:1"
    assert proxy_base_url("::1", 2, tls=True) == "https://[::1]:2"
    assert proxy_base_url("proxy.lan", 3) == "http://proxy.lan:3"


def test_every_client_gets_the_settings_it_reads() -> None:
    howtos = {h.client: h.snippet for h in client_howtos("http://127.0.0.1:8317", "sk-KEY")}
    assert list(howtos) == [
        "Claude Code",
        "Codex CLI",
        "Gemini CLI",
        "OpenAI SDK",
        "Anthropic SDK",
        "curl",
    ]
    assert "export ANTHROPIC_BASE_URL=http://127.0.0.1:8317" in howtos["Claude Code"]
    assert "export ANTHROPIC_AUTH_TOKEN=sk-KEY" in howtos["Claude Code"]
    assert "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8317" in howtos["Gemini CLI"]
    assert "GEMINI_API_KEY=sk-KEY" in howtos["Gemini CLI"]
    assert 'base_url="http://127.0.0.1:8317/v1"' in howtos["OpenAI SDK"]
    assert (
        'Anthropic(base_url="http://127.0.0.1:8317", api_key="sk-KEY")' in howtos["Anthropic SDK"]
    )
    assert (
        howtos["curl"] == 'curl http://127.0.0.1:8317/v1/models -H "Authorization: Bearer sk-KEY"'
    )
    codex_toml, _, shell = howtos["Codex CLI"].partition("# shell:")
    codex = tomllib.loads(codex_toml)
    assert codex["model_provider"] == "cliproxy"
    assert codex["model_providers"]["cliproxy"] == {
        "name": "cliproxy",
        "base_url": "http://127.0.0.1:8317/v1",
        "wire_api": "responses",
        "env_key": "CLIPROXY_API_KEY",
    }
    assert "export CLIPROXY_API_KEY=sk-KEY" in shell


def test_rendering_indents_each_snippet_under_its_heading() -> None:
    text = render_howtos(client_howtos("http://h:1", "k")[:2])
    assert text.startswith("Claude Code (shell):\n    export ANTHROPIC_BASE_URL=http://h:1\n")
    assert "\n\nCodex CLI (" in text
    assert "\n\n    [model_providers.cliproxy]\n" in text  # blank lines stay blank
