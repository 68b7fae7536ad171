"""The classroom's wire messages: the one place to edit the protocol.

Every message is a JSON object with a ``type``. Requests from a client may
carry an ``id`` that the server echoes in its reply (``ack``, ``welcome``,
``pong`` or ``error``). Errors carry a stable ``code`` and a human sentence.

Messages and the records inside them are dataclasses; a message has a
``type: ClassVar[str]``. Field types are ``bool``, ``int``, ``float``,
``str``, ``list[...]``, ``tuple[...]``, ``X | None``, a ``Literal`` of strings
(give it a module-level name to name it on the TypeScript side), an ``Enum``
of strings or another dataclass. Bounds on strings and lists go in the field's
metadata with :func:`limit`. A new message goes in ``CLIENT_MESSAGES`` or
``SERVER_MESSAGES``; then regenerate the front end's types (see
``docs/protocol.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Literal, Union

PROTOCOL_VERSION = 3


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


#: Media streams one peer connection may describe (a camera and a screen,
#: with room to spare).
MAX_STREAMS = 8

# WebSocket close codes (4000-4999 are free for applications).
CLOSE_CLASSROOM_FULL = 4001
CLOSE_PROTOCOL_VERSION = 4002
CLOSE_SERVER_SHUTDOWN = 4003
CLOSE_REPLACED = 4004
#: The user has as many connections open as the server allows.
CLOSE_TOO_MANY_CONNECTIONS = 4005
#: The client read too slowly: what waited for it passed the server's bound.
CLOSE_TOO_SLOW = 4006
#: A text frame was not UTF-8 (RFC 6455's "invalid frame payload data").
CLOSE_INVALID_DATA = 1007

ChatChannel = Literal["class", "room", "nearby", "direct"]
Status = Literal["available", "busy", "away"]
Role = Literal["instructor", "student"]
RoomKind = Literal["table", "stage", "room"]
Connection = Literal["online", "reconnecting"]
TrackSource = Literal["microphone", "camera", "screen_share"]
#: Where ``summon`` brings people: the stage, or next to the instructor.
SummonTarget = Literal["stage", "me"]
#: How ``start_breakouts`` fills the tables: shuffled, by the instructor's
#: groups, or each student walks to the table they choose.
BreakoutMode = Literal["random", "groups", "choose"]
NoticeKind = Literal["summoned", "breakout_assigned", "breakout_warning", "breakout_ended"]

#: Bounds of the teaching messages.
MAX_ANNOUNCEMENT = 1000
MAX_GROUPS = 16
MAX_GROUP_SIZE = 64
MAX_SUMMONED = 200


def limit(*, max_length: int | None = None, max_items: int | None = None) -> dict[str, Any]:
    """Bounds for a field, as keyword arguments of :func:`dataclasses.field`.

    ``max_length`` bounds every string in the field (the items of a list of
    strings too), ``max_items`` the length of a list. The decoder enforces
    them, and they appear in the JSON Schema and the TypeScript comments.
    """
    bounds = {"max_length": max_length, "max_items": max_items}
    return {"metadata": {k: v for k, v in bounds.items() if v is not None}}


# --------------------------------------------------------------------------
# Shared records


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass
class RoomInfo:
    id: str
    name: str
    kind: RoomKind
    polygon: list[tuple[float, float]]
    capacity: int | None = None


@dataclass
class MapInfo:
    name: str
    width: float
    height: float
    walls: list[Rect]
    rooms: list[RoomInfo]
    spawn: Rect


@dataclass
class ClientConfig:
    """Numbers the client needs to predict what the server will accept."""

    avatar_radius: float
    speed: float
    proximity_radius: float
    proximity_drop_radius: float
    position_rate_hz: float
    max_chat_length: int
    max_message_bytes: int
    history_size: int
    #: Rooms have audio, video and screen sharing through the server.
    room_media: bool = False
    #: Why rooms have no media although the server was meant to give them some.
    room_media_unavailable: str | None = None


@dataclass
class ParticipantInfo:
    id: str
    user: str
    name: str
    initials: str
    color: str
    role: Role
    x: float
    y: float
    status: Status
    hand: bool
    mic: bool
    camera: bool
    screen: bool
    connection: Connection
    room: str | None = None
    avatar_url: str | None = None


@dataclass
class Position:
    id: str
    x: float
    y: float


@dataclass
class ChatMessage:
    channel: ChatChannel
    sender: str
    sender_user: str
    sender_name: str
    text: str
    ts: float
    id: int | None = None
    room: str | None = None
    to: str | None = None
    to_user: str | None = None
    to_name: str | None = None


@dataclass
class IceServer:
    """An ICE server for RTCPeerConnection (TURN ones carry credentials)."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass
