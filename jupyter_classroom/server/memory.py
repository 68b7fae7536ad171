"""The garbage collector in a server that holds a class.

CPython's full collection walks every container object alive. It runs
whenever enough objects have outlived the younger collections, which in a
busy classroom (positions, frames and futures in flight) was every 6-10
seconds. A Jupyter server holds ~250,000 such objects before anyone joins
(modules, classes, its parsers' tables), so each of those collections
blocked the event loop for 110-160 ms at 500 people: every notebook and
every position stalled together.

Two changes, made once the classroom has started:

* what is alive then moves into the permanent generation (``gc.freeze``,
  meant for this): a full collection walks only what the class made, 30-75
  ms at 500 people (a Python object per socket, future and participant);
* a full collection waits for 100 collections of the middle generation
  instead of 10, so it comes every half minute or so, not every few
  seconds. The young generations are collected as before.

The price: start-up objects that later become cyclic garbage are never
freed (they live as long as the server anyway), and cyclic garbage of the
class waits longer for its collection.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

#: Collections of the middle generation between two full ones (Python: 10).
FULL_EVERY = 100

_tuned = False


def tune_garbage_collection() -> None:
    """Freeze what is alive now and make full collections rarer. Once per
    process: a second host (tests start several) does not freeze its
    predecessor's garbage."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()  # what is garbage already goes first
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
    log.info(
        "classroom: %d objects alive at start-up left out of garbage collection; "
        "a full collection every %d of the middle generation",
        gc.get_freeze_count(),
        FULL_EVERY,
    )
