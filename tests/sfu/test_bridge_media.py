"""A mixed table, with real media: a participant on the WebSocket transport
(VP8 and Opus chunks from PyAV's encoders, as WebCodecs makes them) and an
aiortc peer on WebRTC see and hear each other through the SFU's bridge,
which never decodes; each side decodes what it gets."""

from __future__ import annotations

import asyncio
import fractions
import math
from collections.abc import AsyncIterator

import av
import numpy as np
import pytest
import pytest_asyncio
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.video.frame import PictureType

from jupyter_classroom import protocol
from jupyter_classroom.classroom import RoomMedia
from jupyter_classroom.sfu.bridge import FrameProducer, FrameTap

from ..harness.clients import MarkedFrames, Tone, marker_of
from .conftest import Room

pytestmark = [pytest.mark.asyncio, pytest.mark.network]

SIZE = (320, 240)
Chunk = tuple[bool, int, bytes]


class MixedRoom(Room):
    """A room where some publish over the WebSocket: they are not in the
    SFU's plan, only their tracks are, in what the others receive."""

    def __init__(self) -> None:
        super().__init__()
        #: WebSocket publishers: their room and sources.
        self.websocket: dict[str, tuple[str, set[protocol.TrackSource]]] = {}

    def update(self) -> None:
        plan = {}
        for pid, room in self.members.items():
            tracks = {
                (other, source)
                for other, other_room in self.members.items()
                if other != pid and room is not None and other_room == room
                for source in self.sources[other]
            } | {
                (other, source)
                for other, (other_room, sources) in self.websocket.items()
                if room is not None and other_room == room
                for source in sources
            }
            plan[pid] = RoomMedia(room, frozenset(tracks), self.generations.get(pid, 0))
        self.sfu.update(plan)


@pytest_asyncio.fixture
async def mixed() -> AsyncIterator[MixedRoom]:
    r = MixedRoom()
    r.sfu.start()
    yield r
    await r.close()


