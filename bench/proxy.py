"""What the proxy costs per request under load, beside the mock alone and nginx, in one run.

    python -m bench.proxy                       # every scenario × direct / nginx / cliproxy
    python -m bench.proxy --json                # the same numbers as JSON
    python -m bench.proxy --duration 5 --scenarios openai,openai-stream
    python -m bench.proxy --profile /tmp/prof   # also py-spy the daemon (an extra, unmeasured run)

Set-up, all on loopback: the mock upstream (`tests.support.mock_upstream`, uvloop) and the load tool
(`wrk`, one thread, `--connections` connections, default 50) are pinned to core 1; the proxy under
test (the cliproxy daemon, started with `cliproxyctl start` in a private CLIPROXY_HOME with debug
off, so no access log; or nginx, one worker, as a plain keep-alive reverse proxy) to core 0. The
mock, the daemon and nginx start once and serve every run; each run is one scenario against one
target: a short warm-up load, then the measured load of `--duration` seconds.

Scenarios: an OpenAI chat request passed through to an OpenAI-compatible upstream, non-stream and a
20-event stream; an Anthropic Messages request translated to that OpenAI upstream, non-stream and a
20-event stream. Targets: `direct` (the same request sent straight to the mock, which speaks both
formats), `nginx`, `cliproxy`.

The figure that matters is the proxy process's own CPU time per completed request: utime+stime of
the daemon (or of nginx's master and worker) from /proc/<pid>/stat before and after the measured
load, divided by the requests wrk completed with a 2xx. Requests/s and latency mostly measure the
mock and wrk sharing one core. Also shown: p50/p99 latency (wrk), the mock's CPU per request, and
the proxy's peak resident memory during the load. Before the load each (scenario, target) pair is
sent once and its answer checked (status, text, number of stream events, terminal event).

nginx and wrk are Debian packages; when missing they are installed with apt-get (as root, unless
`--no-install`); without nginx its column is left out. Every process started here is stopped on
exit, on failure and on Ctrl+C.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import http.client
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
MOCK_KEY = "sk-bench-upstream-key-0123456789"
CLIENT_KEY = "sk-bench-client-key-0123456789abcdef"
ANTHROPIC_VERSION = "2023-06-01"
PROXY_CORE = 0  # the daemon, or nginx
LOAD_CORE = 1  # the mock and wrk

DEFAULT_CONNECTIONS = 50
DEFAULT_DURATION = 8  # seconds of measured load per run (wrk takes whole seconds)
DEFAULT_WARMUP = 2
STREAM_EVENTS = 20
PLAIN_MODEL = "bench-plain"
STREAM_MODEL = f"bench-events-{STREAM_EVENTS}"  # the mock answers `events-<n>` with n deltas

# The targets of issue 4 (one daemon process) and the limits that hold for every scenario.
P99_TARGET_MS = 50.0
RSS_TARGET_MB = 80.0

TARGETS: tuple[str, ...] = ("direct", "nginx", "cliproxy")
RESULT_MARKER = "BENCH_RESULT "

# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    client: str  # "openai" or "anthropic": the format the load speaks
    stream: bool
    cpu_target_ms: float

    @property
    def path(self) -> str:
        return "/v1/chat/completions" if self.client == "openai" else "/v1/messages"

    @property
    def model(self) -> str:
        return STREAM_MODEL if self.stream else PLAIN_MODEL

    def body(self) -> bytes:
        """A small, realistic request: a system prompt and one user turn."""
        system = "You are a terse assistant. Answer in one short sentence."
        user = "Why would anyone put a local proxy in front of an LLM API?"
        payload: dict[str, Any]
        if self.client == "openai":
            payload = {
                "model": self.model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                "max_tokens": 256,
                "temperature": 0.2,
            }
            if self.stream:
                payload["stream"] = True
                payload["stream_options"] = {"include_usage": True}
        else:
            payload = {
                "model": self.model,
                "max_tokens": 256,
                "system": system,
                "messages": [{"role": "user", "content": user}],
                "temperature": 0.2,
            }
            if self.stream:
                payload["stream"] = True
        return orjson.dumps(payload)

    def headers(self, key: str) -> dict[str, str]:
        """The request headers with `key` as the credential, in the client format's own way."""
        headers = {"Content-Type": "application/json"}
        if self.client == "openai":
            headers["Authorization"] = f"Bearer {key}"
        else:
            headers["x-api-key"] = key
            headers["anthropic-version"] = ANTHROPIC_VERSION
        return headers

    def check(self, status: int, body: bytes) -> str:
        """`"ok"`, or what is wrong with one answer to this scenario's request."""
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        try:
            if not self.stream:
                data = orjson.loads(body)
                if self.client == "openai":
                    text = data["choices"][0]["message"]["content"]
                else:
                    text = "".join(b.get("text", "") for b in data["content"])
                return "ok" if text else "empty text"
            deltas, done = stream_deltas(self.client, body)
        except (ValueError, KeyError, IndexError, TypeError) as error:
            return f"unparsable answer ({error}): {body[:200]!r}"
        if not done:
            return "stream without its terminal event"
        if deltas != STREAM_EVENTS:
            return f"{deltas} text deltas, expected {STREAM_EVENTS}"
        return "ok"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("openai", "OpenAI chat pass-through, non-stream", "openai", False, 0.45),
    Scenario(
        "openai-stream", f"OpenAI chat pass-through, {STREAM_EVENTS}-event stream", "openai", True,
        0.45,
    ),
    Scenario(
        "anthropic", "Anthropic client → OpenAI upstream, non-stream", "anthropic", False, 0.65
    ),
    Scenario(
        "anthropic-stream", f"Anthropic client → OpenAI upstream, {STREAM_EVENTS}-event stream",
        "anthropic", True, 1.0,
    ),
)  # fmt: skip


