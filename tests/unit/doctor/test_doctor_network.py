"""providers.reachable: one probe per distinct provider URL, through the configured proxy."""

from __future__ import annotations

from pathlib import Path

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Status
from cliproxyctl.doctor.network import checks
from cliproxyctl.doctor.probe import ProbeResult
from tests.support.doctor import FakeProber, make_env, write_config

CONFIG = """
proxy-url = "http://user:hunter2-secret@proxy.test:3128"

[[claude-api-key]]
api-key = "sk-ant-aaaaaaaaaaaaaaaa"

[[claude-api-key]]
api-key = "sk-ant-bbbbbbbbbbbbbbbb"

[[openai-compatibility]]
name = "local"
base-url = "http://127.0.0.1:11434/v1"

[[openai-compatibility.api-key-entries]]
api-key = "sk-local-cccccccccccc"
proxy-url = "direct"

[[gemini-api-key]]
api-key = "AIzaDDDDDDDDDDDDDDDD"
base-url = "https://gemini.nowhere.invalid"
"""


def test_offline_skips_and_no_providers_is_fine(tmp_path: Path) -> None:
    prober = FakeProber()
    env = make_env(tmp_path, offline=True, prober=prober)
    write_config(env, CONFIG)
    assert checks(Snapshot(env))[0].skipped
    assert not prober.calls
    env = make_env(tmp_path, prober=prober)
    write_config(env, "port = 8317\n")
    assert checks(Snapshot(env))[0].message == "no API-key providers configured"


def test_each_url_is_probed_once_through_its_proxy(tmp_path: Path) -> None:
    prober = FakeProber(
        {
            "https://gemini.nowhere.invalid": ProbeResult(False, "cannot resolve", False),
            "http://127.0.0.1:11434/v1": ProbeResult(False, "connection refused"),
        }
    )
    env = make_env(tmp_path, prober=prober, timeout=1.5)
    write_config(env, CONFIG)
    found = {check.subject: check for check in checks(Snapshot(env))}
    proxy = "http://user:hunter2-secret@proxy.test:3128"
    assert sorted(prober.calls) == sorted(
        [
            ("https://api.anthropic.com", 1.5, proxy),
            ("http://127.0.0.1:11434/v1", 1.5, None),
            ("https://gemini.nowhere.invalid", 1.5, proxy),
        ]
    )
    claude = found["https://api.anthropic.com"]
    assert claude.status is Status.OK and "hunter2" not in claude.message
    assert (claude.data or {})["credentials"] == ["claude-api-key[0]", "claude-api-key[1]"]
    assert found["http://127.0.0.1:11434/v1"].status is Status.FAIL
    unresolved = found["https://gemini.nowhere.invalid"]
    assert unresolved.status is Status.FAIL and "DNS" in (unresolved.fix or "")


def test_a_compat_entry_without_a_base_url_fails(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    write_config(env, '[[openai-compatibility]]\nname = "mystery"\n')
    check = checks(Snapshot(env))[0]
    assert check.status is Status.FAIL and "mystery" in check.message
