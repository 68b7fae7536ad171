"""What each viewer shows of a room's videos, and what a publisher need not
encode: the server forwards only the videos a viewer shows, and tells a
publisher to stop encoding a video nobody watches.

Kept apart from :mod:`.messages` (one concept per module); that module
imports this one before it lists the message families.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .messages import ClientMessage, ServerMessage
from .records import MAX_TILES, ShownTile, TrackSource, VideoKey, limit

__all__ = ["MediaHeld", "MediaLayers", "SfuHeld", "SfuSending", "Shown"]


@dataclass
class Shown(ClientMessage):
    """The room's videos this client shows (before any ``shown``: all); it gets no others."""

    type: ClassVar[str] = "shown"
    tiles: list[ShownTile] = field(metadata=limit(max_items=MAX_TILES))
    id: int | None = None


@dataclass
class SfuSending(ServerMessage):
    """Whether to encode ``source`` on room connection ``connection`` (not while unwatched)."""

    type: ClassVar[str] = "sfu_sending"
    connection: int
    source: TrackSource
    active: bool


@dataclass
class SfuHeld(ServerMessage):
    """The transceivers of room connection ``connection`` (by mid, as
    ``sfu_tracks`` names them) whose video the server holds back from this
    client for now, because its link does not carry them (all of them; none:
    every video is sent). Voices are never held back; a video sent again
    starts at a key frame."""

    type: ClassVar[str] = "sfu_held"
    connection: int
    mids: list[str]


@dataclass
class MediaHeld(ServerMessage):
    """The videos the media socket's relay holds back from this client for
    now, because its socket does not take them fast enough (all of them;
    none: every video is sent): what ``sfu_held`` says of a room
    connection. Voices are never held back; a video sent again starts at a
    key frame."""

    type: ClassVar[str] = "media_held"
    videos: list[VideoKey] = field(metadata=limit(max_items=MAX_TILES))


@dataclass
class MediaLayers(ServerMessage):
    """Which layers (``FRAME_LAYER_*``) of a video of this kind
    (``FRAME_KIND_*``) to encode for the media socket: those someone
    watches (none: nobody watches it). Until told, a page encodes them all;
    a layer started again starts at a key frame."""

    type: ClassVar[str] = "media_layers"
    kind: int
    layers: list[int] = field(metadata=limit(max_items=2))
