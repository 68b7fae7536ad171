"""Forwarding through the SFU, with real aiortc peers on 127.0.0.1: what one
publisher sends arrives at every subscriber intact, is never decoded on the
way, starts with a key frame, is repaired when lost (within bounds), and keeps its timing."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtp import RtpPacket

from jupyter_classroom.sfu import aiortc_hooks

from ..harness import FakeClock
from ..harness.clients import MarkedFrames, RoomPeer, Tone, marker_of
from .conftest import Room

pytestmark = pytest.mark.asyncio


def close_to_sent(levels: list[int], sent: int, base: int = 0) -> bool:
    """Every level is one the publisher sent (VP8 is lossy: a few levels off)."""
    markers = {(marker_of(n) + base) % 256 for n in range(1, sent + 1)}
    return all(min(abs(level - m) for m in markers) <= 6 for level in levels)


def in_order(levels: list[int]) -> bool:
    steps = [(b - a) % 256 for a, b in zip(levels, levels[1:], strict=False)]
    return sum(1 for s in steps if 30 <= s <= 50) > 0.8 * len(steps)


async def test_frames_reach_two_subscribers_intact_and_are_never_decoded(room: Room) -> None:
    camera = MarkedFrames()
    room.add("pub", camera=camera, microphone=Tone())
    a = room.add("a")
    b = room.add("b")
    wa = await room.until(lambda: a.watch("pub", "camera"), what="a's track")
    wb = await room.until(lambda: b.watch("pub", "camera"), what="b's track")
    await room.until(lambda: len(wa.levels) > 40 and len(wb.levels) > 40, what="frames")
    for watcher in (wa, wb):
        assert close_to_sent(watcher.levels, camera.n) and in_order(watcher.levels)
    # The audio arrives too, on a transceiver of its own.
    assert a.track_of("pub", "microphone") is not None
    connection = room.sfu.connections["pub"]
    assert connection.producers["camera"].packets > 40
    assert connection.producers["microphone"].packets > 40
    # Nothing was decoded on the server: the receivers' decoder threads ended
    # at once, and their tracks got no frames.
    for source in ("camera", "microphone"):
        receiver = connection.producers[source].receiver
        # aiortc's own (private) state: it has no public view of either.
        assert not vars(receiver)["_RTCRtpReceiver__decoder_thread"].is_alive()
        assert all(item is None for item in list(vars(receiver.track)["_queue"]._queue))


def keyframe_requests(pub: RoomPeer) -> list[float]:
    """The loop times at which the publisher's camera sender is asked for a key frame."""
    requests: list[float] = []
    loop = asyncio.get_running_loop()
    assert pub.pc is not None
    (sender,) = [
        t.sender
        for t in pub.pc.getTransceivers()
        if t.sender.track is not None and t.kind == "video"
    ]
    sender._send_keyframe = lambda: requests.append(loop.time())  # type: ignore[method-assign]  # a spy
    return requests


async def test_a_late_subscriber_starts_on_a_key_frame_it_asked_for(room: Room) -> None:
    pub = room.add("pub", camera=MarkedFrames())
    room.add("first")
    await room.until(lambda: room.sfu.connections["pub"].producers["camera"].packets > 60)
    requests = keyframe_requests(pub)
    joined = asyncio.get_running_loop().time()
    late = room.add("late")
    watcher = await room.until(lambda: late.watch("pub", "camera"), what="the late track")
    first = await room.until(lambda: watcher.first_at, what="a picture")
    # The picture did not wait for the publisher's next key frame on its
    # own: the server asked for one for the newcomer, and it came.
    assert any(joined <= t <= first for t in requests), (joined, requests, first)


async def test_keyframe_requests_reach_the_publisher_at_most_once_a_second(room: Room) -> None:
    pub = room.add("pub", camera=MarkedFrames())
    room.add("sub")
    await room.until(lambda: room.sfu.connections["pub"].producers["camera"].packets > 30)
    producer = room.sfu.connections["pub"].producers["camera"]
    # The producer's clock stands still: whatever the real time, no second
    # passes for it until the test says so. (The subscriber may ask for key
    # frames of its own meanwhile: they go through the same limit.)
    clock = producer.clock = FakeClock(producer.clock() + 10.0)
    requests = keyframe_requests(pub)
    for _ in range(10):
        producer.keyframe_wanted()
    await room.until(lambda: len(requests) >= 1, what="the first request")
    producer.keyframe_wanted()  # within the second: deferred, not lost
    deferred = producer._deferred_keyframe
    assert deferred is not None
    # The deferred request wakes after a real second, finds that the
    # producer's second is not over, and waits on (a timer of its own).
    await room.until(
        lambda: producer._deferred_keyframe is not deferred, what="the deferred request to wake"
    )
    assert producer._deferred_keyframe is not None and len(requests) == 1, requests
    clock.advance(1.0)
    await room.until(lambda: len(requests) >= 2, what="the deferred request")
    # A second later, one more wish: the request it sends comes after any
    # other the earlier wishes made (one path, in order).
    clock.advance(1.0)
    producer.keyframe_wanted()
    await room.until(lambda: len(requests) >= 3, what="a request in the next second")
    # Eleven wishes and more within one second of the producer's made two
    # requests; the next second's wish the third.
    assert len(requests) == 3, requests


