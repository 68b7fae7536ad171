"""A demo classmate's session and frames without a network: it joins through
a real ClassroomSession, and answers a key-frame request of the server's
with the nearest key frame of its loop."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomSettings, Identity
from jupyter_classroom.config import DEFAULT_MAP, load_map
from jupyter_classroom.demo import DemoClassmate, DemoClassmates
from jupyter_classroom.demo.classmates import STROLL
from jupyter_classroom.demo.media import KEY_EVERY, EncodedMedia
from jupyter_classroom.demo.script import PERSONAS, step_towards
from jupyter_classroom.protocol.frames import FrameHeader, parse_header
from jupyter_classroom.server.service import ClassroomService
from jupyter_classroom.server.session import ClassroomSession
from jupyter_classroom.storage import ChatStore

from .harness import FakeClock


@pytest.fixture
def service(tmp_path: Path):
    classroom = Classroom(load_map(DEFAULT_MAP), ClassroomSettings(), random.Random(1))
    s = ClassroomService(classroom, ChatStore(str(tmp_path / "chat.sqlite")), clock=FakeClock())
    yield s
    s.store.close()


def loop_of(n: int = 2 * KEY_EVERY) -> list[tuple[bool, bytes]]:
    return [(i % KEY_EVERY == 0, b"frame %d" % i) for i in range(n)]


def test_a_classmate_joins_marked_with_its_media_on_the_socket(service, monkeypatch) -> None:
    director = DemoClassmates(service, 1)
    c = DemoClassmate(director, 0, PERSONAS[0])
    assert c.join()
    p = service.classroom.participants[c.pid]
    info = p.info()
    assert info.demo and info.name == PERSONAS[0].name and info.initials == PERSONAS[0].initials
    assert (p.transport, p.mic, p.camera) == ("websocket", True, True)
    assert service.relay.sinks[c.pid] is c.sink

    sent: list[tuple[FrameHeader, bytes]] = []
    monkeypatch.setattr(
        service.relay, "receive", lambda pid, frame: sent.append((parse_header(frame), frame[16:]))
    )
    monkeypatch.setattr(director, "wanted", lambda pid: True)
    c.media = EncodedMedia(audio=[b"a0", b"a1"], video={0: loop_of(), 1: loop_of()})
    clock = service.clock
    for _ in range(3):
        clock.advance(0.02)
        c.send_audio(clock())
    audio = [(h.sequence, h.key, body) for h, body in sent]
    assert audio == [(0, True, b"a0"), (1, True, b"a1"), (2, True, b"a0")]
    steps = [b.timestamp - a.timestamp for (a, _), (b, _) in zip(sent, sent[1:], strict=False)]
    assert steps == [20_000, 20_000]

    def video(n: int) -> list[tuple[int, bool, bytes]]:
        sent.clear()
        for _ in range(n):
            clock.advance(1 / 15)
            c.send_video(clock())
        return [(h.layer, h.key, body) for h, body in sent]

    assert video(2) == [(0, True, b"frame 0"), (1, True, b"frame 0")] + [
        (0, False, b"frame 1"),
        (1, False, b"frame 1"),
    ]
    video(18)  # at frame 20 of the loop
    # The server asks for a key frame (a viewer starts watching): it comes
    # from its session's key_frame message, as a page's would.
    service.relay.request_key_frame(c.pid, protocol.FRAME_KIND_CAMERA, 1)
    assert video(1) == [(0, True, b"frame 30"), (1, True, b"frame 30")]
    assert video(1) == [(0, False, b"frame 31"), (1, False, b"frame 31")]


def test_nobody_receiving_means_no_frames_and_leaving_frees_its_socket(
    service, monkeypatch
) -> None:
    director = DemoClassmates(service, 1)
    c = DemoClassmate(director, 0, PERSONAS[0])
    assert c.join()
    pid = c.pid
    sent: list[bytes] = []
    monkeypatch.setattr(service.relay, "receive", lambda pid, frame: sent.append(frame))
    c.media = EncodedMedia(audio=[b"a0"], video={0: loop_of(), 1: loop_of()})
    c.send_audio(service.clock())
    c.send_video(service.clock())
    assert sent == []  # alone: nobody receives it
    c.leave()
    assert c.gone and pid not in service.classroom.participants
    assert pid not in service.relay.sinks and pid not in service.sessions


def test_a_classmate_at_rest_waits_for_someone_coming_and_stays_while_they_talk(
    service,
) -> None:
    director = DemoClassmates(service, 1, rng=random.Random(3))
    c = DemoClassmate(director, 0, PERSONAS[0])
    assert c.join()
    director.classmates.append(c)
    classroom = service.classroom
    cmap, settings = classroom.map, classroom.settings
    radius, clock = settings.avatar_radius, service.clock
    me = classroom.participants[c.pid]
    # A visitor on the open floor 400 px away, with a clear way to the classmate.
    start = next(
        (round(me.x + 400 * math.cos(a), 1), round(me.y + 400 * math.sin(a), 1))
        for a in (i * math.pi / 12 for i in range(24))
        if 0 < me.x + 400 * math.cos(a) < cmap.width
        and 0 < me.y + 400 * math.sin(a) < cmap.height
        and cmap.room_at(me.x + 400 * math.cos(a), me.y + 400 * math.sin(a)) is None
        and cmap.path_clear(me.x, me.y, me.x + 400 * math.cos(a), me.y + 400 * math.sin(a), radius)
    )
    visitor = ClassroomSession(
        service,
        Identity.from_host("ana", "Ana"),
        lambda text: None,
        lambda code, why: None,
        clock=clock,
    )
    visitor.receive(
        protocol.encode(
            protocol.Join(
                protocol=protocol.PROTOCOL_VERSION,
                id=1,
                restore=protocol.Restore(x=start[0], y=start[1]),
            )
        )
    )
    ana = classroom.participants[visitor.pid]
    assert (ana.x, ana.y) == start

    def step(towards: tuple[float, float] | None) -> None:
        clock.advance(0.2)
        if towards is not None:
            x, y = step_towards((ana.x, ana.y), towards, settings.speed * 0.2)
            visitor.receive(protocol.encode(protocol.Move(x=x, y=y)))
        director._step(c, clock(), settings.speed * STROLL * 0.2, radius)

    c.stop, c.arrived, c.resting_until = None, clock(), clock() + 1.0
    # Her rest is over long before Ana arrives: it waits while she comes closer.
    while math.hypot(ana.x - me.x, ana.y - me.y) > settings.proximity_radius / 2:
        step((me.x, me.y))
        assert c.stop is None
    # Beside it, standing: it stays while she is there.
    for _ in range(20):
        step(None)
        assert c.stop is None
    # She walks back where she came from: once she is out of hearing, the
    # classmate walks on.
    apart = 0.0
    while c.stop is None:
        apart = math.hypot(ana.x - me.x, ana.y - me.y)
        step(start)
    assert apart > settings.proximity_radius - settings.speed * 0.2
    # Without anyone near or coming, a rest ends on time.
    while (ana.x, ana.y) != start:
        step(start)
    c.stop, c.arrived, c.resting_until = None, clock(), clock() + 1.0
    for _ in range(4):
        step(None)
    assert c.stop is None
    step(None)
    step(None)
    assert c.stop is not None