class SessionDescription:
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: str | None = field(default=None, **limit(max_length=65536))


@dataclass
class StreamSource:
    """What a media stream in a peer connection carries, so the receiver can
    tell a camera from a shared screen."""

    stream: str = field(**limit(max_length=128))
    source: Literal["camera", "screen_share"]


@dataclass
class IceCandidate:
    candidate: str = field(**limit(max_length=1024))
    sdpMid: str | None = field(default=None, **limit(max_length=64))
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = field(default=None, **limit(max_length=256))


@dataclass
class SfuPublication:
    """A transceiver of the room connection the client sends one of its
    tracks on (the server receives it there)."""

    mid: str
    source: TrackSource


@dataclass
class SfuTrack:
    """A transceiver of the room connection the server sends on, and whose
    track it carries right now."""

    mid: str
    participant: str
    source: TrackSource


@dataclass
class Locks:
    """What students may not do while an instructor keeps it locked."""

    mic: bool = False
    camera: bool = False
    screen: bool = False
    chat: bool = False


@dataclass
class Announcement:
    """The instructor's current announcement: a banner for everyone, kept
    until replaced or cleared (late joiners get it in ``welcome``)."""

    text: str
    sender: str
    sender_name: str
    ts: float


@dataclass
class Breakout:
    """Breakouts in progress: the tables in use and the time left (seconds,
    as of when the message was sent; None: no timer)."""

    mode: BreakoutMode
    tables: list[str]
    seconds_left: float | None = None
    #: The one-minute warning went out.
    warned: bool = False


@dataclass
class Broadcast:
    """An instructor speaks to the whole classroom: ``by``'s microphone,
    camera and screen reach everyone (at the tables and on the open floor)
    through the server, with the microphones of those given the floor."""

    by: str
    floor: list[str]


@dataclass
class ClassState:
    """What the instructors set for the whole class."""

    locks: Locks
    #: Participant ids with a raised hand, in the order raised.
    hands: list[str]
    locked_rooms: list[str]
    announcement: Announcement | None = None
    breakout: Breakout | None = None
    broadcast: Broadcast | None = None


@dataclass
class BreakoutGroup:
    """The usernames sent to one table."""

    users: list[str] = field(**limit(max_length=128, max_items=MAX_GROUP_SIZE))


@dataclass
class Restore:
    """What a client had before it joined again: where it stood and its
    presence. Sent with ``join`` when a session could not be resumed (the
    server restarted), so people come back as they were. Omitted presence
    fields stay as they are."""

    x: float
    y: float
    status: Status | None = None
    hand: bool | None = None
    mic: bool | None = None
    camera: bool | None = None
    screen: bool | None = None


@dataclass
class ClassroomEndpoint:
    """``GET {base_url}classroom/config`` on a Jupyter server: where its page
    finds the classroom. ``hub_service_url`` null: the server's own
    (``{base_url}classroom/ws``); else the URL path of the JupyterHub
    classroom service, e.g. ``/services/classroom/``."""

    hub_service_url: str | None = None


@dataclass
class HubClassroom:
    """A classroom of the hub's classroom service that the user may enter."""

    name: str
    title: str
    #: The user's role there.
    role: Role
    #: The classroom's socket, relative to the service's URL.
    ws_path: str
    #: People in it now.
    online: int = 0


@dataclass
class HubClassrooms:
    """``GET {service}api/classrooms``: the classrooms the user may enter."""

    user: str
    classrooms: list[HubClassroom]


# --------------------------------------------------------------------------
# Client -> server


