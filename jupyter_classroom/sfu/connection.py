"""One participant's connection with the SFU: one RTCPeerConnection that
publishes their microphone, camera and screen, and carries what they receive.

The server always makes the offers. The first offer asks for the three
published tracks (three receiving transceivers the client sends on, with
``replaceTrack``, so turning the camera on needs no renegotiation) and sends
whatever the participant receives at that moment. Later offers only add
sending transceivers when there are more tracks to receive than there are
free ones; switching what a transceiver carries needs no negotiation at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Protocol

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import SessionDescription, candidate_from_sdp

from .. import protocol
from ..classroom import TrackKey
from . import aiortc_hooks, aiortc_release, congestion
from .forwarding import (
    BaseProducer,
    Consumer,
    LevelCallback,
    Producer,
    RetransmitBudget,
    RetransmitLimits,
    Slot,
    kind_of,
)

log = logging.getLogger(__name__)

#: Seconds the client has to answer an offer before the connection is dropped.
ANSWER_TIMEOUT = 20.0
PUBLISHED: tuple[protocol.TrackSource, ...] = ("microphone", "camera", "screen_share")
#: What the SFU forwards: Opus and VP8 (with retransmissions), nothing else,
#: so every subscriber can take every publisher's packets as they are.
CODECS = {"audio": ("audio/opus",), "video": ("video/VP8", "video/rtx")}


class ConnectionOwner(Protocol):
    """What a connection reports to (the SFU)."""

    def send(self, pid: str, message: object) -> None: ...

    def connection_changed(self, connection: SfuConnection) -> None: ...

    def connection_closed(self, connection: SfuConnection, reason: str) -> None: ...


def _codec_preferences(kind: str) -> list:
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType in CODECS[kind]]


class SfuConnection:
    """The server's end of one participant's connection with the SFU."""

    def __init__(
        self,
        participant: str,
        number: int,
        owner: ConnectionOwner,
        on_level: LevelCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
        public_address: str = "",
        generation: int = 0,
        retransmits: RetransmitLimits | None = None,
        max_candidates: int = 32,
        allowed_candidate_networks: Sequence[IPv4Network | IPv6Network] = (),
        congestion_control: bool = True,
    ) -> None:
        self.participant = participant
        self.congestion_control = congestion_control
        self.number = number
        #: The participant's session this connection belongs to (see RoomMedia).
        self.generation = generation
        self.owner = owner
        self.clock = clock
        self.public_address = public_address
        self.max_candidates = max_candidates
        self.allowed_candidate_networks = tuple(allowed_candidate_networks)
        self._candidates_received = 0
        # No ICE servers: the server offers its own addresses (see
        # ClassroomApp.sfu_ice_addresses); browsers bring their TURN servers.
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.producers: dict[protocol.TrackSource, Producer] = {}
        self._publish_transceivers: dict[protocol.TrackSource, RTCRtpTransceiver] = {}
        for source in PUBLISHED:
            kind = kind_of(source)
            transceiver = self.pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(_codec_preferences(kind))
            self._publish_transceivers[source] = transceiver
            self.producers[source] = Producer(
                participant, source, transceiver.receiver, on_level, clock
            )
        self.slots: list[Slot] = []
        #: What the participant's reports say of their link, and what it pauses.
        self.congestion = congestion.CongestionControl(
            participant, self.slots, clock, on_change=self._send_held
        )
        self.retransmits = RetransmitBudget(retransmits or RetransmitLimits(), clock)
        self._slot_transceivers: dict[Slot, RTCRtpTransceiver] = {}
        self.consumers: dict[TrackKey, Consumer] = {}
        #: Whether the client has answered once (its tracks can be consumed).
        self.established = False
        self.closed = False
        self._answer: asyncio.Future[RTCSessionDescription] | None = None
        self._pending_candidates: list[protocol.IceCandidate | None] = []
        self._negotiation: asyncio.Task[None] | None = None
        self._again = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent_tracks: list[protocol.SfuTrack] | None = None
        #: The mids last told held back for the link's sake (see _send_held).
        self._sent_held: list[str] = []
        self._closing: asyncio.Future[None] | None = None
        #: The published sources the client was told not to encode.
        self.unsent: set[protocol.TrackSource] = set()
        self.pc.on("connectionstatechange", self._on_state)

    # -- what the participant receives --------------------------------------------

    def set_consumers(self, wanted: dict[TrackKey, BaseProducer]) -> None:
        """Receive exactly these producers' tracks: end the others, start new
        ones on free transceivers (adding transceivers if need be)."""
        if self.closed:
            return
        for key in [k for k in self.consumers if k not in wanted]:
            self.consumers.pop(key).close()
        renegotiate = False
        for key, producer in sorted(wanted.items()):
            existing = self.consumers.get(key)
            if existing is not None and not existing.closed:
                if existing.producer is producer:
                    continue
                # The same track from another producer (its publisher moved
                # between WebRTC and the WebSocket): the slot follows it.
                existing.close()
            slot = self._free_slot(producer.kind, key)
            if slot is None:
                slot = self._add_slot(producer.kind)
                renegotiate = True
            # The browser keeps each publisher's tracks in a stream of their
            # own, so it can keep their voice and picture in sync; a slot
            # that changes publisher tells it in a new offer.
            if aiortc_hooks.set_stream(slot.sender, producer.participant):
                renegotiate = True
            self.consumers[key] = Consumer(producer, self.participant, slot)
        if renegotiate:
            self.negotiate()
        else:
            self._send_tracks()

    def _free_slot(self, kind: str, key: TrackKey) -> Slot | None:
        free = [s for s in self.slots if s.kind == kind and s.consumer is None]
        for slot in free:
            if slot.last_key == key:
                return slot
        return free[0] if free else None

    def _add_slot(self, kind: str) -> Slot:
        transceiver = self.pc.addTransceiver(aiortc_hooks.ParkedTrack(kind), direction="sendonly")
        transceiver.setCodecPreferences(_codec_preferences(kind))
        feedback = self.congestion if self.congestion_control else None
        slot = Slot(kind, transceiver.sender, self.clock, self.retransmits, feedback)
        self.slots.append(slot)
        self._slot_transceivers[slot] = transceiver
        return slot

    def tracks(self) -> list[protocol.SfuTrack]:
        """What each sending transceiver (by mid) carries now."""
        out = []
        for slot in self.slots:
            consumer = slot.consumer
            mid = self._slot_transceivers[slot].mid
            if consumer is not None and mid is not None:
                out.append(
                    protocol.SfuTrack(mid, consumer.producer.participant, consumer.producer.source)
                )
        return out

    def _send_tracks(self) -> None:
        if not self.established or self._negotiation is not None:
            return  # the next offer carries them
        tracks = self.tracks()
        if tracks != self._sent_tracks:
            self._sent_tracks = tracks
            self.owner.send(self.participant, protocol.SfuTracks(self.number, tracks))

    def held(self) -> list[str]:
        """The sending transceivers (by mid) paused for the link's sake."""
        mids = (self._slot_transceivers[slot].mid for slot in self.slots if slot.congested)
        return sorted(mid for mid in mids if mid is not None)

    def _send_held(self) -> None:
        """Tell the client which videos its link has paused (when that
        changes), so its page can say why a picture stopped."""
        held = self.held()
        if self.closed or held == self._sent_held:
            return
        self._sent_held = held
        self.owner.send(self.participant, protocol.SfuHeld(self.number, held))

    def set_sending(self, source: protocol.TrackSource, active: bool) -> None:
        """Tell the client whether to encode ``source`` (only when that
        changes); encoding again, it starts with a key frame."""
        if self.closed or not self.established or active != (source in self.unsent):
            return
        if active:
            self.unsent.discard(source)
        else:
            self.unsent.add(source)
        self.owner.send(self.participant, protocol.SfuSending(self.number, source, active))
        if active:
            self.producers[source].keyframe_wanted()

    # -- negotiation ------------------------------------------------------------------

    def negotiate(self) -> None:
        """Make an offer (now, or after the one under way is answered)."""
        if self.closed:
            return
        if self._negotiation is not None:
            self._again = True
            return
        self._negotiation = self._spawn(self._negotiate())

    async def _negotiate(self) -> None:
        try:
            while True:
                self._again = False
                await self.pc.setLocalDescription(await self.pc.createOffer())
                if self.closed:
                    return
                local = self.pc.localDescription
                sdp = local.sdp
                if self.public_address:
                    sdp = announce_public_address(sdp, self.public_address)
                tracks = self.tracks()
                self._sent_tracks = tracks
                publish = [
                    protocol.SfuPublication(t.mid, source)
                    for source, t in self._publish_transceivers.items()
                    if t.mid is not None
                ]
                self._answer = asyncio.get_running_loop().create_future()
                self.owner.send(
                    self.participant,
                    protocol.SfuOffer(
                        connection=self.number,
                        description=protocol.SessionDescription("offer", sdp),
                        publish=publish,
                        tracks=tracks,
                    ),
                )
                try:
                    answer = await asyncio.wait_for(self._answer, ANSWER_TIMEOUT)
                except asyncio.TimeoutError:
                    self.close("The browser did not answer the room connection's offer.")
                    return
                finally:
                    self._answer = None
                await self.pc.setRemoteDescription(answer)
                for candidate in self._pending_candidates:
                    await self._add_candidate(candidate)
                self._pending_candidates.clear()
                if not self.established:
                    self.established = True
                    self.owner.connection_changed(self)
                if not self._again:
                    break
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("sfu: negotiation with %s failed: %s", self.participant, e)
            self.close(f"The room connection could not be negotiated ({e}).")
        finally:
            self._negotiation = None
        self._send_tracks()

    def answer(self, description: protocol.SessionDescription, request_id: int | None) -> None:
        """The client's answer; raises :class:`ProtocolError` when there is no offer to answer."""
        if self._answer is None or self._answer.done():
            raise protocol.ProtocolError(
                protocol.ErrorCode.NO_CONNECTION,
                "There is no offer to answer on that room connection.",
                request_id,
            )
        sdp, count = checked_answer(
            self.pc.localDescription.sdp,
            description,
            self.allowed_candidate_networks,
            "the room connection",
            request_id,
        )
        if count > self.max_candidates:
            raise protocol.ProtocolError(
                protocol.ErrorCode.TOO_MANY_CANDIDATES,
                f"A room connection takes at most {self.max_candidates} ICE candidates.",
                request_id,
            )
        # The limit is per negotiation: each answer of a renegotiation lists
        # again the candidates of the one transport they all share.
        self._candidates_received = count
        self._answer.set_result(RTCSessionDescription(sdp=sdp, type="answer"))

    def candidate(self, candidate: protocol.IceCandidate | None, request_id: int | None) -> None:
        """One of the client's ICE candidates (None: it has no more)."""
        if candidate is not None:
            # Each candidate costs connectivity checks: a client gets a few
            # dozen, which is more than any browser gathers.
            if self._candidates_received >= self.max_candidates:
                raise protocol.ProtocolError(
                    protocol.ErrorCode.TOO_MANY_CANDIDATES,
                    f"A room connection takes at most {self.max_candidates} ICE candidates.",
                    request_id,
                )
            self._candidates_received += 1
            try:
                parsed = _parse_candidate(candidate)
            except Exception:
                raise protocol.ProtocolError(
                    protocol.ErrorCode.BAD_MESSAGE,
                    "That ICE candidate cannot be read.",
                    request_id,
                ) from None
            refusal = candidate_refusal(parsed.ip, self.allowed_candidate_networks)
            if refusal is not None:
                # Browsers offer such addresses as a matter of course: not an
                # error, but the server must not send checks there.
                log.debug(
                    "sfu: ICE candidate %s from %s ignored: %s",
                    parsed.ip,
                    self.participant,
                    refusal,
                )
                return
        if self._negotiation is not None:
            # It belongs to the answer being applied: add it after.
            self._pending_candidates.append(candidate)
        else:
            self._spawn(self._add_candidate(candidate))

    async def _add_candidate(self, candidate: protocol.IceCandidate | None) -> None:
        try:
            await self.pc.addIceCandidate(_parse_candidate(candidate) if candidate else None)
        except Exception as e:
            log.info("sfu: ICE candidate from %s ignored: %s", self.participant, e)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self.negotiate()

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "failed":
            self.close("The room connection failed.")
        elif state == "closed" and not self.closed:
            self.close("The room connection closed.")

    def close(self, reason: str = "") -> None:
        """End everything this connection published and received; idempotent."""
        if self.closed:
            return
        self.closed = True
        for consumer in self.consumers.values():
            consumer.close()
        self.consumers.clear()
        for slot in self.slots:
            slot.feedback = None  # a reference back: freed without the collector
        self.congestion.close()
        for producer in self.producers.values():
            producer.close()
        if self._answer is not None and not self._answer.done():
            self._answer.cancel()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self.owner.connection_closed(self, reason)
        self._closing = asyncio.ensure_future(self._close_pc())

    async def _close_pc(self) -> None:
        await self.pc.close()
        # Freed by reference counting as soon as the SFU forgets it, not at
        # the next full collection. (A close() that failed half-way leaves
        # it to the collector: wait_closed() logs why.)
        aiortc_release.release(self.pc)

    async def wait_closed(self) -> None:
        if self._closing is not None:
            try:
                await self._closing
            except Exception:
                log.exception("sfu: closing a connection failed")

    def _spawn(self, coro) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def producer_ready(self, source: protocol.TrackSource) -> Producer | None:
        """The producer of a source, once the client sends on it."""
        if self.closed or not self.established:
            return None
        return self.producers[source]


