"""The classroom core's settings: the one declaration of each.

A field with a ``help`` text in its metadata is a setting people configure:
the hosts make their configuration (``c.ClassroomApp.speed``,
``c.ClassroomHub.speed``, command-line flags) from these fields, defaults and
help texts included (:mod:`jupyter_classroom.config`). Fields without one
are the core's own tuning. The core takes the dataclass as it is and knows
nothing of the hosts or of traitlets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import protocol


def setting(default: Any, help: str, *, zero_is_none: bool = False) -> Any:
    """A configurable field: its default and the help text people read.

    ``zero_is_none``: configured as a number where 0 means "no limit" (the
    core's None).
    """
    metadata = {"help": help, "zero_is_none": zero_is_none}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ClassroomSettings:
    avatar_radius: float = 16.0
    speed: float = setting(240.0, "Walking speed in map pixels per second.")
    speed_tolerance: float = 1.5
    #: Seconds of walking (at speed * speed_tolerance) a participant may cover
    #: at once: moves that arrive bunched up after a slow network or a busy
    #: server are all accepted, a jump farther than this is not.
    walk_burst: float = setting(
        1.0,
        "Seconds of walking a participant may save up: moves that arrive bunched after "
        "a pause (a slow network, a busy server) are accepted up to this much distance "
        "at once; farther jumps are refused.",
    )
    proximity_radius: float = setting(150.0, "Map pixels within which people are 'nearby'.")
    proximity_drop_factor: float = setting(
        1.25, "Nearby ends beyond proximity_radius times this, so the edge does not flap."
    )
    position_rate_hz: float = setting(
        15.0, "Position batches sent to everyone per second, at most."
    )
    max_participants: int = setting(200, "Participants per classroom.")
    max_chat_length: int = setting(4000, "Characters per chat message.")
    max_message_bytes: int = setting(16384, "Size of one protocol message in bytes.")
    history_size: int = setting(100, "Messages of each channel sent to a participant on joining.")
    reconnect_grace: float = setting(
        30.0,
        "Seconds a participant whose connection dropped is kept for reconnecting, "
        "counted from the last sign of life of their client (time the server's "
        "event loop was stalled does not count).",
    )
    reload_grace: float = setting(
        20.0,
        "Seconds a participant whose page went away (reloaded, or closed: WebSocket "
        "close 1001) is kept for the page to come back, at most reconnect_grace; "
        "0: they leave at once.",
    )
    #: How many "reconnecting" and "left" updates (messages times
    #: recipients) one tick may send. A crowd dropping at once (a Wi-Fi
    #: access point going down) or leaving at once (the bell) is marked or
    #: removed at once, but the others hear of it over the next ticks, so
    #: the event loop is never blocked by a storm of broadcasts. At least
    #: one participant's update goes out each tick, however big the class.
    reconnecting_deliveries_per_tick: int = 4000
    max_mesh_degree: int = setting(
        4, "Peers each person talks to directly on the open floor; beyond it the nearest win."
    )
    #: Walking through a crowd does not tear down and set up a WebRTC call
    #: at every step.
    min_call_seconds: float = setting(
        3.0,
        "Seconds an open-floor call is kept once started, whoever comes nearer, while "
        "the two stay near each other (0: the nearest always win at once).",
    )
    media_transport: protocol.TransportMode = setting(
        "auto",
        "How pages send their media: 'webrtc' (UDP, to peers and the server), 'websocket' "
        "(WebCodecs frames through the server over the classroom's own WebSocket, for "
        "networks that let only Jupyter's own connection through: Binder, Kubernetes), or "
        "'auto': WebRTC, falling back to the WebSocket by itself where it does not connect.",
    )
    room_capacity: int | None = setting(
        None,
        "People allowed in a room whose map entry gives no capacity (0: no limit).",
        zero_is_none=True,
    )
    room_capacities: dict[str, int] = setting(
        {},
        "Capacities by room id, over the map's, e.g. {'stage': 150, 'table-1': 4} (0: no limit).",
    )

    @property
    def proximity_drop_radius(self) -> float:
        return self.proximity_radius * self.proximity_drop_factor

    def client_config(self) -> protocol.ClientConfig:
        return protocol.ClientConfig(
            avatar_radius=self.avatar_radius,
            speed=self.speed,
            proximity_radius=self.proximity_radius,
            proximity_drop_radius=self.proximity_drop_radius,
            position_rate_hz=self.position_rate_hz,
            max_chat_length=self.max_chat_length,
            max_message_bytes=self.max_message_bytes,
            history_size=self.history_size,
            media_transport=self.media_transport,
        )
