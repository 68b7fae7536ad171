"""A demo classmate at a table, heard and seen by a visitor whose page is on
WebRTC: the classmate's frames go through the SFU's bridge (an aiortc peer
against the real server, nothing mocked)."""

from __future__ import annotations

import functools

import pytest

from jupyter_classroom.demo import DemoClassmates

from .harness import until
from .harness.rooms import room_server_config

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]
pytestmark = pytest.mark.network


@pytest.fixture
def jp_server_config(tmp_path):
    return room_server_config(tmp_path, demo_participants=3)


def demo_of(serverapp) -> DemoClassmates:
    (app,) = serverapp.extension_manager.extension_apps["jupyter_classroom"]
    app.start_demo()
    assert app.demo is not None
    return app.demo


async def test_a_visitor_on_webrtc_at_a_demo_classmates_table_hears_and_sees_them(
    join, jp_serverapp
) -> None:
    demo = demo_of(jp_serverapp)
    service = demo.service
    vera = await join("vera")
    assert vera.room is not None

    def at_a_table():
        for c in demo.classmates:
            p = service.classroom.participants.get(c.pid or "")
            if c.media is None or c.stop is not None or p is None or p.room is None:
                continue
            if c.resting_until - service.clock() >= 6.0:
                return c, p
        return None

    found = await until(at_a_table, timeout=120.0, what="a demo classmate resting at a table")
    assert found
    classmate, p = found
    room = service.classroom.map.rooms_by_id[p.room]
    spot = (p.x + 40.0, p.y) if room.contains(p.x + 40.0, p.y) else (p.x - 40.0, p.y)
    await vera.walk_to(*spot)
    assert service.classroom.participants[vera.id].room == p.room
    pid = classmate.pid or ""
    await until(functools.partial(vera.room.track_of, pid, "microphone"), what="their voice")
    await until(functools.partial(vera.room.watch, pid, "camera"), what="their picture")
    voice = vera.room.watch(pid, "microphone")
    picture = vera.room.watch(pid, "camera")
    assert voice is not None and picture is not None
    # Decoded by aiortc: a second of voice, and pictures.
    await until(lambda: voice.frames > 50 and len(picture.levels) > 10, what="voice and pictures")
    assert service.mixed is not None
    assert (pid, "microphone") in service.mixed.producers
