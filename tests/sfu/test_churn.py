"""People walking in and out of a room: what each room connection held is
freed by reference counting when it closes, with no garbage collection."""

from __future__ import annotations

import gc
import weakref
from collections import Counter

import pytest
from aiortc import RTCPeerConnection

from jupyter_classroom.sfu import aiortc_release

from ..harness.clients import MarkedFrames, Tone
from .conftest import Room

pytestmark = pytest.mark.asyncio

#: What a room connection is made of (one of each per connection, transceiver
#: or transport); the objects that come and go with packets are left out.
STRUCTURE = {
    "RTCPeerConnection",
    "RTCRtpTransceiver",
    "RTCRtpReceiver",
    "RTCRtpSender",
    "RTCDtlsTransport",
    "RTCIceTransport",
    "RTCIceGatherer",
    "RemoteStreamTrack",
    "JitterBuffer",
    "NackGenerator",
    "RemoteBitrateEstimator",
    "RateBucket",
    "Connection",
    "CandidatePair",
    "StunProtocol",
}


def live_aiortc_objects() -> Counter[str]:
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        cls = type(obj)
        module = getattr(cls, "__module__", None)
        if (
            isinstance(module, str)
            and module.startswith(("aiortc.", "aioice."))
            and not module.startswith("aiortc.contrib")  # the test peers' media relays
            and cls.__name__ in STRUCTURE
        ):
            counts[f"{module}.{cls.__name__}"] += 1
    return counts


async def walk_in_and_out(room: Room, pid: str) -> weakref.ref[RTCPeerConnection]:
    """One visit: connect, receive the resident's camera, publish a voice,
    leave; a weak reference to the server's peer connection of the visit."""
    peer = room.add(pid, microphone=Tone())

    def flowing() -> bool:
        connection = room.sfu.connections.get(pid)
        if connection is None or not connection.established:
            return False
        consumer = connection.consumers.get(("resident", "camera"))
        return (
            consumer is not None
            and consumer.slot.packets > 0
            and connection.producers["microphone"].packets > 0
        )

    await room.until(flowing, what=f"media to and from {pid}")
    server_pc = weakref.ref(room.sfu.connections[pid].pc)
    client_pc = peer.pc
    assert client_pc is not None
    room.leave(pid)
    await room.until(
        lambda: (
            peer.pc is None and client_pc.connectionState == "closed" and not room.sfu._closing
        ),
        what=f"{pid}'s connection closed",
    )
    await peer.stop()
    del room.peers[pid]
    # The test's own aiortc peer stands for a browser: the server does not
    # own it, so the test releases it the way the server releases its end.
    aiortc_release.release(client_pc)
    return server_pc


async def test_room_connections_that_come_and_go_leave_nothing_behind(room: Room) -> None:
    room.add("resident", camera=MarkedFrames(), microphone=Tone())
    # One visit first: the resident's connection gets the transceivers a
    # visitor needs, and keeps them for the next.
    await walk_in_and_out(room, "warm-up")
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = live_aiortc_objects()
        assert before["aiortc.rate.RateBucket"] > 0  # the resident's own
        visits = [await walk_in_and_out(room, f"visitor-{n}") for n in range(6)]
        assert [ref() for ref in visits] == [None] * len(visits)
        after = live_aiortc_objects()
        assert after == before
    finally:
        if was_enabled:
            gc.enable()
