"""The results: the per-scenario summary against nginx, the mock and the targets; the table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.proxy.runs import Row
from bench.proxy.scenarios import LOAD_CORE, P99_TARGET_MS, PROXY_CORE, RSS_TARGET_MB, SCENARIOS

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
