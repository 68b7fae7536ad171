"""The instructor's powers in the classroom core: hands, muting, locks,
announcements, locked rooms, summoning, breakouts, and every refusal."""

from __future__ import annotations

import copy
import random

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import (
    Classroom,
    ClassroomError,
    ClassroomMap,
    ClassroomSettings,
    Effects,
    Room,
)
from jupyter_classroom.classroom.breakouts import BREAKOUT_WARNING
from jupyter_classroom.protocol import ErrorCode

from .conftest import person
from .test_classroom import joined, place, walk
from .test_classroom import messages as of


def state_of(effects: Effects) -> protocol.ClassState:
    (update,) = of(effects, protocol.ClassUpdated)
    assert update.to is None  # everyone sees what the instructors set
    return update.message.state


@pytest.fixture
def cls(classroom: Classroom):
    """An instructor and three students, all with room media."""
    teacher = joined(classroom, person("Tess", "instructor"), 0, media=True)
    students = [joined(classroom, person(n), 0, media=True) for n in ("Ann", "Ben", "Cat")]
    return classroom, teacher, students


def snapshot(c: Classroom) -> tuple:
    t = c.teaching
    people = {
        p.id: (p.x, p.y, p.room, p.hand, p.mic, p.camera, p.screen)
        for p in c.participants.values()
    }
    return (
        people,
        copy.deepcopy(vars(t.locks)),
        t.hands,
        set(t.locked_rooms),
        t.announcement,
        t.breakout,
    )


# -- refusals ---------------------------------------------------------------------


def test_every_power_is_refused_to_a_student_and_changes_nothing(cls) -> None:
    c, _teacher, (ann, ben, _) = cls
    c.set_presence(ben.id, hand=True, mic=True, now=0)
    t = c.teaching
    powers = [
        lambda: t.lower_hand(ann.id, ben.id, 1),
        lambda: t.lower_hand(ann.id, None, 1),
        lambda: t.mute(ann.id, ben.id, 1),
        lambda: t.mute(ann.id, None, 1),
        lambda: t.set_locks(ann.id, 1, mic=True, chat=True),
        lambda: t.announce(ann.id, "Free pizza", 1, 1),
        lambda: t.lock_room(ann.id, "table-1", True, 1),
        lambda: t.summon(ann.id, [ben.id], "me", 1),
        lambda: t.summon(ann.id, None, "stage", 1),
        lambda: t.start_breakouts(ann.id, "random", 1),
        lambda: t.start_breakouts(ann.id, "groups", 1, groups=[["ben"]]),
        lambda: t.end_breakouts(ann.id, 1),
    ]
    before = snapshot(c)
    for power in powers:
        with pytest.raises(ClassroomError) as e:
            power()
        assert e.value.code == ErrorCode.FORBIDDEN
        assert snapshot(c) == before


def test_bad_input_gets_stable_codes(cls) -> None:
    c, teacher, (_ann, *_) = cls
    t = c.teaching
    cases = [
        (lambda: t.lock_room(teacher.id, "no-such-room", True, 1), ErrorCode.UNKNOWN_ROOM),
        (lambda: t.mute(teacher.id, "nobody", 1), ErrorCode.UNKNOWN_PARTICIPANT),
        (lambda: t.lower_hand(teacher.id, "nobody", 1), ErrorCode.UNKNOWN_PARTICIPANT),
        (lambda: t.summon(teacher.id, ["nobody"], "stage", 1), ErrorCode.UNKNOWN_PARTICIPANT),
        (lambda: t.start_breakouts(teacher.id, "random", 1, tables=0), ErrorCode.NO_TABLES),
        (lambda: t.start_breakouts(teacher.id, "random", 1, tables=7), ErrorCode.NO_TABLES),
        (
            lambda: t.start_breakouts(teacher.id, "groups", 1, groups=[["ann"]] * 7),
            ErrorCode.NO_TABLES,
        ),
        (lambda: t.start_breakouts(teacher.id, "groups", 1, groups=[]), ErrorCode.BAD_MESSAGE),
        (lambda: t.start_breakouts(teacher.id, "random", 1, minutes=0), ErrorCode.BAD_MESSAGE),
        (lambda: t.start_breakouts(teacher.id, "random", 1, minutes=-5), ErrorCode.BAD_MESSAGE),
        (lambda: t.end_breakouts(teacher.id, 1), ErrorCode.NO_BREAKOUTS),
    ]
    before = snapshot(c)
    for command, code in cases:
        with pytest.raises(ClassroomError) as e:
            command()
        assert e.value.code == code, command
        assert snapshot(c) == before


