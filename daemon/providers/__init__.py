"""The upstream families the proxy can reach, and the credentials the configuration defines.

`PROVIDERS` maps a family name (``Credential.family``) to its provider; providers are
stateless, so one instance serves every credential of its family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.config.model import OpenAICompatEntry, ProviderKeyEntry, Settings
from daemon.providers import claude, codex, gemini, openai_compatible, vertex
from daemon.providers.base import Credential, Provider, UpstreamRequest

__all__ = ["PROVIDERS", "Credential", "Provider", "UpstreamRequest", "credentials_from_settings"]

PROVIDERS: dict[str, Provider] = {
    "openai-compatible": openai_compatible.OpenAICompatibleProvider(),
    "claude": claude.ClaudeProvider(),
    "gemini": gemini.GeminiProvider(),
    "vertex": vertex.VertexProvider(),
    "codex": codex.CodexProvider(),
}

# (config section, family, default base URL) of the four api-key sections.
_KEY_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("claude-api-key", "claude", claude.DEFAULT_BASE_URL),
    ("gemini-api-key", "gemini", gemini.DEFAULT_BASE_URL),
    ("vertex-api-key", "vertex", vertex.DEFAULT_BASE_URL),
    ("codex-api-key", "codex", codex.DEFAULT_BASE_URL),
)


def credentials_from_settings(settings: Settings) -> list[Credential]:
    """One credential per configured key, in file order; entries marked ``disabled`` are left out.

    Raises ValueError for an ``openai-compatibility`` entry with neither a ``base-url`` nor the
    name of a known service (see openai_compatible.PRESETS).
    """
    sections = {
        "claude-api-key": settings.claude_api_key,
        "gemini-api-key": settings.gemini_api_key,
        "vertex-api-key": settings.vertex_api_key,
        "codex-api-key": settings.codex_api_key,
    }
    found: list[Credential] = []
    for section, family, default_base in _KEY_SECTIONS:
        for index, entry in enumerate(sections[section]):
            if not _disabled(entry.extra):
                found.append(_key_credential(f"{section}[{index}]", family, default_base, entry))
    for compat in settings.openai_compatibility:
        if not _disabled(compat.extra):
            found.extend(_compat_credentials(compat))
    return found


def _key_credential(id: str, family: str, default_base: str, entry: ProviderKeyEntry) -> Credential:
    return Credential(
        id=id,
        family=family,
        api_key=entry.api_key,
        base_url=_base(entry.base_url or default_base),
        proxy_url=_proxy(entry.proxy_url),
        headers=dict(entry.headers),
        prefix=entry.prefix,
        priority=entry.priority or 0,
        weight=1 if entry.weight is None else entry.weight,
        owner=family,
        models=tuple((m.alias or m.name, m.name) for m in entry.models),
        excluded_models=entry.excluded_models,
        disable_cooling=bool(entry.extra.get("disable-cooling")),
    )


def _compat_credentials(compat: OpenAICompatEntry) -> list[Credential]:
    base = compat.base_url or openai_compatible.preset_base_url(compat.name)
    if base is None:
        known = ", ".join(sorted(openai_compatible.PRESETS))
        raise ValueError(
            f"openai-compatibility[{compat.name}].base-url is missing and {compat.name!r} is not "
            f"a known service; set base-url, or name the entry after one of: {known}"
        )
    models = tuple((m.alias or m.name, m.name) for m in compat.models)
    # An entry without keys still makes one keyless credential: local servers (Ollama, vLLM,
    # LM Studio) speak the same API without authentication.
    keys = compat.api_key_entries or (None,)
    found: list[Credential] = []
    for index, key in enumerate(keys):
        priority = compat.priority or 0
        if key is not None and isinstance(key.extra.get("priority"), int):
            priority = key.extra["priority"]
        found.append(
            Credential(
                id=f"openai-compatibility[{compat.name}][{index}]",
                family="openai-compatible",
                api_key=key.api_key if key is not None else "",
                base_url=_base(base),
                proxy_url=_proxy(key.proxy_url if key is not None else None),
                headers=dict(compat.headers),
                prefix=compat.prefix,
                priority=priority,
                weight=1 if key is None or key.weight is None else key.weight,
                owner=compat.name,
                models=models,
                excluded_models=compat.excluded_models,
                disable_cooling=bool(
                    compat.extra.get("disable-cooling")
                    or (key is not None and key.extra.get("disable-cooling"))
                ),
                max_tokens_field=compat.max_tokens_field
                or openai_compatible.default_max_tokens_field(base),
            )
        )
    return found


def _disabled(extra: Mapping[str, Any]) -> bool:
    return extra.get("disabled") is True


def _base(url: str) -> str:
    return url.strip().rstrip("/")


def _proxy(url: str | None) -> str | None:
    """None for the global proxy; "direct" for CLIProxyAPI's "direct" and "none"."""
    if url is None or not url.strip():
        return None
    if url.strip().lower() in ("direct", "none"):
        return "direct"
    return url.strip()