async def test_lost_packets_are_retransmitted_from_the_history(room: Room) -> None:
    # Losing a fifth of the video would pause it for the subscriber (see
    # test_congestion_media.py); this is about what retransmissions repair.
    room.sfu.settings.congestion = False
    camera = MarkedFrames(size=(640, 480))
    room.add("pub", camera=camera)
    sub = room.add("sub")
    watcher = await room.until(lambda: sub.watch("pub", "camera"), what="the track")
    await room.until(lambda: len(watcher.levels) > 5, what="the picture")
    # Lose every 5th video packet on the way to the subscriber.
    slot = room.sfu.connections["sub"].consumers[("pub", "camera")].slot
    write = slot._write
    counter = {"n": 0, "lost": 0, "again": 0}

    def lossy(data: bytes) -> None:
        if data[1] & 0x7F == slot._payload_type:
            counter["n"] += 1
            if counter["n"] % 5 == 0:
                counter["lost"] += 1
                return
        else:
            counter["again"] += 1
        write(data)

    slot._write = lossy  # type: ignore[method-assign]  # loses packets on the way
    sent, decoded = camera.n, len(watcher.levels)
    await room.until(lambda: counter["lost"] > 40, timeout=30, what="losses")
    # Retransmissions (RTX) answered the subscriber's NACKs, and the picture
    # went on: nearly every frame sent meanwhile was decoded.
    assert counter["again"] >= counter["lost"] * 0.8
    assert len(watcher.levels) - decoded >= 0.8 * (camera.n - sent) - 5
    assert in_order(watcher.levels[-30:])
    # Each retransmission came out of the subscriber's budget.
    assert slot.retransmitted >= counter["again"] and slot.budget.refused == 0


async def test_sender_reports_keep_the_publishers_timing(room: Room) -> None:
    pub = room.add("pub", camera=MarkedFrames(), microphone=Tone())
    sub = room.add("sub")
    await room.until(lambda: sub.track_of("pub", "microphone") is not None, what="tracks")
    reports: dict[str, list[tuple[int, int]]] = {"pub": [], "sub": []}
    # What the publisher's audio sender reports, and what the subscriber gets.
    assert pub.pc is not None and sub.pc is not None
    (audio_sender,) = [
        t.sender
        for t in pub.pc.getTransceivers()
        if t.sender.track is not None and t.kind == "audio"
    ]
    send_rtcp = audio_sender._send_rtcp

    async def spy_publisher(packets) -> None:
        for p in packets:
            if hasattr(p, "sender_info"):
                reports["pub"].append((p.sender_info.ntp_timestamp, p.sender_info.rtp_timestamp))
        await send_rtcp(packets)

    audio_sender._send_rtcp = spy_publisher  # type: ignore[method-assign]  # a spy
    receiver = next(
        t.receiver
        for t in sub.pc.getTransceivers()
        if t.receiver.track is sub.track_of("pub", "microphone")
    )
    handle = receiver._handle_rtcp_packet

    async def spy_subscriber(packet) -> None:
        if hasattr(packet, "sender_info"):
            reports["sub"].append(
                (packet.sender_info.ntp_timestamp, packet.sender_info.rtp_timestamp)
            )
        await handle(packet)

    receiver._handle_rtcp_packet = spy_subscriber  # type: ignore[method-assign]  # a spy
    await room.until(lambda: len(reports["sub"]) >= 2, timeout=8, what="sender reports")
    # Every report the subscriber got is one of the publisher's (same NTP
    # time, same RTP timestamp: the first publisher keeps its numbers).
    assert set(reports["sub"]) <= set(reports["pub"])


