"""The demo classmates' script, without a server: where they walk, what they
answer, and their media as encoded loops."""

from __future__ import annotations

import math
import random

import av
import numpy as np
import pytest

from jupyter_classroom.cli import command
from jupyter_classroom.config import DEFAULT_MAP, load_map
from jupyter_classroom.demo import media
from jupyter_classroom.demo.script import (
    LINES,
    PERSONAS,
    next_stop,
    reply_to,
    step_towards,
)

RADIUS = 16.0


@pytest.fixture(scope="module")
def cmap():
    return load_map(DEFAULT_MAP)


def test_every_stop_is_reachable_in_a_straight_line_and_off_the_stage(cmap) -> None:
    rng = random.Random(7)
    here = cmap.spawn_point(RADIUS)
    rooms = set()
    for _ in range(200):
        stop = next_stop(cmap, rng, here, RADIUS)
        assert stop is not None
        assert not cmap.blocked(stop.x, stop.y, RADIUS)
        assert cmap.path_clear(here[0], here[1], stop.x, stop.y, RADIUS)
        room = cmap.room_at(stop.x, stop.y)
        assert (room.id if room else None) == stop.room
        assert room is None or room.kind == "table"
        assert stop.stay > 0
        rooms.add(stop.room)
        here = (stop.x, stop.y)
    # Both tables and the open floor, over a while.
    assert None in rooms and len(rooms) >= 4


def test_steps_are_at_most_the_distance_and_end_on_the_stop() -> None:
    here, to = (0.0, 0.0), (30.0, 40.0)
    path = []
    while here != to:
        nxt = step_towards(here, to, 12.0)
        assert math.dist(here, nxt) <= 12.0 + 0.2
        path.append(nxt)
        here = nxt
    assert len(path) == 5 and path[-1] == to


def answer(text: str, names: list[str], turn: int) -> tuple[int, str]:
    got = reply_to(text, "Zoe Q", names, turn)
    assert got is not None, text
    return got


def test_a_greeting_is_answered_by_whoever_is_named_or_whose_turn_it_is() -> None:
    names = ["Ada Byron", "Alan Turing"]
    assert answer("hello all", names, 0) == (0, answer("hi", names, 0)[1])
    who, text = answer("Good morning!", names, 3)
    assert who == 1 and text.startswith("Hi Zoe!")
    assert answer("hey alan, how are you?", names, 0)[0] == 1
    who, text = answer("Ada, are you a bot?", names, 1)
    assert who == 0 and "demo classmate" in text
    # Nothing asked of them: no answer (and "this" is not "hi").
    assert reply_to("this plot is wrong", "Zoe", names, 0) is None
    assert reply_to("hello", "Zoe", [], 0) is None
    # Jupyter's placeholder names are greeted whole.
    assert reply_to("hi", "Anonymous Io", names, 0) == (
        0,
        answer("hi", names, 0)[1].replace("Zoe", "Anonymous Io"),
    )


def test_personas_have_initials_the_picture_can_draw() -> None:
    for p in PERSONAS:
        assert all(c in media._FONT for c in p.initials)
    assert len(set(LINES)) == len(LINES)


def test_the_voice_is_opus_of_20_ms_frames_with_pauses() -> None:
    samples = media.voice(150.0, seconds=3.0)
    packets = media.encode_voice(samples)
    decoder = av.CodecContext.create("opus", "r")
    decoded = [f for p in packets for f in decoder.decode(av.Packet(p))]
    assert all(f.samples == media.AUDIO_FRAME for f in decoded)
    assert len(decoded) >= 3.0 / 0.02
    # Speech for two seconds, then a pause: louder frames and near-silent ones.
    levels = [float(np.abs(f.to_ndarray()).mean()) for f in decoded]
    assert max(levels[:100]) > 20 * (min(levels[110:145]) + 1e-3)


def test_the_picture_loops_with_key_frames_every_two_seconds() -> None:
    frames = media.encode_picture("#1971c2", "AT", (320, 180))
    assert len(frames) == media.VIDEO_FPS * media.VIDEO_SECONDS
    assert [i for i, (key, _) in enumerate(frames) if key] == [0, media.KEY_EVERY]
    # From a key frame in the middle of the loop, the rest decodes.
    decoder = av.CodecContext.create("vp8", "r")
    pictures = [
        f.to_ndarray(format="rgb24")
        for _, b in frames[media.KEY_EVERY :]
        for f in decoder.decode(av.Packet(b))
    ]
    assert len(pictures) == len(frames) - media.KEY_EVERY
    # It moves: two frames apart differ.
    assert abs(pictures[0].astype(int) - pictures[10].astype(int)).mean() > 1.0


def test_the_notebooks_roster_leaves_demo_classmates_out() -> None:
    import threading
    from types import SimpleNamespace

    from jupyter_classroom.client import Classroom

    people = {
        "me": {"id": "me", "user": "teacher", "name": "T"},
        "p1": {"id": "p1", "user": "ann", "name": "Ann", "demo": False},
        "d1": {"id": "d1", "user": "demo-classmate-1", "name": "Ada Byron", "demo": True},
    }
    c = Classroom.__new__(Classroom)
    c._conn = SimpleNamespace(  # type: ignore[assignment]
        lock=threading.Lock(), participants=people, you="me", closed=False
    )
    assert [p["user"] for p in c.roster] == ["ann"]


def test_jupyter_classroom_demo_runs_jupyterlab_with_the_setting() -> None:
    cmd = command(["demo", "--participants", "4", "--no-browser", "--port=9999"])
    assert cmd[1:] == [
        "-m",
        "jupyterlab",
        "--ClassroomApp.demo_participants=4",
        "--no-browser",
        "--port=9999",
    ]
    assert "--ClassroomApp.demo_leave_at=5" in command(["demo", "--leave-at", "5"])
    assert "--ClassroomApp.demo_participants=3" in command(["demo"])
