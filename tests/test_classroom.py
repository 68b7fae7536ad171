"""The classroom core: joining, movement, rooms, proximity, presence, chat rules."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import (
    Classroom,
    ClassroomError,
    ClassroomMap,
    ClassroomSettings,
    Effects,
    Identity,
    Outgoing,
)
from jupyter_classroom.classroom.participant import Participant
from jupyter_classroom.protocol import ErrorCode

from .conftest import person

M = TypeVar("M")


@dataclass(frozen=True)
class Sent(Generic[M]):
    """An outgoing message of a known kind."""

    message: M
    to: frozenset[str] | None

    @property
    def told(self) -> frozenset[str]:
        """Those it goes to (it is not for everyone)."""
        assert self.to is not None
        return self.to


def messages(out: Effects | Iterable[Outgoing], kind: type[M]) -> list[Sent[M]]:
    """The messages of one kind in ``out``, in order."""
    if isinstance(out, Effects):
        out = out.messages
    return [Sent(o.message, o.to) for o in out if isinstance(o.message, kind)]


def joined(c: Classroom, identity: Identity, now: float, **kwargs: Any) -> Participant:
    """The participant a join brought in (or back)."""
    p = c.join(identity, now, **kwargs).participant
    assert p is not None
    return p


def both(effects: Effects) -> tuple[Participant, list[Outgoing]]:
    """A join's participant and messages."""
    assert effects.participant is not None
    return effects.participant, effects.messages


def chat_of(
    effects: Effects,
) -> tuple[protocol.ChatMessage, frozenset[str] | None, bool]:
    """A chat's message, recipients and whether it is kept."""
    assert len(effects.messages) == 1
    (out,) = messages(effects, protocol.Chat)
    assert effects.store is None or effects.store is out.message.message
    return out.message.message, out.to, effects.store is not None


def place(c: Classroom, pid: str, x: float, y: float) -> None:
    """Put a participant somewhere directly (tests only: real moves are checked)."""
    p = c.participants[pid]
    p.x, p.y = x, y
    room = c.map.room_at(x, y)
    p.room = room.id if room else None
    c._moved.add(pid)


def walk(c: Classroom, pid: str, x: float, y: float, t0: float, step: float = 20.0) -> float:
    """Walk in steps at walking speed; returns the time reached."""
    p = c.participants[pid]
    t = t0
    while (p.x, p.y) != (x, y):
        dx, dy = x - p.x, y - p.y
        d = (dx * dx + dy * dy) ** 0.5
        f = min(1.0, step / d)
        t += step / c.settings.speed
        c.move(pid, p.x + dx * f, p.y + dy * f, t)
    return t


def test_join_announces_to_the_others_and_welcomes(classroom: Classroom) -> None:
    alice, out = both(classroom.join(person("Alice"), 0))
    assert messages(out, protocol.ParticipantJoined)[0].to == frozenset()
    bob, out = both(classroom.join(person("Bob"), 0))
    news = messages(out, protocol.ParticipantJoined)[0]
    assert news.to == {alice.id} and news.message.participant.name == "Bob"
    w = classroom.welcome(bob.id, 3)
    assert w.you == bob.id and w.id == 3 and {p.id for p in w.participants} == {alice.id, bob.id}
    assert classroom.map.spawn.x <= bob.x <= classroom.map.spawn.x + classroom.map.spawn.width
    info = bob.info()
    assert info.initials == "BO" and info.color.startswith("#") and info.role == "student"


def test_same_user_twice_gets_a_suffix(classroom: Classroom) -> None:
    a = joined(classroom, person("Alice"), 0)
    b = joined(classroom, person("Alice"), 0)
    assert (a.name, b.name) == ("Alice", "Alice (2)") and a.id != b.id


def test_classroom_full(default_map: ClassroomMap) -> None:
    c = Classroom(default_map, ClassroomSettings(max_participants=2), random.Random(1))
    c.join(person("A"), 0)
    c.join(person("B"), 0)
    with pytest.raises(ClassroomError) as e:
        c.join(person("C"), 0)
    assert e.value.code == ErrorCode.CLASSROOM_FULL


