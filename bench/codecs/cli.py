"""The command line of `python -m bench.codecs`: options, the table or the JSON."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import orjson

from bench.codecs.timing import (
    DEFAULT_EVENTS,
    DEFAULT_MESSAGES,
    DEFAULT_REQUEST_LOOPS,
    DEFAULT_RUNS,
    DEFAULT_WARMUP,
    Row,
    run,
    summary,
)

# --------------------------------------------------------------------------- output


def _print_table(rows: Sequence[Row], config: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"codec translation, {config['events']}-event stream / "
        f"{config['messages']}-message request (median of {config['runs']})"
    )
    table.add_column("client")
    table.add_column("upstream")
    table.add_column("events", justify="right")
    table.add_column("stream µs/event", justify="right")
    table.add_column("request µs", justify="right")
    table.add_column("request KiB", justify="right")
    table.add_column("check")
    for row in rows:
        table.add_row(
            row.client,
            row.upstream,
            str(row.stream_events),
            f"{row.stream_us_per_event:.1f}",
            f"{row.request_us:.0f}",
            f"{row.request_bytes / 1024:.1f}",
            row.check,
        )
    console = Console(width=max(120, Console().width))
    console.print(table)
    s = summary(rows)
    console.print(
        f"stream : fastest {s['stream_fastest']['pair']} "
        f"{s['stream_fastest']['us_per_event']:.1f} µs/event, slowest "
        f"{s['stream_slowest']['pair']} {s['stream_slowest']['us_per_event']:.1f} µs/event, "
        f"median {s['stream_median_us_per_event']:.1f}"
    )
    console.print(
        f"request: fastest {s['request_fastest']['pair']} {s['request_fastest']['us']:.0f} µs, "
        f"slowest {s['request_slowest']['pair']} {s['request_slowest']['us']:.0f} µs, "
        f"median {s['request_median_us']:.0f}"
    )
    if s["failed_checks"]:
        console.print(f"[red]translation checks failed: {', '.join(s['failed_checks'])}[/red]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.codecs",
        description="Time stream and request translation for every pair of wire formats.",
    )
    parser.add_argument(
        "--events", type=int, default=DEFAULT_EVENTS, help="upstream SSE events per stream"
    )
    parser.add_argument(
        "--messages", type=int, default=DEFAULT_MESSAGES, help="messages per request"
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="timed runs (median is reported)"
    )
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="untimed runs first")
    parser.add_argument(
        "--request-loops", type=int, default=DEFAULT_REQUEST_LOOPS, help="requests per timed run"
    )
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    config = {
        "events": args.events,
        "messages": args.messages,
        "runs": args.runs,
        "warmup": args.warmup,
        "request_loops": args.request_loops,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    rows = run(args.events, args.messages, args.runs, args.warmup, args.request_loops)
    if args.json:
        payload = {"config": config, "rows": [asdict(r) for r in rows], "summary": summary(rows)}
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_table(rows, config)
    return 0 if all(r.check == "ok" for r in rows) else 1