def candidate_refusal(host: str, allowed: Sequence[IPv4Network | IPv6Network] = ()) -> str | None:
    """Why the server will not send connectivity checks to ``host`` (None: it will).

    Loopback, link-local, multicast, unspecified and reserved addresses reach
    the server itself or its neighbours, not the participant; mDNS names
    (``….local``) only resolve on the browser's own network. ``allowed``
    networks are accepted whatever they are (tests on 127.0.0.0/8, a lab
    network that is link-local).
    """
    try:
        address = ip_address(host)
    except ValueError:
        return "not an IP address (an mDNS name the server cannot resolve)"
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed if network.version == address.version):
        return None
    for what, bad in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
    ):
        if bad:
            return f"a {what} address"
    return None


def check_answer(offer: str, answer: str) -> None:
    """Raise ValueError (saying why) unless ``answer`` is an answer aiortc
    can apply to ``offer``: the same media sections (kind and mid, in order),
    each with ICE credentials, a DTLS role and fingerprint, RTCP multiplexing
    and a codec the SFU forwards."""
    offered = SessionDescription.parse(offer)
    answered = SessionDescription.parse(answer)
    want = [(m.kind, m.rtp.muxId) for m in offered.media]
    got = [(m.kind, m.rtp.muxId) for m in answered.media]
    if got != want:
        raise ValueError(f"its media sections {got} are not the offer's {want}")
    for media in answered.media:
        where = f"media section {media.rtp.muxId!r}"
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise ValueError(f"{where} has no ICE username fragment or password")
        if media.dtls is None or media.dtls.role not in ("client", "server"):
            raise ValueError(f"{where} needs a DTLS setup of 'active' or 'passive'")
        if not media.dtls.fingerprints:
            raise ValueError(f"{where} has no DTLS fingerprint")
        if media.kind in CODECS:
            if not media.rtcp_mux:
                raise ValueError(f"{where} does not multiplex RTCP")
            codecs = {c.mimeType.lower() for c in media.rtp.codecs}
            forwarded = {m.lower() for m in CODECS[media.kind] if not m.endswith("/rtx")}
            if not codecs & forwarded:
                raise ValueError(
                    f"{where} has none of the codecs offered ({', '.join(sorted(forwarded))})"
                )


