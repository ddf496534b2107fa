"""A CLIProxyAPI config.yaml as its users have it loads cleanly; secrets() finds every secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import EXAMPLE_API_KEYS, KNOWN_PASSTHROUGH, ConfigError, load_config

FIXTURE = Path(__file__).parents[2] / "fixtures" / "config" / "cliproxyapi-config.yaml"
ENV = {"HOME": "/home/cpa"}


def test_cliproxyapi_config_loads_without_warnings() -> None:
    loaded = load_config(FIXTURE, ENV)
    assert loaded.warnings == []
    assert loaded.source == FIXTURE


def test_cliproxyapi_config_is_also_clean_in_strict_mode() -> None:
    assert load_config(FIXTURE, ENV, strict=True).warnings == []


def test_cliproxyapi_values() -> None:
    s = load_config(FIXTURE, ENV).settings
    assert s.host == "0.0.0.0"  # CLIProxyAPI's "" = every interface
    assert s.port == 8317
    assert s.auth_dir == "/home/cpa/.cli-proxy-api"
    assert s.api_keys == ("client-key-alpha", "client-key-beta")
    assert s.logs_max_total_size_mb == 100  # CLIProxyAPI's 0 falls back to the default cap
    assert s.ws_auth is True
    assert s.request_log is False
    assert s.tls.enable is False
    assert s.tls.cert is None
    assert s.remote_management.secret_key == "mgmt-secret-123"
    assert [e.api_key for e in s.gemini_api_key] == ["AIzaSy-gemini-one", "AIzaSy-gemini-two"]
    gemini = s.gemini_api_key[0]
    assert gemini.weight == 5
    assert gemini.prefix == "test"
    assert gemini.models[0].alias == "gemini-flash"
    assert gemini.models[0].extra["display-name"] == "Gemini Flash"
    assert gemini.extra["request-scoped-errors"][0]["action"] == "stop"
    assert s.codex_api_key[0].proxy_url == "direct"
    assert s.claude_api_key[1].priority == 2
    assert s.claude_api_key[1].extra["cloak"]["mode"] == "auto"
    compat = s.openai_compatibility[0]
    assert compat.name == "openrouter"
    assert compat.prefix == "or"
    assert [e.api_key for e in compat.api_key_entries] == ["sk-or-v1-first", "sk-or-v1-second"]
    assert compat.api_key_entries[0].weight == 5
    assert compat.extra == {"disabled": False, "support-prompt-cache-key": False}
    assert s.vertex_api_key[0].base_url == "https://example.com/api"
    assert s.oauth_model_alias["antigravity"][0].fork is True
    assert s.oauth_excluded_models["codex"] == ("gpt-5-codex-mini",)
    assert s.routing.session_affinity_ttl == 3600.0
    assert s.extra["pprof"] == {"enable": False, "addr": "127.0.0.1:8316"}
    assert set(s.extra) <= KNOWN_PASSTHROUGH
    assert {"payload", "ampcode", "plugins", "codex", "streaming"} <= set(s.extra)


def test_secrets_finds_every_secret() -> None:
    secrets = load_config(FIXTURE, ENV).settings.secrets()
    expected = {
        "client-key-alpha",
        "client-key-beta",
        "mgmt-secret-123",
        "proxy-pass-999",  # the password inside the global proxy-url
        "AIzaSy-gemini-one",
        "AIzaSy-gemini-two",
        "sk-codex-secret",
        "sk-ant-official",
        "sk-ant-gateway",
        "Bearer header-token-777",  # an Authorization header value, and its token
        "header-token-777",
        "sk-or-v1-first",
        "sk-or-v1-second",
        "vk-vertex-123",
        "amp-upstream-secret",  # a secret among the raw CLIProxyAPI keys
    }
    assert set(secrets) == expected
    assert len(secrets) == len(expected)
    # Longest first, so that masking a key never leaves part of a longer one visible.
    assert [len(s) for s in secrets] == sorted((len(s) for s in secrets), reverse=True)
    assert "" not in secrets
    assert "custom-value" not in secrets
    assert "proxyuser" not in secrets


def test_secrets_include_entry_proxy_passwords(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "claude-api-key:\n  - api-key: sk\n    proxy-url: http://u:entry-pw@p:1\n"
        "openai-compatibility:\n  - name: x\n    api-key-entries:\n"
        "      - api-key: ok\n        proxy-url: socks5://u:compat-pw@p:2\n",
        encoding="utf-8",
    )
    secrets = load_config(path, {}).settings.secrets()
    assert set(secrets) == {"sk", "entry-pw", "ok", "compat-pw"}


@pytest.mark.parametrize("key", sorted(EXAMPLE_API_KEYS))
def test_sample_file_keys_are_kept_for_the_safe_mode_check(tmp_path: Path, key: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f'api-keys:\n  - "{key}"\n', encoding="utf-8")
    assert set(load_config(path, {}).settings.api_keys) & EXAMPLE_API_KEYS == {key}


def test_streaming_keepalive_seconds_is_the_stream_keep_alive(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("streaming:\n  keepalive-seconds: 20\n  bootstrap-retries: 1\n")
    assert load_config(path, ENV).settings.stream_keepalive_seconds == 20.0
    path.write_text("stream-keepalive-seconds: 5\nstreaming:\n  keepalive-seconds: 20\n")
    assert load_config(path, ENV).settings.stream_keepalive_seconds == 5.0  # ours wins
    path.write_text("streaming:\n  keepalive-seconds: 0\n")
    assert load_config(path, ENV).settings.stream_keepalive_seconds == 0.0  # off, as in CPA
    path.write_text("streaming:\n  keepalive-seconds: soon\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: streaming\.keepalive-seconds"):
        load_config(path, ENV)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("request-log: true\n", "request-log"),
        ("commercial-mode: true\nrequest-log: true\n", "request-log, commercial-mode"),
        ("request-log: false\nnonstream-keepalive-interval: 30\nws-auth: true\n", None),
    ],
)
def test_switches_that_do_nothing_here_are_named_once(
    tmp_path: Path, text: str, named: str | None
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    warnings = load_config(path, ENV).warnings
    if named is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and "no effect in cliproxy yet" in warnings[0]
        assert named in warnings[0]
