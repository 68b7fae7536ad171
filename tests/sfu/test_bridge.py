"""The bridge between WebSocket chunks and RTP, without a network: VP8 and
Opus chunks packetized by a FrameProducer come back whole out of a FrameTap,
with their timestamps, across every wrap, and a lost packet costs its frame
and the frames after it until a key frame, which the tap asks for."""

from __future__ import annotations

import random
import time

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.sfu import rtp
from jupyter_classroom.sfu.bridge import (
    MAX_PAYLOAD,
    MAX_PENDING_PACKETS,
    FrameProducer,
    FrameTap,
    vp8_descriptor,
    vp8_packetize,
)
from jupyter_classroom.sfu.forwarding import BaseProducer, Forwarded

from ..harness import FakeClock, until

WRAP = protocol.FRAME_TIMESTAMP_MODULO

Chunk = tuple[bool, int, bytes]


class Recording:
    """A tap that keeps every packet a producer delivers."""

    def __init__(self, producer: BaseProducer) -> None:
        self.packets: list[Forwarded] = []
        producer.add_tap(self)

    def packet(self, packet: Forwarded, now: float) -> None:
        self.packets.append(packet)

    def ended(self) -> None:
        pass


class Feed(BaseProducer):
    """A producer the test hands packets to, which counts the key frames asked of it."""

    def __init__(self, source: protocol.TrackSource = "camera") -> None:
        super().__init__("pub", source, FakeClock())
        self.requests = 0

    def _request_keyframe(self) -> None:
        self.requests += 1

    def give(self, packets: list[Forwarded]) -> None:
        for packet in packets:
            self._deliver(packet, self.clock())


def tapped(producer: BaseProducer) -> tuple[FrameTap, list[Chunk]]:
    chunks: list[Chunk] = []
    tap = FrameTap(producer, lambda key, ts, payload: chunks.append((key, ts, payload)))
    return tap, chunks


def frame(n: int, size: int) -> bytes:
    """A VP8-looking frame: its first byte's P bit says key (0) or delta (1)."""
    body = random.Random(n).randbytes(size)
    return bytes((body[0] & 0xFE | (0 if n == 0 else 1),)) + body[1:]


def us_close(a: int, b: int, clock_rate: int) -> bool:
    """Two (32-bit) microsecond timestamps within a tick of the RTP clock."""
    d = (a - b) % WRAP
    return min(d, WRAP - d) <= 1_000_000 // clock_rate + 1


def test_vp8_frames_come_back_whole_whatever_their_size() -> None:
    producer = FrameProducer("pub", "camera", lambda: None, first_seq=100, first_ts=5000)
    recording = Recording(producer)
    _, chunks = tapped(producer)
    sizes = [1, 10, 1195, 1196, 1197, 2392, 2393, 5000, 30_000, 100_000, 99_999, 3]
    sent = []
    for n, size in enumerate(sizes):
        payload = frame(n, size)
        ts = 1_000_000 + n * 33_333
        producer.push(n == 0, ts, payload)
        sent.append((n == 0, ts, payload))
    assert [(k, p) for k, _, p in chunks] == [(k, p) for k, _, p in sent]
    # RTP timestamps start anywhere: what the tap's microseconds keep is the
    # time between frames.
    for (_, got, _), (_, ts, _) in zip(chunks, sent, strict=True):
        assert us_close(got - chunks[0][1], ts - sent[0][1], 90000)
    packets = recording.packets
    assert all(len(p.payload) <= MAX_PAYLOAD for p in packets)
    assert [p.seq for p in packets] == list(range(100, 100 + len(packets)))
    by_frame: dict[int, list[Forwarded]] = {}
    for p in packets:
        by_frame.setdefault(p.ts, []).append(p)
    assert len(by_frame) == len(sizes)
    for n, parts in enumerate(by_frame.values()):
        assert [p.marker for p in parts] == [0] * (len(parts) - 1) + [1]
        assert [p.keyframe for p in parts] == [n == 0] + [False] * (len(parts) - 1)
        assert [vp8_descriptor(p.payload) for p in parts] == [(4, True)] + [(4, False)] * (
            len(parts) - 1
        )
        # The key flag the SFU's consumers wait on is the one a WebRTC publisher's would be.
        assert rtp.vp8_keyframe_start(parts[0].payload) == (n == 0)
    # A 100 kB frame: 85 packets of nearly equal size.
    big = next(parts for parts in by_frame.values() if len(parts) > 80)
    assert max(len(p.payload) for p in big) - min(len(p.payload) for p in big) <= 1


