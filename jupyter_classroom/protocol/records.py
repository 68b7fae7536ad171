"""The records inside the wire messages, the named choices and the bounds.

A record is a dataclass deriving from :class:`Record` (that is all it takes
for the schema, the decoder and ``protocol.ts`` to know it). Field types are
``bool``, ``int``, ``float``, ``str``, ``list[...]``, ``tuple[...]``,
``X | None``, a ``Literal`` of strings (give it a module-level name to name it
on the TypeScript side), an ``Enum`` of strings or another record. Bounds on
strings and lists go in the field's ``metadata`` with :func:`limit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


class Registered:
    """A family of protocol classes that knows its members.

    A class that defines ``members`` in its own body is a family; each
    dataclass deriving from it is a member, in the order defined (the order
    of the generated schema and TypeScript). A class may belong to several
    families (a teaching message is a client message too).
    """

    members: ClassVar[list[type]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "members" in vars(cls):
            return  # a family, not a member
        for base in cls.__mro__[1:]:
            if "members" in vars(base):
                vars(base)["members"].append(cls)


class Record(Registered):
    """A record inside messages."""

    members: ClassVar[list[type]] = []


#: Media streams one peer connection may describe (a camera and a screen,
#: with room to spare).
MAX_STREAMS = 8

ChatChannel = Literal["class", "room", "nearby", "direct"]
Status = Literal["available", "busy", "away"]
Role = Literal["instructor", "student"]
RoomKind = Literal["table", "stage", "room"]
Connection = Literal["online", "reconnecting"]
TrackSource = Literal["microphone", "camera", "screen_share"]
#: How a participant's media travels: WebRTC (UDP; to peers and the server's
#: SFU), or WebCodecs frames over the classroom's own WebSocket, through the
#: server, where UDP does not pass.
Transport = Literal["webrtc", "websocket"]
#: The server's choice for every page: ``auto`` falls back to the WebSocket
#: by itself when WebRTC does not connect.
TransportMode = Literal["auto", "webrtc", "websocket"]
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
#: Video tiles one viewer may report shown (within the decoder's bound on
#: objects in one message, MAX_CONTAINERS).
MAX_TILES = 60


def limit(*, max_length: int | None = None, max_items: int | None = None) -> dict[str, int]:
    """Bounds for a field, as the ``metadata`` of :func:`dataclasses.field`
    (``field(default=None, metadata=limit(max_length=64))``).

    ``max_length`` bounds every string in the field (the items of a list of
    strings too), ``max_items`` the length of a list. The decoder enforces
    them, and they appear in the JSON Schema and the TypeScript comments.
    """
    bounds = {"max_length": max_length, "max_items": max_items}
    return {k: v for k, v in bounds.items() if v is not None}


# --------------------------------------------------------------------------
# Shared records


@dataclass
class Rect(Record):
    x: float
    y: float
    width: float
    height: float


@dataclass
class RoomInfo(Record):
    id: str
    name: str
    kind: RoomKind
    polygon: list[tuple[float, float]]
    capacity: int | None = None
    #: Where people sit at a table (None: no seats).
    seats: list[tuple[float, float]] | None = None


@dataclass
class MapInfo(Record):
    name: str
    width: float
    height: float
    walls: list[Rect]
    rooms: list[RoomInfo]
    spawn: Rect


@dataclass
class ClientConfig(Record):
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
    #: How pages send their media (see ``Transport``).
    media_transport: TransportMode = "auto"


@dataclass
class ParticipantInfo(Record):
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
    #: The number that stands for this participant in media frames (``source``).
    number: int = 0
    transport: Transport = "webrtc"
    #: A simulated classmate the server runs to show an empty classroom at
    #: work (the ``demo_participants`` setting): not a person.
    demo: bool = False
    #: Admitted by a classroom-only invitation (see ``create_invitation``):
    #: someone from outside the server, under the name they typed.
    guest: bool = False


@dataclass
class Position(Record):
    id: str
    x: float
    y: float


@dataclass
class ChatMessage(Record):
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
class IceServer(Record):
    """An ICE server for RTCPeerConnection (TURN ones carry credentials)."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass
