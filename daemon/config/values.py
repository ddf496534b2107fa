"""Typed reading of plain data: a context that reports errors and unknown keys with their path
and line, a table reader with one method per value type, and the value parsers they share.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from daemon.config.errors import ConfigError, KeyPath, format_key
from daemon.config.known import DIRECT_PROXY_VALUES, ENV_PREFIX, PROXY_SCHEMES
from daemon.config.parse import Locator, Syntax


class FromEnv(str):
    """A string taken from the environment: numbers and booleans may be parsed from it."""

    __slots__ = ()


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


@dataclass
class Context:
    """Where the data came from, and what to do with problems found in it."""

    path: Path
    syntax: Syntax
    locate: Locator
    strict: bool = False
    warnings: list[str] = field(default_factory=list)
    unknown_keys: list[tuple[int | None, str, str]] = field(default_factory=list)

    def error(self, key: KeyPath, message: str) -> ConfigError:
        line = self.locate(key) if key else None
        return ConfigError(self.path, message, key=format_key(key) or None, line=line)

    def unknown(self, key: KeyPath, known: frozenset[str]) -> None:
        """Note an unknown key; finish() turns the notes into warnings or a strict-mode error."""
        close = difflib.get_close_matches(str(key[-1]), sorted(known), n=1)
        hint = f"did you mean '{format_key((*key[:-1], close[0]))}'?" if close else ""
        self.unknown_keys.append((self.locate(key), format_key(key), hint))

    def finish(self) -> None:
        """Report the unknown keys in file order: warnings, or in strict mode one error."""
        ordered = sorted(self.unknown_keys, key=lambda u: (u[0] is None, u[0] or 0))
        self.unknown_keys.clear()
        if self.strict and ordered:
            line, key, hint = ordered[0]
            message = f"unknown key (strict mode is on; {hint or 'remove it'})"
            if len(ordered) > 1:
                others = ", ".join(k for _, k, _ in ordered[1:])
                message += f"; also unknown: {others}"
            raise ConfigError(self.path, message, key=key, line=line)
        for line, key, hint in ordered:
            where = self.path.name if line is None else f"{self.path.name}:{line}"
            note = f"ignored; {hint}" if hint else "ignored"
            self.warnings.append(f"{where}: unknown key '{key}' ({note})")

    @property
    def table_word(self) -> str:
        return "table" if self.syntax == "toml" else "mapping"


def describe(value: object) -> str:
    """How a wrong value is quoted in an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def resolve_env(ctx: Context, value: Any, key: KeyPath, environ: Mapping[str, str]) -> Any:
    """Replace every string ``os.environ/NAME`` by the variable's value (as FromEnv)."""
    if isinstance(value, str):
        if not value.startswith(ENV_PREFIX):
            return value
        name = value[len(ENV_PREFIX) :]
        if not name:
            raise ctx.error(key, f"{value!r} names no environment variable")
        if name not in environ:
            raise ctx.error(key, f"environment variable {name} is not set (from {value!r})")
        return FromEnv(environ[name])
    if isinstance(value, dict):
        return {k: resolve_env(ctx, v, (*key, str(k)), environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env(ctx, v, (*key, i), environ) for i, v in enumerate(value)]
    return value


def plain(value: Any) -> Any:
    """Raw data with FromEnv strings turned back into plain str and keys into str."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def to_bool(ctx: Context, key: KeyPath, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, FromEnv) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ctx.error(key, f"expected true or false; got {describe(value)}")


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("1h30m", "90s", "250ms") or plain seconds ("3600")."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(text))


def check_url(ctx: Context, key: KeyPath, value: str, schemes: tuple[str, ...]) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ctx.error(key, f"not a valid URL ({exc}); got {value!r}") from exc
    if parts.scheme.lower() not in schemes:
        wanted = ", ".join(f"{s}://" for s in schemes)
        raise ctx.error(key, f"expected a URL starting with {wanted}; got {value!r}")
    if not parts.hostname:
        raise ctx.error(key, f"the URL has no host; got {value!r}")
    return value


class Table:
    """One mapping of the file, read key by key. Unknown keys are reported on creation."""

    def __init__(
        self,
        ctx: Context,
        key: KeyPath,
        data: Mapping[Any, Any],
        known: frozenset[str],
        passthrough: frozenset[str] = frozenset(),
    ) -> None:
        self.ctx = ctx
        self.key = key
        self.data: dict[str, Any] = {str(k): v for k, v in data.items()}
        for name in self.data:
            if name not in known and name not in passthrough:
                ctx.unknown((*key, name), known | passthrough)
        self.extra: dict[str, Any] = {
            k: plain(v) for k, v in self.data.items() if k in passthrough and v is not None
        }

    def path(self, name: str) -> KeyPath:
        return (*self.key, name)

    def raw(self, name: str) -> Any:
        """The value, with a YAML null counted as absent."""
        return self.data.get(name)

    def opt_str(self, name: str) -> str | None:
        """A string, or None when absent, null or empty."""
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.ctx.error(self.path(name), f"expected a string; got {describe(value)}")
        return str(value) if value.strip() else None

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if value is None:
            if name in self.data and self.data[name] is not None:
                raise self.ctx.error(self.path(name), "must not be empty")
            raise self.ctx.error(self.path(name), "is required")
        return value

    def str_or(self, name: str, default: str) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.ctx.error(self.path(name), f"expected a string; got {describe(value)}")
        return str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        return default if value is None else to_bool(self.ctx, self.path(name), value)

    def opt_int(
        self, name: str, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, FromEnv):
            with contextlib.suppress(ValueError):
                value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.ctx.error(self.path(name), f"expected an integer; got {describe(value)}")
        self._check_range(name, value, minimum, maximum)
        return value

    def integer(
        self, name: str, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self.opt_int(name, minimum, maximum)
        return default if value is None else value

    def number(self, name: str, default: float, minimum: float | None = None) -> float:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, FromEnv):
            with contextlib.suppress(ValueError):
                value = float(value.strip())
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.ctx.error(self.path(name), f"expected a number; got {describe(value)}")
        self._check_range(name, value, minimum, None)
        return float(value)

    def _check_range(
        self, name: str, value: float, minimum: float | None, maximum: float | None
    ) -> None:
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            raise self.ctx.error(
                self.path(name), f"expected a value from {minimum} to {maximum}; got {value}"
            )
        if minimum is not None and value < minimum:
            raise self.ctx.error(self.path(name), f"expected a value >= {minimum}; got {value}")
        if maximum is not None and value > maximum:
            raise self.ctx.error(self.path(name), f"expected a value <= {maximum}; got {value}")

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = self.str_or(name, default)
        if value not in options:
            raise self.ctx.error(
                self.path(name), f"expected one of {', '.join(options)}; got {value!r}"
            )
        return value

    def str_list(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.ctx.error(
                self.path(name), f"expected a list of strings; got {describe(value)}"
            )
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.ctx.error(
                    (*self.path(name), i), f"expected a string; got {describe(item)}"
                )
            if item.strip():
                out.append(str(item))
        return tuple(out)

    def str_map(self, name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, item in self.mapping(name).items():
            if not isinstance(item, str):
                raise self.ctx.error(
                    (*self.path(name), str(key)), f"expected a string; got {describe(item)}"
                )
            out[str(key)] = str(item)
        return out

    def mapping(self, name: str) -> dict[Any, Any]:
        value = self.raw(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            word = self.ctx.table_word
            raise self.ctx.error(self.path(name), f"expected a {word}; got {describe(value)}")
        return value

    def table(
        self, name: str, known: frozenset[str], passthrough: frozenset[str] = frozenset()
    ) -> Table:
        return Table(self.ctx, self.path(name), self.mapping(name), known, passthrough)

    def tables(
        self, name: str, known: frozenset[str], passthrough: frozenset[str] = frozenset()
    ) -> Iterator[Table]:
        """The tables of a list (``[[name]]`` in TOML, a list of mappings in YAML)."""
        value = self.raw(name)
        if value is None:
            return
        if not isinstance(value, list):
            word = self.ctx.table_word
            raise self.ctx.error(
                self.path(name), f"expected a list of {word}s; got {describe(value)}"
            )
        for i, item in enumerate(value):
            key = (*self.path(name), i)
            if not isinstance(item, dict):
                raise self.ctx.error(key, f"expected a {self.ctx.table_word}; got {describe(item)}")
            yield Table(self.ctx, key, item, known, passthrough)

    def proxy_url(self, name: str, *, allow_direct: bool) -> str | None:
        value = self.opt_str(name)
        if value is None:
            return None
        if allow_direct and value.strip().lower() in DIRECT_PROXY_VALUES:
            return value.strip().lower()
        return check_url(self.ctx, self.path(name), value.strip(), PROXY_SCHEMES)

    def http_url(self, name: str) -> str | None:
        value = self.opt_str(name)
        if value is None:
            return None
        return check_url(self.ctx, self.path(name), value.strip(), ("http", "https"))
