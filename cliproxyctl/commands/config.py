"""config path|show|validate: find, read and check the config file without a daemon."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from cliproxyctl.context import current
from cliproxyctl.errors import CliError
from cliproxyctl.render import console, print_json, redact
from daemon.config import ConfigError, LoadedConfig, load_config

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]


@app.command("path")
def path(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Print the config file in use and whether it exists."""
    cli = current(ctx)
    details = {"path": str(cli.config_path), "exists": cli.config_path.exists()}
    if as_json:
        print_json("config path", True, details)
    else:
        console.print(str(cli.config_path) + ("" if details["exists"] else "  (not created yet)"))


@app.command("show")
def show(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Print the effective settings, secrets masked."""
    cli = current(ctx)
    loaded = _load(cli.config_path, cli.environ, strict=None)
    settings = redact(loaded.settings, set(loaded.settings.secrets()))
    if as_json:
        print_json("config show", True, {"path": str(cli.config_path), "settings": settings})
        return
    console.print_json(data=settings)


@app.command("validate")
def validate(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    strict: Annotated[bool, typer.Option("--strict", help="Unknown keys are errors.")] = False,
) -> None:
    """Check the config file; exit 1 when it is invalid."""
    cli = current(ctx)
    loaded = _load(cli.config_path, cli.environ, strict=strict or None)
    details = {"path": str(cli.config_path), "valid": True, "warnings": loaded.warnings}
    if as_json:
        print_json("config validate", True, details)
        return
    for warning in loaded.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"[green]valid[/green]: {cli.config_path}")


def _load(path: Path, environ: Mapping[str, str], strict: bool | None) -> LoadedConfig:
    if not path.exists():
        raise CliError(f"no config file at {path}", {"path": str(path), "valid": False})
    try:
        return load_config(path, environ, strict=strict)
    except ConfigError as error:
        raise CliError(str(error), {"path": str(path), "valid": False}) from error
