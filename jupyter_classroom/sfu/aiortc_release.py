"""Letting reference counting free a closed RTCPeerConnection.

A closed aiortc connection sits in reference cycles: its transports keep the
connection's state-change listeners (bound methods of the connection, which
holds the transports), aioice keeps each ICE connection's check list (pairs
whose sockets point back at the connection), receivers and senders log
through lambdas over themselves, and the SFU's own hooks are closures over
the object they are installed on, and pyOpenSSL's certificate-verification
helper of each DTLS context refers to itself through the C callback it
wraps. Only a full garbage collection frees them,
and a receiver alone holds a few thousand small objects (its bitrate
estimator's rate buckets), so a class whose people walk in and out of rooms
all day piles them up between collections. :func:`release` cuts those
cycles once the connection is closed.

A STUN request that times out (an ICE check, a consent check) makes a cycle
of its own, live connection or not: :func:`free_failed_stun_requests`
(installed on import) cuts it as the error leaves aioice.

Like :mod:`.aiortc_hooks`, this reaches aiortc's and aioice's private
attributes: each is checked here before it is touched, and
``tests/sfu/test_aiortc_release.py`` fails when an upgrade changes one.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

from aioice import stun
from aioice.ice import StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from pyee.asyncio import AsyncIOEventEmitter

#: The methods :func:`.aiortc_hooks.tap_receiver` and
#: :func:`.aiortc_hooks.hook_sender` replace on the object itself.
RECEIVER_HOOKS = ("_handle_rtp_packet", "_handle_rtcp_packet")
SENDER_HOOKS = ("send", "_send_keyframe", "_retransmit", "_send_rtcp", "_handle_rtcp_packet")
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
    for dtls in dtls_transports:
        free_verify_helper(getattr(dtls, "_ssl", None))


def free_verify_helper(ssl: Any) -> None:
    """Cut the cycle of a closed DTLS session's verification helper.

    pyOpenSSL's ``_VerifyHelper`` holds the C callback it made over a
    function that refers back to the helper: a full collection is the only
    way out, and it frees the whole SSL context with it. OpenSSL may call
    that callback as long as the session or its context live, so the helper
    lets go of it only as the context goes (the session, which refers to
    the context, has gone by then), and reference counting frees both.
    """
    context = getattr(ssl, "_context", None)
    helper = getattr(context, "_verify_helper", None)
    if context is None or helper is None or not hasattr(helper, "callback"):
        return
    weakref.finalize(context, _drop_callback, helper)


def _drop_callback(helper: Any) -> None:
    # The context's own reference to the callback goes with it, just after.
    helper.callback = None


def free_failed_stun_requests() -> None:
    """Make a STUN request that failed free what it held at once.

    A timed-out transaction keeps its error in its future, and the error's
    traceback keeps the frames that hold the transaction: a cycle that holds
    the request's socket protocol and, through it, the whole aioice
    connection (candidates, check list) until a full collection. Consent
    checks are sent once, unanswered ones fail every few seconds on a busy
    machine, and every ICE check of a pair that does not work times out. The
    error keeps no traceback into aioice once it leaves ``request``.
    Idempotent.
    """
    original = StunProtocol.request
    if getattr(original, "__wrapped__", None) is not None:
        return

    @functools.wraps(original)
    async def request(self: StunProtocol, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except stun.TransactionError as error:
            error.__traceback__ = None
            raise error

    StunProtocol.request = request  # type: ignore[method-assign]


free_failed_stun_requests()
