"""Real aiortc peers that play the browser's part of a room connection.

:class:`RoomPeer` answers the server's ``sfu_offer`` the way the front end
does (``labextension/src/rtc/sfu.ts``): it sends its tracks on the
transceivers the offer names in ``publish`` and keeps the tracks the server
sends by ``mid``, with ``sfu_tracks`` saying whose they are. It takes the
protocol's messages as plain JSON objects, whatever carries them.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy

Send = Callable[[dict[str, Any]], Awaitable[None] | None]


def marker_of(n: int) -> int:
    return (n * 40) % 256


class MarkedFrames(VideoStreamTrack):
    """Frame n is a flat grey of level ``marker_of(n) + base``: checkable after VP8."""

    def __init__(self, base: int = 0, size: tuple[int, int] = (320, 240)) -> None:
        super().__init__()
        self.n = 0
        self.base = base
        self.size = size

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.n += 1
        w, h = self.size
        image = np.full((h, w, 3), (marker_of(self.n) + self.base) % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class Tone(AudioStreamTrack):
    """A 440 Hz tone at 48 kHz, loud enough to count as speech."""

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        self.amplitude = amplitude
        self._sent = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        rate, samples = 48000, 960
        if self._sent:
            wait = self._start + self._sent / rate - time.time()
            await asyncio.sleep(wait)
        else:
            self._start = time.time()
        t = (np.arange(samples) + self._sent) / rate
        wave = (self.amplitude * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, rate)
        self._sent += samples
        return frame


class Watcher:
    """Reads (and so decodes) a received video track, noting each frame's grey level."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.levels: list[int] = []
        self.first_at: float | None = None
        self.frames = 0
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames += 1
            if self.first_at is None:
                self.first_at = loop.time()
            if isinstance(frame, av.VideoFrame):
                image = frame.to_ndarray(format="bgr24")
                self.levels.append(int(image[image.shape[0] // 2, image.shape[1] // 2].mean()))

    def close(self) -> None:
        self._task.cancel()


class RoomPeer:
    """A participant's end of the room connection, in aiortc."""

    def __init__(self, send: Send, sources: dict[str, MediaStreamTrack] | None = None) -> None:
        self.send = send
        self.sources = dict(sources or {})
        self.pc: RTCPeerConnection | None = None
        self.number: int | None = None
        #: Received tracks by mid, and what the server says each carries.
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.carries: dict[str, tuple[str, str]] = {}
        self.watchers: dict[str, Watcher] = {}
        self.offers = 0
        self.closed_reason: str | None = None
        self.changed = asyncio.Event()

    def track_of(self, participant: str, source: str) -> MediaStreamTrack | None:
        for mid, key in self.carries.items():
            if key == (participant, source):
                return self.tracks.get(mid)
        return None

    def watch(self, participant: str, source: str) -> Watcher | None:
        """Decode what a participant's source sends us (its transceiver's track)."""
        for mid, key in self.carries.items():
            if key == (participant, source) and mid in self.tracks:
                if mid not in self.watchers:
                    self.watchers[mid] = Watcher(self.tracks[mid])
                return self.watchers[mid]
        return None

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "sfu_offer":
            await self._offer(message)
        elif kind == "sfu_tracks" and message["connection"] == self.number:
            self._carry(message["tracks"])
        elif kind == "sfu_closed" and message["connection"] == self.number:
            self.closed_reason = message["reason"]
            await self.close()
        self.changed.set()

    def _carry(self, tracks: list[dict[str, str]]) -> None:
        self.carries = {t["mid"]: (t["participant"], t["source"]) for t in tracks}

    async def _offer(self, message: dict[str, Any]) -> None:
        if message["connection"] != self.number:
            await self.close()
            self.number = message["connection"]
            # max-bundle: aiortc's default policy mishandles several m-lines of
            # one kind in a first offer (they keep a transport BUNDLE closes).
            self.pc = RTCPeerConnection(
                RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
            )
            self.tracks = {}

            @self.pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                for t in self.pc.getTransceivers():
                    if t.receiver.track is track and t.mid is not None:
                        self.tracks[t.mid] = track

        pc = self.pc
        self.offers += 1
        description = message["description"]
        await pc.setRemoteDescription(RTCSessionDescription(description["sdp"], "offer"))
        publish = {p["mid"]: p["source"] for p in message["publish"]}
        for transceiver in pc.getTransceivers():
            source = publish.get(transceiver.mid)
            if source is not None:
                transceiver.direction = "sendonly"
                track = self.sources.get(source)
                if transceiver.sender.track is not track:
                    transceiver.sender.replaceTrack(track)
        await pc.setLocalDescription(await pc.createAnswer())
        self._carry(message["tracks"])
        answer = pc.localDescription
        result = self.send(
            {
                "type": "sfu_answer",
                "connection": self.number,
                "description": {"type": answer.type, "sdp": answer.sdp},
            }
        )
        if result is not None:
            await result

    async def close(self) -> None:
        for watcher in self.watchers.values():
            watcher.close()
        self.watchers.clear()
        if self.pc is not None:
            pc, self.pc = self.pc, None
            await pc.close()
