"""`cliproxyctl completion bash|zsh|fish|install` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cliproxyctl.completions import Shell, script


def cli(*args: str, home: Path, shell: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIPROXY_", "XDG_"))}
    env.update(HOME=str(home), SHELL=shell, CLIPROXY_HOME=str(home / "cliproxy"), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "cliproxyctl", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_each_shell_prints_its_script(tmp_path: Path) -> None:
    for shell in Shell:
        result = cli("completion", shell.value, home=tmp_path)
        assert result.returncode == 0 and result.stdout == script(shell)


def test_install_names_the_shell_or_reads_it_from_dollar_shell(tmp_path: Path) -> None:
    result = cli("completion", "install", "fish", home=tmp_path)
    target = tmp_path / ".config/fish/completions/cliproxyctl.fish"
    assert result.returncode == 0 and str(target) in result.stdout
    assert target.read_text() == script(Shell.fish)
    result = cli("completion", "install", "--json", home=tmp_path, shell="/bin/bash")
    details = json.loads(result.stdout)["details"]
    assert details == {
        "shell": "bash",
        "path": str(tmp_path / ".local/share/bash-completion/completions/cliproxyctl"),
    }


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli("completion", "tcsh", home=tmp_path).returncode == 2
    assert cli("completion", "install", "tcsh", home=tmp_path).returncode == 2
    unknown = cli("completion", "install", home=tmp_path, shell="/bin/tcsh")
    assert unknown.returncode == 2 and "name it" in unknown.stderr