@dataclass
class Join:
    """First message on a socket. ``resume`` brings back a dropped participant;
    ``media`` says the client takes part in the rooms' conferences (it answers
    ``sfu_offer``). ``name`` and ``color`` are the ones the person chose
    (used when the host gives no name, see ``welcome.naming``); ``restore``
    is what the client had in its previous session: its presence is applied
    in any case, its position when the session is not resumed."""

    type: ClassVar[str] = "join"
    protocol: int
    id: int | None = None
    resume: str | None = field(default=None, **limit(max_length=128))
    media: bool | None = None
    name: str | None = field(default=None, **limit(max_length=256))
    color: str | None = field(default=None, **limit(max_length=64))
    restore: Restore | None = None


@dataclass
class SetProfile:
    """Change the name or colour the sender chose (omitted: unchanged).
    Refused with ``name_from_host`` when the host names the sender."""

    type: ClassVar[str] = "profile"
    id: int | None = None
    name: str | None = field(default=None, **limit(max_length=256))
    color: str | None = field(default=None, **limit(max_length=64))


@dataclass
class Move:
    """The sender's new position (map pixels). No reply unless refused."""

    type: ClassVar[str] = "move"
    x: float
    y: float
    id: int | None = None


@dataclass
class SetPresence:
    """Change any of the sender's presence fields; omitted ones stay."""

    type: ClassVar[str] = "presence"
    id: int | None = None
    status: Status | None = None
    hand: bool | None = None
    mic: bool | None = None
    camera: bool | None = None
    screen: bool | None = None


@dataclass
class ChatSend:
    """Post to a channel; ``to`` (a participant id) only for ``direct``."""

    type: ClassVar[str] = "chat_send"
    channel: ChatChannel
    text: str
    id: int | None = None
    to: str | None = field(default=None, **limit(max_length=64))


@dataclass
class Ping:
    type: ClassVar[str] = "ping"
    id: int | None = None


@dataclass
class RelaySignal:
    """WebRTC signaling for a peer the server paired the sender with: an SDP
    description, an ICE candidate, or both absent for end-of-candidates.
    ``call`` numbers the sender's connection with that peer: a call that is
    rebuilt from scratch gets a higher number, so the other side knows to
    start afresh and to ignore what was meant for the old one."""

    type: ClassVar[str] = "signal"
    to: str = field(**limit(max_length=64))
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = field(default=None, **limit(max_items=MAX_STREAMS))
    call: int | None = None
    id: int | None = None


@dataclass
class SfuAnswer:
    """The client's answer to the server's ``sfu_offer`` on room connection
    ``connection``."""

    type: ClassVar[str] = "sfu_answer"
    connection: int
    description: SessionDescription
    id: int | None = None


@dataclass
class SfuCandidate:
    """An ICE candidate of the client's end of room connection ``connection``
    (absent: the client has gathered all its candidates)."""

    type: ClassVar[str] = "sfu_candidate"
    connection: int
    candidate: IceCandidate | None = None
    id: int | None = None


@dataclass
class LowerHand:
    """Instructors: lower ``participant``'s hand, or every hand (absent)."""

    type: ClassVar[str] = "lower_hand"
    participant: str | None = field(default=None, **limit(max_length=64))
    id: int | None = None


@dataclass
class Mute:
    """Instructors: turn off ``participant``'s microphone, or every student's
    (absent). Students may turn it on again unless microphones are locked."""

    type: ClassVar[str] = "mute"
    participant: str | None = field(default=None, **limit(max_length=64))
    id: int | None = None


@dataclass
class SetLocks:
    """Instructors: lock (true) or unlock (false) microphones, cameras,
    screen sharing or chat for students; omitted ones stay."""

    type: ClassVar[str] = "set_locks"
    mic: bool | None = None
    camera: bool | None = None
    screen: bool | None = None
    chat: bool | None = None
    id: int | None = None


@dataclass
class Announce:
    """Instructors: show ``text`` to everyone as a banner and keep it (absent
    or empty: clear the announcement)."""

    type: ClassVar[str] = "announce"
    text: str | None = field(default=None, **limit(max_length=MAX_ANNOUNCEMENT))
    id: int | None = None


@dataclass
class LockRoom:
    """Instructors: lock or unlock a room; students may not walk into a
    locked room (those inside stay)."""

    type: ClassVar[str] = "lock_room"
    room: str = field(**limit(max_length=64))
    locked: bool
    id: int | None = None


@dataclass
class Summon:
    """Instructors: bring ``participants`` (absent: every student) to the
    stage or next to the sender."""

    type: ClassVar[str] = "summon"
    to: SummonTarget
    participants: list[str] | None = field(default=None, **limit(max_length=64, max_items=MAX_SUMMONED))
    id: int | None = None


