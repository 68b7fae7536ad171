"""The map as browsers draw it: the Tiled file with its tile layers, and the
images its tilesets use, served from the map's own folder and nowhere else.

The classroom core reads only the object layers (walls, rooms, spawn). To
look the way its author drew it, a browser also needs the tile layers, the
tilesets and their images. :class:`MapFiles` reads them once, at start-up:

- external tilesets (``.tsj``/``.json``, or Tiled's XML ``.tsx``) are put
  into the map, so a browser fetches one document;
- tile layers written as base64 (plain, zlib or gzip) become plain arrays;
- every image the map names is checked: it must be a file inside the map's
  folder (after symbolic links), of an image type. Only those files are
  served, under the names the document gives them; anything else is
  refused, whatever the request's path.

Problems with the drawing (a missing image, a tileset that cannot be read)
are logged and leave that part undrawn; the classroom still works.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import posixpath
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

log = logging.getLogger(__name__)

#: The image types a map may use, by file suffix.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}

#: Beyond this an image is not served (a map's tilesets are far smaller).
MAX_IMAGE_BYTES = 32 << 20


@dataclass(frozen=True)
class MapImage:
    path: Path
    content_type: str


class MapFiles:
    """The drawable map (one JSON document) and the images it may load."""

    def __init__(self, map_path: str | Path) -> None:
        path = Path(map_path)
        self.folder = path.resolve().parent
        self.images: dict[str, MapImage] = {}
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.document = self._drawable(data)
        body = json.dumps(self.document, separators=(",", ":"), sort_keys=True)
        self.revision = hashlib.sha256(body.encode()).hexdigest()[:16]
        self.document["classroomRevision"] = self.revision
        self.body = json.dumps(self.document, separators=(",", ":")).encode()

    def image(self, name: str) -> MapImage | None:
        """The image served under ``name``, or None: only names the map gave."""
        return self.images.get(name)

    # -- building the document ------------------------------------------------

    def _drawable(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            return {}
        doc = dict(data)
        tilesets = []
        for ts in data.get("tilesets") or []:
            if not isinstance(ts, dict):
                continue
            resolved = self._tileset(ts, self.folder)
            if resolved is not None:
                tilesets.append(resolved)
        doc["tilesets"] = tilesets
        doc["layers"] = [
            self._layer(layer) for layer in data.get("layers") or [] if isinstance(layer, dict)
        ]
        return doc

    def _tileset(self, ts: dict[str, Any], base: Path) -> dict[str, Any] | None:
        firstgid = ts.get("firstgid")
        if not isinstance(firstgid, int) or firstgid < 1:
            log.warning("classroom map: a tileset without a valid firstgid is not drawn")
            return None
        if "source" in ts:
            source = self._inside(base, ts["source"])
            if source is None:
                log.warning(
                    "classroom map: tileset %r is outside the map's folder; not drawn",
                    ts["source"],
                )
                return None
            try:
                loaded = read_tileset(source)
            except (OSError, ValueError) as e:
                log.warning("classroom map: tileset %s cannot be read (%s); not drawn", source, e)
                return None
            base = source.parent
            ts = {**loaded, "firstgid": firstgid}
        out = {k: v for k, v in ts.items() if k != "source"}
        if "image" in ts:
            name = self._register(base, ts["image"])
            if name is None:
                return None
            out["image"] = name
        tiles = []
        for tile in ts.get("tiles") or []:
            if not isinstance(tile, dict):
                continue
            tile = dict(tile)
            if "image" in tile:
                name = self._register(base, tile["image"])
                if name is None:
                    continue
                tile["image"] = name
            tiles.append(tile)
        if tiles:
            out["tiles"] = tiles
        return out

    def _layer(self, layer: dict[str, Any]) -> dict[str, Any]:
        out = dict(layer)
        kind = layer.get("type")
        if kind == "tilelayer":
            cells = decode_layer_data(layer)
            if cells is None:
                log.warning(
                    "classroom map: tile layer %r cannot be read; not drawn", layer.get("name")
                )
                out["data"] = []
            else:
                out["data"] = cells
            out.pop("encoding", None)
            out.pop("compression", None)
            if "chunks" in layer:
                out["chunks"] = [
                    {**c, "data": decode_layer_data({**layer, **c}) or []}
                    for c in layer["chunks"]
                    if isinstance(c, dict)
                ]
        elif kind == "group":
            out["layers"] = [
                self._layer(sub) for sub in layer.get("layers") or [] if isinstance(sub, dict)
            ]
        elif kind == "imagelayer" and layer.get("image"):
            name = self._register(self.folder, layer["image"])
            if name is None:
                out.pop("image")
            else:
                out["image"] = name
        return out

    def _inside(self, base: Path, reference: Any) -> Path | None:
        """``reference`` (relative to ``base``) as a path inside the map's folder, or None."""
        if not isinstance(reference, str) or not reference or "\0" in reference:
            return None
        if reference.startswith(("/", "\\")) or ":" in reference:
            return None  # absolute, a drive letter or a URL: not a file of the map's folder
        try:
            path = (base / reference).resolve()
        except (OSError, RuntimeError):
            return None
        if not path.is_relative_to(self.folder):
            return None
        return path

    def _register(self, base: Path, reference: Any) -> str | None:
        """Allow an image the map names; its served name, or None (logged)."""
        path = self._inside(base, reference)
        if path is None:
            log.warning(
                "classroom map: image %r is outside the map's folder; not drawn", reference
            )
            return None
        content_type = IMAGE_TYPES.get(path.suffix.lower())
        if content_type is None:
            log.warning(
                "classroom map: %s is not an image (%s); not drawn", path, ", ".join(IMAGE_TYPES)
            )
            return None
        if not path.is_file():
            log.warning("classroom map: image %s does not exist; not drawn", path)
            return None
        name = path.relative_to(self.folder).as_posix()
        self.images[name] = MapImage(path, content_type)
        return name


