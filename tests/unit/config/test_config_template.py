"""The first-run config.toml: commented, loopback, the given key, and loadable without warnings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from daemon.config import EXAMPLE_API_KEYS, Settings, default_config_text, load_config

# A commented-out example line: "# key = value" or "# [table]" / "# [[array]]".
EXAMPLE_LINE = re.compile(r"^# (\[\[?[a-z-.]+\]\]?|[a-z-]+ = .+)$")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_template_round_trips(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, default_config_text("ck-123")), {})
    assert loaded.warnings == []
    s = loaded.settings
    assert (s.host, s.port, s.api_keys) == ("127.0.0.1", 8317, ("ck-123",))
    # Apart from the key, the template spells out exactly the built-in defaults.
    assert s == Settings(api_keys=("ck-123",))


def test_template_is_commented_and_keeps_providers_commented() -> None:
    text = default_config_text("ck")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) > 40
    assert 'api-keys = ["ck"]' in text
    data = tomllib.loads(text)
    for section in (
        "claude-api-key",
        "gemini-api-key",
        "vertex-api-key",
        "codex-api-key",
        "openai-compatibility",
        "oauth-model-alias",
        "oauth-excluded-models",
    ):
        assert f"# [[{section}]]" in text or f"# [{section}]" in text
        assert section not in data
    for key in ("host", "port", "debug", "request-retry", "drain-timeout", "routing", "tls"):
        assert key in data


def test_uncommented_examples_load_without_warnings(tmp_path: Path) -> None:
    lines = default_config_text("ck").splitlines()
    uncommented = [line[2:] if EXAMPLE_LINE.match(line) else line for line in lines]
    assert sum(1 for a, b in zip(lines, uncommented, strict=True) if a != b) > 20
    environ = {
        name: f"value-of-{name}"
        for name in (
            "ANTHROPIC_API_KEY",
            "GEMINI_API_KEY",
            "VERTEX_API_KEY",
            "OPENAI_API_KEY",
            "OPENROUTER_API_KEY",
            "CLIPROXY_MANAGEMENT_KEY",
        )
    }
    text = "\n".join(uncommented).replace("enable = false\ncert", "enable = true\ncert")
    loaded = load_config(write(tmp_path, text), {**environ, "HOME": "/h"}, strict=True)
    s = loaded.settings
    assert loaded.warnings == []
    assert s.tls.enable is True
    assert s.tls.cert == "/path/to/cert.pem"
    assert s.auth_dir == "/h/.cli-proxy-api"
    assert s.claude_api_key[0].api_key == "value-of-ANTHROPIC_API_KEY"
    assert s.claude_api_key[0].models[0].alias == "sonnet"
    assert s.openai_compatibility[0].api_key_entries[0].api_key == "value-of-OPENROUTER_API_KEY"
    assert s.oauth_model_alias["codex"][0].fork is True
    assert s.oauth_excluded_models == {"claude": ("claude-3-5-haiku-20241022",)}
    assert s.remote_management.secret_key == "value-of-CLIPROXY_MANAGEMENT_KEY"
    assert s.proxy_url == "socks5://user:password@127.0.0.1:1080"


@pytest.mark.parametrize("key", ['quo"te', "back\\slash", "tab\tnew\nline", "ünï"])
def test_any_key_text_is_escaped(tmp_path: Path, key: str) -> None:
    loaded = load_config(write(tmp_path, default_config_text(key)), {})
    assert loaded.settings.api_keys == (key,)


def test_example_keys_are_cliproxyapis_sample_keys() -> None:
    assert {"your-api-key-1", "your-api-key-2", "your-api-key-3"} == EXAMPLE_API_KEYS
    assert not EXAMPLE_API_KEYS & set(tomllib.loads(default_config_text("k"))["api-keys"])