class Camera:
    """VP8 chunks of MarkedFrames' pictures from libvpx, as a browser's
    VideoEncoder gives them; a key frame when asked."""

    def __init__(self, base: int = 0) -> None:
        self.base = base
        self.n = 0
        self.key_wanted = False
        self.keys_asked = 0
        encoder = av.CodecContext.create("libvpx", "w")
        assert isinstance(encoder, av.VideoCodecContext)
        encoder.width, encoder.height = SIZE
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = fractions.Fraction(1, 90000)
        encoder.framerate = fractions.Fraction(30)
        encoder.bit_rate = 500_000
        # No key frames of its own: after the first, only those asked for.
        encoder.gop_size = 100_000
        encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        self.encoder = encoder

    def ask_key_frame(self) -> None:
        self.key_wanted = True
        self.keys_asked += 1

    def chunks(self) -> list[Chunk]:
        self.n += 1
        w, h = SIZE
        level = (marker_of(self.n) + self.base) % 256
        image = np.full((h, w, 3), level, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = self.n * 3000
        frame.time_base = self.encoder.time_base
        if self.key_wanted:
            self.key_wanted = False
            frame.pict_type = PictureType.I
        # Microseconds modulo 2**32, starting near the wrap: it passes within the test.
        us = (protocol.FRAME_TIMESTAMP_MODULO - 500_000 + self.n * 33_333) % (1 << 32)
        return [(p.is_keyframe, us, bytes(p)) for p in self.encoder.encode(frame)]


class Microphone:
    """Opus chunks of a 440 Hz tone, 20 ms each, from libopus."""

    def __init__(self) -> None:
        self.n = 0
        encoder = av.CodecContext.create("libopus", "w")
        assert isinstance(encoder, av.AudioCodecContext)
        encoder.sample_rate = 48000
        encoder.layout = "mono"
        encoder.format = "s16"
        encoder.bit_rate = 32_000
        encoder.time_base = fractions.Fraction(1, 48000)
        self.encoder = encoder

    def chunks(self) -> list[Chunk]:
        t = (np.arange(960) + self.n * 960) / 48000
        wave = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.n * 960
        frame.time_base = self.encoder.time_base
        self.n += 1
        return [(True, self.n * 20_000, bytes(p)) for p in self.encoder.encode(frame)]


async def publish(
    camera: Camera, video: FrameProducer, mic: Microphone, audio: FrameProducer
) -> None:
    """Push chunks as a browser sends them: a picture every 1/30 s, a chunk of voice every 20 ms."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    ticks = 0
    while True:
        ticks += 1
        for chunk in mic.chunks():
            audio.push(*chunk)
        if ticks % 3 != 2:  # 2 pictures in 3 ticks of 20 ms: 33.3 ms apart
            for chunk in camera.chunks():
                video.push(*chunk)
        await asyncio.sleep(max(0.0, start + ticks * 0.02 - loop.time()))


class Reader:
    """Reads (decodes) a received track, keeping the frames."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.frames: list[av.VideoFrame | av.AudioFrame] = []
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.VideoFrame | av.AudioFrame)
            self.frames.append(frame)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def level_of(frame: av.VideoFrame) -> int:
    image = frame.to_ndarray(format="bgr24")
    return int(image[image.shape[0] // 2, image.shape[1] // 2].mean())


def close_to_marked(levels: list[int], base: int) -> bool:
    """Every level is one of MarkedFrames' (VP8 is lossy: a few levels off)."""
    markers = {(marker_of(n) + base) % 256 for n in range(1, 40)}
    return all(min(abs(level - m) for m in markers) <= 6 for level in levels)


def loud(frame: av.AudioFrame) -> bool:
    samples = frame.to_ndarray().astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) > 1000


async def test_at_a_mixed_table_each_side_sees_and_hears_the_other(mixed: MixedRoom) -> None:
    # The WebSocket participant: their tracks as FrameProducers.
    camera, mic = Camera(base=100), Microphone()
    video = FrameProducer("ws", "camera", camera.ask_key_frame)
    audio = FrameProducer("ws", "microphone", lambda: None)
    mixed.websocket["ws"] = ("table-1", {"camera", "microphone"})
    publishing = asyncio.ensure_future(publish(camera, video, mic, audio))
    # The WebRTC participant, who publishes too.
    rtc = mixed.add("rtc", camera=MarkedFrames(), microphone=Tone())
    mixed.sfu.set_bridged({video.key: video, audio.key: audio})
    readers: list[Reader] = []
    taps: list[FrameTap] = []
    seen: list[Chunk] = []
    heard: list[Chunk] = []
    try:
        # WebSocket → WebRTC: the peer decodes pictures of the right size and the tone.
        seen_track = await mixed.until(lambda: rtc.track_of("ws", "camera"), what="ws's camera")
        heard_track = await mixed.until(lambda: rtc.track_of("ws", "microphone"), what="ws's mic")
        pictures, sound = Reader(seen_track), Reader(heard_track)
        readers += [pictures, sound]
        # WebRTC → WebSocket: tap the peer's tracks as the relay would.
        rtc_camera = await mixed.until(lambda: mixed.sfu.producer(("rtc", "camera")))
        rtc_mic = mixed.sfu.producer(("rtc", "microphone"))
        assert rtc_mic is not None
        taps.append(FrameTap(rtc_camera, lambda *chunk: seen.append(chunk)))
        taps.append(FrameTap(rtc_mic, lambda *chunk: heard.append(chunk)))

        await mixed.until(
            lambda: len(pictures.frames) > 30 and len(sound.frames) > 50,
            timeout=30,
            what="ws's pictures and voice at the WebRTC peer",
        )
        await mixed.until(
            lambda: len(seen) > 30 and len(heard) > 50,
            timeout=30,
            what="the WebRTC peer's chunks out of the taps",
        )
    finally:
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)
        for reader in readers:
            await reader.close()
        for tap in taps:
            tap.close()

    video_frames = [f for f in pictures.frames if isinstance(f, av.VideoFrame)]
    assert {(f.width, f.height) for f in video_frames} == {SIZE}
    assert close_to_marked([level_of(f) for f in video_frames], 100)
    # The peer's copy began by asking the WebSocket publisher for a key
    # frame (the encoder makes none of its own after the first).
    assert camera.keys_asked >= 1
    audio_frames = [f for f in sound.frames if isinstance(f, av.AudioFrame)]
    assert audio_frames and sum(map(loud, audio_frames)) > 0.8 * len(audio_frames)

    # What the taps gave decodes as the WebSocket's receivers decode it.
    assert seen[0][0]  # the first chunk is a key frame
    decoder = av.CodecContext.create("libvpx", "r")
    decoded = [f for _, _, payload in seen for f in decoder.decode(av.Packet(payload))]
    assert len(decoded) == len(seen)
    assert {(f.width, f.height) for f in decoded} == {SIZE}
    assert isinstance(decoded[0], av.VideoFrame)
    assert close_to_marked([level_of(f) for f in decoded if isinstance(f, av.VideoFrame)], 0)
    # aiortc's camera steps about 3000 ticks at 90 kHz a picture (its packetizer
    # rounds by a tick or two): 33 333 µs, a few pictures skipped at most.
    steps = [(b - a) % (1 << 32) for (_, a, _), (_, b, _) in zip(seen, seen[1:], strict=False)]
    assert all(s > 0 and abs(s - 33_333 * round(s / 33_333)) <= 25 for s in steps), steps
    opus = av.CodecContext.create("libopus", "r")
    samples = [f for _, _, payload in heard for f in opus.decode(av.Packet(payload))]
    assert len(samples) == len(heard)
    assert all(isinstance(f, av.AudioFrame) and f.samples == 960 for f in samples)
    steps = [(b - a) % (1 << 32) for (_, a, _), (_, b, _) in zip(heard, heard[1:], strict=False)]
    assert all(s % 20_000 == 0 and s > 0 for s in steps), steps


