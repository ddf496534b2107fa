"""Reading a config file into plain data, and finding the line a key sits on.

TOML goes through tomllib, YAML through ``yaml.safe_load``. The line lookups are best-effort:
for YAML the node tree is composed on demand; for TOML the text is scanned for table headers
and ``key =`` lines. Both return the line of the deepest part of the key path they can find.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from daemon.config.errors import ConfigError, KeyPath

if TYPE_CHECKING:
    import yaml  # imported where used: only YAML files pay for it

Syntax = Literal["toml", "yaml"]
Locator = Callable[[KeyPath], "int | None"]

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True, slots=True)
class RawDocument:
    data: dict[str, Any]
    syntax: Syntax
    locate: Locator


def syntax_for(path: Path) -> Syntax:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ConfigError(
        path, f"unsupported config file type {suffix or '(none)'!r}; use .toml, .yaml or .yml"
    )


def read_document(path: Path) -> RawDocument:
    """Read and parse *path*; syntax errors become a ConfigError with the line."""
    syntax = syntax_for(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from exc
    if syntax == "toml":
        return parse_toml(path, text)
    return parse_yaml(path, text)


def parse_toml(path: Path, text: str) -> RawDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else None
        reason = _TOML_LINE.sub("", message).strip()
        raise ConfigError(path, f"invalid TOML: {reason}", line=line) from exc
    index = toml_key_lines(text)
    return RawDocument(data, "toml", lambda key: _deepest(index, key))


def parse_yaml(path: Path, text: str) -> RawDocument:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(p for p in (exc.context, exc.problem) if p) or "syntax error"
        raise ConfigError(path, f"invalid YAML: {reason}", line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"the top level must be a mapping of keys, not {_kind(data)}")
    cache: list[yaml.Node | None] = []

    def locate(key: KeyPath) -> int | None:
        if not cache:
            try:
                cache.append(yaml.compose(text, Loader=yaml.SafeLoader))
            except yaml.YAMLError:
                cache.append(None)
        return yaml_key_line(cache[0], key)

    return RawDocument(data, "yaml", locate)


def _kind(value: object) -> str:
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


# --- YAML -------------------------------------------------------------------------------


def yaml_key_line(root: yaml.Node | None, key: KeyPath) -> int | None:
    """1-based line of the deepest node of *key* found in the composed tree."""
    import yaml

    node = root
    line: int | None = None
    for part in key:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == part
                ),
                None,
            )
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# --- TOML -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(?:#.*)?$")
_KEY_LINE = re.compile(
    r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_dotted(key: str) -> list[str]:
    parts: list[str] = []
    for match in re.finditer(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", key):
        parts.append(next(g for g in match.groups() if g is not None))
    return parts


def toml_key_lines(text: str) -> dict[KeyPath, int]:
    """Map every table header and ``key =`` line to the key path it defines (first wins).

    Arrays of tables get their index: the second ``[[claude-api-key]]`` is
    ``("claude-api-key", 1)``. Lines inside multi-line strings are skipped.
    """
    index: dict[KeyPath, int] = {}
    counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header and not _KEY_LINE.match(line):
            names = _split_dotted(header.group(2))
            table = _resolve_header(names, header.group(1) == "[[", counts)
            index.setdefault(table, number)
            continue
        key = _KEY_LINE.match(line)
        if key:
            path = table + tuple(_split_dotted(key.group(1)))
            index.setdefault(path, number)
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return index


def _resolve_header(names: list[str], is_array: bool, counts: dict[KeyPath, int]) -> KeyPath:
    """Turn ``[a.b]`` / ``[[a.b]]`` into a key path, reusing array indexes of open parents."""
    path: KeyPath = ()
    for depth, name in enumerate(names):
        path = (*path, name)
        if depth == len(names) - 1 and is_array:
            seen = counts.get(path, -1) + 1
            counts[path] = seen
            return (*path, seen)
        if path in counts:
            path = (*path, counts[path])
    return path


def _deepest(index: dict[KeyPath, int], key: KeyPath) -> int | None:
    for size in range(len(key), 0, -1):
        line = index.get(key[:size])
        if line is not None:
            return line
    return None
