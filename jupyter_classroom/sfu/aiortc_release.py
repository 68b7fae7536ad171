"""Letting reference counting free a closed RTCPeerConnection.

A closed aiortc connection sits in reference cycles: its transports keep the
connection's state-change listeners (bound methods of the connection, which
holds the transports), aioice keeps each ICE connection's check list (pairs
whose sockets point back at the connection), receivers and senders log
through lambdas over themselves, and the SFU's own hooks are closures over
the object they are installed on. Only a full garbage collection frees them,
and a receiver alone holds a few thousand small objects (its bitrate
estimator's rate buckets), so a class whose people walk in and out of rooms
all day piles them up between collections. :func:`release` cuts those
cycles once the connection is closed.

Like :mod:`.aiortc_hooks`, this reaches aiortc's and aioice's private
attributes: each is checked here before it is touched, and
``tests/sfu/test_aiortc_release.py`` fails when an upgrade changes one.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from pyee.asyncio import AsyncIOEventEmitter

#: The methods :func:`.aiortc_hooks.tap_receiver` and
#: :func:`.aiortc_hooks.hook_sender` replace on the object itself.
RECEIVER_HOOKS = ("_handle_rtp_packet", "_handle_rtcp_packet")
SENDER_HOOKS = ("send", "_send_keyframe", "_retransmit", "_send_rtcp")
#: aiortc's per-object debug loggers: lambdas over the object when debug
#: logging was on as it was made.
_LOGGERS = {
    RTCRtpReceiver: "_RTCRtpReceiver__log_debug",
    RTCRtpSender: "_RTCRtpSender__log_debug",
}


def _no_log(*args: object) -> None:
    pass


def unhook(obj: RTCRtpReceiver | RTCRtpSender) -> None:
    """Take the SFU's hooks and aiortc's debug logger off a stopped receiver
    or sender: both are closures over the object itself."""
    names = RECEIVER_HOOKS if isinstance(obj, RTCRtpReceiver) else SENDER_HOOKS
    attributes = vars(obj)
    for name in names:
        attributes.pop(name, None)
    logger = _LOGGERS.get(type(obj))
    if logger is not None and logger in attributes:
        attributes[logger] = _no_log


def _transports(pc: RTCPeerConnection) -> tuple[set[Any], set[Any]]:
    """The connection's DTLS and ICE transports, used or not (a transport
    that BUNDLE made unused is still in the connection's own sets)."""
    dtls: set[Any] = set(getattr(pc, "_RTCPeerConnection__dtlsTransports", ()))
    ice: set[Any] = set(getattr(pc, "_RTCPeerConnection__iceTransports", ()))
    for transceiver in pc.getTransceivers():
        dtls.add(transceiver.receiver.transport)
        dtls.add(transceiver.sender.transport)
    sctp = pc.sctp
    if sctp is not None:
        dtls.add(sctp.transport)
    dtls.discard(None)
    ice.update(d.transport for d in dtls)
    return dtls, ice


def release(pc: RTCPeerConnection) -> None:
    """Cut the reference cycles of a connection that ``close()`` has finished
    closing, so that it is freed as soon as nothing else refers to it.

    Calling it on a connection that is not closed raises ``RuntimeError``:
    a live connection still needs its listeners.
    """
    if pc.connectionState != "closed":
        raise RuntimeError("release() needs a closed RTCPeerConnection")
    for transceiver in pc.getTransceivers():
        unhook(transceiver.receiver)
        unhook(transceiver.sender)
    dtls_transports, ice_transports = _transports(pc)
    emitters: list[AsyncIOEventEmitter] = [pc, *dtls_transports, *ice_transports]
    for ice in ice_transports:
        emitters.append(ice.iceGatherer)
        connection = getattr(ice.iceGatherer, "_connection", None)
        check_list = getattr(connection, "_check_list", None)
        if isinstance(check_list, list):
            # Each pair's socket protocol refers to the ICE connection; after
            # close() the pairs are of no use.
            check_list.clear()
    for emitter in emitters:
        emitter.remove_all_listeners()
