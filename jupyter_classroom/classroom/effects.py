"""What a classroom command changed, for the host to carry out.

Every command of :class:`~jupyter_classroom.classroom.Classroom` returns one
:class:`Effects`: the messages to send and to whom, whether the rooms' media
plan (:meth:`Classroom.room_media`) changed, and what the command hands back
to its caller. The core knows when the plan changes (it made the change), so
the host never has to guess from what came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import protocol

if TYPE_CHECKING:
    from .participant import Participant


@dataclass(frozen=True)
class Outgoing:
    """A message for some participants (``to``), or for everyone (``None``)."""

    message: object
    to: frozenset[str] | None = None


@dataclass
class Effects:
    """The outcome of one command."""

    #: Messages to deliver, in order.
    messages: list[Outgoing] = field(default_factory=list)
    #: Whether the rooms' media plan changed: the SFU must follow it.
    media_changed: bool = False
    #: join: the participant who joined or came back.
    participant: Participant | None = None
    #: Rooms people just entered, walking or put there by an instructor
    #: (participant id -> room): each one's chat history is theirs to read.
    entered: dict[str, str] = field(default_factory=dict)
    #: chat: the message to store before delivery (its ``id`` is set then,
    #: and the delivered message carries it); None when it is not kept.
    store: protocol.ChatMessage | None = None

    def add(self, other: Effects) -> Effects:
        """Fold another command's effects into these (messages after ours)."""
        self.messages += other.messages
        self.media_changed = self.media_changed or other.media_changed
        self.entered.update(other.entered)
        return self
