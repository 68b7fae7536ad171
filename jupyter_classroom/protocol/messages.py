"""The classroom's wire messages: the one place to edit the protocol.

Every message is a JSON object with a ``type``. Requests from a client may
carry an ``id`` that the server echoes in its reply (``ack``, ``welcome``,
``pong`` or ``error``). Errors carry a stable ``code`` and a human sentence.

A message is a dataclass with a ``type: ClassVar[str]`` deriving from
:class:`ClientMessage`, :class:`TeachingMessage` (an instructor's command, a
client message too) or :class:`ServerMessage`; that is all it takes to be in
``CLIENT_MESSAGES``, ``TEACHING_MESSAGES`` or ``SERVER_MESSAGES``, the schema
and the decoder. Its fields follow :mod:`.records`. The server's rule for a
client message is one entry in ``server/commands.py``. Then regenerate the
front end's types (see ``docs/protocol.md``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from .errors import ErrorCode
from .records import (
    MAX_ANNOUNCEMENT,
    MAX_GROUPS,
    MAX_STREAMS,
    MAX_SUMMONED,
    BreakoutGroup,
    BreakoutMode,
    ChatChannel,
    ChatMessage,
    ClassState,
    ClientConfig,
    IceCandidate,
    IceServer,
    MapInfo,
    NoticeKind,
    ObserverInfo,
    ParticipantInfo,
    Position,
    Registered,
    Restore,
    SessionDescription,
    SfuPublication,
    SfuTrack,
    Status,
    StreamSource,
    SummonTarget,
    Transport,
    limit,
)

PROTOCOL_VERSION = 3


class ClientMessage(Registered):
    """A message from a client (every one may carry a request ``id``)."""

    members: ClassVar[list[type]] = []
    type: ClassVar[str]
    id: int | None


_M = TypeVar("_M", bound=ClientMessage)


def with_id(message: _M, request_id: int | None) -> _M:
    """A copy of a client message carrying another request ``id``."""
    # Every concrete client message is a dataclass; the base class is not.
    return dataclasses.replace(message, id=request_id)  # type: ignore[type-var]


class TeachingMessage(ClientMessage):
    """An instructor's command (refused from students with ``forbidden``)."""

    members: ClassVar[list[type]] = []


class ServerMessage(Registered):
    """A message from the server."""

    members: ClassVar[list[type]] = []
    type: ClassVar[str]


# --------------------------------------------------------------------------
# Client -> server


@dataclass
class Join(ClientMessage):
    """First message on a socket. ``resume`` brings back a dropped participant;
    ``media`` says the client takes part in the rooms' conferences (it answers
    ``sfu_offer``). ``name`` and ``color`` are the ones the person chose
    (used when the host gives no name, see ``welcome.naming``); ``restore``
    is what the client had in its previous session: its presence is applied
    in any case, its position when the session is not resumed. ``observer``:
    the connection acts for its user without being on the map (the notebook
    API, its widget): no avatar, no calls, its commands signed with the
    user's name (see ``welcome.observer``)."""

    type: ClassVar[str] = "join"
    protocol: int
    id: int | None = None
    resume: str | None = field(default=None, metadata=limit(max_length=128))
    media: bool | None = None
    name: str | None = field(default=None, metadata=limit(max_length=256))
    color: str | None = field(default=None, metadata=limit(max_length=64))
    restore: Restore | None = None
    observer: bool | None = None


@dataclass
class Move(ClientMessage):
    """The sender's new position (map pixels). No reply unless refused."""

    type: ClassVar[str] = "move"
    x: float
    y: float
    id: int | None = None


@dataclass
class SetPresence(ClientMessage):
    """Change any of the sender's presence fields; omitted ones stay."""

    type: ClassVar[str] = "presence"
    id: int | None = None
    status: Status | None = None
    hand: bool | None = None
    mic: bool | None = None
    camera: bool | None = None
    screen: bool | None = None
    #: How our media travels now (the panel tells the others).
    transport: Transport | None = None


