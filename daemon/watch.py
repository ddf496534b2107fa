"""Watch one file for changes by polling its stat: robust to editors that replace the file
(rename over it) and to network filesystems, and costs one stat call a second."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("cliproxy.daemon")

Signature = tuple[int, int, int] | None


def file_signature(path: Path) -> Signature:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


async def watch_file(
    path: Path,
    on_change: Callable[[], Awaitable[Any]],
    stop: asyncio.Event,
    *,
    interval: float = 1.0,
) -> None:
    """Call `on_change` after `path` changes (once its content has settled for one interval)."""
    seen = file_signature(path)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        current = file_signature(path)
        if current == seen or current is None:
            continue
        # An editor may still be writing: wait until two looks agree.
        await asyncio.sleep(min(interval, 0.2))
        settled = file_signature(path)
        if settled != current:
            continue
        seen = settled
        log.info("config file changed; reloading")
        await on_change()
