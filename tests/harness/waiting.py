"""Waiting for a condition, the one way the tests and benchmarks do it.

The condition is polled until it holds, with a deadline that only bounds a
failure (a passing test never waits it out) and a message that names what
did not happen. :func:`until` is for code on an event loop, which must keep
running while it waits; :func:`wait_until` is for code that may block (a
Playwright page, a subprocess). Both run the same :class:`Polling`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, cast

T = TypeVar("T")

#: A condition takes no arguments; ``...`` lets mypy accept a lambda that
#: binds loop variables as defaults (``lambda p=page: ...``).
Condition = Callable[..., T | None]

#: Between two checks: often enough not to add to a test's time, rarely
#: enough to leave the machine to what is being waited for.
INTERVAL = 0.05


class Polling(Generic[T]):
    """The checks of one wait: iterate to get the pauses between them."""

    def __init__(self, condition: Condition[T], timeout: float, what: str) -> None:
        self.condition = condition
        self.timeout = timeout
        self.what = what
        self._value: T | None = None

    def __iter__(self) -> Iterator[float]:
        deadline = time.monotonic() + self.timeout
        while True:
            value = self.condition()
            if value:
                self._value = value
                return
            if time.monotonic() > deadline:
                what = self.what or getattr(self.condition, "__qualname__", "the condition")
                raise AssertionError(f"timed out after {self.timeout:g} s waiting for {what}")
            yield INTERVAL

    @property
    def value(self) -> T:
        """The condition's true value, once the iteration ended without raising."""
        return cast(T, self._value)


async def until(condition: Condition[T], timeout: float = 10.0, what: str = "") -> T:
    """Wait on the running event loop until ``condition()`` is true; its value."""
    polling = Polling(condition, timeout, what)
    for pause in polling:
        await asyncio.sleep(pause)
    return polling.value


def wait_until(
    condition: Condition[T],
    timeout: float = 10.0,
    what: str = "",
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """Block until ``condition()`` is true; its value.

    ``pause(seconds)`` waits between two checks. Playwright's sync API runs
    its event handlers (a routed socket's messages, ``page.on`` callbacks)
    only inside a Playwright call: a condition that reads what those handlers
    collect must pause with one, e.g. ``pause=page_pause(page)``, or the
    handlers never run while it waits."""
    polling = Polling(condition, timeout, what)
    for seconds in polling:
        pause(seconds)
    return polling.value