async def test_the_sfu_follows_the_bridged_tracks_as_they_change(mixed: MixedRoom) -> None:
    mixed.websocket["ws"] = ("table-1", {"microphone"})
    sub = mixed.add("sub")
    first = FrameProducer("ws", "microphone", lambda: None)
    mixed.sfu.set_bridged({first.key: first})
    connection = await mixed.until(lambda: mixed.sfu.connections.get("sub"))
    await mixed.until(lambda: ("ws", "microphone") in connection.consumers, what="a consumer")
    await mixed.until(lambda: sub.track_of("ws", "microphone"), what="the track at the peer")
    consumer = connection.consumers[("ws", "microphone")]
    slot = consumer.slot
    # The WebSocket publisher came back (another producer for the same
    # track): the slot carries the new one, and the old one has no copy.
    second = FrameProducer("ws", "microphone", lambda: None)
    mixed.sfu.set_bridged({second.key: second})
    replaced = connection.consumers[("ws", "microphone")]
    assert replaced.producer is second and replaced.slot is slot
    assert consumer.closed and first.consumers == ()
    # Gone from the WebSocket: the copy ends, and the track with it.
    mixed.sfu.set_bridged({})
    assert ("ws", "microphone") not in connection.consumers and second.consumers == ()
    # A closed producer is not forwarded.
    second.close()
    mixed.sfu.set_bridged({second.key: second})
    assert ("ws", "microphone") not in connection.consumers


async def test_a_tap_ends_when_its_publishers_connection_closes(mixed: MixedRoom) -> None:
    ended: list[bool] = []
    mixed.add("rtc", microphone=Tone())
    producer = await mixed.until(lambda: mixed.sfu.producer(("rtc", "microphone")))
    heard: list[Chunk] = []
    tap = FrameTap(producer, lambda *chunk: heard.append(chunk), lambda: ended.append(True))
    await mixed.until(lambda: len(heard) > 5, what="the voice out of the tap")
    mixed.leave("rtc")
    assert producer.closed and tap.closed and ended == [True]
    assert mixed.sfu.producer(("rtc", "microphone")) is None