# -- hands ------------------------------------------------------------------------


def test_hands_queue_in_the_order_raised_and_instructors_lower_one_or_all(cls) -> None:
    c, teacher, (ann, ben, cat) = cls
    assert state_of(c.set_presence(ben.id, hand=True, now=1)).hands == [ben.id]
    c.set_presence(ann.id, hand=True, now=2)
    c.set_presence(cat.id, hand=True, now=3)
    assert c.teaching.hands == [ben.id, ann.id, cat.id]
    # Raising it again keeps the place; lowering one's own hand leaves the queue.
    assert c.set_presence(ben.id, hand=True, now=4).messages == []
    assert state_of(c.set_presence(ann.id, hand=False, now=5)).hands == [ben.id, cat.id]
    c.set_presence(ann.id, hand=True, now=6)
    assert c.teaching.hands == [ben.id, cat.id, ann.id]

    effects = c.teaching.lower_hand(teacher.id, cat.id, 7)
    assert not cat.hand and c.teaching.hands == [ben.id, ann.id]
    (upd,) = of(effects, protocol.ParticipantUpdated)
    assert upd.message.participant.id == cat.id and not upd.message.participant.hand

    c.leave(ben.id)
    assert c.teaching.hands == [ann.id]
    c.set_presence(cat.id, hand=True, now=7)
    effects = c.teaching.lower_hand(teacher.id, None, 8)
    assert c.teaching.hands == [] and not ann.hand and not cat.hand
    assert state_of(effects).hands == []  # one update for all of them
    assert len(of(effects, protocol.ParticipantUpdated)) == 2


# -- muting and locks -------------------------------------------------------------------


def test_mute_one_tells_them_and_stops_their_microphone_in_the_room(cls) -> None:
    c, teacher, (ann, ben, _) = cls
    place(c, ann.id, 800, 150)  # the stage
    place(c, ben.id, 820, 150)
    c.set_presence(ann.id, mic=True, now=0)
    assert (ann.id, "microphone") in c.room_media()[ben.id].tracks
    effects = c.teaching.mute(teacher.id, ann.id, 1)
    assert not ann.mic and effects.media_changed
    assert (ann.id, "microphone") not in c.room_media()[ben.id].tracks
    (muted,) = of(effects, protocol.Muted)
    assert muted.to == {ann.id} and muted.message == protocol.Muted(by=teacher.id, locked=False)
    # Not locked: she may speak again.
    c.set_presence(ann.id, mic=True, now=2)
    assert ann.mic


def test_mute_all_reaches_every_student_but_not_the_instructors(cls) -> None:
    c, teacher, students = cls
    for p in (teacher, *students[1:]):
        c.set_presence(p.id, mic=True, now=0)
    effects = c.teaching.mute(teacher.id, None, 1)
    assert teacher.mic and not any(s.mic for s in students)
    # Told: those whose microphone was on.
    told = {next(iter(m.told)) for m in of(effects, protocol.Muted)}
    assert told == {s.id for s in students[1:]}
    # Muting one person tells them even if it was off already.
    (muted,) = of(c.teaching.mute(teacher.id, students[0].id, 2), protocol.Muted)
    assert muted.to == {students[0].id}


def test_locks_turn_things_off_refuse_them_and_unlock(cls) -> None:
    c, teacher, (ann, _ben, _) = cls
    c.set_presence(ann.id, mic=True, camera=True, screen=True, now=0)
    c.set_presence(teacher.id, mic=True, camera=True, now=0)
    effects = c.teaching.set_locks(teacher.id, 1, mic=True, camera=True, screen=True)
    state = state_of(effects)
    assert state.locks == protocol.Locks(mic=True, camera=True, screen=True, chat=False)
    assert (ann.mic, ann.camera, ann.screen) == (False, False, False)
    assert teacher.mic and teacher.camera  # instructors are not locked
    (muted,) = [m for m in of(effects, protocol.Muted) if m.to == {ann.id}]
    assert muted.message.locked
    for field in ("mic", "camera", "screen"):
        with pytest.raises(ClassroomError) as e:
            c.set_presence(ann.id, now=2, **{field: True})
        assert e.value.code == ErrorCode.LOCKED
    assert (ann.mic, ann.camera, ann.screen) == (False, False, False)
    # A presence change that does not turn a locked thing on is fine.
    c.set_presence(ann.id, hand=True, mic=False, now=2)
    # Locking what is locked changes nothing.
    assert c.teaching.set_locks(teacher.id, 3, mic=True).messages == []
    state = state_of(c.teaching.set_locks(teacher.id, 4, mic=False))
    assert state.locks.camera and not state.locks.mic
    c.set_presence(ann.id, mic=True, now=5)
    assert ann.mic


