"""The server's map rules against the shared vectors in tests/vectors/map_rules.json.

The browser predicts the same rules (labextension/src/model/geometry.ts and
rooms.ts) and its unit tests read the same file, so the two cannot drift apart
without one of the suites failing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import (
    Classroom,
    ClassroomError,
    ClassroomMap,
    ClassroomSettings,
    Room,
)
from jupyter_classroom.protocol import ErrorCode

from .conftest import MAP_FILE, person

VECTORS = json.loads((Path(__file__).parent / "vectors" / "map_rules.json").read_text())


def build(name: str) -> ClassroomMap:
    m = VECTORS["maps"][name]
    return ClassroomMap(
        m["name"],
        m["width"],
        m["height"],
        [protocol.Rect(**w) for w in m["walls"]],
        [
            Room(
                r["id"],
                r["name"],
                r["kind"],
                tuple((float(x), float(y)) for x, y in r["polygon"]),
                r["capacity"],
                tuple((float(x), float(y)) for x, y in r.get("seats", [])),
            )
            for r in m["rooms"]
        ],
        protocol.Rect(**m["spawn"]),
    )


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [f"{c['map']}-{c.get('point', c.get('from'))}-{c.get('why', '')}"[:80] for c in cases]


def test_the_default_vector_map_is_the_packaged_map() -> None:
    packaged = ClassroomMap.from_tiled(json.loads(MAP_FILE.read_text())).info()
    vector = build("default").info()
    assert dataclasses.asdict(packaged) == dataclasses.asdict(vector)


@pytest.mark.parametrize("case", VECTORS["inside_bounds"], ids=ids(VECTORS["inside_bounds"]))
def test_inside_bounds(case: dict[str, Any]) -> None:
    cmap = build(case["map"])
    x, y = case["point"]
    settings = ClassroomSettings(avatar_radius=case["radius"])
    classroom = Classroom(cmap, settings, random.Random(1))
    p = classroom.join(person("Ada"), 0.0).participant
    assert p is not None
    # Standing on the point already, so only the bounds can refuse the move.
    p.x, p.y = x, y
    if case["inside"]:
        classroom.move(p.id, x, y, 1.0)
    else:
        with pytest.raises(ClassroomError) as e:
            classroom.move(p.id, x, y, 1.0)
        assert e.value.code == ErrorCode.OUT_OF_BOUNDS
    # Away from walls, the bounds are what blocked() sees too.
    assert cmap.blocked(x, y, case["radius"]) is (not case["inside"])


@pytest.mark.parametrize("case", VECTORS["blocked"], ids=ids(VECTORS["blocked"]))
def test_wall_hit(case: dict[str, Any]) -> None:
    x, y = case["point"]
    assert build(case["map"]).blocked(x, y, case["radius"]) is case["blocked"]


@pytest.mark.parametrize("case", VECTORS["path_clear"], ids=ids(VECTORS["path_clear"]))
def test_path_clear(case: dict[str, Any]) -> None:
    cmap = build(case["map"])
    (x0, y0), (x1, y1) = case["from"], case["to"]
    assert cmap.path_clear(x0, y0, x1, y1, case["radius"]) is case["clear"]
    # The server refuses exactly the moves whose path is not clear.
    classroom = Classroom(cmap, ClassroomSettings(avatar_radius=case["radius"]), random.Random(1))
    p = classroom.join(person("Ada"), 0.0).participant
    assert p is not None
    p.x, p.y = x0, y0
    if case["clear"]:
        classroom.move(p.id, x1, y1, 10.0)
    else:
        with pytest.raises(ClassroomError) as e:
            classroom.move(p.id, x1, y1, 10.0)
        assert e.value.code == ErrorCode.MOVE_BLOCKED


@pytest.mark.parametrize("case", VECTORS["room_at"], ids=ids(VECTORS["room_at"]))
def test_room_at(case: dict[str, Any]) -> None:
    room = build(case["map"]).room_at(*case["point"])
    assert (room.id if room else None) == case["room"]


@pytest.mark.parametrize("case", VECTORS["room_full"], ids=ids(VECTORS["room_full"]))
def test_room_full(case: dict[str, Any]) -> None:
    settings = ClassroomSettings(room_capacities=case.get("capacities", {}))
    classroom = Classroom(build(case["map"]), settings, random.Random(1))
    if "sent_capacity" in case:
        # What browsers are told, which their prediction goes by.
        sent = {r.id: r.capacity for r in classroom.map_info().rooms}
        assert all(sent[room] == case["sent_capacity"] for room in case["capacities"])
    for i, other in enumerate(case["others"]):
        q = classroom.join(person(f"Other{i}", other.get("role", "student")), 0.0).participant
        assert q is not None
        q.room = other["room"]
    mover = case["mover"]
    p = classroom.join(person("Mover", mover["role"]), 0.0).participant
    assert p is not None
    p.x, p.y = case["from"]
    p.room = mover["room"]
    x, y = case["point"]
    if case["full"] is None:
        classroom.move(p.id, x, y, 10.0)
        room = classroom.map.room_at(x, y)
        assert p.room == (room.id if room else None)
    else:
        with pytest.raises(ClassroomError) as e:
            classroom.move(p.id, x, y, 10.0)
        assert e.value.code == ErrorCode.ROOM_FULL
        assert classroom.map.rooms_by_id[case["full"]].name in e.value.message


@pytest.mark.parametrize(
    "case", VECTORS["spawn"], ids=[f"{c['map']}-r{c['radius']}" for c in VECTORS["spawn"]]
)
def test_spawn_in_free_space(case: dict[str, Any]) -> None:
    cmap = build(case["map"])
    r = case["radius"]
    s = cmap.spawn
    # The first to arrive appears in the spawn area, on a free spot if it has one.
    x, y = cmap.spawn_point(r)
    assert s.x <= x <= s.x + s.width and s.y <= y <= s.y + s.height
    assert (not cmap.blocked(x, y, r)) is case["free"]
    # Those after them stand clear of walls and, while the floor near the
    # spawn area has room (at least five people on these maps), of each other.
    if case["free"]:
        placed = [(x, y)]
        for _ in range(40):
            q = cmap.spawn_point(r, placed)
            assert not cmap.blocked(*q, r)
            if any(math.dist(q, other) < 2 * r for other in placed):
                break
            placed.append(q)
        assert len(placed) >= 5