def stream_deltas(client: str, body: bytes) -> tuple[int, bool]:
    """(text delta events, terminal event seen) in an SSE answer of the `client` format."""
    deltas, done = 0, False
    for line in body.split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if client == "openai":
            if data == b"[DONE]":
                done = True
                continue
            event = orjson.loads(data)
            for choice in event.get("choices") or ():
                if (choice.get("delta") or {}).get("content"):
                    deltas += 1
        else:
            event = orjson.loads(data)
            kind = event.get("type")
            if kind == "content_block_delta" and event["delta"].get("type") == "text_delta":
                deltas += 1
            elif kind == "message_stop":
                done = True
    return deltas, done


# --------------------------------------------------------------------------- /proc


@dataclass(frozen=True, slots=True)
class ProcStat:
    pid: int
    comm: str
    ppid: int
    utime: int  # clock ticks
    stime: int


def parse_proc_stat(text: str) -> ProcStat:
    """The fields of /proc/<pid>/stat that the bench needs. `comm` may hold spaces and parens,
    so the fields are counted from its last closing paren."""
    head, _, rest = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    fields = rest.split()  # fields[0] is field 3 (state)
    return ProcStat(
        pid=int(pid), comm=comm, ppid=int(fields[1]), utime=int(fields[11]), stime=int(fields[12])
    )


def parse_vm_rss_kb(status_text: str) -> int:
    """VmRSS of /proc/<pid>/status in KiB (0 when absent, as for a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def parse_core_times(text: str) -> dict[int, tuple[int, int]]:
    """Per core, (busy, total) clock ticks from /proc/stat; idle and iowait are not busy."""
    cores: dict[int, tuple[int, int]] = {}
    for line in text.splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
        idle = ticks[3] + ticks[4]
        cores[int(name[3:])] = (sum(ticks) - idle, sum(ticks))
    return cores


def core_busy(
    before: Mapping[int, tuple[int, int]], after: Mapping[int, tuple[int, int]]
) -> dict[int, float]:
    """The share (0..1) of each core's time spent busy between two /proc/stat readings."""
    busy = {}
    for core, (b1, t1) in after.items():
        b0, t0 = before.get(core, (0, 0))
        busy[core] = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
    return busy


def read_core_times() -> dict[int, tuple[int, int]]:
    return parse_core_times(Path("/proc/stat").read_text())


def read_stat(pid: int) -> ProcStat:
    return parse_proc_stat(Path(f"/proc/{pid}/stat").read_text())


def cpu_ms(pids: Iterable[int]) -> float:
    """utime+stime of these processes (all their threads), in milliseconds."""
    ticks = 0
    for pid in pids:
        stat = read_stat(pid)
        ticks += stat.utime + stat.stime
    return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


