"""One test per private aiortc internal the SFU relies on: an aiortc upgrade
that changes any of them fails here, loudly. (What the hooks achieve together
is shown with real peers in test_forwarding.py and test_room_media.py.)

The private attributes read here are name-mangled (``__started``), which the
type checker cannot see: those lines carry ``type: ignore[attr-defined]``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aioice.ice
import aiortc
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcdtlstransport import RTCDtlsTransport, RtpRouter
from aiortc.rtcpeerconnection import create_media_description_for_transceiver
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpreceiver import decoder_worker
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    pack_remb_fci,
)

from jupyter_classroom.sfu import aiortc_hooks


def source(obj: Any) -> str:
    return inspect.getsource(obj)


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__ == aiortc_hooks.AIORTC_VERSION
    aiortc_hooks.check_aiortc_version()


def test_the_receiver_hands_each_media_packet_to_its_jitter_buffer() -> None:
    # tap_receiver stands in for __jitter_buffer: every media packet, after
    # RTX unwrapping and NACK bookkeeping, goes through .add(packet) once, and
    # only a frame it returns would reach the decoder queue.
    handle = source(RTCRtpReceiver._handle_rtp_packet)
    assert "packet = unwrap_rtx(packet" in handle
    assert handle.index("self.__nack_generator.add(packet)") < handle.index(
        "self.__jitter_buffer.add(packet)"
    )
    assert "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)" in handle
    assert "if encoded_frame is not None and self.__decoder_thread:" in handle
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == [
        "self",
        "packet",
        "arrival_time_ms",
    ]
    # The DTLS transport calls the method on the receiver object it registered.
    assert "await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)" in source(
        RTCDtlsTransport._handle_rtp_data
    )
    assert "recipient._handle_rtcp_packet(packet)" in source(RTCDtlsTransport._handle_rtcp_data)
    assert callable(RtpRouter.route_rtp)


def test_the_decoder_thread_ends_when_its_queue_says_so() -> None:
    assert "self.__decoder_queue" in source(RTCRtpReceiver.receive)
    worker = source(decoder_worker)
    assert "task = input_q.get()" in worker and "if task is None:" in worker
    assert "self.__decoder_queue.put(None)" in source(RTCRtpReceiver)
    stand_in = aiortc_hooks._NoDecoding()
    stand_in.put(("codec", "frame"))
    assert stand_in.get() is None


@pytest.mark.asyncio
async def test_tap_receiver_replaces_buffer_queue_and_handlers() -> None:
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        reports = []
        aiortc_hooks.tap_receiver(receiver, lambda packet: None, lambda *r: reports.append(r))
        buffer = receiver._RTCRtpReceiver__jitter_buffer  # type: ignore[attr-defined]
        decoder_queue = receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
        assert isinstance(buffer, aiortc_hooks._PacketTap)
        assert isinstance(decoder_queue, aiortc_hooks._NoDecoding)
        sr = RtcpSrPacket(ssrc=7, sender_info=RtcpSenderInfo(1 << 40, 1234, 1, 1))
        await receiver._handle_rtcp_packet(sr)
        assert reports == [(7, 1 << 40, 1234)]
    finally:
        await pc.close()


def test_the_receiver_sends_pli_for_an_ssrc() -> None:
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters) == [
        "self",
        "media_ssrc",
    ]
    assert "RTCP_PSFB_PLI" in source(RTCRtpReceiver._send_rtcp_pli)


def test_a_parked_track_keeps_the_packetizing_loop_waiting() -> None:
    assert "data = await self.__track.recv()" in source(RTCRtpSender._next_encoded_frame)
    assert "enc_frame = await self._next_encoded_frame(codec)" in source(RTCRtpSender._run_rtp)


@pytest.mark.asyncio
async def test_parked_track_waits_until_stopped() -> None:
    track = aiortc_hooks.ParkedTrack("video")
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    track.stop()
    with pytest.raises(aiortc.mediastreams.MediaStreamError):
        await waiting


class Recorder(aiortc_hooks.ForwardingHooks):
    def __init__(self) -> None:
        self.keyframes = 0
        self.nacked: list[int] = []
        self.parameters: RTCRtpSendParameters | None = None
        self.lost: list[int] = []
        self.estimates: list[tuple[int, list[int]]] = []
        self.info: RtcpSenderInfo | None = RtcpSenderInfo(
            ntp_timestamp=5 << 32, rtp_timestamp=42, packet_count=3, octet_count=300
        )

    def on_parameters(self, parameters: RTCRtpSendParameters) -> None:
        self.parameters = parameters

    def on_keyframe_request(self) -> None:
        self.keyframes += 1

    async def on_retransmit_request(self, sequence_number: int) -> None:
        self.nacked.append(sequence_number)

    def sender_info(self) -> RtcpSenderInfo | None:
        return self.info

    def on_receiver_report(self, fraction_lost: int) -> None:
        self.lost.append(fraction_lost)

    def on_estimate(self, bitrate: int, ssrcs: list[int]) -> None:
        self.estimates.append((bitrate, ssrcs))


@pytest.mark.asyncio
async def test_sender_rtcp_goes_to_the_hooks() -> None:
    # PLI and FIR ask _send_keyframe, NACKs _retransmit, sender reports pass
    # through _send_rtcp; the peer connection starts the sender with send().
    assert "self._send_keyframe()" in source(RTCRtpSender._handle_rtcp_packet)
    assert "await self._retransmit(seq)" in source(RTCRtpSender._handle_rtcp_packet)
    run_rtcp = source(RTCRtpSender._run_rtcp)
    assert "RtcpSrPacket(" in run_rtcp and "await self._send_rtcp(packets)" in run_rtcp
    assert "self.__lsr = " in run_rtcp
    connect = aiortc.RTCPeerConnection._RTCPeerConnection__connect  # type: ignore[attr-defined]
    assert "await transceiver.sender.send(self.__localRtp(transceiver))" in source(connect)
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    try:
        sender = pc.addTransceiver(aiortc_hooks.ParkedTrack("video"), direction="sendonly").sender
        hooks = Recorder()
        aiortc_hooks.hook_sender(sender, hooks)
        for fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            await sender._handle_rtcp_packet(
                RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc)
            )
        nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=sender._ssrc)
        nack.lost = [10, 12]
        await sender._handle_rtcp_packet(nack)
        assert hooks.keyframes == 2 and hooks.nacked == [10, 12]
        # Sender reports are rewritten on their way out: capture the bytes.
        sent: list[bytes] = []

        async def capture(data: bytes) -> None:
            sent.append(data)

        sender.transport._send_rtp = capture  # type: ignore[method-assign]
        sr = RtcpSrPacket(ssrc=sender._ssrc, sender_info=RtcpSenderInfo(0, 0, 0, 0))
        await sender._send_rtcp([sr])
        (report,) = RtcpPacket.parse(sent[0])
        assert isinstance(report, RtcpSrPacket)
        info = report.sender_info
        assert info.rtp_timestamp == 42 and info.ntp_timestamp == 5 << 32
        lsr = sender._RTCRtpSender__lsr  # type: ignore[attr-defined]
        assert lsr == ((5 << 32) >> 16) & 0xFFFFFFFF
        # No report while the hooks have nothing to say, nor the SDES that
        # aiortc sends with it (a compound packet begins with a report).
        hooks.info = None
        sdes = RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=sender._ssrc, items=[(1, b"cname")])])
        await sender._send_rtcp([sr, sdes])
        assert len(sent) == 1
    finally:
        await pc.close()


@pytest.mark.asyncio
async def test_receiver_reports_and_remb_reach_the_hooks() -> None:
    # The DTLS transport routes a report block to the sender of its SSRC and
    # a REMB to each sender it names; aiortc itself only keeps statistics.
    handle = source(RTCRtpSender._handle_rtcp_packet)
    assert "isinstance(packet, (RtcpRrPacket, RtcpSrPacket))" in handle
    assert "unpack_remb_fci(packet.fci)" in handle
    routing = source(RtpRouter.route_rtcp)
    assert "add_recipient(self.senders.get(report.ssrc))" in routing
    assert "for ssrc in rtp.unpack_remb_fci(packet.fci)[1]:" in routing
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    try:
        sender = pc.addTransceiver(aiortc_hooks.ParkedTrack("video"), direction="sendonly").sender
        hooks = Recorder()
        aiortc_hooks.hook_sender(sender, hooks)

        def block(ssrc: int, fraction_lost: int) -> RtcpReceiverInfo:
            return RtcpReceiverInfo(ssrc, fraction_lost, 0, 0, 0, 0, 0)

        rr = RtcpRrPacket(ssrc=1, reports=[block(sender._ssrc, 64), block(sender._rtx_ssrc, 9)])
        await sender._handle_rtcp_packet(rr)
        remb = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(300_000, [sender._ssrc])
        )
        await sender._handle_rtcp_packet(remb)
        other = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(1, [sender._ssrc + 1])
        )
        await sender._handle_rtcp_packet(other)
        # Another application-layer message is not an estimate, and no error.
        await sender._handle_rtcp_packet(
            RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=b"NOPE")
        )
        assert hooks.lost == [64] and hooks.estimates == [(300_000, [sender._ssrc])]
    finally:
        await pc.close()


@pytest.mark.asyncio
async def test_senders_have_ssrcs_streams_and_a_started_flag() -> None:
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    try:
        transceiver = pc.addTransceiver(aiortc_hooks.ParkedTrack("video"), direction="sendonly")
        sender = transceiver.sender
        assert isinstance(sender._ssrc, int) and isinstance(sender._rtx_ssrc, int)
        assert sender._RTCRtpSender__started is False  # type: ignore[attr-defined]
        assert not aiortc_hooks.set_stream(sender, "alice")  # not negotiated yet
        transceiver._codecs = []
        transceiver._headerExtensions = []
        media = create_media_description_for_transceiver(transceiver, "cname", "sendonly", "0")
        assert media.msid is not None and media.msid.startswith("alice ")
        assert [s.ssrc for s in media.ssrc] == [sender._ssrc]
        sender._RTCRtpSender__started = True  # type: ignore[attr-defined]
        assert aiortc_hooks.set_stream(sender, "bob") and not aiortc_hooks.set_stream(
            sender, "bob"
        )
        sender._RTCRtpSender__started = False  # type: ignore[attr-defined]
    finally:
        await pc.close()


def test_the_packet_writer_does_what_send_rtp_does() -> None:
    # RTCDtlsTransport._send_rtp: state check, SRTP, the ICE connection's
    # nominated pair of component 1, the protocol's transport, the counters.
    send = source(RTCDtlsTransport._send_rtp)
    assert "if self._state != State.CONNECTED:" in send
    assert "data = self._tx_srtp.protect(data)" in send
    assert "await self.transport._send(data)" in send
    assert "self.__tx_bytes += len(data)" in send and "self.__tx_packets += 1" in send
    assert "self._send = self._connection.send" in source(aiortc.RTCIceTransport)
    assert "await self.sendto(data, 1)" in source(aioice.ice.Connection.send)
    sendto = source(aioice.ice.Connection.sendto)
    assert "active_pair = self._nominated.get(component)" in sendto
    assert "await active_pair.protocol.send_data(data, active_pair.remote_addr)" in sendto
    assert "self.transport.sendto(data, addr)" in source(aioice.ice.StunProtocol.send_data)


def test_aioice_host_addresses_hook() -> None:
    assert "get_host_addresses(" in source(aioice.ice.Connection)
    aiortc_hooks.announce_host_addresses(["127.0.0.1", "::1"])
    try:
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
    finally:
        aiortc_hooks.announce_host_addresses(None)
    assert aioice.ice.get_host_addresses is aiortc_hooks._aioice_host_addresses
