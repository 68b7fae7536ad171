"""The tests' one fake clock."""

from __future__ import annotations


class FakeClock:
    """A clock that stands still until the test moves it: pass it where the
    code takes a ``clock`` (a callable returning seconds)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
