"""The spatial grid behind proximity."""

from __future__ import annotations

import math
import random

import pytest

from jupyter_classroom.classroom.grid import SpatialGrid


def test_near_finds_everyone_within_the_cell_size() -> None:
    rng = random.Random(3)
    grid = SpatialGrid(100.0)
    at = {f"p{i}": (rng.uniform(-50, 800), rng.uniform(-50, 600)) for i in range(300)}
    for pid, (x, y) in at.items():
        grid.place(pid, x, y)
    for _ in range(50):
        x, y = rng.uniform(0, 800), rng.uniform(0, 600)
        found = set(grid.near(x, y))
        within = {pid for pid, (px, py) in at.items() if math.hypot(px - x, py - y) <= 100.0}
        assert within <= found
        assert len(found) < len(at)  # and it did not just return everyone


def test_moving_and_removing_keep_one_entry_and_drop_empty_cells() -> None:
    grid = SpatialGrid(50.0)
    grid.place("a", 10, 10)
    grid.place("a", 12, 12)  # same cell
    grid.place("a", 400, 400)
    assert len(grid) == 1 and set(grid.near(10, 10)) == set()
    assert set(grid.near(400, 400)) == {"a"}
    grid.remove("a")
    grid.remove("a")  # twice is fine
    assert len(grid) == 0 and "a" not in grid
    assert grid._cells == {}


def test_bad_cell_size_is_refused() -> None:
    for size in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            SpatialGrid(size)
