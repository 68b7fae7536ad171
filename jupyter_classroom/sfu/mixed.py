"""Mixed rooms: at one table, people on WebRTC and people on the media socket
hear and see each other, through the bridge (:mod:`.bridge`).

From the two plans the core gives (the rooms' plan the SFU follows, and what
each receives over the media socket) and each participant's transport, this
keeps exactly the bridges needed:

* a :class:`~.bridge.FrameTap` on each track published over WebRTC that
  someone in the same room receives over the socket: its chunks go to the
  relay as frames of the publisher's;
* a :class:`~.bridge.FrameProducer` for each track published over the socket
  that someone in the same room receives over WebRTC: the SFU forwards it
  like any other (``Sfu.set_bridged``), and its key-frame requests reach the
  publisher's page.

A tap whose publisher is not connected yet is attached when it is (see
:meth:`MixedRooms.tick`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from .. import protocol
from ..classroom import RoomMedia, TrackKey
from ..protocol.frames import (
    FRAME_KIND_AUDIO,
    FRAME_LAYER_LARGE,
    KIND_OF_SOURCE,
    SOURCE_OF_KIND,
    FrameHeader,
)
from .bridge import FrameProducer, FrameTap
from .relay import MediaRelay
from .router import Sfu

log = logging.getLogger(__name__)


class MixedRooms:
    """The bridges of one classroom's mixed rooms."""

    def __init__(
        self, sfu: Sfu, relay: MediaRelay, request_key_frame: Callable[[str, int, int], None]
    ) -> None:
        self.sfu = sfu
        self.relay = relay
        self.request_key_frame = request_key_frame
        self.taps: dict[TrackKey, FrameTap | None] = {}
        self.producers: dict[TrackKey, FrameProducer] = {}
        self._sequence: dict[TrackKey, int] = {}
        self._numbers: Mapping[str, int] = {}

    def update(
        self,
        transports: Mapping[str, protocol.Transport],
        numbers: Mapping[str, int],
        rooms: Mapping[str, RoomMedia],
        relayed: Mapping[str, frozenset[TrackKey]],
    ) -> None:
        """Follow the plans: ``rooms`` (the SFU's), ``relayed`` (the media
        socket's), with everyone's transport and number."""
        self._numbers = numbers
        tapped: set[TrackKey] = set()
        for viewer, tracks in relayed.items():
            media = rooms.get(viewer)
            if media is None:
                continue
            # Those of the rooms' plan (the open floor's relayed pairs both send frames).
            tapped.update(t for t in tracks & media.tracks if transports.get(t[0]) == "webrtc")
        produced: set[TrackKey] = set()
        for viewer, media in rooms.items():
            if transports.get(viewer) == "webrtc":
                produced.update(t for t in media.tracks if transports.get(t[0]) == "websocket")
        for key in [k for k in self.taps if k not in tapped]:
            tap = self.taps.pop(key)
            if tap is not None:
                tap.close()
        for key in tapped:
            self.taps.setdefault(key, None)
        changed = False
        for key in [k for k in self.producers if k not in produced]:
            self.producers.pop(key).close()
            changed = True
        for key in produced - self.producers.keys():
            self.producers[key] = self._producer(key)
            changed = True
        if changed:
            self.sfu.set_bridged(self.producers)
        self.tick()

    def tick(self) -> None:
        """Attach the taps whose publisher's track is there now."""
        for key, tap in self.taps.items():
            if tap is not None and not tap.closed:
                continue
            producer = self.sfu.producer(key)
            if producer is not None:
                self.taps[key] = FrameTap(producer, self._emitter(key))

    def publish(self, sender: str, header: FrameHeader, frame: bytes) -> None:
        """A frame from ``sender``'s media socket: into its bridged track, if
        someone receives that over WebRTC (the large layer of a camera)."""
        producer = self.producers.get((sender, SOURCE_OF_KIND[header.kind]))
        if producer is None:
            return
        if header.kind != FRAME_KIND_AUDIO and header.layer != FRAME_LAYER_LARGE:
            return
        producer.push(header.key, header.timestamp, frame[protocol.FRAME_HEADER_BYTES :])

    def bridged(self, key: TrackKey) -> bool:
        """Whether a track sent over the socket goes on to WebRTC viewers
        (its large layer, whatever they show: the SFU's copies are paused
        and started again without telling the bridge)."""
        return key in self.producers

    def close(self) -> None:
        for tap in self.taps.values():
            if tap is not None:
                tap.close()
        for producer in self.producers.values():
            producer.close()
        self.taps.clear()
        self.producers.clear()

    def _producer(self, key: TrackKey) -> FrameProducer:
        sender, source = key
        kind = KIND_OF_SOURCE[source]
        return FrameProducer(
            sender,
            source,
            lambda: self.request_key_frame(sender, kind, FRAME_LAYER_LARGE),
            clock=self.sfu.clock,
        )

    def _emitter(self, key: TrackKey) -> Callable[[bool, int, bytes], None]:
        sender, source = key
        kind = KIND_OF_SOURCE[source]
        layer = 0 if kind == FRAME_KIND_AUDIO else FRAME_LAYER_LARGE

        def emit(key_frame: bool, timestamp_us: int, payload: bytes) -> None:
            number = self._numbers.get(sender)
            if number is None:
                return
            sequence = self._sequence.get(key, 0)
            self._sequence[key] = sequence + 1
            header = FrameHeader(kind, layer, key_frame, number, timestamp_us, sequence)
            self.relay.forward(sender, header, header.pack() + payload)

        return emit
