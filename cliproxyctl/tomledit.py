"""Edit ``config.toml`` in place with tomlkit: comments, ordering and unrelated keys survive.

    doc = parse(text)                 # TomlEditError when the text is not TOML
    changes = apply_edit(doc, ConfigEdit(port=9000, strategy="fill-first"))
    new_text = doc.as_string()

`apply_edit` only touches what the edit names and returns one line per change it made, so a
re-run of the setup wizard with the same answers changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Comment, InlineTable, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from daemon.config.known import EXAMPLE_API_KEYS

KEY_SECTIONS: tuple[str, ...] = (
    "claude-api-key",
    "gemini-api-key",
    "vertex-api-key",
    "codex-api-key",
)
COMPAT_SECTION = "openai-compatibility"


class TomlEditError(ValueError):
    """The existing file cannot be edited (not TOML, or a key has an unexpected shape)."""


@dataclass(frozen=True, slots=True)
class ProviderEdit:
    """One provider key to add: to a ``*-api-key`` section, or to an OpenAI-compatible entry."""

    section: str  # one of KEY_SECTIONS, or COMPAT_SECTION
    api_key: str  # "" for a keyless OpenAI-compatible server (Ollama, vLLM, LM Studio)
    name: str | None = None  # OpenAI-compatible entries only
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigEdit:
    host: str | None = None
    port: int | None = None
    add_client_keys: tuple[str, ...] = ()
    strategy: str | None = None
    providers: tuple[ProviderEdit, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class CurrentValues:
    """What the file says today, as the wizard's defaults (raw: ``os.environ/…`` stays as is)."""

    host: str | None
    port: int | None
    api_keys: tuple[str, ...]
    strategy: str | None
    providers: tuple[str, ...]  # "claude-api-key ×2", "openai-compatibility: openrouter", …


