"""One key of ``config.toml``, addressed the way error messages spell it, read and written in
place with tomlkit (comments, order and every other key survive).

    path = parse_path('fallback-chains."gpt-4.1"')      # ("fallback-chains", "gpt-4.1")
    old = set_value(doc, parse_path("routing.strategy"), parse_value("fill-first"))
    old = set_value(doc, parse_path("claude-api-key[0].priority"), 10)
    old = unset_value(doc, parse_path("request-retry"))

Tables on the way are created when missing (``[routing]``); entries of arrays of tables
(``[[claude-api-key]]``) are only addressed, never created: adding a provider is `setup`'s job.
"""

from __future__ import annotations

import json
import re
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Item, Table
from tomlkit.toml_document import TOMLDocument

KeyPath = tuple[str | int, ...]

_SEGMENT = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_-]+))\s*((?:\[\d+\])*)\s*')
_INDEX = re.compile(r"\[(\d+)\]")


class KeyPathError(ValueError):
    """The key cannot be addressed: bad spelling, or a value of another shape in the way."""


def parse_path(text: str) -> KeyPath:
    """``a.b``, ``a."x.y"``, ``a[0].b`` → its segments (ints index arrays of tables)."""
    path: list[str | int] = []
    rest = text
    while True:
        match = _SEGMENT.match(rest)
        if match is None or not (match.group(1) is not None or match.group(2)):
            raise KeyPathError(f"cannot read the key {text!r} (write it as table.key)")
        quoted, bare, indices = match.groups()
        path.append(json.loads(f'"{quoted}"') if quoted is not None else bare)
        path.extend(int(i) for i in _INDEX.findall(indices))
        rest = rest[match.end() :]
        if not rest:
            return tuple(path)
        if not rest.startswith("."):
            raise KeyPathError(f"cannot read the key {text!r} at {rest!r}")
        rest = rest[1:]


def parse_value(text: str) -> Any:
    """A TOML value (``3``, ``true``, ``"x"``, ``["a", "b"]``, ``{ a = 1 }``); anything that is
    not one is taken as a string, so ``fill-first`` needs no quotes."""
    try:
        return tomlkit.parse(f"value = {text}")["value"]
    except TOMLKitError:
        return text


def get_value(doc: TOMLDocument, path: KeyPath) -> Any:
    """The value at `path` as plain data; None when it is not set."""
    parent = _walk(doc, path[:-1], create=False)
    if parent is None:
        return None
    found = _child(parent, path[-1])
    return found.unwrap() if isinstance(found, Item) else found


def set_value(doc: TOMLDocument, path: KeyPath, value: Any) -> Any:
    """Set `path` to `value`; returns the value it had (None: it was not set)."""
    if isinstance(path[-1], int):
        raise KeyPathError("a key names a value, not an entry: add the key after the index")
    parent = _walk(doc, path[:-1], create=True)
    assert parent is not None
    old = _child(parent, path[-1])
    if isinstance(old, (Table, AoT)):
        raise KeyPathError(f"{_spell(path)} is a table: set one of its keys")
    parent[path[-1]] = value
    return old.unwrap() if isinstance(old, Item) else old


def unset_value(doc: TOMLDocument, path: KeyPath) -> Any:
    """Remove `path` (its default applies again); returns the value it had (None: not set)."""
    if isinstance(path[-1], int):
        raise KeyPathError("unset removes a key, not an entry")
    parent = _walk(doc, path[:-1], create=False)
    old = None if parent is None else _child(parent, path[-1])
    if old is None:
        return None
    assert parent is not None
    del parent[path[-1]]
    return old.unwrap() if isinstance(old, Item) else old


def _walk(doc: TOMLDocument, path: KeyPath, *, create: bool) -> Any:
    """The table at `path` (or entry of a list of tables), made on the way when `create`."""
    node: Any = doc
    for depth, segment in enumerate(path):
        where = _spell(path[: depth + 1])
        if isinstance(segment, int):
            if not isinstance(node, list):
                raise KeyPathError(f"{_spell(path[:depth])} is not a list of entries")
            if segment >= len(node):
                raise KeyPathError(f"{where} does not exist ({len(node)} entries)")
            node = node[segment]
            if not isinstance(node, dict):
                raise KeyPathError(f"{where} is a value, not an entry with keys")
            continue
        child = _child(node, segment)
        if child is None:
            if not create:
                return None
            node[segment] = _new_table(node)
            child = node[segment]
        elif isinstance(child, list):
            if not _indexed_next(path, depth):
                raise KeyPathError(f"{where} is a list of entries: name one, e.g. {where}[0]")
        elif not isinstance(child, dict):
            raise KeyPathError(f"{where} is a value, not a table")
        node = child
    return node


def _new_table(parent: Any) -> Table:
    """An empty table; at the top level, set off from what comes before by a blank line."""
    table = tomlkit.table()
    if isinstance(parent, TOMLDocument):
        text = parent.as_string()
        if text and not text.endswith("\n\n"):
            table.trivia.indent = "\n" if text.endswith("\n") else "\n\n"
    return table


def _child(node: Any, key: str | int) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def _indexed_next(path: KeyPath, depth: int) -> bool:
    return depth + 1 < len(path) and isinstance(path[depth + 1], int)


def _spell(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += f".{name}" if out else name
    return out
