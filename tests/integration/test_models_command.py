"""`cliproxyctl models` against the real daemon: the ids clients may ask for, matching the
proxy's own `GET /v1/models`, with the credentials and upstream ids behind each."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.integration.dataplane_support import Daemon, mock, providers_config, start_daemon
from tests.support.daemon import make_sandbox
from tests.support.mock_upstream import MockUpstream

pytestmark = pytest.mark.integration
__all__ = ["mock"]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Daemon]:
    aliases = {
        "claude": [("claude-sonnet-4-5", "sonnet")],
        "openai-compatible": [("moonshotai/kimi-k2", "kimi")],
    }
    yield from start_daemon(tmp_path_factory, providers_config(mock.base_url, aliases))


def test_models_json_matches_what_clients_are_told(daemon: Daemon) -> None:
    result = daemon.box.cli("models", "--json")
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert envelope["command"] == "models" and envelope["ok"] is True
    rows = {row["id"]: row for row in envelope["details"]["models"]}
    with daemon.http() as http:
        listed = [m["id"] for m in http.get("/v1/models").json()["data"]]
    assert list(rows) == listed
    assert rows["sonnet"]["upstream"] == ["claude-sonnet-4-5"]
    assert rows["sonnet"]["credentials"] == ["claude-api-key[0]"]
    assert rows["oc/kimi"]["owned_by"] == "mockchat"
    assert rows["oc/kimi"]["upstream"] == ["moonshotai/kimi-k2"]


def test_models_filters_and_renders_a_table(daemon: Daemon) -> None:
    result = daemon.box.cli("models", "SONN")
    assert result.returncode == 0, result.stderr
    assert "sonnet" in result.stdout and "claude-sonnet-4-5" in result.stdout
    assert "kimi" not in result.stdout
    assert "1 models" in result.stdout
    none = daemon.box.cli("models", "no-such-thing")
    assert none.returncode == 0 and "no models matching 'no-such-thing'" in none.stdout


def test_models_without_a_daemon_says_it_is_not_running(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for box in make_sandbox(tmp_path_factory.mktemp("idle")):
        result = box.cli("models", "--json")
        assert result.returncode == 1
        envelope = json.loads(result.stdout)
        assert envelope["ok"] is False and "not running" in envelope["details"]["error"]
