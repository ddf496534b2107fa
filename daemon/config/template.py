"""The commented ``config.toml`` written on first run."""

from __future__ import annotations

import json

_TEMPLATE = """\
# cliproxy configuration (TOML).
#
# Written on first run. Edit it freely: the daemon picks up changes live, and refuses a broken
# file with a clear message while it keeps running on the last good one. `cliproxyctl config
# set` keeps your comments. The keys are the same as CLIProxyAPI's config.yaml, so settings
# can be copied across. Any string value may be written "os.environ/NAME" to read it from the
# environment variable NAME instead (handy for keys).

# Address of the proxy listener. 127.0.0.1 accepts only this machine; "0.0.0.0" (or "")
# accepts every interface, and then api-keys must not be empty.
host = "127.0.0.1"
port = 8317

# Keys a client must send to use the proxy, as "Authorization: Bearer <key>", "x-api-key",
# "x-goog-api-key" or "?key=". This one was generated for you; add one key per client.
api-keys = [{api_key}]

# Folder of the OAuth credential files created by `cliproxyctl login` (default: the user data
# folder). A leading ~ means your home folder.
# auth-dir = "~/.cli-proxy-api"

# Log at debug level.
debug = false
# Also write the log to rotating files in the user log folder, at most this many MB in total
# (0 means the default, 100).
logging-to-file = false
logs-max-total-size-mb = 100

# Outbound proxy for every upstream request: http://, https://, socks5:// or socks5h://.
# proxy-url = "socks5://user:password@127.0.0.1:1080"

# How many more credentials to try after an upstream failure (403, 408, 429, 5xx), and the
# longest wait, in seconds, for a cooling-down credential before retrying.
request-retry = 3
max-retry-interval = 30

# Seconds in-flight requests and streams get to finish on shutdown.
drain-timeout = 30.0
# Largest request body accepted, in MB.
max-body-size-mb = 32
# Seconds of silence on a stream before the client gets a keep-alive (0: never).
stream-keepalive-seconds = 15.0

# Count requests and tokens per key and model.
usage-statistics-enabled = false
# When true, a model name without a "prefix/" only uses credentials that have no prefix.
force-model-prefix = false
# When true, unknown keys in this file are errors instead of warnings.
strict-config = false

# Cooldowns after upstream failures heal themselves: no reset hint is trusted for longer than
# max-cooldown, and a long cooldown lets one probe request through every
# cooldown-probe-interval; its success clears the credential at once.
transient-error-cooldown-seconds = 60
max-cooldown = "6h"
cooldown-probe-interval = "10m"
# Keep cooldowns across restarts.
save-cooldown-status = false

# Upstream timeouts, in seconds: the TCP/TLS connect; a stream's first byte; a whole
# non-stream response (reasoning models may think for minutes first); silence mid-stream.
[upstream-timeouts]
connect = 10.0
first-byte = 60.0
non-stream = 600.0
idle = 120.0

# When every credential of a model is cooling or failing, try these models in order.
# [fallback-chains]
# "claude-opus-4-1" = ["claude-sonnet-4-5", "gemini-2.5-pro"]

# The rolling window that marks credentials HEALTHY, DEGRADED or ERROR.
[health-tracking]
window = "5m"
degraded-failure-rate = 0.2
error-failure-rate = 0.5
min-requests = 5

# HTTPS on the proxy listener.
[tls]
enable = false
# cert = "/path/to/cert.pem"
# key = "/path/to/key.pem"

# How a credential is picked when several can serve a request: round-robin,
# weighted-round-robin, fill-first, least-busy, lowest-latency or random.
[routing]
strategy = "round-robin"
# Keep a conversation on the same credential for this long ("30s", "5m", "1h" or seconds).
session-affinity = false
session-affinity-ttl = "1h"
# Skip credentials that are cooling down or failing while others can serve.
health-aware = true
# Among the rest, use HEALTHY credentials before DEGRADED ones.
prefer-healthy = false

# The management API. It is off while secret-key is unset.
[remote-management]
allow-remote = false
# secret-key = "os.environ/CLIPROXY_MANAGEMENT_KEY"
disable-control-panel = false

# ---------------------------------------------------------------------------------------------
# Providers. Uncomment and fill in the sections you use; each [[...]] block is one key.
# ---------------------------------------------------------------------------------------------

# Anthropic API keys.
# [[claude-api-key]]
# api-key = "os.environ/ANTHROPIC_API_KEY"
# base-url = "https://api.anthropic.com"
# prefix = "team-a"
# proxy-url = "socks5://127.0.0.1:1080"
# excluded-models = ["claude-3-*"]
# headers = {{ X-Custom-Header = "value" }}
# models = [{{ name = "claude-sonnet-4-5-20250929", alias = "sonnet" }}]

# Gemini API keys (Google AI Studio).
# [[gemini-api-key]]
# api-key = "os.environ/GEMINI_API_KEY"
# excluded-models = ["*-preview"]

# Vertex-compatible endpoints with an API key.
# [[vertex-api-key]]
# api-key = "os.environ/VERTEX_API_KEY"
# base-url = "https://example.com/api"
# models = [{{ name = "gemini-2.5-flash", alias = "vertex-flash" }}]

# OpenAI / Codex API keys.
# [[codex-api-key]]
# api-key = "os.environ/OPENAI_API_KEY"
# base-url = "https://api.openai.com/v1"

# Any OpenAI-compatible provider.
# [[openai-compatibility]]
# name = "openrouter"
# base-url = "https://openrouter.ai/api/v1"
# api-key-entries = [{{ api-key = "os.environ/OPENROUTER_API_KEY" }}]
# models = [{{ name = "moonshotai/kimi-k2:free", alias = "kimi-k2" }}]

# New names for the models of OAuth logins, per channel (fork = keep the original name too).
# [oauth-model-alias]
# codex = [{{ name = "gpt-5", alias = "g5", fork = true }}]

# Models hidden from OAuth logins, per channel; * matches any text.
# [oauth-excluded-models]
# claude = ["claude-3-5-haiku-20241022"]
"""


def default_config_text(api_key: str) -> str:
    """The commented default ``config.toml``: loopback on port 8317 with *api_key* as client key."""
    # A JSON string literal is a valid TOML basic string (same escapes).
    return _TEMPLATE.format(api_key=json.dumps(api_key, ensure_ascii=False))