async def test_leaving_the_room_removes_the_tracks_from_the_others(room: Room) -> None:
    room.add("pub", camera=MarkedFrames(), microphone=Tone())
    sub = room.add("sub")
    await room.until(lambda: sub.track_of("pub", "camera") and sub.track_of("pub", "microphone"))
    room.move("pub", None)
    await room.until(lambda: not sub.carries, what="the tracks to go")
    assert room.sfu.connections["pub"].consumers == {}
    assert not room.sfu.connections["pub"].producers["camera"].consumers
    # The publisher's connection stays open for the next room; coming back
    # re-uses the same transceivers without a new offer.
    offers = sub.offers
    room.move("pub", "table-1")
    await room.until(lambda: sub.track_of("pub", "camera") and sub.track_of("pub", "microphone"))
    assert sub.offers == offers


async def test_a_transceiver_carries_another_publisher_after_a_switch(room: Room) -> None:
    room.add("alice", "table-1", camera=MarkedFrames(base=0))
    room.add("bob", "table-2", camera=MarkedFrames(base=20))
    carol = room.add("carol", "table-1")
    watcher = await room.until(lambda: carol.watch("alice", "camera"), what="Alice's camera")
    await room.until(lambda: len(watcher.levels) > 20)
    track = carol.track_of("alice", "camera")
    # Carol walks to Bob's table: the same transceiver now carries Bob.
    room.move("carol", "table-2")
    await room.until(lambda: carol.track_of("bob", "camera") is track, what="the switch")
    before = len(watcher.levels)
    await room.until(lambda: len(watcher.levels) > before + 20, what="Bob's frames")
    bob_levels = watcher.levels[before + 5 :]
    assert close_to_sent(bob_levels, 200, base=20) and in_order(bob_levels)
    slot = room.sfu.connections["carol"].consumers[("bob", "camera")].slot
    assert slot.numbering.seq_offset != 0  # renumbered to follow on


async def test_a_failed_connection_is_cleaned_up_everywhere(room: Room) -> None:
    pub = room.add("pub", camera=MarkedFrames(), microphone=Tone())
    sub = room.add("sub")
    await room.until(lambda: sub.track_of("pub", "camera") is not None)
    connection = room.sfu.connections["pub"]
    producers = list(connection.producers.values())
    # The publisher vanishes without a word (its end just closes).
    assert pub.pc is not None
    await pub.pc.close()
    await room.until(
        lambda: "pub" not in room.sfu.connections or room.sfu.connections["pub"] is not connection,
        timeout=40,
        what="the failure to be noticed",
    )
    await room.until(lambda: not sub.carries, what="the tracks to go")
    assert all(p.closed and not p.consumers for p in producers)
    assert any(m["type"] == "sfu_closed" for m in room.sent["pub"])


async def test_a_failing_subscriber_does_not_stop_the_others(room: Room, caplog) -> None:
    camera = MarkedFrames()
    room.add("pub", camera=camera)
    a = room.add("a")
    b = room.add("b")
    await room.until(lambda: a.watch("pub", "camera"), what="a's track")
    watcher = await room.until(lambda: b.watch("pub", "camera"), what="b's track")
    broken = room.sfu.connections["a"].consumers[("pub", "camera")]

    def fail(*args) -> None:
        raise RuntimeError("a bug")

    broken.slot.write = fail  # type: ignore[method-assign,assignment]  # a bug in forwarding
    seen = len(watcher.levels)
    await room.until(lambda: len(watcher.levels) > seen + 30, what="b's frames to go on")
    assert broken.closed and "forwarding to a failed" in caplog.text
    # The publisher's connection is fine.
    assert room.sfu.connections["pub"].pc.connectionState == "connected"


async def test_a_socket_closed_before_dtls_knows_is_not_written_to(room: Room) -> None:
    # ICE's socket can close a moment before DTLS hears of it; forwarding
    # writes in between must stop there (in CPython 3.11 an unconnected
    # datagram transport's sendto raises once its socket is gone).
    room.add("pub", camera=MarkedFrames())
    room.add("a")
    connection = await room.until(
        lambda: room.sfu.connections["a"] if room.sfu.connections["a"].established else None
    )
    consumer = await room.until(lambda: connection.consumers.get(("pub", "camera")))
    await room.until(lambda: consumer.slot.packets > 0, what="packets forwarded to a")
    sender = consumer.slot.sender
    writer = aiortc_hooks.packet_writer(sender)
    assert writer is not None
    socket = sender.transport.transport._connection._nominated[1].protocol.transport
    socket.close()
    await asyncio.sleep(0)  # the socket's connection_lost has run
    assert socket.get_extra_info("socket").fileno() == -1
    assert sender.transport._state == DtlsState.CONNECTED
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=1, ssrc=1).serialize()
    assert writer(packet) is False
    assert aiortc_hooks.packet_writer(sender) is None
