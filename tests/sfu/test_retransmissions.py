"""What a subscriber's NACKs can make the server send again: per subscriber,
a bounded number of retransmissions a second, and the same packet not twice
within the interval. Real aiortc peers on 127.0.0.1; the NACKs are real
RTCP packets sent by the subscriber's receiver."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
import pytest_asyncio
from aiortc import MediaStreamTrack

from jupyter_classroom.sfu import RetransmitLimits, SfuSettings
from jupyter_classroom.sfu.forwarding import VIDEO_HISTORY, RetransmitBudget

from ..harness import FakeClock
from ..harness.clients import MarkedFrames, RoomPeer
from .conftest import Room

PER_SECOND = 20


def sent(slot) -> int:
    """Packets the slot has numbered for its current source."""
    n = slot.numbering
    return 0 if n.highest is None or n.first is None else n.highest - n.first + 1


@pytest_asyncio.fixture
async def room():
    r = Room(
        SfuSettings(
            retransmits=RetransmitLimits(per_second=PER_SECOND, interval=0.1),
            # The peers' candidates are on loopback, which a real server ignores.
            allowed_candidate_networks=(ip_network("127.0.0.0/8"),),
        )
    )
    r.sfu.start()
    yield r
    await r.close()


def test_the_budget_refills_at_its_rate_and_holds_a_second_at_most() -> None:
    clock = FakeClock(100.0)
    budget = RetransmitBudget(RetransmitLimits(per_second=10), clock)
    assert sum(budget.take(100.0) for _ in range(50)) == 10
    assert budget.refused == 40
    assert sum(budget.take(100.25) for _ in range(50)) == 2  # a quarter of a second: 2.5
    assert sum(budget.take(200.0) for _ in range(50)) == 10  # a long pause saves no more


async def nack(
    sub: RoomPeer, track: MediaStreamTrack | None, media_ssrc: int, lost: list[int]
) -> None:
    """One RTCP NACK from the subscriber's receiver (aiortc packs only
    ascending numbers)."""
    assert sub.pc is not None
    receiver = next(t.receiver for t in sub.pc.getTransceivers() if t.receiver.track is track)
    await receiver._send_rtcp_nack(media_ssrc, sorted(set(lost)))


def original_seq(data: bytes) -> int:
    """The original sequence number an RTX packet carries (RFC 4588)."""
    start = 12
    if data[0] & 0x10:
        start += 4 + 4 * int.from_bytes(data[14:16], "big")
    return int.from_bytes(data[start : start + 2], "big")


@pytest.mark.asyncio
async def test_one_nack_for_the_whole_history_gets_a_bounded_answer(room: Room) -> None:
    room.add("pub", camera=MarkedFrames(size=(640, 480)))
    sub = room.add("sub")
    await room.until(lambda: sub.watch("pub", "camera") is not None, what="the track")
    slot = room.sfu.connections["sub"].consumers[("pub", "camera")].slot
    await room.until(lambda: sent(slot) > 150, timeout=30, what="packets")
    resent: list[int] = []
    write = slot._write

    def counting(data: bytes) -> None:
        if data[1] & 0x7F != slot._payload_type:
            resent.append(original_seq(data))
        write(data)

    slot._write = counting  # type: ignore[method-assign]  # a spy on the wire
    # The server's clock for this subscriber stands still: the budget has
    # exactly one second's worth, whatever the machine's speed.
    clock = FakeClock(slot.clock() + 10.0)
    slot.clock = clock
    track = sub.track_of("pub", "camera")
    ssrc = slot.sender._ssrc
    newest = slot.numbering.highest
    assert newest is not None
    everything = [(newest - k) & 0xFFFF for k in range(VIDEO_HISTORY)]
    await nack(sub, track, ssrc, everything)
    # Every packet sent so far is in the history (the NACK asks for a whole
    # history's worth, and more than was sent): what was not resent was refused.
    found = sent(slot)
    await room.until(
        lambda: slot.budget.refused >= found - PER_SECOND - 10, what="the NACK to be answered"
    )
    assert slot.retransmitted == PER_SECOND
    await room.until(lambda: len(resent) == PER_SECOND, what="the retransmissions on the wire")
    assert set(resent) <= set(everything) and len(set(resent)) == PER_SECOND
    # Those again, 0.06 s later: a packet's worth of budget (1.2 tokens: a
    # round 0.05 s may come to 0.9999 in floating point), but they went out
    # within the interval: nothing is sent twice.
    clock.advance(0.06)
    refused = slot.budget.refused
    first_sent = list(resent)
    await nack(sub, track, ssrc, first_sent)
    # Other packets: the budget's 1.2 tokens allow one, and refuse 99. That
    # NACK is handled after the one before (one transport, in order): once
    # its 99 are refused, the repeated NACK is known to have taken nothing.
    await nack(sub, track, ssrc, [s for s in everything if s not in first_sent][:100])
    await room.until(lambda: slot.budget.refused >= refused + 99, what="the second NACK")
    assert slot.retransmitted == PER_SECOND + 1 and slot.budget.refused == refused + 99
    # After the interval, a repeated NACK is answered again (with budget to spare).
    clock.advance(1.0)
    await nack(sub, track, ssrc, first_sent[:5])
    await room.until(lambda: slot.retransmitted == PER_SECOND + 6, what="five again")
    # aiortc's NACK parser hands on pid + bit without the wrap (65536 and
    # up): taken modulo 2**16.
    await slot.on_retransmit_request(everything[0] + 0x10000)
    assert slot.retransmitted == PER_SECOND + 7
    await room.until(lambda: resent[-1] == everything[0], what="the wrapped number")
    # Numbers that were never sent, or not for this track: nothing. A NACK
    # for a sent packet after them is answered after them: until then, nothing.
    retransmitted, answered = slot.retransmitted, len(resent)
    await nack(sub, track, ssrc, [(newest + 1000 + k) & 0xFFFF for k in range(50)])
    clock.advance(1.0)
    await nack(sub, track, ssrc, [everything[1]])
    await room.until(lambda: everything[1] in resent[answered:], what="the NACK after them")
    assert resent[answered:] == [everything[1]] and slot.retransmitted == retransmitted + 1
    # The server and both connections are fine.
    assert room.sfu.connections["sub"].pc.connectionState == "connected"
    assert room.sfu.connections["pub"].pc.connectionState == "connected"


@pytest.mark.asyncio
async def test_the_budget_is_shared_by_a_subscribers_tracks(room: Room) -> None:
    room.add("alice", camera=MarkedFrames(size=(640, 480)))
    room.add("bob", camera=MarkedFrames(size=(640, 480)))
    sub = room.add("sub")
    await room.until(
        lambda: sub.watch("alice", "camera") and sub.watch("bob", "camera"), what="tracks"
    )
    connection = room.sfu.connections["sub"]
    slots = [connection.consumers[(p, "camera")].slot for p in ("alice", "bob")]
    await room.until(lambda: all(sent(s) > 70 for s in slots), timeout=30, what="packets")
    assert slots[0].budget is slots[1].budget is connection.retransmits
    clock = FakeClock(slots[0].clock() + 10.0)
    for s in slots:
        s.clock = clock
    for s, who in zip(slots, ("alice", "bob"), strict=True):
        newest = s.numbering.highest
        assert newest is not None
        lost = [(newest - k) & 0xFFFF for k in range(200)]
        await nack(sub, sub.track_of(who, "camera"), s.sender._ssrc, lost)
    await room.until(lambda: connection.retransmits.refused >= 120, what="both NACKs answered")
    # One second's worth between the two tracks, not one each.
    assert slots[0].retransmitted + slots[1].retransmitted == PER_SECOND
