"""The classroom wire protocol: the single source of truth for both sides.

Every message is a JSON object with a ``type``. Requests from a client may
carry an ``id`` that the server echoes in its reply (``ack``, ``welcome``,
``pong`` or ``error``). Errors carry a stable ``code`` and a human sentence.

The message types are dataclasses. From them this module derives

* the decoder that validates every inbound message (:func:`decode_client`),
* the encoder for outbound messages (:func:`encode`),
* a JSON Schema (:func:`json_schema`), and
* the TypeScript types of the front end (``labextension/src/protocol.ts``,
  written by ``python -m jupyter_classroom.protocol``; a test checks that the
  committed file is current).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Literal, Union

PROTOCOL_VERSION = 1


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


class ProtocolError(Exception):
    """An inbound message was refused; becomes an ``error`` reply."""

    def __init__(self, code: ErrorCode, message: str, request_id: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


# WebSocket close codes (4000-4999 are free for applications).
CLOSE_CLASSROOM_FULL = 4001
CLOSE_PROTOCOL_VERSION = 4002
CLOSE_SERVER_SHUTDOWN = 4003
CLOSE_REPLACED = 4004

ChatChannel = Literal["class", "room", "nearby", "direct"]
Status = Literal["available", "busy", "away"]
Role = Literal["instructor", "student"]
RoomKind = Literal["table", "stage", "room"]
Connection = Literal["online", "reconnecting"]
TrackSource = Literal["microphone", "camera", "screen_share"]


def _limits(**kw: float) -> dict[str, Any]:
    return {"metadata": kw}


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
    sdp: str | None = field(default=None, **_limits(max_length=65536))


@dataclass
class StreamSource:
    """What a media stream in a peer connection carries, so the receiver can
    tell a camera from a shared screen."""

    stream: str = field(**_limits(max_length=128))
    source: Literal["camera", "screen_share"]


@dataclass
class IceCandidate:
    candidate: str = field(**_limits(max_length=1024))
    sdpMid: str | None = field(default=None, **_limits(max_length=64))
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = field(default=None, **_limits(max_length=256))


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


# --------------------------------------------------------------------------
# Client -> server


@dataclass
class Join:
    """First message on a socket. ``resume`` brings back a dropped participant;
    ``media`` says the client takes part in the rooms' conferences (it answers
    ``sfu_offer``)."""

    type: ClassVar[str] = "join"
    protocol: int
    id: int | None = None
    resume: str | None = field(default=None, **_limits(max_length=128))
    media: bool | None = None


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
    to: str | None = field(default=None, **_limits(max_length=64))


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
    to: str = field(**_limits(max_length=64))
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = None
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
    neighbours: list[str]
    ice_servers: list[IceServer]
    id: int | None = None


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
    where the receiver really stands."""

    type: ClassVar[str] = "positions"
    t: float
    moves: list[Position]
    correction: bool | None = None


@dataclass
class Neighbours:
    """Who is within the proximity radius of the receiver (with hysteresis)."""

    type: ClassVar[str] = "neighbours"
    ids: list[str]


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
class MeshCapped:
    """Neighbours the receiver is not connected to because a mesh is full."""

    type: ClassVar[str] = "mesh_capped"
    ids: list[str]


@dataclass
class PeerSignal:
    """Signaling relayed from the paired peer ``sender`` (``call`` as the
    sender numbered it in ``signal``)."""

    type: ClassVar[str] = "signal"
    sender: str
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    sources: list[StreamSource] | None = None
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
    ChatSend,
    Ping,
    RelaySignal,
    SfuAnswer,
    SfuCandidate,
)
SERVER_MESSAGES: tuple[type, ...] = (
    Welcome,
    ParticipantJoined,
    ParticipantUpdated,
    ParticipantLeft,
    Positions,
    Neighbours,
    PeerConnect,
    PeerDisconnect,
    MeshCapped,
    PeerSignal,
    SfuOffer,
    SfuTracks,
    SfuClosed,
    Speakers,
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
)

ClientMessage = Union[
    Join, Move, SetPresence, ChatSend, Ping, RelaySignal, SfuAnswer, SfuCandidate
]
_CLIENT_BY_TYPE: dict[str, type] = {m.type: m for m in CLIENT_MESSAGES}

