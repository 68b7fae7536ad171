"""The rooms' media plan the SFU follows: who receives what in each room,
during a broadcast, and when a command says the plan changed."""

from __future__ import annotations

import random

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomError, ClassroomMap, ClassroomSettings

from .conftest import person
from .test_classroom import joined, place, walk


def test_room_media_plan(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0, media=True)
    b = joined(classroom, person("B"), 0, media=True)
    c = joined(classroom, person("C"), 0, media=True)
    d = joined(classroom, person("D"), 0, media=False)  # an older client: no conference
    e = joined(classroom, person("E"), 0, media=True)
    for p in (a, b, c, d):
        place(classroom, p.id, 800, 780)  # Table 5
    place(classroom, e.id, 300, 450)  # Table 1, alone
    classroom.set_presence(a.id, mic=True, camera=True)
    classroom.set_presence(b.id, mic=True, screen=True)
    classroom.set_presence(d.id, mic=True)
    plan = classroom.room_media()
    assert set(plan) == {a.id, b.id, c.id, e.id}
    assert plan[a.id].room == "table-5"
    assert plan[a.id].tracks == {(b.id, "microphone"), (b.id, "screen_share")}
    assert plan[c.id].tracks == {
        (a.id, "microphone"),
        (a.id, "camera"),
        (b.id, "microphone"),
        (b.id, "screen_share"),
    }
    assert plan[e.id].tracks == frozenset()
    # Muting stops the microphone reaching anyone; dropping leaves the conference.
    classroom.set_presence(a.id, mic=False)
    classroom.disconnect(b.id, 1)
    plan = classroom.room_media()
    assert b.id not in plan and plan[c.id].tracks == {(a.id, "camera")}
    # Coming back with a client without conferences stays out of them.
    classroom.join(person("B"), 2, resume=b.resume, media=False)
    assert b.id not in classroom.room_media()


def test_every_command_says_when_the_media_plan_changed(default_map: ClassroomMap) -> None:
    """Whatever happens, a command that changes the rooms' plan says so (the
    host then hands the new plan to the SFU; it never guesses)."""
    rng = random.Random(11)
    c = Classroom(default_map, ClassroomSettings(reconnect_grace=5), random.Random(3))
    spots = [(800, 780), (800, 450), (300, 450), (800, 640), (560, 905), (1310, 775)]
    now = 0.0
    for step in range(600):
        now += 1.0
        before = c.room_media()
        ids = sorted(c.participants)
        pid = rng.choice(ids) if ids else None
        action = rng.choice(
            ["join", "move", "move", "presence", "drop", "resume", "leave", "expire", "chat"]
        )
        try:
            if action == "join" or pid is None:
                effects = c.join(person(f"P{step}"), now, media=rng.random() < 0.8)
            elif action == "move":
                x, y = rng.choice(spots)
                p = c.participants[pid]
                # Far-off spots in one step: a long wait makes any distance walkable.
                p.moved_at = -1e6
                effects = c.move(pid, x, y, now)
            elif action == "presence":
                field = rng.choice(["mic", "camera", "screen", "hand", "status"])
                if field == "status":
                    status: protocol.Status = rng.choice(["busy", "available"])
                    effects = c.set_presence(pid, status=status)
                else:
                    on = rng.random() < 0.5
                    effects = c.set_presence(
                        pid,
                        mic=on if field == "mic" else None,
                        camera=on if field == "camera" else None,
                        screen=on if field == "screen" else None,
                        hand=on if field == "hand" else None,
                    )
            elif action == "drop":
                effects = c.disconnect(pid, now)
            elif action == "resume":
                p = c.participants[pid]
                effects = c.join(p.identity, now, resume=p.resume, media=rng.random() < 0.8)
            elif action == "leave":
                effects = c.leave(pid)
            elif action == "expire":
                effects = c.expire(now)
            else:
                effects = c.chat(pid, "class", "hello", None, now)
        except ClassroomError:
            assert c.room_media() == before  # a refused command changes nothing
            continue
        after = c.room_media()
        if after != before:
            assert effects.media_changed, (action, before, after)
        if action in ("chat",) or (action == "presence" and field in ("hand", "status")):
            assert not effects.media_changed
        c.flush(now)


