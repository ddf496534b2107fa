"""Requests leave no reference cycles behind (daemon.dataplane, through the real app in-process).

Whatever a request builds must be freed by reference counting the moment it ends. A cycle
per request (once: a cancelled watcher task whose CancelledError held its own frame) makes the
cyclic collector run every few hundred requests, and each run walks every object in flight:
10–37 ms pauses that bench/proxy measured as most of the p99 latency at 50 connections.

Each case drives warm-up requests first (first use fills caches, which is not garbage), then
the same requests with the collector off and DEBUG_SAVEALL on, and names what the collector
then finds that the daemon's code made.
"""

from __future__ import annotations

import gc
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import CoroutineType, FrameType
from typing import Any

import pytest

import daemon
from daemon.app import build_app
from daemon.config import Settings, UpstreamTimeouts
from daemon.model import WireFormat
from tests.support.mock_upstream import MockUpstream
from tests.unit.dataplane.support import drive, mock, running, settings_for
from tests.unit.dataplane.test_pipeline import PAIR_IDS, PAIRS, anthropic_body, request_for

__all__ = ["mock"]

DAEMON_DIR = str(Path(daemon.__file__).parent)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _made_by_daemon(thing: Any) -> str | None:
    """A name for `thing` when the daemon's code made it (an instance of one of its classes,
    or a frame or coroutine of one of its functions); None otherwise."""
    kind = type(thing)
    if kind.__module__.startswith("daemon."):
        return f"{kind.__module__}.{kind.__qualname__}"
    code = None
    if isinstance(thing, FrameType):
        code = thing.f_code
    elif isinstance(thing, CoroutineType):
        code = thing.cr_code
    if code is not None and code.co_filename.startswith(DAEMON_DIR):
        return f"{kind.__name__} of {code.co_qualname}"
    return None


def _on_a_cycle(thing: Any, garbage: dict[int, Any]) -> bool:
    """Whether `thing` reaches itself again through the garbage (it is part of a cycle, not
    just held by one that something else made)."""
    seen = {id(thing)}
    todo = [thing]
    while todo:
        for referent in gc.get_referents(todo.pop()):
            if referent is thing:
                return True
            if id(referent) in garbage and id(referent) not in seen:
                seen.add(id(referent))
                todo.append(referent)
    return False


@contextmanager
def cyclic_garbage() -> Iterator[Counter[str]]:
    """The daemon-made objects on reference cycles the block left for the collector, by name."""
    found: Counter[str] = Counter()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        garbage = {id(thing): thing for thing in gc.garbage}
        for thing in gc.garbage:
            name = _made_by_daemon(thing)
            if name is not None and _on_a_cycle(thing, garbage):
                found[name] += 1
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()


async def _twice(
    mock: MockUpstream, requests: list[tuple[str, Any]], settings: Settings | None = None
) -> Counter[str]:
    async with running(build_app(settings or settings_for(mock.base_url))) as app:
        for path, body in requests:
            await drive(app, path, body)
        with cyclic_garbage() as found:
            for path, body in requests:
                exchange = await drive(app, path, body)
                assert exchange.ended
    mock.clear()
    return found


@pytest.mark.anyio
@pytest.mark.parametrize(("client", "family"), PAIRS, ids=PAIR_IDS)
async def test_streamed_and_whole_answers_leave_no_cycles(
    mock: MockUpstream, client: WireFormat, family: str
) -> None:
    requests = [request_for(client, family, "tool-think", stream) for stream in (True, False)]
    assert await _twice(mock, requests) == Counter()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "model",
    ["claude-error-429", "claude-error-500", "claude-midstream-error", "nobody-serves-this"],
)
async def test_failures_leave_no_cycles(mock: MockUpstream, model: str) -> None:
    requests = [("/v1/messages", anthropic_body(model, stream)) for stream in (True, False)]
    assert await _twice(mock, requests) == Counter()


@pytest.mark.anyio
async def test_timeouts_and_an_unreachable_upstream_leave_no_cycles(mock: MockUpstream) -> None:
    quick = UpstreamTimeouts(connect=2, first_byte=0.2, non_stream=0.3, idle=0.3)
    slow = [
        ("/v1/messages", anthropic_body("claude-slow-first-byte-2000", s)) for s in (True, False)
    ]
    settings = replace(settings_for(mock.base_url), upstream_timeouts=quick)
    assert await _twice(mock, slow, settings) == Counter()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    plain = [("/v1/messages", anthropic_body("claude-plain", s)) for s in (True, False)]
    # (asyncio's own sock_connect leaves a cycle behind a refused connection on Python 3.11;
    # the daemon's objects it holds are freed with it, and are not counted.)
    assert await _twice(mock, plain, settings_for(closed)) == Counter()


@pytest.mark.anyio
async def test_token_counts_and_legacy_completions_leave_no_cycles(mock: MockUpstream) -> None:
    requests: list[tuple[str, Any]] = [
        ("/v1/messages/count_tokens", anthropic_body("claude-plain", False)),
        ("/v1/chat/completions", {"model": "oc/mock-plain", "messages": []}),
        *[
            ("/v1/completions", {"model": "oc/mock-plain", "prompt": "hi", "stream": stream})
            for stream in (True, False)
        ],
    ]
    assert await _twice(mock, requests) == Counter()


@pytest.mark.anyio
async def test_a_client_that_leaves_mid_stream_leaves_no_cycles(mock: MockUpstream) -> None:
    body = anthropic_body("claude-stall", True)
    async with running(build_app(settings_for(mock.base_url))) as app:
        await drive(app, "/v1/messages", body, leave_after=0.2)
        with cyclic_garbage() as found:
            exchange = await drive(app, "/v1/messages", body, leave_after=0.2)
            assert exchange.status == 200 and not exchange.ended
    mock.clear()
    assert found == Counter()


def test_the_detector_sees_a_cycle_the_daemon_makes() -> None:
    """The check above could pass by seeing nothing: a deliberate cycle of daemon objects is
    found and named."""
    from daemon.dataplane.watch import ClientWatch

    async def nothing(*_: Any) -> Any:
        return None

    with cyclic_garbage() as found:
        held = ClientWatch(nothing, nothing)
        watch: Any = ClientWatch(nothing, nothing)
        watch.itself = [watch, held]  # `held` is only held by the cycle: not counted
        del watch, held
    assert found == Counter({"daemon.dataplane.watch.ClientWatch": 1})
