"""Forwarding encoded video from one publisher to subscribers, over real aiortc peers."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from aiortc import RTCPeerConnection

from jupyter_classroom.sfu import Producer
from jupyter_classroom.sfu.aiortc_hooks import on_keyframe_request

from .conftest import MarkedFrames, Watcher, connect, marker_of, peer


class Server:
    """The server side of one room: one connection in, one out per subscriber."""

    def __init__(self) -> None:
        self.incoming = peer()
        self.outgoing: list[RTCPeerConnection] = []
        self.producer: Producer | None = None

        @self.incoming.on("track")
        def on_track(track) -> None:
            receiver = next(r for r in self.incoming.getReceivers() if r.track is track)
            self.producer = Producer("publisher", receiver, track.kind, "camera")

    async def subscribe(self) -> tuple[RTCPeerConnection, Watcher]:
        out, sub = peer(), peer()
        watcher = Watcher(sub)
        consumer = self.producer.consume(f"sub{len(self.outgoing)}")
        consumer.attach(out.addTrack(consumer.track))
        await connect(out, sub)
        self.outgoing.append(out)
        self.outgoing.append(sub)
        return sub, watcher

    async def close(self) -> None:
        if self.producer:
            self.producer.close()
        for pc in [self.incoming, *self.outgoing]:
            await pc.close()


@pytest_asyncio.fixture
async def room():
    server = Server()
    publisher = peer()
    source = MarkedFrames()
    publisher.addTrack(source)
    await connect(publisher, server.incoming)
    server.publisher = publisher
    yield server, source
    await publisher.close()
    await server.close()


@pytest.mark.asyncio
async def test_frames_reach_two_subscribers_intact(room) -> None:
    server, source = room
    for _ in range(50):
        if server.producer is not None:
            break
        await asyncio.sleep(0.05)
    (_, a), (_, b) = await server.subscribe(), await server.subscribe()
    await asyncio.sleep(3)
    for watcher in (a, b):
        assert len(watcher.levels) > 30, watcher.levels
        # Every frame is one the publisher sent (VP8 is lossy: a few levels off)
        # and they come in the publisher's order.
        sent = {marker_of(n) for n in range(1, source.n + 1)}
        assert all(min(abs(level - s) for s in sent) <= 6 for level in watcher.levels)
        steps = [(b2 - a2) % 256 for a2, b2 in zip(watcher.levels, watcher.levels[1:])]
        assert sum(1 for s in steps if 30 <= s <= 50) > 0.8 * len(steps)
    # The server never decoded: its receiver's track got no frames.
    assert server.producer.frames > 30
    a.close()
    b.close()


@pytest.mark.asyncio
async def test_a_late_subscriber_gets_a_picture_within_a_second(room) -> None:
    server, _ = room
    await asyncio.sleep(3)  # long after the publisher's first keyframe
    assert server.producer is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    sub, watcher = await server.subscribe()
    for _ in range(40):
        if watcher.first_at is not None:
            break
        await asyncio.sleep(0.05)
    assert watcher.first_at is not None, "no picture"
    assert watcher.first_at - started < 1.0
    watcher.close()


@pytest.mark.asyncio
async def test_keyframe_requests_reach_the_publisher_at_most_once_a_second(room) -> None:
    server, _ = room
    await asyncio.sleep(1)
    requests = []
    (sender,) = server.publisher.getSenders()
    on_keyframe_request(sender, lambda: requests.append(asyncio.get_running_loop().time()))
    for _ in range(10):
        server.producer.keyframe_wanted()
    await asyncio.sleep(0.5)
    assert len(requests) == 1
    await asyncio.sleep(0.6)
    server.producer.keyframe_wanted()
    await asyncio.sleep(0.3)
    assert len(requests) == 2 and requests[1] - requests[0] >= 1.0