# --------------------------------------------------------------------------
# Decoding: validate an inbound JSON text against the dataclasses.


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def decode_client(text: str | bytes, max_bytes: int) -> ClientMessage:
    """Parse and validate one client message, or raise :class:`ProtocolError`."""
    if len(text) > max_bytes:
        raise ProtocolError(
            ErrorCode.TOO_LARGE, f"Message is larger than {max_bytes} bytes."
        )
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(ErrorCode.BAD_JSON, f"Message is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "Message must be a JSON object.")
    request_id = raw.get("id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        request_id = None
    kind = raw.get("type")
    cls = _CLIENT_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"Unknown message type {kind!r}.", request_id
        )
    body = {k: v for k, v in raw.items() if k != "type"}
    try:
        return typing.cast(ClientMessage, _build(cls, body, kind))
    except _Invalid as e:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(e), request_id) from None


class _Invalid(ValueError):
    pass


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
        _HINTS[cls] = hints
    return hints


def _fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls)]


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise _Invalid(f"{where} must be an object.")
    hints = _hints(cls)
    known = {f.name for f in _fields(cls)}
    extra = set(raw) - known
    if extra:
        raise _Invalid(f"{where}: unexpected field(s) {', '.join(sorted(extra))}.")
    kwargs = {}
    for f in _fields(cls):
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _Invalid(f"{where}: missing field {f.name!r}.")
            continue
        kwargs[f.name] = _check(hints[f.name], raw[f.name], f"{where}.{f.name}", f.metadata)
    return cls(**kwargs)


