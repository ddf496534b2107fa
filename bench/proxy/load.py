"""The load: wrk, its Lua script and its summary."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.proxy.processes import BenchError, Processes, pinned, stop_process
from bench.proxy.scenarios import LOAD_CORE

RESULT_MARKER = "BENCH_RESULT "


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
