"""Every use of aiortc's private internals, in one place.

aiortc's receiver always decodes what it receives, and its sender always
packetizes frames itself. The SFU forwards RTP packets instead: it takes each
packet from a publisher's receiver once aiortc has unprotected it, unwrapped
retransmissions and noted what is missing (so aiortc still sends receiver
reports, REMB and NACKs upstream), skips aiortc's jitter buffer and decoder,
and writes rewritten packets straight to each subscriber's transport, with
aiortc's RTCP machinery (sender reports, NACKs, PLIs) redirected to the SFU.

These hooks depend on aiortc's private attributes, so aiortc is pinned to
exactly :data:`AIORTC_VERSION` and ``tests/sfu/test_aiortc_hooks.py`` checks
each of them against the installed aiortc.

The type checker cannot follow them: name-mangled attributes (``__started``)
are invisible to it, and replacing a method on an instance is what a hook is.
Those lines, and only those, carry ``type: ignore[attr-defined]`` or
``type: ignore[method-assign]``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import aioice.ice
import aiortc
from aioice import stun
from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)

AIORTC_VERSION = "1.16.0"

PacketCallback = Callable[[RtpPacket], None]
SenderReportCallback = Callable[[int, int, int], None]


def check_aiortc_version() -> None:
    """Refuse to run with an aiortc whose internals were not checked."""
    if aiortc.__version__ != AIORTC_VERSION:
        raise RuntimeError(
            f"jupyterlab-classroom's SFU needs aiortc {AIORTC_VERSION} exactly "
            f"(it hooks private internals); found {aiortc.__version__}"
        )


# -- receiving ------------------------------------------------------------------


class _PacketTap:
    """Stands in for a receiver's jitter buffer: keeps the packet aiortc
    hands it and never assembles a frame, so nothing reaches the decoder."""

    def __init__(self) -> None:
        self.packet: RtpPacket | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self.packet = packet
        return False, None


class _NoDecoding:
    """Stands in for a receiver's decoder queue: the decoder thread that
    ``receive()`` starts finds the end at once and exits."""

    def put(self, item: Any) -> None:
        pass

    def get(self, *args: Any, **kwargs: Any) -> tuple[Any, Any] | None:
        # A decoder queue holds (codec, frame) tasks; None is the end.
        return None


def tap_receiver(
    receiver: RTCRtpReceiver, on_packet: PacketCallback, on_sender_report: SenderReportCallback
) -> None:
    """Give ``on_packet`` every media packet the receiver gets, instead of
    decoding them; and ``on_sender_report(ssrc, ntp, rtp)`` every sender report.

    Call it before the receiver starts (right after creating its transceiver).
    Retransmissions arrive unwrapped, in the order they come; packets aiortc
    drops (unknown payload types, padding-only retransmissions) do not arrive.
    """
    for name in ("_RTCRtpReceiver__jitter_buffer", "_RTCRtpReceiver__decoder_queue"):
        if not hasattr(receiver, name):
            raise RuntimeError(f"aiortc's RTCRtpReceiver has no {name} to hook")
    tap = _PacketTap()
    receiver._RTCRtpReceiver__jitter_buffer = tap  # type: ignore[attr-defined]
    receiver._RTCRtpReceiver__decoder_queue = _NoDecoding()  # type: ignore[attr-defined]
    handle_rtp = receiver._handle_rtp_packet
    handle_rtcp = receiver._handle_rtcp_packet

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        await handle_rtp(packet, arrival_time_ms=arrival_time_ms)
        media = tap.packet
        if media is not None:
            tap.packet = None
            on_packet(media)

    async def handle_rtcp_packet(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            on_sender_report(packet.ssrc, info.ntp_timestamp, info.rtp_timestamp)
        await handle_rtcp(packet)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]
    receiver._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


async def request_keyframe(receiver: RTCRtpReceiver, ssrc: int) -> None:
    """Send a Picture Loss Indication for ``ssrc`` to the sender behind the receiver."""
    await receiver._send_rtcp_pli(ssrc)


# -- sending -----------------------------------------------------------------------


class ParkedTrack(MediaStreamTrack):
    """The track of a forwarding sender: it never yields a frame, so aiortc's
    packetizing loop waits, and the SFU writes the packets itself."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._stopped: asyncio.Future[None] | None = None

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        if self._stopped is None:
            self._stopped = asyncio.get_running_loop().create_future()
        await self._stopped
        raise MediaStreamError

    def stop(self) -> None:
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        super().stop()


