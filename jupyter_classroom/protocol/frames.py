"""Media over the classroom's own WebSocket: the binary frame's header.

Where UDP cannot reach the server (Binder, Kubernetes, HTTPS-only networks)
the browser encodes its microphone, camera and screen with WebCodecs and sends
the encoded chunks over a second socket of its own, ``classroom/media``; the
server forwards them to those who receive them without decoding. Every frame,
both ways, is one binary WebSocket message: this header, then the encoded
chunk (an ``EncodedAudioChunk``'s or ``EncodedVideoChunk``'s bytes).

====== ====== ===================================================================
offset  type  field
====== ====== ===================================================================
0       u8    version, :data:`FRAME_VERSION`
1       u8    kind: :data:`FRAME_KIND_AUDIO` (Opus, 20 ms), :data:`FRAME_KIND_CAMERA`
              or :data:`FRAME_KIND_SCREEN` (VP8)
2       u8    layer: :data:`FRAME_LAYER_SMALL` (about 180p; audio is always 0)
              or :data:`FRAME_LAYER_LARGE` (about 360p; a screen's one size)
3       u8    flags: :data:`FRAME_FLAG_KEY` (a key frame; every audio frame is one)
4       u32   source: the sender's ``ParticipantInfo.number`` (0 from a browser:
              the server writes the sender's)
8       u32   timestamp in microseconds, modulo 2**32 (it wraps every 71.6 min:
              receivers unwrap it)
12      u16   sequence number of the (source, kind, layer) stream, modulo 2**16,
              counted by the sender: a receiver sees from a gap that it lost one
14      u16   reserved, 0
====== ====== ===================================================================

All numbers are big-endian. The header's constants are generated into the
front end's ``protocol.ts`` with the messages (``FRAME_*``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .records import TrackSource

FRAME_VERSION = 1
FRAME_HEADER_BYTES = 16

FRAME_KIND_AUDIO = 0
FRAME_KIND_CAMERA = 1
FRAME_KIND_SCREEN = 2

FRAME_LAYER_SMALL = 0
FRAME_LAYER_LARGE = 1

FRAME_FLAG_KEY = 1

#: The largest chunk a frame may carry (a 360p VP8 key frame is ~30 kB).
FRAME_MAX_PAYLOAD_BYTES = 262144

#: Timestamps and sequence numbers wrap at these.
FRAME_TIMESTAMP_MODULO = 1 << 32
FRAME_SEQUENCE_MODULO = 1 << 16

_HEADER = struct.Struct("!BBBBIIHH")
assert _HEADER.size == FRAME_HEADER_BYTES

#: Which published track a kind of frame carries.
SOURCE_OF_KIND: dict[int, TrackSource] = {
    FRAME_KIND_AUDIO: "microphone",
    FRAME_KIND_CAMERA: "camera",
    FRAME_KIND_SCREEN: "screen_share",
}
KIND_OF_SOURCE: dict[TrackSource, int] = {v: k for k, v in SOURCE_OF_KIND.items()}


class FrameError(ValueError):
    """A frame that is not one: the reason is said to the sender."""


@dataclass(frozen=True, slots=True)
class FrameHeader:
    kind: int
    layer: int
    key: bool
    source: int
    timestamp: int
    sequence: int

    def pack(self) -> bytes:
        return _HEADER.pack(
            FRAME_VERSION,
            self.kind,
            self.layer,
            FRAME_FLAG_KEY if self.key else 0,
            self.source,
            self.timestamp % FRAME_TIMESTAMP_MODULO,
            self.sequence % FRAME_SEQUENCE_MODULO,
            0,
        )


def parse_header(frame: bytes | bytearray | memoryview) -> FrameHeader:
    """The header of ``frame``, checked; :class:`FrameError` says what is wrong."""
    if len(frame) < FRAME_HEADER_BYTES:
        raise FrameError(f"a media frame has a {FRAME_HEADER_BYTES}-byte header")
    if len(frame) - FRAME_HEADER_BYTES > FRAME_MAX_PAYLOAD_BYTES:
        raise FrameError(f"a media frame carries at most {FRAME_MAX_PAYLOAD_BYTES} bytes")
    version, kind, layer, flags, source, timestamp, sequence, _ = _HEADER.unpack_from(frame)
    if version != FRAME_VERSION:
        raise FrameError(f"media frame version {version}; this server speaks {FRAME_VERSION}")
    if kind not in SOURCE_OF_KIND:
        raise FrameError(f"no such kind of media frame: {kind}")
    if layer not in (FRAME_LAYER_SMALL, FRAME_LAYER_LARGE) or (
        kind == FRAME_KIND_AUDIO and layer != FRAME_LAYER_SMALL
    ):
        raise FrameError(f"no layer {layer} for media of kind {kind}")
    return FrameHeader(kind, layer, bool(flags & FRAME_FLAG_KEY), source, timestamp, sequence)


def restamp(frame: bytes | bytearray | memoryview, source: int) -> bytes:
    """``frame`` (its header checked already) with the sender's number written in."""
    out = bytearray(frame)
    struct.pack_into("!I", out, 4, source)
    return bytes(out)