def test_vp8_packetizer_keeps_its_bounds() -> None:
    for size in (1, 1195, 1196, 1197, 123_457):
        parts = vp8_packetize(bytes(size), 0x1234)
        assert len(parts) == -(-size // (MAX_PAYLOAD - 4))
        assert all(len(p) <= MAX_PAYLOAD for p in parts)
        assert parts[0][:4] == bytes((0x90, 0x80, 0x92, 0x34))


@pytest.mark.parametrize(
    "descriptor",
    [
        pytest.param(b"\x10", id="no-extension"),
        pytest.param(b"\x90\x80\x05", id="picture-id-7-bits"),
        pytest.param(b"\x90\x80\x81\x05", id="picture-id-15-bits"),
        pytest.param(b"\x90\xc0\x81\x05\x07", id="picture-id-and-tl0picidx"),
        pytest.param(b"\x90\xe0\x05\x07\x40", id="7-bits-tl0picidx-tid"),
        pytest.param(b"\x90\xf0\x81\x05\x07\x40", id="all"),
        pytest.param(b"\x90\x10\x20", id="keyidx-only"),
        pytest.param(b"\x90\x00", id="extension-with-nothing"),
    ],
)
def test_the_tap_reads_every_kind_of_vp8_descriptor(descriptor: bytes) -> None:
    """Browsers write PictureIDs of 15 bits, other senders of 7 or none, and
    temporal layers add TL0PICIDX and TID: the chunk is what follows."""
    feed = Feed()
    _, chunks = tapped(feed)
    later = bytes((descriptor[0] & ~0x10,)) + descriptor[1:]
    key, delta = frame(0, 3000), frame(1, 700)
    packets = []
    seq = 7
    for ts, payload in ((90_000, key), (93_000, delta)):
        parts = [payload[:1000], payload[1000:2000], payload[2000:]]
        parts = [p for p in parts if p]
        for i, part in enumerate(parts):
            packets.append(
                Forwarded(
                    seq=seq,
                    ts=ts,
                    marker=int(i == len(parts) - 1),
                    payload=(descriptor if i == 0 else later) + part,
                    padding=0,
                    keyframe=False,
                    level=None,
                )
            )
            seq += 1
    assert vp8_descriptor(packets[0].payload) == (len(descriptor), True)
    feed.give(packets)
    assert chunks == [(True, 1_000_000, key), (False, 1_033_333, delta)]


def test_opus_chunks_come_back_as_they_went() -> None:
    producer = FrameProducer("pub", "microphone", lambda: None, first_ts=0)
    recording = Recording(producer)
    _, chunks = tapped(producer)
    rng = random.Random(1)
    sent = [(True, 20_000 * n, rng.randbytes(rng.randint(3, 400))) for n in range(200)]
    for key, ts, payload in sent:
        producer.push(key, ts, payload)
    assert chunks == sent
    assert [p.ts for p in recording.packets] == [960 * n for n in range(200)]
    assert all(p.marker == 0 and not p.keyframe for p in recording.packets)
    assert producer.history is None  # audio is not retransmitted, as from WebRTC


@pytest.mark.parametrize("source", ["microphone", "camera"])
def test_timestamps_count_on_across_both_wraps(source: protocol.TrackSource) -> None:
    """A long stream whose microseconds wrap (every 71.6 min) and whose RTP
    timestamps wrap (a random start may be just below 2**32) at different
    places: RTP counts on by the frame's duration, the tap's microseconds too."""
    audio = source == "microphone"
    step, rate = (20_000, 48000) if audio else (33_333, 90000)
    count = 20_000
    start_us = WRAP - step * (count // 3)
    first_ts = (1 << 32) - (count * 2 // 3) * (step * rate // 1_000_000)
    producer = FrameProducer("pub", source, lambda: None, first_ts=first_ts)
    recording = Recording(producer)
    _, chunks = tapped(producer)
    for n in range(count):
        producer.push(True, (start_us + n * step) % WRAP, bytes((0, n & 0xFF, 1)))
    ts = [p.ts for p in recording.packets]
    assert ts[0] == first_ts and all(0 <= t < 1 << 32 for t in ts)
    steps = {(b - a) % (1 << 32) for a, b in zip(ts, ts[1:], strict=False)}
    assert steps == ({960} if audio else {2999, 3000})
    assert any(b < a for a, b in zip(ts, ts[1:], strict=False))  # RTP wrapped
    # Exact over the whole stream: no drift.
    total = (ts[-1] - ts[0]) % (1 << 32)
    assert total == (count - 1) * step * rate // 1_000_000
    out = [t for _, t, _ in chunks]
    assert len(out) == count
    for n, t in enumerate(out):
        assert us_close(t - out[0], n * step, rate), n


@pytest.mark.parametrize("source", ["microphone", "camera"])
def test_the_taps_microseconds_wrap_as_the_frames_do(source: protocol.TrackSource) -> None:
    """RTP timestamps from a WebRTC publisher whose microseconds pass 2**32
    (and then RTP's own wrap): the chunks' timestamps wrap modulo 2**32 and
    step by the frame's duration."""
    audio = source == "microphone"
    rate, ticks = (48000, 960) if audio else (90000, 3000)
    # The RTP timestamp at which the microseconds reach 2**32.
    at_wrap = WRAP * rate // 1_000_000
    starts = [at_wrap - 50 * ticks, (1 << 32) - 50 * ticks]
    for first in starts:
        feed = Feed(source)
        _, chunks = tapped(feed)
        for n in range(100):
            ts = (first + n * ticks) & 0xFFFFFFFF
            payload = b"\x01" if audio else b"\x10" + (b"\x00" if n == 0 else b"\x01")
            feed.give([Forwarded(n, ts, int(not audio), payload, 0, False, None)])
        out = [t for _, t, _ in chunks]
        assert len(out) == 100
        steps = {(b - a) % WRAP for a, b in zip(out, out[1:], strict=False)}
        assert steps == ({20_000} if audio else {33_333, 33_334}), steps
        # The first start passes the microseconds' wrap, the second RTP's.
        wrapped = sum(1 for a, b in zip(out, out[1:], strict=False) if b < a)
        assert wrapped == (1 if first == starts[0] else 0)


def test_sequence_numbers_run_on_across_the_16_bit_wrap() -> None:
    producer = FrameProducer("pub", "camera", lambda: None, first_seq=65_536 - 100)
    recording = Recording(producer)
    _, chunks = tapped(producer)
    for n in range(300):
        producer.push(n == 0, n * 33_333, frame(n, 3000))
    seqs = [p.seq for p in recording.packets]
    assert seqs == list(range(65_436, 65_436 + len(seqs)))
    wire = [s & 0xFFFF for s in seqs]
    assert 65_535 in wire and 0 in wire
    assert all(rtp.seq_diff(b, a) == 1 for a, b in zip(wire, wire[1:], strict=False))
    assert len(chunks) == 300
    # What a Producer would make of the wire's numbers is the same.
    unwrapper = rtp.SeqUnwrapper()
    assert [unwrapper.unwrap(s) for s in wire] == seqs


def packets_of(frames: list[tuple[bool, bytes]], first_seq: int = 1000) -> list[list[Forwarded]]:
    """The packets of each frame, as a FrameProducer makes them."""
    producer = FrameProducer("pub", "camera", lambda: None, first_seq=first_seq)
    recording = Recording(producer)
    out = []
    for n, (key, payload) in enumerate(frames):
        before = len(recording.packets)
        producer.push(key, n * 33_333, payload)
        out.append(recording.packets[before:])
    return out


def test_a_lost_packet_costs_frames_until_a_key_frame_which_the_tap_asks_for() -> None:
    frames = [(n in (0, 6), frame(0 if n in (0, 6) else n, 2500)) for n in range(9)]
    packets = packets_of(frames)
    feed = Feed()
    tap, chunks = tapped(feed)
    for n, parts in enumerate(packets):
        if n == 3:
            parts = parts[:1] + parts[2:]  # the middle one is lost
        feed.give(parts)
        if n == 3:
            # Frame 3 cannot be complete; it is not given up on until a
            # later frame is (its packet may yet come again).
            assert len(chunks) == 3 and feed.requests == 0
    # Frames 3 (incomplete), 4 and 5 (they need 3) never came out; the tap
    # asked for a key frame when it saw the loss, once, and the key frame 6
    # started the picture again.
    assert [payload for _, _, payload in chunks] == [p for _, p in frames[:3] + frames[6:]]
    assert [key for key, _, _ in chunks] == [True, False, False, True, False, False]
    assert feed.requests == 1
    assert tap.dropped >= 3


def test_a_retransmission_in_time_saves_its_frame_and_order_does_not_matter() -> None:
    frames = [(n == 0, frame(n, 4000)) for n in range(4)]
    packets = packets_of(frames, first_seq=65_534)
    feed = Feed()
    _, chunks = tapped(feed)
    feed.give(packets[0])
    a, b, c, d = packets[1]
    feed.give([d, b, a])  # reordered, one missing
    feed.give([c])  # retransmitted before the next frame completed
    feed.give([c])  # and a duplicate
    feed.give(packets[2] + packets[3])
    assert [payload for _, _, payload in chunks] == [p for _, p in frames]
    assert feed.requests == 0


def test_padding_between_frames_is_no_gap() -> None:
    """Bandwidth probes on the media stream take sequence numbers but carry
    nothing: between frames, in any order, before the next frame's packets."""
    frames = [(n == 0, frame(n, 2500)) for n in range(4)]
    feed = Feed()
    _, chunks = tapped(feed)
    seq = 0
    for parts in packets_of(frames):
        renumbered = []
        for p in parts:
            renumbered.append(Forwarded(seq, p.ts, p.marker, p.payload, 0, False, None))
            seq += 1
        feed.give(renumbered)
        # Three probes after each frame, the first of them last.
        feed.give([Forwarded(seq + i, p.ts, 0, b"", 200, False, None) for i in (1, 2, 0)])
        seq += 3
    assert [payload for _, _, payload in chunks] == [p for _, p in frames]
    assert feed.requests == 0


def test_the_tap_waits_for_a_key_frame_at_first_and_asks_for_one() -> None:
    frames = [(n == 3, frame(0 if n == 3 else n + 1, 1500)) for n in range(5)]
    packets = packets_of(frames)
    feed = Feed()
    _, chunks = tapped(feed)
    for parts in packets:
        feed.give(parts)
    assert [key for key, _, _ in chunks] == [True, False]
    assert feed.requests == 1  # once: the later frames asked within the second


def test_the_tap_holds_a_bounded_number_of_packets() -> None:
    feed = Feed()
    tap, chunks = tapped(feed)
    # Frames that never end (their markers lost).
    payload = b"\x10" + bytes(100)
    for seq in range(3 * MAX_PENDING_PACKETS):
        feed.give(
            [
                Forwarded(
                    seq=seq,
                    ts=seq // 10,
                    marker=0,
                    payload=payload,
                    padding=0,
                    keyframe=False,
                    level=None,
                )
            ]
        )
        assert len(tap._pending) <= MAX_PENDING_PACKETS
    assert chunks == [] and feed.requests == 1


def test_a_tap_ends_with_its_producer_and_close_detaches_it() -> None:
    ended: list[bool] = []
    producer = FrameProducer("pub", "camera", lambda: None)
    tap = FrameTap(producer, lambda *chunk: None, on_ended=lambda: ended.append(True))
    other = FrameTap(producer, lambda *chunk: None)
    other.close()
    other.close()
    assert producer.taps == (tap,)
    producer.close()
    assert tap.closed and ended == [True] and producer.taps == ()
    producer.push(True, 0, b"\x00")  # ignored once closed
    assert producer.frames == 0


def test_a_failing_tap_is_dropped_and_the_rest_go_on() -> None:
    producer = FrameProducer("pub", "microphone", lambda: None)

    def fail(*chunk: object) -> None:
        raise RuntimeError("a receiver went away")

    bad = FrameTap(producer, fail)
    good, chunks = tapped(producer)
    producer.push(True, 0, b"\x01")
    producer.push(True, 20_000, b"\x02")
    assert bad.closed and producer.taps == (good,) and len(chunks) == 2


@pytest.mark.asyncio
async def test_key_frame_requests_reach_the_websocket_publisher_at_most_once_a_second() -> None:
    requests: list[float] = []
    clock = FakeClock()
    producer = FrameProducer("pub", "camera", lambda: requests.append(clock()), clock)
    for _ in range(5):
        producer.keyframe_wanted()
    assert len(requests) == 1
    # Deferred, not dropped: sent once the producer's second is over.
    assert producer._deferred_keyframe is not None
    clock.advance(1.0)
    await until(lambda: len(requests) == 2, timeout=5, what="the deferred request")
    assert requests == [1000.0, 1001.0]
    producer.close()
    audio = FrameProducer("pub", "microphone", lambda: requests.append(-1.0))
    audio.keyframe_wanted()  # no such thing for Opus
    assert len(requests) == 2


def test_packetizing_and_depacketizing_cost() -> None:
    """Not a timing assertion: the figure is printed (``pytest -s``) for docs/sfu.md."""
    producer = FrameProducer("pub", "camera", lambda: None)
    _, chunks = tapped(producer)
    payload = frame(1, 8000)  # a 360p delta frame at ~2 Mbit/s
    producer.push(True, 0, frame(0, 30_000))
    n = 2000
    start = time.perf_counter()
    for i in range(1, n + 1):
        producer.push(False, i * 33_333, payload)
    spent = time.perf_counter() - start
    assert len(chunks) == n + 1
    print(f"\nbridge: VP8 8 kB frame packetized and depacketized in {spent / n * 1e6:.1f} µs")
