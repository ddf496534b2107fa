"""The Typer root: global options, sub-apps, and the mapping of CliError to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from cliproxyctl.commands import auth as auth_commands
from cliproxyctl.commands import completion as completion_commands
from cliproxyctl.commands import config as config_commands
from cliproxyctl.commands import daemon as daemon_commands
from cliproxyctl.commands import doctor as doctor_commands
from cliproxyctl.commands import models as models_commands
from cliproxyctl.commands import service as service_commands
from cliproxyctl.commands import setup as setup_commands
from cliproxyctl.context import make_context
from cliproxyctl.errors import CliError
from cliproxyctl.render import err_console, print_json

app = typer.Typer(
    name="cliproxyctl",
    help="Control cliproxy: one local endpoint for the OpenAI, Anthropic and Gemini APIs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config file (default: $CLIPROXY_CONFIG or the user config dir)."
        ),
    ] = None,
) -> None:
    ctx.obj = make_context(config)


daemon_commands.register(app)
models_commands.register(app)
app.add_typer(config_commands.app, name="config", help="Show, locate and validate the config file.")
app.add_typer(auth_commands.app, name="auth", help="Act on credentials: clear their cooldowns.")
doctor_commands.register(app)
completion_commands.register(app)
setup_commands.register(app)
service_commands.register(app)


def main() -> None:
    """Console-script entry: run the app, turning CliError into its message and exit code."""
    command = typer.main.get_command(app)
    try:
        # Without standalone mode, click returns the code of a typer.Exit instead of raising it.
        code = command.main(standalone_mode=False)
    except CliError as error:
        if "--json" in sys.argv:
            print_json(
                _command_name(sys.argv[1:]), False, {"error": error.message, **error.details}
            )
        else:
            err_console.print(f"[red]error:[/red] {error.message}")
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        err_console.print("aborted")
        sys.exit(1)
    # Typer >= 0.24 vendors its own click: its usage errors are TyperExceptions, not click's.
    except (click.ClickException, typer.TyperException) as error:
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"[red]error:[/red] {error.message}")
        sys.exit(error.exit_code)  # 2 for a usage error, in both families
    sys.exit(code if isinstance(code, int) else 0)


def _command_name(args: list[str]) -> str:
    """The (sub)command words of an argv, for the JSON envelope of an error."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--config", "-c"):
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if words[0] not in ("config", "service", "auth", "completion") or len(words) == 2:
                break
    return " ".join(words) or "cliproxyctl"
