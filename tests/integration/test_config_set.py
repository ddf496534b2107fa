"""`cliproxyctl config set|unset` as users run it: the file changes in place, a running
daemon reloads, an edit that would break the config changes nothing."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support.daemon import Sandbox, base_config

pytestmark = pytest.mark.integration

SECRET = "sk-ant-api03-provider-secret-0000"
CONFIG = (
    base_config()
    + f"""
# routing, as the team agreed
[routing]
strategy = "round-robin"   # spread evenly

[[claude-api-key]]
api-key = "{SECRET}"
"""
)


def details(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["schema_version"] == "cliproxyctl.response.v1"
    found: dict[str, Any] = doc["details"]
    return found


def test_set_and_unset_without_a_daemon(sandbox: Sandbox) -> None:
    sandbox.write_config(CONFIG)
    result = sandbox.cli("config", "set", "routing.strategy", "fill-first", "--json")
    assert result.returncode == 0, result.stderr
    shown = details(result)
    assert (shown["old"], shown["new"], shown["changed"]) == ("round-robin", "fill-first", True)
    assert shown["reload"] is None  # nothing to reload
    text = sandbox.config.read_text()
    assert 'strategy = "fill-first"   # spread evenly' in text and "# routing, as" in text
    plain = sandbox.cli("config", "unset", "routing.strategy")
    assert plain.returncode == 0
    assert '"fill-first" → (not set)' in plain.stdout
    assert "applies when it starts" in plain.stdout


def test_a_secret_is_masked_in_what_set_prints(sandbox: Sandbox) -> None:
    sandbox.write_config(CONFIG)
    new = "sk-ant-api03-another-secret-1111"
    for args in (("--json",), ()):
        result = sandbox.cli("config", "set", "claude-api-key[0].api-key", new, *args)
        assert result.returncode == 0, result.stderr
        assert SECRET not in result.stdout and new not in result.stdout
    assert f'api-key = "{new}"' in sandbox.config.read_text()


def test_a_running_daemon_reloads_and_a_bad_edit_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.write_config(CONFIG)
    assert sandbox.cli("start").returncode == 0
    try:
        result = sandbox.cli("config", "set", "request-retry", "5", "--json")
        assert result.returncode == 0, result.stderr
        assert details(result)["reload"]["ok"] is True
        assert sandbox.status()["last_reload"]["ok"] is True
        before = sandbox.config.read_text()
        typo = sandbox.cli("config", "set", "routing.strateg", "fill-first", "--json")
        assert typo.returncode == 1
        assert "did you mean routing.strategy?" in details(typo)["error"]
        bad = sandbox.cli("config", "set", "routing.strategy", "sideways")
        assert bad.returncode == 1 and "expected one of" in bad.stderr
        assert sandbox.config.read_text() == before
        restart = sandbox.cli("config", "set", "port", "1", "--json")
        assert restart.returncode == 0
        assert "after a restart" in details(restart)["reload"]["message"]
    finally:
        sandbox.cli("stop")


def test_get_shows_the_effective_value_and_where_it_comes_from(sandbox: Sandbox) -> None:
    sandbox.write_config(CONFIG)
    set_here = details(sandbox.cli("config", "get", "routing.strategy", "--json"))
    assert set_here == {"key": "routing.strategy", "value": "round-robin", "set_in_file": True}
    default = details(sandbox.cli("config", "get", "upstream-timeouts.first-byte", "--json"))
    assert default["set_in_file"] is False and default["value"] > 0
    secret = sandbox.cli("config", "get", "claude-api-key[0].api-key")
    assert (
        secret.returncode == 0
        and SECRET not in secret.stdout
        and "set in the file" in secret.stdout
    )
    unknown = sandbox.cli("config", "get", "routing.sideways")
    assert unknown.returncode == 1 and "not a setting" in unknown.stderr
