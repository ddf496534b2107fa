"""daemon.protocols: the proxy's uvicorn HTTP protocol decides per connection whether to write
access lines, and the fastest installed protocol is the one used."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from daemon.asgi import Receive, Scope, Send
from daemon.protocols import fastest_http_protocol, quiet_access_log

ACCESS = logging.getLogger("uvicorn.access")


@pytest.fixture(autouse=True)
def access_logger() -> Iterator[logging.Logger]:
    """uvicorn.access with a handler (as the daemon's logging gives it), its level restored."""
    saved_level, saved_handlers = ACCESS.level, list(ACCESS.handlers)
    ACCESS.addHandler(logging.NullHandler())
    try:
        yield ACCESS
    finally:
        ACCESS.setLevel(saved_level)
        ACCESS.handlers = saved_handlers


class FakeProtocol(asyncio.Protocol):
    """Stands for a uvicorn protocol: it sets `access_log` in its own __init__."""

    def __init__(self, access_log: bool, *, extra: str = "") -> None:
        self.access_log = access_log
        self.extra = extra


def test_access_lines_are_written_only_when_uvicorn_access_logs_info() -> None:
    quiet: Any = quiet_access_log(FakeProtocol)
    ACCESS.setLevel(logging.WARNING)
    assert quiet(True).access_log is False
    ACCESS.setLevel(logging.INFO)
    assert quiet(True).access_log is True
    ACCESS.setLevel(logging.DEBUG)
    assert quiet(True).access_log is True


def test_an_access_log_the_base_turned_off_stays_off() -> None:
    quiet: Any = quiet_access_log(FakeProtocol)
    ACCESS.setLevel(logging.DEBUG)
    assert quiet(False).access_log is False


def test_the_decision_is_per_connection_made_when_it_opens() -> None:
    quiet: Any = quiet_access_log(FakeProtocol)
    ACCESS.setLevel(logging.WARNING)
    early = quiet(True)
    ACCESS.setLevel(logging.INFO)  # e.g. debug turned on by a reload
    later = quiet(True)
    assert (early.access_log, later.access_log) == (False, True)
    ACCESS.setLevel(logging.WARNING)
    assert later.access_log is True  # an open connection keeps what it decided


def test_the_subclass_passes_every_argument_on() -> None:
    quiet: Any = quiet_access_log(FakeProtocol)
    made = quiet(True, extra="x")
    assert isinstance(made, FakeProtocol)
    assert made.extra == "x"


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("no request is served here")


@pytest.mark.parametrize("level", [logging.WARNING, logging.INFO])
def test_a_real_uvicorn_protocol(level: int) -> None:
    ACCESS.setLevel(level)
    config = uvicorn.Config(_app, log_config=None, access_log=True)
    loop = asyncio.new_event_loop()
    try:
        quiet: Any = quiet_access_log(H11Protocol)
        protocol = quiet(config, ServerState(), {}, _loop=loop)
    finally:
        loop.close()
    assert isinstance(protocol, H11Protocol)
    assert protocol.access_log is (level <= logging.INFO)


def test_fastest_http_protocol_prefers_httptools() -> None:
    pytest.importorskip("httptools")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert fastest_http_protocol() is HttpToolsProtocol


def test_fastest_http_protocol_falls_back_to_h11(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes the import fail as if httptools were not installed.
    monkeypatch.setitem(sys.modules, "uvicorn.protocols.http.httptools_impl", None)
    assert fastest_http_protocol() is H11Protocol
