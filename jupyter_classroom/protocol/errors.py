"""Error codes, the refusal every layer raises, and the WebSocket close codes."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Stable error codes; the front end maps them to user messages."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    PROTOCOL_VERSION = "protocol_version"
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    CLASSROOM_FULL = "classroom_full"
    MOVE_BLOCKED = "move_blocked"
    OUT_OF_BOUNDS = "out_of_bounds"
    TEXT_TOO_LONG = "text_too_long"
    EMPTY_TEXT = "empty_text"
    NOT_IN_ROOM = "not_in_room"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    NOT_PAIRED = "not_paired"
    ROOM_FULL = "room_full"
    NO_CONNECTION = "no_connection"
    BAD_DESCRIPTION = "bad_description"
    INTERNAL = "internal"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    TOO_MANY_CANDIDATES = "too_many_candidates"
    #: Only an instructor may do that; on the hub's classroom service, the
    #: hub token lacks the scope to use the classroom.
    FORBIDDEN = "forbidden"
    #: An instructor locked that for students (microphones, cameras, screen
    #: sharing or chat).
    LOCKED = "locked"
    #: An instructor locked that room.
    ROOM_LOCKED = "room_locked"
    UNKNOWN_ROOM = "unknown_room"
    #: Breakouts need more tables than the map has.
    NO_TABLES = "no_tables"
    #: No breakouts are running.
    NO_BREAKOUTS = "no_breakouts"
    #: Giving the floor needs a broadcast running.
    NOT_BROADCASTING = "not_broadcasting"
    #: A name a client chose is empty, unreadable or too long.
    BAD_NAME = "bad_name"
    #: A colour a client chose is not ``#rrggbb``.
    BAD_COLOR = "bad_color"
    #: The host (JupyterHub, an identity provider) names this person: the
    #: client cannot choose another name or colour.
    NAME_FROM_HOST = "name_from_host"
    #: The place a client restated on joining again (after the server
    #: restarted) could not be taken: it was placed at the entrance instead.
    PLACE_REFUSED = "place_refused"
    #: A request to the hub's classroom service without a valid hub token.
    NOT_AUTHENTICATED = "not_authenticated"
    #: No classroom of that name that this user is a member of.
    UNKNOWN_CLASSROOM = "unknown_classroom"
    #: No such file: an image the classroom's map does not name.
    NOT_FOUND = "not_found"
    #: A binary frame on the media socket that is not a media frame
    #: (see :mod:`.frames`), or a text frame there.
    BAD_MEDIA_FRAME = "bad_media_frame"
    #: An observer (a notebook's connection) has no avatar: it cannot move,
    #: show a presence or take part in calls.
    OBSERVER = "observer"
    #: An invitation link or guest pass that is not one of this server's
    #: (a bad signature, or an invitation it does not know).
    INVITATION_INVALID = "invitation_invalid"
    #: The invitation is past its expiry.
    INVITATION_EXPIRED = "invitation_expired"
    #: An instructor revoked the invitation.
    INVITATION_REVOKED = "invitation_revoked"
    #: The invitation admitted as many guests as it may.
    INVITATION_FULL = "invitation_full"
    #: Too many invitation links or guest passes that did not check out came
    #: from this address (or from everywhere): wait a while.
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    #: An invitation's role, expiry, guest cap or label cannot be used.
    BAD_INVITATION = "bad_invitation"
    #: No current invitation has that id.
    UNKNOWN_INVITATION = "unknown_invitation"
    #: This host makes no invitations (on JupyterHub, the hub decides who
    #: enters a classroom).
    NO_INVITATIONS = "no_invitations"


class ProtocolError(Exception):
    """A refused message or command; it becomes an ``error`` reply.

    Raised by the decoder, the classroom core (where it is also known as
    ``ClassroomError``), the service and the SFU. ``request_id`` is the ``id``
    of the refused request when the raiser knows it; otherwise the session
    fills it in.
    """

    def __init__(self, code: ErrorCode, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


# WebSocket close codes (4000-4999 are free for applications).
CLOSE_CLASSROOM_FULL = 4001
CLOSE_PROTOCOL_VERSION = 4002
CLOSE_SERVER_SHUTDOWN = 4003
CLOSE_REPLACED = 4004
#: The user has as many connections open as the server allows.
CLOSE_TOO_MANY_CONNECTIONS = 4005
#: The client read too slowly: what waited for it passed the server's bound.
CLOSE_TOO_SLOW = 4006
#: The media socket's ticket is not one of a session of this user (it
#: changes with every welcome: join again for a new one).
CLOSE_BAD_TICKET = 4007
#: The session the media socket belonged to ended.
CLOSE_SESSION_ENDED = 4008
#: The guest's invitation expired or was revoked: reconnecting cannot help.
CLOSE_INVITATION_ENDED = 4009
#: A text frame was not UTF-8 (RFC 6455's "invalid frame payload data").
CLOSE_INVALID_DATA = 1007
