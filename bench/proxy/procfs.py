"""CPU time, resident memory and core load of processes, read from /proc."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