def test_a_resumed_session_has_a_new_generation_in_the_plan(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0, media=True)
    place(classroom, a.id, 800, 780)  # Table 5
    first = classroom.room_media()[a.id].generation
    # Resuming over a half-open socket (still "online"): the plan changes all the same.
    effects = classroom.join(person("A"), 1, resume=a.resume, media=True)
    assert effects.participant is a and effects.media_changed
    assert classroom.room_media()[a.id].generation > first


def test_the_open_floor_keeps_a_room_connection_until_the_session_ends(
    classroom: Classroom,
) -> None:
    a = joined(classroom, person("A"), 0, media=True)
    b = joined(classroom, person("B"), 0, media=True)
    assert classroom.room_media() == {}  # nobody has been in a room: no connections
    t = walk(classroom, a.id, 800, 850, 0)  # onto Table 5 (y 680..870)
    assert classroom.room_media()[a.id].room == "table-5"
    effects = classroom.move(a.id, 800, 890, t + 1)  # off it, onto the floor
    assert effects.media_changed and classroom.room_media()[a.id].room is None
    # Moving about the floor, and the microphone there, change no plan.
    assert not classroom.move(a.id, 790, 890, t + 2).media_changed
    assert not classroom.set_presence(a.id, mic=True).media_changed
    assert not classroom.set_presence(b.id, camera=True).media_changed
    # A dropped socket ends the session's conference; so does leaving.
    assert classroom.disconnect(a.id, t + 3).media_changed and a.id not in classroom.room_media()
    effects = classroom.join(person("A"), t + 4, resume=a.resume, media=True)
    assert not effects.media_changed and a.id not in classroom.room_media()


def test_what_goes_through_the_media_socket(classroom: Classroom) -> None:
    """In a room, whoever uses the socket gets the room's tracks that way; on
    the open floor, a pair where either uses it gets each other's; nobody
    else gets anything through it."""
    a = joined(classroom, person("A"), 0, media=True)
    b = joined(classroom, person("B"), 0, media=True)
    c = joined(classroom, person("C"), 0, media=True)
    d = joined(classroom, person("D"), 0, media=True)
    e = joined(classroom, person("E"), 0, media=True)
    for p in (a, b, c):
        place(classroom, p.id, 800, 780)  # Table 5
    place(classroom, d.id, 330, 615)  # the open floor
    place(classroom, e.id, 430, 615)  # beside D
    for p in (a, b, c, d, e):
        classroom.set_presence(p.id, mic=True, camera=True)
    classroom.flush(1.0)
    assert classroom.paired(d.id, e.id)
    assert classroom.relayed_media() == {}

    effects = classroom.set_presence(a.id, transport="websocket")
    assert effects.media_changed
    updated = [o.message for o in effects.messages]
    assert updated[0].participant.transport == "websocket"  # type: ignore[attr-defined]
    relayed = classroom.relayed_media()
    assert relayed == {
        a.id: {(q.id, s) for q in (b, c) for s in ("microphone", "camera")},
    }
    # On the open floor both sides of the pair receive through the server.
    classroom.set_presence(e.id, transport="websocket")
    relayed = classroom.relayed_media()
    assert relayed[d.id] == {(e.id, "microphone"), (e.id, "camera")}
    assert relayed[e.id] == {(d.id, "microphone"), (d.id, "camera")}
    # A muted microphone goes nowhere; a pair that ends gets nothing more.
    classroom.set_presence(d.id, mic=False)
    assert classroom.relayed_media()[e.id] == {(d.id, "camera")}
    place(classroom, e.id, 1200, 615)
    classroom.flush(2.0)
    assert not classroom.paired(d.id, e.id)
    assert set(classroom.relayed_media()) == {a.id}


def test_a_participant_carries_its_number_and_transport(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0, media=True)
    b = joined(classroom, person("B"), 0, media=True)
    assert 0 < a.info().number < b.info().number < 2**32
    assert a.info().transport == "webrtc"
    # Saying the same again changes nothing and tells nobody.
    assert not classroom.set_presence(a.id, transport="webrtc").messages
