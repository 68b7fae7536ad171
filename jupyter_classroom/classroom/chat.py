"""Chat rules: who a message goes to, and which messages are kept.

``class`` reaches everyone and ``room`` the sender's room (both kept),
``nearby`` those near the sender (not kept), ``direct`` one other person
(kept). Checks the text and the channel; the locks are the instructors'
(:meth:`Teaching.check_chat`, asked before).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import protocol
from ..protocol import ErrorCode
from ..protocol import ProtocolError as ClassroomError
from .participant import Participant

_CHANNELS: dict[str, protocol.ChatChannel] = {
    "class": "class",
    "room": "room",
    "nearby": "nearby",
    "direct": "direct",
}


def address(
    p: Participant,
    channel: str,
    text: str,
    to: str | None,
    now: float,
    *,
    max_length: int,
    people: Mapping[str, Participant],
    members: Callable[[str], frozenset[str]],
    near: Callable[[str], frozenset[str]],
) -> tuple[protocol.ChatMessage, frozenset[str], bool]:
    """``p``'s message, its recipients, and whether it is kept. ``members``
    gives a room's people, ``near`` those near someone."""
    text = text.strip()
    if not text:
        raise ClassroomError(ErrorCode.EMPTY_TEXT, "The message is empty.")
    if len(text) > max_length:
        raise ClassroomError(
            ErrorCode.TEXT_TOO_LONG, f"Messages are limited to {max_length} characters."
        )
    if to is not None and channel != "direct":
        raise ClassroomError(ErrorCode.BAD_MESSAGE, "Only direct messages have a recipient.")
    kind = _CHANNELS.get(channel)
    if kind is None:
        raise ClassroomError(ErrorCode.BAD_MESSAGE, f"Unknown channel {channel!r}.")
    message = protocol.ChatMessage(
        channel=kind,
        sender=p.id,
        sender_user=p.identity.username,
        sender_name=p.name,
        text=text,
        ts=round(now * 1000.0),
    )
    if channel == "class":
        return message, frozenset(people), True
    if channel == "room":
        if p.room is None:
            raise ClassroomError(
                ErrorCode.NOT_IN_ROOM, "You are not in a room: walk to a table or the stage."
            )
        message.room = p.room
        return message, members(p.room), True
    if channel == "nearby":
        return message, near(p.id) | {p.id}, False
    if to is None or to == p.id:
        raise ClassroomError(
            ErrorCode.BAD_MESSAGE, "A direct message needs another participant in 'to'."
        )
    other = people.get(to)
    if other is None:
        raise ClassroomError(ErrorCode.UNKNOWN_PARTICIPANT, "That participant has left.")
    message.to = other.id
    message.to_user = other.identity.username
    message.to_name = other.name
    return message, frozenset({p.id, other.id}), True
