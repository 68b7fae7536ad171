"""Observers in the classroom core: connections that act for a person (the
notebook API, its widget) without being on the map; and the rule that
brings a reloaded page back where its person stood."""

from __future__ import annotations

import random

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomError, ClassroomMap, ClassroomSettings
from jupyter_classroom.protocol import ErrorCode

from .conftest import person
from .test_classroom import joined, place
from .test_classroom import messages as of


def test_an_observer_is_nobody_on_the_map(classroom: Classroom) -> None:
    ann = joined(classroom, person("Ann"), 0, media=True)
    classroom.flush(0)
    o = classroom.observe(person("Tess", "instructor"))
    assert o.id not in classroom.participants
    assert len(classroom.participants) == 1
    # Nobody is told, nothing is planned for it.
    assert classroom.flush(1).messages == []
    assert o.id not in classroom.room_media()
    assert not classroom.paired(o.id, ann.id)
    # Its welcome is the classroom as its user sees it, without itself.
    w = classroom.welcome(o.id, 4)
    assert (w.you, w.resume, w.id) == (o.id, "", 4)
    assert [p.id for p in w.participants] == [ann.id]
    assert w.observer == protocol.ObserverInfo(
        id=o.id, user="tess", name="Tess", role="instructor"
    )
    # A participant's welcome says nothing of observers.
    assert classroom.welcome(ann.id).observer is None


def test_an_observer_sees_people_come_change_and_go(classroom: Classroom) -> None:
    o = classroom.observe(person("Tess", "instructor"))
    ann_joined = classroom.join(person("Ann"), 0)
    ann = ann_joined.participant
    assert ann is not None
    (news,) = of(ann_joined, protocol.ParticipantJoined)
    assert news.to is not None and o.id in news.to
    dropped = classroom.disconnect(ann.id, 1)
    (upd,) = of(dropped, protocol.ParticipantUpdated)
    assert upd.to is not None and o.id in upd.to
    (left,) = of(classroom.leave(ann.id), protocol.ParticipantLeft)
    assert left.to is not None and o.id in left.to
    # Once its connection ended it hears nothing more.
    assert classroom.observers.remove(o.id)
    assert not classroom.observers.remove(o.id)
    (again,) = of(classroom.join(person("Ben"), 2), protocol.ParticipantJoined)
    assert again.to is not None and o.id not in again.to


def test_an_observer_hears_news_that_waited_for_a_tick(default_map: ClassroomMap) -> None:
    """Dropped connections told over the next ticks reach observers too."""
    c = Classroom(
        default_map, ClassroomSettings(reconnecting_deliveries_per_tick=1), random.Random(1)
    )
    people = [joined(c, person(n), 0) for n in ("Ann", "Ben", "Cat", "Dan")]
    o = c.observe(person("Tess", "instructor"))
    for p in people:
        c.disconnect(p.id, 1)
    told: set[str] = set()
    for t in range(2, 12):
        for sent in of(c.flush(t), protocol.ParticipantUpdated):
            assert sent.to is not None
            if o.id in sent.to:
                told.add(sent.message.participant.id)
    assert told == {p.id for p in people}


def test_an_observers_commands_are_its_users(classroom: Classroom) -> None:
    ann = joined(classroom, person("Ann"), 0)
    teacher = classroom.observe(person("Tess", "instructor"))
    student = classroom.observe(person("Bob"))
    # Checked with the user's role.
    with pytest.raises(ClassroomError) as e:
        classroom.teaching.announce(student.id, "hi", 1, 1000)
    assert e.value.code == ErrorCode.FORBIDDEN
    # Signed with the user's own name (no number), while they are not on the map.
    classroom.teaching.announce(teacher.id, "Quiz at 3", 1, 1000)
    a = classroom.teaching.announcement
    assert a is not None and (a.sender, a.sender_name) == (teacher.id, "Tess")
    muted = classroom.teaching.mute(teacher.id, ann.id, 2)
    (m,) = of(muted, protocol.Muted)
    assert m.message.by == teacher.id
    # Nothing of the map: "next to me" has no place to go.
    with pytest.raises(ClassroomError) as e:
        classroom.teaching.summon(teacher.id, [ann.id], "me", 3)
    assert e.value.code == ErrorCode.OBSERVER
    # Chat needs someone on the map to sign it.
    with pytest.raises(ClassroomError) as e:
        classroom.chat(teacher.id, "class", "hello", None, 4)
    assert e.value.code == ErrorCode.OBSERVER