def test_locked_chat_refuses_students_except_to_an_instructor(cls) -> None:
    c, teacher, (ann, ben, _) = cls
    c.teaching.set_locks(teacher.id, 1, chat=True)
    for channel, to in (("class", None), ("nearby", None), ("direct", ben.id)):
        with pytest.raises(ClassroomError) as e:
            c.chat(ann.id, channel, "hi", to, 1)
        assert e.value.code == ErrorCode.LOCKED
    c.chat(ann.id, "direct", "I am stuck", teacher.id, 1)
    c.chat(teacher.id, "class", "Quiet please", None, 1)
    c.teaching.set_locks(teacher.id, 2, chat=False)
    c.chat(ann.id, "class", "hi", None, 2)


def test_announcement_is_kept_replaced_and_cleared(cls) -> None:
    c, teacher, _ = cls
    state = state_of(c.teaching.announce(teacher.id, "  Quiz at 3pm  ", 1, 1700000000.0))
    assert state.announcement == protocol.Announcement(
        text="Quiz at 3pm", sender=teacher.id, sender_name="Tess", ts=1700000000000
    )
    assert c.teaching.state(2).announcement.text == "Quiz at 3pm"  # late joiners get it
    moved = state_of(c.teaching.announce(teacher.id, "Quiz moved", 3, 1)).announcement
    assert moved is not None and moved.text == "Quiz moved"
    assert state_of(c.teaching.announce(teacher.id, " ", 4, 1)).announcement is None
    assert c.teaching.announce(teacher.id, None, 5, 1).messages == []


def test_a_locked_room_keeps_students_out_but_not_instructors(cls) -> None:
    c, teacher, (ann, ben, _) = cls
    place(c, ben.id, 700, 400)  # at table-2
    assert state_of(c.teaching.lock_room(teacher.id, "table-2", True, 0)).locked_rooms == [
        "table-2"
    ]
    assert ben.room == "table-2"  # those inside stay
    t = walk(c, ann.id, 600, 580, 0)
    ann.moved_at = t
    with pytest.raises(ClassroomError) as e:
        walk(c, ann.id, 660, 540, t)
    assert e.value.code == ErrorCode.ROOM_LOCKED and ann.room is None
    walk(c, teacher.id, 600, 580, 0)
    walk(c, teacher.id, 660, 540, 100)
    assert teacher.room == "table-2"
    assert c.teaching.lock_room(teacher.id, "table-2", True, 1).messages == []
    c.teaching.lock_room(teacher.id, "table-2", False, 2)
    walk(c, ann.id, 660, 540, 200)
    assert ann.room == "table-2"


# -- moving people -----------------------------------------------------------------------


