"""``load_config``: file → plain data → environment references resolved → Settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.config.known import STRICT_ENV
from daemon.config.model import Settings
from daemon.config.parse import read_document
from daemon.config.validate import build_settings
from daemon.config.values import Context, resolve_env, to_bool

_ENV_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    settings: Settings
    warnings: list[
        str
    ]  # one line each, e.g. "config.yaml:7: unknown key 'routing.stratgy' (ignored)"
    source: Path


def load_config(
    path: Path, environ: Mapping[str, str], *, strict: bool | None = None
) -> LoadedConfig:
    """Read, validate and type the config at *path*.

    *environ* resolves ``os.environ/NAME`` values, ``~`` in paths and ``CLIPROXY_STRICT_CONFIG``;
    the process environment is never read here. Strict mode (unknown keys are errors) is on when
    *strict* is True, or, when *strict* is None, if the file says ``strict-config: true`` or
    ``CLIPROXY_STRICT_CONFIG`` is 1/true. ``strict=False`` turns it off whatever the file says.
    Raises ConfigError naming the file, the key and (when known) the line.
    """
    document = read_document(path)
    ctx = Context(path, document.syntax, document.locate)
    data: dict[str, Any] = resolve_env(ctx, document.data, (), environ)
    ctx.strict = _strict_mode(ctx, data, environ, strict)
    settings = build_settings(ctx, data, environ)
    ctx.finish()
    return LoadedConfig(settings=settings, warnings=ctx.warnings, source=path)


def _strict_mode(
    ctx: Context, data: Mapping[str, Any], environ: Mapping[str, str], strict: bool | None
) -> bool:
    if strict is not None:
        return strict
    raw = data.get("strict-config")
    in_file = raw is not None and to_bool(ctx, ("strict-config",), raw)
    return in_file or environ.get(STRICT_ENV, "").strip().lower() in _ENV_TRUE
