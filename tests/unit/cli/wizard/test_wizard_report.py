"""cliproxyctl.wizard.report: setup's JSON details, with every secret masked."""

from __future__ import annotations

import json
from pathlib import Path

from cliproxyctl.wizard.answers import COMPAT, Answers, ProviderAnswer
from cliproxyctl.wizard.configfile import ConfigChange
from cliproxyctl.wizard.keycheck import CheckResult
from cliproxyctl.wizard.report import howto_key, setup_details, setup_secrets

OLD = """\
api-keys = ["sk-old-client-0123456789"]
proxy-url = "http://user:proxy-pass-123@127.0.0.1:3128"

[remote-management]
secret-key = "management-secret-xyz"
"""
NEW = OLD + '\n[[claude-api-key]]\napi-key = "sk-ant-new-0123456789"\n'
CLAUDE = ProviderAnswer("claude", "sk-ant-new-0123456789")
LOCAL = ProviderAnswer(COMPAT, "", "ollama", "http://localhost:11434/v1")


def answers(new_key: str | None = None) -> Answers:
    return Answers("0.0.0.0", 8317, new_key, new_key is not None, (CLAUDE, LOCAL), "random", False)


def test_secrets_come_from_both_texts_and_the_answers() -> None:
    change = ConfigChange(Path("c.toml"), OLD, NEW, ["x"])
    assert setup_secrets(change, answers("sk-brand-new-0123456789")) == {
        "sk-old-client-0123456789",
        "proxy-pass-123",
        "management-secret-xyz",
        "sk-ant-new-0123456789",
        "sk-brand-new-0123456789",
    }
    env = ConfigChange(Path("c.toml"), None, 'api-keys = ["os.environ/MY_KEY"]\n', [])
    assert setup_secrets(env, answers()) == {"sk-ant-new-0123456789"}
    assert howto_key(env, answers()) == "$MY_KEY"
    assert howto_key(change, answers()) == "sk-old-client-0123456789"
    assert howto_key(change, answers("sk-brand-new-0123456789")) == "sk-brand-new-0123456789"


def test_details_say_what_was_written_and_mask_every_secret() -> None:
    change = ConfigChange(Path("/c/config.toml"), OLD, NEW, ["claude-api-key: added a key"])
    secrets = setup_secrets(change, answers())
    details = setup_details(
        change,
        answers(),
        {CLAUDE: CheckResult("ok", "key accepted")},
        written=True,
        dry_run=False,
        service=None,
        secrets=secrets,
    )
    text = json.dumps(details)
    for secret in secrets:
        assert secret not in text
    assert details["base_url"] == "http://127.0.0.1:8317"
    assert (details["written"], details["created"], details["changed"]) == (True, False, True)
    assert details["client_key"] == {"added": False, "generated": False, "key": None}
    assert details["providers"] == [
        {
            "family": "claude",
            "name": None,
            "base_url": None,
            "api_key": "sk-a…6789",
            "check": {"status": "ok", "message": "key accepted"},
        },
        {
            "family": COMPAT,
            "name": "ollama",
            "base_url": "http://localhost:11434/v1",
            "api_key": None,
            "check": None,
        },
    ]
    assert [c["client"] for c in details["clients"]][:2] == ["Claude Code", "Codex CLI"]
    assert "ANTHROPIC_AUTH_TOKEN=sk-o…6789" in details["clients"][0]["snippet"]
