"""Completion scripts from Typer's machinery, their install locations, and live completion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from cliproxyctl.app import app
from cliproxyctl.completions import (
    COMPLETE_VAR,
    Shell,
    detect_shell,
    hint,
    install,
    install_path,
    script,
)

TOP_LEVEL = ("start", "stop", "status", "doctor", "config", "completion")


def complete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
) -> str:
    """Ask the CLI for completions the way a shell script does; its answer."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    command = typer.main.get_command(app)
    with pytest.raises(SystemExit) as done:
        command.main(args=[], prog_name="cliproxyctl")
    assert done.value.code == 0
    return capsys.readouterr().out


def test_scripts_call_back_into_the_cli() -> None:
    for shell in Shell:
        text = script(shell)
        assert COMPLETE_VAR in text and f"complete_{shell.value}" in text
        assert text.endswith("\n")
    assert script(Shell.zsh).startswith("#compdef cliproxyctl\n")
    assert "complete -o default -F _cliproxyctl_completion cliproxyctl" in script(Shell.bash)


def test_bash_completion_lists_the_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = complete(
        monkeypatch,
        capsys,
        **{COMPLETE_VAR: "complete_bash"},
        COMP_WORDS="cliproxyctl ",
        COMP_CWORD="1",
    )
    assert all(name in out.split() for name in TOP_LEVEL), out
    out = complete(
        monkeypatch,
        capsys,
        **{COMPLETE_VAR: "complete_bash"},
        COMP_WORDS="cliproxyctl doctor --",
        COMP_CWORD="2",
    )
    assert {"--json", "--fix", "--strict", "--offline"} <= set(out.split())


def test_zsh_and_fish_completion_list_the_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    zsh = complete(
        monkeypatch, capsys, **{COMPLETE_VAR: "complete_zsh"}, _TYPER_COMPLETE_ARGS="cliproxyctl "
    )
    assert all(f'"{name}"' in zsh for name in TOP_LEVEL), zsh
    fish = complete(
        monkeypatch,
        capsys,
        **{COMPLETE_VAR: "complete_fish"},
        _TYPER_COMPLETE_ARGS="cliproxyctl config ",
        _TYPER_COMPLETE_FISH_ACTION="get-args",
    )
    assert [line.split("\t")[0] for line in fish.splitlines()] == [
        "path",
        "show",
        "get",
        "validate",
        "set",
        "unset",
    ]


def test_the_bash_script_completes_in_a_real_bash(tmp_path: Path) -> None:
    cli = Path(sys.executable).parent  # where the console script was installed
    program = (
        f"source {tmp_path}/c.bash; PATH={cli}:$PATH; COMP_WORDS=(cliproxyctl doc); "
        'COMP_CWORD=1; _cliproxyctl_completion cliproxyctl; echo "${COMPREPLY[@]}"'
    )
    (tmp_path / "c.bash").write_text(script(Shell.bash))
    if not (cli / "cliproxyctl").exists():
        pytest.skip("no cliproxyctl console script beside this Python")
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["doctor"], result.stderr


def test_install_paths_follow_each_shells_conventions(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    assert install_path(Shell.bash, home) == (
        tmp_path / ".local/share/bash-completion/completions/cliproxyctl"
    )
    assert install_path(Shell.zsh, home) == tmp_path / ".zfunc/_cliproxyctl"
    assert install_path(Shell.fish, home) == tmp_path / ".config/fish/completions/cliproxyctl.fish"
    xdg = {**home, "XDG_DATA_HOME": "/x/data", "XDG_CONFIG_HOME": "/x/config"}
    assert install_path(Shell.bash, xdg) == Path("/x/data/bash-completion/completions/cliproxyctl")
    assert install_path(Shell.fish, xdg) == Path("/x/config/fish/completions/cliproxyctl.fish")


def test_install_writes_the_script(tmp_path: Path) -> None:
    path = install(Shell.zsh, {"HOME": str(tmp_path)})
    assert path.read_text() == script(Shell.zsh)
    assert "fpath" in hint(Shell.zsh)


def test_detect_shell_reads_dollar_shell() -> None:
    assert detect_shell({"SHELL": "/usr/bin/zsh"}) is Shell.zsh
    assert detect_shell({"SHELL": "/bin/tcsh"}) is None
    assert detect_shell({}) is None