@dataclass
class SetProfile(ClientMessage):
    """Change the name or colour the sender chose (omitted: unchanged).
    Refused with ``name_from_host`` when the host names the sender."""

    type: ClassVar[str] = "profile"
    id: int | None = None
    name: str | None = field(default=None, metadata=limit(max_length=256))
    color: str | None = field(default=None, metadata=limit(max_length=64))


@dataclass
class ChatSend(ClientMessage):
    """Post to a channel; ``to`` (a participant id) only for ``direct``."""

    type: ClassVar[str] = "chat_send"
    channel: ChatChannel
    text: str
    id: int | None = None
    to: str | None = field(default=None, metadata=limit(max_length=64))


@dataclass
class Ping(ClientMessage):
    type: ClassVar[str] = "ping"
    id: int | None = None


@dataclass
class RelaySignal(ClientMessage):
    """WebRTC signaling for a peer the server paired the sender with: an SDP
    description, an ICE candidate, or both absent for end-of-candidates.
    ``call`` numbers the sender's connection with that peer: a call that is
    rebuilt from scratch gets a higher number, so the other side knows to
    start afresh and to ignore what was meant for the old one."""

    type: ClassVar[str] = "signal"
    to: str = field(metadata=limit(max_length=64))
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = field(default=None, metadata=limit(max_items=MAX_STREAMS))
    call: int | None = None
    id: int | None = None


@dataclass
class SfuAnswer(ClientMessage):
    """The client's answer to the server's ``sfu_offer`` on room connection
    ``connection``."""

    type: ClassVar[str] = "sfu_answer"
    connection: int
    description: SessionDescription
    id: int | None = None


@dataclass
class SfuCandidate(ClientMessage):
    """An ICE candidate of the client's end of room connection ``connection``
    (absent: the client has gathered all its candidates)."""

    type: ClassVar[str] = "sfu_candidate"
    connection: int
    candidate: IceCandidate | None = None
    id: int | None = None


@dataclass
class UdpProbe(ClientMessage):
    """Ask whether UDP passes between this browser and the server now: the
    server answers with ``udp_probe_offer`` (a connection with nothing but a
    data channel), at most one at a time and one a minute (``rate_limited``).
    A page that sends its media through the server asks now and then, and
    goes back to WebRTC once a probe connects."""

    type: ClassVar[str] = "udp_probe"
    id: int | None = None


@dataclass
class UdpProbeAnswer(ClientMessage):
    """The client's answer to ``udp_probe_offer`` ``probe``, with all its ICE
    candidates in the SDP (the probe takes no trickled candidates)."""

    type: ClassVar[str] = "udp_probe_answer"
    probe: int
    description: SessionDescription
    id: int | None = None


@dataclass
class LowerHand(TeachingMessage):
    """Instructors: lower ``participant``'s hand, or every hand (absent)."""

    type: ClassVar[str] = "lower_hand"
    participant: str | None = field(default=None, metadata=limit(max_length=64))
    id: int | None = None


@dataclass
class Mute(TeachingMessage):
    """Instructors: turn off ``participant``'s microphone, or every student's
    (absent). Students may turn it on again unless microphones are locked."""

    type: ClassVar[str] = "mute"
    participant: str | None = field(default=None, metadata=limit(max_length=64))
    id: int | None = None


@dataclass
class SetLocks(TeachingMessage):
    """Instructors: lock (true) or unlock (false) microphones, cameras,
    screen sharing or chat for students; omitted ones stay."""

    type: ClassVar[str] = "set_locks"
    mic: bool | None = None
    camera: bool | None = None
    screen: bool | None = None
    chat: bool | None = None
    id: int | None = None


@dataclass
class Announce(TeachingMessage):
    """Instructors: show ``text`` to everyone as a banner and keep it (absent
    or empty: clear the announcement)."""

    type: ClassVar[str] = "announce"
    text: str | None = field(default=None, metadata=limit(max_length=MAX_ANNOUNCEMENT))
    id: int | None = None


