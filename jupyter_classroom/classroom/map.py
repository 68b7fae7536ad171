"""The classroom map: size, walls, rooms and the spawn area, read from Tiled JSON."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import protocol

ROOM_KINDS = ("table", "stage", "room")
_ROOM_KINDS: dict[str, protocol.RoomKind] = {"table": "table", "stage": "stage", "room": "room"}
#: Distance between spawn spots, in avatar radii (a little more than two, so
#: people who just arrived do not touch).
SPAWN_SPACING = 2.5
#: How many spots out from the middle of the spawn area people may appear.
SPAWN_REACH = 14


#: How far derived seats sit inside a table's outline (two default avatar
#: radii: a person on the seat stays inside the table's area).
SEAT_INSET = 32.0
#: Distance between derived seats along the table (an avatar and a gap,
#: enough that two seats either side of a corner stay an avatar apart).
SEAT_SPACING = 48.0


class MapError(ValueError):
    """A map that cannot be used; the message says what is wrong."""


Point = tuple[float, float]


def in_polygon(polygon: Sequence[Point], x: float, y: float) -> bool:
    """Even-odd point-in-polygon test."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def derive_seats(polygon: Sequence[Point], capacity: int | None) -> tuple[Point, ...]:
    """Seats around a table with no seats listed: evenly along its outline,
    ``SEAT_INSET`` inside it, as many as its capacity (or as fit
    ``SEAT_SPACING`` apart). Deterministic; points that fall outside a
    concave outline are left out."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    # The outline pulled towards its middle, by the inset on each side of
    # its box: where chairs stand.
    hx, hy = (max(xs) - min(xs)) / 2, (max(ys) - min(ys)) / 2
    kx = max(0.0, hx - SEAT_INSET) / hx if hx else 0.0
    ky = max(0.0, hy - SEAT_INSET) / hy if hy else 0.0
    ring = [(cx + (x - cx) * kx, cy + (y - cy) * ky) for x, y in polygon]
    edges = [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]
    lengths = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in edges]
    perimeter = sum(lengths)
    if perimeter <= 0:
        return ()
    fit = int(perimeter // SEAT_SPACING)
    count = min(capacity, fit) if capacity is not None else fit
    seats: list[Point] = []
    for n in range(count):
        # Half a step in, so a rectangle's seats do not sit on its corners.
        at = (n + 0.5) * perimeter / count
        for (a, b), length in zip(edges, lengths, strict=True):
            if at <= length and length > 0:
                t = at / length
                x, y = round(a[0] + (b[0] - a[0]) * t, 1), round(a[1] + (b[1] - a[1]) * t, 1)
                if in_polygon(polygon, x, y):
                    seats.append((x, y))
                break
            at -= length
    return tuple(seats)


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    kind: protocol.RoomKind
    polygon: tuple[tuple[float, float], ...]
    capacity: int | None = None
    #: Where people sit (tables only): listed on the map's ``seats`` layer
    #: or derived from the table's shape.
    seats: tuple[tuple[float, float], ...] = ()

    def contains(self, x: float, y: float) -> bool:
        return in_polygon(self.polygon, x, y)

    def centre(self) -> tuple[float, float]:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2

    def info(self) -> protocol.RoomInfo:
        return protocol.RoomInfo(
            id=self.id,
            name=self.name,
            kind=self.kind,
            polygon=list(self.polygon),
            capacity=self.capacity,
            seats=list(self.seats) if self.seats else None,
        )


def _props(obj: dict[str, Any]) -> dict[str, Any]:
    props = obj.get("properties") or []
    if isinstance(props, dict):  # Tiled < 1.2 wrote a plain object
        return props
    return {
        p["name"]: p.get("value")
        for p in props
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _number(obj: dict[str, Any], key: str, where: str) -> float:
    value = obj.get(key, 0)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise MapError(f"{where}: {key} must be a number")
    return float(value)


def _rect(obj: dict[str, Any], where: str) -> protocol.Rect:
    if "polygon" in obj or "ellipse" in obj or "polyline" in obj:
        raise MapError(f"{where} must be a rectangle")
    r = protocol.Rect(
        x=_number(obj, "x", where),
        y=_number(obj, "y", where),
        width=_number(obj, "width", where),
        height=_number(obj, "height", where),
    )
    if r.width <= 0 or r.height <= 0:
        raise MapError(f"{where} has no area (width and height must be positive)")
    return r


def _seated(rooms: list[Room], layer: dict[str, Any] | None) -> list[Room]:
    """The tables with their seats: the points of the ``seats`` layer in
    each table (in the layer's order), or, for a table with none there,
    seats derived from its shape."""
    listed: dict[str, list[tuple[float, float]]] = {}
    for i, o in enumerate((layer or {}).get("objects", [])):
        where = f"seat #{o.get('id', i)}"
        x, y = _number(o, "x", where), _number(o, "y", where)
        if not o.get("point"):
            # A rectangle or tile: its middle (Tiled anchors tiles at the bottom).
            x += _number(o, "width", where) / 2
            y += _number(o, "height", where) / 2 * (-1 if "gid" in o else 1)
        table = next((r for r in rooms if r.kind == "table" and r.contains(x, y)), None)
        if table is None:
            raise MapError(f"{where} is not on a table")
        listed.setdefault(table.id, []).append((x, y))
    return [
        dataclasses.replace(
            r, seats=tuple(listed.get(r.id) or derive_seats(r.polygon, r.capacity))
        )
        if r.kind == "table"
        else r
        for r in rooms
    ]


class ClassroomMap:
    """Walls, rooms and the spawn area of one classroom, in map pixels."""

    def __init__(
        self,
        name: str,
        width: float,
        height: float,
        walls: list[protocol.Rect],
        rooms: list[Room],
        spawn: protocol.Rect,
    ) -> None:
        self.name = name
        self.width = width
        self.height = height
        self.walls = walls
        self.rooms = rooms
        self.spawn = spawn
        self.rooms_by_id = {r.id: r for r in rooms}
        # Spawn spots by avatar radius, and whether each may be used: both
        # depend on the map alone, so they are worked out once.
        self._lattices: dict[float, list[tuple[int, int, float, float]]] = {}
        self._spot_ok: dict[tuple[float, float, float], bool] = {}

    @classmethod
    def from_tiled(cls, data: Any) -> ClassroomMap:
        """Read a Tiled JSON map with object layers ``walls``, ``rooms`` and ``spawn``."""
        if not isinstance(data, dict):
            raise MapError("a map must be a JSON object (a Tiled map)")
        if data.get("orientation", "orthogonal") != "orthogonal":
            raise MapError("only orthogonal Tiled maps are supported")
        try:
            width = float(data["width"]) * float(data["tilewidth"])
            height = float(data["height"]) * float(data["tileheight"])
        except (KeyError, TypeError, ValueError):
            raise MapError("the map needs width, height, tilewidth and tileheight") from None
        if width <= 0 or height <= 0:
            raise MapError("the map has no area")
        layers = {
            layer.get("name"): layer
            for layer in data.get("layers", [])
            if isinstance(layer, dict) and layer.get("type") == "objectgroup"
        }
        for needed in ("walls", "rooms", "spawn"):
            if needed not in layers:
                raise MapError(f"the map has no object layer named {needed!r}")

        walls = [
            _rect(o, f"wall #{o.get('id', i)}")
            for i, o in enumerate(layers["walls"].get("objects", []))
        ]
        rooms: list[Room] = []
        for i, o in enumerate(layers["rooms"].get("objects", [])):
            where = f"room {o.get('name') or '#' + str(o.get('id', i))}"
            name = str(o.get("name") or "").strip()
            if not name:
                raise MapError(f"{where} has no name")
            given = o.get("type") or o.get("class") or "room"
            kind = _ROOM_KINDS.get(given) if isinstance(given, str) else None
            if kind is None:
                raise MapError(
                    f"{where}: type must be one of {', '.join(ROOM_KINDS)}, not {given!r}"
                )
            props = _props(o)
            room_id = str(props.get("id") or _slug(name))
            capacity = props.get("capacity")
            if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
                raise MapError(f"{where}: capacity must be a positive whole number")
            x, y = _number(o, "x", where), _number(o, "y", where)
            if "polygon" in o:
                try:
                    polygon = tuple((x + float(p["x"]), y + float(p["y"])) for p in o["polygon"])
                except (KeyError, TypeError, ValueError):
                    raise MapError(f"{where}: polygon points need x and y") from None
                if len(polygon) < 3:
                    raise MapError(f"{where}: a polygon needs at least three points")
            else:
                r = _rect(o, where)
                polygon = (
                    (r.x, r.y),
                    (r.x + r.width, r.y),
                    (r.x + r.width, r.y + r.height),
                    (r.x, r.y + r.height),
                )
            if any(r.id == room_id for r in rooms):
                raise MapError(f"two rooms have the id {room_id!r}")
            rooms.append(Room(room_id, name, kind, polygon, capacity))
        rooms = _seated(rooms, layers.get("seats"))

        spawns = layers["spawn"].get("objects", [])
        if len(spawns) != 1:
            raise MapError("the spawn layer must hold exactly one rectangle")
        spawn = _rect(spawns[0], "the spawn area")
        name = str(_props(data).get("name") or "Classroom")
        cmap = cls(name, width, height, walls, rooms, spawn)
        if not cmap._spawn_has_room(16.0):
            raise MapError("the spawn area has no free spot (it is covered by walls or too small)")
        return cmap

    def info(self) -> protocol.MapInfo:
        return protocol.MapInfo(
            name=self.name,
            width=self.width,
            height=self.height,
            walls=list(self.walls),
            rooms=[r.info() for r in self.rooms],
            spawn=self.spawn,
        )

    def room_at(self, x: float, y: float) -> Room | None:
        for room in self.rooms:
            if room.contains(x, y):
                return room
        return None

    def blocked(self, x: float, y: float, radius: float) -> bool:
        """Whether a circle at (x, y) leaves the map or overlaps a wall."""
        return self._blocked_by(x, y, radius, self.walls)

    def _blocked_by(
        self, x: float, y: float, radius: float, walls: Iterable[protocol.Rect]
    ) -> bool:
        if x - radius < 0 or y - radius < 0 or x + radius > self.width or y + radius > self.height:
            return True
        r2 = radius * radius
        for w in walls:
            nx = min(max(x, w.x), w.x + w.width)
            ny = min(max(y, w.y), w.y + w.height)
            if (x - nx) ** 2 + (y - ny) ** 2 < r2:
                return True
        return False

    def path_clear(self, x0: float, y0: float, x1: float, y1: float, radius: float) -> bool:
        """Whether the circle can move in a straight line without touching a wall."""
        length = math.hypot(x1 - x0, y1 - y0)
        steps = max(1, math.ceil(length / max(radius / 2, 1.0)))
        # Only the walls that reach the path's box, grown by the radius, can
        # touch the circle on its way (on the open floor: none).
        left, right = min(x0, x1) - radius, max(x0, x1) + radius
        top, bottom = min(y0, y1) - radius, max(y0, y1) + radius
        walls = [
            w
            for w in self.walls
            if w.x <= right and w.x + w.width >= left and w.y <= bottom and w.y + w.height >= top
        ]
        for i in range(1, steps + 1):
            t = i / steps
            if self._blocked_by(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius, walls):
                return False
        return True

    def spawn_point(
        self, radius: float, occupied: Iterable[tuple[float, float]] = ()
    ) -> tuple[float, float]:
        """Where the next person appears, given where the others stand.

        Spots lie on a lattice ``SPAWN_SPACING`` radii apart around the middle
        of the spawn area; the first free one wins, spots inside the spawn
        area first, then the nearest outside it (never in a room, never across
        a wall from the spawn area), so a class arriving together spreads out
        from the door instead of piling up. A spot is free when nobody stands
        within ``SPAWN_SPACING * 0.9`` radii of it. Deterministic: the same
        people in the same places give the same spot.
        """
        spacing = SPAWN_SPACING * radius
        near = spacing * 0.9
        cx, cy = self._spawn_origin(radius)
        # The others by lattice cell, so each candidate looks at nine cells.
        cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for x, y in occupied:
            cells.setdefault((round((x - cx) / spacing), round((y - cy) / spacing)), []).append(
                (x, y)
            )
        near2 = near * near
        for i, j, x, y in self._spawn_lattice(radius):
            crowded = any(
                (x - ox) ** 2 + (y - oy) ** 2 < near2
                for di in (-1, 0, 1)
                for dj in (-1, 0, 1)
                for ox, oy in cells.get((i + di, j + dj), ())
            )
            if not crowded and self._spawn_spot_ok(radius, x, y):
                return x, y
        return cx, cy  # everywhere near the door is taken: stand with the others

    def _spawn_origin(self, radius: float) -> tuple[float, float]:
        """The middle of the spawn area, or its first free spot if the middle is
        blocked (a map is refused when it has none)."""
        s = self.spawn
        cx, cy = s.x + s.width / 2, s.y + s.height / 2
        if not self.blocked(cx, cy, radius):
            return cx, cy
        for y in range(math.ceil(s.y), math.floor(s.y + s.height) + 1):
            for x in range(math.ceil(s.x), math.floor(s.x + s.width) + 1):
                if not self.blocked(x, y, radius):
                    return float(x), float(y)
        return cx, cy

    def _spawn_lattice(self, radius: float) -> list[tuple[int, int, float, float]]:
        """Candidate spots (lattice indices and position), best first."""
        cached = self._lattices.get(radius)
        if cached is not None:
            return cached
        s = self.spawn
        spacing = SPAWN_SPACING * radius
        cx, cy = self._spawn_origin(radius)
        reach = SPAWN_REACH
        spots = []
        for j in range(-reach, reach + 1):
            for i in range(-reach, reach + 1):
                x, y = cx + i * spacing, cy + j * spacing
                if not (
                    radius <= x <= self.width - radius and radius <= y <= self.height - radius
                ):
                    continue
                inside = s.x <= x <= s.x + s.width and s.y <= y <= s.y + s.height
                spots.append(((not inside, i * i + j * j, j, i), (i, j, x, y)))
        spots.sort()
        lattice = [spot for _, spot in spots]
        self._lattices[radius] = lattice
        return lattice

    def _spawn_spot_ok(self, radius: float, x: float, y: float) -> bool:
        """Whether someone may appear at (x, y): free of walls, outside every
        room, and in sight of the spawn area's middle (not behind a wall)."""
        key = (radius, x, y)
        ok = self._spot_ok.get(key)
        if ok is None:
            cx, cy = self._spawn_origin(radius)
            ok = (
                not self.blocked(x, y, radius)
                and self.room_at(x, y) is None
                and self.path_clear(cx, cy, x, y, radius)
            )
            self._spot_ok[key] = ok
        return ok

    def _spawn_has_room(self, radius: float) -> bool:
        x, y = self.spawn_point(radius)
        s = self.spawn
        inside = s.x <= x <= s.x + s.width and s.y <= y <= s.y + s.height
        return inside and not self.blocked(x, y, radius)
