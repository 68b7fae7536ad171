"""The periodic ticker: it reports how long the event loop could not run."""

from __future__ import annotations

import asyncio
import time

import pytest

from jupyter_classroom.ticker import Ticker


@pytest.mark.asyncio
async def test_a_stalled_loop_is_reported_before_the_next_tick() -> None:
    ticks: list[str] = []
    stalls: list[float] = []
    ticker = Ticker(0.01, lambda: ticks.append("tick"), "a test ticker", on_late=stalls.append)
    ticker.start()
    while not ticks:
        await asyncio.sleep(0.005)
    ticks.clear()
    time.sleep(0.3)  # a callback that blocks the loop
    while not ticks:
        await asyncio.sleep(0.005)
    await ticker.stop()
    # Blocked for 0.3 s, the ticker woke at least 0.29 s after it was due.
    assert stalls and max(stalls) >= 0.25


@pytest.mark.asyncio
async def test_a_failing_tick_is_followed_by_the_next() -> None:
    calls = []

    def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the first tick fails")

    ticker = Ticker(0.001, tick, "a test ticker")
    ticker.start()
    while len(calls) < 3:
        await asyncio.sleep(0.005)
    await ticker.stop()
    assert not ticker.running


@pytest.mark.asyncio
async def test_the_second_part_runs_after_each_tick_as_a_callback_of_its_own() -> None:
    loop = asyncio.get_running_loop()
    calls: list[str] = []

    def tick() -> None:
        calls.append("tick")
        # Ready before the second part is scheduled: it runs in between.
        loop.call_soon(calls.append, "other")

    def then() -> None:
        calls.append("then")
        if calls.count("then") == 1:
            raise RuntimeError("the first second part fails")

    ticker = Ticker(0.005, tick, "a test ticker", then=(then, "its second part"))
    ticker.start()
    while calls.count("then") < 3:
        await asyncio.sleep(0.002)
    await ticker.stop()
    assert calls[:6] == ["tick", "other", "then", "tick", "other", "then"]