@dataclass
class LockRoom(TeachingMessage):
    """Instructors: lock or unlock a room; students may not walk into a
    locked room (those inside stay)."""

    type: ClassVar[str] = "lock_room"
    room: str = field(metadata=limit(max_length=64))
    locked: bool
    id: int | None = None


@dataclass
class Summon(TeachingMessage):
    """Instructors: bring ``participants`` (absent: every student) to the
    stage or next to the sender."""

    type: ClassVar[str] = "summon"
    to: SummonTarget
    participants: list[str] | None = field(
        default=None, metadata=limit(max_length=64, max_items=MAX_SUMMONED)
    )
    id: int | None = None


@dataclass
class StartBreakouts(TeachingMessage):
    """Instructors: send students to tables. ``random``: shuffled over
    ``tables`` tables (absent: every table); ``groups``: each group to a
    table of its own; ``choose``: students walk to a table themselves.
    ``minutes``: a timer, with a warning a minute before the end, after which
    everyone is brought back to the stage."""

    type: ClassVar[str] = "start_breakouts"
    mode: BreakoutMode
    tables: int | None = None
    groups: list[BreakoutGroup] | None = field(default=None, metadata=limit(max_items=MAX_GROUPS))
    minutes: float | None = None
    id: int | None = None


@dataclass
class EndBreakouts(TeachingMessage):
    """Instructors: end the breakouts now; everyone comes back to the stage."""

    type: ClassVar[str] = "end_breakouts"
    id: int | None = None


@dataclass
class SetBroadcast(TeachingMessage):
    """Instructors: start (``on``) or stop the broadcast. It is the sender's
    media, or, when the sender takes no part in media (a notebook), that of
    the same user's connection that does."""

    type: ClassVar[str] = "broadcast"
    on: bool
    id: int | None = None


@dataclass
class GiveFloor(TeachingMessage):
    """Instructors: add ``participant``'s microphone to the broadcast
    (``on``), or take it back. Their raised hand is lowered."""

    type: ClassVar[str] = "give_floor"
    participant: str = field(metadata=limit(max_length=64))
    on: bool
    id: int | None = None


# --------------------------------------------------------------------------
# Server -> client


@dataclass
class Welcome(ServerMessage):
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
    #: The ticket that opens this session's media socket (``classroom/media``);
    #: empty: this server has none.
    media_ticket: str = ""
    #: Set when the receiver joined as an observer: who it acts for. ``you``
    #: is then the observer's own id, in no roster, and ``resume`` is empty.
    observer: ObserverInfo | None = None


@dataclass
class ParticipantJoined(ServerMessage):
    type: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo


@dataclass
class ParticipantUpdated(ServerMessage):
    type: ClassVar[str] = "participant_updated"
    participant: ParticipantInfo


@dataclass
class ParticipantLeft(ServerMessage):
    type: ClassVar[str] = "participant_left"
    participant_id: str


@dataclass
class Positions(ServerMessage):
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
class PeerConnect(ServerMessage):
    """Open a peer-to-peer call with ``peer``; ``offerer`` says whether the
    receiver makes the first offer (the other side is the polite peer)."""

    type: ClassVar[str] = "peer_connect"
    peer: str
    offerer: bool


@dataclass
class PeerDisconnect(ServerMessage):
    """Close the peer-to-peer call with ``peer``."""

    type: ClassVar[str] = "peer_disconnect"
    peer: str


@dataclass
class PeerSignal(ServerMessage):
    """Signaling relayed from the paired peer ``sender`` (``call`` as the
    sender numbered it in ``signal``)."""

    type: ClassVar[str] = "signal"
    sender: str
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = field(default=None, metadata=limit(max_items=MAX_STREAMS))
    call: int | None = None