def parse(text: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise TomlEditError(f"not valid TOML: {error}") from error


def current_values(doc: TOMLDocument) -> CurrentValues:
    data: dict[str, Any] = doc.unwrap()
    host = data.get("host")
    port = data.get("port")
    keys = data.get("api-keys")
    routing = data.get("routing")
    strategy = routing.get("strategy") if isinstance(routing, dict) else None
    providers: list[str] = []
    for section in KEY_SECTIONS:
        entries = data.get(section)
        if isinstance(entries, list) and entries:
            providers.append(f"{section} ×{len(entries)}")
    compat = data.get(COMPAT_SECTION)
    if isinstance(compat, list):
        providers.extend(
            f"{COMPAT_SECTION}: {entry.get('name')}" for entry in compat if isinstance(entry, dict)
        )
    return CurrentValues(
        host=host if isinstance(host, str) else None,
        port=port if isinstance(port, int) and not isinstance(port, bool) else None,
        api_keys=tuple(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else (),
        strategy=strategy if isinstance(strategy, str) else None,
        providers=tuple(providers),
    )


def apply_edit(doc: TOMLDocument, edit: ConfigEdit) -> list[str]:
    """Apply *edit* to *doc* in place; one human-readable line per change actually made."""
    changes: list[str] = []
    if edit.host is not None and doc.get("host") != edit.host:
        doc["host"] = edit.host
        changes.append(f"host = {edit.host!r}")
    if edit.port is not None and doc.get("port") != edit.port:
        doc["port"] = edit.port
        changes.append(f"port = {edit.port}")
    if edit.add_client_keys:
        changes.extend(_add_client_keys(doc, edit.add_client_keys))
    if edit.strategy is not None:
        routing = _table(doc, "routing")
        if routing.get("strategy") != edit.strategy:
            routing["strategy"] = edit.strategy
            changes.append(f"routing.strategy = {edit.strategy!r}")
    # Sections the file has first: a section created at the end must not come in between.
    for provider in sorted(edit.providers, key=lambda p: p.section not in doc):
        if provider.section == COMPAT_SECTION:
            changes.extend(_add_compat(doc, provider))
        elif provider.section in KEY_SECTIONS:
            changes.extend(_add_provider_key(doc, provider))
        else:
            raise TomlEditError(f"unknown provider section {provider.section!r}")
    return changes


def _add_client_keys(doc: TOMLDocument, keys: Iterable[str]) -> list[str]:
    existing = doc.get("api-keys")
    if existing is None:
        existing = tomlkit.array()
        doc["api-keys"] = existing
        existing = doc["api-keys"]
    if not isinstance(existing, Array):
        raise TomlEditError("api-keys is not an array")
    changes: list[str] = []
    # The sample file's example keys are refused by the daemon anyway: a real key replaces them.
    for index in reversed(range(len(existing))):
        if existing[index] in EXAMPLE_API_KEYS:
            changes.append(f"api-keys: removed the example key {existing[index]!r}")
            del existing[index]
    for key in keys:
        if key not in existing:
            existing.append(key)
            changes.append("api-keys: added a client key")
    return changes


def _add_provider_key(doc: TOMLDocument, provider: ProviderEdit) -> list[str]:
    entries = _aot(doc, provider.section)
    for entry in entries:
        if entry.get("api-key") == provider.api_key:
            if provider.base_url and entry.get("base-url") != provider.base_url:
                entry["base-url"] = provider.base_url
                return [f"{provider.section}: set base-url of an existing key"]
            return []
    table = tomlkit.table()
    table["api-key"] = provider.api_key
    if provider.base_url:
        table["base-url"] = provider.base_url
    _append(doc, provider.section, table)
    return [f"{provider.section}: added a key"]


def _add_compat(doc: TOMLDocument, provider: ProviderEdit) -> list[str]:
    if not provider.name:
        raise TomlEditError("an openai-compatibility entry needs a name")
    entries = _aot(doc, COMPAT_SECTION)
    wanted = provider.name.strip().lower()
    for entry in entries:
        if str(entry.get("name", "")).strip().lower() == wanted:
            return _update_compat(entry, provider)
    table = tomlkit.table()
    table["name"] = provider.name
    if provider.base_url:
        table["base-url"] = provider.base_url
    if provider.api_key:
        keys = tomlkit.array()
        keys.append(_key_entry(provider.api_key))
        table["api-key-entries"] = keys
    _append(doc, COMPAT_SECTION, table)
    return [f"{COMPAT_SECTION}: added {provider.name!r}"]


def _update_compat(entry: Table, provider: ProviderEdit) -> list[str]:
    changes: list[str] = []
    name = entry.get("name")
    if provider.base_url and entry.get("base-url") != provider.base_url:
        entry["base-url"] = provider.base_url
        changes.append(f"{COMPAT_SECTION}[{name}]: base-url = {provider.base_url!r}")
    if not provider.api_key:
        return changes
    plain = entry.get("api-keys")  # older CLIProxyAPI releases: a plain list of keys
    if isinstance(plain, Array) and "api-key-entries" not in entry:
        if provider.api_key not in plain:
            plain.append(provider.api_key)
            changes.append(f"{COMPAT_SECTION}[{name}]: added a key")
        return changes
    keys = entry.get("api-key-entries")
    if keys is None:
        entry["api-key-entries"] = tomlkit.array()
        keys = entry["api-key-entries"]
    if not isinstance(keys, Array | AoT):
        raise TomlEditError(f"{COMPAT_SECTION}[{name}].api-key-entries is not an array")
    if any(isinstance(k, dict) and k.get("api-key") == provider.api_key for k in keys):
        return changes
    if isinstance(keys, AoT):
        table = tomlkit.table()
        table["api-key"] = provider.api_key
        keys.append(table)
    else:
        keys.append(_key_entry(provider.api_key))
    changes.append(f"{COMPAT_SECTION}[{name}]: added a key")
    return changes


def _key_entry(api_key: str) -> InlineTable:
    entry = tomlkit.inline_table()
    entry["api-key"] = api_key
    return entry


def _table(doc: TOMLDocument, name: str) -> Table:
    if name not in doc:
        doc[name] = tomlkit.table()
    table = doc[name]
    if not isinstance(table, Table):
        raise TomlEditError(f"{name} is not a table")
    return table


def _aot(doc: TOMLDocument, name: str) -> AoT:
    if name not in doc:
        doc[name] = tomlkit.aot()
    entries = doc[name]
    if isinstance(entries, Array) and len(entries) == 0:  # `claude-api-key = []`
        del doc[name]
        doc[name] = tomlkit.aot()
        entries = doc[name]
    if not isinstance(entries, AoT):
        raise TomlEditError(
            f"{name} is written as an inline array; rewrite it as [[{name}]] tables to let "
            "setup add to it"
        )
    return entries


def _append(doc: TOMLDocument, name: str, table: Table) -> None:
    """Append *table* to the array of tables *name*, set off by blank lines.

    Comment lines closing the last entry usually introduce what follows it, so they move
    below the new entry.
    """
    entries = doc[name]
    assert isinstance(entries, AoT)
    tail = _trailing_comments(entries[len(entries) - 1]) if len(entries) else []
    before = entries[len(entries) - 1].as_string() if len(entries) else doc.as_string()
    if before and not before.endswith("\n\n"):
        table.trivia.indent = "\n"
    if tail:
        table.value.body.extend(tail)
    elif list(doc.keys())[-1] != name:  # something follows: keep it apart
        table.add(tomlkit.nl())
    entries.append(table)


def _trailing_comments(table: Table) -> list[tuple[Any, Any]]:
    """Remove and return the comment lines (and blank lines among them) ending *table*."""
    body = table.value.body
    end = len(body)
    while end and body[end - 1][0] is None and isinstance(body[end - 1][1], Comment | Whitespace):
        end -= 1
    tail = body[end:]
    if not any(isinstance(item, Comment) for _, item in tail):
        return []
    del body[end:]
    return tail
