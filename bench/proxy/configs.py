"""The config files of the proxies under test: the daemon's config.toml and nginx.conf."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bench.proxy.scenarios import CLIENT_KEY, MOCK_KEY, PLAIN_MODEL, STREAM_MODEL

# --------------------------------------------------------------------------- configs


def render_daemon_config(mock_url: str, port: int = 0) -> str:
    """The daemon's config.toml: loopback, one client key, debug off (no access log), one
    OpenAI-compatible provider (the mock) serving the bench's two models under their own names."""
    models = ", ".join(f'{{name = "{m}"}}' for m in (PLAIN_MODEL, STREAM_MODEL))
    return (
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        f'api-keys = ["{CLIENT_KEY}"]\n'
        "debug = false\n"
        "request-log = false\n"
        "logging-to-file = false\n"
        "drain-timeout = 5\n"
        "\n"
        "[[openai-compatibility]]\n"
        'name = "benchmock"\n'
        f'base-url = "{mock_url}/v1"\n'
        f'api-key-entries = [{{api-key = "{MOCK_KEY}"}}]\n'
        f"models = [{models}]\n"
    )


# Temp-path directives of the modules a build may leave out (`--without-http_<name>_module`).
_NGINX_TEMP_MODULES = ("fastcgi", "uwsgi", "scgi")


def nginx_modules_without(version_text: str) -> frozenset[str]:
    """The temp-path modules `nginx -V` says were left out of this build."""
    return frozenset(m for m in _NGINX_TEMP_MODULES if f"--without-http_{m}_module" in version_text)


def render_nginx_config(
    prefix: Path, listen_port: int, upstream_port: int, without: Iterable[str] = ()
) -> str:
    """nginx as a plain reverse proxy to the mock: one worker in the foreground, no access log,
    keep-alive to the upstream, responses relayed as they come (no buffering), every file it
    writes under `prefix` so it runs unprivileged."""
    skipped = set(without)
    temp_paths = [f"    client_body_temp_path {prefix}/tmp/body;"]
    temp_paths += [f"    proxy_temp_path {prefix}/tmp/proxy;"]
    temp_paths += [
        f"    {m}_temp_path {prefix}/tmp/{m};" for m in _NGINX_TEMP_MODULES if m not in skipped
    ]
    temp = "\n".join(temp_paths)
    return f"""daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
{temp}
    keepalive_requests 1000000;
    keepalive_timeout 75s;

    upstream mock {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}

    server {{
        listen 127.0.0.1:{listen_port};
        location / {{
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}
}}
"""
