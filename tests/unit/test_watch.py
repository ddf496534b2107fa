"""daemon.watch: polling one real file for changes."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from daemon.watch import file_signature, watch_file

INTERVAL = 0.05
QUIET = 0.3  # long enough for several polls and a settle wait


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Watch:
    path: Path
    stop: asyncio.Event
    task: asyncio.Task[None]
    calls: list[bytes | None]
    called: asyncio.Event

    async def wait_for_calls(self, count: int, within: float = 3.0) -> None:
        with anyio.fail_after(within):
            while len(self.calls) < count:
                await self.called.wait()
                self.called.clear()


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Callable[[Path], Watch]]:
    watches: list[Watch] = []

    def start(path: Path) -> Watch:
        stop = asyncio.Event()
        called = asyncio.Event()
        calls: list[bytes | None] = []

        async def on_change() -> None:
            file = anyio.Path(path)
            calls.append(await file.read_bytes() if await file.exists() else None)
            called.set()

        task = asyncio.create_task(watch_file(path, on_change, stop, interval=INTERVAL))
        watch = Watch(path, stop, task, calls, called)
        watches.append(watch)
        return watch

    yield start
    for watch in watches:
        watch.stop.set()
        with anyio.fail_after(2):
            await watch.task


async def started(start: Callable[[Path], Watch], path: Path) -> Watch:
    watch = start(path)
    await asyncio.sleep(0)  # the watcher takes its first look before it first waits
    return watch


def test_file_signature(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert file_signature(path) is None
    path.write_bytes(b"abc")
    info = os.stat(path)
    assert file_signature(path) == (info.st_mtime_ns, 3, info.st_ino)


@pytest.mark.anyio
async def test_a_change_calls_back_once(tmp_path: Path, watched: Callable[[Path], Watch]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("port = 1\n")
    watch = await started(watched, path)
    await asyncio.sleep(INTERVAL * 2)
    path.write_text("port = 22\n")
    await watch.wait_for_calls(1)
    await asyncio.sleep(QUIET)
    assert watch.calls == [b"port = 22\n"]


@pytest.mark.anyio
async def test_an_unchanged_file_never_calls_back(
    tmp_path: Path, watched: Callable[[Path], Watch]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("port = 1\n")
    watch = await started(watched, path)
    await asyncio.sleep(QUIET)
    path.read_text()  # reading is not a change
    await asyncio.sleep(QUIET)
    assert watch.calls == []


@pytest.mark.anyio
async def test_a_file_replaced_by_rename_calls_back(
    tmp_path: Path, watched: Callable[[Path], Watch]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("port = 1\n")
    watch = await started(watched, path)
    replacement = tmp_path / "config.toml.new"
    replacement.write_text("port = 1\n")  # same size and content: only the inode differs
    replacement.replace(path)
    await watch.wait_for_calls(1)
    await asyncio.sleep(QUIET)
    assert watch.calls == [b"port = 1\n"]


@pytest.mark.anyio
async def test_a_deleted_file_is_not_a_change_until_it_returns(
    tmp_path: Path, watched: Callable[[Path], Watch]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("port = 1\n")
    watch = await started(watched, path)
    path.unlink()
    await asyncio.sleep(QUIET)
    assert watch.calls == []
    path.write_text("port = 333\n")
    await watch.wait_for_calls(1)
    assert watch.calls == [b"port = 333\n"]


@pytest.mark.anyio
async def test_a_file_created_after_start_calls_back(
    tmp_path: Path, watched: Callable[[Path], Watch]
) -> None:
    path = tmp_path / "config.toml"
    watch = await started(watched, path)
    await asyncio.sleep(INTERVAL * 2)
    path.write_text("new\n")
    await watch.wait_for_calls(1)
    assert watch.calls == [b"new\n"]


@pytest.mark.anyio
async def test_each_separate_change_calls_back(
    tmp_path: Path, watched: Callable[[Path], Watch]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("a\n")
    watch = await started(watched, path)
    path.write_text("bb\n")
    await watch.wait_for_calls(1)
    path.write_text("ccc\n")
    await watch.wait_for_calls(2)
    assert watch.calls == [b"bb\n", b"ccc\n"]


@pytest.mark.anyio
async def test_setting_stop_ends_the_watch_promptly(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("x")
    stop = asyncio.Event()

    async def never() -> None:
        raise AssertionError("no change was made")

    task = asyncio.create_task(watch_file(path, never, stop, interval=10.0))
    await asyncio.sleep(0.01)
    begun = time.monotonic()
    stop.set()
    with anyio.fail_after(1):
        await task
    assert time.monotonic() - begun < 0.5  # did not wait out the 10 s interval


@pytest.mark.anyio
async def test_an_already_set_stop_returns_at_once(tmp_path: Path) -> None:
    stop = asyncio.Event()
    stop.set()

    async def never() -> None:
        raise AssertionError("not called")

    with anyio.fail_after(1):
        await watch_file(tmp_path / "missing", never, stop, interval=10.0)
