"""RTP as the SFU writes it: headers, header extensions, retransmissions,
and the numbering each subscriber sees. Pure functions, no I/O.

A forwarded packet keeps the publisher's payload byte for byte; what changes
per subscriber is the fixed header (payload type, sequence number,
timestamp, SSRC) and the header extensions (the subscriber's MID, and the
ids it negotiated).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_HEADER = struct.Struct("!BBHII")
_SEQ = struct.Struct("!H")

#: Header extension URIs the SFU writes.
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


def seq_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFF


def seq_diff(a: int, b: int) -> int:
    """``a - b`` as a signed distance on the 16-bit circle."""
    d = (a - b) & 0xFFFF
    return d - 0x10000 if d >= 0x8000 else d


def ts_add(a: int, b: int) -> int:
    return (a + b) & 0xFFFFFFFF


def ts_diff(a: int, b: int) -> int:
    """``a - b`` as a signed distance on the 32-bit circle."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d >= 0x80000000 else d


def vp8_keyframe_start(payload: bytes) -> bool:
    """Whether an RTP payload (RFC 7741) starts a VP8 key frame."""
    if len(payload) < 2:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S: start of a partition; PID 0
        return False
    i = 1
    if first & 0x80:  # X: extended control bits
        ext = payload[1]
        i = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if i >= len(payload):
                return False
            i += 2 if payload[i] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            i += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            i += 1
    return i < len(payload) and not payload[i] & 0x01  # P = 0: a key frame


def abs_send_time(ntp: int) -> bytes:
    """The 24-bit abs-send-time value (6.18 fixed point seconds) of an NTP time."""
    return ((ntp >> 14) & 0x00FFFFFF).to_bytes(3, "big")


def extension_element(ext_id: int, value: bytes) -> bytes:
    """One element of a one-byte header extension block (RFC 8285)."""
    return bytes(((ext_id << 4) | (len(value) - 1),)) + value


