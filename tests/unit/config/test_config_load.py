"""load_config: both syntaxes give the same Settings, defaults, raw passthrough keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import (
    ApiKeyEntry,
    ConfigError,
    ModelAlias,
    ModelEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    Settings,
    load_config,
)

FULL_TOML = """\
host = "0.0.0.0"
port = 9000
auth-dir = "~/auth"
api-keys = ["k1", "k2"]
debug = true
logging-to-file = true
logs-max-total-size-mb = 50
proxy-url = "socks5h://u:pw@127.0.0.1:1080"
request-retry = 5
max-retry-interval = 10
usage-statistics-enabled = true
force-model-prefix = true
drain-timeout = 12.5
max-body-size-mb = 64
ws-auth = true

[tls]
enable = true
cert = "/etc/c.pem"
key = "/etc/k.pem"

[routing]
strategy = "fill-first"
session-affinity = true
session-affinity-ttl = "1h30m"

[remote-management]
allow-remote = true
secret-key = "mgmt"
disable-control-panel = true

[[claude-api-key]]
api-key = "sk-a"
base-url = "https://api.example.com"
prefix = "team"
proxy-url = "direct"
headers = { X-Team = "a" }
excluded-models = ["claude-3-*"]
priority = 2
weight = 7
models = [{ name = "claude-sonnet", alias = "sonnet" }]

[[claude-api-key]]
api-key = "sk-b"

[[gemini-api-key]]
api-key = "g-1"

[[vertex-api-key]]
api-key = "v-1"
base-url = "https://vertex.example.com/api"

[[codex-api-key]]
api-key = "c-1"

[[openai-compatibility]]
name = "openrouter"
base-url = "https://openrouter.ai/api/v1"
prefix = "or"

[[openai-compatibility.api-key-entries]]
api-key = "or-1"
proxy-url = "http://proxy:8080"

[[openai-compatibility.api-key-entries]]
api-key = "or-2"

[[openai-compatibility.models]]
name = "kimi-k2:free"
alias = "kimi"

[oauth-model-alias]
codex = [{ name = "gpt-5", alias = "g5", fork = true }]

[oauth-excluded-models]
claude = ["claude-3-5-haiku"]
"""

FULL_YAML = """\
host: 0.0.0.0
port: 9000
auth-dir: ~/auth
api-keys: [k1, k2]
debug: true
logging-to-file: true
logs-max-total-size-mb: 50
proxy-url: socks5h://u:pw@127.0.0.1:1080
request-retry: 5
max-retry-interval: 10
usage-statistics-enabled: true
force-model-prefix: true
drain-timeout: 12.5
max-body-size-mb: 64
ws-auth: true
tls:
  enable: true
  cert: /etc/c.pem
  key: /etc/k.pem
routing:
  strategy: fill-first
  session-affinity: true
  session-affinity-ttl: 1h30m
remote-management:
  allow-remote: true
  secret-key: mgmt
  disable-control-panel: true
claude-api-key:
  - api-key: sk-a
    base-url: https://api.example.com
    prefix: team
    proxy-url: direct
    headers: {X-Team: a}
    excluded-models: ["claude-3-*"]
    priority: 2
    weight: 7
    models:
      - {name: claude-sonnet, alias: sonnet}
  - api-key: sk-b
gemini-api-key:
  - api-key: g-1
vertex-api-key:
  - api-key: v-1
    base-url: https://vertex.example.com/api
codex-api-key:
  - api-key: c-1
openai-compatibility:
  - name: openrouter
    base-url: https://openrouter.ai/api/v1
    prefix: or
    api-key-entries:
      - api-key: or-1
        proxy-url: http://proxy:8080
      - api-key: or-2
    models:
      - name: "kimi-k2:free"
        alias: kimi
oauth-model-alias:
  codex:
    - {name: gpt-5, alias: g5, fork: true}
oauth-excluded-models:
  claude: [claude-3-5-haiku]
