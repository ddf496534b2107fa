"""Who is on the other end of a Unix socket: the control listener serves its own user only.

The socket's 0600 mode in a 0700 folder already keeps others out; checking the peer's uid is
defence in depth (a mode loosened by hand, a folder shared by mistake).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import sys
from typing import Any

log = logging.getLogger("cliproxy.control")


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process connected to `sock`, or None where the OS cannot tell."""
    if hasattr(socket, "SO_PEERCRED"):  # Linux
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", raw)
        return int(uid)
    if (
        sys.platform == "darwin"
    ):  # LOCAL_PEERCRED on SOL_LOCAL: struct xucred {u_int version; uid_t uid; ...}
        raw = sock.getsockopt(0, 0x001, 76)
        return int(struct.unpack_from("I", raw, 4)[0])
    return None


def same_user_only(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's HTTP protocol that hangs up on peers of another uid
    and keeps control calls out of the access log."""

    class SameUserProtocol(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Control calls (status polls, log follows) would drown the access log.
            self.access_log = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            uid = peer_uid(sock) if sock is not None else None
            if uid is not None and uid != os.getuid():
                log.warning("refused a control connection from uid %d", uid)
                transport.close()

    return SameUserProtocol