class ForwardingHooks:
    """What the SFU answers for a sender whose packets it writes itself."""

    def on_parameters(self, parameters: RTCRtpSendParameters) -> None:
        """The sender starts with these negotiated parameters."""

    def on_keyframe_request(self) -> None:
        """The subscriber lost the picture (PLI/FIR)."""

    async def on_retransmit_request(self, sequence_number: int) -> None:
        """The subscriber misses a packet (NACK)."""

    def sender_info(self) -> RtcpSenderInfo | None:
        """What the next sender report says (None: no report yet)."""
        return None

    def on_receiver_report(self, fraction_lost: int) -> None:
        """The subscriber's report on this sender's stream: the fraction of
        its packets lost since the last report, out of 256."""

    def on_estimate(self, bitrate: int, ssrcs: list[int]) -> None:
        """The subscriber's estimate (REMB, bit/s) of what its link carries
        of the streams it names (this one among them)."""


def hook_sender(sender: RTCRtpSender, hooks: ForwardingHooks) -> None:
    """Route a sender's negotiation and RTCP to ``hooks``.

    aiortc would ask its encoder for key frames, retransmit from its own
    (short) history and report the timestamps of packets it sent; a forwarded
    stream has no encoder and aiortc did not send its packets.
    """
    for name in ("_send_keyframe", "_retransmit", "_send_rtcp", "send", "_handle_rtcp_packet"):
        if not callable(getattr(sender, name, None)):
            raise RuntimeError(f"aiortc's RTCRtpSender has no {name} to hook")
    send = sender.send
    send_rtcp = sender._send_rtcp
    handle_rtcp = sender._handle_rtcp_packet

    async def start(parameters: RTCRtpSendParameters) -> None:
        hooks.on_parameters(parameters)
        await send(parameters)

    async def send_reports(packets: list[Any]) -> None:
        out = []
        for packet in packets:
            if isinstance(packet, RtcpSrPacket):
                info = hooks.sender_info()
                if info is None:
                    # Nothing sent to report on (a slot free for the next
                    # track, or not started): no compound packet at all, as
                    # one must begin with a report (RFC 3550 6.1). A
                    # connection keeps a slot for every track of the rooms
                    # it was in, and each would send its SDES every second.
                    return
                packet.sender_info = info
                # Round-trip times are measured against the report's NTP time.
                sender._RTCRtpSender__lsr = (info.ntp_timestamp >> 16) & 0xFFFFFFFF  # type: ignore[attr-defined]
            out.append(packet)
        if out:
            await send_rtcp(out)

    async def handle_rtcp_packet(packet: Any) -> None:
        # aiortc reads reports only for its statistics and REMB only for
        # its own encoder; a forwarded stream's viewer's link is the SFU's.
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for report in packet.reports:
                if report.ssrc == sender._ssrc:
                    hooks.on_receiver_report(report.fraction_lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                pass  # another application-layer feedback
            else:
                if sender._ssrc in ssrcs:
                    hooks.on_estimate(bitrate, ssrcs)
        await handle_rtcp(packet)

    sender.send = start  # type: ignore[method-assign]
    sender._send_keyframe = hooks.on_keyframe_request  # type: ignore[method-assign]
    sender._retransmit = hooks.on_retransmit_request  # type: ignore[method-assign]
    sender._send_rtcp = send_reports  # type: ignore[method-assign]
    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


def set_stream(sender: RTCRtpSender, stream_id: str) -> bool:
    """Put the sender's track in the stream ``stream_id`` (the ``msid`` of the
    next offer); whether that changed anything the browser was told."""
    if sender._stream_id == stream_id:
        return False
    sender._stream_id = stream_id
    # A sender that has started was in an answered offer.
    return bool(sender._RTCRtpSender__started)  # type: ignore[attr-defined]


PacketWriter = Callable[[bytes], bool]


def packet_writer(sender: RTCRtpSender) -> PacketWriter | None:
    """A synchronous way to protect and send RTP packets on the sender's
    transport, once it is connected (None before).

    It does what ``RTCDtlsTransport._send_rtp`` does, without the chain of
    coroutines down to the socket: forwarding writes a packet per subscriber
    for every packet in, and each coroutine is an object for the garbage
    collector. The writer returns False once the transport is closed.

    The UDP socket can close before DTLS knows (ICE closes its pairs first),
    and writing to a closed unconnected datagram transport raises in
    CPython 3.11 (``sendto`` checks ``_conn_lost`` only for a connected
    one), so the writer checks the socket too.
    """
    dtls = sender.transport
    if dtls._state != DtlsState.CONNECTED:
        return None
    pair = dtls.transport._connection._nominated.get(1)
    if pair is None:
        return None
    socket = pair.protocol.transport
    if socket.is_closing():
        return None
    protect = dtls._tx_srtp.protect
    sendto = socket.sendto
    address = pair.remote_addr

    def write(data: bytes) -> bool:
        if dtls._state != DtlsState.CONNECTED or socket.is_closing():
            return False
        data = protect(data)
        sendto(data, address)
        dtls._RTCDtlsTransport__tx_bytes += len(data)  # type: ignore[attr-defined]
        dtls._RTCDtlsTransport__tx_packets += 1  # type: ignore[attr-defined]
        return True

    return write


# -- ICE ---------------------------------------------------------------------------


def announce_host_addresses(addresses: list[str] | None) -> None:
    """Gather ICE host candidates on these addresses instead of the machine's own.

    aioice leaves out 127.0.0.1, and a server may want to offer only some of
    its addresses. ``None`` restores aioice's own choice.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _aioice_host_addresses
        return
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


_aioice_host_addresses = aioice.ice.get_host_addresses


#: Consent to send expires after this long without an answered check (RFC
#: 7675 section 5.1: 30 s, as browsers do).
CONSENT_TIMEOUT = 30.0
#: Each consent check is sent again this many times when unanswered (after
#: 0.5 s, then 1 s more), so one lost datagram does not fail it.
CONSENT_RETRANSMISSIONS = 2

log = logging.getLogger(__name__)


async def _query_consent(self: aioice.ice.Connection) -> None:
    """aioice's consent freshness (RFC 7675) as the RFC and browsers have it.

    aioice sends each check once, gives it 0.5 s, and ends the connection
    after six checks in a row failed: a link that loses a third of its
    datagrams loses that many in a row every few minutes, and a server busy
    for half a second six times over half a minute ends its calls. Here a
    check is sent again when unanswered, and consent expires only when no
    check has been answered for :data:`CONSENT_TIMEOUT`.
    """
    assert self.remote_password is not None
    loop = asyncio.get_running_loop()
    answered = loop.time()
    while True:
        # As aioice: every CONSENT_INTERVAL, randomized by +-20 %.
        await asyncio.sleep(aioice.ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in list(self._nominated.values()):
            request = self.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request,
                    pair.remote_addr,
                    integrity_key=self.remote_password.encode("utf8"),
                    retransmissions=CONSENT_RETRANSMISSIONS,
                )
                answered = loop.time()
            except stun.TransactionError:
                pass
        if loop.time() - answered >= CONSENT_TIMEOUT:
            log.info("%s: consent to send expired (no answer for %.0f s)", self, CONSENT_TIMEOUT)
            self._query_consent_task = None
            await self.close()
            return


aioice.ice.Connection.query_consent = _query_consent  # type: ignore[method-assign]
