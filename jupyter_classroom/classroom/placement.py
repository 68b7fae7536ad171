"""Where people may stand and where they are put.

Pure rules over the map: how far someone may walk at once, whether a spot
is inside the map and clear of walls, and the free spots an instructor's
summons or breakouts put people on. The classroom applies them
(:meth:`Classroom.move`, :meth:`Classroom.place`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from ..protocol import ErrorCode
from ..protocol import ProtocolError as ClassroomError
from .map import ClassroomMap, Room
from .participant import Participant


def walk_budget(p: Participant, now: float, rate: float, burst: float, radius: float) -> float:
    """How far ``p`` may walk at ``now``: a bucket of distance that fills at
    ``rate`` (the walking speed with its tolerance) up to ``burst`` seconds of
    walking. Checking each move against the time since the previous one
    refused honest moves that arrived back to back; the bucket accepts them
    and still refuses a jump."""
    # Rounding of positions and a first step right after joining.
    slack = 2 * radius
    cap = rate * burst + slack
    budget = slack if p.walk_budget is None else p.walk_budget
    return min(cap, budget + rate * max(0.0, now - p.moved_at))


def check_walk(
    p: Participant,
    cmap: ClassroomMap,
    x: float,
    y: float,
    now: float,
    rate: float,
    burst: float,
    radius: float,
) -> float:
    """Refuse a walk to (x, y) that leaves the map, goes farther than ``p``
    may walk now, or crosses a wall; else the distance ``p`` may still walk
    at once after it."""
    r = radius
    if not (r <= x <= cmap.width - r and r <= y <= cmap.height - r):
        raise ClassroomError(ErrorCode.OUT_OF_BOUNDS, "That position is outside the map.")
    budget = walk_budget(p, now, rate, burst, radius)
    step = math.hypot(x - p.x, y - p.y)
    if step > budget:
        raise ClassroomError(
            ErrorCode.MOVE_BLOCKED, "That is farther than you can walk in the time."
        )
    if not cmap.path_clear(p.x, p.y, x, y, r):
        raise ClassroomError(ErrorCode.MOVE_BLOCKED, "A wall is in the way.")
    return budget - step


def check_spot(cmap: ClassroomMap, x: float, y: float, radius: float) -> None:
    """Refuse a spot outside the map or in a wall."""
    r = radius
    if not (math.isfinite(x) and math.isfinite(y)) or not (
        r <= x <= cmap.width - r and r <= y <= cmap.height - r
    ):
        raise ClassroomError(ErrorCode.OUT_OF_BOUNDS, "That position is outside the map.")
    if cmap.blocked(x, y, r):
        raise ClassroomError(ErrorCode.MOVE_BLOCKED, "A wall is in the way.")


def capacity(
    cmap: ClassroomMap, room_id: str, capacities: dict[str, int], default: int | None
) -> int | None:
    """How many people may be in a room (None: no limit): the configured
    ``capacities`` by room, over the map's, over ``default``."""
    if room_id in capacities:
        # 0 means no limit, as for room_capacity: browsers read a capacity
        # of 0 as none, so a room the server kept shut would look open.
        return capacities[room_id] if capacities[room_id] > 0 else None
    room = cmap.rooms_by_id.get(room_id)
    if room is not None and room.capacity is not None:
        return room.capacity
    return default


def check_room_space(room: Room, capacity: int | None, inside: int) -> None:
    """Refuse one more person in a ``room`` with ``inside`` people in it."""
    if capacity is not None and inside >= capacity:
        people = "person" if capacity == 1 else "people"
        raise ClassroomError(
            ErrorCode.ROOM_FULL,
            f"{room.name} is full ({capacity} {people}): try another room.",
        )