def test_an_observer_acts_as_its_users_participant_on_the_map(classroom: Classroom) -> None:
    # Two of Tess's tabs: she is "Tess" and "Tess (2)" on the map.
    tess = joined(classroom, person("Tess", "instructor"), 0)
    second = joined(classroom, person("Tess", "instructor"), 0)
    assert (tess.name, second.name) == ("Tess", "Tess (2)")
    ann = joined(classroom, person("Ann"), 0)
    place(classroom, ann.id, 300, 300)
    o = classroom.observe(person("Tess", "instructor"))
    classroom.teaching.announce(o.id, "Quiz", 1, 1000)
    a = classroom.teaching.announcement
    assert a is not None and (a.sender, a.sender_name) == (tess.id, "Tess")
    # "Next to me" is next to her avatar.
    summoned = classroom.teaching.summon(o.id, [ann.id], "me", 2)
    (notice,) = of(summoned, protocol.Notice)
    assert notice.message.text == "Tess brought you next to them."
    assert (ann.x - tess.x) ** 2 + (ann.y - tess.y) ** 2 < classroom.settings.proximity_radius**2
    # Chat is hers too, from where she stands.
    sent = classroom.chat(o.id, "class", "hello", None, 3)
    (chat,) = of(sent, protocol.Chat)
    assert (chat.message.message.sender, chat.message.message.sender_name) == (tess.id, "Tess")
    # Once her first tab is gone, the other one signs.
    classroom.leave(tess.id)
    classroom.teaching.announce(o.id, "Quiz!", 4, 1001)
    a = classroom.teaching.announcement
    assert a is not None and (a.sender, a.sender_name) == (second.id, "Tess (2)")


def test_an_observer_is_not_counted_against_a_full_classroom(default_map: ClassroomMap) -> None:
    c = Classroom(default_map, ClassroomSettings(max_participants=1), random.Random(2))
    c.observe(person("Tess", "instructor"))
    joined(c, person("Ann"), 0)
    with pytest.raises(ClassroomError) as e:
        c.join(person("Ben"), 0)
    assert e.value.code == ErrorCode.CLASSROOM_FULL


# -- a reload ------------------------------------------------------------------------


#: A place at Table 3 (x 1160..1460, y 360..550), clear of the table itself.
AT_TABLE_3 = (1170.0, 540.0)


def restore_at(x: float, y: float) -> protocol.Restore:
    """What a page keeps for its reload: where it stood, its hand; its
    devices start off."""
    return protocol.Restore(x=x, y=y, status="available", hand=False, mic=False, camera=False)


def test_a_reload_within_the_grace_resumes_its_participant(classroom: Classroom) -> None:
    ada = joined(classroom, person("Ada"), 0, media=True)
    x, y = AT_TABLE_3
    place(classroom, ada.id, x, y)
    classroom.flush(0)
    classroom.disconnect(ada.id, 1)  # the page went away (1001)
    back = classroom.join(
        person("Ada"), 3, resume=ada.resume, media=True, restore=restore_at(x, y)
    )
    assert back.participant is ada
    assert (ada.name, ada.room, ada.connection) == ("Ada", "table-3", "online")
    assert back.media_changed  # its room connection is made again
    assert not of(back, protocol.ParticipantJoined)


def test_a_reload_past_the_grace_is_put_back_where_it_stood(classroom: Classroom) -> None:
    ada = joined(classroom, person("Ada"), 0, media=True)
    x, y = AT_TABLE_3
    place(classroom, ada.id, x, y)
    classroom.flush(0)
    classroom.disconnect(ada.id, 1)
    classroom.expire(1 + classroom.settings.reconnect_grace)
    assert ada.id not in classroom.participants
    again = joined(
        classroom, person("Ada"), 40, resume=ada.resume, media=True, restore=restore_at(x, y)
    )
    assert again.id != ada.id
    assert (again.name, again.room, again.x, again.y) == ("Ada", "table-3", x, y)


def test_a_resume_token_of_another_user_is_never_theirs(classroom: Classroom) -> None:
    ada = joined(classroom, person("Ada"), 0)
    classroom.disconnect(ada.id, 1)
    eve = joined(classroom, person("Eve"), 2, resume=ada.resume, restore=restore_at(300, 300))
    assert eve is not ada and ada.connection == "reconnecting"
    assert eve.identity.username == "eve" and ada.identity.username == "ada"


def test_a_page_gone_away_is_kept_for_its_own_grace_at_most_the_reconnect_grace(
    classroom: Classroom,
) -> None:
    ada = joined(classroom, person("Ada"), 0)
    ben = joined(classroom, person("Ben"), 0)
    classroom.disconnect(ada.id, 1, grace=5)
    classroom.disconnect(ben.id, 1, grace=10 * classroom.settings.reconnect_grace)
    assert not of(classroom.expire(5.9), protocol.ParticipantLeft)
    (left,) = of(classroom.expire(6), protocol.ParticipantLeft)
    assert left.message.participant_id == ada.id
    assert ben.id in classroom.participants
    classroom.expire(1 + classroom.settings.reconnect_grace)
    assert ben.id not in classroom.participants
