"""Reading Tiled maps: the packaged one, and the mistakes a map author makes."""

from __future__ import annotations

import copy
import json
from collections import deque

import pytest

from jupyter_classroom.classroom import ClassroomMap, MapError

from .conftest import MAP_FILE


def tiled() -> dict:
    return json.loads(MAP_FILE.read_text())


def test_default_map_has_a_stage_six_tables_and_walls(default_map: ClassroomMap) -> None:
    kinds = sorted(r.kind for r in default_map.rooms)
    assert kinds == ["stage"] + ["table"] * 6
    assert default_map.width == 1600 and default_map.height == 960
    assert len(default_map.walls) >= 4
    assert default_map.rooms_by_id["table-3"].name == "Table 3"


def test_every_room_is_reachable_from_the_spawn_area(default_map: ClassroomMap) -> None:
    cell, r = 16, 16.0
    start = default_map.spawn_point(r)
    cols, rows = int(default_map.width // cell), int(default_map.height // cell)

    def free(c: int, k: int) -> bool:
        return not default_map.blocked(c * cell + cell / 2, k * cell + cell / 2, r)

    seen = {(int(start[0] // cell), int(start[1] // cell))}
    queue = deque(seen)
    while queue:
        c, k = queue.popleft()
        for dc, dk in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            n = (c + dc, k + dk)
            if 0 <= n[0] < cols and 0 <= n[1] < rows and n not in seen and free(*n):
                seen.add(n)
                queue.append(n)
    for room in default_map.rooms:
        x, y = room.centre()
        assert (int(x // cell), int(y // cell)) in seen, f"{room.name} cannot be reached"


def test_room_at_and_polygon_rooms() -> None:
    data = tiled()
    data["layers"][1]["objects"].append(
        {
            "id": 99,
            "name": "Corner",
            "type": "room",
            "x": 40,
            "y": 300,
            "polygon": [{"x": 0, "y": 0}, {"x": 80, "y": 0}, {"x": 0, "y": 80}],
        }
    )
    cmap = ClassroomMap.from_tiled(data)
    corner = cmap.rooms_by_id["corner"]
    assert cmap.room_at(50, 310) is corner
    assert cmap.room_at(110, 370) is None  # outside the triangle's hypotenuse


def test_walls_block_circles(default_map: ClassroomMap) -> None:
    assert default_map.blocked(10, 500, 16)  # inside the left wall
    assert default_map.blocked(-5, 500, 16)  # off the map
    assert not default_map.blocked(600, 600, 16)
    lectern = next(w for w in default_map.walls if w.width == 80)
    assert not default_map.path_clear(800, lectern.y - 40, 800, lectern.y + 60, 16)
    assert default_map.path_clear(600, 300, 700, 300, 16)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["layers"].pop(0), "no object layer named 'walls'"),
        (lambda d: d["layers"][0]["objects"][0].update(polygon=[]), "must be a rectangle"),
        (lambda d: d["layers"][1]["objects"][0].update(type="kitchen"), "type must be one of"),
        (
            lambda d: d["layers"][1]["objects"][1]["properties"][0].update(value="stage"),
            "two rooms have the id 'stage'",
        ),
        (lambda d: d["layers"][2].update(objects=[]), "exactly one rectangle"),
        (
            lambda d: d["layers"][2]["objects"][0].update(x=0, y=0, width=20, height=20),
            "spawn area has no free spot",
        ),
        (lambda d: d.update(orientation="isometric"), "orthogonal"),
        (lambda d: d.pop("tilewidth"), "tilewidth"),
        (lambda d: d["layers"][1]["objects"][0].update(name=""), "has no name"),
    ],
)
def test_bad_maps_are_refused_with_a_reason(mutate, message: str) -> None:
    data = copy.deepcopy(tiled())
    mutate(data)
    with pytest.raises(MapError, match=message):
        ClassroomMap.from_tiled(data)


def test_map_info_round_trips_to_the_client(default_map: ClassroomMap) -> None:
    info = default_map.info()
    assert info.name == "Classroom"
    assert {r.id for r in info.rooms} == {"stage"} | {f"table-{i}" for i in range(1, 7)}
    assert all(len(r.polygon) == 4 for r in info.rooms)