class Occupied:
    """Where avatars stand, hashed by cells of one avatar's width, so that
    finding a free spot costs the same in a crowd as in an empty room."""

    def __init__(self, radius: float, people: Iterable[Participant] = ()) -> None:
        self.size = 2 * radius
        self.cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self.count = 0
        for p in people:
            self.add(p.x, p.y)

    def add(self, x: float, y: float) -> None:
        self.cells.setdefault((int(x // self.size), int(y // self.size)), []).append((x, y))
        self.count += 1

    def points(self) -> Iterator[tuple[float, float]]:
        for cell in self.cells.values():
            yield from cell

    def free(self, x: float, y: float) -> bool:
        cx, cy, d2 = int(x // self.size), int(y // self.size), self.size**2
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for tx, ty in self.cells.get((i, j), ()):
                    if (x - tx) ** 2 + (y - ty) ** 2 < d2:
                        return False
        return True


class Spots:
    """The spots people are put on, for one map."""

    def __init__(self, cmap: ClassroomMap) -> None:
        self.map = cmap
        # Walkable spots of each room (None: the spawn area), nearest its
        # centre first: the map does not change.
        self._cache: dict[str | None, list[tuple[float, float]]] = {}

    def stage(self) -> Room | None:
        return next((r for r in self.map.rooms if r.kind == "stage"), None)

    def of(self, room: Room | None, radius: float) -> list[tuple[float, float]]:
        """Walkable spots of ``room`` (None: the spawn area) an avatar apart,
        nearest its centre first; a table's seats come before its other spots."""
        key = room.id if room is not None else None
        if key in self._cache:
            return self._cache[key]
        cmap, r = self.map, radius
        if room is None:
            sp = cmap.spawn
            box = (sp.x, sp.y, sp.x + sp.width, sp.y + sp.height)
        else:
            xs = [pt[0] for pt in room.polygon]
            ys = [pt[1] for pt in room.polygon]
            box = (min(xs), min(ys), max(xs), max(ys))
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        step = 2 * r + 4
        spots = []
        y = box[1] + r + 2
        while y <= box[3] - r - 2:
            x = box[0] + r + 2
            while x <= box[2] - r - 2:
                if (room is None or room.contains(x, y)) and not cmap.blocked(x, y, r):
                    spots.append((round(x, 1), round(y, 1)))
                x += step
            y += step
        spots.sort(key=lambda s: (s[0] - cx) ** 2 + (s[1] - cy) ** 2)
        if room is not None and room.kind == "table":
            seats = [s for s in room.seats if not cmap.blocked(s[0], s[1], r)]
            spots = seats + spots
        self._cache[key] = spots
        return spots

    def in_room(self, room: Room | None, taken: Occupied, radius: float) -> tuple[float, float]:
        """A walkable spot in ``room`` (None: the spawn area) free of other
        avatars, nearest its centre; when the room is packed, a walkable spot
        shared with someone; when it has no walkable spot at all, the next
        one the spawn area gives."""
        spots = self.of(room, radius)
        for x, y in spots:
            if taken.free(x, y):
                return x, y
        if spots:
            return spots[taken.count % len(spots)]
        return self.map.spawn_point(radius, taken.points())

    def near(
        self, me: Participant, taken: Occupied, radius: float, reach: float
    ) -> tuple[float, float]:
        """A free walkable spot around ``me`` within ``reach``, in the same
        room as them (or on the open floor with them)."""
        r = radius
        room = self.map.rooms_by_id.get(me.room) if me.room else None
        if room is not None and room.kind == "table":
            # At a table: the free seats nearest them.
            seats = sorted(room.seats, key=lambda s: (s[0] - me.x) ** 2 + (s[1] - me.y) ** 2)
            for x, y in seats:
                if (x, y) != (me.x, me.y) and taken.free(x, y) and not self.map.blocked(x, y, r):
                    return x, y
        ring = 3 * r
        while ring <= reach:
            count = max(6, int(2 * math.pi * ring / (2 * r + 4)))
            for i in range(count):
                a = 2 * math.pi * i / count + math.pi / 2
                x, y = round(me.x + ring * math.cos(a), 1), round(me.y + ring * math.sin(a), 1)
                room = self.map.room_at(x, y)
                if (
                    (room.id if room else None) == me.room
                    and not self.map.blocked(x, y, r)
                    and taken.free(x, y)
                ):
                    return x, y
            ring += 2 * r + 4
        return me.x, me.y
