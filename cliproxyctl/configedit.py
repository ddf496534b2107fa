"""Changing ``config.toml`` safely: the edited text must load before it replaces the file.

    change = edit_key(path, environ, parse_path("routing.strategy"), set_to("fill-first"))
    if change.changed: write it (done here, atomically, 0600)

Used by `config set` / `config unset` (one key) and by the setup wizard (`check_loads`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tomlkit.toml_document import TOMLDocument

from cliproxyctl.tomledit import TomlEditError
from cliproxyctl.tomledit import parse as parse_toml
from cliproxyctl.tomlpath import KeyPath, KeyPathError, get_value
from daemon.config import ConfigError, load_config
from daemon.config.errors import format_key
from daemon.fileio import atomic_write

_HINT = re.compile(r"did you mean '([^']+)'")


class ConfigFileError(Exception):
    """The file cannot be changed: not TOML, unreadable, or the edit would break it."""


@dataclass(frozen=True, slots=True)
class KeyChange:
    path: Path
    key: str  # spelled as error messages spell it
    old: Any  # None: was not set
    new: Any  # None: not set any more
    changed: bool
    warnings: list[str] = field(default_factory=list)


def edit_key(
    path: Path,
    environ: Mapping[str, str],
    key: KeyPath,
    apply: Callable[[TOMLDocument, KeyPath], Any],
) -> KeyChange:
    """Apply `apply` (set_value or unset_value with its value bound) to `key` of the file at
    `path`, and write the result if it loads and names no unknown key; else ConfigFileError."""
    old_text = read_toml_text(path, "config set edits TOML files", "edit it by hand")
    if old_text is None:
        raise ConfigFileError(f"no config file at {path}; `cliproxyctl setup` makes one")
    try:
        doc = parse_toml(old_text)
        old = apply(doc, key)
        new = get_value(doc, key)
    except (TomlEditError, KeyPathError) as error:
        raise ConfigFileError(f"{path}: {error}") from error
    spelled = format_key(key)
    new_text = doc.as_string()
    if not new_text.endswith("\n"):
        new_text += "\n"
    if new_text == old_text:
        return KeyChange(path, spelled, old, new, changed=False)
    warnings = check_loads(new_text, old_text, environ)
    if any(f"unknown key '{spelled}'" in warning for warning in warnings):
        hint = next((h for w in warnings for h in _HINT.findall(w) if spelled in w), None)
        raise ConfigFileError(
            f"not changed: {spelled} is not a key cliproxy knows"
            + (f"; did you mean {hint}?" if hint else "")
        )
    atomic_write(path, new_text, mode=0o600)
    return KeyChange(path, spelled, old, new, changed=True, warnings=warnings)


def read_toml_text(path: Path, refusal: str, advice: str) -> str | None:
    """The text of the TOML file at `path` (None: no file yet); ConfigFileError for another
    syntax (`refusal` and `advice` say why and what to do) or a file that cannot be read."""
    if path.suffix.lower() != ".toml":
        raise ConfigFileError(
            f"{refusal}, and {path} is not one; {advice} (cliproxy reads the same keys from both)"
        )
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"cannot read {path}: {error}") from error


def check_loads(new_text: str, old_text: str | None, environ: Mapping[str, str]) -> list[str]:
    """The new text's load warnings; ConfigFileError when it does not load but the old did."""
    with tempfile.TemporaryDirectory(prefix="cliproxy-edit-") as folder:
        probe = Path(folder) / "config.toml"
        probe.write_text(new_text, encoding="utf-8")
        try:
            return list(load_config(probe, environ).warnings)
        except ConfigError as error:
            new_error = str(error).replace(str(probe), "config.toml")
        if old_text is not None:
            probe.write_text(old_text, encoding="utf-8")
            try:
                load_config(probe, environ)
            except ConfigError:
                # Already broken before this edit (e.g. an os.environ/ variable unset here).
                return [f"the config does not load here: {new_error}"]
    raise ConfigFileError(f"the edited config would not load: {new_error}")
