"""Producers and consumers: fan encoded frames out without decoding them."""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamError

from . import aiortc_hooks

log = logging.getLogger(__name__)

#: Frames kept for a consumer that is slower than the publisher; older ones go.
CONSUMER_QUEUE = 64
#: At most one keyframe request a second reaches a publisher (per track).
KEYFRAME_INTERVAL = 1.0


class ForwardedTrack(MediaStreamTrack):
    """A track of encoded packets for one consumer; aiortc's sender only
    re-packetizes them."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(maxsize=CONSUMER_QUEUE)

    def push(self, packet: av.Packet) -> None:
        if self.readyState != "live":
            return
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(packet)

    async def recv(self) -> av.Packet:  # type: ignore[override]
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        if self.readyState == "live":
            try:
                self._queue.put_nowait(None)
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self._queue.put_nowait(None)
        super().stop()


class Consumer:
    """One member's copy of a producer's track."""

    def __init__(self, producer: Producer, participant: str) -> None:
        self.producer = producer
        self.participant = participant
        self.track = ForwardedTrack(producer.kind)
        self.sender: RTCRtpSender | None = None

    def attach(self, sender: RTCRtpSender) -> None:
        """The sender that carries this consumer's track to its member."""
        self.sender = sender
        aiortc_hooks.on_keyframe_request(sender, self.producer.keyframe_wanted)

    def close(self) -> None:
        self.track.stop()
        self.producer.consumers.discard(self)


class Producer:
    """One published track, received once, forwarded to every consumer."""

    def __init__(self, participant: str, receiver: RTCRtpReceiver, kind: str, source: str) -> None:
        self.participant = participant
        self.receiver = receiver
        self.kind = kind
        self.source = source
        self.consumers: set[Consumer] = set()
        self.frames = 0
        self._last_keyframe_request = -KEYFRAME_INTERVAL
        self._pending_keyframe: asyncio.Task[None] | None = None
        aiortc_hooks.capture_encoded_frames(receiver, self._on_frame)

    def _on_frame(self, codec: Any, frame: Any) -> None:
        self.frames += 1
        if not self.consumers:
            return
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = fractions.Fraction(1, codec.clockRate)
        for consumer in self.consumers:
            consumer.track.push(packet)

    def consume(self, participant: str) -> Consumer:
        """A new consumer; it gets a keyframe soon so its picture starts at once."""
        consumer = Consumer(self, participant)
        self.consumers.add(consumer)
        self.keyframe_wanted()
        return consumer

    def keyframe_wanted(self) -> None:
        """Ask the publisher for a keyframe, at most once a second."""
        if self.kind != "video":
            return
        now = time.monotonic()
        if now - self._last_keyframe_request < KEYFRAME_INTERVAL:
            return
        self._last_keyframe_request = now
        self._pending_keyframe = asyncio.ensure_future(self._request_keyframe())

    async def _request_keyframe(self) -> None:
        try:
            await aiortc_hooks.request_keyframe(self.receiver)
        except Exception:
            log.exception("sfu: keyframe request failed")

    def close(self) -> None:
        for consumer in list(self.consumers):
            consumer.close()
        if self._pending_keyframe is not None:
            self._pending_keyframe.cancel()
