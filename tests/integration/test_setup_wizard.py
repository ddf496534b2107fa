"""cliproxyctl setup, the interactive wizard, driven end to end in a pseudo-terminal.

Each test runs `python -m cliproxyctl setup` under pexpect in a private CLIPROXY_HOME,
waits for each prompt and types what a person would. PROMPT_TOOLKIT_NO_CPR keeps
prompt_toolkit from waiting for cursor-position answers that pexpect never sends.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from daemon.config import load_config

UP, DOWN, ENTER, CTRL_C, CTRL_U = "\x1b[A", "\x1b[B", "\r", "\x03", "\x15"
LOCAL_KEY = "sk-local-typed-secret-1234"
COMMENTED = """\
# My proxy. Keep this comment.
host = "127.0.0.1"
port = 8400  # not the default on purpose
api-keys = ["sk-mine-0123456789abcdef"]
my-note = "unrelated"

[routing]
strategy = "random"  # I chose this

# Anthropic keys below
[[claude-api-key]]
api-key = "sk-ant-existing-key-0000000000"
"""


class Wizard:
    def __init__(self, home: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPROXY_")}
        env.update(
            CLIPROXY_HOME=str(home),
            TERM="xterm",
            COLUMNS="120",
            LINES="50",
            PROMPT_TOOLKIT_NO_CPR="1",
            NO_COLOR="1",
        )
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "cliproxyctl", "setup", *args],
            env=env,
            encoding="utf-8",
            dimensions=(50, 120),
            timeout=15,
        )

    def answer(self, prompt: str, keys: str) -> None:
        """Wait for *prompt*, then type *keys* (a short pause first: the prompt is live)."""
        self.child.expect_exact(prompt)
        time.sleep(0.05)
        self.child.send(keys)

    def finish(self) -> tuple[int, str]:
        self.child.expect(pexpect.EOF)
        rest = self.child.before or ""
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1), rest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on: a key check there fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


def config(home: Path) -> Path:
    return home / "config" / "config.toml"


def test_a_fresh_config_from_the_wizard(home: Path, closed_port: int) -> None:
    wizard = Wizard(home)
    wizard.answer("Listen address", ENTER)
    wizard.answer("Port", CTRL_U + "9123" + ENTER)
    wizard.answer("Client API key", ENTER)  # generate
    wizard.child.expect_exact("are not available yet")  # said where logins would be offered
    wizard.answer("Providers to add", " " + ENTER)  # OpenAI-compatible
    wizard.answer("Which OpenAI-compatible service?", UP + ENTER)  # the last: a custom URL
    wizard.answer("Name for this service", "local" + ENTER)
    wizard.answer("Base URL", CTRL_U + f"http://127.0.0.1:{closed_port}/v1" + ENTER)
    wizard.answer("local API key (empty", LOCAL_KEY + ENTER)
    wizard.child.expect_exact("could not reach 127.0.0.1")  # the check ran, and failed
    wizard.answer("The check failed. What now?", UP + ENTER)  # "Use this key anyway"
    wizard.answer("Add another OpenAI-compatible service?", "n")
    wizard.answer("Routing strategy", DOWN + DOWN + ENTER)  # fill-first
    wizard.answer("system service", "n")
    wizard.child.expect_exact("will be the commented template with these changes:")
    wizard.answer("Write ", "y")
    code, rest = wizard.finish()
    assert code == 0, rest
    path = config(home)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    settings = load_config(path, {}).settings
    assert (settings.host, settings.port, settings.routing.strategy) == (
        "127.0.0.1",
        9123,
        "fill-first",
    )
    (key,) = settings.api_keys
    assert key.startswith("sk-cliproxy-")
    (local,) = settings.openai_compatibility
    assert (local.name, local.base_url) == ("local", f"http://127.0.0.1:{closed_port}/v1")
    assert [k.api_key for k in local.api_key_entries] == [LOCAL_KEY]
    assert LOCAL_KEY not in rest  # typed hidden, diffed masked
    assert f"export ANTHROPIC_AUTH_TOKEN={key}" in rest
    assert "[model_providers.cliproxy]" in rest and "GOOGLE_GEMINI_BASE_URL" in rest


@pytest.mark.usefixtures("closed_port")
def test_a_rerun_edits_a_commented_file_without_losing_comments(home: Path) -> None:
    path = config(home)
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    wizard = Wizard(home, "--offline")
    wizard.answer("Listen address", ENTER)
    wizard.answer("Port", CTRL_U + "8401" + ENTER)
    wizard.answer("Keep the current client key", ENTER)  # the first choice
    wizard.child.expect_exact("Already configured: claude-api-key ×1")
    wizard.answer("Providers to add", DOWN + DOWN + " " + ENTER)  # Gemini
    wizard.answer("Gemini API key", "AIza-typed-gemini-key-000" + ENTER)
    wizard.answer("Routing strategy", ENTER)  # keep "random"
    wizard.answer("system service", ENTER)  # default: no
    wizard.child.expect_exact("+port = 8401  # not the default on purpose")
    wizard.answer("Write ", ENTER)  # default: yes
    code, rest = wizard.finish()
    assert code == 0, rest
    text = path.read_text()
    for line in COMMENTED.splitlines():
        assert line.replace("8400", "8401") in text
    data = tomllib.loads(text)
    assert data["api-keys"] == ["sk-mine-0123456789abcdef"]
    assert data["gemini-api-key"] == [{"api-key": "AIza-typed-gemini-key-000"}]
    assert data["my-note"] == "unrelated" and data["routing"]["strategy"] == "random"
    assert text.startswith(COMMENTED.replace("8400", "8401"))  # appended, nothing reordered


def test_ctrl_c_midway_leaves_no_file(home: Path) -> None:
    wizard = Wizard(home, "--offline")
    wizard.answer("Listen address", ENTER)
    wizard.answer("Port", ENTER)
    wizard.answer("Client API key", ENTER)
    wizard.answer("Providers to add", DOWN + " " + ENTER)
    wizard.answer("Claude API key", "sk-ant-half-typed" + CTRL_C)
    code, rest = wizard.finish()
    assert code == 130
    assert "cancelled; nothing was written" in rest
    assert not config(home).exists()
    assert not (home / "config").exists() or list((home / "config").iterdir()) == []


def test_declining_to_write_leaves_the_old_file_as_it_was(home: Path) -> None:
    path = config(home)
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    wizard = Wizard(home, "--offline", "--host", "0.0.0.0", "--keep-keys", "--no-service")
    wizard.answer("Port", ENTER)
    wizard.answer("Providers to add", ENTER)
    wizard.answer("Routing strategy", ENTER)
    wizard.child.expect_exact('+host = "0.0.0.0"')
    wizard.answer("Write ", "n")
    code, rest = wizard.finish()
    assert code == 1 and "Nothing written." in rest
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]
