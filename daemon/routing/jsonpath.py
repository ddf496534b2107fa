"""Dotted JSON paths, the subset of gjson/sjson syntax the payload rules use.

``a.b.0.c``: keys and array indexes separated by dots; ``\\.`` is a dot inside a key; ``-1``
appends to an array. Setting creates missing intermediate objects (and pads arrays with null).
gjson queries and wildcards (``#``, ``*``, ``?``, ``|``, ``@``) are refused by `parse_path`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Path = tuple[str, ...]

_UNSUPPORTED = re.compile(r"[#*?|]|(^|\.)@")


def get(body: Any, path: Path) -> tuple[bool, Any]:
    node = body
    for segment in path:
        if isinstance(node, dict) and segment in node:
            node = node[segment]
            continue
        index = _index(segment, len(node)) if isinstance(node, list) else None
        if index is None:
            return False, None
        node = node[index]
    return True, node


def set_value(body: dict[str, Any], path: Path, value: Any) -> None:
    node: Any = body
    for position, segment in enumerate(path):
        last = position == len(path) - 1
        if isinstance(node, list):
            if not _is_int(segment):
                return  # a key into an array: nothing sensible to set
            index = len(node) if segment == "-1" else int(segment)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
                return
            if not isinstance(node[index], dict | list):
                node[index] = {}
            node = node[index]
        else:
            if last:
                node[segment] = value
                return
            child = node.get(segment)
            if not isinstance(child, dict | list):
                child = node[segment] = {}
            node = child


def delete(body: dict[str, Any], path: Path) -> None:
    found, parent = get(body, path[:-1])
    if not found:
        return
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
    elif isinstance(parent, list):
        index = _index(path[-1], len(parent))
        if index is not None:
            del parent[index]


def _is_int(segment: str) -> bool:
    return segment == "-1" or segment.isdigit()


def _index(segment: str, length: int) -> int | None:
    if segment.isdigit() and int(segment) < length:
        return int(segment)
    return None


def parse_path(text: str, where: str) -> Path:
    """``a.b\\.c.0`` → ("a", "b.c", "0")."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: expected a non-empty JSON path")
    raw = text.strip().removeprefix(".")
    if _UNSUPPORTED.search(raw.replace("\\.", "")):
        raise ValueError(f"{where}: path {text!r} uses gjson query syntax, which is not supported")
    segments = [s.replace("\x00", ".") for s in raw.replace("\\.", "\x00").split(".")]
    if any(not s for s in segments):
        raise ValueError(f"{where}: path {text!r} has an empty segment")
    return tuple(segments)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers compare by value, but a boolean never equals a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
