"""daemon.clock: the system clock and the fake one tests drive by hand."""

from __future__ import annotations

import time

from daemon.clock import Clock, FakeClock, SystemClock


def test_system_clock_follows_time() -> None:
    clock = SystemClock()
    before_wall, before_mono = time.time(), time.monotonic()
    wall, mono = clock.time(), clock.monotonic()
    after_wall, after_mono = time.time(), time.monotonic()
    assert before_wall <= wall <= after_wall
    assert before_mono <= mono <= after_mono


def test_fake_clock_stands_still_until_advanced() -> None:
    clock = FakeClock()
    assert clock.time() == 1_700_000_000.0
    assert clock.monotonic() == 0.0
    time.sleep(0.001)
    assert clock.time() == 1_700_000_000.0
    assert clock.monotonic() == 0.0


def test_fake_clock_advance_moves_both_clocks() -> None:
    clock = FakeClock(start=100.0)
    clock.advance(2.5)
    clock.advance(0.5)
    assert clock.time() == 103.0
    assert clock.monotonic() == 3.0


def test_both_clocks_satisfy_the_protocol() -> None:
    clocks: list[Clock] = [SystemClock(), FakeClock()]
    assert all(isinstance(c.time(), float) and isinstance(c.monotonic(), float) for c in clocks)
