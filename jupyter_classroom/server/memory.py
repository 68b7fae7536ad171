"""The garbage collector in a server that holds a class.

CPython's full collection walks every container object alive, and it runs
whenever enough objects have outlived the younger collections: in a busy
classroom (positions, frames and futures in flight) about every ten
seconds. A Jupyter server holds ~250,000 such objects before anyone joins
(modules, classes, its parsers' tables), so each of those collections
blocked the event loop for 110-160 ms at 500 people: every notebook and
every position stalled together. Moving what is alive at start-up into the
permanent generation (``gc.freeze``, meant for this) leaves the collector
only what the class made: 20-50 ms.

The price is that start-up objects which later become cyclic garbage are
never freed; they live as long as the server anyway.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

_frozen = False


def freeze_startup_objects() -> None:
    """Take everything alive now out of the collector's walks. Once per
    process: a second host (tests start several) does not freeze its
    predecessor's garbage."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()  # what is garbage already goes first
    gc.freeze()
    log.info("classroom: %d objects alive at start-up left out of garbage collection", gc.get_freeze_count())
