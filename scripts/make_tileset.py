"""Draw the classroom's own tileset and lay the default map's tiles with it.

    python scripts/make_tileset.py          # rewrite both files
    python scripts/make_tileset.py --check  # fail if either is out of date

Writes ``jupyter_classroom/maps/classroom-tiles.png`` (24 tiles of 32 x 32
pixels: floor, carpet, rugs, walls, a table in nine parts, chairs, a
whiteboard, plants...) and the tile layers of
``jupyter_classroom/maps/classroom.json``, with its ``seats`` layer: a
seat on each chair it lays. The map's other object layers (walls, rooms,
spawn) are left as they are: they are what the classroom's rules read; the
tiles are only what people see. The output is the same on every
run (no randomness, no dependencies beyond the standard library), so the
committed files can be checked against this script.

The tileset is part of jupyterlab-classroom and under its license
(BSD-3-Clause, see LICENSE).
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

MAPS = Path(__file__).resolve().parent.parent / "jupyter_classroom" / "maps"
PNG_PATH = MAPS / "classroom-tiles.png"
MAP_PATH = MAPS / "classroom.json"

T = 32  # tile size in pixels
COLUMNS = 8
ROWS = 3

Pixel = tuple[int, int, int, int]
Tile = list[list[Pixel]]

# Tile ids (0-based, as in the image; gids in the map are these + 1).
FLOOR, FLOOR_ALT, CARPET, RUG, WALL, PARTITION, DOORMAT, PLANT = range(8)
# 8..16: top-left, top, top-right, left, middle, right, bottom-left, bottom, bottom-right
TABLE = 8
CHAIR_UP, CHAIR_DOWN, STAGE_EDGE, DESK, BOARD, BOARD_LEFT, BOARD_RIGHT = range(17, 24)


def hexc(text: str, alpha: int = 255) -> Pixel:
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16), alpha)


def blank() -> Tile:
    return [[(0, 0, 0, 0)] * T for _ in range(T)]


def filled(colour: Pixel) -> Tile:
    return [[colour] * T for _ in range(T)]


def shade(c: Pixel, f: float) -> Pixel:
    return (min(255, round(c[0] * f)), min(255, round(c[1] * f)), min(255, round(c[2] * f)), c[3])


def rect(tile: Tile, x0: int, y0: int, x1: int, y1: int, colour: Pixel) -> None:
    for y in range(max(0, y0), min(T, y1)):
        for x in range(max(0, x0), min(T, x1)):
            tile[y][x] = colour


def disc(tile: Tile, cx: float, cy: float, r: float, colour: Pixel) -> None:
    for y in range(T):
        for x in range(T):
            if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r:
                tile[y][x] = colour


def planks(offset: int) -> Tile:
    """Light wooden floor: planks 8 px high, seams staggered, a faint grain."""
    base = hexc("#e3c9a0")
    tile = filled(base)
    for y in range(T):
        row = y // 8
        for x in range(T):
            grain = 0.97 + 0.03 * math.sin((x * 0.9 + row * 7 + offset * 3) * 0.7)
            c = shade(base, grain)
            if y % 8 == 7:
                c = hexc("#c9a878")
            elif (x + row * 11 + offset * 16) % 32 == 0:
                c = hexc("#cdae82")
            tile[y][x] = c
    return tile


def carpet() -> Tile:
    base = hexc("#8e3b46")
    tile = filled(base)
    for y in range(T):
        for x in range(T):
            if (x + y) % 8 == 0 or (x - y) % 8 == 0:
                tile[y][x] = shade(base, 1.12)
    return tile


def rug() -> Tile:
    base = hexc("#a9cbe0")
    tile = filled(base)
    for y in range(0, T, 4):
        for x in range(0, T, 4):
            tile[y + 2][x + 2] = shade(base, 0.9)
    return tile


def wall() -> Tile:
    """Grey-blue bricks seen from above."""
    mortar = hexc("#59616e")
    brick = hexc("#7d8797")
    tile = filled(brick)
    for y in range(T):
        course = y // 8
        for x in range(T):
            if y % 8 == 7 or (x + (course % 2) * 8) % 16 == 15:
                tile[y][x] = mortar
            elif y % 8 == 0:
                tile[y][x] = shade(brick, 1.12)
    return tile


def partition() -> Tile:
    """A low wall 16 px thick, 12 px below the tile's top (the default map's partitions)."""
    tile = planks(1)
    rect(tile, 0, 12, T, 28, hexc("#7d8797"))
    rect(tile, 0, 12, T, 14, hexc("#a1abba"))
    rect(tile, 0, 26, T, 28, hexc("#59616e"))
    return tile


def doormat() -> Tile:
    base = hexc("#7a6a55")
    tile = filled(base)
    for y in range(T):
        for x in range(T):
            if y % 4 < 2:
                tile[y][x] = shade(base, 1.15)
    rect(tile, 0, 0, T, 2, hexc("#4f4436"))
    rect(tile, 0, T - 2, T, T, hexc("#4f4436"))
    return tile


def plant() -> Tile:
    tile = blank()
    rect(tile, 11, 21, 21, 30, hexc("#b5651d"))
    rect(tile, 10, 20, 22, 22, hexc("#8a4b14"))
    for cx, cy, r in ((16, 12, 7), (10, 15, 5), (22, 15, 5), (16, 6, 4)):
        disc(tile, cx, cy, r, hexc("#3f8f3a"))
    for cx, cy, radius in ((14, 10, 2.5), (20, 13, 2), (9, 14, 1.5)):
        disc(tile, cx, cy, radius, hexc("#64b35b"))
    return tile


def table_part(part: int) -> Tile:
    """One of nine parts of a wooden table: 0..8 row by row."""
    col, row = part % 3, part // 3
    top = hexc("#a86f3c")
    edge = hexc("#6e4622")
    light = hexc("#c28a52")
    tile = blank()
    x0 = 4 if col == 0 else 0
    x1 = T - 4 if col == 2 else T
    y0 = 4 if row == 0 else 0
    y1 = T - 4 if row == 2 else T
    rect(tile, x0, y0, x1, y1, top)
    for y in range(y0, y1):
        for x in range(x0, x1):
            if (y * 3 + x // 5) % 9 == 0:
                tile[y][x] = shade(top, 0.93)
    if row == 0:
        rect(tile, x0, y0, x1, y0 + 2, light)
    if row == 2:
        rect(tile, x0, y1 - 3, x1, y1, edge)
    if col == 0:
        rect(tile, x0, y0, x0 + 2, y1, edge)
    if col == 2:
        rect(tile, x1 - 2, y0, x1, y1, edge)
    return tile


def chair(facing_up: bool) -> Tile:
    """A chair seen from above; its back away from the table it faces."""
    tile = blank()
    seat = hexc("#3d6f99")
    back = hexc("#28506f")
    rect(tile, 9, 9, 23, 23, seat)
    if facing_up:
        rect(tile, 8, 22, 24, 27, back)
    else:
        rect(tile, 8, 5, 24, 10, back)
    return tile


def stage_edge() -> Tile:
    tile = carpet()
    rect(tile, 0, T - 6, T, T, hexc("#5a2029"))
    rect(tile, 0, T - 6, T, T - 5, hexc("#b0525f"))
    return tile


def desk() -> Tile:
    tile = filled(hexc("#8b5a2b"))
    rect(tile, 2, 2, T - 2, T - 2, hexc("#a86f3c"))
    rect(tile, 2, 2, T - 2, 4, hexc("#c28a52"))
    return tile


def board(part: str) -> Tile:
    """A whiteboard on the wall: left end, middle, right end."""
    tile = wall()
    frame = hexc("#c7ccd4")
    rect(tile, 0, 6, T, 28, frame)
    x0 = 3 if part == "left" else 0
    x1 = T - 3 if part == "right" else T
    rect(tile, x0, 8, x1, 26, hexc("#fbfcfd"))
    if part == "middle":
        for x in range(4, 26):
            tile[14 + round(2 * math.sin(x / 3))][x] = hexc("#3566b0")
        rect(tile, 6, 20, 18, 21, hexc("#c0392b"))
    return tile


TILES: list[Callable[[], Tile]] = [
    lambda: planks(0),
    lambda: planks(1),
    carpet,
    rug,
    wall,
    partition,
    doormat,
    plant,
    *[(lambda p=p: table_part(p)) for p in range(9)],
    lambda: chair(True),
    lambda: chair(False),
    stage_edge,
    desk,
    lambda: board("middle"),
    lambda: board("left"),
    lambda: board("right"),
]
assert len(TILES) == COLUMNS * ROWS


def png(width: int, height: int, rows: list[list[Pixel]]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\0" + bytes(v for p in row for v in p) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def tileset_png() -> bytes:
    width, height = COLUMNS * T, ROWS * T
    image = [[(0, 0, 0, 0)] * width for _ in range(height)]
    for i, make in enumerate(TILES):
        tile = make()
        ox, oy = (i % COLUMNS) * T, (i // COLUMNS) * T
        for y in range(T):
            image[oy + y][ox : ox + T] = tile[y]
    return png(width, height, image)


# -- the default map's tiles ---------------------------------------------------


def cells(a: float, b: float) -> range:
    """The whole tiles between two map coordinates."""
    return range(math.ceil(a / T), math.floor(b / T))


def tile_layers(data: dict) -> list[dict]:
    """Tile layers for the default map, laid out from its object layers."""
    w, h = data["width"], data["height"]
    objects = {
        layer["name"]: layer["objects"]
        for layer in data["layers"]
        if layer["type"] == "objectgroup"
    }
    floor = [
        [1 + (FLOOR_ALT if (x * 7 + y * 3) % 5 == 0 else FLOOR) for x in range(w)]
        for y in range(h)
    ]
    rugs = [[0] * w for _ in range(h)]
    furniture = [[0] * w for _ in range(h)]
    walls = [[0] * w for _ in range(h)]
    decor = [[0] * w for _ in range(h)]

    for room in objects["rooms"]:
        cols = cells(room["x"], room["x"] + room["width"])
        rows = cells(room["y"], room["y"] + room["height"])
        if room["type"] == "stage":
            for y in rows:
                for x in cols:
                    rugs[y][x] = 1 + (STAGE_EDGE if y == rows[-1] else CARPET)
            continue
        for y in rows:
            for x in cols:
                rugs[y][x] = 1 + RUG
        # A table of 4 x 2 tiles in the middle, chairs along its long sides (see chairs).
        left = cols[0] + (len(cols) - 4) // 2
        top = rows[0] + (len(rows) - 2) // 2
        for dy, part_row in ((0, 0), (1, 2)):
            for dx in range(4):
                part_col = 0 if dx == 0 else 2 if dx == 3 else 1
                furniture[top + dy][left + dx] = 1 + TABLE + part_row * 3 + part_col
        for i, (x, y) in enumerate(chairs(room)):
            furniture[y][x] = 1 + (CHAIR_DOWN if i < 4 else CHAIR_UP)

    for wall_obj in objects["walls"]:
        x0, y0 = wall_obj["x"], wall_obj["y"]
        x1, y1 = x0 + wall_obj["width"], y0 + wall_obj["height"]
        kind = wall_kind(wall_obj)
        if kind == "partition":  # a low wall inside one row of tiles
            for x in cells(x0, x1):
                walls[math.floor(y0 / T)][x] = 1 + PARTITION
        elif kind == "wall":  # a doorway's edge inside a tile is off by a few pixels
            for y in range(math.floor(y0 / T), math.ceil(y1 / T)):
                for x in range(math.floor(x0 / T), math.ceil(x1 / T)):
                    walls[y][x] = 1 + WALL

    # A whiteboard on the wall behind the stage, plants in the corners, a
    # doormat where people arrive.
    stage = next(r for r in objects["rooms"] if r["type"] == "stage")
    board_cols = cells(
        stage["x"] + stage["width"] / 2 - 4 * T, stage["x"] + stage["width"] / 2 + 4 * T
    )
    for x in board_cols:
        decor[0][x] = 1 + (
            BOARD_LEFT if x == board_cols[0] else BOARD_RIGHT if x == board_cols[-1] else BOARD
        )
    for x, y in ((1, 1), (w - 2, 1), (1, h - 2), (w - 2, h - 2)):
        decor[y][x] = 1 + PLANT
    spawn = objects["spawn"][0]
    for y in cells(spawn["y"], spawn["y"] + spawn["height"]):
        for x in cells(spawn["x"], spawn["x"] + spawn["width"]):
            rugs[y][x] = 1 + DOORMAT

    def layer(layer_id: int, name: str, grid: list[list[int]]) -> dict:
        return {
            "id": layer_id,
            "name": name,
            "type": "tilelayer",
            "x": 0,
            "y": 0,
            "width": w,
            "height": h,
            "opacity": 1,
            "visible": True,
            "data": [v for row in grid for v in row],
        }

    return [
        layer(10, "floor", floor),
        layer(11, "rugs", rugs),
        layer(12, "furniture", furniture),
        layer(13, "wall tiles", walls),
        layer(14, "decor", decor),
    ]


def chairs(room: dict) -> list[tuple[int, int]]:
    """The cells of a table's chairs (a table of 4 x 2 tiles in the middle of
    its room, chairs along its long sides), above the table then below it."""
    cols = cells(room["x"], room["x"] + room["width"])
    rows = cells(room["y"], room["y"] + room["height"])
    left = cols[0] + (len(cols) - 4) // 2
    top = rows[0] + (len(rows) - 2) // 2
    return [(left + dx, top - 1) for dx in range(4)] + [(left + dx, top + 2) for dx in range(4)]


def seats_layer(data: dict) -> dict:
    """A seat (a point) in the middle of each chair: where people sit."""
    rooms = next(layer for layer in data["layers"] if layer["name"] == "rooms")["objects"]
    points = [
        (x * T + T // 2, y * T + T // 2)
        for room in rooms
        if room["type"] == "table"
        for x, y in chairs(room)
    ]
    return object_layer(
        16,
        "seats",
        [
            {"id": 200 + i, "name": "", "type": "", "point": True, "x": x, "y": y}
            for i, (x, y) in enumerate(points)
        ],
    )


def object_layer(layer_id: int, name: str, objects: list[dict]) -> dict:
    return {
        "id": layer_id,
        "name": name,
        "type": "objectgroup",
        "draworder": "topdown",
        "opacity": 1,
        "visible": True,
        "x": 0,
        "y": 0,
        "objects": objects,
    }


def wall_kind(wall_obj: dict) -> str:
    """How a wall of the map is drawn: small ones (the lectern) as furniture,
    thin long ones as partitions, the rest as brick walls."""
    width, height = wall_obj["width"], wall_obj["height"]
    if max(width, height) < 3 * T:
        return "furniture"
    if min(width, height) < T:
        return "partition"
    return "wall"


def furniture_objects(data: dict) -> dict:
    """The small walls (the lectern) as tile objects, exactly where they are."""
    walls = next(layer for layer in data["layers"] if layer["name"] == "walls")["objects"]
    objects = [
        {
            "id": 100 + i,
            "name": wall_obj.get("name", ""),
            "type": "",
            "gid": 1 + DESK,
            # Tile objects are anchored at their bottom-left corner.
            "x": wall_obj["x"],
            "y": wall_obj["y"] + wall_obj["height"],
            "width": wall_obj["width"],
            "height": wall_obj["height"],
            "rotation": 0,
            "visible": True,
        }
        for i, wall_obj in enumerate(w for w in walls if wall_kind(w) == "furniture")
    ]
    return object_layer(15, "furniture objects", objects)


def default_map() -> str:
    data = json.loads(MAP_PATH.read_text())
    kept = [layer for layer in data["layers"] if layer["name"] in ("walls", "rooms", "spawn")]
    data["layers"] = kept
    tiles = tile_layers(data)
    # The rule layers stay first, where they always were (tools and tests
    # that read the map find them there); the pictures are drawn in order
    # over the floor, and the rule layers are not drawn.
    data["layers"] = [*kept, seats_layer(data), *tiles, furniture_objects(data)]
    data["tilesets"] = [
        {
            "firstgid": 1,
            "name": "classroom",
            "image": PNG_PATH.name,
            "imagewidth": COLUMNS * T,
            "imageheight": ROWS * T,
            "tilewidth": T,
            "tileheight": T,
            "tilecount": COLUMNS * ROWS,
            "columns": COLUMNS,
            "margin": 0,
            "spacing": 0,
        }
    ]
    data["nextlayerid"] = 17
    # Tiled writes a layer's cells on one line; here, one line per row of tiles.
    grids = {}
    for layer in tiles:
        key = f"@cells of {layer['name']}@"
        grids[key] = layer["data"]
        layer["data"] = key
    text = json.dumps(data, indent=1)
    for key, values in grids.items():
        w = data["width"]
        rows = [", ".join(str(v) for v in values[i : i + w]) for i in range(0, len(values), w)]
        text = text.replace(
            json.dumps(key), "[\n" + ",\n".join("    " + r for r in rows) + "\n   ]"
        )
    return text + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed files are out of date"
    )
    args = parser.parse_args()
    outputs = {PNG_PATH: tileset_png(), MAP_PATH: default_map().encode()}
    if args.check:
        stale = [str(p) for p, body in outputs.items() if not p.exists() or p.read_bytes() != body]
        if stale:
            print(
                "out of date (run scripts/make_tileset.py): " + ", ".join(stale), file=sys.stderr
            )
            return 1
        return 0
    for path, body in outputs.items():
        path.write_bytes(body)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