def extension_block(elements: bytes) -> bytes:
    """A one-byte header extension block around concatenated elements
    (empty when there are none)."""
    if not elements:
        return b""
    pad = -len(elements) % 4
    return struct.pack("!HH", 0xBEDE, (len(elements) + pad) // 4) + elements + bytes(pad)


def padding(size: int) -> bytes:
    """RTP padding of ``size`` bytes (the last one says how many)."""
    return bytes(size - 1) + bytes((size,)) if size else b""


def rtp_packet(
    payload_type: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    marker: int,
    extensions: bytes,
    payload: bytes,
    padding_size: int = 0,
) -> bytes:
    """An RTP packet (no CSRCs) with an extension block from :func:`extension_block`."""
    first = 0x80 | (0x20 if padding_size else 0) | (0x10 if extensions else 0)
    header = _HEADER.pack(first, (marker << 7) | payload_type, sequence_number, timestamp, ssrc)
    return header + extensions + payload + padding(padding_size)


def rtx_payload(sequence_number: int, payload: bytes) -> bytes:
    """The payload of a retransmission (RFC 4588): original sequence number first."""
    return _SEQ.pack(sequence_number) + payload


class SeqUnwrapper:
    """Turns a stream's 16-bit sequence numbers into unbounded ("extended")
    ones, like libwebrtc's SeqNumUnwrapper: each number is taken as the one
    nearest to the highest seen so far, so a stream of any length, with
    wrap-arounds, loss and reordering (of less than half the circle), gets
    numbers that only compare and subtract as plain integers.
    """

    __slots__ = ("highest",)

    def __init__(self) -> None:
        #: The highest extended number seen, or None before the first.
        self.highest: int | None = None

    def unwrap(self, seq: int) -> int:
        """The extended number of ``seq`` (a late one is below the highest)."""
        highest = self.highest
        if highest is None:
            self.highest = seq
            return seq
        ext = highest + ((seq - highest + 0x8000) & 0xFFFF) - 0x8000
        if ext > highest:
            self.highest = ext
        return ext

    def restart(self, seq: int) -> int:
        """A new stream (another SSRC) begins at ``seq``: its extended numbers
        start above every earlier one, so they never meet the old stream's."""
        if self.highest is None:
            self.highest = seq
        else:
            self.highest = (((self.highest >> 16) + 1) << 16) | seq
        return self.highest


@dataclass
class Numbering:
    """The sequence numbers and timestamps one subscriber sees on one
    transceiver, which stay continuous when the transceiver switches from one
    publisher's track to another's.

    Sequence numbers are extended on both sides (see :class:`SeqUnwrapper`):
    ``out = in + seq_offset`` for the current source, in plain integers, and
    only the 16 bits written into a packet wrap. Timestamps are offset on the
    32-bit circle (``out = (in + ts_offset) mod 2**32``), which is exact for a
    stream of any length. :meth:`switch` picks new offsets so the next packet
    follows the last one sent.
    """

    clock_rate: int
    #: Extended outgoing minus extended incoming number, for the current source.
    seq_offset: int = 0
    ts_offset: int = 0
    #: The highest extended number sent and its timestamp (None before the first packet).
    highest: int | None = None
    last_ts: int = 0
    last_sent_at: float = 0.0
    #: The extended outgoing number of the current source's first packet
    #: (earlier ones are not sent nor retransmitted: they were another source's).
    #: Meaningless while :attr:`switching`, which the first packet ends.
    first: int = 0
    #: The outgoing numbers of the packet :meth:`map` numbered last: 16-bit
    #: sequence number, extended one, 32-bit timestamp.
    seq: int = 0
    ext: int = 0
    ts: int = 0
    _switching: bool = True

    @property
    def switching(self) -> bool:
        """Whether a switch awaits the next source's first packet (until
        then, nothing is known of that source's numbers)."""
        return self._switching

    def switch(self) -> None:
        """The next packet comes from another source (or from the same one,
        after a pause): recompute the offsets on it."""
        self._switching = True

    def map(self, ext_seq: int, ts: int, now: float) -> bool:
        """Number an incoming packet (in order or not) by its extended
        sequence number and its timestamp: its outgoing numbers are then in
        :attr:`seq`, :attr:`ext` and :attr:`ts`. False for a late packet from
        before the current source began (drop it).

        No tuple is returned: this runs for every packet to every subscriber,
        and each tuple would be one more object for the garbage collector.
        """
        if self._switching:
            self._switching = False
            highest = self.highest
            if highest is None:
                # The first source keeps its own numbers.
                self.seq_offset = 0
                self.ts_offset = 0
            else:
                self.seq_offset = highest + 1 - ext_seq
                # At least one tick on: the timestamps never step back.
                elapsed = max(1, int((now - self.last_sent_at) * self.clock_rate))
                self.ts_offset = (self.last_ts + elapsed - ts) & 0xFFFFFFFF
            self.first = ext_seq + self.seq_offset
        out = ext_seq + self.seq_offset
        if out < self.first:
            return False
        out_ts = (ts + self.ts_offset) & 0xFFFFFFFF
        if self.highest is None or out > self.highest:
            self.highest = out
            self.last_ts = out_ts
            self.last_sent_at = now
        self.ext = out
        self.seq = out & 0xFFFF
        self.ts = out_ts
        return True

    def sender_timestamp(self, rtp_timestamp: int) -> int | None:
        """The current source's sender-report RTP timestamp in outgoing
        numbers, or None while a switch awaits the new source's first packet
        (the offset is still the old source's then)."""
        if self._switching or self.highest is None:
            return None
        return (rtp_timestamp + self.ts_offset) & 0xFFFFFFFF

    def extend(self, out_seq: int) -> int | None:
        """The extended outgoing number of a 16-bit one a subscriber names
        (in a NACK), taken as the nearest to the highest sent; None before
        any packet was sent."""
        highest = self.highest
        if highest is None:
            return None
        return highest + ((out_seq - highest + 0x8000) & 0xFFFF) - 0x8000

    def source_seq(self, out_seq: int) -> int | None:
        """The extended incoming number behind a 16-bit outgoing one of the
        current source, or None if it was not sent for the current source
        (before it began, not yet, or a switch is under way)."""
        highest = self.highest
        if self._switching or highest is None:
            return None
        out = self.extend(out_seq)
        if out is None or out < self.first or out > highest:
            return None
        return out - self.seq_offset


class TimestampUnwrapper:
    """Turns 32-bit timestamps (RTP's, or the WebSocket frames' microseconds)
    into unbounded ones: each is taken as the one nearest to the highest seen
    so far, so a stream keeps counting up across the wrap (every 13 h 15 min
    at 90 kHz, 24 h 51 min at 48 kHz, 71 min 35 s in microseconds)."""

    __slots__ = ("highest",)

    def __init__(self) -> None:
        #: The highest extended timestamp seen, or None before the first.
        self.highest: int | None = None

    def unwrap(self, ts: int) -> int:
        """The extended timestamp of ``ts`` (an earlier one is below the highest)."""
        highest = self.highest
        if highest is None:
            self.highest = ts
            return ts
        ext = highest + ((ts - highest + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        if ext > highest:
            self.highest = ext
        return ext
