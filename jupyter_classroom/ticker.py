"""A periodic task that outlives its own failures."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Set (to anything) for benchmarks: the classroom's periodic work and its
#: writes to the sockets log their CPU time.
TIMING_VARIABLE = "JUPYTER_CLASSROOM_TICK_TIMING"


def timing() -> bool:
    """Whether this process logs the CPU time of its ticks (see TIMING_VARIABLE)."""
    return bool(os.environ.get(TIMING_VARIABLE))


class Ticker:
    """Calls ``tick`` every ``period`` seconds on the running event loop; an
    exception in one tick is logged and the next tick comes all the same.

    ``on_late``, when given, is told before a tick how many seconds more than
    a period late it woke up: how long the event loop could not run.

    ``then``, when given, is a second part of each tick and its name: it runs
    as a callback of its own right after the tick, so what else is ready on
    the event loop runs between the two."""

    def __init__(
        self,
        period: float,
        tick: Callable[[], object],
        name: str,
        on_late: Callable[[float], None] | None = None,
        then: tuple[Callable[[], None], str] | None = None,
    ) -> None:
        self.period = period
        self.tick = tick
        self.name = name
        self.on_late = on_late
        self.then = then
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        # For benchmarks: log each tick's CPU time (the event loop's thread
        # only). Read once, so a server without it pays one test per tick.
        self.timed = timing()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start ticking (needs a running event loop); once stopped, never again."""
        if self._task is None and not self._stopped:
            # In a context of its own: started from a request (the first
            # person to join), the task would copy that request's context,
            # whose call context names its handler, and hold that handler
            # (its socket, its session) for as long as the classroom runs.
            loop = asyncio.get_running_loop()
            self._task = contextvars.Context().run(loop.create_task, self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + self.period
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = loop.time()
            # Woken more than a period late: the loop was stalled.
            late = now - due - self.period
            # Keep the cadence (a tick that waited behind other work does not
            # push every later one back); after a stall, start again from now
            # rather than catch up.
            due += self.period
            if due <= now:
                due = now + self.period
            if late > 0 and self.on_late is not None:
                try:
                    self.on_late(late)
                except Exception:
                    log.exception("classroom: %s failed to note a stall", self.name)
            self._call(self.tick, self.name)
            if self.then is not None:
                loop.call_soon(self._then)

    def _then(self) -> None:
        assert self.then is not None  # scheduled only then
        if not self._stopped:
            self._call(*self.then)

    def _call(self, part: Callable[[], object], name: str) -> None:
        try:
            if self.timed:
                started = time.thread_time()
                part()
                took = (time.thread_time() - started) * 1e3
                log.info("classroom: %s took %.3f ms CPU", name, took)
            else:
                part()
        except Exception:
            log.exception("classroom: %s failed; it carries on", name)

    async def stop(self) -> None:
        """Stop, and wait until the task has ended. Idempotent."""
        self._stopped = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
