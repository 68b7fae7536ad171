"""The private aiortc and aioice internals ``aiortc_release`` cuts, each
checked against the installed versions: an upgrade that renames one, or that
stops leaving a closed connection in a cycle, fails here."""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import aioice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.rtcicetransport import RTCIceGatherer

from jupyter_classroom.sfu import aiortc_hooks, aiortc_release

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    aiortc_hooks.announce_host_addresses(["127.0.0.1"])
    yield
    aiortc_hooks.announce_host_addresses(None)


@contextmanager
def no_collection() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@pytest.mark.asyncio
async def test_the_connection_keeps_its_transports_in_private_sets() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("audio")
    dtls = transceiver.receiver.transport
    assert pc._RTCPeerConnection__dtlsTransports == {dtls}  # type: ignore[attr-defined]
    assert pc._RTCPeerConnection__iceTransports == {dtls.transport}  # type: ignore[attr-defined]
    # Its transports call it back on every state change, and close() takes
    # only its own listeners off.
    assert 'dtlsTransport.on("statechange", self.__updateConnectionState)' in inspect.getsource(
        RTCPeerConnection
    )
    close = inspect.getsource(RTCPeerConnection.close)
    assert "self.remove_all_listeners()" in close
    assert "transport.remove_all_listeners" not in close
    await pc.close()


@pytest.mark.asyncio
async def test_the_ice_gatherer_owns_an_aioice_connection_with_a_check_list() -> None:
    gatherer = RTCIceGatherer()
    connection = gatherer._connection
    assert isinstance(connection, aioice.Connection)
    assert isinstance(connection._check_list, list)
    # close() stops the checks but keeps the pairs, whose protocols refer back.
    close = inspect.getsource(aioice.Connection.close)
    assert "self._check_list" in close and "_check_list.clear()" not in close
    assert "self.receiver = receiver" in inspect.getsource(aioice.ice.StunProtocol.__init__)
    await connection.close()


@pytest.mark.asyncio
async def test_receivers_and_senders_have_a_debug_logger_of_their_own() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("video")
    assert "_RTCRtpReceiver__log_debug" in vars(transceiver.receiver)
    assert "_RTCRtpSender__log_debug" in vars(transceiver.sender)
    assert "self.__log_debug = lambda" in inspect.getsource(RTCRtpReceiver.__init__)
    assert "self.__log_debug = lambda" in inspect.getsource(RTCRtpSender.__init__)
    await pc.close()


@pytest.mark.asyncio
async def test_unhook_takes_the_sfu_hooks_off() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        transceiver = pc.addTransceiver("video")
        receiver, sender = transceiver.receiver, transceiver.sender
        aiortc_hooks.tap_receiver(receiver, lambda packet: None, lambda *report: None)
        aiortc_hooks.hook_sender(sender, aiortc_hooks.ForwardingHooks())
        assert set(aiortc_release.RECEIVER_HOOKS) <= set(vars(receiver))
        assert set(aiortc_release.SENDER_HOOKS) <= set(vars(sender))
        aiortc_release.unhook(receiver)
        aiortc_release.unhook(sender)
        assert not set(aiortc_release.RECEIVER_HOOKS) & set(vars(receiver))
        assert not set(aiortc_release.SENDER_HOOKS) & set(vars(sender))
        # aiortc's own methods are back.
        assert (
            getattr(receiver._handle_rtp_packet, "__func__", None)
            is RTCRtpReceiver._handle_rtp_packet
        )
        assert getattr(sender.send, "__func__", None) is RTCRtpSender.send
    finally:
        await pc.close()


@pytest.mark.asyncio
async def test_release_refuses_an_open_connection() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio")
    with pytest.raises(RuntimeError):
        aiortc_release.release(pc)
    await pc.close()
    aiortc_release.release(pc)


async def connected_pair() -> tuple[RTCPeerConnection, RTCPeerConnection]:
    """Two connections that exchanged media sections and completed ICE and
    DTLS, the offerer's receivers and senders hooked as the SFU hooks them."""
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for kind in ("audio", "video"):
        transceiver = a.addTransceiver(aiortc_hooks.ParkedTrack(kind), direction="sendrecv")
        aiortc_hooks.tap_receiver(transceiver.receiver, lambda packet: None, lambda *report: None)
        aiortc_hooks.hook_sender(transceiver.sender, aiortc_hooks.ForwardingHooks())
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not (a.connectionState == b.connectionState == "connected"):
        assert loop.time() < deadline, "the pair did not connect"
        await asyncio.sleep(0.02)
    return a, b


def parts(pc: RTCPeerConnection) -> list[weakref.ref[object]]:
    """Weak references to a connection and the objects it is made of."""
    objects: list[object] = [pc]
    for transceiver in pc.getTransceivers():
        objects += [transceiver, transceiver.receiver, transceiver.sender]
        dtls = transceiver.receiver.transport
        objects += [dtls, dtls.transport, dtls.transport.iceGatherer._connection]
        # The DTLS session's context and its certificate-verification helper.
        assert dtls._ssl is not None, "the DTLS session has not started"
        objects += [dtls._ssl._context, dtls._ssl._context._verify_helper]
    return [weakref.ref(o) for o in objects]


@pytest.mark.asyncio
async def test_a_released_connection_is_freed_by_reference_counting() -> None:
    a, b = await connected_pair()
    await a.close()
    await b.close()
    with no_collection():
        released, kept = parts(a), parts(b)
        aiortc_release.release(a)
        del a, b
        # Without release(), a closed connection waits for the collector; if
        # this fails, aiortc no longer leaves one in cycles.
        assert all(r() is not None for r in kept)
        assert [r() for r in released] == [None] * len(released)
    gc.collect()
    assert [r() for r in kept] == [None] * len(kept)


def test_a_stun_request_runs_its_transaction_in_its_own_frame() -> None:
    # The cycle free_failed_stun_requests cuts: request()'s frame holds the
    # transaction, whose future keeps the error raised through that frame.
    request = inspect.getsource(aioice.ice.StunProtocol.request.__wrapped__)  # type: ignore[attr-defined]
    assert "transaction = stun.Transaction(" in request
    assert "return await transaction.run()" in request
    assert "del self.transactions[request.transaction_id]" in request
    assert "self.__future.set_exception(TransactionTimeout())" in inspect.getsource(
        aioice.stun.Transaction
    )


@pytest.mark.asyncio
async def test_a_stun_request_that_timed_out_is_freed_by_reference_counting() -> None:
    loop = asyncio.get_running_loop()
    # A socket that never answers.
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    address = silent.get_extra_info("sockname")
    try:
        with no_collection():
            connection = aioice.Connection(ice_controlling=True)
            transport, protocol = await loop.create_datagram_endpoint(
                functools.partial(aioice.ice.StunProtocol, connection), local_addr=("127.0.0.1", 0)
            )
            ping = aioice.stun.Message(
                message_method=aioice.stun.Method.BINDING,
                message_class=aioice.stun.Class.REQUEST,
            )
            with pytest.raises(aioice.stun.TransactionTimeout):
                await protocol.request(ping, address, retransmissions=0)
            gone = weakref.ref(connection)
            transport.close()
            await asyncio.sleep(0)  # the socket's connection_lost
            del connection, transport, protocol, ping
            # Without the hook, the timed-out transaction keeps them all.
            assert gone() is None
    finally:
        silent.close()
