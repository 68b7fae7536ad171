"""A map made in Tiled, drawn as its author drew it: an external tileset
(TSX) with its image from the map's folder, flipped and rotated tiles, a
group layer with an offset, in real Chromium."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..harness.pages import joined
from ..harness.servers import REPO, JupyterProcess
from .test_map_view import MAP, pixel

T = 32
RED = (220, 30, 30, 255)
BLUE = (30, 60, 220, 255)
GREEN = (30, 180, 60, 255)
H, V, D = 0x80000000, 0x40000000, 0x20000000


def _png_writer():
    spec = importlib.util.spec_from_file_location(
        "make_tileset", REPO / "scripts" / "make_tileset.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.png


def write_map(folder: Path) -> Path:
    """10 x 6 tiles. Tile 1: red on the left, blue on the right; tile 2: green."""
    (folder / "art").mkdir(parents=True)
    rows = [[RED if x < T // 2 else BLUE for x in range(T)] + [GREEN] * T for _ in range(T)]
    (folder / "art" / "halves.png").write_bytes(_png_writer()(2 * T, T, rows))
    (folder / "halves.tsx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tileset version="1.10" name="halves" tilewidth="32" tileheight="32" tilecount="2" columns="2">\n'
        ' <image source="art/halves.png" width="64" height="32"/>\n'
        "</tileset>\n"
    )
    w, h = 10, 6
    floor = [2] * (w * h)
    floor[0 * w + 0] = 1  # as drawn: red | blue
    floor[0 * w + 2] = 1 | H  # mirrored: blue | red
    floor[0 * w + 4] = 1 | D | H  # turned 90° clockwise: red above blue
    layers = [
        {"id": 1, "name": "walls", "type": "objectgroup", "objects": []},
        {"id": 2, "name": "rooms", "type": "objectgroup", "objects": []},
        {
            "id": 3,
            "name": "spawn",
            "type": "objectgroup",
            "objects": [{"id": 1, "x": 224, "y": 128, "width": 64, "height": 32}],
        },
        {"id": 4, "name": "floor", "type": "tilelayer", "width": w, "height": h, "data": floor},
        {
            "id": 5,
            "name": "things",
            "type": "group",
            "offsetx": 16,
            "layers": [
                # Tile 1 at column 0 of row 3, drawn 16 pixels to the right by the group.
                {
                    "id": 6,
                    "name": "thing",
                    "type": "tilelayer",
                    "width": w,
                    "height": h,
                    "data": [1 if i == 3 * w else 0 for i in range(w * h)],
                },
            ],
        },
    ]
    data = {
        "type": "map",
        "orientation": "orthogonal",
        "width": w,
        "height": h,
        "tilewidth": T,
        "tileheight": T,
        "layers": layers,
        "tilesets": [{"firstgid": 1, "source": "halves.tsx"}],
    }
    path = folder / "map.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    root = tmp_path_factory.mktemp("lab")
    server = JupyterProcess(root, map_path=str(write_map(root / "mymap")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def near(colour: tuple[int, int, int], expected: tuple[int, int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(colour, expected[:3], strict=True)) < 40


def test_tiles_are_drawn_as_in_tiled(person) -> None:
    page = person()
    joined(page, 1)
    page.wait_for_selector(f'{MAP}[data-tiles="drawn"]', state="attached", timeout=20_000)
    # Tile 1 as drawn: red on its left, blue on its right.
    assert near(pixel(page, 6, 16), RED) and near(pixel(page, 26, 16), BLUE)
    # Flipped horizontally: blue on the left, red on the right.
    assert near(pixel(page, 2 * T + 6, 16), BLUE) and near(pixel(page, 2 * T + 26, 16), RED)
    # Turned 90° clockwise: red on top, blue below.
    assert near(pixel(page, 4 * T + 16, 6), RED) and near(pixel(page, 4 * T + 16, 26), BLUE)
    # The rest of the floor is tile 2.
    assert near(pixel(page, 7 * T + 16, 2 * T + 16), GREEN)
    # The group's offset moves its layer 16 pixels right: green, then red, then blue.
    assert near(pixel(page, 8, 3 * T + 16), GREEN)
    assert near(pixel(page, 16 + 6, 3 * T + 16), RED)
    assert near(pixel(page, 16 + 26, 3 * T + 16), BLUE)
