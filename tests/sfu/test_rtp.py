"""The SFU's RTP writing: key frames, extensions, packets, continuous numbering."""

from __future__ import annotations

import fractions

import av
import numpy as np
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from jupyter_classroom.sfu import rtp


def vp8_frames(n: int, keyframes: set[int]) -> list[list[bytes]]:
    """The RTP payloads of n real VP8 frames; frame i is a key frame if i in keyframes."""
    encoder = Vp8Encoder()
    out = []
    for i in range(n):
        image = np.random.default_rng(i).integers(0, 255, (240, 320, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = i * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame, force_keyframe=i in keyframes)
        out.append(payloads)
    return out


def test_vp8_key_frames_are_recognised_in_the_first_packet_only() -> None:
    frames = vp8_frames(6, keyframes={0, 4})
    for i, payloads in enumerate(frames):
        assert rtp.vp8_keyframe_start(payloads[0]) == (i in {0, 4}), i
        assert not any(rtp.vp8_keyframe_start(p) for p in payloads[1:])
    # Descriptor forms: no extension; 7-bit picture id; 15-bit id + TL0PICIDX + TID.
    assert rtp.vp8_keyframe_start(bytes([0x10, 0x00]))
    assert not rtp.vp8_keyframe_start(bytes([0x10, 0x01]))
    assert rtp.vp8_keyframe_start(bytes([0x90, 0x80, 0x05, 0x00]))
    assert rtp.vp8_keyframe_start(bytes([0x90, 0xE0, 0x81, 0x05, 0x07, 0x20, 0x00]))
    assert not rtp.vp8_keyframe_start(bytes([0x11, 0x00]))  # not partition 0
    assert not rtp.vp8_keyframe_start(bytes([0x00, 0x00]))  # not a start
    assert not rtp.vp8_keyframe_start(bytes([0x90, 0x80]))  # truncated


def test_packets_parse_back_with_aiortc() -> None:
    ids = HeaderExtensionsMap()
    ids.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri=rtp.MID_URI),
                RTCRtpHeaderExtensionParameters(id=2, uri=rtp.AUDIO_LEVEL_URI),
                RTCRtpHeaderExtensionParameters(id=3, uri=rtp.ABS_SEND_TIME_URI),
            ]
        )
    )
    ext = rtp.extension_block(
        rtp.extension_element(1, b"12")
        + rtp.extension_element(2, bytes([0x80 | 33]))
        + rtp.extension_element(3, rtp.abs_send_time(5 << 32))
    )
    assert len(ext) % 4 == 0
    data = rtp.rtp_packet(111, 65535, 0xFFFFFFFF, 0x1234, 1, ext, b"payload", padding_size=4)
    packet = RtpPacket.parse(data, ids)
    assert (packet.payload_type, packet.sequence_number, packet.timestamp, packet.ssrc) == (
        111, 65535, 0xFFFFFFFF, 0x1234,
    )
    assert packet.marker == 1 and packet.payload == b"payload" and packet.padding_size == 4
    assert packet.extensions.mid == "12"
    assert packet.extensions.audio_level == (True, 33)
    assert packet.extensions.abs_send_time == (5 << 18) & 0xFFFFFF
    plain = RtpPacket.parse(rtp.rtp_packet(96, 1, 2, 3, 0, b"", b"x"), ids)
    assert plain.payload == b"x" and plain.extensions.mid is None
    rtx = RtpPacket.parse(rtp.rtp_packet(97, 9, 2, 4, 0, b"", rtp.rtx_payload(65000, b"abc")), ids)
    assert rtx.payload == b"\xfd\xe8abc"


class Numbered(rtp.Numbering):
    """Numbering.map behind a stream's unwrapper, as a producer feeds it, with
    its results as a tuple, for reading the tests."""

    def __init__(self, clock_rate: int) -> None:
        super().__init__(clock_rate)
        self.unwrapper = rtp.SeqUnwrapper()

    def number(self, seq: int, ts: int, now: float) -> tuple[int, int] | None:
        ext = self.unwrapper.unwrap(seq)
        return (self.seq, self.ts) if self.map(ext, ts, now) else None

    def source(self, out_seq: int) -> int | None:
        ext = self.source_seq(out_seq)
        return None if ext is None else ext & 0xFFFF

    def switch(self) -> None:
        super().switch()
        self.unwrapper = rtp.SeqUnwrapper()


def test_numbering_is_continuous_across_sources() -> None:
    n = Numbered(clock_rate=90000)
    # The first source keeps its numbers, across wrap-arounds.
    assert n.number(65534, 0xFFFFFF00, 0.0) == (65534, 0xFFFFFF00)
    assert n.number(65535, 0xFFFFFF00, 0.0) == (65535, 0xFFFFFF00)
    assert n.number(0, 0x00000A00, 0.033) == (0, 0x00000A00)
    assert n.source(65535) == 65535 and n.source(65533) is None
    # Another source, 0.1 s later: numbers follow on.
    n.switch()
    assert n.source(65535) is None  # nothing is known of the next source yet
    seq, ts = n.number(20000, 5000, 0.133)
    assert seq == 1 and ts == 0x0A00 + 9000
    assert n.number(20001, 8000, 0.166) == (2, 0x0A00 + 12000)
    # A late packet of the new source is renumbered like the others; one from
    # before its start is dropped, and is not retransmitted.
    assert n.number(20003, 14000, 0.233) == (4, 0x0A00 + 18000)
    assert n.number(20002, 11000, 0.234) == (3, 0x0A00 + 15000)
    assert n.number(20004, 17000, 0.266) == (5, 0x0A00 + 21000)
    assert n.number(19999, 5000, 0.3) is None
    assert n.source(2) == 20001 and n.source(0) is None and n.source(6) is None
    assert rtp.seq_diff(0, 65535) == 1 and rtp.ts_diff(0, 0xFFFFFFFF) == 1


def test_a_long_call_loses_no_packet() -> None:
    """70,000 packets in order from one source: every one is numbered, in
    order (a call of five minutes and more once dropped half of them)."""
    n = Numbered(clock_rate=90000)
    seq, ts = 40000, 0xFFFF0000
    expected = seq
    for i in range(70_000):
        assert n.number((seq + i) & 0xFFFF, (ts + 3000 * (i // 3)) & 0xFFFFFFFF, i / 100) == (
            expected & 0xFFFF,
            (ts + 3000 * (i // 3)) & 0xFFFFFFFF,
        ), i
        expected += 1
    # A NACK for one of the last packets finds it, one lap later.
    assert n.source((seq + 69_999) & 0xFFFF) == (seq + 69_999) & 0xFFFF
    assert n.source_seq((seq + 69_000) & 0xFFFF) == seq + 69_000


def test_unwrapping_across_wraps_reordering_and_a_new_stream() -> None:
    u = rtp.SeqUnwrapper()
    assert [u.unwrap(s) for s in (65534, 0, 65535, 1, 2)] == [65534, 65536, 65535, 65537, 65538]
    assert u.highest == 65538
    # A late packet half the circle back still counts as late.
    assert u.unwrap((2 - 32767) & 0xFFFF) == 65538 - 32767
    # A new stream (another SSRC) starts above everything before it, so its
    # packets never meet the old stream's in a history keyed by these numbers.
    assert u.restart(5) == 2 * 65536 + 5 > 65538
    assert u.unwrap(4) == 2 * 65536 + 4 and u.unwrap(6) == 2 * 65536 + 6
