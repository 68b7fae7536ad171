"""The classroom core: pure state and rules, no I/O."""

from .classroom import (
    Classroom,
    ClassroomError,
    ClassroomSettings,
    Participant,
    RoomMedia,
    TrackKey,
)
from .identity import Identity, colour_of, initials_of
from .effects import Effects, Outgoing
from .map import ClassroomMap, MapError, Room
from .pairing import MeshChange, PeerMesh
from .proximity import Proximity

__all__ = [
    "Classroom",
    "ClassroomError",
    "ClassroomMap",
    "ClassroomSettings",
    "Effects",
    "Identity",
    "MapError",
    "MeshChange",
    "Outgoing",
    "Participant",
    "PeerMesh",
    "Proximity",
    "Room",
    "RoomMedia",
    "TrackKey",
    "colour_of",
    "initials_of",
]
