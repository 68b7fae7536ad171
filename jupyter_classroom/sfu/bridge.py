"""The bridge between the two media transports of a mixed room: WebCodecs
chunks over the classroom's WebSocket, and RTP over WebRTC.

Both carry the same codecs (Opus in 20 ms frames, VP8), so the bridge only
packetizes and depacketizes; it never decodes. A :class:`FrameProducer`
takes the chunks of a track published over the WebSocket and makes RTP of
them (RFC 7587 for Opus: one chunk a packet; RFC 7741 for VP8: a payload
descriptor, and a frame split into packets), which the SFU forwards to its
WebRTC subscribers like any published track. A :class:`FrameTap` reads the
packets of a track published over WebRTC and puts its chunks back together
for the WebSocket's receivers. Timestamps go from microseconds (the frames')
to the codec's RTP clock and back, each unwrapped, so either side counts on
across its own wrap; key-frame requests go to whoever can make one.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from .. import protocol
from . import rtp
from .forwarding import KEYFRAME_INTERVAL, BaseProducer, Forwarded, ntp_now

log = logging.getLogger(__name__)

#: RTP payload bytes at most (VP8 descriptor included): with the RTP header,
#: its extensions and SRTP's tag, a packet stays well under a 1280-byte path MTU.
MAX_PAYLOAD = 1200
#: A frame's clock rate by kind: Opus's is 48 kHz whatever it samples at.
CLOCK_RATES = {"audio": 48000, "video": 90000}
#: Packets a tap holds while a frame is incomplete: more than a 1 MB key
#: frame; past it, what it holds is dropped and it waits for a key frame.
MAX_PENDING_PACKETS = 1024

_VP8_DESCRIPTOR_SIZE = 4


def vp8_packetize(frame: bytes, picture_id: int, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """RTP payloads (RFC 7741) for one VP8 frame: a descriptor with a 15-bit
    PictureID before each part, S set on the first; parts of nearly equal
    size, so the last packet is not a runt."""
    room = max_payload - _VP8_DESCRIPTOR_SIZE
    count = max(1, -(-len(frame) // room))
    size, extra = divmod(len(frame), count)
    pid = 0x8000 | (picture_id & 0x7FFF)
    later = bytes((0x80, 0x80, pid >> 8, pid & 0xFF))  # X; I; M + PictureID
    first = bytes((0x90,)) + later[1:]  # and S, partition 0
    out = []
    at = 0
    for i in range(count):
        n = size + (1 if i < extra else 0)
        out.append((first if i == 0 else later) + frame[at : at + n])
        at += n
    return out


def vp8_descriptor(payload: bytes) -> tuple[int, bool] | None:
    """The size of an RTP payload's VP8 descriptor (RFC 7741) and whether
    the packet starts a frame (S set, partition 0); None if it is too short
    to hold its descriptor and a byte of frame."""
    if not payload:
        return None
    first = payload[0]
    i = 1
    if first & 0x80:  # X: extended control bits
        if len(payload) < 2:
            return None
        ext = payload[1]
        i = 2
        if ext & 0x80:  # I: PictureID, 7 or 15 bits (M)
            if len(payload) <= i:
                return None
            i += 2 if payload[i] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            i += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            i += 1
    if i >= len(payload):
        return None
    return i, bool(first & 0x10) and not first & 0x07


class FrameProducer(BaseProducer):
    """A track published over the WebSocket, as RTP for the SFU's WebRTC
    subscribers: :meth:`push` each chunk as it comes, and its consumers get
    packets as from a :class:`Producer`."""

    def __init__(
        self,
        participant: str,
        source: protocol.TrackSource,
        request_key_frame: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        first_seq: int | None = None,
        first_ts: int | None = None,
    ) -> None:
        super().__init__(participant, source, clock)
        self.request_key_frame = request_key_frame
        self.clock_rate = CLOCK_RATES[self.kind]
        # Random first numbers, as RTP wants; a test may choose them.
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16) if first_seq is None else first_seq
        self._ts_base = random.getrandbits(32) if first_ts is None else first_ts
        self._us = rtp.TimestampUnwrapper()
        self._first_us: int | None = None
        self._picture_id = random.getrandbits(15)
        #: Chunks pushed.
        self.frames = 0

    def rtp_timestamp(self, timestamp_us: int) -> int:
        """The RTP timestamp of a chunk's (32-bit) microseconds: on the codec's
        clock from the first chunk, which gets the first timestamp."""
        ext = self._us.unwrap(timestamp_us % protocol.FRAME_TIMESTAMP_MODULO)
        if self._first_us is None:
            self._first_us = ext
        # Counted from the first chunk's microseconds in whole numbers, so
        # 20 ms is exactly 960 ticks and nothing drifts over a lesson.
        ticks = (ext - self._first_us) * self.clock_rate // 1_000_000
        return (self._ts_base + ticks) & 0xFFFFFFFF

    def push(self, key: bool, timestamp_us: int, payload: bytes) -> None:
        """One chunk (an ``EncodedAudioChunk``'s or ``EncodedVideoChunk``'s
        bytes) with its key flag and timestamp (microseconds, mod 2**32)."""
        if self.closed or not payload:
            return
        now = self.clock()
        ts = self.rtp_timestamp(timestamp_us)
        self.frames += 1
        if self.kind == "audio":
            parts = [payload]
        else:
            parts = vp8_packetize(payload, self._picture_id)
            self._picture_id = (self._picture_id + 1) & 0x7FFF
        last = len(parts) - 1
        # What a receiver syncs voice and picture by: this chunk is now.
        self.sender_report = (ntp_now(), ts)
        for i, part in enumerate(parts):
            self.packets += 1
            forwarded = Forwarded(
                seq=self._seq,
                ts=ts,
                marker=1 if i == last and self.kind == "video" else 0,
                payload=part,
                padding=0,
                keyframe=key and i == 0 and self.kind == "video",
                level=None,
            )
            self._seq += 1
            self._deliver(forwarded, now)

    def _request_keyframe(self) -> None:
        try:
            self.request_key_frame()
        except Exception:
            log.exception("sfu: asking %s's %s for a key frame failed", *self.key)


class FrameTap:
    """Chunks out of a track published over WebRTC: ``emit(key,
    timestamp_us, payload)`` for each Opus packet, and for each complete VP8
    frame. A frame with a packet missing is dropped, and then every frame
    until a key frame, which it asks the publisher for."""

    def __init__(
        self,
        producer: BaseProducer,
        emit: Callable[[bool, int, bytes], None],
        on_ended: Callable[[], None] | None = None,
    ) -> None:
        self.producer = producer
        self.emit = emit
        self.on_ended = on_ended
        self.clock_rate = CLOCK_RATES[producer.kind]
        self._video = producer.kind == "video"
        self._ts = rtp.TimestampUnwrapper()
        #: Packets of frames not yet complete, by extended sequence number.
        self._pending: dict[int, Forwarded] = {}
        #: The highest sequence number emitted or given up on.
        self._done: int | None = None
        #: The highest sequence number received.
        self._highest = -1
        self._waiting = True
        self._asked_at: float | None = None
        #: Chunks emitted, and video frames dropped (incomplete, or before a key frame).
        self.emitted = 0
        self.dropped = 0
        self.closed = False
        producer.add_tap(self)

    def _microseconds(self, ts: int) -> int:
        return self._ts.unwrap(ts) * 1_000_000 // self.clock_rate % protocol.FRAME_TIMESTAMP_MODULO

    def packet(self, packet: Forwarded, now: float) -> None:
        done = self._done
        if done is not None and packet.seq <= done:
            return  # late, repeated, or of a frame given up on
        if not packet.payload:
            # Padding only (bandwidth probes): between frames, and no gap.
            if self._video and len(self._pending) < MAX_PENDING_PACKETS:
                self._pending[packet.seq] = packet
                self._skip_padding()
            return
        if not self._video:
            self._done = packet.seq
            self.emitted += 1
            self.emit(True, self._microseconds(packet.ts), packet.payload)
            return
        pending = self._pending
        if packet.seq in pending:
            return
        if len(pending) >= MAX_PENDING_PACKETS:
            pending.clear()
            self._give_up(packet.seq - 1, now)
        pending[packet.seq] = packet
        if packet.seq > self._highest:
            self._highest = packet.seq
            if not packet.marker:
                # In order and not the last of its frame: nothing after it
                # is here yet to complete one (and looking back from every
                # packet would cost a frame of n packets n**2 steps).
                return
        frame = self._frame_around(packet)
        if frame is not None:
            self._complete(frame, now)

    def _frame_around(self, packet: Forwarded) -> list[Forwarded] | None:
        """The packets of ``packet``'s frame in order, if all are here: back to
        the one that starts it, on to the one with the marker."""
        pending = self._pending
        ts = packet.ts
        seq = packet.seq
        while True:
            p = pending.get(seq)
            if p is None or p.ts != ts:
                return None
            described = vp8_descriptor(p.payload)
            if described is None:
                return None
            if described[1]:
                break
            seq -= 1
        start = seq
        seq = packet.seq
        while not pending[seq].marker:
            seq += 1
            p = pending.get(seq)
            if p is None or p.ts != ts:
                return None
        return [pending[s] for s in range(start, seq + 1)]

    def _skip_padding(self) -> None:
        done = self._done
        if done is None:
            return
        pending = self._pending
        while (p := pending.get(done + 1)) is not None and not p.payload:
            del pending[done + 1]
            done += 1
        self._done = done

    def _complete(self, frame: list[Forwarded], now: float) -> None:
        first, last = frame[0], frame[-1]
        self._skip_padding()
        done = self._done
        if done is not None and first.seq != done + 1:
            # Something before this frame is missing (or still on its way:
            # too late now), and what comes after it needs it.
            self.dropped += 1
            self._waiting = True
        for seq in [s for s in self._pending if s <= last.seq]:
            del self._pending[seq]
        self._done = last.seq
        self._skip_padding()
        key = rtp.vp8_keyframe_start(first.payload)
        if self._waiting and not key:
            self.dropped += 1
            self._ask(now)
            return
        self._waiting = False
        chunk = b"".join(p.payload[_descriptor_size(p.payload) :] for p in frame)
        self.emitted += 1
        self.emit(key, self._microseconds(first.ts), chunk)

    def _give_up(self, seq: int, now: float) -> None:
        self._done = seq if self._done is None else max(self._done, seq)
        self._waiting = True
        self.dropped += 1
        self._ask(now)

    def _ask(self, now: float) -> None:
        # At most once a second from here; the producer keeps its own limit
        # over all who ask.
        if self._asked_at is None or now - self._asked_at >= KEYFRAME_INTERVAL:
            self._asked_at = now
            self.producer.keyframe_wanted()

    def ended(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        if self.on_ended is not None:
            self.on_ended()

    def close(self) -> None:
        """Stop reading the producer. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.producer.remove_tap(self)
        self._pending.clear()


def _descriptor_size(payload: bytes) -> int:
    described = vp8_descriptor(payload)
    assert described is not None  # checked when the frame was assembled
    return described[0]
