"""Seats at the tables: listed or derived from a table's shape, taken by whoever
walks on, freed when they walk on, used by summons and breakouts."""

from __future__ import annotations

import json
import math

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomMap, MapError
from jupyter_classroom.classroom.map import derive_seats
from jupyter_classroom.classroom.participant import Participant
from jupyter_classroom.classroom.seats import Seating
from jupyter_classroom.protocol import ErrorCode

from .conftest import MAP_FILE, person

TABLE_5 = (650.0, 680.0, 950.0, 870.0)  # its box: x 650..950, y 680..870


def arrive(c: Classroom, name: str, at: tuple[float, float], t: float = 0.0) -> Participant:
    """Someone standing on the open floor at ``at`` (tests put them there)."""
    p = c.join(person(name), t).participant
    assert p is not None
    p.x, p.y, p.room = at[0], at[1], None
    c.proximity.place(p.id, *at)
    return p


def step(c: Classroom, p: Participant, x: float, y: float, t: float) -> protocol.Position | None:
    """A move; where a correction put them, if one did."""
    effects = c.move(p.id, x, y, t)
    for o in effects.messages:
        if isinstance(o.message, protocol.Positions) and o.message.correction:
            return o.message.moves[0]
    return None


def test_the_default_map_lists_a_seat_on_each_chair(default_map: ClassroomMap) -> None:
    for room in default_map.rooms:
        if room.kind != "table":
            assert room.seats == ()
            continue
        assert len(room.seats) == room.capacity == 8
        assert all(room.contains(*s) for s in room.seats)
        assert all(not default_map.blocked(x, y, 16.0) for x, y in room.seats)
        # No two avatars on seats overlap.
        for i, a in enumerate(room.seats):
            for b in room.seats[i + 1 :]:
                assert math.dist(a, b) >= 32.0
    info = default_map.info()
    assert info.rooms[1].seats is not None and len(info.rooms[1].seats) == 8


@pytest.mark.parametrize("capacity", [None, 2, 6, 8])
def test_seats_are_derived_from_a_tables_shape(capacity: int | None) -> None:
    x0, y0, x1, y1 = TABLE_5
    polygon = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    seats = derive_seats(polygon, capacity)
    if capacity is not None:
        assert len(seats) == capacity
    else:
        assert len(seats) >= 8
    for x, y in seats:
        assert x0 + 30 <= x <= x1 - 30 and y0 + 30 <= y <= y1 - 30
    assert len(set(seats)) == len(seats)
    for i, a in enumerate(seats):
        for b in seats[i + 1 :]:
            assert math.dist(a, b) >= 32.0
    # The same table gives the same seats.
    assert derive_seats(polygon, capacity) == seats


def test_a_map_without_a_seats_layer_derives_them_and_a_stray_seat_is_refused() -> None:
    data = json.loads(MAP_FILE.read_text())
    data["layers"] = [layer for layer in data["layers"] if layer["name"] != "seats"]
    cmap = ClassroomMap.from_tiled(data)
    table = cmap.rooms_by_id["table-2"]
    assert len(table.seats) == 8 and all(table.contains(*s) for s in table.seats)

    data = json.loads(MAP_FILE.read_text())
    seats = next(layer for layer in data["layers"] if layer["name"] == "seats")
    seats["objects"].append({"id": 999, "point": True, "x": 20, "y": 20})
    with pytest.raises(MapError, match="seat #999 is not on a table"):
        ClassroomMap.from_tiled(data)


def test_seating_takes_the_nearest_free_seat_and_frees_it(default_map: ClassroomMap) -> None:
    seating = Seating(default_map, 16.0)
    seats = seating.seats["table-5"]
    c = Classroom(default_map)
    ann, ben = arrive(c, "Ann", (800, 900)), arrive(c, "Ben", (810, 900))
    nearest = min(range(len(seats)), key=lambda i: math.dist(seats[i], (700, 860)))
    assert seating.nearest_free("table-5", 700, 860) == nearest
    seating.take(ann, "table-5", nearest)
    assert ann.seat == ("table-5", nearest)
    # Taken: the next nearest.
    second = seating.nearest_free("table-5", 700, 860)
    assert second is not None and second != nearest
    assert math.dist(seats[second], (700, 860)) >= math.dist(seats[nearest], (700, 860))
    seating.stand(ann)
    assert ann.seat is None and seating.nearest_free("table-5", 700, 860) == nearest
    for i in range(len(seats)):
        seating.take(ben if i == 0 else arrive(c, f"P{i}", (900, 900)), "table-5", i)
    assert seating.nearest_free("table-5", 700, 860) is None
    assert seating.nearest_free("stage", 800, 100) is None


