"""completion bash|zsh|fish|install: shell completion for cliproxyctl."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cliproxyctl import completions
from cliproxyctl.completions import Shell
from cliproxyctl.context import current
from cliproxyctl.errors import UsageError
from cliproxyctl.render import console, print_json

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]


def register(root: typer.Typer) -> None:
    """Add the `completion` group and let the CLI answer the scripts' completion requests."""
    completions.enable()
    root.add_typer(app, name="completion", help="Print or install shell completion scripts.")


def _printer(shell: Shell) -> None:
    def show() -> None:
        sys.stdout.write(completions.script(shell))

    show.__doc__ = f"Print the {shell.value} completion script."
    app.command(shell.value)(show)


for _shell in Shell:
    _printer(_shell)


@app.command("install")
def install(
    ctx: typer.Context,
    shell: Annotated[
        Shell | None, typer.Argument(help="bash, zsh or fish (default: the one in $SHELL).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Install the completion script where the shell looks for it, and say where."""
    environ = current(ctx).environ
    chosen = shell or completions.detect_shell(environ)
    if chosen is None:
        raise UsageError("cannot tell your shell from $SHELL; name it: bash, zsh or fish")
    path = completions.install(chosen, environ)
    if as_json:
        print_json("completion install", True, {"shell": chosen.value, "path": str(path)})
        return
    console.print(f"Installed the {chosen.value} completion script in {path}", soft_wrap=True)
    console.print(completions.hint(chosen))