def test_walls_block_and_speed_is_checked(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    place(classroom, a.id, 800, 330)  # just below the lectern (y 250..274)
    a.moved_at = 0
    with pytest.raises(ClassroomError) as e:
        classroom.move(a.id, 800, 230, 10)  # through the lectern
    assert e.value.code == ErrorCode.MOVE_BLOCKED
    assert (a.x, a.y) == (800, 330)  # nothing changed
    classroom.move(a.id, 900, 330, 10)  # along it is fine
    with pytest.raises(ClassroomError) as e:
        classroom.move(a.id, 1300, 330, 10.1)  # 400 px in 0.1 s
    assert e.value.code == ErrorCode.MOVE_BLOCKED
    with pytest.raises(ClassroomError) as e:
        classroom.move(a.id, 5000, 330, 100)
    assert e.value.code == ErrorCode.OUT_OF_BOUNDS
    assert len(classroom.correction(a.id).messages) == 1
    (fix,) = messages(classroom.correction(a.id), protocol.Positions)
    assert fix.to == {a.id} and fix.message.correction and fix.message.moves[0].x == 900


def test_entering_and_leaving_a_table_updates_everyone(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    classroom.join(person("B"), 0)
    t = walk(classroom, a.id, 600, 600, 0)
    assert a.room is None
    table = classroom.map.rooms_by_id["table-2"]  # x 650..950, y 360..550
    a.moved_at = t
    out = classroom.move(a.id, 660, 590, t + 1).messages
    assert out == [] and a.room is None
    out = classroom.move(a.id, 660, 540, t + 2).messages
    assert a.room == table.id
    (upd,) = messages(out, protocol.ParticipantUpdated)
    assert upd.to is None and upd.message.participant.room == "table-2"
    assert classroom.members("table-2") == {a.id}
    out = classroom.move(a.id, 640, 540, t + 3).messages
    assert a.room is None and messages(out, protocol.ParticipantUpdated)


def test_flush_sends_only_what_moved(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    joined(classroom, person("B"), 0)
    classroom.flush(0)
    assert classroom.flush(0.1).messages == []
    classroom.move(a.id, a.x + 5, a.y, 1)
    out = classroom.flush(1.05).messages
    (batch,) = messages(out, protocol.Positions)
    assert batch.to is None and [m.id for m in batch.message.moves] == [a.id]
    assert batch.message.t == 1050.0


def test_proximity_with_hysteresis(classroom: Classroom) -> None:
    r = classroom.settings.proximity_radius  # 150, dropped beyond 187.5
    a = joined(classroom, person("A"), 0)
    b = joined(classroom, person("B"), 0)
    place(classroom, a.id, 300, 620 - 300 + 300)
    place(classroom, a.id, 300, 300)
    place(classroom, b.id, 300 + r + 10, 300)
    classroom.flush(0)
    assert classroom.neighbours(a.id) == set()
    place(classroom, b.id, 300 + r - 1, 300)
    out = classroom.flush(1).messages
    assert classroom.neighbours(a.id) == {b.id} and classroom.neighbours(b.id) == {a.id}
    # Near on the open floor: they call each other.
    assert {next(iter(o.told)) for o in messages(out, protocol.PeerConnect)} == {a.id, b.id}
    place(classroom, b.id, 300 + r * 1.2, 300)  # between r and 1.25 r: kept
    out = classroom.flush(2).messages
    assert classroom.neighbours(a.id) == {b.id} and not messages(out, protocol.PeerDisconnect)
    place(classroom, b.id, 300 + r * 1.3, 300)  # beyond: dropped, the call ends
    out = classroom.flush(3).messages
    assert classroom.neighbours(a.id) == set() and classroom.neighbours(b.id) == set()
    assert {next(iter(o.told)) for o in messages(out, protocol.PeerDisconnect)} == {a.id, b.id}


def test_disconnect_resume_and_expire(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    b = joined(classroom, person("B"), 0)
    place(classroom, a.id, 400, 640)
    out = classroom.disconnect(a.id, 10).messages
    assert a.connection == "reconnecting"
    assert messages(out, protocol.ParticipantUpdated)[0].to == {b.id}
    back, out = both(classroom.join(person("A"), 12, resume=a.resume))
    assert back is a and (a.x, a.y) == (400, 640) and a.connection == "online"
    classroom.disconnect(a.id, 20)
    assert classroom.expire(20 + classroom.settings.reconnect_grace - 1).messages == []
    out = classroom.expire(20 + classroom.settings.reconnect_grace).messages
    assert a.id not in classroom.participants
    assert messages(out, protocol.ParticipantLeft)[0].message.participant_id == a.id
    # A resume token of someone who is gone, or of another user, makes a new participant.
    c = joined(classroom, person("A"), 60, resume=a.resume)
    assert c.id != a.id
    d = joined(classroom, person("Mallory"), 60, resume=b.resume)
    assert d is not b


def test_presence_changes_reach_everyone_once(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    out = classroom.set_presence(a.id, hand=True, status="busy").messages
    first = out[0].message
    assert out[0].to is None and isinstance(first, protocol.ParticipantUpdated)
    assert first.participant.hand is True
    assert classroom.set_presence(a.id, hand=True).messages == []


def test_chat_visibility_per_channel(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    b = joined(classroom, person("B"), 0)
    c = joined(classroom, person("C"), 0)
    place(classroom, a.id, 700, 400)  # table 2
    place(classroom, b.id, 720, 420)  # table 2, near A
    place(classroom, c.id, 1300, 400)  # table 3, far away
    classroom.flush(0)

    m, to, keep = chat_of(classroom.chat(a.id, "class", "  hello all ", None, 5))
    assert (m.text, to, keep, m.ts) == ("hello all", {a.id, b.id, c.id}, True, 5000)
    m, to, keep = chat_of(classroom.chat(a.id, "room", "table talk", None, 5))
    assert (to, keep, m.room) == ({a.id, b.id}, True, "table-2")
    m, to, keep = chat_of(classroom.chat(a.id, "nearby", "psst", None, 5))
    assert (to, keep) == ({a.id, b.id}, False)
    m, to, keep = chat_of(classroom.chat(a.id, "direct", "hi C", c.id, 5))
    assert (to, keep, m.to_user, m.to_name) == ({a.id, c.id}, True, "c", "C")

    place(classroom, a.id, 600, 620)  # open floor
    for args, code in [
        (("room", "x", None), ErrorCode.NOT_IN_ROOM),
        (("class", "   ", None), ErrorCode.EMPTY_TEXT),
        (("class", "x" * 4001, None), ErrorCode.TEXT_TOO_LONG),
        (("direct", "x", None), ErrorCode.BAD_MESSAGE),
        (("direct", "x", a.id), ErrorCode.BAD_MESSAGE),
        (("direct", "x", "nobody"), ErrorCode.UNKNOWN_PARTICIPANT),
        (("class", "x", b.id), ErrorCode.BAD_MESSAGE),
    ]:
        with pytest.raises(ClassroomError) as e:
            classroom.chat(a.id, *args, now=0)
        assert e.value.code == code, args


def test_open_floor_mesh_follows_proximity_and_rooms(classroom: Classroom) -> None:
    """A - B - C in a line: B calls both, A and C never; a room ends the calls."""
    a = joined(classroom, person("A"), 0)
    b = joined(classroom, person("B"), 0)
    c = joined(classroom, person("C"), 0)
    place(classroom, a.id, 300, 620)
    place(classroom, b.id, 420, 620)
    place(classroom, c.id, 540, 620)
    out = classroom.flush(1).messages
    connects = [({to}, o.message) for o in messages(out, protocol.PeerConnect) for to in o.told]
    pairs = {frozenset({next(iter(to)), m.peer}) for to, m in connects}
    assert pairs == {frozenset({a.id, b.id}), frozenset({b.id, c.id})}
    assert not classroom.paired(a.id, c.id)
    # One side offers, the other answers: the later arrival makes the offer.
    offers = {next(iter(to)): m.peer for to, m in connects if m.offerer}
    assert offers == {b.id: a.id, c.id: b.id}
    # Nothing is said again while nobody's pairing changes.
    place(classroom, a.id, 305, 620)
    assert not messages(classroom.flush(2), protocol.PeerConnect)
    # B steps onto Table 4 (x 140..440, y 680..870): both of B's calls end, once.
    place(classroom, b.id, 420, 700)
    out = classroom.flush(3).messages
    closes = {
        (to, o.message.peer) for o in messages(out, protocol.PeerDisconnect) for to in o.told
    }
    assert closes == {(a.id, b.id), (b.id, a.id), (b.id, c.id), (c.id, b.id)}
    assert not messages(classroom.flush(4), protocol.PeerDisconnect)


def test_someone_leaving_frees_a_call_for_those_who_stand_still(default_map) -> None:
    c = Classroom(default_map, ClassroomSettings(max_mesh_degree=1), random.Random(1))
    a, b, d = (joined(c, person(n), 0) for n in ("A", "B", "D"))
    place(c, a.id, 330, 615)
    place(c, b.id, 390, 615)
    place(c, d.id, 470, 615)
    c.flush(0)
    assert c.paired(a.id, b.id) and not c.paired(b.id, d.id)
    c.leave(b.id)
    # Nobody moves: the next tick pairs the two left.
    out = c.flush(1 / 15).messages
    assert c.paired(a.id, d.id)
    assert {to for o in messages(out, protocol.PeerConnect) for to in o.told} == {a.id, d.id}


def test_leaving_closes_the_calls(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    b = joined(classroom, person("B"), 0)
    place(classroom, a.id, 300, 620)
    place(classroom, b.id, 400, 620)
    classroom.flush(0)
    assert classroom.paired(a.id, b.id)
    out = classroom.leave(b.id).messages
    (close,) = messages(out, protocol.PeerDisconnect)
    assert close.to == {a.id} and close.message.peer == b.id


def test_a_full_room_refuses_newcomers_but_not_instructors(default_map: ClassroomMap) -> None:
    c = Classroom(
        default_map,
        ClassroomSettings(room_capacities={"table-5": 2}, room_capacity=3),
        random.Random(2),
    )
    ids = [joined(c, person(n), 0).id for n in ("A", "B", "C")]
    t = 0.0
    for pid in ids[:2]:
        t = walk(c, pid, 800, 780, t)  # into Table 5 (650..950 x 680..870)
    c_before = (c.participants[ids[2]].x, c.participants[ids[2]].y)
    with pytest.raises(ClassroomError) as e:
        walk(c, ids[2], 800, 780, t)
    assert e.value.code == ErrorCode.ROOM_FULL
    assert e.value.message == "Table 5 is full (2 people): try another room."
    me = c.participants[ids[2]]
    assert me.room is None and (me.x, me.y) != c_before  # walked up to the edge, not in
    # Walking within the room is fine for those inside.
    walk(c, ids[0], 760, 760, t)
    # The instructor can always join a table to help.
    prof = joined(c, person("Prof", role="instructor"), t)
    walk(c, prof.id, 800, 780, t)
    assert prof.room == "table-5" and len(c.members("table-5")) == 3
    # Capacities in force: configured by id, from the map, the default.
    rooms = {r.id: r.capacity for r in c.map_info().rooms}
    assert rooms["table-5"] == 2 and rooms["table-1"] == 8 and rooms["stage"] == 100
    assert Classroom(default_map).capacity("table-1") == 8


# -- spawning and coming back after a restart --------------------------------


def test_people_arriving_together_spread_out(classroom: Classroom) -> None:
    r = classroom.settings.avatar_radius
    people = [joined(classroom, person(f"P{i}"), 0.0) for i in range(40)]
    spots = [(p.x, p.y) for p in people]
    for i, a in enumerate(spots):
        assert not classroom.map.blocked(*a, r)
        assert classroom.map.room_at(*a) is None  # nobody lands in a table's call
        for b in spots[i + 1 :]:
            assert math.dist(a, b) >= 2 * r
    # The first ones appear in the spawn area, by the door.
    s = classroom.map.spawn
    assert s.x <= people[0].x <= s.x + s.width and s.y <= people[0].y <= s.y + s.height
    # The same classroom gives the same spots: no chance involved.
    again = Classroom(classroom.map, ClassroomSettings(), random.Random(99))
    assert [(p.x, p.y) for p in (joined(again, person(f"P{i}"), 0.0) for i in range(40))] == spots


def restore(
    x: float,
    y: float,
    *,
    status: protocol.Status | None = None,
    hand: bool | None = None,
    mic: bool | None = None,
    camera: bool | None = None,
    screen: bool | None = None,
) -> protocol.Restore:
    return protocol.Restore(
        x=x, y=y, status=status, hand=hand, mic=mic, camera=camera, screen=screen
    )


def test_a_restated_place_and_presence_are_taken_back(classroom: Classroom) -> None:
    effects = classroom.join(
        person("Ada"),
        0.0,
        resume="from-before-the-restart",
        media=True,
        restore=restore(800, 450, status="busy", hand=True, mic=True, camera=True),
    )
    p = effects.participant
    assert p is not None
    assert (p.x, p.y, p.room) == (800, 450, "table-2")
    assert (p.status, p.hand, p.mic, p.camera, p.screen) == ("busy", True, True, True, False)
    assert not [o for o in effects.messages if isinstance(o.message, protocol.Error)]
    # Everyone learns it at once, and the table's call hears the microphone.
    (news,) = messages(effects, protocol.ParticipantJoined)
    told = news.message.participant
    assert told.hand and told.mic and told.room == "table-2"
    assert effects.media_changed
    b = joined(classroom, person("Bob"), 0.0, media=True, restore=restore(700, 450))
    assert classroom.room_media()[b.id].tracks == frozenset(
        {(p.id, "microphone"), (p.id, "camera")}
    )


@pytest.mark.parametrize(
    "x, y, why",
    [
        (790, 260, "wall"),  # the lectern
        (5000, 100, "outside the map"),
        (4, 4, "outside the map"),
    ],
)
def test_a_restated_place_that_cannot_be_had_is_refused(
    classroom: Classroom, x: float, y: float, why: str
) -> None:
    effects = classroom.join(person("Ada"), 0.0, restore=restore(x, y, hand=True))
    p = effects.participant
    assert p is not None
    (error,) = messages(effects, protocol.Error)
    assert error.to == frozenset({p.id})
    assert error.message.code == ErrorCode.PLACE_REFUSED
    assert why in error.message.message and "entrance" in error.message.message
    # Spawned as usual, the rest restored all the same.
    s = classroom.map.spawn
    assert s.x <= p.x <= s.x + s.width and s.y <= p.y <= s.y + s.height
    assert p.hand


def test_a_restated_place_in_a_full_room_is_refused_except_for_instructors(default_map) -> None:
    classroom = Classroom(
        default_map, ClassroomSettings(room_capacities={"table-1": 2}), random.Random(1)
    )
    for name, x in (("A", 200), ("B", 260)):
        assert joined(classroom, person(name), 0.0, restore=restore(x, 450)).room == "table-1"
    effects = classroom.join(person("C"), 0.0, restore=restore(320, 450))
    (error,) = [o.message for o in effects.messages if isinstance(o.message, protocol.Error)]
    assert error.code == ErrorCode.PLACE_REFUSED and "Table 1 is full" in error.message
    assert effects.participant is not None and effects.participant.room is None
    teacher = joined(classroom, person("T", "instructor"), 0.0, restore=restore(380, 450))
    assert teacher.room == "table-1"


def test_a_resumed_session_keeps_its_place_and_takes_the_presence(classroom: Classroom) -> None:
    p = joined(classroom, person("Ada"), 0.0)
    before = (p.x, p.y)
    classroom.disconnect(p.id, 1.0)
    effects = classroom.join(
        person("Ada"), 2.0, resume=p.resume, restore=restore(800, 450, mic=True, hand=True)
    )
    assert effects.participant is p
    assert (p.x, p.y) == before  # the server's place wins when it knows it
    assert p.mic and p.hand  # the client's devices are what they are


def test_a_crowd_whose_grace_is_over_leaves_over_the_next_ticks(default_map) -> None:
    c = Classroom(
        default_map, ClassroomSettings(reconnecting_deliveries_per_tick=100), random.Random(1)
    )
    ids = [joined(c, person(f"P{i}"), 0).id for i in range(30)]
    for pid in ids[5:]:
        c.disconnect(pid, 1.0)
    later = 1.0 + c.settings.reconnect_grace
    gone: list[str] = []
    for tick in range(20):
        # A tick, as the service runs it: the flush, then who expired.
        now = later + tick / 15
        out = c.flush(now).messages + c.expire(now).messages
        # Removed at once: nobody new hears of them.
        assert set(c.participants) == set(ids[:5])
        news = messages(out, protocol.ParticipantLeft)
        left = [o.message.participant_id for o in news]
        assert all(o.to == frozenset(ids[:5]) for o in news)
        # Bounded news (messages times recipients), never stuck (from the
        # tick after they expired).
        assert sum(len(o.told) for o in news) <= 100 and (left or tick == 0 or len(gone) == 25)
        gone += left
    assert gone == ids[5:]


def test_a_class_leaving_at_the_bell_is_told_over_the_next_ticks(default_map) -> None:
    c = Classroom(
        default_map, ClassroomSettings(reconnecting_deliveries_per_tick=100), random.Random(1)
    )
    ids = [joined(c, person(f"P{i}"), 0).id for i in range(30)]
    c.flush(0.0)
    told: list[str] = []
    for pid in ids[10:]:
        out = c.leave(pid).messages
        told += [o.message.participant_id for o in messages(out, protocol.ParticipantLeft)]
    # The budget had room for the first few (29 + 28 + 27 recipients).
    assert told == ids[10:13] and set(c.participants) == set(ids[:10])
    # A newcomer's welcome does not list them, nor can they take their ids.
    newcomer = joined(c, person("Late"), 0.1).id
    assert newcomer not in ids
    assert {q.id for q in c.welcome(newcomer).participants} == set(ids[:10]) | {newcomer}
    for tick in range(1, 20):
        news = messages(c.flush(tick / 15), protocol.ParticipantLeft)
        assert sum(len(o.told) for o in news) <= 100 and all(
            o.to == frozenset(c.participants) for o in news
        )
        told += [o.message.participant_id for o in news]
    assert told == ids[10:]
