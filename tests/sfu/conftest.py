"""Real aiortc peers on 127.0.0.1 (no mocks): a publisher, the server side, subscribers."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError

from jupyter_classroom.sfu import announce_host_addresses

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def loopback_only():
    # aioice leaves 127.0.0.1 out; the tests talk over loopback only.
    announce_host_addresses(["127.0.0.1"])
    yield
    announce_host_addresses(None)


def peer() -> RTCPeerConnection:
    # No STUN: nothing outside this machine is contacted.
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def connect(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


def marker_of(n: int) -> int:
    return (n * 40) % 256


class MarkedFrames(VideoStreamTrack):
    """Frame n is a flat grey of level marker_of(n): checkable after VP8."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.n += 1
        image = np.full((240, 320, 3), marker_of(self.n), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class Watcher:
    """Reads (and so decodes) a subscriber's track, noting each frame's grey level."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.levels: list[int] = []
        self.first_at: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

        @pc.on("track")
        def on_track(track) -> None:
            task = asyncio.ensure_future(self._read(track))
            self._tasks.add(task)

    async def _read(self, track) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if self.first_at is None:
                self.first_at = loop.time()
            self.levels.append(int(frame.to_ndarray(format="bgr24")[120, 160].mean()))

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()

