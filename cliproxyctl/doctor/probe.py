"""Looking outside the process: provider URLs over HTTP, the proxy port, the control socket.

`Prober` is the one network dependency of the doctor; tests pass a fake one.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx  # imported where used: the CLI's start-up should not pay for it

from cliproxyctl.control import ControlClient
from cliproxyctl.errors import CliError


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """`reachable`: any HTTP answer came back; `detail` says what (or what went wrong)."""

    reachable: bool
    detail: str
    resolvable: bool = True


class Prober(Protocol):
    def probe(self, url: str, timeout: float, proxy: str | None) -> ProbeResult: ...


class HttpProber:
    """HEAD the URL (no redirects, no environment proxies: the daemon ignores them too)."""

    def probe(self, url: str, timeout: float, proxy: str | None) -> ProbeResult:
        host = urlsplit(url).hostname or ""
        if proxy is None:  # through a proxy, the proxy resolves the name
            try:
                socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as error:
                return ProbeResult(False, f"cannot resolve {host}: {error}", resolvable=False)
        import httpx

        try:
            with httpx.Client(timeout=timeout, proxy=proxy, trust_env=False) as client:
                response = client.head(url)
        except ImportError as error:  # a SOCKS proxy without httpx's socks extra
            return ProbeResult(False, f"cannot probe through {proxy}: {error}")
        except httpx.TimeoutException:
            return ProbeResult(False, f"no answer within {timeout:g}s")
        except httpx.HTTPError as error:
            return ProbeResult(False, _describe(error))
        return ProbeResult(True, f"HTTP {response.status_code}")


def _describe(error: httpx.HTTPError) -> str:
    cause: BaseException | None = error
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause or error) or type(error).__name__
    return text.splitlines()[0]


class SocketState(StrEnum):
    ABSENT = "absent"  # no file: no daemon
    LIVE = "live"  # something accepts connections on it
    STALE = "stale"  # a socket file nobody listens on (a daemon that died)
    OTHER = "other"  # a file that is not a socket, or one we may not connect to


def socket_state(path: Path, timeout: float = 2.0) -> SocketState:
    """Whether anyone listens on the Unix socket at `path`."""
    if not path.exists() and not path.is_symlink():
        return SocketState.ABSENT
    if not path.is_socket():
        return SocketState.OTHER
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(timeout)
    try:
        probe.connect(str(path))
    except ConnectionRefusedError:
        return SocketState.STALE
    except FileNotFoundError:
        return SocketState.ABSENT
    except OSError:
        return SocketState.OTHER
    finally:
        probe.close()
    return SocketState.LIVE


def daemon_status(path: Path, timeout: float = 3.0) -> dict[str, Any] | None:
    """The daemon's GET /status, or None when no daemon answers on the control socket."""
    # Only connect over HTTP to a live socket: httpcore leaks the socket of a refused connect.
    if socket_state(path, timeout) is not SocketState.LIVE:
        return None
    with ControlClient(path, timeout=timeout) as control:
        try:
            return control.status()
        except (CliError, ValueError):
            return None


def bind_error(host: str, port: int) -> OSError | None:
    """Why the daemon could not listen on host:port right now (None: it could).

    Binds the way the daemon does (SO_REUSEADDR), so a port in TIME_WAIT counts as free.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return error
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            return error
    return None


def listener_pids(port: int) -> list[int]:
    """Processes of ours listening on TCP `port` (Linux /proc; others' are not visible)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                    inodes.add(fields[9])
    if not inodes:
        return []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    found: list[int] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(_readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
    return sorted(found)


def _readlink(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return ""


def in_use(error: OSError) -> bool:
    return error.errno == errno.EADDRINUSE
