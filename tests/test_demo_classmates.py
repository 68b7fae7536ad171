"""A demo classmate's session and frames without a network: it joins through
a real ClassroomSession, and answers a key-frame request of the server's
with the nearest key frame of its loop."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomSettings
from jupyter_classroom.config import DEFAULT_MAP, load_map
from jupyter_classroom.demo import DemoClassmate, DemoClassmates
from jupyter_classroom.demo.media import KEY_EVERY, EncodedMedia
from jupyter_classroom.demo.script import PERSONAS
from jupyter_classroom.protocol.frames import FrameHeader, parse_header
from jupyter_classroom.server.service import ClassroomService
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
