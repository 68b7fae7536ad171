"""The classroom core: pure state and rules, no I/O."""

from .classroom import (
    Classroom,
    ClassroomError,
    ClassroomSettings,
    Identity,
    Outgoing,
    Participant,
    RoomMedia,
    TrackKey,
    colour_of,
    initials_of,
)
from .map import ClassroomMap, MapError, Room
from .pairing import MeshChange, PeerMesh

__all__ = [
    "Classroom",
    "ClassroomError",
    "ClassroomMap",
    "ClassroomSettings",
    "Identity",
    "MapError",
    "MeshChange",
    "Outgoing",
    "Participant",
    "PeerMesh",
    "Room",
    "RoomMedia",
    "TrackKey",
    "colour_of",
    "initials_of",
]
