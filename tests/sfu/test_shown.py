"""Only the videos a viewer shows are sent to it, and a video nobody
watches is not encoded: real aiortc peers on 127.0.0.1."""

from __future__ import annotations

import pytest

from jupyter_classroom import protocol

from ..harness.clients import MarkedFrames
from .conftest import Room
from .test_forwarding import keyframe_requests

pytestmark = pytest.mark.asyncio


def show(room: Room, viewer: str, *publishers: str) -> None:
    tiles = [protocol.ShownTile(p, "camera", 320, 240) for p in publishers]
    room.sfu.set_shown(viewer, tiles)


def sending(room: Room, pid: str) -> list[bool]:
    """What ``pid`` was told of encoding its camera, in order."""
    return [
        m["active"]
        for m in room.sent.get(pid, [])
        if m["type"] == "sfu_sending" and m["source"] == "camera"
    ]


async def test_a_hidden_tile_gets_no_packets_and_a_key_frame_when_shown_again(room: Room) -> None:
    pub = room.add("pub", camera=MarkedFrames())
    room.add("other", camera=MarkedFrames(base=100))
    viewer = room.add("viewer")
    hidden = await room.until(lambda: viewer.watch("pub", "camera"), what="pub's camera")
    shown = await room.until(lambda: viewer.watch("other", "camera"), what="other's camera")
    await room.until(lambda: len(hidden.levels) > 10, what="pub's picture")
    show(room, "viewer", "other")
    consumer = room.sfu.connections["viewer"].consumers[("pub", "camera")]
    producer = consumer.producer
    assert consumer.paused
    # Not one packet of pub's camera goes to the viewer, while the camera
    # goes on sending and the viewer's other tile goes on playing.
    slot_packets, produced, frames = consumer.slot.packets, producer.packets, len(shown.levels)
    await room.until(lambda: len(shown.levels) > frames + 30, what="the shown tile to play on")
    await room.until(lambda: producer.packets > produced + 30, what="pub's camera to send on")
    assert consumer.slot.packets == slot_packets
    # Shown again: the server asks pub for a key frame, and the picture comes.
    requests = keyframe_requests(pub)
    seen = len(hidden.levels)
    show(room, "viewer", "other", "pub")
    assert not consumer.paused
    await room.until(lambda: requests, what="a key frame request at the publisher")
    await room.until(lambda: len(hidden.levels) > seen + 10, what="pub's picture again")


async def test_a_video_nobody_watches_is_not_encoded(room: Room) -> None:
    room.add("pub", camera=MarkedFrames())
    a = room.add("a")
    room.add("b")
    await room.until(lambda: a.watch("pub", "camera"), what="a's copy")
    await room.until(lambda: room.sfu.connections["b"].consumers.get(("pub", "camera")))
    show(room, "a")
    assert sending(room, "pub") == []  # b still watches
    show(room, "b")
    assert sending(room, "pub") == [False]
    assert room.sfu.connections["pub"].unsent == {"camera", "screen_share"}  # no screen shared
    show(room, "b", "pub")
    assert sending(room, "pub") == [False, True]
    # Someone who never said what they show sees everything: a newcomer
    # watches, and the publisher encodes.
    show(room, "b")
    assert sending(room, "pub") == [False, True, False]
    room.add("c")
    await room.until(
        lambda: sending(room, "pub") == [False, True, False, True], what="encode again"
    )
    # Reports name the viewer's own session: a resumed session shows all again.
    room.leave("c")
    assert sending(room, "pub")[-1] is False
    room.resume("b")
    await room.until(lambda: sending(room, "pub")[-1] is True, what="b's new session to watch")


async def test_bad_sizes_are_refused(room: Room) -> None:
    room.add("viewer")
    with pytest.raises(protocol.ProtocolError) as refused:
        room.sfu.set_shown("viewer", [protocol.ShownTile("pub", "camera", -1, 10)], 7)
    assert refused.value.code == protocol.ErrorCode.BAD_MESSAGE and refused.value.request_id == 7
