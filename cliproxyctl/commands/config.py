"""config path|show|validate|set|unset: find, read, check and change the config file.

`set` and `unset` edit one key of config.toml in place (comments kept), refuse an edit that
would not load or names an unknown key, and ask a running daemon to reload."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cliproxyctl.context import CliContext, current
from cliproxyctl.control import ControlClient
from cliproxyctl.errors import CliError, NotRunning
from cliproxyctl.render import console, print_json, redact
from daemon.config import ConfigError, LoadedConfig, load_config
from daemon.config.known import ENV_PREFIX

if TYPE_CHECKING:  # tomlkit and the editing code load only for set/unset (CLI start-up)
    from tomlkit.toml_document import TOMLDocument

    from cliproxyctl.configedit import KeyChange
    from cliproxyctl.tomlpath import KeyPath

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


@app.command("get")
def get_key(ctx: typer.Context, key: KeyArg, as_json: JsonFlag = False) -> None:
    """Print one effective setting (secrets masked), and whether the file sets it."""
    from cliproxyctl.tomledit import parse as parse_toml
    from cliproxyctl.tomlpath import KeyPathError, get_value, parse_path

    cli = current(ctx)
    loaded = _load(cli.config_path, cli.environ, strict=None)
    try:
        path = parse_path(key)
    except KeyPathError as error:
        raise CliError(str(error)) from error
    settings = redact(loaded.settings, set(loaded.settings.secrets()))
    found, value = _lookup(settings, path)
    if not found:
        raise CliError(f"{key} is not a setting cliproxy has (see `cliproxyctl config show`)")
    in_file: bool | None = None
    if cli.config_path.suffix.lower() == ".toml":
        doc = parse_toml(cli.config_path.read_text(encoding="utf-8"))
        try:
            in_file = get_value(doc, path) is not None
        except KeyPathError:
            in_file = False
    if as_json:
        details = {"key": key, "value": value, "set_in_file": in_file}
        print_json("config get", True, details)
        return
    where = {True: "set in the file", False: "default", None: ""}[in_file]
    console.print(f"{key} = {_show(value)}" + (f"  ({where})" if where else ""))


def _lookup(settings: Any, path: tuple[str | int, ...]) -> tuple[bool, Any]:
    """The value at a file-style key path in the settings as plain data (kebab → snake)."""
    node = settings
    for segment in path:
        if isinstance(segment, int):
            if not isinstance(node, list) or segment >= len(node):
                return False, None
            node = node[segment]
            continue
        if not isinstance(node, dict):
            return False, None
        name = segment if segment in node else segment.replace("-", "_")
        if name not in node:
            return False, None
        node = node[name]
    return True, node


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


KeyArg = Annotated[
    str,
    typer.Argument(
        help="The key as error messages spell it: routing.strategy, claude-api-key[0].priority, "
        'fallback-chains."gpt-4.1".'
    ),
]


@app.command("set")
def set_key(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help='A TOML value (3, true, ["a", "b"]) or plain text.')],
    as_json: JsonFlag = False,
) -> None:
    """Set one key in config.toml (comments kept); a running daemon reloads it."""
    from cliproxyctl.tomlpath import parse_value, set_value

    wanted = parse_value(value)
    _change(
        current(ctx), "config set", key, lambda doc, path: set_value(doc, path, wanted), as_json
    )


@app.command("unset")
def unset_key(ctx: typer.Context, key: KeyArg, as_json: JsonFlag = False) -> None:
    """Remove one key from config.toml, so its default applies; a running daemon reloads."""
    from cliproxyctl.tomlpath import unset_value

    _change(current(ctx), "config unset", key, unset_value, as_json)


def _change(
    cli: CliContext,
    command: str,
    key: str,
    apply: Callable[[TOMLDocument, KeyPath], Any],
    as_json: bool,
) -> None:
    from cliproxyctl.configedit import ConfigFileError, edit_key
    from cliproxyctl.tomlpath import KeyPathError, parse_path

    try:
        change = edit_key(cli.config_path, cli.environ, parse_path(key), apply)
    except (ConfigFileError, KeyPathError) as error:
        raise CliError(str(error), {"path": str(cli.config_path), "changed": False}) from error
    reload = _reload(cli) if change.changed else None
    shown = _masked(change)
    details = {**shown, "path": str(change.path), "changed": change.changed, "reload": reload}
    if as_json:
        print_json(command, True, {**details, "warnings": change.warnings})
        return
    if not change.changed:
        console.print(f"{change.key} is already {_show(shown['new'])}: nothing to change")
        return
    console.print(f"{change.key}: {_show(shown['old'])} → {_show(shown['new'])} ({change.path})")
    for warning in change.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if reload is None:
        console.print("the daemon is not running: the change applies when it starts")
    elif reload.get("ok"):
        console.print(f"the daemon reloaded: {reload.get('message', 'ok')}")
    else:
        console.print(f"[red]the daemon refused the reload:[/red] {reload.get('message')}")


def _reload(cli: CliContext) -> dict[str, Any] | None:
    """The running daemon's reload result; None when no daemon runs."""
    with ControlClient(cli.paths.control_socket) as control:
        try:
            return control.reload()
        except NotRunning:
            return None


def _masked(change: KeyChange) -> dict[str, Any]:
    """Old and new value, masked for keys that hold secrets (keys, headers, proxy URLs)."""
    secret = any(word in change.key for word in _SECRET_WORDS)
    values = {"key": change.key, "old": change.old, "new": change.new}
    if secret:
        for name in ("old", "new"):
            values[name] = redact(values[name], _strings(values[name]))
    return values


_SECRET_WORDS = ("api-key", "secret", "password", "token", "headers", "proxy-url")


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return set() if value.startswith(ENV_PREFIX) else {value}  # a reference, not a secret
    if isinstance(value, list):
        return {s for item in value for s in _strings(item)}
    if isinstance(value, dict):
        return {s for item in value.values() for s in _strings(item)}
    return set()


def _show(value: Any) -> str:
    return "(not set)" if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _load(path: Path, environ: Mapping[str, str], strict: bool | None) -> LoadedConfig:
    if not path.exists():
        raise CliError(f"no config file at {path}", {"path": str(path), "valid": False})
    try:
        return load_config(path, environ, strict=strict)
    except ConfigError as error:
        raise CliError(str(error), {"path": str(path), "valid": False}) from error
