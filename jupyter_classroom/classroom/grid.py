"""A uniform grid over the map, so that "who is near this point" looks at a
few cells instead of at everyone.

With the cell size at least the largest radius ever asked about, everyone
within that radius of a point lies in the point's cell or one of the eight
around it. Work per query is then proportional to the people nearby, not to
the size of the classroom.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

Cell = tuple[int, int]


class SpatialGrid:
    """Ids placed at points, bucketed by square cells of side ``cell_size``."""

    def __init__(self, cell_size: float) -> None:
        if not cell_size > 0 or math.isinf(cell_size):
            raise ValueError("cell_size must be a positive number")
        self.cell_size = float(cell_size)
        self._cells: dict[Cell, set[str]] = {}
        self._cell_of: dict[str, Cell] = {}

    def __len__(self) -> int:
        return len(self._cell_of)

    def __contains__(self, item: object) -> bool:
        return item in self._cell_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._cell_of)

    def cell(self, x: float, y: float) -> Cell:
        size = self.cell_size
        return (math.floor(x / size), math.floor(y / size))

    def place(self, item: str, x: float, y: float) -> None:
        """Put ``item`` at (x, y), wherever it was before."""
        cell = self.cell(x, y)
        old = self._cell_of.get(item)
        if old == cell:
            return
        if old is not None:
            self._discard_from(old, item)
        self._cell_of[item] = cell
        self._cells.setdefault(cell, set()).add(item)

    def remove(self, item: str) -> None:
        """Forget ``item``; nothing happens if it is not here."""
        old = self._cell_of.pop(item, None)
        if old is not None:
            self._discard_from(old, item)

    def near(self, x: float, y: float) -> Iterator[str]:
        """Every item in the cell of (x, y) and the eight around it: a
        superset of those within ``cell_size`` of the point (the caller
        measures the distance)."""
        cx, cy = self.cell(x, y)
        cells = self._cells
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                bucket = cells.get((i, j))
                if bucket:
                    yield from bucket

    def _discard_from(self, cell: Cell, item: str) -> None:
        bucket = self._cells[cell]
        bucket.discard(item)
        if not bucket:
            # Empty cells go, so memory follows where people are, not where
            # they have ever been.
            del self._cells[cell]
