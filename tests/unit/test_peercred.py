"""daemon.peercred: the peer's uid on a Unix socket, and the same-user-only protocol."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from daemon import peercred
from daemon.peercred import peer_uid, same_user_only

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_peer_uid_of_a_socketpair_is_our_own(pair: tuple[socket.socket, socket.socket]) -> None:
    if not hasattr(socket, "SO_PEERCRED") and sys.platform != "darwin":
        pytest.skip("no peer credentials on this OS")
    assert peer_uid(pair[0]) == os.getuid()
    assert peer_uid(pair[1]) == os.getuid()


class BaseProtocol(asyncio.Protocol):
    """Stands in for uvicorn's H11Protocol: records what it was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.access_log = True
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport


class FakeTransport:
    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None

    def close(self) -> None:
        self.closed = True


def test_the_protocol_keeps_the_base_behaviour_and_silences_access_logs() -> None:
    protocol_class = same_user_only(BaseProtocol)
    assert issubclass(protocol_class, BaseProtocol)
    protocol: Any = protocol_class(1, config="c")
    assert protocol.args == (1,)
    assert protocol.kwargs == {"config": "c"}
    assert protocol.access_log is False


def test_a_peer_of_our_own_uid_is_served(pair: tuple[socket.socket, socket.socket]) -> None:
    protocol: Any = same_user_only(BaseProtocol)()
    transport = FakeTransport(pair[0])
    protocol.connection_made(transport)
    assert protocol.transport is transport
    assert not transport.closed


def test_a_transport_without_a_socket_is_served() -> None:
    protocol: Any = same_user_only(BaseProtocol)()
    transport = FakeTransport(None)
    protocol.connection_made(transport)
    assert not transport.closed


def test_a_peer_of_another_uid_is_hung_up_on(
    pair: tuple[socket.socket, socket.socket],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = os.getuid() + 4242
    monkeypatch.setattr(peercred, "peer_uid", lambda sock: other)
    protocol: Any = same_user_only(BaseProtocol)()
    transport = FakeTransport(pair[0])
    with caplog.at_level(logging.WARNING, logger="cliproxy.control"):
        protocol.connection_made(transport)
    assert transport.closed
    assert f"refused a control connection from uid {other}" in caplog.text


def test_an_unknown_peer_uid_is_served(
    pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peercred, "peer_uid", lambda sock: None)
    protocol: Any = same_user_only(BaseProtocol)()
    transport = FakeTransport(pair[0])
    protocol.connection_made(transport)
    assert not transport.closed
