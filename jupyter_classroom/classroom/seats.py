"""The chairs of a table, and who sits on them.

A table's seats come from the map (points on a ``seats`` layer) or, when a
map lists none for a table, from the table's shape
(:func:`.map.derive_seats`).
Whoever walks onto a table is put on the free seat nearest where they
stepped in, so that three people at a table stand apart rather than in one
heap; walking on from the seat frees it. Pure rules over plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .map import ClassroomMap, Room
    from .participant import Participant

Point = tuple[float, float]

#: Seconds after being seated during which steps within the same table are
#: taken as sent before the browser heard of the seat (a round trip and
#: more): the seat stands, and the mover is told so again.
SEAT_SETTLE = 0.5


def settling(p: Participant, room_id: str | None, now: float) -> bool:
    """Whether a step of ``p`` to ``room_id`` was sent before their browser
    heard they were seated: one within the same table, just after."""
    return (
        p.seated_from is not None
        and p.seat is not None
        and room_id == p.seat[0]
        and now - p.moved_at < SEAT_SETTLE
    )


class Seating:
    """Who sits on which seat of which table (every table of one map)."""

    def __init__(self, cmap: ClassroomMap, radius: float) -> None:
        # Seats a wall blocks for this avatar size are not offered.
        self.seats: dict[str, tuple[Point, ...]] = {
            r.id: tuple(s for s in r.seats if not cmap.blocked(s[0], s[1], radius))
            for r in cmap.rooms
            if r.kind == "table"
        }
        self._sitting: dict[str, dict[int, str]] = {room: {} for room in self.seats}

    def free(self, room_id: str) -> list[int]:
        """The free seats of a table, in the map's order."""
        held = self._sitting.get(room_id, {})
        return [i for i in range(len(self.seats.get(room_id, ()))) if i not in held]

    def nearest_free(self, room_id: str, x: float, y: float) -> int | None:
        """The free seat of a table nearest (x, y) (the first listed on a tie),
        or None when every seat is taken or the room has none."""
        seats = self.seats.get(room_id, ())
        free = self.free(room_id)
        if not free:
            return None
        return min(free, key=lambda i: (seats[i][0] - x) ** 2 + (seats[i][1] - y) ** 2)

    def at(self, room_id: str, x: float, y: float) -> int | None:
        """The free seat exactly at (x, y), if any."""
        for i in self.free(room_id):
            sx, sy = self.seats[room_id][i]
            if abs(sx - x) < 0.05 and abs(sy - y) < 0.05:
                return i
        return None

    def take(self, p: Participant, room_id: str, seat: int) -> Point:
        """Sit ``p`` on a free ``seat`` (leaving theirs); where it is."""
        self.stand(p)
        self._sitting[room_id][seat] = p.id
        p.seat = (room_id, seat)
        return self.seats[room_id][seat]

    def stand(self, p: Participant) -> None:
        """``p`` leaves their seat, if they have one."""
        if p.seat is not None:
            room_id, seat = p.seat
            if self._sitting.get(room_id, {}).get(seat) == p.id:
                del self._sitting[room_id][seat]
            p.seat = None

    def sit_near(self, p: Participant, room: Room | None, x: float, y: float) -> Point | None:
        """``p`` stepped into ``room`` at (x, y): they take the free seat
        nearest there when it is a table with one (its position), else they
        stand where they are (None)."""
        self.stand(p)
        if room is None or room.kind != "table":
            return None
        seat = self.nearest_free(room.id, x, y)
        return None if seat is None else self.take(p, room.id, seat)

    def walked(self, p: Participant, room: Room | None, entered: bool) -> bool:
        """``p`` walked to where they stand now, in ``room`` (``entered``: a
        room other than theirs before). Walking on leaves their seat; stepping
        onto a table puts them on its free seat nearest the step, if it has
        one: then whether they were seated (moved there; the caller tells
        them)."""
        p.seated_from = None
        if not entered:
            self.stand(p)
            return False
        stepped = (p.x, p.y)
        seat = self.sit_near(p, room, p.x, p.y)
        if seat is None:
            return False
        p.x, p.y, p.seated_from = seat[0], seat[1], stepped
        return True

    def sit_at(self, p: Participant, room: Room | None, x: float, y: float) -> None:
        """``p`` was put at (x, y): on the seat there if it is one and free."""
        self.stand(p)
        if room is not None and room.kind == "table":
            seat = self.at(room.id, x, y)
            if seat is not None:
                self.take(p, room.id, seat)