"""

ENV = {"HOME": "/home/tester"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_and_yaml_give_equal_settings(tmp_path: Path) -> None:
    from_toml = load_config(write(tmp_path, "config.toml", FULL_TOML), ENV)
    from_yaml = load_config(write(tmp_path, "config.yaml", FULL_YAML), ENV)
    assert from_toml.warnings == []
    assert from_yaml.warnings == []
    assert from_toml.settings == from_yaml.settings


def test_full_file_values(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, "config.toml", FULL_TOML), ENV).settings
    assert (s.host, s.port, s.api_keys) == ("0.0.0.0", 9000, ("k1", "k2"))
    assert s.auth_dir == "/home/tester/auth"
    assert s.tls.enable
    assert s.tls.cert == "/etc/c.pem"
    assert s.tls.key == "/etc/k.pem"
    assert s.routing.strategy == "fill-first"
    assert s.routing.session_affinity is True
    assert s.routing.session_affinity_ttl == 5400.0
    assert s.remote_management.allow_remote
    assert s.remote_management.secret_key == "mgmt"
    assert s.drain_timeout == 12.5
    assert s.max_body_size_mb == 64
    assert s.ws_auth is True
    assert s.claude_api_key[0] == ProviderKeyEntry(
        api_key="sk-a",
        base_url="https://api.example.com",
        prefix="team",
        proxy_url="direct",
        headers={"X-Team": "a"},
        models=(ModelEntry(name="claude-sonnet", alias="sonnet"),),
        excluded_models=("claude-3-*",),
        priority=2,
        weight=7,
    )
    assert s.claude_api_key[1] == ProviderKeyEntry(api_key="sk-b")
    assert [e.api_key for e in s.provider_keys()] == ["sk-a", "sk-b", "g-1", "v-1", "c-1"]
    assert s.openai_compatibility == (
        OpenAICompatEntry(
            name="openrouter",
            base_url="https://openrouter.ai/api/v1",
            prefix="or",
            api_key_entries=(
                ApiKeyEntry(api_key="or-1", proxy_url="http://proxy:8080"),
                ApiKeyEntry(api_key="or-2"),
            ),
            models=(ModelEntry(name="kimi-k2:free", alias="kimi"),),
        ),
    )
    assert s.oauth_model_alias == {"codex": (ModelAlias(name="gpt-5", alias="g5", fork=True),)}
    assert s.oauth_excluded_models == {"claude": ("claude-3-5-haiku",)}


@pytest.mark.parametrize(("name", "text"), [("c.toml", ""), ("c.yaml", ""), ("c.yml", "# x\n")])
def test_empty_file_gives_defaults(tmp_path: Path, name: str, text: str) -> None:
    loaded = load_config(write(tmp_path, name, text), {})
    assert loaded.settings == Settings()
    assert loaded.warnings == []
    assert loaded.source == tmp_path / name
    s = loaded.settings
    assert (s.host, s.port, s.request_retry, s.max_retry_interval) == ("127.0.0.1", 8317, 3, 30)
    assert (s.logs_max_total_size_mb, s.drain_timeout, s.max_body_size_mb) == (100, 30.0, 32)
    assert s.routing.strategy == "round-robin"
    assert s.routing.session_affinity_ttl == 3600.0
    assert s.api_keys == ()
    assert s.tls.enable is False
    assert s.proxy_url is None


def test_yaml_nulls_and_empty_strings_mean_unset(tmp_path: Path) -> None:
    text = 'api-keys:\nproxy-url: ""\ntls:\n  cert: ""\nremote-management:\n  secret-key: ""\n'
    s = load_config(write(tmp_path, "c.yaml", text), {}).settings
    assert s.api_keys == ()
    assert s.proxy_url is None
    assert s.tls.cert is None
    assert s.remote_management.secret_key is None


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unsupported config file type '\.json'") as info:
        load_config(write(tmp_path, "config.json", "{}"), {})
    assert info.value.path == tmp_path / "config.json"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", {})


def test_passthrough_keys_are_kept_raw(tmp_path: Path) -> None:
    text = "pprof:\n  enable: true\n  addr: 127.0.0.1:8316\nws-auth: true\nstreaming:\n"
    text += "  keepalive-seconds: os.environ/KA\n"
    loaded = load_config(write(tmp_path, "c.yaml", text), {"KA": "15"})
    assert loaded.warnings == []
    assert loaded.settings.extra["pprof"] == {"enable": True, "addr": "127.0.0.1:8316"}
    assert loaded.settings.extra["streaming"] == {"keepalive-seconds": "15"}
    assert "streaming" in loaded.settings.extra
    assert loaded.settings.ws_auth is True


def test_openai_compat_legacy_api_keys_list(tmp_path: Path) -> None:
    text = "openai-compatibility:\n  - name: p\n    api-keys: [a, b]\n"
    s = load_config(write(tmp_path, "c.yaml", text), {}).settings
    assert s.openai_compatibility[0].api_key_entries == (ApiKeyEntry("a"), ApiKeyEntry("b"))


def test_openai_compat_max_tokens_field(tmp_path: Path) -> None:
    text = "[[openai-compatibility]]\nname = 'p'\nbase-url = 'http://h/v1'\n"
    default = load_config(write(tmp_path, "a.toml", text), {}).settings
    assert default.openai_compatibility[0].max_tokens_field is None  # automatic
    chosen = text + "max-tokens-field = 'max_completion_tokens'\n"
    s = load_config(write(tmp_path, "b.toml", chosen), {}).settings
    assert s.openai_compatibility[0].max_tokens_field == "max_completion_tokens"
    with pytest.raises(ConfigError, match=r"max-tokens-field.*max_completion_tokens.*'tokens'"):
        load_config(write(tmp_path, "c.toml", text + "max-tokens-field = 'tokens'\n"), {})


def test_durations(tmp_path: Path) -> None:
    for raw, seconds in [('"30s"', 30.0), ('"5m"', 300.0), ('"1h"', 3600.0), ("90", 90.0)]:
        text = f"[routing]\nsession-affinity-ttl = {raw}\n"
        s = load_config(write(tmp_path, "c.toml", text), {}).settings
        assert s.routing.session_affinity_ttl == seconds