def test_summon_everyone_to_the_stage_puts_them_on_free_walkable_spots(cls) -> None:
    c, teacher, students = cls
    c.flush(0)
    effects = c.teaching.summon(teacher.id, None, "stage", 1)
    r = c.settings.avatar_radius
    spots = [(s.x, s.y) for s in students]
    for s in students:
        assert s.room == "stage" and not c.map.blocked(s.x, s.y, r)
        (fix,) = [m for m in of(effects, protocol.Positions) if m.to == {s.id}]
        assert fix.message.correction and fix.message.moves == [s.position()]
        assert effects.entered[s.id] == "stage"
    assert teacher.room is None  # the one who summons stays
    for i, a in enumerate(spots):
        for b in spots[i + 1 :]:
            assert (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= (2 * r) ** 2
    assert effects.media_changed and all(s.id in c.room_media() for s in students)
    assert {m.message.kind for m in of(effects, protocol.Notice)} == {"summoned"}
    # Everyone else sees them in the next batch.
    (batch,) = of(c.flush(2), protocol.Positions)
    assert {m.id for m in batch.message.moves} == {s.id for s in students}


def test_summon_one_next_to_the_instructor_in_their_room(cls) -> None:
    c, teacher, (ann, ben, _) = cls
    place(c, teacher.id, 300, 450)  # table-1
    c.teaching.lock_room(teacher.id, "table-1", True, 0)  # a summons goes past locks
    c.teaching.summon(teacher.id, [ann.id], "me", 1)
    assert ann.room == "table-1" and not c.map.blocked(ann.x, ann.y, c.settings.avatar_radius)
    d = ((ann.x - teacher.x) ** 2 + (ann.y - teacher.y) ** 2) ** 0.5
    assert 2 * c.settings.avatar_radius <= d <= c.settings.proximity_radius
    # On the open floor, next to them is within hearing.
    place(c, teacher.id, 800, 620)
    c.teaching.summon(teacher.id, [ben.id], "me", 2)
    assert ben.room is None
    assert ((ben.x - 800) ** 2 + (ben.y - 620) ** 2) ** 0.5 <= c.settings.proximity_radius
    # A summoned student walks on from there (no jump refused).
    c.move(ben.id, ben.x + 5, ben.y, 2.1)


# -- breakouts -------------------------------------------------------------------------------


def test_random_breakouts_spread_students_over_the_tables(classroom: Classroom) -> None:
    c = classroom
    teacher = joined(c, person("Tess", "instructor"), 0)
    students = [joined(c, person(f"S{i}"), 0) for i in range(7)]
    effects = c.teaching.start_breakouts(teacher.id, "random", 1, tables=3)
    state = state_of(effects)
    assert state.breakout == protocol.Breakout(
        mode="random", tables=["table-1", "table-2", "table-3"]
    )
    counts = {t: len(c.members(t)) for t in state.breakout.tables}
    assert sorted(counts.values()) == [2, 2, 3] and teacher.room is None
    notices = of(effects, protocol.Notice)
    assert {n.message.room for n in notices} == {"table-1", "table-2", "table-3"}
    assert all(n.message.room == c.participants[next(iter(n.told))].room for n in notices)
    assert all(effects.entered[s.id] == s.room for s in students)


def test_breakouts_by_groups_and_an_instructor_drops_into_a_full_locked_table(cls) -> None:
    c, teacher, (ann, ben, cat) = cls
    c.settings.room_capacities["table-2"] = 1
    c.teaching.start_breakouts(teacher.id, "groups", 1, groups=[["ann", "absent"], ["ben", "cat"]])
    assert (ann.room, ben.room, cat.room) == ("table-1", "table-2", "table-2")
    c.teaching.lock_room(teacher.id, "table-2", True, 1)
    walk(c, teacher.id, 600, 580, 0)
    walk(c, teacher.id, 660, 540, 100)
    assert teacher.room == "table-2"


def test_choose_breakouts_move_nobody(cls) -> None:
    c, teacher, students = cls
    before = [(s.x, s.y) for s in students]
    effects = c.teaching.start_breakouts(teacher.id, "choose", 1)
    assert [(s.x, s.y) for s in students] == before
    (notice,) = of(effects, protocol.Notice)
    assert notice.to == {s.id for s in students}


def test_the_timer_warns_a_minute_before_and_brings_everyone_back_to_the_stage(cls) -> None:
    c, teacher, _students = cls
    c.teaching.start_breakouts(teacher.id, "random", 100.0, tables=2, minutes=5)
    assert c.teaching.state(160.0).breakout.seconds_left == 240.0
    assert c.teaching.tick(100.0 + 300 - BREAKOUT_WARNING - 1).messages == []
    effects = c.teaching.tick(100.0 + 300 - BREAKOUT_WARNING)
    breakout = state_of(effects).breakout
    assert breakout is not None and breakout.warned
    (warning,) = of(effects, protocol.Notice)
    assert warning.to is None and warning.message.kind == "breakout_warning"
    assert c.teaching.tick(390).messages == []  # warned once
    effects = c.teaching.tick(400.0)
    assert state_of(effects).breakout is None
    assert all(p.room == "stage" for p in c.participants.values())
    assert {n.message.kind for n in of(effects, protocol.Notice)} == {"breakout_ended"}
    assert c.teaching.tick(500).messages == []


def test_ending_breakouts_early(cls) -> None:
    c, teacher, _students = cls
    c.teaching.start_breakouts(teacher.id, "random", 0, minutes=10)
    effects = c.teaching.end_breakouts(teacher.id, 5)
    assert state_of(effects).breakout is None
    assert all(p.room == "stage" for p in c.participants.values())


# -- the broadcast ------------------------------------------------------------------------


def test_a_broadcast_reaches_everyone_through_the_sfu_and_ends_when_stopped(cls) -> None:
    c, teacher, (ann, ben, cat) = cls
    place(c, teacher.id, 800, 150)  # the stage
    place(c, ann.id, 300, 450)  # table-1
    place(c, ben.id, 320, 450)
    # cat stands on the open floor and never stood in a room: no room connection.
    c.set_presence(teacher.id, mic=True, camera=True, now=0)
    c.set_presence(ann.id, mic=True, now=0)
    c.set_presence(ben.id, mic=True, now=0)
    assert cat.id not in c.room_media()
    effects = c.teaching.set_broadcast(teacher.id, True, 1)
    assert effects.media_changed and state_of(effects).broadcast == protocol.Broadcast(
        by=teacher.id, floor=[]
    )
    plan = c.room_media()
    live = {(teacher.id, "microphone"), (teacher.id, "camera")}
    assert plan[cat.id].tracks == live and plan[cat.id].room is None
    assert plan[ann.id].tracks == live | {(ben.id, "microphone")}  # their table still talks
    assert plan[teacher.id].tracks == frozenset()  # the stage is empty but for her
    # Someone who joins while it runs gets it.
    dan = c.join(person("Dan"), 2, media=True)
    assert dan.media_changed and c.room_media()[dan.participant.id].tracks == live
    # The instructor's camera goes off: everyone's plan follows.
    assert c.set_presence(teacher.id, camera=False, now=3).media_changed
    assert c.room_media()[cat.id].tracks == {(teacher.id, "microphone")}

    # The floor: a student with a raised hand speaks to everyone.
    c.set_presence(ann.id, hand=True, now=4)
    effects = c.teaching.give_floor(teacher.id, ann.id, True, 5)
    assert effects.media_changed and not ann.hand and c.teaching.hands == []
    state = state_of(effects)
    assert state.broadcast is not None
    assert state.broadcast.floor == [ann.id] and state.hands == []
    assert (ann.id, "microphone") in c.room_media()[cat.id].tracks
    assert (ann.id, "microphone") in c.room_media()[teacher.id].tracks
    effects = c.teaching.give_floor(teacher.id, ann.id, False, 6)
    assert (ann.id, "microphone") not in c.room_media()[cat.id].tracks
    # With microphones locked, the one given the floor may still speak.
    c.teaching.set_locks(teacher.id, 6, mic=True)
    c.teaching.give_floor(teacher.id, ann.id, True, 6)
    c.set_presence(ann.id, mic=True, now=6)
    assert (ann.id, "microphone") in c.room_media()[cat.id].tracks
    with pytest.raises(ClassroomError):
        c.set_presence(ben.id, mic=True, now=6)
    c.teaching.give_floor(teacher.id, ann.id, False, 6)
    c.teaching.set_locks(teacher.id, 6, mic=False)
    c.set_presence(ben.id, mic=True, now=6)  # the lock turned it off

    effects = c.teaching.set_broadcast(teacher.id, False, 7)
    assert effects.media_changed and state_of(effects).broadcast is None
    # Cat keeps the connection the broadcast opened, receiving nothing.
    assert c.room_media()[cat.id].tracks == frozenset()
    assert c.room_media()[ann.id].tracks == {(ben.id, "microphone")}
    assert c.teaching.set_broadcast(teacher.id, False, 8).messages == []


def test_a_broadcast_ends_when_the_broadcaster_leaves(cls) -> None:
    c, teacher, (_ann, _, cat) = cls
    c.set_presence(teacher.id, mic=True, now=0)
    c.teaching.set_broadcast(teacher.id, True, 1)
    assert (teacher.id, "microphone") in c.room_media()[cat.id].tracks
    effects = c.leave(teacher.id)
    assert effects.media_changed and c.teaching.broadcast is None
    assert state_of(effects).broadcast is None
    assert c.room_media()[cat.id].tracks == frozenset()


def test_a_notebook_starts_the_broadcast_of_its_users_browser(cls) -> None:
    c, teacher, (_ann, *_) = cls
    notebook = joined(c, person("Tess", "instructor"), 0)  # no media
    c.teaching.set_broadcast(notebook.id, True, 1)
    assert c.teaching.broadcast.by == teacher.id
    c.leave(teacher.id)
    with pytest.raises(ClassroomError) as e:
        c.teaching.set_broadcast(notebook.id, True, 2)
    assert e.value.code == ErrorCode.NO_CONNECTION


def test_broadcast_refusals(cls) -> None:
    c, teacher, (ann, ben, _) = cls
    before = snapshot(c)
    for command, code in (
        (lambda: c.teaching.set_broadcast(ann.id, True, 1), ErrorCode.FORBIDDEN),
        (lambda: c.teaching.give_floor(ann.id, ben.id, True, 1), ErrorCode.FORBIDDEN),
        (lambda: c.teaching.give_floor(teacher.id, ben.id, True, 1), ErrorCode.NOT_BROADCASTING),
    ):
        with pytest.raises(ClassroomError) as e:
            command()
        assert e.value.code == code
        assert snapshot(c) == before and c.teaching.broadcast is None
    c.teaching.set_broadcast(teacher.id, True, 1)
    with pytest.raises(ClassroomError) as e:
        c.teaching.set_broadcast(ann.id, False, 2)
    assert e.value.code == ErrorCode.FORBIDDEN and c.teaching.broadcast is not None


def test_summoning_a_crowd_to_a_small_table_packs_them_on_walkable_spots(
    classroom: Classroom,
) -> None:
    c = classroom
    c.settings.max_participants = 300
    teacher = joined(c, person("Tess", "instructor"), 0)
    crowd = [joined(c, person(f"S{i}"), 0) for i in range(200)]
    c.teaching.start_breakouts(
        teacher.id, "groups", 1, groups=[[p.identity.username for p in crowd]]
    )
    r = c.settings.avatar_radius
    assert all(p.room == "table-1" and not c.map.blocked(p.x, p.y, r) for p in crowd)
    c.teaching.summon(teacher.id, None, "stage", 2)
    assert all(p.room == "stage" and not c.map.blocked(p.x, p.y, r) for p in crowd)
    # The stage's free spots are used before anyone shares one.
    spots = {(p.x, p.y) for p in crowd}
    assert len(spots) == min(len(crowd), len(c.teaching.spots.of(c.map.rooms_by_id["stage"], r)))


# -- coming back after a restart ----------------------------------------------------


def test_a_restated_presence_keeps_to_the_locks_and_joins_the_hands_queue(cls) -> None:
    from .test_classroom import restore

    c, teacher, (ann, _ben, _cat) = cls
    c.teaching.set_locks(teacher.id, 1.0, mic=True)
    c.set_presence(ann.id, hand=True, now=1.5)
    effects = c.join(
        person("Dan"), 2.0, restore=restore(800, 450, mic=True, camera=True, hand=True)
    )
    dan = effects.participant
    assert (dan.mic, dan.camera, dan.hand) == (
        False,
        True,
        True,
    )  # the locked microphone stays off
    (note,) = [o.message for o in effects.messages if isinstance(o.message, protocol.Error)]
    assert note.code == ErrorCode.LOCKED
    assert state_of(effects).hands == [ann.id, dan.id]  # the end of the queue, seen by everyone
    assert c.teaching.hands == [ann.id, dan.id]


def test_a_restated_place_in_a_locked_room_is_refused(cls) -> None:
    from .test_classroom import restore

    c, teacher, _students = cls
    c.teaching.lock_room(teacher.id, "table-1", True, 1.0)
    effects = c.join(person("Dan"), 2.0, restore=restore(320, 450))
    assert effects.participant.room is None
    assert [o.message.code for o in effects.messages if isinstance(o.message, protocol.Error)] == [
        ErrorCode.PLACE_REFUSED
    ]


def test_summoning_to_a_stage_with_no_room_for_an_avatar_spreads_them_from_the_door() -> None:
    # A stage narrower than an avatar has no walkable spot: the summoned go to
    # the spawn area instead, each to a spot of their own.
    stage = Room(
        "stage", "Stage", "stage", ((600.0, 20.0), (620.0, 20.0), (620.0, 40.0), (600.0, 40.0))
    )
    cmap = ClassroomMap("tiny stage", 800, 600, [], [stage], protocol.Rect(300, 300, 200, 200))
    c = Classroom(cmap, ClassroomSettings(), random.Random(7))
    teacher = joined(c, person("Tess", "instructor"), 0)
    assert teacher is not None
    students = [joined(c, person(n), 0) for n in ("Ann", "Ben", "Cat", "Dan")]
    effects = c.teaching.summon(teacher.id, None, "stage", 1)
    spots = {(p.x, p.y) for p in students if p is not None}
    assert len(spots) == len(students)
    assert all(p is not None and p.room is None for p in students)
    assert len(of(effects, protocol.Notice)) == len(students)
