"""What the tests and the benchmarks share: real processes and participants,
one way to wait and one fake clock.

- :mod:`.servers` and :mod:`.hub`: ``jupyter lab`` / ``jupyter server`` and
  JupyterHub in subprocesses on 127.0.0.1, and the settings of an in-process
  server (pytest-jupyter).
- :mod:`.clients`: a classroom socket and aiortc peers that play a browser's part.
- :mod:`.pages`: Chromium for Playwright, and what the browser tests read
  from and do in a page.
- :func:`until` / :func:`wait_until`: wait for a condition (a negative check
  waits for a later message or packet that must come after the one that must
  not: never for a while).
- :class:`FakeClock`: time that moves only when the test moves it.

Benchmarks run as ``python benchmarks/NAME.py`` put the repository on
``sys.path`` and import ``tests.harness`` too.
"""

from __future__ import annotations

from .clock import FakeClock
from .waiting import until, wait_until

__all__ = ["FakeClock", "until", "wait_until"]
