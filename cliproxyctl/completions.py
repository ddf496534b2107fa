"""Shell completion scripts, made by Typer's own completion machinery, and where they go.

The scripts are thin: on Tab the shell runs `cliproxyctl` with `_CLIPROXYCTL_COMPLETE` set and
the CLI answers from its live command tree, so they never go stale as commands change.

Typer wires its shell classes into its (vendored) click only when `add_completion` is on, which
would add --install-completion/--show-completion to the root; `enable()` wires them without that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from typer._completion_classes import completion_init
from typer._completion_shared import get_completion_script

from daemon.fileio import atomic_write

PROG = "cliproxyctl"
COMPLETE_VAR = "_CLIPROXYCTL_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


# The committed copies under completions/ (what packagers install).
FILE_NAMES: dict[Shell, str] = {
    Shell.bash: "cliproxyctl.bash",
    Shell.zsh: "_cliproxyctl",
    Shell.fish: "cliproxyctl.fish",
}

# Autoloaded from fpath as _cliproxyctl, the file's body runs on the first Tab: it defines the
# completer and binds it; without this call that first Tab would complete nothing.
_ZSH_AUTOLOAD = """
if [[ "${funcstack[1]}" == _cliproxyctl ]]; then
  _cliproxyctl_completion "$@"
fi"""


def enable() -> None:
    """Let `_CLIPROXYCTL_COMPLETE=complete_<shell> cliproxyctl` answer completion requests."""
    completion_init()


def script(shell: Shell) -> str:
    text = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell.value)
    if shell is Shell.zsh:
        text += "\n" + _ZSH_AUTOLOAD
    return text + "\n"


def detect_shell(environ: Mapping[str, str]) -> Shell | None:
    """The login shell named by $SHELL, if it is one we support."""
    name = Path(environ.get("SHELL", "")).name
    return Shell(name) if name in Shell.__members__ else None


def install_path(shell: Shell, environ: Mapping[str, str]) -> Path:
    """The user's standard completion location for `shell` (what each shell looks at)."""
    home = Path(environ.get("HOME") or Path.home())
    if shell is Shell.bash:
        data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        folder = Path(environ.get("BASH_COMPLETION_USER_DIR") or data / "bash-completion")
        return folder / "completions" / PROG
    if shell is Shell.zsh:
        return home / ".zfunc" / f"_{PROG}"
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "fish" / "completions" / f"{PROG}.fish"


def install(shell: Shell, environ: Mapping[str, str] | None = None) -> Path:
    """Write the script for `shell` to its standard location; return the path."""
    path = install_path(shell, os.environ if environ is None else environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, script(shell), mode=0o644)
    return path


def hint(shell: Shell) -> str:
    """What else the user must do before completion works."""
    if shell is Shell.zsh:
        return (
            "make sure ~/.zshrc has `fpath=(~/.zfunc $fpath)` before `autoload -Uz compinit && "
            "compinit`, then open a new shell"
        )
    if shell is Shell.bash:
        return "needs the bash-completion package; open a new shell"
    return "open a new shell"
