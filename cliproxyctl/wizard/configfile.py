"""The config file side of setup: read it, plan the edit, show the diff, write atomically.

    change = plan_change(path, answers.to_edit(), environ, new_key)
    print(masked_diff(change, secrets))
    write_change(change)

A new file starts from the commented template; an existing one is edited with tomlkit, so its
comments, order and unrelated keys stay. The result must load (unless the old file did not
load either), and it is written through a temp file, 0600: an interrupted run leaves the old
file or nothing, never half a file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cliproxyctl.configedit import ConfigFileError, check_loads, read_toml_text

__all__ = [
    "ConfigChange",
    "ConfigFileError",
    "masked_diff",
    "plan_change",
    "read_current",
    "write_change",
]
from cliproxyctl.render import mask
from cliproxyctl.tomledit import (
    ConfigEdit,
    CurrentValues,
    TomlEditError,
    apply_edit,
    current_values,
)
from cliproxyctl.tomledit import parse as parse_toml
from daemon.config import default_config_text
from daemon.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class ConfigChange:
    path: Path
    old_text: str | None  # None: no file yet
    new_text: str
    changes: list[str]
    warnings: list[str] = field(default_factory=list)
    base_text: str = ""  # what the edit started from: the old text, or the template

    @property
    def created(self) -> bool:
        return self.old_text is None

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def read_current(path: Path) -> tuple[str | None, CurrentValues | None]:
    """The file's text and values, or (None, None) when there is no file yet."""
    advice = "pass --config with a .toml path to write a new file"
    text = read_toml_text(path, "setup edits TOML files", advice)
    if text is None:
        return None, None
    try:
        return text, current_values(parse_toml(text))
    except TomlEditError as error:
        raise ConfigFileError(f"{path}: {error}; fix it or move it away first") from error


def plan_change(
    path: Path,
    edit: ConfigEdit,
    environ: Mapping[str, str],
    old_text: str | None,
    first_key: str | None = None,
) -> ConfigChange:
    """The new text of *path* after *edit*. A new file starts from the template holding
    *first_key* (the edit's first client key when not given)."""
    if old_text is None:
        key = first_key or (edit.add_client_keys[0] if edit.add_client_keys else "")
        if not key:
            raise ConfigFileError("a new config needs a client key")
        base = default_config_text(key)
    else:
        base = old_text
    try:
        doc = parse_toml(base)
        changes = apply_edit(doc, edit)
    except TomlEditError as error:
        raise ConfigFileError(f"{path}: {error}") from error
    new_text = doc.as_string()
    if old_text is None:
        changes.insert(0, "created from the commented template")
    warnings = check_loads(new_text, old_text, environ)
    return ConfigChange(path, old_text, new_text, changes, warnings, base)


def masked_diff(change: ConfigChange, secrets: Iterable[str]) -> str:
    """A unified diff of the change, every secret masked; a new file is shown as its
    differences from the commented template."""
    old = change.base_text.splitlines(keepends=True)
    new = change.new_text.splitlines(keepends=True)
    source = "template" if change.old_text is None else f"{change.path} (current)"
    lines = difflib.unified_diff(old, new, source, f"{change.path} (new)", n=2)
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, mask(secret))
    return text


def write_change(change: ConfigChange) -> None:
    """Write the new text atomically with mode 0600, creating a private folder if needed."""
    if not change.path.parent.exists():
        change.path.parent.mkdir(parents=True, mode=0o700)
    atomic_write(change.path, change.new_text, mode=0o600)
