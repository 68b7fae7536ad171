"""The garbage collector in a server that holds a class.

CPython's full collection walks every container object alive. It runs
whenever enough objects have outlived the younger collections, which in a
busy classroom (positions, frames and futures in flight) was every 6-10
seconds. A Jupyter server holds ~250,000 such objects before anyone joins
(modules, classes, its parsers' tables), so each of those collections
blocked the event loop for 110-160 ms at 500 people: every notebook and
every position stalled together.

Three changes, made once the classroom has started:

* what is alive then moves into the permanent generation (``gc.freeze``,
  meant for this): a full collection walks only what the class made, 35-50
  ms at 500 people (~130 Python objects per connection: tornado's
  coroutines, futures, timers, headers and cookies, and ours);
* Python no longer starts full collections itself, in the middle of
  whatever the event loop is doing. :class:`FullCollections` runs one once
  it is due (``FULL_EVERY`` collections of the middle generation, as
  Python's own threshold would) at the first quiet moment: a second in
  which the classroom sent no positions (a lecture, everyone seated, or
  the end of the class), or, in a class that never stops walking, after
  ``LONGEST_WAIT`` seconds;
* the young generations are collected as before.

The price: start-up objects that later become cyclic garbage are never
freed (they live as long as the server anyway), and cyclic garbage of the
class waits longer for its collection. Walking, talking and chatting make
little of it: 500 people walking for three minutes without any full
collection grew the server by 1.2 MB, as with them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable

from ..ticker import Ticker

log = logging.getLogger(__name__)

#: Collections of the middle generation that make a full one due (Python: 10).
FULL_EVERY = 100
#: Seconds without positions sent that count as a quiet moment.
QUIET = 1.0
#: Seconds a due full collection waits for a quiet moment, at most.
LONGEST_WAIT = 600.0
#: A threshold Python's own full collections never reach.
_NEVER = 1 << 30
#: Seconds of quiet after which memory freed by the class goes back to the system.
TRIM_QUIET = 5.0

_tuned = False


def tune_garbage_collection() -> bool:
    """Freeze what is alive now and leave full collections to
    :class:`FullCollections`. Once per process (a second host, as tests
    start several, does not freeze its predecessor's garbage): True the
    first time."""
    global _tuned
    if _tuned:
        return False
    _tuned = True
    gc.collect()  # what is garbage already goes first
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    log.info(
        "classroom: %d objects alive at start-up left out of garbage collection; "
        "a full collection after %d of the middle generation, at a quiet moment",
        gc.get_freeze_count(),
        FULL_EVERY,
    )
    return True


def collect_when_quiet(
    quiet_for: Callable[[], float], clock: Callable[[], float] = time.monotonic
) -> Ticker | None:
    """Tune the collector (:func:`tune_garbage_collection`) and start the
    ticker that runs its full collections, asking ``quiet_for`` how long the
    classroom has been quiet. None when this process was tuned already
    (whoever tuned it runs them)."""
    if not tune_garbage_collection():
        return None
    collections = FullCollections(clock)
    trim = ReturnToSystem()

    def step() -> None:
        quiet = quiet_for()
        collections.step(quiet)
        trim.step(quiet)

    ticker = Ticker(1.0, step, "the garbage collector")
    ticker.start()
    return ticker


async def stop_collecting(ticker: Ticker | None) -> None:
    """Stop what :func:`collect_when_quiet` started: Python starts full
    collections itself again (what was frozen stays so)."""
    if ticker is None:
        return
    await ticker.stop()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)


class FullCollections:
    """Runs the full collection when it is due and the classroom is quiet
    (see the module's notes). :meth:`step` is called every second or so."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        #: When the pending collection became due (None: none is).
        self.due_since: float | None = None
        #: Full collections run so far.
        self.runs = 0

    def step(self, quiet_for: float) -> bool:
        """Collect now if a full collection is due and the classroom has been
        quiet ``quiet_for`` seconds (or it waited long enough): True if it
        ran."""
        if gc.get_count()[2] < FULL_EVERY:
            self.due_since = None
            return False
        now = self.clock()
        if self.due_since is None:
            self.due_since = now
        if quiet_for < QUIET and now - self.due_since < LONGEST_WAIT:
            return False
        gc.collect()
        self.due_since = None
        self.runs += 1
        return True


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:
        return None
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class ReturnToSystem:
    """Gives the memory a busy spell freed back to the system once the
    classroom has been quiet ``TRIM_QUIET`` seconds. The C allocator keeps
    what it freed for the next allocations (packets, frames, buffers of
    connections that came and went: after a breakout's churn, tens of MB
    that the server's RSS would show for the rest of the day); glibc's
    ``malloc_trim`` returns the free pages. Once per quiet spell, so it never
    runs while the class moves (it walks the allocator's arenas: a few ms)."""

    def __init__(self, trim: Callable[[int], int] | None = None) -> None:
        self._trim = trim if trim is not None else _malloc_trim()
        self._done = False
        #: Times memory was handed back so far.
        self.runs = 0

    def step(self, quiet_for: float) -> bool:
        if quiet_for < TRIM_QUIET:
            self._done = False
            return False
        if self._done or self._trim is None:
            return False
        self._done = True
        self._trim(0)
        self.runs += 1
        return True


_started = 0.0


def _time_collections(phase: str, info: dict) -> None:
    global _started
    generation = info.get("generation")
    if not generation:
        return  # the youngest: frequent and short
    if phase == "start":
        _started = time.thread_time()
    else:
        took = (time.thread_time() - _started) * 1e3
        log.info(
            "classroom: a garbage collection of generation %d took %.3f ms CPU", generation, took
        )


def log_collections() -> None:
    """For benchmarks: log the CPU time of each collection of the middle and
    the oldest generation. Once per process."""
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)