class SessionDescription(Record):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    # A room's description grows with the people in it (a media section each
    # of their tracks): room for a full stage.
    sdp: str | None = field(default=None, metadata=limit(max_length=262144))


@dataclass
class StreamSource(Record):
    """What a media stream in a peer connection carries, so the receiver can
    tell a camera from a shared screen."""

    stream: str = field(metadata=limit(max_length=128))
    source: Literal["camera", "screen_share"]


@dataclass
class IceCandidate(Record):
    candidate: str = field(metadata=limit(max_length=1024))
    sdpMid: str | None = field(default=None, metadata=limit(max_length=64))
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = field(default=None, metadata=limit(max_length=256))


@dataclass
class SfuPublication(Record):
    """A transceiver of the room connection the client sends one of its
    tracks on (the server receives it there)."""

    mid: str
    source: TrackSource


@dataclass
class SfuTrack(Record):
    """A transceiver of the room connection the server sends on, and whose
    track it carries right now."""

    mid: str
    participant: str
    source: TrackSource


VideoSource = Literal["camera", "screen_share"]


@dataclass
class ShownTile(Record):
    """A video a viewer shows, and its size on screen (CSS pixels)."""

    participant: str = field(metadata=limit(max_length=64))
    source: VideoSource
    width: int
    height: int


@dataclass
class VideoKey(Record):
    """One participant's video of a source."""

    participant: str = field(metadata=limit(max_length=64))
    source: VideoSource


@dataclass
class Locks(Record):
    """What students may not do while an instructor keeps it locked."""

    mic: bool = False
    camera: bool = False
    screen: bool = False
    chat: bool = False


@dataclass
class Announcement(Record):
    """The instructor's current announcement: a banner for everyone, kept
    until replaced or cleared (late joiners get it in ``welcome``)."""

    text: str
    sender: str
    sender_name: str
    ts: float


@dataclass
class Breakout(Record):
    """Breakouts in progress: the tables in use and the time left (seconds,
    as of when the message was sent; None: no timer)."""

    mode: BreakoutMode
    tables: list[str]
    seconds_left: float | None = None
    #: The one-minute warning went out.
    warned: bool = False


@dataclass
class Broadcast(Record):
    """An instructor speaks to the whole classroom: ``by``'s microphone,
    camera and screen reach everyone (at the tables and on the open floor)
    through the server, with the microphones of those given the floor."""

    by: str
    floor: list[str]


@dataclass
class ClassState(Record):
    """What the instructors set for the whole class."""

    locks: Locks
    #: Participant ids with a raised hand, in the order raised.
    hands: list[str]
    locked_rooms: list[str]
    announcement: Announcement | None = None
    breakout: Breakout | None = None
    broadcast: Broadcast | None = None


@dataclass
class BreakoutGroup(Record):
    """The usernames sent to one table."""

    users: list[str] = field(metadata=limit(max_length=128, max_items=MAX_GROUP_SIZE))


@dataclass
class Restore(Record):
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
class ObserverInfo(Record):
    """A connection that acts for its user without being on the map (the
    notebook API): its id, and the user's name and role, as its commands
    are signed and checked."""

    id: str
    user: str
    name: str
    role: Role


@dataclass
class ClassroomEndpoint(Record):
    """``GET {base_url}classroom/config`` on a Jupyter server: where its page
    finds the classroom. ``hub_service_url`` null: the server's own
    (``{base_url}classroom/ws``); else the URL path of the JupyterHub
    classroom service, e.g. ``/services/classroom/``."""

    hub_service_url: str | None = None


@dataclass
class HubClassroom(Record):
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
class HubClassrooms(Record):
    """``GET {service}api/classrooms``: the classrooms the user may enter."""

    user: str
    classrooms: list[HubClassroom]


RECORDS: tuple[type, ...] = tuple(Record.members)
