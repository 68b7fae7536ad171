"""Congestion with real aiortc peers through the SFU: a viewer whose link
loses video packets stops being sent the video, keeps hearing the voice,
and gets the picture back, from a key frame, once its link is good again;
its page is told which video is held back, and when none is.

The loss is made at the viewer's end, where its ICE connection takes
datagrams in, so its own aiortc receiver counts the gaps and reports them
in its receiver reports, as a browser on a bad link would."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtpPacket

from jupyter_classroom.sfu import rtp
from jupyter_classroom.sfu.congestion import HOLD_MAX, Change
from jupyter_classroom.sfu.forwarding import Slot

from ..harness.clients import MarkedFrames, Tone
from .conftest import Room

pytestmark = [pytest.mark.asyncio, pytest.mark.network]

#: One video packet in three lost: a third, well over the 10 % that pauses.
LOSE_ONE_IN = 3


class LossyLink:
    """Loses one in ``n`` (n > 1) of the RTP packets of some SSRCs on their
    way into a peer, at its ICE connection (still SRTP: the header is in the
    clear).

    Each packet is passed on (or lost) when the next one comes, or when the
    loss stops: a lost packet is always followed by one that shows it
    missing. aiortc's receiver asks for a missing packet once, when a later
    one shows the gap, and holds every frame after it until it comes or 512
    more packets have; a browser decodes the next key frame regardless.
    Without this, a last packet lost before the server pauses the video
    would only be missed after it starts again, too late to be sent again
    (the numbers have moved on), and Bob's picture would stall.
    """

    def __init__(self, pc: RTCPeerConnection, ssrcs: set[int], n: int) -> None:
        # Every transceiver is bundled on one ICE connection. Its aioice
        # connection (private to aiortc's ICE transport) is where datagrams
        # come in, before SRTP and the receivers' statistics.
        ice = pc.getTransceivers()[0].receiver.transport.transport
        self._connection = ice._connection
        self._receive = self._connection.data_received
        self._connection.data_received = self._data_received  # type: ignore[method-assign]
        self.ssrcs = ssrcs
        self.n = n
        self.seen = 0
        self.lost = 0
        self.losing = True
        self._held: tuple[bytes, int] | None = None

    def _data_received(self, data: bytes, component: int) -> None:
        # RTP, not RTCP (RFC 5761: RTCP's packet types are 192..223).
        if not (
            self.losing
            and len(data) >= 12
            and data[0] >> 6 == 2
            and not 192 <= data[1] <= 223
            and int.from_bytes(data[8:12], "big") in self.ssrcs
        ):
            self._receive(data, component)
            return
        held, self._held = self._held, (data, component)
        if held is not None:
            self.seen += 1
            if self.seen % self.n == 0:
                self.lost += 1
            else:
                self._receive(*held)

    def stop(self) -> None:
        self.losing = False
        held, self._held = self._held, None
        if held is not None:
            self._receive(*held)


class Arrivals:
    """What reaches a viewer's video and audio receivers (unprotected, before
    their jitter buffers: aiortc's private ``_handle_rtp_packet`` of the
    test's own peer), in order, with the server's pauses and restarts of
    that video marked in between."""

    def __init__(self, pc: RTCPeerConnection, mids: dict[str, str], video_ssrc: int) -> None:
        #: ("video", starts a key frame), ("paused"|"resumed", frames decoded so far)
        self.events: list[tuple[str, Any]] = []
        self.audio = 0
        self.audio_while_paused = 0
        self.paused = False
        self.video_ssrc = video_ssrc
        for transceiver in pc.getTransceivers():
            kind = mids.get(transceiver.mid or "")
            if kind is not None:
                self._observe(transceiver.receiver, kind)

    def _observe(self, receiver: Any, kind: str) -> None:
        handle = receiver._handle_rtp_packet

        async def observed(packet: RtpPacket, arrival_time_ms: int) -> None:
            if kind == "audio":
                self.audio += 1
                self.audio_while_paused += self.paused
            elif packet.ssrc == self.video_ssrc:  # not a retransmission
                self.events.append(("video", rtp.vp8_keyframe_start(packet.payload)))
            await handle(packet, arrival_time_ms=arrival_time_ms)

        receiver._handle_rtp_packet = observed

    def mark(self, what: str, frames: int) -> None:
        self.paused = what == "paused"
        self.events.append((what, frames))


def held_told(room: Room, pid: str) -> list[dict[str, Any]]:
    """The ``sfu_held`` messages sent to ``pid``, in order."""
    return [m for m in room.sent.get(pid, []) if m["type"] == "sfu_held"]


async def test_a_lossy_viewer_loses_its_video_first_and_gets_it_back_from_a_key_frame(
    room: Room,
) -> None:
    room.add("alice", camera=MarkedFrames(), microphone=Tone())
    bob = room.add("bob")
    carol = room.add("carol")
    for viewer in (bob, carol):
        await room.until(
            lambda v=viewer: v.watch("alice", "camera") and v.watch("alice", "microphone"),
            what="alice's camera and voice",
        )
    picture = bob.watch("alice", "camera")
    voice = bob.watch("alice", "microphone")
    healthy = carol.watch("alice", "camera")
    assert picture is not None and voice is not None and healthy is not None
    await room.until(lambda: len(picture.levels) > 10, what="bob's first pictures")

    # Bob's end on the server: which slot carries Alice's camera, and what
    # his reports decided (read, and marked as it happens, below).
    control = room.sfu.connections["bob"].congestion
    slot: Slot = room.sfu.connections["bob"].consumers[("alice", "camera")].slot
    mids = {
        mid: "video" if source == "camera" else "audio" for mid, (_, source) in bob.carries.items()
    }
    assert bob.pc is not None
    arrivals = Arrivals(bob.pc, mids, slot.sender._ssrc)
    apply = control._apply

    def observed(changes: list[Change[Slot]]) -> None:
        for change in changes:
            if change.key is slot:
                arrivals.mark("paused" if change.paused else "resumed", len(picture.levels))
        apply(changes)

    # Every decision goes through _apply (reports, estimates, the hold's
    # timer): marked in what reaches Bob as it is applied.
    control._apply = observed  # type: ignore[method-assign]
    # First transmissions only: aiortc's receiver asks for a lost packet once,
    # so a lost retransmission would stall its picture (see Slot's
    # on_retransmit_request) whatever the server does next.
    lossy = LossyLink(bob.pc, {slot.sender._ssrc}, LOSE_ONE_IN)

    # Bob's reports show the loss: his video stops, his voice goes on.
    await room.until(
        lambda: control.link.paused(slot) and arrivals.audio_while_paused >= 50,
        timeout=30,
        what="bob's video paused while a second of voice reaches him",
    )
    # Bob's page was told which video is held back, to say why it stopped.
    mid = next(m for m, track in bob.carries.items() if track == ("alice", "camera"))
    number = room.sfu.connections["bob"].number
    assert held_told(room, "bob")[-1] == {"type": "sfu_held", "connection": number, "mids": [mid]}
    # The link is good again (while the video is paused, so that what comes
    # next starts after it).
    lossy.stop()
    since = len(arrivals.events)
    decoded = len(picture.levels)
    carol_decoded = len(healthy.levels)

    def back() -> bool:
        restarts = [i for i, (what, _) in enumerate(arrivals.events) if what == "resumed"]
        return (
            bool(restarts)
            and restarts[-1] >= since
            and not control.link.paused(slot)
            # Frames decoded when it came back may still be on their way
            # out of the decoder: twenty later, the last ten are new.
            and len(picture.levels) - arrivals.events[restarts[-1]][1] >= 20
        )

    await room.until(back, timeout=HOLD_MAX + 10, what="bob's video back, twenty pictures")
    # Each time the video came back after the loss stopped, its first packet
    # started a key frame (asked of Alice for Bob), and the pictures decoded
    # since are Alice's, in order.
    events = arrivals.events
    for i, (what, _) in enumerate(events):
        if what == "resumed" and i >= since:
            first = next(e for e in events[i + 1 :] if e[0] == "video")
            assert first == ("video", True)
    assert len(picture.levels) > decoded
    steps = [
        (b - a) % 256 for a, b in zip(picture.levels[-10:], picture.levels[-9:], strict=False)
    ]
    assert all(0 < s < 128 for s in steps)
    assert lossy.lost > 0 and arrivals.audio > arrivals.audio_while_paused > 0
    # And told when every video flows again.
    assert held_told(room, "bob")[-1]["mids"] == []
    # Carol's link was good all along: her picture was never stopped, and
    # her page was never told of a held video.
    assert room.sfu.connections["carol"].congestion.link.pauses == 0
    assert held_told(room, "carol") == []
    assert len(healthy.levels) > carol_decoded
    assert control.link.pauses >= 1 and control.link.resumes >= 1
