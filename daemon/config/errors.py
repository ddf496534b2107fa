"""The one exception the config package raises, and how key paths are spelled in messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

KeyPath = tuple[str | int, ...]


def format_key(path: Sequence[str | int]) -> str:
    """Spell a key path the way users write it: ``claude-api-key[1].base-url``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = part
    return out


class ConfigError(Exception):
    """A config file that cannot be used: names the file, the key and (when known) the line.

    ``str()`` reads ``/x/config.toml:12: routing.strategy: expected one of …; got 'fastest'``.
    """

    def __init__(
        self,
        path: Path,
        message: str,
        *,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.key = key
        self.line = line
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        if self.key:
            return f"{where}: {self.key}: {self.message}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.path, self.message, self.key, self.line))


def _rebuild(path: Path, message: str, key: str | None, line: int | None) -> ConfigError:
    return ConfigError(path, message, key=key, line=line)
