"""Plain data (already env-resolved) → Settings, reporting unknown keys and bad values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from daemon.config import known as k
from daemon.config.model import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ApiKeyEntry,
    HealthTracking,
    ModelAlias,
    ModelEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    RemoteManagement,
    RoutingSettings,
    Settings,
    TlsSettings,
    UpstreamTimeouts,
)
from daemon.config.values import Context, Table, describe, parse_duration

ALL_INTERFACES = "0.0.0.0"
MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens")


def build_settings(ctx: Context, data: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    top = Table(ctx, (), data, k.TOP_LEVEL_KEYS, k.KNOWN_PASSTHROUGH)
    settings = _settings(top, environ)
    _note_inert(ctx, settings)
    return settings


def _settings(top: Table, environ: Mapping[str, str]) -> Settings:
    return Settings(
        host=_host(top),
        port=top.integer("port", DEFAULT_PORT, 0, 65535),  # 0: any free port
        tls=_tls(top, environ),
        auth_dir=_path(top.opt_str("auth-dir"), environ),
        api_keys=tuple(dict.fromkeys(top.str_list("api-keys"))),
        debug=top.flag("debug"),
        logging_to_file=top.flag("logging-to-file"),
        logs_max_total_size_mb=top.integer("logs-max-total-size-mb", 0, 0) or 100,
        proxy_url=top.proxy_url("proxy-url", allow_direct=False),
        request_retry=top.integer("request-retry", 3, 0),
        max_retry_interval=top.integer("max-retry-interval", 30, 0),
        strict_config=top.ctx.strict,
        usage_statistics_enabled=top.flag("usage-statistics-enabled"),
        force_model_prefix=top.flag("force-model-prefix"),
        drain_timeout=top.number("drain-timeout", 30.0, 0.0),
        max_body_size_mb=top.integer("max-body-size-mb", 32, 1),
        upstream_timeouts=_upstream_timeouts(top),
        stream_keepalive_seconds=_stream_keepalive(top),
        health_tracking=_health_tracking(top),
        transient_error_cooldown_seconds=top.number("transient-error-cooldown-seconds", 60.0, 0.0),
        max_cooldown=_duration(top, "max-cooldown", 21600.0),
        cooldown_probe_interval=_duration(top, "cooldown-probe-interval", 600.0),
        save_cooldown_status=top.flag("save-cooldown-status"),
        oauth_provider_priority=_provider_priority(top),
        fallback_chains=_fallback_chains(top),
        request_log=top.flag("request-log"),
        ws_auth=top.flag("ws-auth"),
        passthrough_headers=top.flag("passthrough-headers"),
        disable_cooling=top.flag("disable-cooling"),
        commercial_mode=top.flag("commercial-mode"),
        nonstream_keepalive_interval=top.integer("nonstream-keepalive-interval", 0, 0),
        error_logs_max_files=top.integer("error-logs-max-files", 10, 0),
        max_retry_credentials=top.integer("max-retry-credentials", 0, 0),
        routing=_routing(top),
        remote_management=_remote_management(top),
        openai_compatibility=_openai_compatibility(top),
        claude_api_key=_provider_keys(top, "claude-api-key"),
        gemini_api_key=_provider_keys(top, "gemini-api-key"),
        vertex_api_key=_provider_keys(top, "vertex-api-key"),
        codex_api_key=_provider_keys(top, "codex-api-key"),
        oauth_model_alias=_oauth_model_alias(top),
        oauth_excluded_models=_oauth_excluded_models(top),
        extra=top.extra,
    )


def _stream_keepalive(top: Table) -> float:
    """`stream-keepalive-seconds`, else CLIProxyAPI's `streaming.keepalive-seconds`."""
    streaming = top.raw("streaming")
    if top.raw("stream-keepalive-seconds") is None and isinstance(streaming, Mapping):
        inner = Table(top.ctx, ("streaming",), streaming, k.STREAMING_KEYS)
        if inner.raw("keepalive-seconds") is not None:
            return inner.number("keepalive-seconds", 15.0, 0.0)
    return top.number("stream-keepalive-seconds", 15.0, 0.0)


def _note_inert(ctx: Context, settings: Settings) -> None:
    """One warning naming the CLIProxyAPI switches this file turns on that cliproxy accepts but
    does not act on, so nobody waits for a setting that does nothing. (`ws-auth` guards an API
    cliproxy does not have: nothing to wait for.)"""
    inert = [
        name
        for name, on in (
            ("request-log", settings.request_log),
            ("commercial-mode", settings.commercial_mode),
        )
        if on
    ]
    if inert:
        ctx.warnings.append(
            f"{ctx.path.name}: accepted for CLIProxyAPI compatibility, no effect in cliproxy "
            f"yet: {', '.join(inert)}"
        )


