"""Key names: what cliproxy models, and what CLIProxyAPI accepts that cliproxy keeps raw.

The passthrough sets list keys from CLIProxyAPI's config.example.yaml (current and older
releases) so that a CLIProxyAPI user's file loads without spurious "unknown key" warnings.
"""

from __future__ import annotations

# The client keys CLIProxyAPI's config.example.yaml ships; a config still holding one is refused
# on the proxy routes until the user changes it.
EXAMPLE_API_KEYS: frozenset[str] = frozenset({"your-api-key-1", "your-api-key-2", "your-api-key-3"})

ROUTING_STRATEGIES: tuple[str, ...] = (
    "round-robin",
    "weighted-round-robin",
    "fill-first",
    "least-busy",
    "lowest-latency",
    "random",
)

PROXY_SCHEMES: tuple[str, ...] = ("http", "https", "socks5", "socks5h")
DIRECT_PROXY_VALUES: tuple[str, ...] = ("direct", "none")

STRICT_ENV = "CLIPROXY_STRICT_CONFIG"
ENV_PREFIX = "os.environ/"

# Top-level keys with a typed field in Settings.
TOP_LEVEL_KEYS: frozenset[str] = frozenset(
    {
        "host",
        "port",
        "tls",
        "auth-dir",
        "api-keys",
        "debug",
        "logging-to-file",
        "logs-max-total-size-mb",
        "proxy-url",
        "request-retry",
        "max-retry-interval",
        "strict-config",
        "usage-statistics-enabled",
        "force-model-prefix",
        "drain-timeout",
        "max-body-size-mb",
        "upstream-timeouts",
        "stream-keepalive-seconds",
        "health-tracking",
        "transient-error-cooldown-seconds",
        "max-cooldown",
        "cooldown-probe-interval",
        "save-cooldown-status",
        "oauth-provider-priority",
        "fallback-chains",
        "request-log",
        "ws-auth",
        "passthrough-headers",
        "disable-cooling",
        "commercial-mode",
        "nonstream-keepalive-interval",
        "error-logs-max-files",
        "max-retry-credentials",
        "routing",
        "remote-management",
        "openai-compatibility",
        "claude-api-key",
        "gemini-api-key",
        "vertex-api-key",
        "codex-api-key",
        "oauth-model-alias",
        "oauth-excluded-models",
    }
)

# CLIProxyAPI top-level keys that cliproxy accepts and keeps raw in Settings.extra.
KNOWN_PASSTHROUGH: frozenset[str] = frozenset(
    {
        "allow-localhost-unauthenticated",
        "amp-model-mappings",
        "amp-restrict-management-to-localhost",
        "amp-upstream-api-key",
        "amp-upstream-url",
        "ampcode",
        "antigravity",
        "antigravity-signature-bypass-strict",
        "antigravity-signature-cache-enabled",
        "auth",
        "auth-auto-refresh-workers",
        "claude",
        "claude-code",
        "claude-header-defaults",
        "codex",
        "codex-header-defaults",
        "credential-concurrency",
        "credential-in-flight",
        "devin",
        "disable-claude-cloak-mode",
        "disable-image-generation",
        "discovery",
        "generative-language-api-key",
        "gpt-image-2-base-model",
        "incognito-browser",
        "interactions-api-key",
        "kimi-api-key",
        "no-proxy-cidrs",
        "oauth-model-mappings",
        "oauth-request-scoped-errors",
        "payload",
        "plugins",
        "pprof",
        "quota-exceeded",
        "redis-usage-queue-retention-seconds",
        "streaming",
        "video-result-auth-cache-ttl",
        "xai",
        "xai-api-key",
        # Provider blocks of CLIProxyAPI's extended builds.
        "cursor",
        "deepseek",
        "fireworks",
        "groq",
        "kilo",
        "kiro",
        "minimax",
        "mistral",
        "novita",
        "openrouter",
        "roo",
        "siliconflow",
        "together",
    }
)

# CLIProxyAPI's `streaming` block: keepalive-seconds acts (as stream-keepalive-seconds).
STREAMING_KEYS = frozenset({"keepalive-seconds", "bootstrap-retries"})

TLS_KEYS = frozenset({"enable", "cert", "key"})

UPSTREAM_TIMEOUT_KEYS = frozenset({"connect", "first-byte", "idle", "non-stream"})

ROUTING_KEYS = frozenset(
    {"strategy", "session-affinity", "session-affinity-ttl", "health-aware", "prefer-healthy"}
)
HEALTH_TRACKING_KEYS = frozenset(
    {"window", "degraded-failure-rate", "error-failure-rate", "min-requests"}
)
ROUTING_PASSTHROUGH = frozenset({"session-affinity-subagents"})

REMOTE_MANAGEMENT_KEYS = frozenset({"allow-remote", "secret-key", "disable-control-panel"})
REMOTE_MANAGEMENT_PASSTHROUGH = frozenset({"panel-github-repository", "disable-auto-update-panel"})

PROVIDER_KEY_KEYS = frozenset(
    {
        "api-key",
        "base-url",
        "prefix",
        "proxy-url",
        "headers",
        "models",
        "excluded-models",
        "priority",
        "weight",
    }
)
PROVIDER_KEY_PASSTHROUGH = frozenset(
    {
        "alpha-search",
        "cloak",
        "disable-cooling",
        "disabled",
        "experimental-cch-signing",
        "fingerprint-profile",
        "rebuild-mid-system-message",
        "request-retry",
        "request-scoped-errors",
        "websockets",
    }
)

OPENAI_COMPAT_KEYS = frozenset(
    {
        "name",
        "base-url",
        "prefix",
        "headers",
        "api-key-entries",
        "api-keys",  # older CLIProxyAPI releases: a plain list of keys
        "models",
        "excluded-models",
        "priority",
        "max-tokens-field",
    }
)
OPENAI_COMPAT_PASSTHROUGH = frozenset(
    {
        "disable-cooling",
        "disabled",
        "request-retry",
        "request-scoped-errors",
        "support-prompt-cache-key",
    }
)

API_KEY_ENTRY_KEYS = frozenset({"api-key", "proxy-url", "weight"})
API_KEY_ENTRY_PASSTHROUGH = frozenset({"priority", "disable-cooling", "request-retry"})

MODEL_KEYS = frozenset({"name", "alias"})
MODEL_PASSTHROUGH = frozenset(
    {
        "display-name",
        "force-mapping",
        "image",
        "input-modalities",
        "is-compat",
        "max-context-length",
        "output-modalities",
        "thinking",
    }
)

MODEL_ALIAS_KEYS = frozenset({"name", "alias", "fork"})
MODEL_ALIAS_PASSTHROUGH = frozenset({"display-name", "force-mapping"})

# (file key, Settings attribute) of the four provider key sections.
PROVIDER_SECTIONS: tuple[tuple[str, str], ...] = (
    ("claude-api-key", "claude_api_key"),
    ("gemini-api-key", "gemini_api_key"),
    ("vertex-api-key", "vertex_api_key"),
    ("codex-api-key", "codex_api_key"),
)
