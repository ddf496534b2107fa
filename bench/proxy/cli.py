"""The command line of `python -m bench.proxy`: tools, services, every run, the report."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from bench.proxy.load import Load
from bench.proxy.processes import BenchError, Processes, ensure_tool, find_tool
from bench.proxy.procfs import core_busy, read_core_times
from bench.proxy.pyspy import profile_daemon
from bench.proxy.report import print_report, summary
from bench.proxy.runs import Row, measure
from bench.proxy.scenarios import (
    DEFAULT_CONNECTIONS,
    DEFAULT_DURATION,
    DEFAULT_WARMUP,
    LOAD_CORE,
    PROXY_CORE,
    SCENARIOS,
    TARGETS,
)
from bench.proxy.services import start_services

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
