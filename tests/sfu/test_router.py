"""The SFU follows the classroom's plan and nothing else: whoever leaves it is
closed at once, a new session replaces the old one's connection, and what it
remembers of failures goes with the people it was about."""

from __future__ import annotations

import pytest

from ..harness.clients import Tone
from .conftest import Room

pytestmark = pytest.mark.asyncio


async def test_leaving_the_plan_with_an_offer_pending_closes_the_connection_at_once(
    room: Room,
) -> None:
    peer = room.add("quiet")
    peer.send = lambda message: None  # never answers
    await room.until(lambda: peer.offers == 1, what="the offer")
    connection = room.sfu.connections["quiet"]
    room.leave("quiet")
    assert "quiet" not in room.sfu.connections and connection.closed
    await room.until(
        lambda: connection.pc.connectionState == "closed", what="the peer connection to close"
    )
    # Nothing is opened again for someone who is not in the plan.
    assert "quiet" not in room.sfu.connections


async def test_a_new_session_gets_a_new_connection_and_media_again(room: Room) -> None:
    room.add("alice", microphone=Tone())
    bob = room.add("bob", microphone=Tone(amplitude=0.2))
    await room.until(lambda: bob.watch("alice", "microphone"), what="alice's voice")
    old = room.sfu.connections["bob"]
    room.resume("bob")
    # Replaced in the same update: the old one is closed, the new one offered.
    new = room.sfu.connections["bob"]
    assert old.closed and new is not old and new.number > old.number
    await room.until(lambda: bob.number == new.number, what="the new offer")
    alice = room.peers["alice"]
    await room.until(lambda: alice.watch("bob", "microphone") and bob.watch("alice", "microphone"))
    for watcher in (alice.watch("bob", "microphone"), bob.watch("alice", "microphone")):
        assert watcher is not None
        seen = watcher.frames
        await room.until(lambda w=watcher, n=seen: w.frames > n + 5, what="packets both ways")
    # The same session again changes nothing.
    room.update()
    assert room.sfu.connections["bob"] is new


async def test_failures_are_forgotten_with_the_people_they_were_about(room: Room) -> None:
    room.add("alice")
    await room.until(lambda: room.peers["alice"].number is not None, what="the offer")
    first = room.sfu.connections["alice"]
    first.close("The room connection failed.")  # as aiortc's failed state does
    assert "alice" in room.sfu._failures and "alice" not in room.sfu.connections
    # Not opened again before the retry delay...
    room.update()
    assert "alice" not in room.sfu.connections
    # ...but a new session starts afresh, at once.
    room.resume("alice")
    assert "alice" not in room.sfu._failures and not room.sfu.connections["alice"].closed
    room.sfu.connections["alice"].close("The room connection failed.")
    room.leave("alice")
    assert room.sfu._failures == {} and room.sfu.connections == {}