@dataclass
class SfuOffer(ServerMessage):
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
class SfuTracks(ServerMessage):
    """What the server's transceivers on room connection ``connection`` carry
    now (all of them; a transceiver not listed carries nothing)."""

    type: ClassVar[str] = "sfu_tracks"
    connection: int
    tracks: list[SfuTrack]


@dataclass
class SfuClosed(ServerMessage):
    """The server closed room connection ``connection``; ``reason`` says why."""

    type: ClassVar[str] = "sfu_closed"
    connection: int
    reason: str


@dataclass
class UdpProbeOffer(ServerMessage):
    """The offer of UDP probe ``probe`` (``id``: the ``udp_probe`` request's),
    with the server's ICE candidates in the SDP. Answer within 15 seconds."""

    type: ClassVar[str] = "udp_probe_offer"
    probe: int
    description: SessionDescription
    id: int | None = None


@dataclass
class UdpProbeClosed(ServerMessage):
    """The server closed UDP probe ``probe``: ``connected`` says whether ICE
    and DTLS got through (UDP passes between the two) before it did."""

    type: ClassVar[str] = "udp_probe_closed"
    probe: int
    connected: bool


@dataclass
class KeyFrameRequest(ServerMessage):
    """Send a key frame of this kind and layer (``FRAME_KIND_*``,
    ``FRAME_LAYER_*``) over the media socket: a receiver lost frames, or a
    new one starts watching."""

    type: ClassVar[str] = "key_frame"
    kind: int
    layer: int


@dataclass
class Speakers(ServerMessage):
    """Who is speaking in ``room`` (from the audio levels the server forwards),
    loudest first; the first is the active speaker. Sent to the room's
    members when it changes."""

    type: ClassVar[str] = "speakers"
    room: str
    ids: list[str]


@dataclass
class ClassUpdated(ServerMessage):
    """What the instructors set for the class changed (sent to everyone)."""

    type: ClassVar[str] = "class_updated"
    state: ClassState


@dataclass
class Muted(ServerMessage):
    """An instructor (participant ``by``) turned the receiver's microphone
    off: the client stops sending it. ``locked``: it may not be turned on
    again until microphones are unlocked."""

    type: ClassVar[str] = "muted"
    by: str
    locked: bool = False


@dataclass
class Notice(ServerMessage):
    """A sentence for the receiver about something an instructor did to them
    or to the class (summoned, sent to a table, breakouts ending)."""

    type: ClassVar[str] = "notice"
    kind: NoticeKind
    text: str
    room: str | None = None


@dataclass
class Chat(ServerMessage):
    type: ClassVar[str] = "chat"
    message: ChatMessage


@dataclass
class ChatHistory(ServerMessage):
    """Stored messages of one channel, oldest first. ``peer`` names the other
    user of a direct conversation; ``room`` the room of a room channel."""

    type: ClassVar[str] = "chat_history"
    channel: ChatChannel
    messages: list[ChatMessage]
    room: str | None = None
    peer: str | None = None


@dataclass
class Ack(ServerMessage):
    type: ClassVar[str] = "ack"
    id: int
    message_id: int | None = None


@dataclass
class Pong(ServerMessage):
    type: ClassVar[str] = "pong"
    t: float
    id: int | None = None


@dataclass
class Error(ServerMessage):
    type: ClassVar[str] = "error"
    code: ErrorCode
    message: str
    id: int | None = None


# The invitations' and the shown videos' messages, in modules of their own,
# join the families before they are listed.
from .invitations import *  # noqa: E402, F403
from .shown import *  # noqa: E402, F403

CLIENT_MESSAGES: tuple[type[ClientMessage], ...] = tuple(ClientMessage.members)
SERVER_MESSAGES: tuple[type[ServerMessage], ...] = tuple(ServerMessage.members)
#: The instructors' commands.
TEACHING_MESSAGES: tuple[type[TeachingMessage], ...] = tuple(TeachingMessage.members)
