"""Which upstream response headers reach the client when `passthrough-headers` is on.

Off by default (as in CLIProxyAPI): the client sees the proxy's own answer. On, it also sees
what the upstream said about the answer (rate-limit counters, request ids, processing time),
minus what describes one hop of HTTP (framing, connection, encoding) or what the proxy sets
itself, and minus cookies, which belong to the upstream's origin, not the proxy's."""

from __future__ import annotations

from collections.abc import Iterable

# Hop-by-hop (RFC 9110 §7.6.1) and framing headers, those the proxy and its server write
# (content type, caching and buffering of streams, date, server), and cookies.
_DROPPED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
        "content-type",
        "cache-control",
        "x-accel-buffering",
        "date",
        "server",
        "set-cookie",
        "alt-svc",
    }
)


def passed_through(upstream: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The upstream's headers the client may see (names lower-cased; the last of a repeat)."""
    return {lowered: value for name, value in upstream if (lowered := name.lower()) not in _DROPPED}
