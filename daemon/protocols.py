"""uvicorn's HTTP protocol for the proxy listener, minus per-request work we never use.

uvicorn formats the client address and quoted path of every response for its access log before
the logger's level filters the line out; this subclass decides once per connection whether the
access log is on at all (the daemon turns it on only in debug mode), so a busy proxy does not
pay for lines nobody sees.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any


def quiet_access_log(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """A subclass of `base` (a uvicorn HTTP protocol) that logs access lines only when enabled."""

    class QuietAccessLog(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            enabled = bool(getattr(self, "access_log", False))
            on = enabled and logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
            self.access_log = on

    return QuietAccessLog


def fastest_http_protocol() -> type[asyncio.Protocol]:
    """httptools' protocol when installed (the `speed` extra), else h11's."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    return HttpToolsProtocol