def _host(top: Table) -> str:
    host = top.str_or("host", DEFAULT_HOST).strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return ALL_INTERFACES  # CLIProxyAPI's "" means every interface
    if any(c.isspace() or c in "/@?#" for c in host):
        raise top.ctx.error(top.path("host"), f"expected a host name or IP address; got {host!r}")
    return host


def _path(value: str | None, environ: Mapping[str, str]) -> str | None:
    """Expand a leading ``~`` with the given environment (never the process's own)."""
    if value is None:
        return None
    value = value.strip()
    if value == "~" or value.startswith(("~/", "~\\")):
        home = environ.get("HOME") or environ.get("USERPROFILE") or _account_home()
        return home + value[1:]
    if value.startswith("~"):
        return os.path.expanduser(value)  # ~user/…: from the account database
    return value


def _account_home() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, AttributeError):
        return "~"


def _tls(top: Table, environ: Mapping[str, str]) -> TlsSettings:
    t = top.table("tls", k.TLS_KEYS)
    tls = TlsSettings(
        enable=t.flag("enable"),
        cert=_path(t.opt_str("cert"), environ),
        key=_path(t.opt_str("key"), environ),
    )
    if tls.enable:
        for name, value in (("cert", tls.cert), ("key", tls.key)):
            if value is None:
                raise top.ctx.error(
                    t.path(name) if name in t.data else t.path("enable"),
                    f"tls.enable is true but tls.{name} is not set; give the path of the PEM file",
                )
    return tls


def _upstream_timeouts(top: Table) -> UpstreamTimeouts:
    t = top.table("upstream-timeouts", k.UPSTREAM_TIMEOUT_KEYS)
    default = UpstreamTimeouts()
    return UpstreamTimeouts(
        connect=t.number("connect", default.connect, 0.001),
        first_byte=t.number("first-byte", default.first_byte, 0.001),
        non_stream=t.number("non-stream", default.non_stream, 0.001),
        idle=t.number("idle", default.idle, 0.001),
    )


def _routing(top: Table) -> RoutingSettings:
    t = top.table("routing", k.ROUTING_KEYS, k.ROUTING_PASSTHROUGH)
    return RoutingSettings(
        strategy=t.choice("strategy", k.ROUTING_STRATEGIES, "round-robin"),
        session_affinity=t.flag("session-affinity"),
        session_affinity_ttl=_duration(t, "session-affinity-ttl", 3600.0),
        health_aware=t.flag("health-aware", True),
        prefer_healthy=t.flag("prefer-healthy"),
    )


def _health_tracking(top: Table) -> HealthTracking:
    t = top.table("health-tracking", k.HEALTH_TRACKING_KEYS)
    default = HealthTracking()
    degraded = t.number("degraded-failure-rate", default.degraded_failure_rate, 0.0)
    error = t.number("error-failure-rate", default.error_failure_rate, 0.0)
    for name, rate in (("degraded-failure-rate", degraded), ("error-failure-rate", error)):
        if rate > 1.0:
            raise t.ctx.error(t.path(name), f"expected a rate from 0 to 1; got {rate}")
    if degraded > error:
        raise t.ctx.error(
            t.path("degraded-failure-rate"),
            f"must not exceed error-failure-rate ({error}); got {degraded}",
        )
    return HealthTracking(
        window=_duration(t, "window", default.window) or default.window,
        degraded_failure_rate=degraded,
        error_failure_rate=error,
        min_requests=t.integer("min-requests", default.min_requests, 1),
    )


def _provider_priority(top: Table) -> dict[str, int]:
    raw = top.mapping("oauth-provider-priority")
    out: dict[str, int] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise top.ctx.error(
                (*top.path("oauth-provider-priority"), str(name)),
                f"expected a whole number; got {describe(value)}",
            )
        out[str(name)] = value
    return out


def _fallback_chains(top: Table) -> dict[str, tuple[str, ...]]:
    raw = top.mapping("fallback-chains")
    out: dict[str, tuple[str, ...]] = {}
    for model, chain in raw.items():
        if not isinstance(chain, list) or not all(isinstance(m, str) and m for m in chain):
            raise top.ctx.error(
                (*top.path("fallback-chains"), str(model)),
                f"expected a list of model names; got {describe(chain)}",
            )
        out[str(model)] = tuple(chain)
    return out


