"""Who is near whom: the proximity graph of a classroom, in arrays.

Everyone has a slot: an index into the position arrays and into the matrix
of near pairs, which is symmetric. The peer mesh (:mod:`.pairing`) reads
the same slots, so neither keeps sets of names per person and a crowd that
walks costs numpy's work, not Python's, whatever the number of pairs that
change. At 500 people with ~100 neighbours each, a tick's movers flip about
2,500 near pairs; as sets of names that was most of the tick.

Two people become near within ``radius`` of each other and stay near out
to ``drop_radius`` (hysteresis: someone standing at the edge does not flicker
in and out at every step).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


class Proximity:
    """The proximity graph over slots. Pure state, no I/O."""

    def __init__(self, radius: float, drop_radius: float | None = None) -> None:
        self.radius = radius
        self.drop_radius = radius if drop_radius is None else max(radius, drop_radius)
        self._slot: dict[str, int] = {}
        #: The participant in each slot (None: free), up to the last used.
        self.ids: list[str | None] = []
        self._free: list[int] = []
        #: Where each slot's participant stood when last placed.
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        #: Who can be near anyone (online); the others' rows are clear.
        self.active = np.zeros(0, dtype=bool)
        #: Near pairs: ``near[i, j]`` and ``near[j, i]`` for each.
        self.near = np.zeros((0, 0), dtype=bool)
        self._rank: np.ndarray | None = None
        #: How many slots the arrays have room for.
        self.capacity = 0

    # -- queries ----------------------------------------------------------

    def __contains__(self, pid: str) -> bool:
        return pid in self._slot

    def slot(self, pid: str) -> int:
        return self._slot[pid]

    @property
    def used(self) -> int:
        """How many slots the arrays hold that matter (the rest are free)."""
        return len(self.ids)

    def neighbours(self, pid: str) -> frozenset[str]:
        slot = self._slot.get(pid)
        if slot is None:
            return frozenset()
        return frozenset(self.names(np.flatnonzero(self.near[slot, : self.used])))

    def names(self, slots: np.ndarray) -> list[str]:
        ids = self.ids
        return [ids[s] for s in slots.tolist()]

    def ranks(self) -> np.ndarray:
        """Each slot's place among the ids in string order (free slots: any)."""
        if self._rank is None:
            ids = self.ids
            used = sorted((pid, slot) for slot, pid in enumerate(ids) if pid is not None)
            rank = np.zeros(len(ids), dtype=np.intp)
            rank[[slot for _, slot in used]] = np.arange(len(used))
            self._rank = rank
        return self._rank

    # -- changes ----------------------------------------------------------

    def add(self, pid: str, x: float, y: float, active: bool = True) -> int:
        """Give ``pid`` a slot, standing at (x, y), near nobody yet (see
        :meth:`measure`)."""
        slot = self._slot.get(pid)
        if slot is not None:
            raise ValueError(f"{pid} is already placed")
        if self._free:
            slot = self._free.pop()
            self.ids[slot] = pid
        else:
            slot = len(self.ids)
            self.ids.append(pid)
            if slot >= self.capacity:
                self._grow(max(16, 2 * self.capacity))
        self._slot[pid] = slot
        self.x[slot], self.y[slot] = x, y
        self.active[slot] = active
        self._rank = None
        return slot

    def remove(self, pid: str) -> None:
        """Forget ``pid``: near nobody, their slot free for the next one."""
        slot = self._slot.pop(pid)
        self._clear(slot)
        self.active[slot] = False
        self.ids[slot] = None
        self.x[slot] = self.y[slot] = math.nan
        self._free.append(slot)
        while self.ids and self.ids[-1] is None:
            # Keep the used part short after a crowd left.
            self.ids.pop()
            self._free.remove(len(self.ids))
        self._rank = None

    def place(self, pid: str, x: float, y: float) -> None:
        """Where ``pid`` stands now (who is near them changes at :meth:`measure`)."""
        slot = self._slot[pid]
        self.x[slot], self.y[slot] = x, y

    def set_active(self, pid: str, active: bool) -> None:
        """Whether ``pid`` can be near anyone (online). Going inactive makes
        them near nobody at once; coming back, :meth:`measure` finds their
        neighbours."""
        slot = self._slot[pid]
        self.active[slot] = active
        if not active:
            self._clear(slot)

    def measure(self, pids: Iterable[str]) -> None:
        """Find who is near each of ``pids`` (active, at their places), against
        everyone at once."""
        rows = np.array([self._slot[pid] for pid in pids], dtype=np.intp)
        if not len(rows):
            return
        n = self.used
        x, y = self.x[:n], self.y[:n]
        dx = x - x[rows, None]
        dy = y - y[rows, None]
        d2 = dx * dx + dy * dy
        new = d2 <= self.radius**2
        if self.drop_radius > self.radius:
            # Only those already near stay near in the band out to the drop
            # radius.
            new |= self.near[rows, :n] & (d2 <= self.drop_radius**2)
        # Neither side inactive, and nobody is their own neighbour.
        new &= self.active[:n]
        new &= self.active[rows, None]
        new[np.arange(len(rows)), rows] = False
        # Rows and columns: when two of them are near each other, both rows
        # say so (the distance and the old matrix are symmetric).
        self.near[rows, :n] = new
        self.near[:n, rows] = new.T

    def set_neighbours(self, pid: str, near: Iterable[str]) -> None:
        """Make ``pid`` near exactly ``near`` (a graph not made of distances:
        for tools and tests)."""
        slot = self._slot[pid]
        self._clear(slot)
        others = np.array([self._slot[q] for q in near if q != pid], dtype=np.intp)
        self.near[slot, others] = True
        self.near[others, slot] = True

    # -- internals --------------------------------------------------------

    def _clear(self, slot: int) -> None:
        n = self.used
        self.near[slot, :n] = False
        self.near[:n, slot] = False

    def _grow(self, size: int) -> None:
        old = self.capacity
        self.x = np.resize(self.x, size)
        self.y = np.resize(self.y, size)
        self.x[old:] = self.y[old:] = math.nan
        active = np.zeros(size, dtype=bool)
        active[:old] = self.active
        self.active = active
        near = np.zeros((size, size), dtype=bool)
        near[:old, :old] = self.near
        self.near = near
        self.capacity = size
