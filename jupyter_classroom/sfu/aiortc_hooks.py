"""Every use of aiortc's private internals, in one place.

aiortc's receiver always decodes what it receives and its public track API
only hands out decoded frames; its sender re-packetizes pre-encoded packets
without encoding them again. Forwarding therefore takes the encoded frames
out of the receiver before its decoder, and gives them to a sender as
packets. These hooks depend on aiortc's private attributes, so aiortc is
pinned to exactly :data:`AIORTC_VERSION` and ``tests/sfu/test_aiortc_hooks.py``
checks each hook against the installed aiortc.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import aioice.ice
import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender

AIORTC_VERSION = "1.16.0"

#: An encoded frame as aiortc's jitter buffer assembles it: ``.data`` (the
#: codec payload without RTP payload descriptors) and ``.timestamp``.
EncodedFrame = Any
FrameCallback = Callable[[Any, EncodedFrame], None]


def check_aiortc_version() -> None:
    """Refuse to run with an aiortc whose internals were not checked."""
    if aiortc.__version__ != AIORTC_VERSION:
        raise RuntimeError(
            f"jupyterlab-classroom's SFU needs aiortc {AIORTC_VERSION} exactly "
            f"(it hooks private internals); found {aiortc.__version__}"
        )


class EncodedFrameSink:
    """Stands in for an ``RTCRtpReceiver``'s decoder queue.

    The receiver puts ``(codec, encoded_frame)`` on its decoder queue; here
    they go to ``on_frame`` instead, on the event loop, and the decoder thread
    (which reads the queue) idles until the receiver stops.
    """

    def __init__(self, on_frame: FrameCallback) -> None:
        self.on_frame = on_frame
        self._stopped = threading.Event()

    def put(self, item: tuple[Any, EncodedFrame] | None) -> None:
        if item is None:
            self._stopped.set()
        else:
            self.on_frame(*item)

    def get(self, *args: Any, **kwargs: Any) -> None:
        self._stopped.wait()
        return None


def capture_encoded_frames(receiver: RTCRtpReceiver, on_frame: FrameCallback) -> EncodedFrameSink:
    """Send a receiver's encoded frames to ``on_frame`` instead of its decoder.

    Call it before the receiver starts (in the peer connection's ``track``
    event): ``receive()`` hands the queue to the decoder thread it starts.
    """
    sink = EncodedFrameSink(on_frame)
    if not hasattr(receiver, "_RTCRtpReceiver__decoder_queue"):
        raise RuntimeError("aiortc's RTCRtpReceiver has no decoder queue to hook")
    receiver._RTCRtpReceiver__decoder_queue = sink  # type: ignore[attr-defined]
    return sink


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a Picture Loss Indication to the sender of every stream the receiver hears."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the far end asks this sender for a keyframe (PLI/FIR).

    aiortc's sender would ask its encoder, which a forwarded stream does not
    have; the request goes to the publisher instead.
    """
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc's RTCRtpSender has no _send_keyframe to hook")
    sender._send_keyframe = callback  # type: ignore[method-assign]


def announce_host_addresses(addresses: list[str] | None) -> None:
    """Offer these addresses as ICE host candidates instead of the machine's own.

    aioice leaves out 127.0.0.1 and knows nothing of an address behind NAT;
    like Janus's ``nat_1_1_mapping``, the server may say which addresses it can
    be reached at. ``None`` restores aioice's own choice.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _aioice_host_addresses
        return
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


_aioice_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
