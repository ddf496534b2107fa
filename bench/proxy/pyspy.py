"""The daemon under py-spy: an extra, unmeasured load and its top functions."""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.proxy.load import Load, run_wrk
from bench.proxy.processes import BenchError, Processes, pinned, stop_process
from bench.proxy.scenarios import LOAD_CORE, Scenario
from bench.proxy.services import Target

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
