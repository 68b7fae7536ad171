"""Demo classmates against a real Jupyter server: they join marked ``demo``,
walk, speak and show a picture over the media socket's path, and leave when
a real class starts."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import av
import pytest

from jupyter_classroom import protocol
from jupyter_classroom.demo import MAX_DEMO_PARTICIPANTS, DemoClassmates, clamp_count
from jupyter_classroom.protocol.frames import FrameHeader, parse_header

from .harness import until
from .harness.clients import Client
from .harness.servers import server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path, request):
    return server_config(
        tmp_path,
        max_messages_per_second=100.0,
        demo_participants=getattr(request, "param", 2),
        demo_leave_at=3,
        instructors=["teacher"],
    )


def demo_of(serverapp) -> DemoClassmates | None:
    """The server's demo classmates, started as the extension's start does
    (pytest-jupyter's server does not run the extensions' start)."""
    (app,) = serverapp.extension_manager.extension_apps["jupyter_classroom"]
    app.start_demo()
    return app.demo


@pytest.fixture
def visitor(jp_ws_fetch):
    made: list[Client] = []

    async def make(user: str, **join: Any) -> Client:
        client = Client(await jp_ws_fetch("classroom", "ws", params={"user": user}))
        await client.join(media=True, **join)
        made.append(client)
        return client

    yield make
    for c in made:
        c.ws.close()


async def test_demo_classmates_join_marked_and_walk(visitor, jp_serverapp) -> None:
    demo = demo_of(jp_serverapp)
    assert demo is not None
    await until(lambda: len(demo.classmates) == 2, what="two demo classmates")
    ana = await visitor("ana")
    assert ana.welcome is not None
    people = {p["id"]: p for p in ana.welcome["participants"]}
    demos = {pid: p for pid, p in people.items() if p.get("demo")}
    assert len(demos) == 2
    assert not people[ana.id].get("demo")
    assert all(p["transport"] == "websocket" and p["mic"] and p["camera"] for p in demos.values())
    # They walk: a position batch moves one of them away from where the welcome had them.
    start = {pid: (p["x"], p["y"]) for pid, p in demos.items()}
    while True:
        batch = await ana.expect("positions", timeout=30.0)
        moved = [
            m for m in batch["moves"] if m["id"] in start and (m["x"], m["y"]) != start[m["id"]]
        ]
        if moved:
            break


async def test_next_to_a_demo_classmate_a_visitor_hears_and_sees_them(
    visitor, jp_serverapp, jp_ws_fetch
) -> None:
    demo = demo_of(jp_serverapp)
    assert demo is not None
    service = demo.service
    cmap = service.classroom.map
    radius = service.classroom.settings.avatar_radius

    def beside(p) -> tuple[float, float] | None:
        """A free spot next to ``p`` in the same place (its table, or the
        open floor within hearing), where a visitor may be put."""
        for distance in (3 * radius, 40.0, 2 * radius + 2):
            for step in range(12):
                a = step * math.pi / 6
                x, y = p.x + distance * math.cos(a), p.y + distance * math.sin(a)
                if not (
                    radius <= x <= cmap.width - radius and radius <= y <= cmap.height - radius
                ):
                    continue
                room = cmap.room_at(x, y)
                if cmap.blocked(x, y, radius) or (room.id if room else None) != p.room:
                    continue
                if any(
                    math.hypot(q.x - x, q.y - y) < 2 * radius
                    for q in service.classroom.participants.values()
                ):
                    continue
                return round(x, 1), round(y, 1)
        return None

    def resting():
        """A classmate at rest for a while yet (at a table or on the floor),
        and a free spot beside it."""
        now = service.clock()
        for c in demo.classmates:
            p = service.classroom.participants.get(c.pid or "")
            if c.media is not None and c.stop is None and c.resting_until - now > 4.0 and p:
                spot = beside(p)
                if spot is not None:
                    return c, p, spot
        return None

    found = await until(resting, timeout=60.0, what="a demo classmate at rest")
    assert found
    classmate, p, (x, y) = found
    ben = await visitor("ben", restore={"x": x, "y": y})
    assert ben.welcome is not None
    me = next(q for q in ben.welcome["participants"] if q["id"] == ben.id)
    assert (me["x"], me["y"]) == (x, y), "the visitor was not put where asked"
    await ben.send(type="presence", transport="websocket", mic=True)
    await ben.expect("ack")
    media = await jp_ws_fetch(
        "classroom", "media", params={"user": "ben", "ticket": ben.welcome["media_ticket"]}
    )
    if p.room is None:
        await until(lambda: service.classroom.paired(ben.id, classmate.pid or ""), what="the pair")
    else:
        assert service.classroom.participants[ben.id].room == p.room
    number = service.classroom.participants[classmate.pid or ""].seq
    audio: list[bytes] = []
    video: list[tuple[FrameHeader, bytes]] = []
    while len(audio) < 25 or len(video) < 8:
        message = await asyncio.wait_for(media.read_message(), 10.0)
        assert isinstance(message, bytes), message
        header = parse_header(message)
        if header.source != number:
            continue  # the other classmate, at the same table
        body = message[protocol.FRAME_HEADER_BYTES :]
        if header.kind == protocol.FRAME_KIND_AUDIO:
            audio.append(body)
        else:
            assert header.kind == protocol.FRAME_KIND_CAMERA
            video.append((header, body))
    media.close()
    # Real Opus, 20 ms a frame.
    opus = av.CodecContext.create("opus", "r")
    samples = sum(f.samples for b in audio for f in opus.decode(av.Packet(b)))
    assert samples == 960 * len(audio)
    # Real VP8 of one layer, from a key frame on, every frame decoded.
    assert video[0][0].key
    layer = video[0][0].layer
    vp8 = av.CodecContext.create("vp8", "r")
    sizes = {
        (f.width, f.height) for h, b in video if h.layer == layer for f in vp8.decode(av.Packet(b))
    }
    assert sizes == {(640, 360) if layer == 1 else (320, 180)}


async def test_they_leave_when_enough_people_come(visitor, jp_serverapp) -> None:
    demo = demo_of(jp_serverapp)
    assert demo is not None
    await until(lambda: len(demo.classmates) == 2, what="two demo classmates")
    ids = {c.pid for c in demo.classmates}
    ana = await visitor("ana")
    await visitor("ana")  # a second tab: still one person
    await visitor("ben")
    assert demo.class_started() is None
    await visitor("cy")
    assert demo.class_started() == "3 people are in the classroom"
    left: set[str | None] = set()
    while left != ids:
        message = await ana.expect("participant_left", timeout=10.0)
        left.add(message["participant_id"])
    assert demo.left == "3 people are in the classroom"
    assert not any(p.identity.demo for p in demo.service.classroom.participants.values())


async def test_they_leave_when_an_instructor_starts_breakouts(visitor, jp_serverapp) -> None:
    demo = demo_of(jp_serverapp)
    assert demo is not None
    await until(lambda: len(demo.classmates) == 2, what="two demo classmates")
    teacher = await visitor("teacher")
    await teacher.send(type="start_breakouts", mode="choose")
    await teacher.expect("ack")
    await until(lambda: demo.left is not None, what="the demo classmates to leave")
    assert demo.left == "an instructor started breakouts"
    await until(
        lambda: not any(p.identity.demo for p in demo.service.classroom.participants.values()),
        what="no demo classmate left in the classroom",
    )


async def test_a_greeting_in_the_class_chat_is_answered(visitor, jp_serverapp) -> None:
    demo = demo_of(jp_serverapp)
    assert demo is not None
    await until(lambda: len(demo.classmates) == 2, what="two demo classmates")
    ana = await visitor("ana")
    names = {c.pid: c.persona.name for c in demo.classmates}
    await ana.send(type="chat_send", channel="class", text="Hello everyone!")
    while True:
        chat = (await ana.expect("chat", timeout=10.0))["message"]
        if chat["sender"] in names and chat["text"].startswith("Hi "):
            break


@pytest.mark.parametrize("jp_server_config", [0], indirect=True)
async def test_zero_starts_none(visitor, jp_serverapp) -> None:
    assert demo_of(jp_serverapp) is None
    ana = await visitor("ana")
    assert ana.welcome is not None
    assert [p["id"] for p in ana.welcome["participants"]] == [ana.id]


def test_more_than_the_cap_is_clamped_with_a_log_line(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="jupyter_classroom.demo"):
        assert clamp_count(50) == MAX_DEMO_PARTICIPANTS
    assert "demo_participants=50 is more than 8" in caplog.text
    assert clamp_count(-1) == 0 and clamp_count(3) == 3
