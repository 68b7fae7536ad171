"""People walking in and out of rooms all day, through the real Jupyter
server: a step off a table and back, and a breakout round, reuse the room
connections people have (aiortc participants on 127.0.0.1, nothing mocked)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .harness import until
from .harness.clients import Client, Tone
from .harness.rooms import room_server_config
from .harness.servers import classroom_service

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]
pytestmark = pytest.mark.network

TABLE_5 = (800.0, 780.0)  # x 650..950, y 680..870
INSIDE_EDGE = (800.0, 860.0)
OUTSIDE_EDGE = (800.0, 885.0)


@pytest.fixture
def jp_server_config(tmp_path):
    return room_server_config(
        tmp_path,
        instructors=["prof"],
    )


def connections(client: Client) -> set[int]:
    """The room connections the server offered this client."""
    return {m["connection"] for m in client.seen if m["type"] == "sfu_offer"}


def closed(client: Client) -> list[dict[str, Any]]:
    return [m for m in client.seen if m["type"] == "sfu_closed"]


async def hears(listener: Client, speaker: Client) -> None:
    assert listener.room is not None
    room = listener.room
    await until(lambda: room.track_of(speaker.id, "microphone"), what=f"{speaker.id}'s voice")


async def test_a_hundred_quick_steps_at_a_tables_edge_make_one_room_connection(
    join, jp_serverapp
) -> None:
    alice = await join("alice", microphone=Tone())
    bob = await join("bob")
    await alice.walk_to(*TABLE_5)
    await bob.walk_to(*INSIDE_EDGE)
    await hears(bob, alice)
    # Stepping on seated him: he steps off and on again straight across the
    # table's edge from his seat (steps the server takes at walking pace even
    # when a busy machine delivers several at once).
    seat = classroom_service(jp_serverapp).classroom.get(bob.id)
    inside, outside = (seat.x, INSIDE_EDGE[1]), (seat.x, OUTSIDE_EDGE[1])
    # Out and in again, a step every 0.12 s (the pace of someone walking
    # along the edge), ending inside: the server tells everyone each time
    # Bob's room changes.
    spots = [outside, inside] * 50
    for x, y in spots:
        await asyncio.sleep(0.12)
        await bob.send(type="move", x=x, y=y)
        if (x, y) == inside:
            # Stepping on seats him: his next step starts from the seat, as
            # a browser's would once it is told.
            await bob.expect("positions", correction=True)
    # (The first change Alice hears of is Bob's walk in.)
    rooms: list[str | None] = []
    while len(rooms) < 1 + len(spots):
        m = await alice.expect("participant_updated")
        if m["participant"]["id"] == bob.id:
            rooms.append(m["participant"].get("room"))
    assert rooms == ["table-5"] + [None, "table-5"] * 50
    await hears(bob, alice)
    assert len(connections(bob)) == 1
    assert closed(bob) == []


async def test_a_breakout_round_makes_no_new_room_connection_for_those_who_had_one(
    join, jp_serverapp
) -> None:
    service = classroom_service(jp_serverapp)
    prof = await join("prof")
    students = [await join(name, microphone=Tone()) for name in ("ann", "bob", "cat", "dan")]
    await asyncio.gather(*(s.walk_to(*TABLE_5) for s in students))
    for listener in students:
        for speaker in students:
            if speaker is not listener:
                await hears(listener, speaker)
    before = {s.id: connections(s) for s in students}
    assert all(len(numbers) == 1 for numbers in before.values())

    await prof.send(type="start_breakouts", mode="random", tables=2, minutes=5)
    participants = service.classroom.participants
    tables = {}
    await until(
        lambda: all(participants[s.id].room not in (None, "table-5") for s in students),
        what="everyone at a breakout table",
    )
    for s in students:
        tables[s.id] = participants[s.id].room
    for listener in students:
        for speaker in students:
            if speaker is not listener and tables[speaker.id] == tables[listener.id]:
                await hears(listener, speaker)

    await prof.send(type="end_breakouts")
    await until(
        lambda: all(participants[s.id].room == "stage" for s in students), what="back on stage"
    )
    for listener in students:
        for speaker in students:
            if speaker is not listener:
                await hears(listener, speaker)
    assert {s.id: connections(s) for s in students} == before
    assert [closed(s) for s in students] == [[]] * len(students)
