"""The forwarding SFU for rooms: encoded media in, encoded media out.

Every published track becomes a :class:`Producer`; every member of the room
who receives it gets a :class:`Consumer`. Frames are forwarded as they were
encoded; the server never decodes or re-encodes them.
"""

from .aiortc_hooks import announce_host_addresses, check_aiortc_version
from .forwarding import Consumer, ForwardedTrack, Producer

__all__ = [
    "Consumer",
    "ForwardedTrack",
    "Producer",
    "announce_host_addresses",
    "check_aiortc_version",
]
