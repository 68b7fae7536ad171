"""Producers, consumers and the slots they flow through: RTP packets in from
a publisher, rewritten and out to every subscriber, never decoded.

A :class:`Producer` is one published track (a participant's microphone,
camera or screen) received on their connection; what consumers read of it
is in :class:`BaseProducer`, which the WebSocket bridge's producers share
(``bridge.py``). A :class:`Slot` is one
sending transceiver on a subscriber's connection; it keeps its SSRC and
numbering while it carries one producer's track after another. A
:class:`Consumer` is a producer's track flowing through a slot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import RtcpSenderInfo, RtpPacket

from .. import protocol
from . import aiortc_hooks, rtp

log = logging.getLogger(__name__)

#: At most one keyframe request a second reaches a publisher (per track).
KEYFRAME_INTERVAL = 1.0
#: Video packets kept for retransmission: a screen-share key frame fits.
VIDEO_HISTORY = 1024

LevelCallback = Callable[["Producer", int, float], None]


@dataclass
class RetransmitLimits:
    """How much a subscriber's NACKs can make the server send again."""

    #: Retransmissions a second at most, per subscriber (all their tracks).
    per_second: int = 250
    #: Seconds before the same packet is sent again to the same subscriber:
    #: a NACK repeated within a round trip asks for what is already on its way.
    interval: float = 0.1