def _duration(t: Table, name: str, default: float) -> float:
    value = t.raw(name)
    if value is None:
        return default
    seconds: float | None = None
    if isinstance(value, str):
        seconds = parse_duration(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None or seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise t.ctx.error(
            t.path(name),
            f"expected a duration like '30s', '5m', '1h' or a number of seconds; "
            f"got {describe(value)}",
        )
    return seconds


def _remote_management(top: Table) -> RemoteManagement:
    t = top.table("remote-management", k.REMOTE_MANAGEMENT_KEYS, k.REMOTE_MANAGEMENT_PASSTHROUGH)
    return RemoteManagement(
        allow_remote=t.flag("allow-remote"),
        secret_key=t.opt_str("secret-key"),
        disable_control_panel=t.flag("disable-control-panel"),
    )


def _prefix(t: Table) -> str | None:
    value = t.opt_str("prefix")
    if value is None:
        return None
    return value.strip().strip("/") or None


def _models(t: Table) -> tuple[ModelEntry, ...]:
    return tuple(
        ModelEntry(name=m.req_str("name"), alias=m.opt_str("alias"), extra=m.extra)
        for m in t.tables("models", k.MODEL_KEYS, k.MODEL_PASSTHROUGH)
    )


def _weight(t: Table) -> int | None:
    return t.opt_int("weight", 0, 1_000_000)


def _provider_keys(top: Table, section: str) -> tuple[ProviderKeyEntry, ...]:
    return tuple(
        ProviderKeyEntry(
            api_key=t.req_str("api-key"),
            base_url=t.http_url("base-url"),
            prefix=_prefix(t),
            proxy_url=t.proxy_url("proxy-url", allow_direct=True),
            headers=t.str_map("headers"),
            models=_models(t),
            excluded_models=t.str_list("excluded-models"),
            priority=t.opt_int("priority"),
            weight=_weight(t),
            extra=t.extra,
        )
        for t in top.tables(section, k.PROVIDER_KEY_KEYS, k.PROVIDER_KEY_PASSTHROUGH)
    )


def _openai_compatibility(top: Table) -> tuple[OpenAICompatEntry, ...]:
    entries: list[OpenAICompatEntry] = []
    seen: set[str] = set()
    for t in top.tables("openai-compatibility", k.OPENAI_COMPAT_KEYS, k.OPENAI_COMPAT_PASSTHROUGH):
        name = t.req_str("name")
        if name in seen:
            raise t.ctx.error(t.path("name"), f"duplicate provider name {name!r}")
        seen.add(name)
        keys = [
            ApiKeyEntry(
                api_key=e.req_str("api-key"),
                proxy_url=e.proxy_url("proxy-url", allow_direct=True),
                weight=_weight(e),
                extra=e.extra,
            )
            for e in t.tables("api-key-entries", k.API_KEY_ENTRY_KEYS, k.API_KEY_ENTRY_PASSTHROUGH)
        ]
        keys.extend(ApiKeyEntry(api_key=key) for key in t.str_list("api-keys"))
        entries.append(
            OpenAICompatEntry(
                name=name,
                base_url=t.http_url("base-url"),
                prefix=_prefix(t),
                headers=t.str_map("headers"),
                api_key_entries=tuple(keys),
                models=_models(t),
                excluded_models=t.str_list("excluded-models"),
                priority=t.opt_int("priority"),
                max_tokens_field=(
                    t.choice("max-tokens-field", MAX_TOKENS_FIELDS, MAX_TOKENS_FIELDS[0])
                    if t.raw("max-tokens-field") is not None
                    else None
                ),
                extra=t.extra,
            )
        )
    return tuple(entries)


def _channels(top: Table, name: str) -> Table:
    """A mapping whose keys are free-form channel names (claude, codex, vertex, …)."""
    data = top.mapping(name)
    return Table(top.ctx, top.path(name), data, frozenset(str(c) for c in data))


def _oauth_model_alias(top: Table) -> dict[str, tuple[ModelAlias, ...]]:
    channels = _channels(top, "oauth-model-alias")
    return {
        channel: tuple(
            ModelAlias(
                name=a.req_str("name"),
                alias=a.req_str("alias"),
                fork=a.flag("fork"),
                extra=a.extra,
            )
            for a in channels.tables(channel, k.MODEL_ALIAS_KEYS, k.MODEL_ALIAS_PASSTHROUGH)
        )
        for channel in channels.data
    }


def _oauth_excluded_models(top: Table) -> dict[str, tuple[str, ...]]:
    channels = _channels(top, "oauth-excluded-models")
    return {channel: channels.str_list(channel) for channel in channels.data}
