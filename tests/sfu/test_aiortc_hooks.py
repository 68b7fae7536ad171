"""One test per private aiortc internal the SFU relies on: an aiortc upgrade
that changes any of them fails here, loudly."""

from __future__ import annotations

import inspect

import aioice.ice
import aiortc
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcrtpreceiver import decoder_worker
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket

from jupyter_classroom.sfu import aiortc_hooks


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__ == aiortc_hooks.AIORTC_VERSION
    aiortc_hooks.check_aiortc_version()


def test_receiver_decoder_queue_hook() -> None:
    # receive() starts decoder_worker on __decoder_queue; _handle_rtp_packet
    # puts (codec, encoded_frame) there and decoder_worker takes them with get().
    receive = inspect.getsource(RTCRtpReceiver.receive)
    assert "self.__decoder_queue" in receive and "decoder_worker" in receive
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle
    assert "task = input_q.get()" in inspect.getsource(decoder_worker)
    frames = []
    sink = aiortc_hooks.EncodedFrameSink(lambda codec, frame: frames.append((codec, frame)))
    sink.put(("vp8", "frame"))
    sink.put(None)
    assert frames == [("vp8", "frame")] and sink.get() is None


def test_sender_packs_encoded_packets_without_encoding() -> None:
    source = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "self.__encoder.pack(data)" in source


@pytest.mark.asyncio
async def test_sender_keyframe_request_hook() -> None:
    called = []
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    try:
        sender = pc.addTrack(aiortc.VideoStreamTrack())
        aiortc_hooks.on_keyframe_request(sender, lambda: called.append(True))
        pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
        await sender._handle_rtcp_packet(pli)
        assert called == [True]
    finally:
        await pc.close()


def test_receiver_pli_and_sources() -> None:
    params = inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters
    assert list(params) == ["self", "media_ssrc"]
    assert callable(RTCRtpReceiver.getSynchronizationSources)


def test_aioice_host_addresses_hook() -> None:
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection)
    aiortc_hooks.announce_host_addresses(["127.0.0.1", "::1"])
    try:
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
    finally:
        aiortc_hooks.announce_host_addresses(None)
    assert aioice.ice.get_host_addresses is aiortc_hooks._aioice_host_addresses
