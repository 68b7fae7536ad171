"""The classroom core: pure state and rules, no I/O."""

from .classroom import Classroom, ClassroomError, ClassroomSettings
from .effects import Effects, Outgoing
from .identity import Identity, colour_of, initials_of
from .map import ClassroomMap, MapError, Room
from .media_plan import RoomMedia, TrackKey
from .pairing import MeshChange, PeerMesh
from .participant import Participant
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
