"""The instructor's broadcast through the real Jupyter server's SFU: aiortc
participants on 127.0.0.1, one of them on the open floor who never stood in
a room, hear the instructor while the broadcast runs, and a student given the
floor joins it (nothing is mocked)."""

from __future__ import annotations

import pytest

from .harness import until
from .harness.clients import Tone
from .harness.rooms import room_server_config

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]
pytestmark = pytest.mark.network

STAGE = (800.0, 150.0)
TABLE_5 = (800.0, 780.0)


@pytest.fixture
def jp_server_config(tmp_path):
    return room_server_config(
        tmp_path,
        instructors=["prof"],
    )


async def test_the_broadcast_reaches_the_open_floor_and_the_floor_joins_it(join) -> None:
    prof = await join("prof", microphone=Tone())
    ann = await join("ann", microphone=Tone())
    bob = await join("bob")  # stays on the open floor: no room connection until the broadcast
    await prof.walk_to(*TABLE_5)
    await ann.walk_to(*TABLE_5)
    await ann.walk_to(700, 700)  # still at table-5, away from prof's seat
    assert bob.room.pc is None

    await prof.send(type="broadcast", on=True, id=500)
    await prof.expect("ack", id=500)
    await until(
        lambda: bob.room.track_of(prof.id, "microphone"), what="prof's voice on the open floor"
    )
    voice = bob.room.watch(prof.id, "microphone")
    await until(lambda: voice.frames > 30, what="prof's audio frames")
    assert bob.room.track_of(ann.id, "microphone") is None  # a table's talk stays there

    await prof.send(type="give_floor", participant=ann.id, on=True, id=501)
    await prof.expect("ack", id=501)
    await until(
        lambda: bob.room.track_of(ann.id, "microphone"), what="ann's voice joining the broadcast"
    )
    voice = bob.room.watch(ann.id, "microphone")
    await until(lambda: voice.frames > 30, what="ann's audio frames")

    # Muted, and microphones locked: the server stops forwarding her voice,
    # and refuses turning it on again.
    await prof.send(type="mute", participant=ann.id, id=510)
    await prof.expect("ack", id=510)
    await until(lambda: bob.room.track_of(ann.id, "microphone") is None, what="ann muted")
    await ann.expect("muted")
    await prof.send(type="give_floor", participant=ann.id, on=False, id=511)
    await prof.send(type="set_locks", mic=True, id=512)
    await prof.expect("ack", id=512)
    await ann.send(type="presence", mic=True, id=513)
    assert (await ann.expect("error", id=513))["code"] == "locked"
    await prof.send(type="set_locks", mic=False, id=514)
    await prof.expect("ack", id=514)

    await prof.send(type="broadcast", on=False, id=502)
    await prof.expect("ack", id=502)
    await until(
        lambda: (
            bob.room.track_of(prof.id, "microphone") is None
            and bob.room.track_of(ann.id, "microphone") is None
        ),
        what="the broadcast to stop",
    )
    # A student may not start one.
    await bob.send(type="broadcast", on=True, id=503)
    error = await bob.expect("error", id=503)
    assert error["code"] == "forbidden"