def rss_mb(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += parse_vm_rss_kb(Path(f"/proc/{pid}/status").read_text())
    return total / 1024.0


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (nginx's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = parse_proc_stat((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue
        if stat.ppid == pid:
            found.append(stat.pid)
    return sorted(found)


class PeakRss:
    """Samples the resident memory of some processes every `interval` s while in the `with`."""

    def __init__(self, pids: Callable[[], Sequence[int]], interval: float = 0.2) -> None:
        self._pids = pids
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self.peak_mb = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self._pids()))
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb(self._pids()))


# --------------------------------------------------------------------------- wrk


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int  # completed responses, any status
    duration_s: float
    errors: dict[str, int]  # connect, read, write, status (non-2xx/3xx), timeout
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def ok_requests(self) -> int:
        return self.requests - self.errors.get("status", 0)

    @property
    def rps(self) -> float:
        return self.ok_requests / self.duration_s if self.duration_s else 0.0


def lua_quote(value: str | bytes) -> str:
    """A Lua string literal holding exactly these bytes."""
    raw = value.encode() if isinstance(value, str) else value
    out = ['"']
    for byte in raw:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    out.append('"')
    return "".join(out)


def render_wrk_script(body: bytes, headers: Mapping[str, str]) -> str:
    """A wrk script that POSTs `body` and prints the exact summary as one JSON line at the end."""
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_quote(body)}"]
    lines += [f"wrk.headers[{lua_quote(k)}] = {lua_quote(v)}" for k, v in headers.items()]
    lines.append(
        f"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{RESULT_MARKER}{{"requests":%d,"duration_us":%d,"bytes":%d,'
    .. '"errors":{{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}},'
    .. '"latency_us":{{"p50":%.1f,"p90":%.1f,"p99":%.1f,"mean":%.1f,"max":%.1f}}}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""
    )
    return "\n".join(lines)


_WRK_TIME = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")
_WRK_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _wrk_ms(text: str) -> float:
    match = _WRK_TIME.match(text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _WRK_TIME_UNITS[match.group(2)]


def parse_wrk_output(text: str) -> WrkResult:
    """wrk's summary: the JSON line our script's `done` prints, else wrk's own text report
    (`--latency`), which rounds its numbers."""
    for line in text.splitlines():
        if line.startswith(RESULT_MARKER):
            data = orjson.loads(line[len(RESULT_MARKER) :])
            lat = data["latency_us"]
            return WrkResult(
                requests=int(data["requests"]),
                duration_s=data["duration_us"] / 1e6,
                errors={k: int(v) for k, v in data["errors"].items()},
                p50_ms=lat["p50"] / 1000,
                p90_ms=lat["p90"] / 1000,
                p99_ms=lat["p99"] / 1000,
                mean_ms=lat["mean"] / 1000,
                max_ms=lat["max"] / 1000,
            )
    return _parse_wrk_text(text)


def _parse_wrk_text(text: str) -> WrkResult:
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text, re.M)
    if not done:
        raise ValueError(f"no wrk summary in: {text[-500:]!r}")
    percentiles = {
        int(m.group(1)): _wrk_ms(m.group(2))
        for m in re.finditer(r"^\s*(50|90|99)(?:\.000)?%\s+(\S+)\s*$", text, re.M)
    }
    latency = re.search(r"^\s*Latency\s+(\S+)\s+\S+\s+(\S+)", text, re.M)
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if sockets:
        for name, value in zip(
            ("connect", "read", "write", "timeout"), sockets.groups(), strict=True
        ):
            errors[name] = int(value)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors["status"] = int(non2xx.group(1))
    nan = float("nan")
    return WrkResult(
        requests=int(done.group(1)),
        duration_s=_wrk_ms(done.group(2) + done.group(3)) / 1000,
        errors=errors,
        p50_ms=percentiles.get(50, nan),
        p90_ms=percentiles.get(90, nan),
        p99_ms=percentiles.get(99, nan),
        mean_ms=_wrk_ms(latency.group(1)) if latency else nan,
        max_ms=_wrk_ms(latency.group(2)) if latency else nan,
    )


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


# --------------------------------------------------------------------------- py-spy output


@dataclass(frozen=True, slots=True)
class ProfileLine:
    function: str
    self_pct: float
    total_pct: float


