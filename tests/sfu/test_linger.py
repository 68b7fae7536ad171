"""A room connection outlives a short walk out onto the open floor, and is
closed once its person has stayed out for ``linger`` seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
import pytest_asyncio

from ..harness.clients import RoomPeer, Tone
from .conftest import Room

pytestmark = pytest.mark.asyncio


class Clock:
    """Monotonic time that a test can move forward."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.ahead


@pytest_asyncio.fixture
async def room_with_clock():
    clock = Clock()
    room = Room()
    room.sfu.clock = clock
    room.sfu.start()
    yield room, clock
    await room.close()


def sent(room: Room, pid: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in room.sent.get(pid, []) if m["type"] == kind]


async def hears(room: Room, peer: RoomPeer, who: str) -> None:
    await room.until(lambda: peer.track_of(who, "microphone") is not None, what=f"{who}'s voice")


async def test_a_hundred_steps_in_and_out_of_a_table_keep_one_connection(room: Room) -> None:
    room.add("resident", microphone=Tone())
    walker = room.add("walker")
    await hears(room, walker, "resident")
    for _ in range(50):
        room.move("walker", None)
        await room.until(lambda: walker.carries == {}, what="the resident's voice to stop")
        room.move("walker", "table-1")
        await hears(room, walker, "resident")
    assert len({m["connection"] for m in sent(room, "walker", "sfu_offer")}) == 1
    assert sent(room, "walker", "sfu_closed") == []
    assert walker.pc is not None and walker.pc.connectionState == "connected"


async def test_a_connection_closes_after_its_person_lingered_out_and_opens_on_return(
    room_with_clock,
) -> None:
    room, clock = room_with_clock
    room.add("resident", microphone=Tone())
    walker = room.add("walker")
    await hears(room, walker, "resident")
    first = room.sfu.connections["walker"].number
    room.move("walker", None)
    await room.until(lambda: walker.carries == {}, what="the resident's voice to stop")
    room.sfu.tick()
    assert room.sfu.connections["walker"].number == first
    clock.ahead += room.sfu.settings.linger
    room.sfu.tick()
    assert "walker" not in room.sfu.connections
    assert [m["connection"] for m in sent(room, "walker", "sfu_closed")] == [first]
    # Out on the floor with nothing to carry, nobody opens another one...
    room.sfu.tick()
    assert "walker" not in room.sfu.connections
    assert {m["connection"] for m in sent(room, "walker", "sfu_offer")} == {first}
    # ...until they enter a room again.
    room.move("walker", "table-2")
    room.move("resident", "table-2")
    await hears(room, walker, "resident")
    assert room.sfu.connections["walker"].number != first
    # The resident never left a room for long: one connection all along.
    assert len({m["connection"] for m in sent(room, "resident", "sfu_offer")}) == 1


async def test_someone_on_the_floor_whose_voice_is_heard_keeps_their_connection(
    room_with_clock,
) -> None:
    # A broadcast: the others receive the speaker's voice wherever the
    # speaker stands, so their connection carries something.
    room, clock = room_with_clock
    speaker = room.add("speaker", microphone=Tone())
    listener = room.add("listener", room="table-2")
    room.move("speaker", None)
    plan = dict(room.sfu.plan)
    listener_media = plan["listener"]
    plan["listener"] = type(listener_media)(
        listener_media.room, frozenset({("speaker", "microphone")}), listener_media.generation
    )
    room.sfu.update(plan)
    await hears(room, listener, "speaker")
    clock.ahead += 2 * room.sfu.settings.linger
    room.sfu.tick()
    assert "speaker" in room.sfu.connections
    assert sent(room, "speaker", "sfu_closed") == []
    assert speaker.pc is not None