def _check(tp: Any, value: Any, where: str, limits: Any = None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check(inner[0] if len(inner) == 1 else Union[tuple(inner)], value, where, limits)
    if origin is Literal:
        if value not in args or not isinstance(value, str):
            raise _Invalid(f"{where} must be one of {', '.join(map(str, args))}.")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _Invalid(f"{where} must be true or false.")
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid(f"{where} must be an integer.")
        return value
    if tp is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _Invalid(f"{where} must be a number.")
        if not math.isfinite(value):
            raise _Invalid(f"{where} must be a finite number.")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _Invalid(f"{where} must be a string.")
        max_length = (limits or {}).get("max_length")
        if max_length is not None and len(value) > max_length:
            raise _Invalid(f"{where} is longer than {max_length} characters.")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _Invalid(f"{where} must be a list.")
        return [_check(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, list) or len(value) != len(args):
            raise _Invalid(f"{where} must be a list of {len(args)} items.")
        return tuple(_check(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            raise _Invalid(f"{where} has an unknown value.") from None
    raise TypeError(f"unsupported type {tp!r} at {where}")


# --------------------------------------------------------------------------
# Encoding


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        kind = getattr(type(value), "type", None)
        if isinstance(kind, str):
            out["type"] = kind
        for f in _fields(type(value)):
            v = getattr(value, f.name)
            if v is not None:
                out[f.name] = _plain(v)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_dict(message: Any) -> dict[str, Any]:
    """A message or record as plain JSON data (``None`` fields left out)."""
    return typing.cast(dict[str, Any], _plain(message))


def encode(message: Any) -> str:
    """A server message as JSON text."""
    return json.dumps(_plain(message), separators=(",", ":"), allow_nan=False)


def error(code: ErrorCode, message: str, request_id: int | None = None) -> Error:
    return Error(code=code, message=message, id=request_id)


# --------------------------------------------------------------------------
# Schema and TypeScript generation


def _schema_of(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema_of(a) for a in args]}
    if origin is Literal:
        return {"enum": list(args)}
    if tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if origin is list:
        return {"type": "array", "items": _schema_of(args[0])}
    if origin is tuple:
        return {
            "type": "array",
            "prefixItems": [_schema_of(a) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if dataclasses.is_dataclass(tp):
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"enum": [e.value for e in tp]}
    raise TypeError(tp)


def _object_schema(cls: type) -> dict[str, Any]:
    hints = _hints(cls)
    props: dict[str, Any] = {}
    required = []
    kind = getattr(cls, "type", None)
    if isinstance(kind, str):
        props["type"] = {"const": kind}
        required.append("type")
    for f in _fields(cls):
        props[f.name] = _schema_of(hints[f.name])
        if "max_length" in f.metadata:
            props[f.name]["maxLength"] = f.metadata["max_length"]
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of every message and record."""
    defs = {c.__name__: _object_schema(c) for c in RECORDS + CLIENT_MESSAGES + SERVER_MESSAGES}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"jupyterlab-classroom protocol v{PROTOCOL_VERSION}",
        "$defs": defs,
        "oneOf": [{"$ref": f"#/$defs/{c.__name__}"} for c in CLIENT_MESSAGES + SERVER_MESSAGES],
    }


def _ts_type(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return " | ".join(_ts_type(a) for a in args)
    if origin is Literal:
        return " | ".join(json.dumps(a).replace('"', "'") for a in args)
    if tp is type(None):
        return "null"
    if tp is bool:
        return "boolean"
    if tp in (int, float):
        return "number"
    if tp is str:
        return "string"
    if origin is list:
        inner = _ts_type(args[0])
        return f"({inner})[]" if "|" in inner else f"{inner}[]"
    if origin is tuple:
        return "[" + ", ".join(_ts_type(a) for a in args) + "]"
    if dataclasses.is_dataclass(tp):
        return f"I{tp.__name__}"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "ErrorCode"
    raise TypeError(tp)


def _ts_interface(cls: type) -> str:
    hints = _hints(cls)
    lines = []
    doc = (cls.__doc__ or "").strip()
    if doc and not doc.startswith(cls.__name__ + "("):
        lines.append("/** " + " ".join(doc.split()) + " */")
    lines.append(f"export interface I{cls.__name__} {{")
    kind = getattr(cls, "type", None)
    if isinstance(kind, str):
        lines.append(f"  type: '{kind}';")
    for f in _fields(cls):
        tp = hints[f.name]
        optional = f.default is not dataclasses.MISSING
        if optional and typing.get_origin(tp) in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else Union[tuple(args)]
            lines.append(f"  {f.name}?: {_ts_type(tp)} | null;")
        elif optional:
            lines.append(f"  {f.name}?: {_ts_type(tp)};")
        else:
            lines.append(f"  {f.name}: {_ts_type(tp)};")
    lines.append("}")
    return "\n".join(lines)


def typescript() -> str:
    """The TypeScript module ``labextension/src/protocol.ts``."""
    out = [
        "// Generated by `python -m jupyter_classroom.protocol` from",
        "// jupyter_classroom/protocol.py. Do not edit by hand.",
        "",
        f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};",
        "",
        "export type ErrorCode =",
        *[f"  | '{e.value}'" for e in ErrorCode],
        ";",
        "",
        f"export const CLOSE_CLASSROOM_FULL = {CLOSE_CLASSROOM_FULL};",
        f"export const CLOSE_PROTOCOL_VERSION = {CLOSE_PROTOCOL_VERSION};",
        f"export const CLOSE_SERVER_SHUTDOWN = {CLOSE_SERVER_SHUTDOWN};",
        f"export const CLOSE_REPLACED = {CLOSE_REPLACED};",
        "",
        f"export type ChatChannel = {_ts_type(ChatChannel)};",
        f"export type Status = {_ts_type(Status)};",
        f"export type Role = {_ts_type(Role)};",
        f"export type RoomKind = {_ts_type(RoomKind)};",
        f"export type Connection = {_ts_type(Connection)};",
        f"export type TrackSource = {_ts_type(TrackSource)};",
        "",
    ]
    for cls in RECORDS + CLIENT_MESSAGES + SERVER_MESSAGES:
        out.append(_ts_interface(cls))
        out.append("")
    out.append("export type ClientMessage =")
    out.extend(f"  | I{c.__name__}" for c in CLIENT_MESSAGES)
    out.append(";")
    out.append("")
    out.append("export type ServerMessage =")
    out.extend(f"  | I{c.__name__}" for c in SERVER_MESSAGES)
    out.append(";")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """Write protocol.ts (default) or the JSON Schema (``--schema``) to stdout."""
    argv = sys.argv[1:] if argv is None else argv
    if "--schema" in argv:
        print(json.dumps(json_schema(), indent=2))
    else:
        sys.stdout.write(typescript())


if __name__ == "__main__":
    main()
