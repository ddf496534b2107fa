"""Every error names the file, the key and, where the key sits on a line, the line."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import NamedTuple

import pytest

from daemon.config import ConfigError, load_config


class Case(NamedTuple):
    toml: str
    yaml: str
    key: str
    toml_line: int
    yaml_line: int
    message: str


CASES: dict[str, Case] = {
    "port-range": Case(
        "debug = true\nport = 65536\n",
        "debug: true\nport: 65536\n",
        "port",
        2,
        2,
        "expected a value from 0 to 65535; got 65536",
    ),
    "port-type": Case(
        'port = "http"\n', "port: http\n", "port", 1, 1, "expected an integer; got 'http'"
    ),
    "strategy": Case(
        '[routing]\nstrategy = "fastest"\n',
        "routing:\n  strategy: fastest\n",
        "routing.strategy",
        2,
        2,
        "expected one of round-robin, weighted-round-robin, fill-first, least-busy, "
        "lowest-latency, random; got 'fastest'",
    ),
    "tls-without-cert": Case(
        'port = 1\n[tls]\nenable = true\nkey = "/k.pem"\n',
        "port: 1\ntls:\n  enable: true\n  key: /k.pem\n",
        "tls.enable",
        3,
        3,
        "tls.enable is true but tls.cert is not set",
    ),
    "bool-type": Case(
        'debug = "yes"\n',
        'debug: "yes"\n',
        "debug",
        1,
        1,
        "expected true or false; got 'yes'",
    ),
    "proxy-scheme": Case(
        'proxy-url = "ftp://proxy:21"\n',
        "proxy-url: ftp://proxy:21\n",
        "proxy-url",
        1,
        1,
        "expected a URL starting with http://, https://, socks5://, socks5h://",
    ),
    "proxy-port": Case(
        'proxy-url = "http://proxy:99999"\n',
        "proxy-url: http://proxy:99999\n",
        "proxy-url",
        1,
        1,
        "not a valid URL",
    ),
    "nested-base-url": Case(
        '[[claude-api-key]]\napi-key = "a"\n\n[[claude-api-key]]\napi-key = "b"\n'
        'base-url = "api.example.com"\n',
        "claude-api-key:\n  - api-key: a\n  - api-key: b\n    base-url: api.example.com\n",
        "claude-api-key[1].base-url",
        6,
        4,
        "expected a URL starting with http://, https://; got 'api.example.com'",
    ),
    "missing-api-key": Case(
        'port = 1\n[[gemini-api-key]]\nprefix = "p"\n',
        "port: 1\ngemini-api-key:\n  - prefix: p\n",
        "gemini-api-key[0].api-key",
        2,
        3,
        "is required",
    ),
    "empty-api-key": Case(
        '[[codex-api-key]]\napi-key = "  "\n',
        "codex-api-key:\n  - api-key: '  '\n",
        "codex-api-key[0].api-key",
        2,
        2,
        "must not be empty",
    ),
    "api-keys-not-list": Case(
        'api-keys = "single"\n',
        "api-keys: single\n",
        "api-keys",
        1,
        1,
        "expected a list of strings; got 'single'",
    ),
    "api-keys-item": Case(
        'port = 1\napi-keys = ["a", 2]\n',
        "port: 1\napi-keys:\n  - a\n  - 2\n",
        "api-keys[1]",
        2,
        4,
        "expected a string; got 2",
    ),
    "duplicate-compat-name": Case(
        '[[openai-compatibility]]\nname = "x"\n[[openai-compatibility]]\nname = "x"\n',
        "openai-compatibility:\n  - name: x\n  - name: x\n",
        "openai-compatibility[1].name",
        4,
        3,
        "duplicate provider name 'x'",
    ),
    "compat-entry-key": Case(
        '[[openai-compatibility]]\nname = "x"\n[[openai-compatibility.api-key-entries]]\n'
        'proxy-url = "direct"\n',
        "openai-compatibility:\n  - name: x\n    api-key-entries:\n      - proxy-url: direct\n",
        "openai-compatibility[0].api-key-entries[0].api-key",
        3,
        4,
        "is required",
    ),
    "ttl": Case(
        '[routing]\nsession-affinity-ttl = "soon"\n',
        "routing:\n  session-affinity-ttl: soon\n",
        "routing.session-affinity-ttl",
        2,
        2,
        "expected a duration like '30s', '5m', '1h' or a number of seconds; got 'soon'",
    ),
    "log-size": Case(
        "logs-max-total-size-mb = -1\n",
        "logs-max-total-size-mb: -1\n",
        "logs-max-total-size-mb",
        1,
        1,
        "expected a value >= 0; got -1",
    ),
    "alias-missing": Case(
        '[oauth-model-alias]\ncodex = [{ name = "gpt-5" }]\n',
        "oauth-model-alias:\n  codex:\n    - name: gpt-5\n",
        "oauth-model-alias.codex[0].alias",
        2,
        3,
        "is required",
    ),
    "header-type": Case(
        '[[claude-api-key]]\napi-key = "k"\nheaders = { X-Num = 5 }\n',
        "claude-api-key:\n  - api-key: k\n    headers:\n      X-Num: 5\n",
        "claude-api-key[0].headers.X-Num",
        3,
        4,
        "expected a string; got 5",
    ),
    "weight-range": Case(
        '[[claude-api-key]]\napi-key = "k"\nweight = 2000000\n',
        "claude-api-key:\n  - api-key: k\n    weight: 2000000\n",
        "claude-api-key[0].weight",
        3,
        3,
        "expected a value from 0 to 1000000; got 2000000",
    ),
    "drain-timeout": Case(
        'drain-timeout = "later"\n',
        "drain-timeout: later\n",
        "drain-timeout",
        1,
        1,
        "expected a number; got 'later'",
    ),
    "body-size": Case(
        "max-body-size-mb = 0\n",
        "max-body-size-mb: 0\n",
        "max-body-size-mb",
        1,
        1,
        "expected a value >= 1; got 0",
    ),
    "table-type": Case(
        'port = 1\ntls = "on"\n',
        "port: 1\ntls: on\n",
        "tls",
        2,
        2,
        "expected a ",
    ),
    "section-not-list": Case(
        '[claude-api-key]\napi-key = "k"\n',
        "claude-api-key:\n  api-key: k\n",
        "claude-api-key",
        1,
        1,
        "expected a list of ",
    ),
    "excluded-channel": Case(
        '[oauth-excluded-models]\nclaude = "all"\n',
        "oauth-excluded-models:\n  claude: all\n",
        "oauth-excluded-models.claude",
        2,
        2,
        "expected a list of strings; got 'all'",
    ),
    "strict-config-type": Case(
        'strict-config = "maybe"\n',
        "strict-config: maybe\n",
        "strict-config",
        1,
        1,
        "expected true or false; got 'maybe'",
    ),
}


@pytest.mark.parametrize("syntax", ["toml", "yaml"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_value_errors_name_file_key_and_line(tmp_path: Path, case: Case, syntax: str) -> None:
    path = tmp_path / f"config.{syntax}"
    path.write_text(case.toml if syntax == "toml" else case.yaml, encoding="utf-8")
    line = case.toml_line if syntax == "toml" else case.yaml_line
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    err = info.value
    assert err.path == path
    assert err.key == case.key
    assert err.line == line
    assert case.message in str(err)
    assert str(err).startswith(f"{path}:{line}: {case.key}: ")


@pytest.mark.parametrize(
    ("name", "text", "line", "fragment"),
    [
        ("c.toml", 'port = 1\nhost = "unterminated\n', 2, "invalid TOML"),
        ("c.toml", "port = 1\nport = 2\n", 2, "invalid TOML"),
        ("c.yaml", "port: 1\nrouting:\n  strategy: [a\n", 4, "invalid YAML"),
        ("c.yaml", "port: 1\n  bad: indent\n", 2, "invalid YAML"),
    ],
)
def test_syntax_errors_name_the_line(
    tmp_path: Path, name: str, text: str, line: int, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert info.value.line == line
    assert info.value.key is None
    assert str(info.value).startswith(f"{path}:{line}: {fragment}")
    assert "(at line" not in str(info.value)


def test_yaml_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level must be a mapping of keys, not a list"):
        load_config(path, {})


def test_config_error_without_line_or_key(tmp_path: Path) -> None:
    err = ConfigError(tmp_path / "x.toml", "boom")
    assert str(err) == f"{tmp_path / 'x.toml'}: boom"
    assert (err.key, err.line) == (None, None)
    keyed = ConfigError(tmp_path / "x.toml", "bad", key="port")
    assert str(keyed) == f"{tmp_path / 'x.toml'}: port: bad"


def test_config_error_survives_pickling(tmp_path: Path) -> None:
    err = ConfigError(tmp_path / "x.toml", "bad", key="routing.strategy", line=3)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.key, copy.line, str(copy)) == (err.path, err.key, err.line, str(err))
