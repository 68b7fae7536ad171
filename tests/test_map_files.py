"""The map as browsers draw it: served by a real Jupyter server, tilesets
inlined, tile layers decoded, images only from the map's own folder."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import tornado.httpclient

from jupyter_classroom.app import DEFAULT_MAP
from jupyter_classroom.server.mapfiles import MapFiles, decode_layer_data, served_name

from .harness.servers import server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REPO = Path(__file__).resolve().parent.parent
TILES_PNG = DEFAULT_MAP.parent / "classroom-tiles.png"
# Cells with flip flags: tile 3 flipped horizontally, tile 5 diagonally.
CELLS = [1, 2, 0, 0x80000003, 0x20000005, 4]


def make_map_folder(root: Path) -> Path:
    """A map in ``root/room`` naming good images and some it must not get."""
    folder = root / "room"
    (folder / "tiles").mkdir(parents=True)
    png = TILES_PNG.read_bytes()
    (folder / "tiles" / "ts.png").write_bytes(png)
    (folder / "tiles" / "ext.png").write_bytes(png)
    (folder / "unlisted.png").write_bytes(png)  # in the folder, named by nothing
    (folder / "notes.txt").write_text("not an image")
    (root / "outside.png").write_bytes(b"\x89PNG secret")
    (folder / "link.png").symlink_to(root / "outside.png")
    (folder / "ext.tsx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tileset version="1.10" name="ext" tilewidth="32" tileheight="32" tilecount="24" columns="8">\n'
        ' <tileoffset x="0" y="4"/>\n'
        ' <image source="tiles/ext.png" width="256" height="96"/>\n'
        "</tileset>\n"
    )
    data = json.loads(DEFAULT_MAP.read_text())
    packed = zlib.compress(b"".join(c.to_bytes(4, "little") for c in CELLS))
    data["layers"] = [
        layer
        for layer in data["layers"]
        if layer["type"] == "objectgroup" and layer["name"] in ("walls", "rooms", "spawn")
    ] + [
        {
            "id": 20,
            "name": "packed",
            "type": "tilelayer",
            "width": 3,
            "height": 2,
            "encoding": "base64",
            "compression": "zlib",
            "data": base64.b64encode(packed).decode(),
        },
        {"id": 21, "name": "picture", "type": "imagelayer", "image": "link.png"},
    ]
    data["tilesets"] = [
        {
            "firstgid": 1,
            "name": "own",
            "image": "tiles/ts.png",
            "tilewidth": 32,
            "tileheight": 32,
            "tilecount": 24,
            "columns": 8,
        },
        {"firstgid": 25, "source": "ext.tsx"},
        {
            "firstgid": 49,
            "name": "escaping",
            "image": "../outside.png",
            "tilewidth": 32,
            "tileheight": 32,
            "tilecount": 1,
            "columns": 1,
        },
        {
            "firstgid": 50,
            "name": "absolute",
            "image": "/etc/passwd",
            "tilewidth": 32,
            "tileheight": 32,
            "tilecount": 1,
            "columns": 1,
        },
        {
            "firstgid": 51,
            "name": "text",
            "image": "notes.txt",
            "tilewidth": 32,
            "tileheight": 32,
            "tilecount": 1,
            "columns": 1,
        },
    ]
    path = folder / "map.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def jp_server_config(tmp_path):
    return server_config(tmp_path, map_path=str(make_map_folder(tmp_path / "maps")))


@pytest.fixture
def fetch(http_server_client, jp_http_port, jp_base_url, jp_serverapp):
    """GET a path under the server's base URL exactly as written (no
    normalising), with the server's token unless ``token`` is None."""
    token = jp_serverapp.identity_provider.token

    async def get(
        path: str, token: str | None = token, **headers: str
    ) -> tornado.httpclient.HTTPResponse:
        if token:
            headers["Authorization"] = f"token {token}"
        return await tornado.httpclient.AsyncHTTPClient().fetch(
            f"http://localhost:{jp_http_port}{jp_base_url}{path}",
            headers=headers,
            raise_error=False,
        )

    return get