def read_tileset(path: Path) -> dict[str, Any]:
    """An external tileset, JSON (``.tsj``, ``.json``) or Tiled's XML (``.tsx``)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".tsx":
        return _tsx(text)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a tileset must be a JSON object")
    return data


def _tsx(text: str) -> dict[str, Any]:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise ValueError(f"not a Tiled tileset: {e}") from None
    if root.tag != "tileset":
        raise ValueError("not a Tiled tileset")

    def number(element: ElementTree.Element, key: str, default: int = 0) -> int:
        try:
            return int(element.get(key, default))
        except ValueError:
            raise ValueError(f"{key} must be a whole number") from None

    ts: dict[str, Any] = {
        "name": root.get("name", ""),
        "tilewidth": number(root, "tilewidth"),
        "tileheight": number(root, "tileheight"),
        "tilecount": number(root, "tilecount"),
        "columns": number(root, "columns"),
        "margin": number(root, "margin"),
        "spacing": number(root, "spacing"),
    }
    offset = root.find("tileoffset")
    if offset is not None:
        ts["tileoffset"] = {"x": number(offset, "x"), "y": number(offset, "y")}
    image = root.find("image")
    if image is not None:
        ts["image"] = image.get("source", "")
        ts["imagewidth"] = number(image, "width")
        ts["imageheight"] = number(image, "height")
    tiles = []
    for tile in root.findall("tile"):
        entry: dict[str, Any] = {"id": number(tile, "id")}
        tile_image = tile.find("image")
        if tile_image is not None:
            entry["image"] = tile_image.get("source", "")
            entry["imagewidth"] = number(tile_image, "width")
            entry["imageheight"] = number(tile_image, "height")
        tiles.append(entry)
    if tiles:
        ts["tiles"] = tiles
    return ts


def decode_layer_data(layer: dict[str, Any]) -> list[int] | None:
    """A tile layer's (or chunk's) cells as a list of unsigned numbers, or None."""
    data = layer.get("data")
    if isinstance(data, list):
        if all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 32 for v in data):
            return data
        return None
    if not isinstance(data, str) or layer.get("encoding") != "base64":
        return None
    try:
        raw = base64.b64decode(data, validate=False)
        compression = layer.get("compression") or ""
        if compression == "zlib":
            raw = zlib.decompress(raw)
        elif compression == "gzip":
            raw = gzip.decompress(raw)
        elif compression:
            return None  # zstd: not in the standard library
    except (ValueError, zlib.error, OSError, EOFError):
        return None
    count = len(raw) // 4
    return [int.from_bytes(raw[4 * i : 4 * i + 4], "little") for i in range(count)]


def served_name(name: str) -> str | None:
    """A request's image name in the form the map's names have, or None."""
    if not name or "\\" in name or "\0" in name:
        return None
    normal = posixpath.normpath(name)
    if normal != name or normal.startswith(("../", "/")) or normal == "..":
        return None
    return normal