def test_three_people_walking_onto_a_table_sit_apart(classroom: Classroom) -> None:
    people = [
        arrive(classroom, n, (800 + 20 * i, 880)) for i, n in enumerate(("Ann", "Ben", "Cy"))
    ]
    seats = classroom.seating.seats["table-5"]
    spots = []
    for i, p in enumerate(people):
        moved = step(classroom, p, p.x, 860, 1.0 + i)
        assert moved is not None, "put on a seat"
        assert (moved.x, moved.y) == (p.x, p.y) and (p.x, p.y) in seats
        assert p.room == "table-5" and p.seat is not None
        spots.append((p.x, p.y))
    assert len(set(spots)) == 3
    for i, a in enumerate(spots):
        for b in spots[i + 1 :]:
            assert math.dist(a, b) >= 2 * classroom.settings.avatar_radius


def test_walking_on_leaves_the_seat_and_stale_moves_are_dropped(classroom: Classroom) -> None:
    ann = arrive(classroom, "Ann", (800, 880))
    step(classroom, ann, 800, 860, 1.0)
    seat = ann.seat
    sat = (ann.x, ann.y)
    assert seat is not None
    # A step sent before she heard of her seat: she stays seated, and is told
    # again where (her page may have stopped walking meanwhile).
    again = step(classroom, ann, 800, 840, 1.1)
    assert again is not None and (again.x, again.y) == sat
    assert (ann.x, ann.y) == sat and ann.seat == seat
    # She walks on from the seat: the seat is free again.
    step(classroom, ann, sat[0], sat[1] + 10, 1.6)
    assert ann.seat is None and ann.room == "table-5"
    assert classroom.seating.nearest_free("table-5", *sat) == seat[1]
    # A far jump from the seat that she could not have sent from either
    # place is still refused.
    with pytest.raises(protocol.ProtocolError) as e:
        classroom.move(ann.id, 800, 100, 1.6)
    assert e.value.code == ErrorCode.MOVE_BLOCKED


def test_leaving_the_table_or_the_classroom_frees_the_seat(classroom: Classroom) -> None:
    ann = arrive(classroom, "Ann", (800, 880))
    step(classroom, ann, 800, 860, 1.0)
    assert ann.seat is not None
    step(classroom, ann, ann.x, 880, 2.0)  # back to the floor, off the seat
    assert ann.room is None and ann.seat is None
    step(classroom, ann, 800, 860, 3.0)
    taken = ann.seat
    assert taken is not None
    classroom.leave(ann.id)
    assert taken[1] in classroom.seating.free("table-5")


def test_a_full_table_still_refuses_before_any_seat(classroom: Classroom) -> None:
    classroom.settings.room_capacities = {"table-5": 1}
    ann, ben = arrive(classroom, "Ann", (800, 880)), arrive(classroom, "Ben", (840, 880))
    step(classroom, ann, 800, 860, 1.0)
    with pytest.raises(protocol.ProtocolError) as e:
        classroom.move(ben.id, 840, 860, 2.0)
    assert e.value.code == ErrorCode.ROOM_FULL
    assert ben.seat is None and ben.room is None


def test_breakouts_and_summons_put_people_on_seats(classroom: Classroom) -> None:
    prof = classroom.join(person("Prof", "instructor"), 0).participant
    assert prof is not None
    students = [arrive(classroom, f"S{i}", (300 + 40 * i, 620)) for i in range(6)]
    classroom.teaching.start_breakouts(prof.id, "random", 1.0, tables=2)
    for s in students:
        assert s.room is not None and s.seat is not None and s.seat[0] == s.room
        assert (s.x, s.y) == classroom.seating.seats[s.room][s.seat[1]]
    held = [s.seat for s in students]
    assert len(set(held)) == len(held)
    classroom.teaching.end_breakouts(prof.id, 2.0)

    # Summoned next to an instructor who sits at a table: the free seats beside them.
    prof.x, prof.y, prof.room = 800, 880, None
    step(classroom, prof, 800, 860, 4.0)
    assert prof.seat is not None
    classroom.teaching.summon(prof.id, [students[0].id], "me", 5.0)
    s = students[0]
    assert s.room == "table-5" and s.seat is not None and s.seat != prof.seat
