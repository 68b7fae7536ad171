"""The server's command table: one rule for every client message, and the
instructors' commands through a session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import ClassroomMap
from jupyter_classroom.server.commands import COMMANDS, command

from .conftest import person
from .test_session import Conn, Setup, errors


@pytest.fixture
def setup(tmp_path: Path, default_map: ClassroomMap) -> Iterator[Setup]:
    s = Setup(tmp_path, default_map)
    yield s
    s.store.close()


def test_every_client_message_has_exactly_one_rule() -> None:
    assert set(COMMANDS) == set(protocol.CLIENT_MESSAGES)


def test_instructors_commands_need_a_participant_and_are_acknowledged() -> None:
    assert protocol.TEACHING_MESSAGES
    for kind in protocol.TEACHING_MESSAGES:
        assert issubclass(kind, protocol.ClientMessage)
        rule = COMMANDS[kind]
        assert rule.ack and rule.joined, kind.__name__


def test_only_join_and_ping_come_before_joining() -> None:
    before = {kind for kind, rule in COMMANDS.items() if not rule.joined}
    assert before == {protocol.Join, protocol.Ping}


def test_a_second_rule_for_a_message_is_refused() -> None:
    with pytest.raises(TypeError, match="two rules for Move"):
        command(protocol.Move)(lambda session, message: None)
    assert COMMANDS[protocol.Move].run.__name__ == "_move"


def test_the_message_families_are_derived_from_their_classes() -> None:
    client = set(protocol.CLIENT_MESSAGES)
    assert set(protocol.TEACHING_MESSAGES) <= client
    assert protocol.Mute in protocol.TEACHING_MESSAGES
    assert protocol.Move not in protocol.TEACHING_MESSAGES
    assert not client & set(protocol.SERVER_MESSAGES)
    assert protocol.Rect in protocol.RECORDS and protocol.Rect not in client
    # Wire types are unique on each side (``signal`` is one of each).
    for side in (protocol.CLIENT_MESSAGES, protocol.SERVER_MESSAGES):
        tags = [kind.type for kind in side]
        assert len(tags) == len(set(tags))


# -- the instructor's powers over the wire -----------------------------------------


def test_a_student_is_refused_every_instructor_command_with_forbidden(setup: Setup) -> None:
    ann, _ = setup.joined("Ann")
    ben, _ = setup.joined("Ben")
    ann.take(), ben.take()
    commands: list[dict[str, Any]] = [
        dict(type="lower_hand"),
        dict(type="mute", participant=ben.session.pid),
        dict(type="set_locks", chat=True),
        dict(type="announce", text="Free pizza"),
        dict(type="lock_room", room="table-1", locked=True),
        dict(type="summon", to="me"),
        dict(type="start_breakouts", mode="groups", groups=[{"users": ["ben"]}], minutes=5),
        dict(type="end_breakouts"),
        dict(type="broadcast", on=True),
        dict(type="give_floor", participant=ann.session.pid, on=True),
    ]
    for n, message in enumerate(commands, 10):
        setup.clock.advance(1)
        ann.send(id=n, **message)
    assert errors(ann) == [("forbidden", n) for n in range(10, 10 + len(commands))]
    assert ben.take() == []  # nothing happened to anyone
    ann.send(type="ping", id=99)
    assert ann.take("pong")[0]["id"] == 99


def test_instructor_commands_reach_everyone_and_late_joiners_see_the_state(setup: Setup) -> None:
    tess = Conn(setup.service, person("Tess", "instructor"), setup.clock)
    tess.join()
    ann, _ = setup.joined("Ann")
    ann.send(type="presence", mic=True, hand=True)
    tess.take()
    tess.send(type="announce", text="Quiz at 3pm", id=5)
    setup.clock.advance(1)
    tess.send(type="set_locks", mic=True, chat=True, id=6)
    assert [m["id"] for m in tess.take("ack")] == [5, 6]
    updates = [m["state"] for m in ann.take() if m["type"] == "class_updated"]
    assert updates[-1]["announcement"]["text"] == "Quiz at 3pm"
    assert updates[-1]["locks"] == {"mic": True, "camera": False, "screen": False, "chat": True}
    ann.inbox = []
    setup.clock.advance(1)
    ann.send(type="presence", mic=True, id=7)
    ann.send(type="chat_send", channel="class", text="hi", id=8)
    assert errors(ann) == [("locked", 7), ("locked", 8)]
    # A late joiner gets the announcement, the locks and the raised hand.
    cat, welcome = setup.joined("Cat")
    state = welcome["classroom"]
    assert state["announcement"]["text"] == "Quiz at 3pm" and state["locks"]["chat"]
    assert state["hands"] == [ann.session.pid]


def test_a_muted_student_is_told(setup: Setup) -> None:
    tess = Conn(setup.service, person("Tess", "instructor"), setup.clock)
    tess.join()
    ann, _ = setup.joined("Ann")
    ann.send(type="presence", mic=True)
    ann.take()
    tess.send(type="mute", participant=ann.session.pid, id=3)
    got = ann.take()
    assert {"type": "muted", "by": tess.session.pid, "locked": False} in got
    assert [m["participant"]["mic"] for m in got if m["type"] == "participant_updated"] == [False]


def test_summoned_and_breakout_students_jump_and_get_their_rooms_chat(setup: Setup) -> None:
    tess = Conn(setup.service, person("Tess", "instructor"), setup.clock)
    tess.join()
    ann, _ = setup.joined("Ann")
    ann.take()
    tess.send(type="summon", to="stage", participants=[ann.session.pid], id=4)
    got = ann.take()
    (fix,) = [m for m in got if m["type"] == "positions"]
    assert fix["correction"] and fix["moves"][0]["id"] == ann.session.pid
    assert {"type": "chat_history", "channel": "room", "room": "stage", "messages": []} in got
    assert [m["kind"] for m in got if m["type"] == "notice"] == ["summoned"]
    # Breakouts on the service's clock: the warning, then everyone on the stage.
    tess.send(type="start_breakouts", mode="random", tables=1, minutes=2, id=5)
    assert setup.service.classroom.participants[ann.session.pid].room == "table-1"
    ann.take()
    setup.clock.advance(61)
    setup.service.tick()
    assert [m["kind"] for m in ann.take("notice")] == ["breakout_warning"]
    setup.clock.advance(60)
    setup.service.tick()
    assert [m["kind"] for m in ann.take("notice")] == ["breakout_ended"]
    assert setup.service.classroom.participants[ann.session.pid].room == "stage"
