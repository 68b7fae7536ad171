"""The invitations' messages: instructors on a single Jupyter server make
links that admit people to the classroom only (not to the server).

Kept apart from :mod:`.messages` (one concept per module); that module
imports this one before it lists the message families, so these are client
and server messages like the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .messages import ClientMessage, ServerMessage
from .records import Record, Role, limit

#: Characters of an invitation's label.
MAX_INVITATION_LABEL = 80
#: Guests one invitation may admit, at most, whatever the instructor asks.
MAX_INVITATION_GUESTS = 1000


@dataclass
class InvitationInfo(Record):
    """An invitation as instructors see it. ``path`` is the link's path on
    the server (``{base_url}classroom/join/<token>``); ``expires`` is in
    seconds since the epoch; ``guests`` those it admitted, ``online`` those of
    them in the classroom now."""

    id: str
    path: str
    role: Role
    expires: float
    guests: int
    max_guests: int
    online: int = 0
    label: str | None = None
    #: The username of the instructor who made it.
    created_by: str = ""
    revoked: bool = False


@dataclass
class CreateInvitation(ClientMessage):
    """Instructors, on a single server: make an invitation for ``role``,
    valid ``expires_in`` seconds (at most the server's
    ``invitation_max_seconds``), admitting at most ``max_guests`` people
    (absent: the server's ``invitation_max_guests``). Answered with
    ``invitation``; a student is refused with ``forbidden``."""

    type: ClassVar[str] = "create_invitation"
    #: Absent: ``student``.
    role: Role | None = None
    #: Absent: two hours.
    expires_in: float | None = None
    max_guests: int | None = None
    label: str | None = field(default=None, metadata=limit(max_length=MAX_INVITATION_LABEL))
    id: int | None = None


@dataclass
class ListInvitations(ClientMessage):
    """Instructors: the current invitations (neither revoked nor expired),
    answered with ``invitations``."""

    type: ClassVar[str] = "list_invitations"
    id: int | None = None


@dataclass
class RevokeInvitation(ClientMessage):
    """Instructors: end invitation ``invitation`` now; its guests are
    disconnected (close 4009) and its link and passes open nothing any more.
    Answered with ``invitation`` (``revoked`` set)."""

    type: ClassVar[str] = "revoke_invitation"
    invitation: str = field(metadata=limit(max_length=64))
    id: int | None = None


@dataclass
class InvitationReply(ServerMessage):
    """One invitation: the one ``create_invitation`` made or
    ``revoke_invitation`` ended (``id``: the request's)."""

    type: ClassVar[str] = "invitation"
    invitation: InvitationInfo
    id: int | None = None


@dataclass
class InvitationList(ServerMessage):
    """The current invitations, newest first (``id``: the request's)."""

    type: ClassVar[str] = "invitations"
    invitations: list[InvitationInfo]
    id: int | None = None
