"""cliproxy's configuration: one typed model read from ``config.toml`` or CLIProxyAPI's
``config.yaml`` with the same kebab-case keys.

    loaded = load_config(path, os.environ)
    loaded.settings.port, loaded.warnings, loaded.source

Unknown keys are warnings (errors in strict mode); values written ``os.environ/NAME`` come from
the environment passed in; every error is a ConfigError naming file, key and line.
"""

from __future__ import annotations

from daemon.config.errors import ConfigError, format_key
from daemon.config.known import EXAMPLE_API_KEYS, KNOWN_PASSTHROUGH, ROUTING_STRATEGIES
from daemon.config.load import LoadedConfig, load_config
from daemon.config.model import (
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
from daemon.config.template import default_config_text

__all__ = [
    "EXAMPLE_API_KEYS",
    "KNOWN_PASSTHROUGH",
    "ROUTING_STRATEGIES",
    "ApiKeyEntry",
    "ConfigError",
    "HealthTracking",
    "LoadedConfig",
    "ModelAlias",
    "ModelEntry",
    "OpenAICompatEntry",
    "ProviderKeyEntry",
    "RemoteManagement",
    "RoutingSettings",
    "Settings",
    "TlsSettings",
    "UpstreamTimeouts",
    "default_config_text",
    "format_key",
    "load_config",
]