def checked_answer(
    offer_sdp: str,
    description: protocol.SessionDescription,
    networks: Sequence[IPv4Network | IPv6Network],
    what: str,
    request_id: int | None,
) -> tuple[str, int]:
    """A client's answer to ``offer_sdp`` (for ``what``: the room
    connection, a UDP probe), checked before aiortc sees it: aiortc would
    fail half-way through applying a bad one, and the connection would be
    lost (the offer stays open for a good answer). Its SDP with only the
    candidates of allowed networks, and how many it kept; else
    :class:`ProtocolError` (``bad_description``)."""
    if description.type != "answer" or not description.sdp:
        raise protocol.ProtocolError(
            protocol.ErrorCode.BAD_DESCRIPTION,
            "An answer must be of type 'answer' with SDP.",
            request_id,
        )
    try:
        check_answer(offer_sdp, description.sdp)
        return filter_candidates(description.sdp, networks)
    except Exception as e:
        raise protocol.ProtocolError(
            protocol.ErrorCode.BAD_DESCRIPTION,
            f"That answer does not fit {what}'s offer ({e}).",
            request_id,
        ) from None


def filter_candidates(
    sdp: str, allowed: Sequence[IPv4Network | IPv6Network] = ()
) -> tuple[str, int]:
    """``sdp`` without the candidates :func:`candidate_refusal` refuses, and
    how many different candidates it had in all (bundled media sections
    repeat the same ones: a table's answer has a section per track)."""
    lines = sdp.splitlines()
    kept = []
    seen: set[str] = set()
    for line in lines:
        if line.startswith("a=candidate:"):
            seen.add(line)
            refusal = candidate_refusal(
                candidate_from_sdp(line[len("a=candidate:") :]).ip, allowed
            )
            if refusal is not None:
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n", len(seen)


def _parse_candidate(candidate: protocol.IceCandidate):
    parsed = candidate_from_sdp(candidate.candidate.removeprefix("candidate:"))
    parsed.sdpMid = candidate.sdpMid
    parsed.sdpMLineIndex = candidate.sdpMLineIndex
    if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
        parsed.sdpMLineIndex = 0
    return parsed


def announce_public_address(sdp: str, public: str) -> str:
    """Add, for each host candidate in ``sdp``, the same candidate at the
    ``public`` address, with a higher priority (a server behind a 1:1 NAT, as
    cloud machines are, like Janus's ``nat_1_1_mapping``). The NAT forwards
    the browser's packets to the address the server gathered on."""
    lines = sdp.split("\r\n")
    out = []
    for line in lines:
        if line.startswith("a=candidate:"):
            bits = line.split(" ")
            if len(bits) >= 8 and bits[7] == "host" and bits[4] != public:
                mapped = list(bits)
                mapped[0] = bits[0] + "n"  # a foundation of its own
                mapped[3] = str(min(int(bits[3]) + 1, 2**31 - 1))
                mapped[4] = public
                out.append(" ".join(mapped))
        out.append(line)
    return "\r\n".join(out)
