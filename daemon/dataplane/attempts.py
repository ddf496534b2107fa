"""Getting a request answered before its first byte reaches the client: pick a target, send,
and on a retryable failure try the next one — another credential, then another provider of the
model, then the models of its fallback chain — waiting for the soonest cooldown no longer than
`max-retry-interval`. After the upstream's headers are in, there is no silent retry.

    for model in [requested, *fallback-chain]:
        while attempts left:
            router.choose ─ Blocked? wait for the soonest (bounded) or go to the next model
            send ─ failed? router.failed(classify(...)); retryable → next; else → the client
            answered → router.succeeded; hand the open response to the pipeline
    nothing could serve → 429 model_cooldown (when cooling) or the last upstream error
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp

from daemon.dataplane.upstream import UpstreamPool, UpstreamTimeout, UpstreamUnreachable
from daemon.errors import ModelCooldown, ModelNotFound, ProxyError, UpstreamFailed
from daemon.model import ApiError
from daemon.providers.base import UpstreamRequest
from daemon.routing.classify import classify, classify_exception
from daemon.routing.registry import ModelRegistry, Resolution, Target
from daemon.routing.router import Blocked, Choice, Router

ERROR_BODY_LIMIT = 1024 * 1024
MIN_WAIT = 0.05
PROBE_POLL = 0.5  # the longest pause between two looks at a target another request probes


@dataclass(slots=True)
class Prepared:
    """A request made ready for one target, with what decoding its answer needs."""

    request: UpstreamRequest
    proxy: str | None
    decode_error: Callable[[int, bytes], ApiError]
    context: Any  # whatever the pipeline needs to handle the answer


@dataclass(slots=True)
class Opened:
    response: aiohttp.ClientResponse
    prepared: Prepared
    choice: Choice
    resolution: Resolution


@dataclass(slots=True)
class Budget:
    """How hard one request may try (request-retry, max-retry-credentials, max-retry-interval)."""

    attempts: int
    credentials: int  # 0: no limit
    max_wait: float


class AttemptLoop:
    def __init__(
        self,
        router: Router,
        registry: ModelRegistry,
        pool: UpstreamPool,
        fallback_chains: dict[str, tuple[str, ...]],
        masker: Callable[[str], str],
    ) -> None:
        self.router = router
        self.registry = registry
        self.pool = pool
        self.fallback_chains = fallback_chains
        self.mask = masker

    async def open(
        self,
        first: Resolution,
        prepare: Callable[[Resolution, Target], Prepared],
        budget: Budget,
        session: str | None,
    ) -> Opened:
        """The first target that answers with a success status (see the module docstring)."""
        clock = self.router.clock
        last_error: ProxyError | None = None
        soonest: tuple[float, str | None, Resolution] | None = None
        for resolution in self._chain(first):
            # Each model of the chain gets the whole budget: the fallback is for when the
            # primary's candidates are all out, however many tries that took.
            tried: set[int] = set()
            credentials: set[str] = set()
            attempts = waits = polls = 0
            probe_wait_over: float | None = None
            while attempts < budget.attempts:
                choice = self.router.choose(resolution, tried, session)
                if isinstance(choice, Blocked):
                    if choice.next_try is None:  # every target tried: any back soon enough?
                        choice = self.router.soonest(resolution)
                        if choice.next_try is None:
                            break
                        tried = set()
                    if choice.probing:
                        # Another request probes a cooled target: its success frees the
                        # target at once, so look again soon, for up to max-retry-interval
                        # of real time (the sleeps are real, whatever clock routing reads).
                        waited = asyncio.get_running_loop().time()
                        if probe_wait_over is None:
                            probe_wait_over = waited + budget.max_wait
                        if waited < probe_wait_over:
                            pause = min(MIN_WAIT * 2**polls, PROBE_POLL, probe_wait_over - waited)
                            await asyncio.sleep(pause)  # a leaving client cancels this sleep
                            polls += 1
                            continue
                    now = clock.time()
                    if soonest is None or choice.next_try < soonest[0]:
                        soonest = (choice.next_try, choice.reason, resolution)
                    wait = choice.next_try - now
                    if wait > budget.max_wait or waits >= budget.attempts:
                        break
                    # Never a busy loop: a probe held elsewhere may keep next_try in the past,
                    # and an overloaded upstream sets no cooldown at all.
                    await asyncio.sleep(max(wait, MIN_WAIT * 2**waits))  # a leaving client
                    waits += 1  # cancels this sleep
                    continue
                credential = choice.target.credential.id
                over = budget.credentials and len(credentials) >= budget.credentials
                if over and credential not in credentials:
                    self.router.abandoned(choice)
                    break
                credentials.add(credential)
                tried.add(choice.index)
                attempts += 1
                prepared = prepare(resolution, choice.target)
                try:
                    response = await self._send(choice, prepared)
                except _Retry as retry:
                    last_error = retry.error
                    continue
                return Opened(response, prepared, choice, resolution)
        if last_error is not None:
            try:
                raise last_error
            finally:
                del last_error  # else this frame holds the error that holds this frame: a cycle
        if soonest is not None:
            until, reason, resolution = soonest
            raise _cooldown_error(first, resolution, until, reason, clock.time())
        raise UpstreamUnreachable(f"no credential could serve model {first.model!r}")

    async def _send(self, choice: Choice, prepared: Prepared) -> aiohttp.ClientResponse:
        # A request waiting for its answer is in flight on the credential (for least-busy
        # and metrics): a non-stream answer's headers come only once it is all generated. The
        # caller counts the opened response from the moment this returns (no await between).
        credential = choice.target.credential.id
        self.router.in_flight.inc(credential)
        try:
            return await self._exchange(choice, prepared)
        finally:
            self.router.in_flight.dec(credential)

    async def _exchange(self, choice: Choice, prepared: Prepared) -> aiohttp.ClientResponse:
        router = self.router
        started = router.clock.time()
        began = time.monotonic()
        try:
            response = await self.pool.open(prepared.request, prepared.proxy)
        except UpstreamTimeout as error:
            # No connection within the connect timeout: the endpoint, not the model, is out.
            slow_connect = isinstance(error.__cause__, aiohttp.ConnectionTimeoutError)
            router.failed(
                choice, classify_exception("connect" if slow_connect else "timeout"), started
            )
            raise _Retry(error) from error
        except UpstreamUnreachable as error:
            router.failed(choice, classify_exception(_transport_kind(error)), started)
            raise _Retry(error) from error
        except BaseException:
            router.abandoned(choice)
            raise
        if response.status < 400:
            router.succeeded(choice, started, (time.monotonic() - began) * 1000)
            return response
        try:
            raw = await self.pool.read_body(response, ERROR_BODY_LIMIT)
        except (UpstreamTimeout, UpstreamUnreachable) as error:
            router.failed(choice, classify_exception("reset"), started)
            raise _Retry(error) from error
        except BaseException:
            router.abandoned(choice)
            raise
        finally:
            response.close()
        headers = {k.lower(): v for k, v in response.headers.items()}
        family = choice.target.credential.family
        failure = classify(response.status, headers, raw, family, router.clock.time())
        router.failed(choice, failure, started)
        api_error = prepared.decode_error(response.status, raw)
        if api_error.retry_after is None:
            api_error.retry_after = failure.retry_after
        api_error.message = self.mask(api_error.message)
        upstream_error = UpstreamFailed(api_error)
        if failure.retryable:
            raise _Retry(upstream_error)
        raise upstream_error

    def _chain(self, first: Resolution) -> Any:
        yield first
        for name in self.fallback_chains.get(first.model, ()):
            try:
                yield self.registry.resolve(name)
            except ModelNotFound:
                continue


def _transport_kind(error: UpstreamUnreachable) -> Literal["connect", "reset"]:
    """No connection at all concerns every model of the credential; a connection that was made
    and then broke (reset, closed before the answer) may be this request's or model's alone."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientError) and not isinstance(
        cause, aiohttp.ClientConnectorError
    ):
        return "reset"
    return "connect"


class _Retry(Exception):
    def __init__(self, error: ProxyError) -> None:
        super().__init__(error.message)
        self.error = error


def _cooldown_error(
    first: Resolution, resolution: Resolution, until: float, reason: str | None, now: float
) -> ModelCooldown:
    seconds = max(1.0, until - now)
    families = sorted({t.credential.family for t in resolution.targets})
    reset = datetime.fromtimestamp(until, UTC).isoformat().replace("+00:00", "Z")
    return ModelCooldown(
        model=first.model,
        provider=",".join(families),
        reset_at=reset,
        seconds=seconds,
        reason=reason,
    )