@dataclass
class StartBreakouts:
    """Instructors: send students to tables. ``random``: shuffled over
    ``tables`` tables (absent: every table); ``groups``: each group to a
    table of its own; ``choose``: students walk to a table themselves.
    ``minutes``: a timer, with a warning a minute before the end, after which
    everyone is brought back to the stage."""

    type: ClassVar[str] = "start_breakouts"
    mode: BreakoutMode
    tables: int | None = None
    groups: list[BreakoutGroup] | None = field(default=None, **limit(max_items=MAX_GROUPS))
    minutes: float | None = None
    id: int | None = None


@dataclass
class EndBreakouts:
    """Instructors: end the breakouts now; everyone comes back to the stage."""

    type: ClassVar[str] = "end_breakouts"
    id: int | None = None


@dataclass
class SetBroadcast:
    """Instructors: start (``on``) or stop the broadcast. It is the sender's
    media, or, when the sender takes no part in media (a notebook), that of
    the same user's connection that does."""

    type: ClassVar[str] = "broadcast"
    on: bool
    id: int | None = None


@dataclass
class GiveFloor:
    """Instructors: add ``participant``'s microphone to the broadcast
    (``on``), or take it back. Their raised hand is lowered."""

    type: ClassVar[str] = "give_floor"
    participant: str = field(**limit(max_length=64))
    on: bool
    id: int | None = None


# --------------------------------------------------------------------------
# Server -> client


@dataclass
class Welcome:
    type: ClassVar[str] = "welcome"
    protocol: int
    you: str
    resume: str
    map: MapInfo
    config: ClientConfig
    participants: list[ParticipantInfo]
    ice_servers: list[IceServer]
    id: int | None = None
    #: Locks, raised hands, locked rooms, the announcement, breakouts.
    classroom: ClassState | None = None
    #: The receiver may choose its own name and colour (``profile``): the
    #: host gave no real name.
    naming: bool = False


@dataclass
class ParticipantJoined:
    type: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo


@dataclass
class ParticipantUpdated:
    type: ClassVar[str] = "participant_updated"
    participant: ParticipantInfo


@dataclass
class ParticipantLeft:
    type: ClassVar[str] = "participant_left"
    participant_id: str


@dataclass
class Positions:
    """Positions that changed since the last batch; ``t`` is server time in ms.

    A client ignores its own id in a batch (it walks ahead of the server)
    unless ``correction`` is set: then the server refused a move and this is
    where the receiver really stands.

    Who is near the receiver is not sent: the page works it out from the
    positions it has (someone comes near within ``proximity_radius`` and
    goes beyond ``proximity_drop_radius``), as the server does. Near people
    on the open floor without a ``peer_connect`` are the ones a full mesh
    leaves out ("capped")."""

    type: ClassVar[str] = "positions"
    t: float
    moves: list[Position]
    correction: bool | None = None


@dataclass
class PeerConnect:
    """Open a peer-to-peer call with ``peer``; ``offerer`` says whether the
    receiver makes the first offer (the other side is the polite peer)."""

    type: ClassVar[str] = "peer_connect"
    peer: str
    offerer: bool


@dataclass
class PeerDisconnect:
    """Close the peer-to-peer call with ``peer``."""

    type: ClassVar[str] = "peer_disconnect"
    peer: str


@dataclass
class PeerSignal:
    """Signaling relayed from the paired peer ``sender`` (``call`` as the
    sender numbered it in ``signal``)."""

    type: ClassVar[str] = "signal"
    sender: str
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = field(default=None, **limit(max_items=MAX_STREAMS))
    call: int | None = None


@dataclass
class SfuOffer:
    """An offer on the receiver's connection with the server's SFU (a new
    ``connection`` number means a new connection: close any older one).
    ``publish`` names where to send the microphone, camera and screen;
    ``tracks`` what the server sends on each of its transceivers."""

    type: ClassVar[str] = "sfu_offer"
    connection: int
    description: SessionDescription
    publish: list[SfuPublication]
    tracks: list[SfuTrack]


@dataclass
class SfuTracks:
    """What the server's transceivers on room connection ``connection`` carry
    now (all of them; a transceiver not listed carries nothing)."""

    type: ClassVar[str] = "sfu_tracks"
    connection: int
    tracks: list[SfuTrack]


