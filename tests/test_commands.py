"""The server's command table: one rule for every client message."""

from __future__ import annotations

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.server.commands import COMMANDS, command


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