async def test_the_map_comes_with_its_tilesets_inlined_and_its_cells_decoded(fetch) -> None:
    response = await fetch("classroom/map")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    doc = json.loads(response.body)
    tilesets = {ts["name"]: ts for ts in doc["tilesets"]}
    # The external tileset is in the document, with its firstgid and its
    # image named relative to the map's folder.
    assert tilesets["ext"]["firstgid"] == 25
    assert tilesets["ext"]["image"] == "tiles/ext.png"
    assert tilesets["ext"]["tileoffset"] == {"x": 0, "y": 4}
    assert tilesets["own"]["image"] == "tiles/ts.png"
    # Images outside the folder, absolute, or not images: their tilesets are left out.
    assert set(tilesets) == {"own", "ext"}
    packed = next(layer for layer in doc["layers"] if layer["name"] == "packed")
    assert packed["data"] == CELLS
    assert "encoding" not in packed and "compression" not in packed
    # A symbolic link out of the folder is not an image of the map.
    picture = next(layer for layer in doc["layers"] if layer["name"] == "picture")
    assert "image" not in picture
    assert doc["classroomRevision"]


async def test_named_images_are_served_with_their_type(fetch) -> None:
    response = await fetch("classroom/map/files/tiles/ts.png")
    assert response.code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.body == TILES_PNG.read_bytes()
    # Unchanged: the browser keeps its copy.
    again = await fetch(
        "classroom/map/files/tiles/ts.png", **{"If-None-Match": response.headers["ETag"]}
    )
    assert again.code == 304
    doc = await fetch("classroom/map")
    assert (await fetch("classroom/map", **{"If-None-Match": doc.headers["ETag"]})).code == 304


@pytest.mark.parametrize(
    "name",
    [
        "../outside.png",
        "..%2Foutside.png",
        "%2e%2e/outside.png",
        "%2E%2E%2Foutside.png",
        "tiles/../../outside.png",
        "tiles/..%2F..%2Foutside.png",
        "tiles%5C..%5C..%5Coutside.png",
        "./tiles/ts.png",
        "tiles//ts.png",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "link.png",
        "unlisted.png",
        "notes.txt",
        "map.json",
        "ext.tsx",
        "tiles/ts.png%00.txt",
    ],
)
async def test_anything_else_is_refused(fetch, name: str) -> None:
    response = await fetch(f"classroom/map/files/{name}")
    assert response.code == 404, response.body[:200]
    assert b"secret" not in response.body


async def test_without_a_login_nothing_is_served(fetch) -> None:
    assert (await fetch("classroom/map", token=None)).code == 403
    assert (await fetch("classroom/map/files/tiles/ts.png", token=None)).code == 403


def test_served_names_are_plain_relative_paths() -> None:
    assert served_name("tiles/ts.png") == "tiles/ts.png"
    for bad in (
        "",
        "..",
        "../a.png",
        "a/../../b.png",
        "/a.png",
        "a\\b.png",
        "./a.png",
        "a//b.png",
        "a\0.png",
    ):
        assert served_name(bad) is None, bad


def test_layer_data_in_every_tiled_encoding() -> None:
    raw = b"".join(c.to_bytes(4, "little") for c in CELLS)
    assert decode_layer_data({"data": CELLS}) == CELLS
    assert (
        decode_layer_data({"data": base64.b64encode(raw).decode(), "encoding": "base64"}) == CELLS
    )
    import gzip

    gz = base64.b64encode(gzip.compress(raw)).decode()
    assert decode_layer_data({"data": gz, "encoding": "base64", "compression": "gzip"}) == CELLS
    # What cannot be read is None (the layer is left undrawn), not an error.
    assert decode_layer_data({"data": "!!", "encoding": "base64", "compression": "zlib"}) is None
    assert decode_layer_data({"data": "AAAA", "encoding": "base64", "compression": "zstd"}) is None
    assert decode_layer_data({"data": [1, -1]}) is None
    assert decode_layer_data({"data": "1,2,3", "encoding": "csv"}) is None


def test_the_packaged_map_is_drawn_with_the_projects_tileset() -> None:
    files = MapFiles(DEFAULT_MAP)
    assert set(files.images) == {"classroom-tiles.png"}
    assert files.images["classroom-tiles.png"].content_type == "image/png"
    (tileset,) = files.document["tilesets"]
    used = {
        gid
        for layer in files.document["layers"]
        if layer["type"] == "tilelayer"
        for gid in layer["data"]
        if gid
    }
    assert used and max(used) < tileset["firstgid"] + tileset["tilecount"]


def test_the_tileset_and_the_default_maps_tiles_are_what_the_script_makes() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_tileset.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