@dataclass
class SfuClosed:
    """The server closed room connection ``connection``; ``reason`` says why."""

    type: ClassVar[str] = "sfu_closed"
    connection: int
    reason: str


@dataclass
class Speakers:
    """Who is speaking in ``room`` (from the audio levels the server forwards),
    loudest first; the first is the active speaker. Sent to the room's
    members when it changes."""

    type: ClassVar[str] = "speakers"
    room: str
    ids: list[str]


@dataclass
class ClassUpdated:
    """What the instructors set for the class changed (sent to everyone)."""

    type: ClassVar[str] = "class_updated"
    state: ClassState


@dataclass
class Muted:
    """An instructor (participant ``by``) turned the receiver's microphone
    off: the client stops sending it. ``locked``: it may not be turned on
    again until microphones are unlocked."""

    type: ClassVar[str] = "muted"
    by: str
    locked: bool = False


@dataclass
class Notice:
    """A sentence for the receiver about something an instructor did to them
    or to the class (summoned, sent to a table, breakouts ending)."""

    type: ClassVar[str] = "notice"
    kind: NoticeKind
    text: str
    room: str | None = None


@dataclass
class Chat:
    type: ClassVar[str] = "chat"
    message: ChatMessage


@dataclass
class ChatHistory:
    """Stored messages of one channel, oldest first. ``peer`` names the other
    user of a direct conversation; ``room`` the room of a room channel."""

    type: ClassVar[str] = "chat_history"
    channel: ChatChannel
    messages: list[ChatMessage]
    room: str | None = None
    peer: str | None = None


@dataclass
class Ack:
    type: ClassVar[str] = "ack"
    id: int
    message_id: int | None = None


@dataclass
class Pong:
    type: ClassVar[str] = "pong"
    t: float
    id: int | None = None


@dataclass
class Error:
    type: ClassVar[str] = "error"
    code: ErrorCode
    message: str
    id: int | None = None


CLIENT_MESSAGES: tuple[type, ...] = (
    Join,
    Move,
    SetPresence,
    SetProfile,
    ChatSend,
    Ping,
    RelaySignal,
    SfuAnswer,
    SfuCandidate,
    LowerHand,
    Mute,
    SetLocks,
    Announce,
    LockRoom,
    Summon,
    StartBreakouts,
    EndBreakouts,
    SetBroadcast,
    GiveFloor,
)
SERVER_MESSAGES: tuple[type, ...] = (
    Welcome,
    ParticipantJoined,
    ParticipantUpdated,
    ParticipantLeft,
    Positions,
    PeerConnect,
    PeerDisconnect,
    PeerSignal,
    SfuOffer,
    SfuTracks,
    SfuClosed,
    Speakers,
    ClassUpdated,
    Muted,
    Notice,
    Chat,
    ChatHistory,
    Ack,
    Pong,
    Error,
)
RECORDS: tuple[type, ...] = (
    Rect,
    RoomInfo,
    MapInfo,
    ClientConfig,
    ParticipantInfo,
    Position,
    ChatMessage,
    IceServer,
    SessionDescription,
    StreamSource,
    IceCandidate,
    SfuPublication,
    SfuTrack,
    Locks,
    Announcement,
    Breakout,
    Broadcast,
    ClassState,
    BreakoutGroup,
    Restore,
    ClassroomEndpoint,
    HubClassroom,
    HubClassrooms,
)

#: The instructors' commands (refused from students with ``forbidden``).
TEACHING_MESSAGES: tuple[type, ...] = (
    LowerHand, Mute, SetLocks, Announce, LockRoom, Summon, StartBreakouts, EndBreakouts,
    SetBroadcast, GiveFloor,
)
TeachingMessage = Union[
    LowerHand, Mute, SetLocks, Announce, LockRoom, Summon, StartBreakouts, EndBreakouts,
    SetBroadcast, GiveFloor,
]

ClientMessage = Union[
    Join, Move, SetPresence, SetProfile, ChatSend, Ping, RelaySignal, SfuAnswer, SfuCandidate,
    LowerHand, Mute, SetLocks, Announce, LockRoom, Summon, StartBreakouts, EndBreakouts,
    SetBroadcast, GiveFloor,
]