class RetransmitBudget:
    """A token bucket of retransmissions for one subscriber, shared by all
    their slots: at most ``per_second`` a second, and never more than a
    second's worth at once (one NACK asking for a whole history included)."""

    def __init__(self, limits: RetransmitLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.tokens = float(limits.per_second)
        self._at = clock()
        #: Retransmissions refused for want of tokens (for logs and tests).
        self.refused = 0

    def take(self, now: float) -> bool:
        """Whether one more retransmission may go out now (and count it)."""
        rate = self.limits.per_second
        self.tokens = min(float(rate), self.tokens + (now - self._at) * rate)
        self._at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.refused += 1
        return False


def kind_of(source: protocol.TrackSource) -> str:
    return "audio" if source == "microphone" else "video"


@dataclass(slots=True)
class Forwarded:
    """One packet of a producer, as every consumer gets it."""

    #: The extended sequence number (see :class:`rtp.SeqUnwrapper`).
    seq: int
    ts: int
    marker: int
    payload: bytes
    padding: int
    keyframe: bool
    #: The RFC 6464 extension value (voice flag and level), audio only.
    level: bytes | None


class PacketHistory:
    """The last packets of a producer, by extended sequence number, for
    retransmissions (a number from a lap before is never mistaken for one of
    this lap)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring: list[Forwarded | None] = [None] * size

    def put(self, packet: Forwarded) -> None:
        i = packet.seq % self.size
        old = self._ring[i]
        # A late packet does not push out the newer one in its place.
        if old is None or old.seq < packet.seq:
            self._ring[i] = packet

    def get(self, seq: int) -> Forwarded | None:
        packet = self._ring[seq % self.size]
        return packet if packet is not None and packet.seq == seq else None


class Tap(Protocol):
    """Something other than a subscriber's copy that reads a producer's
    packets as they come (the bridge to the WebSocket media transport)."""

    def packet(self, packet: Forwarded, now: float) -> None:
        """One packet, in the order it arrived."""

    def ended(self) -> None:
        """No more packets: the producer closed, or dropped this tap after it failed."""


class BaseProducer:
    """One published track as consumers and slots see it, whatever brought
    it to the server: its packets (with a history for retransmissions), its
    consumers, its key-frame requests (rate-limited) and its timing."""

    def __init__(
        self,
        participant: str,
        source: protocol.TrackSource,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.participant = participant
        self.source = source
        self.kind = kind_of(source)
        self.clock = clock
        self.history = PacketHistory(VIDEO_HISTORY) if self.kind == "video" else None
        self.consumers: tuple[Consumer, ...] = ()
        self.taps: tuple[Tap, ...] = ()
        self.ssrc: int | None = None
        #: The publisher's last sender report: (NTP time, RTP timestamp).
        self.sender_report: tuple[int, int] | None = None
        self.packets = 0
        self.closed = False
        self._last_keyframe_request = -KEYFRAME_INTERVAL
        self._deferred_keyframe: asyncio.TimerHandle | None = None

    @property
    def key(self) -> tuple[str, protocol.TrackSource]:
        return (self.participant, self.source)

    def _deliver(self, forwarded: Forwarded, now: float) -> None:
        if self.history is not None:
            self.history.put(forwarded)
        for tap in self.taps:
            try:
                tap.packet(forwarded, now)
            except Exception:
                log.exception("sfu: a tap of %s's %s failed; dropping it", *self.key)
                self.remove_tap(tap)
                tap.ended()
        consumers = self.consumers
        if not consumers:
            return
        send_time = rtp.abs_send_time(ntp_now()) if self.kind == "video" else None
        for consumer in consumers:
            # A failure for one subscriber must not reach aiortc's receiving
            # loop (it would close the publisher's connection) nor the others.
            try:
                consumer.forward(forwarded, now, send_time)
            except Exception:
                log.exception(
                    "sfu: forwarding to %s failed; closing that copy", consumer.subscriber
                )
                consumer.close()

    def attach(self, consumer: Consumer) -> None:
        self.consumers = self.consumers + (consumer,)

    def detach(self, consumer: Consumer) -> None:
        self.consumers = tuple(c for c in self.consumers if c is not consumer)

    def add_tap(self, tap: Tap) -> None:
        self.taps = self.taps + (tap,)

    def remove_tap(self, tap: Tap) -> None:
        self.taps = tuple(t for t in self.taps if t is not tap)

    def keyframe_wanted(self) -> None:
        """Ask the publisher for a key frame, at most once a second: a request
        within the second is sent when the second is over, not dropped."""
        if self.kind != "video" or self.closed or not self._can_request_keyframe():
            return
        wait = self._last_keyframe_request + KEYFRAME_INTERVAL - self.clock()
        if wait > 0:
            if self._deferred_keyframe is None:
                loop = asyncio.get_running_loop()
                self._deferred_keyframe = loop.call_later(wait, self._deferred_request)
            return
        self._last_keyframe_request = self.clock()
        self._request_keyframe()

    def _deferred_request(self) -> None:
        self._deferred_keyframe = None
        self.keyframe_wanted()

    def _can_request_keyframe(self) -> bool:
        return True

    def _request_keyframe(self) -> None:
        """Send one key-frame request to the publisher (the rate is kept already)."""
        raise NotImplementedError

    def close(self) -> None:
        """The publisher's track ended: every consumer and tap ends."""
        if self.closed:
            return
        self.closed = True
        for consumer in self.consumers:
            consumer.close()
        taps, self.taps = self.taps, ()
        for tap in taps:
            tap.ended()
        if self._deferred_keyframe is not None:
            self._deferred_keyframe.cancel()


class Producer(BaseProducer):
    """One track published over WebRTC, received once, forwarded to every consumer."""

    def __init__(
        self,
        participant: str,
        source: protocol.TrackSource,
        receiver: RTCRtpReceiver,
        on_level: LevelCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(participant, source, clock)
        self.receiver = receiver
        self.on_level = on_level
        self._unwrapper = rtp.SeqUnwrapper()
        self._keyframe_task: asyncio.Task[None] | None = None
        aiortc_hooks.tap_receiver(receiver, self._on_packet, self._on_sender_report)

    def _on_packet(self, packet: RtpPacket) -> None:
        now = self.clock()
        self.packets += 1
        if packet.ssrc != self.ssrc:
            if self.ssrc is None:
                seq = self._unwrapper.unwrap(packet.sequence_number)
            else:
                # The publisher began another stream: its numbers owe nothing
                # to the old one's, so every copy is renumbered to follow on.
                seq = self._unwrapper.restart(packet.sequence_number)
                for consumer in self.consumers:
                    if consumer.slot.consumer is consumer:
                        consumer.slot.numbering.switch()
            self.ssrc = packet.ssrc
        else:
            seq = self._unwrapper.unwrap(packet.sequence_number)
        level = packet.extensions.audio_level
        if level is not None and self.on_level is not None:
            self.on_level(self, level[1], now)
        keyframe = self.kind == "video" and rtp.vp8_keyframe_start(packet.payload)
        forwarded = Forwarded(
            seq=seq,
            ts=packet.timestamp,
            marker=packet.marker,
            payload=packet.payload,
            padding=packet.padding_size,
            keyframe=keyframe,
            level=bytes(((0x80 if level[0] else 0) | level[1],)) if level is not None else None,
        )
        self._deliver(forwarded, now)

    def _on_sender_report(self, ssrc: int, ntp: int, rtp_timestamp: int) -> None:
        if self.ssrc is None or ssrc == self.ssrc:
            self.sender_report = (ntp, rtp_timestamp)

    def _can_request_keyframe(self) -> bool:
        return self.ssrc is not None

    def _request_keyframe(self) -> None:
        assert self.ssrc is not None
        self._keyframe_task = asyncio.ensure_future(self._send_pli(self.ssrc))

    async def _send_pli(self, ssrc: int) -> None:
        try:
            await aiortc_hooks.request_keyframe(self.receiver, ssrc)
        except ConnectionError:
            pass
        except Exception:
            log.exception("sfu: a keyframe request failed")

    def close(self) -> None:
        """The publisher's connection closed: every consumer ends."""
        if self.closed:
            return
        super().close()
        if self._keyframe_task is not None:
            self._keyframe_task.cancel()


class LinkFeedback(Protocol):
    """Who reads what a subscriber reports about a slot's stream (the
    connection, for congestion)."""

    def report(self, slot: Slot, fraction_lost: int) -> None: ...

    def estimate(self, slot: Slot, bitrate: int, ssrcs: list[int]) -> None: ...


class Slot(aiortc_hooks.ForwardingHooks):
    """One sending transceiver on a subscriber's connection."""

    def __init__(
        self,
        kind: str,
        sender: RTCRtpSender,
        clock: Callable[[], float],
        budget: RetransmitBudget | None = None,
        feedback: LinkFeedback | None = None,
    ) -> None:
        self.kind = kind
        self.sender = sender
        self.clock = clock
        self.feedback = feedback
        #: Paused because the subscriber's link is congested (whatever it carries).
        self.congested = False
        #: The subscriber's retransmission budget (shared by their slots).
        self.budget = budget if budget is not None else RetransmitBudget(RetransmitLimits(), clock)
        # When each outgoing packet (by extended number, in a ring as long as
        # the producers' history) was last sent again: a repeated NACK within
        # the interval is not answered twice. Preallocated: NACKs come in bursts.
        self._resent_ext = [-1] * VIDEO_HISTORY
        self._resent_at = [0.0] * VIDEO_HISTORY
        #: Retransmissions sent.
        self.retransmitted = 0
        self.consumer: Consumer | None = None
        #: The producer this slot carried last (a returning track takes it again).
        self.last_key: tuple[str, str] | None = None
        self.numbering = rtp.Numbering(48000 if kind == "audio" else 90000)
        self.ready = False
        self.packets = 0
        self.octets = 0
        self._payload_type = 0
        self._writer: aiortc_hooks.PacketWriter | None = None
        self._rtx_payload_type: int | None = None
        self._rtx_seq = 0
        self._mid_element = b""
        self._level_id = 0
        self._send_time_id = 0
        aiortc_hooks.hook_sender(sender, self)

    # -- aiortc's side ---------------------------------------------------------

    def on_parameters(self, parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0]
        # aiortc gives every negotiated codec the payload type of the answer.
        assert codec.payloadType is not None
        self._payload_type = codec.payloadType
        for c in parameters.codecs:
            if is_rtx(c) and c.parameters.get("apt") == codec.payloadType:
                self._rtx_payload_type = c.payloadType
        mid = parameters.muxId
        for ext in parameters.headerExtensions:
            if ext.uri == rtp.MID_URI and mid:
                self._mid_element = rtp.extension_element(ext.id, mid.encode())
            elif ext.uri == rtp.AUDIO_LEVEL_URI:
                self._level_id = ext.id
            elif ext.uri == rtp.ABS_SEND_TIME_URI:
                self._send_time_id = ext.id
        self.ready = True
        if self.consumer is not None:
            self.consumer.started()

    def on_keyframe_request(self) -> None:
        if self.consumer is not None:
            self.consumer.producer.keyframe_wanted()

    async def on_retransmit_request(self, sequence_number: int) -> None:
        consumer = self.consumer
        # A paused copy (congested or not) is still repaired: its numbering
        # knows only what was sent before the pause, so the viewer can finish
        # the frames it has and is sent nothing newer. (aiortc's receiver,
        # missing a packet, holds every later frame until 512 more have come.)
        if consumer is None or consumer.producer.history is None:
            return
        # aiortc's NACK parser can hand on numbers past 65535 (pid + bit
        # without the wrap).
        sequence_number &= 0xFFFF
        numbering = self.numbering
        seq = numbering.source_seq(sequence_number)
        if seq is None:
            return
        packet = consumer.producer.history.get(seq)
        if packet is None or not packet.payload:
            return
        now = self.clock()
        out = seq + numbering.seq_offset
        i = out % VIDEO_HISTORY
        if self._resent_ext[i] == out and now - self._resent_at[i] < self.budget.limits.interval:
            return
        if not self.budget.take(now):
            return
        self._resent_ext[i] = out
        self._resent_at[i] = now
        self.retransmitted += 1
        ts = rtp.ts_add(packet.ts, numbering.ts_offset)
        extensions = self._extensions(packet, rtp.abs_send_time(ntp_now()))
        if self._rtx_payload_type is not None:
            data = rtp.rtp_packet(
                self._rtx_payload_type,
                self._rtx_seq,
                ts,
                self.sender._rtx_ssrc,
                packet.marker,
                extensions,
                rtp.rtx_payload(sequence_number, packet.payload),
            )
            self._rtx_seq = rtp.seq_add(self._rtx_seq, 1)
        else:
            data = rtp.rtp_packet(
                self._payload_type,
                sequence_number,
                ts,
                self.sender._ssrc,
                packet.marker,
                extensions,
                packet.payload,
            )
        self._write(data)

    def on_receiver_report(self, fraction_lost: int) -> None:
        if self.feedback is not None:
            self.feedback.report(self, fraction_lost)

    def on_estimate(self, bitrate: int, ssrcs: list[int]) -> None:
        if self.feedback is not None:
            self.feedback.estimate(self, bitrate, ssrcs)

    def set_congested(self, congested: bool) -> None:
        """Stop or start sending on this slot for the subscriber's link's sake."""
        self.congested = congested
        if self.consumer is not None:
            self.consumer.set_congested(congested)

    def sender_info(self) -> RtcpSenderInfo | None:
        consumer = self.consumer
        report = consumer.producer.sender_report if consumer is not None else None
        if report is None:
            return None
        ntp, rtp_timestamp = report
        mapped = self.numbering.sender_timestamp(rtp_timestamp)
        if mapped is None:
            return None
        return RtcpSenderInfo(
            ntp_timestamp=ntp,
            rtp_timestamp=mapped,
            packet_count=self.packets & 0xFFFFFFFF,
            octet_count=self.octets & 0xFFFFFFFF,
        )

    # -- writing ---------------------------------------------------------------

    def _extensions(self, packet: Forwarded, send_time: bytes | None) -> bytes:
        elements = self._mid_element
        if packet.level is not None and self._level_id:
            elements += rtp.extension_element(self._level_id, packet.level)
        if send_time is not None and self._send_time_id:
            elements += rtp.extension_element(self._send_time_id, send_time)
        return rtp.extension_block(elements)

    def write(self, packet: Forwarded, now: float, send_time: bytes | None) -> None:
        numbering = self.numbering
        if not numbering.map(packet.seq, packet.ts, now):
            return
        data = rtp.rtp_packet(
            self._payload_type,
            numbering.seq,
            numbering.ts,
            self.sender._ssrc,
            packet.marker,
            self._extensions(packet, send_time),
            packet.payload,
            packet.padding,
        )
        self.packets += 1
        self.octets += len(packet.payload)
        self._write(data)

    def _write(self, data: bytes) -> None:
        writer = self._writer
        if writer is None:
            writer = self._writer = aiortc_hooks.packet_writer(self.sender)
            if writer is None:
                return  # not connected yet
        if not writer(data):
            self._writer = None


class Consumer:
    """One subscriber's copy of a producer's track, flowing through a slot."""

    def __init__(self, producer: BaseProducer, subscriber: str, slot: Slot) -> None:
        self.producer = producer
        self.subscriber = subscriber
        self.slot = slot
        # Video starts at a key frame: the subscriber cannot decode before one.
        self._waiting = producer.kind == "video"
        self._asked_at = -KEYFRAME_INTERVAL
        self.closed = False
        #: Not sent for now (a voice not among the loudest, a tile not shown).
        self.paused = False
        #: Not sent for now: the subscriber's link cannot carry it (see Slot).
        self.congested = slot.congested
        slot.consumer = self
        slot.last_key = producer.key
        slot.numbering.switch()
        producer.attach(self)
        if slot.ready:
            self.started()

    def started(self) -> None:
        """The slot can send: ask the publisher for a key frame so the picture starts."""
        self._asked_at = self.producer.clock()
        self.producer.keyframe_wanted()

    def set_paused(self, paused: bool) -> None:
        """Stop or start sending this copy. The subscriber sees no gap in
        the numbers: the next packet after a pause follows the last one sent,
        as after a switch of track; video starts again at a key frame."""
        self._hold(paused, self.congested)

    def set_congested(self, congested: bool) -> None:
        """As :meth:`set_paused`, for the subscriber's link (independently:
        a copy is sent when neither holds it back)."""
        self._hold(self.paused, congested)

    def _hold(self, paused: bool, congested: bool) -> None:
        if self.closed:
            return
        held = self.paused or self.congested
        self.paused, self.congested = paused, congested
        # Only a copy that starts sending again has anything to do.
        if not held or paused or congested or self.slot.consumer is not self:
            return
        self.slot.numbering.switch()
        if self.producer.kind == "video":
            self._waiting = True
            if self.slot.ready:
                self.started()

    def forward(self, packet: Forwarded, now: float, send_time: bytes | None) -> None:
        slot = self.slot
        if self.paused or self.congested or not slot.ready or slot.consumer is not self:
            return
        if self._waiting:
            if not packet.keyframe:
                if now - self._asked_at >= KEYFRAME_INTERVAL:
                    # Still no key frame (the request or its answer was lost): ask again.
                    self._asked_at = now
                    self.producer.keyframe_wanted()
                return
            self._waiting = False
        slot.write(packet, now, send_time)

    def close(self) -> None:
        """Stop forwarding; the slot is free for another track."""
        if self.closed:
            return
        self.closed = True
        self.producer.detach(self)
        if self.slot.consumer is self:
            self.slot.consumer = None


def ntp_now() -> int:
    # aiortc.clock.current_ntp_time, without the datetime objects.
    now = time.time() + 2208988800
    seconds = int(now)
    return (seconds << 32) | int((now - seconds) * (1 << 32))
