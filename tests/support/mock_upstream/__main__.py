"""`python -m tests.support.mock_upstream --port N [--api-key K]...`: serve until SIGTERM/SIGINT.

Prints the base URL as its first line. Requests are not recorded unless `--record` is given, so a
long benchmark does not grow the process. Uses uvloop when it is installed (`--no-uvloop` to not).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .records import DEFAULT_KEY, MockConfig
from .server import MockUpstream


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.mock_upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", help=f"repeatable (default {DEFAULT_KEY})"
    )
    parser.add_argument("--any-key", action="store_true", help="accept any credential")
    parser.add_argument("--record", action="store_true", help="keep every request in memory")
    parser.add_argument("--no-uvloop", action="store_true")
    return parser.parse_args(argv)


async def _main(config: MockConfig) -> None:
    mock = MockUpstream(config)
    await mock.start_async()
    print(mock.base_url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await mock.stop_async()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    keys: tuple[str, ...] = () if args.any_key else tuple(args.api_keys or (DEFAULT_KEY,))
    config = MockConfig(api_keys=keys, host=args.host, port=args.port, record=args.record)
    uvloop: Any = None
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop
    if uvloop is not None:
        uvloop.run(_main(config))
    else:
        asyncio.run(_main(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
