"""Cheap media for the class scenario: pre-encoded senders, stamped packets,
receivers that never decode.

Each sender's VP8 clip and Opus tone are encoded once (PyAV) and looped by
:class:`Looped`, a track that hands aiortc ``av.Packet`` objects, so its
sender only packetizes them. Every RTP packet a participant sends gets a
stamp appended to its payload before SRTP (:func:`stamp_outgoing`): who sent
it, which kind, the sender's own packet counter and the send time. An SFU
forwards payloads byte for byte, so a receiver (:func:`record_incoming`)
unprotects each datagram off its socket, reads the stamp and drops the
packet there: latency is the receive time minus the stamped send time (one
machine, one clock), loss is counted against the sender's counters.
"""

from __future__ import annotations

import asyncio
import fractions
import struct
import time
import weakref
from array import array
from collections import defaultdict
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

#: magic, sender, kind (0 audio, 1 video), sender's packet counter, send time.
STAMP = struct.Struct("!HHBId")
MAGIC = 0xC1A5
AUDIO, VIDEO = 0, 1
KINDS = ("audio", "video")


def vp8_clip(width: int, height: int, fps: int, kbps: int, seconds: int = 4) -> list[bytes]:
    """``seconds`` of a moving test picture as VP8, a key frame a second,
    starting on the encoder's second key frame (the first is oversized)."""
    import numpy as np

    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = kbps * 1000
    encoder.framerate = fractions.Fraction(fps, 1)
    encoder.time_base = fractions.Fraction(1, fps)
    encoder.gop_size = fps
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rows, cols = np.mgrid[0:height, 0:width]
    speckle = np.random.default_rng(1).integers(0, 12, (height, width), dtype=np.uint8)
    out: list[bytes] = []
    for n in range((seconds + 1) * fps):
        luma = ((cols + rows // 2 + 6 * n) % 256).astype(np.uint8) + np.roll(speckle, 3 * n, 0)
        planes = np.concatenate(
            [luma, np.full((height // 2, width), (n * 3) % 256, dtype=np.uint8)], axis=0
        )
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = n
        out += [bytes(p) for p in encoder.encode(frame)]
    out += [bytes(p) for p in encoder.encode(None)]
    return out[fps : fps * (seconds + 1)]


class Looped(MediaStreamTrack):
    """Pre-encoded packets looped in real time while :attr:`running` is set (a
    browser sends nothing for a camera or microphone that is off); each time
    it comes on, video starts at a key frame."""

    def __init__(self, kind: str, packets: list[bytes], rate: int, per_second: int) -> None:
        super().__init__()
        self.kind = kind
        self.packets = packets
        self.rate = rate
        self.step = rate // per_second
        self.per_second = per_second
        self.running = asyncio.Event()
        self.k = 0
        self.started = time.time()
        self.n = 0

    def switch(self, on: bool) -> None:
        if on and not self.running.is_set():
            self.n = int((time.time() - self.started) * self.per_second) + 1
            key = self.per_second if self.kind == "video" else 1
            self.k = -(-self.k // key) * key
            self.running.set()
        elif not on:
            self.running.clear()

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        await self.running.wait()
        await asyncio.sleep(max(0.0, self.started + self.n / self.per_second - time.time()))
        packet = av.Packet(self.packets[self.k % len(self.packets)])
        packet.pts = self.n * self.step
        packet.time_base = fractions.Fraction(1, self.rate)
        self.n += 1
        self.k += 1
        return packet


class Ledger:
    """One process's packets: what each of its participants sent (counter,
    send time) and received (sender, kind, counter, send and receive time),
    and the bytes that reached each from the server, per tenth of a second."""

    def __init__(self) -> None:
        self.sent: dict[tuple[int, int], array[float]] = defaultdict(lambda: array("d"))
        self.received: dict[int, list[tuple[int, int, int, float, float]]] = defaultdict(list)
        self.bytes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.hooked: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()

    def summary(self, t0: float, t1: float) -> dict[str, Any]:
        """Counts over the window [t0, t1]: packets sent in it (less the
        last 0.2 s, whose packets may still be on their way), and, of
        those, what each receiver got and how late, per sender and kind."""
        end = t1 - 0.2
        sent = {key: sum(1 for at in times if t0 <= at <= end) for key, times in self.sent.items()}
        got: dict[int, dict[tuple[int, int], int]] = {}
        latency: dict[int, array[float]] = {AUDIO: array("f"), VIDEO: array("f")}
        for receiver, log in self.received.items():
            counters: dict[tuple[int, int], set[int]] = defaultdict(set)
            for sender, kind, counter, sent_at, at in log:
                if t0 <= sent_at <= end:
                    counters[(sender, kind)].add(counter)
                    latency[kind].append((at - sent_at) * 1000)
            got[receiver] = {key: len(c) for key, c in counters.items()}
        received_bytes = {
            receiver: sum(n for tenth, n in tally.items() if t0 <= tenth / 10 < t1)
            for receiver, tally in self.bytes.items()
        }
        return {"sent": sent, "got": got, "latency": latency, "bytes": received_bytes}

    def forget(self, before: float) -> None:
        """Drop what came before ``before``, in place: the hooks on connections
        that go on hold these very lists and counts (a new list would leave
        them writing where no window looks)."""
        for times in self.sent.values():
            times[:] = array("d", (t for t in times if t >= before))
        for log in self.received.values():
            log[:] = [r for r in log if r[4] >= before]
        for tally in self.bytes.values():
            for tenth in [k for k in tally if k / 10 < before]:
                del tally[tenth]


def stamp_outgoing(pc: RTCPeerConnection, index: int, ledger: Ledger) -> None:
    """Append a stamp to each RTP packet ``pc``'s senders send (not to
    retransmissions, whose payload aiortc rebuilds)."""
    dtls = pc.getTransceivers()[0].sender.transport
    kinds = {t.sender._ssrc: (AUDIO if t.kind == "audio" else VIDEO) for t in pc.getTransceivers()}
    send_rtp = dtls._send_rtp
    counters = [0, 0]

    async def stamped(data: bytes) -> None:
        if not 192 <= data[1] <= 223:  # not RTCP
            kind = kinds.get(int.from_bytes(data[8:12], "big"))
            if kind is not None:
                counters[kind] += 1
                now = time.time()
                ledger.sent[(index, kind)].append(now)
                data += STAMP.pack(MAGIC, index, kind, counters[kind] - 1, now)
        await send_rtp(data)

    dtls._send_rtp = stamped  # type: ignore[method-assign]


def record_incoming(pc: RTCPeerConnection, index: int, ledger: Ledger) -> None:
    """Note every stamped media packet as it comes off ``pc``'s socket, and
    drop it there (nothing is decoded); count every byte that arrives."""
    dtls = pc.getTransceivers()[0].receiver.transport
    connection = dtls.transport._connection
    data_received = connection.data_received
    log = ledger.received[index]
    tally = ledger.bytes[index]

    def record(data: bytes, component: int) -> None:
        now = time.time()
        tally[int(now * 10)] += len(data)
        if 128 <= data[0] < 192 and not 192 <= data[1] <= 223 and dtls._rx_srtp is not None:
            try:
                plain = dtls._rx_srtp.unprotect(data)
            except Exception:  # noqa: BLE001 (a packet SRTP refuses is a lost one)
                return
            if len(plain) > STAMP.size:
                magic, sender, kind, counter, sent_at = STAMP.unpack_from(
                    plain, len(plain) - STAMP.size
                )
                if magic == MAGIC:
                    log.append((sender, kind, counter, sent_at, now))
            return
        data_received(data, component)

    connection.data_received = record  # type: ignore[method-assign]


def opus_silence(seconds: int = 2) -> list[bytes]:
    """Silence as a browser's Opus encoder sends it with the microphone on
    (variable bit rate, no DTX): a few bytes every 20 ms."""
    import numpy as np

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "mono"
    codec.format = "s16"
    codec.bit_rate = 32000
    packets: list[bytes] = []
    for i in range((seconds + 1) * 50):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 960), dtype=np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 48000
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        packets.extend(bytes(p) for p in codec.encode(frame))
    return packets[50 : 50 * (seconds + 1)]


def speaking(silence: list[bytes]) -> None:
    """Give pre-encoded voice packets the audio level (RFC 6464) a browser
    would put on them, as the SFU reads levels to pick the voices it
    forwards: -20 dBov on speech, -127 on the packets of ``silence``."""
    from aiortc.rtcrtpsender import RTCRtpSender

    plain = RTCRtpSender._next_encoded_frame
    quiet = set(silence)

    async def with_level(self: RTCRtpSender, codec: Any) -> Any:
        frame = await plain(self, codec)
        if frame is not None and frame.audio_level is None and self.kind == "audio":
            frame.audio_level = -127 if frame.payloads and frame.payloads[0] in quiet else -20
        return frame

    RTCRtpSender._next_encoded_frame = with_level  # type: ignore[method-assign]


def hook(
    pc: RTCPeerConnection | None, index: int, ledger: Ledger, send: bool, receive: bool
) -> bool:
    """Stamp and record on ``pc`` once it is connected; whether it is (now or before)."""
    if pc is None or pc.connectionState != "connected":
        return False
    if pc not in ledger.hooked:
        ledger.hooked.add(pc)
        if send:
            stamp_outgoing(pc, index, ledger)
        if receive:
            record_incoming(pc, index, ledger)
    return True