def _frame_function(frame: str) -> str:
    """`name (path/file.py:123)` → `name (file.py)`: the function, not the line."""
    match = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    name, where = match.groups()
    parts = Path(where).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else where
    return f"{name} ({short})"


def top_functions(collapsed: str, limit: int = 20) -> list[ProfileLine]:
    """The functions with the most self time in py-spy's `--format raw` (collapsed stacks:
    `frame;frame;...;leaf count` per line), with their inclusive share beside."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_function(f) for f in stack.split(";") if f]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        self_counts[frames[-1]] += count
        for function in set(frames):
            total_counts[function] += count
    if not samples:
        return []
    return [
        ProfileLine(name, 100.0 * n / samples, 100.0 * total_counts[name] / samples)
        for name, n in self_counts.most_common(limit)
    ]


# --------------------------------------------------------------------------- processes


class Processes:
    """Every process the bench starts, and how to stop each; `close` stops them all, last first."""

    def __init__(self) -> None:
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def spawn(self, name: str, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self._stops.append((name, lambda: stop_process(process)))
        return process

    def on_close(self, name: str, stop: Callable[[], None]) -> None:
        self._stops.append((name, stop))

    def close(self) -> None:
        while self._stops:
            name, stop = self._stops.pop()
            try:
                stop()
            except Exception as error:  # keep stopping the others
                print(f"bench: stopping {name} failed: {error}", file=sys.stderr)


def stop_process(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(grace)


def stop_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, a process that is not our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with code {process.returncode} during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise BenchError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g}s")


def pinned(core: int, argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv]


class BenchError(Exception):
    """The bench cannot run; the message says why."""


def find_tool(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/local/sbin", "/sbin", str(Path(sys.executable).parent)):
        candidate = Path(folder) / binary
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def ensure_tool(binary: str, package: str, install: bool, log: Callable[[str], None]) -> str | None:
    """The path of `binary`, installing Debian's `package` when it is missing and we may."""
    found = find_tool(binary)
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"{binary} is missing: install it with `apt-get install {package}`")
        return None
    log(f"{binary} is missing: apt-get install {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "env": env}
    subprocess.run(["apt-get", "update", "-q"], timeout=600, check=False, **quiet)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
        timeout=600,
        check=False,
        **quiet,
    )
    if done.returncode != 0:
        log(f"apt-get install {package} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return find_tool(binary)


# --------------------------------------------------------------------------- the services


@dataclass(slots=True)
class Target:
    name: str
    url: str  # base URL, no trailing slash
    key: str  # the credential the load presents
    proxy_pids: Callable[[], list[int]] | None  # the proxy under test (None: direct)


@dataclass(slots=True)
class Services:
    mock_pid: int
    mock_url: str
    targets: dict[str, Target] = field(default_factory=dict)
    daemon_affinity: list[int] = field(default_factory=list)
    nginx_version: str = ""


def _first_line(path: Path, process: subprocess.Popen[bytes], timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if "\n" in text:
            return text.split("\n", 1)[0].strip()
        if process.poll() is not None:
            raise BenchError(f"{what} exited with code {process.returncode}: {text[-500:]}")
        time.sleep(0.05)
    raise BenchError(f"{what} printed nothing within {timeout:g}s")


def start_mock(procs: Processes, work: Path) -> tuple[int, str]:
    out = work / "mock.out"
    argv = [sys.executable, "-m", "tests.support.mock_upstream", "--port", "0"]
    argv += ["--api-key", MOCK_KEY]
    with open(out, "wb") as sink:
        process = procs.spawn(
            "mock",
            pinned(LOAD_CORE, argv),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    url = _first_line(out, process, 30, "the mock upstream")
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError(f"the mock printed {url!r}, not its URL")
    return process.pid, url


def _daemon_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPROXY_")}
    env.update(
        CLIPROXY_HOME=str(work / "home"),
        CLIPROXY_RUNTIME_DIR=str(work / "run"),
        NO_COLOR="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def start_daemon(procs: Processes, work: Path, mock_url: str) -> tuple[int, str]:
    """`cliproxyctl start` pinned to the proxy core (the daemon inherits the affinity)."""
    config = work / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(render_daemon_config(mock_url))
    env = _daemon_env(work)
    pid_file = work / "run" / "daemon.pid"
    cli = [sys.executable, "-m", "cliproxyctl"]

    def stop() -> None:
        subprocess.run(
            [*cli, "stop"], env=env, cwd=REPO, capture_output=True, timeout=30, check=False
        )
        with contextlib.suppress(OSError, ValueError):
            stop_pid(int(pid_file.read_text()))

    procs.on_close("cliproxy daemon", stop)
    done = subprocess.run(
        pinned(PROXY_CORE, [*cli, "start", "--json", "--timeout", "30"]),
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            "cliproxyctl start failed:\n" + (done.stdout + done.stderr).decode(errors="replace")
        )
    details = orjson.loads(done.stdout)["details"]
    return int(details["pid"]), str(details["listen"]).rstrip("/")


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of `nobody` when we are root, so nginx does not run as root; else None."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None
    gid = user.pw_gid
    with contextlib.suppress(KeyError):
        gid = grp.getgrnam("nogroup").gr_gid
    return user.pw_uid, gid


def start_nginx(procs: Processes, work: Path, nginx: str, mock_port: int) -> tuple[int, str, str]:
    prefix = work / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    version = subprocess.run(
        [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stderr
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_config(prefix, port, mock_port, nginx_modules_without(version)))
    ids = _unprivileged()
    kwargs: dict[str, Any] = {}
    if ids is not None:
        os.chmod(work, 0o711)  # nobody passes through to its own folder, and no further
        for path in (prefix, prefix / "tmp", conf):
            os.chown(path, ids[0], ids[1])
        kwargs.update(user=ids[0], group=ids[1], extra_groups=[])
    log = prefix / "stderr.log"
    with open(log, "wb") as sink:
        process = procs.spawn(
            "nginx",
            pinned(PROXY_CORE, [nginx, "-p", str(prefix), "-c", str(conf), "-e", "stderr"]),
            stdout=sink,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
    try:
        wait_port(port, process, 15, "nginx")
    except BenchError as error:
        raise BenchError(f"{error}: {log.read_text(errors='replace')[-800:]}") from error
    first = version.splitlines()[0] if version else "nginx"
    return process.pid, f"http://127.0.0.1:{port}", first.removeprefix("nginx version: ")


def start_services(
    procs: Processes, work: Path, targets: Sequence[str], nginx: str | None
) -> Services:
    mock_pid, mock_url = start_mock(procs, work)
    services = Services(mock_pid=mock_pid, mock_url=mock_url)
    if "direct" in targets:
        services.targets["direct"] = Target("direct", mock_url, MOCK_KEY, None)
    if "nginx" in targets and nginx is not None:
        mock_port = int(mock_url.rsplit(":", 1)[1])
        master, url, services.nginx_version = start_nginx(procs, work, nginx, mock_port)
        pids = [master, *children_of(master)]  # the master and its one worker, found once
        services.targets["nginx"] = Target("nginx", url, MOCK_KEY, lambda: pids)
    if "cliproxy" in targets:
        daemon_pid, url = start_daemon(procs, work, mock_url)
        services.daemon_affinity = sorted(os.sched_getaffinity(daemon_pid))
        services.targets["cliproxy"] = Target("cliproxy", url, CLIENT_KEY, lambda: [daemon_pid])
    return services


# --------------------------------------------------------------------------- one run


@dataclass(slots=True)
class Row:
    scenario: str
    target: str
    requests: int  # completed with a 2xx in the measured load
    errors: dict[str, int]
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    proxy_cpu_ms_per_request: float | None  # None for direct
    mock_cpu_ms_per_request: float
    proxy_rss_mb: float | None  # peak during the measured load
    proxy_core_busy: float  # share of the proxy core's time busy (any process, softirq too)
    load_core_busy: float  # the same for the core of the mock and wrk
    check: str  # the answer to one request before the load: "ok" or what is wrong


def probe(target: Target, scenario: Scenario, timeout: float = 15) -> str:
    """Send the scenario's request once to the target and check the answer."""
    host, port = target.url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("POST", scenario.path, scenario.body(), scenario.headers(target.key))
        response = conn.getresponse()
        return scenario.check(response.status, response.read())
    except OSError as error:
        return f"request failed: {error}"
    finally:
        conn.close()


def run_wrk(
    procs: Processes,
    wrk: str,
    url: str,
    script: Path,
    connections: int,
    seconds: int,
    threads: int,
) -> WrkResult:
    argv = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    argv += ["--timeout", "10s", "--latency", "-s", str(script), url]
    process = procs.spawn(
        "wrk", pinned(LOAD_CORE, argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        out, _ = process.communicate(timeout=seconds + 30)
    finally:
        stop_process(process)
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"wrk exited with code {process.returncode}: {text[-800:]}")
    return parse_wrk_output(text)


@dataclass(frozen=True, slots=True)
class Load:
    wrk: str
    connections: int
    duration: int
    warmup: int
    threads: int
    settle: float = 0.3  # after the load, before reading CPU: abandoned requests finish


def measure(
    procs: Processes,
    work: Path,
    services: Services,
    target: Target,
    scenario: Scenario,
    load: Load,
) -> Row:
    check = probe(target, scenario)
    script = work / f"{scenario.key}-{target.name}.lua"
    script.write_text(render_wrk_script(scenario.body(), scenario.headers(target.key)))
    url = target.url + scenario.path
    if load.warmup > 0:
        run_wrk(procs, load.wrk, url, script, load.connections, load.warmup, load.threads)
        time.sleep(load.settle)
    proxy_pids = target.proxy_pids or (lambda: [])
    proxy_before = cpu_ms(proxy_pids())
    mock_before = cpu_ms([services.mock_pid])
    cores_before = read_core_times()
    with PeakRss(proxy_pids) as rss:
        result = run_wrk(
            procs, load.wrk, url, script, load.connections, load.duration, load.threads
        )
        cores = core_busy(cores_before, read_core_times())
        time.sleep(load.settle)
    proxy_used = cpu_ms(proxy_pids()) - proxy_before
    mock_used = cpu_ms([services.mock_pid]) - mock_before
    done = max(result.ok_requests, 1)
    return Row(
        scenario=scenario.key,
        target=target.name,
        requests=result.ok_requests,
        errors={k: v for k, v in result.errors.items() if v},
        rps=result.rps,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        mean_ms=result.mean_ms,
        max_ms=result.max_ms,
        proxy_cpu_ms_per_request=proxy_used / done if target.proxy_pids else None,
        mock_cpu_ms_per_request=mock_used / done,
        proxy_rss_mb=rss.peak_mb if target.proxy_pids else None,
        proxy_core_busy=cores.get(PROXY_CORE, 0.0),
        load_core_busy=cores.get(LOAD_CORE, 0.0),
        check=check,
    )


def profile_daemon(
    procs: Processes,
    work: Path,
    target: Target,
    scenario: Scenario,
    load: Load,
    py_spy: str,
    out_dir: Path,
) -> list[ProfileLine]:
    """An extra, unmeasured load while py-spy samples the daemon (without pausing it); the raw
    collapsed stacks and a flame graph go to `out_dir`."""
    assert target.proxy_pids is not None
    pid = target.proxy_pids()[0]
    script = work / f"{scenario.key}-{target.name}.lua"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"{scenario.key}.txt"
    argv = [py_spy, "record", "--pid", str(pid), "--nonblocking", "--rate", "250"]
    argv += ["--duration", str(load.duration + 1), "--format", "raw", "-o", str(raw)]
    spy = procs.spawn(
        "py-spy",
        pinned(LOAD_CORE, argv),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)
    url = target.url + scenario.path
    run_wrk(procs, load.wrk, url, script, load.connections, load.duration, load.threads)
    try:
        _, err = spy.communicate(timeout=30)
    finally:
        stop_process(spy)
    if not raw.exists():
        raise BenchError(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    return top_functions(raw.read_text())


# --------------------------------------------------------------------------- summary


def summary(rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """Per scenario: the proxy's CPU per request against nginx's, its p99 and requests/s against
    the direct mock's, and whether the issue's targets hold."""
    by = {(r.scenario, r.target): r for r in rows}
    targets = {s.key: s.cpu_target_ms for s in SCENARIOS}
    out: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys(r.scenario for r in rows):
        proxy, nginx, direct = (by.get((key, t)) for t in ("cliproxy", "nginx", "direct"))
        entry: dict[str, Any] = {}
        if proxy is not None and proxy.proxy_cpu_ms_per_request is not None:
            cpu = proxy.proxy_cpu_ms_per_request
            entry["cpu_ms_per_request"] = cpu
            entry["cpu_target_ms"] = targets.get(key)
            entry["cpu_ok"] = cpu <= targets.get(key, float("inf"))
            entry["p99_ok"] = proxy.p99_ms < P99_TARGET_MS
            entry["rss_ok"] = (proxy.proxy_rss_mb or 0.0) < RSS_TARGET_MB
            if nginx is not None and nginx.proxy_cpu_ms_per_request:
                entry["cpu_vs_nginx"] = cpu / nginx.proxy_cpu_ms_per_request
            if direct is not None and direct.p99_ms:
                entry["p99_vs_direct"] = proxy.p99_ms / direct.p99_ms
            if direct is not None and direct.rps:
                entry["rps_vs_direct"] = proxy.rps / direct.rps
        if proxy is not None and nginx is not None and nginx.p99_ms:
            entry["p99_vs_nginx"] = proxy.p99_ms / nginx.p99_ms
        out[key] = entry
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_report(
    rows: Sequence[Row], config: Mapping[str, Any], profile: Mapping[str, Any]
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(140, Console().width))
    titles = {s.key: s.title for s in SCENARIOS}
    table = Table(
        title=f"proxy cost under load: c={config['connections']}, {config['duration']} s per run, "
        f"proxy on core {PROXY_CORE}, mock + wrk on core {LOAD_CORE}"
    )
    for name, justify in (
        ("scenario", "left"), ("target", "left"), ("req/s", "right"), ("p50 ms", "right"),
        ("p99 ms", "right"), ("proxy CPU ms/req", "right"), ("mock CPU ms/req", "right"),
        ("proxy RSS MB", "right"), ("proxy core", "right"), ("load core", "right"),
        ("requests", "right"), ("errors", "left"), ("check", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=name in ("scenario", "target"))  # type: ignore[arg-type]
    previous = None
    for row in rows:
        first = row.scenario != previous
        if first and previous is not None:
            table.add_section()
        previous = row.scenario
        table.add_row(
            row.scenario if first else "",
            row.target,
            f"{row.rps:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            _fmt(row.proxy_cpu_ms_per_request, ".3f"),
            f"{row.mock_cpu_ms_per_request:.3f}",
            _fmt(row.proxy_rss_mb, ".1f"),
            f"{row.proxy_core_busy:.0%}",
            f"{row.load_core_busy:.0%}",
            f"{row.requests:,}",
            ", ".join(f"{k} {v}" for k, v in row.errors.items()) or "",
            row.check,
        )
    console.print(table)
    for key in dict.fromkeys(r.scenario for r in rows):
        console.print(f"{key:17} {titles.get(key, key)}")
    console.print()
    s = summary(rows)
    for key, entry in s.items():
        if "cpu_ms_per_request" not in entry:
            continue
        parts = [
            f"cliproxy {entry['cpu_ms_per_request']:.3f} ms CPU/req "
            f"({'≤' if entry['cpu_ok'] else '>'} target {entry['cpu_target_ms']:g})"
        ]
        if "cpu_vs_nginx" in entry:
            parts.append(f"{entry['cpu_vs_nginx']:.1f}× nginx's")
        if "p99_vs_direct" in entry:
            parts.append(f"p99 {entry['p99_vs_direct']:.2f}× direct")
        if "p99_vs_nginx" in entry:
            parts.append(f"p99 {entry['p99_vs_nginx']:.2f}× nginx")
        if "rps_vs_direct" in entry:
            parts.append(f"req/s {entry['rps_vs_direct']:.2f}× direct")
        flags = [
            name for name, ok in (("p99", entry["p99_ok"]), ("RSS", entry["rss_ok"])) if not ok
        ]
        if flags:
            parts.append(f"[red]over target: {', '.join(flags)}[/red]")
        console.print(f"{key:17} " + "; ".join(parts))
    for key, lines in profile.items():
        console.print(f"\npy-spy, daemon under {key} (self %, total %):")
        for line in lines[:15]:
            console.print(f"  {line['self_pct']:5.1f} {line['total_pct']:5.1f}  {line['function']}")


# --------------------------------------------------------------------------- main


def _tool_version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else ""


def _pick(names: str, known: Sequence[str], what: str) -> list[str]:
    picked = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in picked if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return picked


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.proxy",
        description="CPU per request, requests/s and latency of the proxy under load, beside the "
        "mock alone and nginx.",
    )
    keys = [s.key for s in SCENARIOS]
    parser.add_argument("--scenarios", default=",".join(keys), help=f"of {', '.join(keys)}")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"of {', '.join(TARGETS)}")
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument(
        "--duration", type=int, default=DEFAULT_DURATION, help="seconds of measured load per run"
    )
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, help="seconds of load before each run"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--no-install", action="store_true", help="do not apt-get install a missing wrk or nginx"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after each cliproxy run, an extra run under py-spy; raw stacks go to DIR",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (configs, logs)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if s.key in _pick(args.scenarios, keys, "scenario")]
    targets = _pick(args.targets, TARGETS, "target")
    if os.cpu_count() is None or len(os.sched_getaffinity(0)) < 2:
        print("bench: needs two cores (proxy on core 0, mock and wrk on core 1)", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    install = not args.no_install
    wrk = ensure_tool("wrk", "wrk", install, log)
    if wrk is None:
        log("wrk is required")
        return 2
    nginx = ensure_tool("nginx", "nginx", install, log) if "nginx" in targets else None
    if "nginx" in targets and nginx is None:
        log("no nginx: its column is left out")
    py_spy = None
    if args.profile is not None:
        py_spy = find_tool("py-spy")
        if py_spy is None:
            log("py-spy is missing: pip install py-spy")
            return 2

    load = Load(wrk, args.connections, args.duration, args.warmup, args.threads)
    os.sched_setaffinity(0, {LOAD_CORE})  # the bench's own sampling stays off the proxy's core
    # Ctrl+C and SIGTERM both unwind through the cleanup below (SIGINT may arrive ignored, as
    # in a shell's background job: set it explicitly).
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    work = Path(tempfile.mkdtemp(prefix="cpxbench-", dir="/tmp"))
    procs = Processes()
    rows: list[Row] = []
    profile: dict[str, Any] = {}
    try:
        before = read_core_times()
        time.sleep(1.0)
        idle_busy = core_busy(before, read_core_times())
        if max(idle_busy.values(), default=0.0) > 0.1:
            shares = ", ".join(f"core {c} {b:.0%}" for c, b in sorted(idle_busy.items()))
            log(f"the machine is not idle before the load ({shares}): figures will be disturbed")
        services = start_services(procs, work, targets, nginx)
        order = [t for t in TARGETS if t in services.targets]
        total = len(scenarios) * len(order)
        for scenario in scenarios:
            for name in order:
                target = services.targets[name]
                log(f"[{len(rows) + 1}/{total}] {scenario.key} → {name}")
                rows.append(measure(procs, work, services, target, scenario, load))
                time.sleep(load.settle)
            if py_spy is not None and "cliproxy" in services.targets:
                assert args.profile is not None
                log(f"profiling the daemon under {scenario.key}")
                lines = profile_daemon(
                    procs, work, services.targets["cliproxy"], scenario, load, py_spy,
                    args.profile,
                )  # fmt: skip
                profile[scenario.key] = [asdict(line) for line in lines]
        config = {
            "connections": load.connections,
            "duration": load.duration,
            "warmup": load.warmup,
            "wrk_threads": load.threads,
            "proxy_core": PROXY_CORE,
            "load_core": LOAD_CORE,
            "daemon_affinity": services.daemon_affinity,
            "mock": services.mock_url,
            "python": platform.python_version(),
            "nginx": services.nginx_version,
            "wrk": _tool_version([wrk, "-v"]),
            "clock_ticks_per_s": os.sysconf("SC_CLK_TCK"),
            "busy_before_load": {str(c): b for c, b in sorted(idle_busy.items())},
        }
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except BenchError as error:
        log(str(error))
        return 1
    finally:
        for sig in previous:  # a second Ctrl+C must not cut the cleanup short
            signal.signal(sig, signal.SIG_IGN)
        procs.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if args.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        payload = {
            "config": config,
            "rows": [asdict(r) for r in rows],
            "summary": summary(rows),
            "profile": profile,
        }
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print_report(rows, config, profile)
    return 0 if all(r.check == "ok" and not r.errors for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
