"""auth reset: clear cooldowns by hand (the daemon's routing state, over the control socket)."""

from __future__ import annotations

from typing import Annotated

import typer

from cliproxyctl.context import current
from cliproxyctl.control import ControlClient
from cliproxyctl.errors import UsageError
from cliproxyctl.render import console, print_json

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]


@app.command("reset")
def reset(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            help="Credential id as `cliproxyctl status` lists it, e.g. claude-api-key[0]."
        ),
    ] = None,
    all_credentials: Annotated[bool, typer.Option("--all", help="Clear every cooldown.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Clear the cooldowns of one credential (or, with --all, of every one)."""
    if (name is None) == (not all_credentials):
        raise UsageError("name one credential, or pass --all")
    with ControlClient(current(ctx).paths.control_socket) as control:
        result = control.reset_quota(name)
    if as_json:
        print_json("auth reset", True, result)
        return
    who = name or "every credential"
    console.print(f"cleared {result['cleared']} cooldown(s) of {who}")
