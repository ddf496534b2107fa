"""What every command needs to find the daemon and its files, resolved once per invocation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import typer

from daemon.paths import Paths, default_paths, find_config_file


@dataclass(slots=True)
class CliContext:
    paths: Paths
    config_path: Path
    environ: dict[str, str]


def make_context(config: Path | None) -> CliContext:
    environ = dict(os.environ)
    paths = default_paths(environ)
    return CliContext(
        paths=paths, config_path=find_config_file(paths, config, environ), environ=environ
    )


def current(ctx: typer.Context) -> CliContext:
    """The context the root callback stored (built afresh when a command is invoked alone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = make_context(None)
    return root.obj
