"""The selective forwarding unit for rooms: encoded media in, encoded media out.

Inside a room everyone sends each of their tracks once to the server, which
forwards the RTP packets to every other member without decoding them. Each
participant has one connection (:class:`SfuConnection`); every published
track is a :class:`Producer`, every member receiving it a :class:`Consumer`;
:class:`Sfu` follows the classroom's plan of who receives what and reports
the active speakers of each room. In a mixed room, :class:`FrameProducer` and
:class:`FrameTap` bridge to the WebSocket transport's chunks.
"""

from .aiortc_hooks import announce_host_addresses, check_aiortc_version
from .bridge import FrameProducer, FrameTap
from .connection import SfuConnection
from .forwarding import BaseProducer, Consumer, Producer, RetransmitLimits, Slot
from .router import Router, Sfu, SfuSettings
from .speakers import LoudestSettings, LoudestVoices, SpeakerDetector, SpeakerSettings

__all__ = [
    "BaseProducer",
    "Consumer",
    "FrameProducer",
    "FrameTap",
    "LoudestSettings",
    "LoudestVoices",
    "Producer",
    "RetransmitLimits",
    "Router",
    "Sfu",
    "SfuConnection",
    "SfuSettings",
    "Slot",
    "SpeakerDetector",
    "SpeakerSettings",
    "announce_host_addresses",
    "check_aiortc_version",
]
