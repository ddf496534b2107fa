"""The typed configuration: frozen dataclasses, snake_case attributes for the kebab-case keys.

Every section has a default, so ``Settings()`` is the configuration of an empty file. Keys that
CLIProxyAPI knows but cliproxy does not model are kept raw in the ``extra`` mappings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8317

_SECRET_WORDS = ("key", "secret", "token", "password", "credential", "cookie", "authorization")
_NOT_SECRET_SUFFIXES = ("-file", "-env", "-dir", "-path", "-url", "-id")


@dataclass(frozen=True, slots=True)
class TlsSettings:
    enable: bool = False
    cert: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamTimeouts:
    """Seconds: TCP/TLS connect; a stream's response headers; a whole non-stream response
    (reasoning models may think for minutes first); silence between two chunks of a stream."""

    connect: float = 10.0
    first_byte: float = 60.0
    non_stream: float = 600.0
    idle: float = 120.0


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    strategy: str = "round-robin"
    session_affinity: bool = False
    session_affinity_ttl: float = 3600.0  # seconds; the file says "1h", "30m", "90s" or 3600
    health_aware: bool = True  # skip credentials in COOLDOWN or ERROR while others remain
    prefer_healthy: bool = False  # among the rest, use HEALTHY ones before DEGRADED ones


@dataclass(frozen=True, slots=True)
class HealthTracking:
    """The rolling window that decides HEALTHY / DEGRADED / ERROR."""

    window: float = 300.0  # seconds
    degraded_failure_rate: float = 0.2
    error_failure_rate: float = 0.5
    min_requests: int = 5


@dataclass(frozen=True, slots=True)
class RemoteManagement:
    allow_remote: bool = False
    secret_key: str | None = None
    disable_control_panel: bool = False


@dataclass(frozen=True, slots=True)
class ModelEntry:
    name: str
    alias: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiKeyEntry:
    api_key: str
    proxy_url: str | None = None
    weight: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderKeyEntry:
    """An entry of ``claude-api-key``, ``gemini-api-key``, ``vertex-api-key``, ``codex-api-key``."""

    api_key: str
    base_url: str | None = None
    prefix: str | None = None
    proxy_url: str | None = None  # a URL, or "direct"/"none" to bypass every proxy
    headers: dict[str, str] = field(default_factory=dict)
    models: tuple[ModelEntry, ...] = ()
    excluded_models: tuple[str, ...] = ()
    priority: int | None = None
    weight: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OpenAICompatEntry:
    name: str
    base_url: str | None = None
    prefix: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    api_key_entries: tuple[ApiKeyEntry, ...] = ()
    models: tuple[ModelEntry, ...] = ()
    excluded_models: tuple[str, ...] = ()
    priority: int | None = None
    # The field that carries the output-token limit upstream: "max_tokens" or
    # "max_completion_tokens" (OpenAI's reasoning models refuse the older one). None: automatic.
    max_tokens_field: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelAlias:
    name: str
    alias: str
    fork: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls: TlsSettings = field(default_factory=TlsSettings)
    auth_dir: str | None = None
    api_keys: tuple[str, ...] = ()
    debug: bool = False
    logging_to_file: bool = False
    logs_max_total_size_mb: int = 100  # always >= 1; a 0 in the file (CLIProxyAPI) means 100
    proxy_url: str | None = None
    request_retry: int = 3
    max_retry_interval: int = 30
    strict_config: bool = False
    usage_statistics_enabled: bool = False
    force_model_prefix: bool = False
    drain_timeout: float = 30.0
    max_body_size_mb: int = 32
    upstream_timeouts: UpstreamTimeouts = field(default_factory=UpstreamTimeouts)
    stream_keepalive_seconds: float = 15.0  # 0: never send keep-alives on silent streams
    health_tracking: HealthTracking = field(default_factory=HealthTracking)
    transient_error_cooldown_seconds: float = 60.0
    max_cooldown: float = 21600.0  # the longest any reset hint is trusted (6 h)
    cooldown_probe_interval: float = 600.0  # one probe this often while a long cooldown runs
    save_cooldown_status: bool = False  # keep cooldowns across restarts
    oauth_provider_priority: dict[str, int] = field(default_factory=dict)
    fallback_chains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Simple CLIProxyAPI keys, typed so later issues can use them.
    request_log: bool = False
    ws_auth: bool = False
    passthrough_headers: bool = False
    disable_cooling: bool = False
    commercial_mode: bool = False
    nonstream_keepalive_interval: int = 0
    error_logs_max_files: int = 10
    max_retry_credentials: int = 0
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    remote_management: RemoteManagement = field(default_factory=RemoteManagement)
    openai_compatibility: tuple[OpenAICompatEntry, ...] = ()
    claude_api_key: tuple[ProviderKeyEntry, ...] = ()
    gemini_api_key: tuple[ProviderKeyEntry, ...] = ()
    vertex_api_key: tuple[ProviderKeyEntry, ...] = ()
    codex_api_key: tuple[ProviderKeyEntry, ...] = ()
    oauth_model_alias: dict[str, tuple[ModelAlias, ...]] = field(default_factory=dict)
    oauth_excluded_models: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)  # known CLIProxyAPI keys, kept raw

    def provider_keys(self) -> Iterator[ProviderKeyEntry]:
        """Every provider key entry of the four api-key sections, in file order."""
        yield from self.claude_api_key
        yield from self.gemini_api_key
        yield from self.vertex_api_key
        yield from self.codex_api_key

    def secrets(self) -> list[str]:
        """Every secret value in the config, longest first, without duplicates or empties.

        Client keys, provider keys, the management secret, passwords embedded in proxy URLs,
        sensitive header values, and secret-looking values among the raw CLIProxyAPI keys.
        """
        found: list[str] = list(self.api_keys)
        found.append(self.remote_management.secret_key or "")
        found.append(proxy_password(self.proxy_url))
        for entry in self.provider_keys():
            found.append(entry.api_key)
            found.append(proxy_password(entry.proxy_url))
            found.extend(_header_secrets(entry.headers))
            _walk_secrets(entry.extra, found)
        for compat in self.openai_compatibility:
            found.extend(_header_secrets(compat.headers))
            _walk_secrets(compat.extra, found)
            for key in compat.api_key_entries:
                found.append(key.api_key)
                found.append(proxy_password(key.proxy_url))
                _walk_secrets(key.extra, found)
        _walk_secrets(self.extra, found)
        unique = {s for s in found if s}
        return sorted(unique, key=lambda s: (-len(s), s))


def proxy_password(url: str | None) -> str:
    """The password part of ``scheme://user:password@host``, or ``""``."""
    if not url or "@" not in url:
        return ""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(word in lowered for word in _SECRET_WORDS)


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for name, value in headers.items():
        if _is_secret_name(name) and not value.startswith("$"):
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                found.append(token.strip())
    return found


def _walk_secrets(value: object, found: list[str], secret: bool = False) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if name.endswith("url"):
                found.append(proxy_password(item) if isinstance(item, str) else "")
            _walk_secrets(item, found, secret or _is_secret_name(name))
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_secrets(item, found, secret)
    elif secret and isinstance(value, str):
        found.append(value)
