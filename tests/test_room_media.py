"""Rooms' conferences through the real Jupyter server: aiortc participants on
127.0.0.1 join over the classroom socket, walk into a table and talk and
show through the server's SFU (nothing is mocked)."""

from __future__ import annotations

import asyncio
import functools
import socket
from typing import Any

import pytest

from .harness import until
from .harness.clients import Client, MarkedFrames, RoomPeer, Tone, marker_of
from .harness.rooms import room_server_config
from .harness.servers import classroom_service

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]
pytestmark = pytest.mark.network

TABLE_5 = (800.0, 780.0)  # x 650..950, y 680..870, right above the spawn area
TABLE_2 = (800.0, 450.0)  # x 650..950, y 360..550


@pytest.fixture
def jp_server_config(tmp_path):
    return room_server_config(
        tmp_path,
        room_capacities={"table-6": 1},
    )


@pytest.fixture
def service(jp_serverapp):
    return classroom_service(jp_serverapp)


def intact(levels: list[int], base: int = 0) -> bool:
    """Frames are the publisher's grey levels (VP8: a few off), in order."""
    markers = {(marker_of(n) + base) % 256 for n in range(1, 256)}
    close = all(min(abs(level - m) for m in markers) <= 6 for level in levels)
    steps = [(b - a) % 256 for a, b in zip(levels, levels[1:], strict=False)]
    return close and sum(1 for s in steps if 30 <= s <= 50) > 0.8 * len(steps)


async def all_at(clients: list[Client], spot: tuple[float, float]) -> None:
    await asyncio.gather(*(c.walk_to(*spot) for c in clients))


async def test_a_publishers_audio_and_video_reach_the_others_intact(join) -> None:
    alice = await join("alice", camera=MarkedFrames(), microphone=Tone())
    bob = await join("bob")
    carol = await join("carol")
    await all_at([alice, bob, carol], TABLE_5)
    for peer in (bob.room, carol.room):
        assert peer is not None
        await until(functools.partial(peer.watch, alice.id, "camera"), what="alice's camera")
        await until(functools.partial(peer.track_of, alice.id, "microphone"), what="alice's voice")
    watchers = [bob.room.watch(alice.id, "camera"), carol.room.watch(alice.id, "camera")]
    voices = [
        bob.room.watch(alice.id, "microphone"),
        carol.room.watch(alice.id, "microphone"),
    ]
    await until(lambda: all(len(w.levels) > 30 for w in watchers), what="30 frames each")
    await until(lambda: all(v.frames > 30 for v in voices), what="audio frames")
    for w in watchers:
        assert intact(w.levels)
    # Alice hears and sees nobody: the others send nothing.
    assert alice.room.carries == {}


async def test_a_late_joiner_starts_on_a_key_frame(join) -> None:
    alice = await join("alice", camera=MarkedFrames())
    bob = await join("bob")
    await all_at([alice, bob], TABLE_5)
    await until(lambda: bob.room.watch(alice.id, "camera"))
    await until(lambda: len(bob.room.watch(alice.id, "camera").levels) > 60, what="3 s of video")
    dave = await join("dave")
    await dave.walk_to(800, 885)  # just below the table (its edge is at y 870)
    await dave.send(type="move", x=800, y=860)
    await until(lambda: dave.room.watch(alice.id, "camera"), what="the track")
    watcher = dave.room.watch(alice.id, "camera")
    # aiortc's encoder makes key frames only when asked: a picture at all
    # means the server asked Alice for one for Dave, and the first frames
    # he decodes are whole (not a broken delta frame's grey).
    await until(lambda: len(watcher.levels) > 10, what="pictures")
    assert intact(watcher.levels)


async def test_leaving_and_muting_remove_tracks_and_the_connection_stays(join) -> None:
    alice = await join("alice", camera=MarkedFrames(), microphone=Tone())
    bob = await join("bob")
    await all_at([alice, bob], TABLE_5)
    await until(
        lambda: bob.room.track_of(alice.id, "camera") and bob.room.track_of(alice.id, "microphone")
    )
    number, offers = bob.room.number, bob.room.offers
    await alice.send(type="presence", mic=False)
    await until(
        lambda: not bob.room.track_of(alice.id, "microphone"), what="the muted voice to go"
    )
    assert bob.room.track_of(alice.id, "camera") is not None
    await alice.walk_to(800, 640)  # out of the table, onto the open floor
    await until(lambda: bob.room.carries == {}, what="alice's tracks to go")
    # Both connections stay open for the next room: walking to another
    # table re-routes tracks on the same transceivers, with no new offer.
    await alice.send(type="presence", mic=True)
    await alice.walk_to(*TABLE_2)
    await bob.walk_to(800, 640)
    await bob.walk_to(*TABLE_2)
    await until(
        lambda: bob.room.track_of(alice.id, "camera") and bob.room.track_of(alice.id, "microphone")
    )
    assert (bob.room.number, bob.room.offers) == (number, offers)
    assert not any(m["type"] == "sfu_closed" for m in bob.seen + alice.seen)


async def test_speakers_are_reported_to_the_room(join) -> None:
    alice = await join("alice", microphone=Tone(amplitude=0.5))
    bob = await join("bob", microphone=Tone(amplitude=0.0001))
    await all_at([alice, bob], TABLE_5)
    m = await bob.expect("speakers", timeout=10)
    assert m["room"] == "table-5" and m["ids"] == [alice.id]


async def test_a_full_room_is_explained_and_the_walker_stays_outside(join) -> None:
    alice = await join("alice", media=False)
    bob = await join("bob", media=False)
    for c in (alice, bob):  # around Table 5, between the tables
        await c.walk_to(1050, 900)
        await c.walk_to(1050, 640)
        await c.walk_to(1310, 640)
    await alice.walk_to(1310, 775)  # Table 6 (x 1160..1460, y 680..870), capacity 1
    await bob.walk_to(1310, 670)
    await bob.send(type="move", x=1310, y=690)
    # The server puts Bob back where he stood, and says why.
    correction = await bob.expect("positions", correction=True)
    assert correction["moves"] == [{"id": bob.id, "x": 1310, "y": 670}]
    error = await bob.expect("error")
    assert error["code"] == "room_full" and "Table 6 is full (1 person)" in error["message"]
    await bob.send(type="ping")
    await bob.expect("pong")


async def test_bad_room_connection_messages_get_codes(join) -> None:
    plain = await join("plain", media=False)
    await plain.send(type="sfu_answer", connection=1, description={"type": "answer", "sdp": "v=0"})
    assert (await plain.expect("error"))["code"] == "no_connection"
    alice = await join("alice", camera=MarkedFrames())
    bob = await join("bob")
    await all_at([alice, bob], TABLE_5)
    await until(lambda: bob.room.track_of(alice.id, "camera"))
    number = bob.room.number
    for message, code in [
        (
            {"connection": number + 7, "description": {"type": "answer", "sdp": "v=0"}},
            "no_connection",
        ),
        ({"connection": number, "description": {"type": "answer", "sdp": "v=0"}}, "no_connection"),
        ({"connection": number, "description": {"type": "offer"}}, "no_connection"),
    ]:
        await bob.send(type="sfu_answer", **message)
        assert (await bob.expect("error"))["code"] == code
    await bob.send(
        type="sfu_candidate", connection=number, candidate={"candidate": "candidate:garbage"}
    )
    assert (await bob.expect("error"))["code"] == "bad_message"
    await bob.send(type="sfu_candidate", connection=number, candidate={"candidate": 5})
    assert (await bob.expect("error"))["code"] == "bad_message"
    # Nothing broke: the media flows on.
    watcher = bob.room.watch(alice.id, "camera")
    seen = len(watcher.levels)
    await until(lambda: len(watcher.levels) > seen + 10, what="more frames")


async def test_a_failed_connection_is_cleaned_up_and_opened_again(join) -> None:
    alice = await join("alice", camera=MarkedFrames(), microphone=Tone())
    bob = await join("bob", microphone=Tone())
    await all_at([alice, bob], TABLE_5)
    await until(
        lambda: bob.room.track_of(alice.id, "camera") and alice.room.track_of(bob.id, "microphone")
    )
    first = bob.room.number
    # Bob's end of the room connection dies (the socket is fine).
    await bob.room.pc.close()
    await until(
        lambda: not alice.room.track_of(bob.id, "microphone"), what="bob's ghost track to go"
    )
    # The server opens a new connection to Bob, and everything flows again.
    await until(lambda: bob.room.number not in (None, first), timeout=15, what="a new connection")
    await until(
        lambda: (
            bob.room.track_of(alice.id, "camera") and alice.room.track_of(bob.id, "microphone")
        ),
        timeout=15,
        what="media again",
    )


async def test_a_dropped_socket_leaves_no_ghost_tracks(join) -> None:
    alice = await join("alice", camera=MarkedFrames())
    bob = await join("bob", camera=MarkedFrames(base=20))
    await all_at([alice, bob], TABLE_5)
    await until(lambda: alice.room.track_of(bob.id, "camera"))
    bob._reader.cancel()
    bob.ws.close(code=4999)  # not a clean close: bob is "reconnecting"
    await until(lambda: not alice.room.track_of(bob.id, "camera"), what="bob's track to go")


async def test_walking_to_another_table_brings_its_voices_at_once(join) -> None:
    alice = await join("alice", microphone=Tone())
    bob = await join("bob", microphone=Tone(amplitude=0.2))
    carol = await join("carol")
    await bob.walk_to(800, 640)  # through Table 5 while it is empty
    await bob.walk_to(*TABLE_2)
    await all_at([alice, carol], TABLE_5)
    await until(lambda: carol.room.watch(alice.id, "microphone"), what="alice's voice at carol")
    watcher = carol.room.watch(alice.id, "microphone")
    track = carol.room.track_of(alice.id, "microphone")
    await carol.walk_to(800, 640)  # out of Table 5: Alice goes quiet
    await until(lambda: not carol.room.track_of(alice.id, "microphone"))
    await carol.walk_to(800, 560)  # just below Table 2 (y 360..550)
    frames, number = watcher.frames, carol.room.number
    await carol.send(type="move", x=800, y=540)
    # The same transceiver now carries Bob: his voice arrives as soon as the
    # server has re-routed it, on the same connection (the offer that
    # follows only tells the browser which stream the track now belongs to).
    await until(lambda: carol.room.track_of(bob.id, "microphone") is track, what="the re-route")
    await until(lambda: watcher.frames > frames + 1, what="bob's voice")
    assert carol.room.number == number


async def flowing(peer: RoomPeer, pid: str, source: str, deadline: float) -> None:
    """``pid``'s ``source`` reaches ``peer``: new packets arrive (decoded
    frames count up) before the loop's clock passes ``deadline``."""

    def left() -> float:
        return max(0.0, deadline - asyncio.get_running_loop().time())

    await until(lambda: peer.watch(pid, source), left(), f"{pid}'s {source} track")
    watcher = peer.watch(pid, source)
    assert watcher is not None
    seen = watcher.frames
    await until(lambda: watcher.frames > seen + 5, left(), f"{pid}'s {source} packets")


@pytest.mark.parametrize("noticed", [True, False], ids=["dropped", "half-open"])
async def test_a_resumed_participant_has_room_media_again_at_once(
    join, service, noticed: bool
) -> None:
    alice = await join("alice", microphone=Tone())
    bob = await join("bob", microphone=Tone(amplitude=0.2), camera=MarkedFrames(base=20))
    await all_at([alice, bob], TABLE_5)
    loop = asyncio.get_running_loop()
    await flowing(alice.room, bob.id, "microphone", loop.time() + 10)
    await flowing(bob.room, alice.id, "microphone", loop.time() + 10)
    first = bob.room.number
    assert bob._reader is not None
    bob._reader.cancel()
    if noticed:
        # The socket dies without a close frame, as on a network failure,
        # and the server sees it: Bob's room connection is closed with it.
        bob.ws.stream.close()
        while (await alice.expect("participant_updated", timeout=10))["participant"][
            "connection"
        ] != "reconnecting":
            pass
        await until(
            lambda: not alice.room.track_of(bob.id, "microphone"), what="bob's tracks to go"
        )
    # Otherwise the old socket is still open (half-open, as after a laptop's
    # sleep): the new one replaces it, and with it the room connection.
    again = await join("bob", resume=bob)
    assert again.id == bob.id
    # The new session gets its own offer at once; within 2 s media flows
    # both ways (a correctness bound: the old failure waited out the 20 s
    # answer timeout).
    deadline = loop.time() + 2.0
    await until(lambda: again.room.number not in (None, first), 2.0, "a new room connection")
    await flowing(alice.room, bob.id, "microphone", deadline)
    await flowing(again.room, alice.id, "microphone", deadline)
    await flowing(alice.room, bob.id, "camera", loop.time() + 10)
    assert service.sfu.connections[bob.id].number == again.room.number


async def test_leaving_while_an_offer_is_pending_closes_the_connection_at_once(
    join, service
) -> None:
    alice = await join("alice", microphone=Tone())
    carol = await join("carol")
    answers: list[dict[str, Any]] = []
    assert carol.room is not None
    carol.room.send = answers.append  # Carol's browser never answers
    await all_at([alice, carol], TABLE_5)
    await until(lambda: answers, what="carol's offer")
    connection = service.sfu.connections[carol.id]
    assert not connection.established
    offer = next(m for m in carol.seen if m["type"] == "sfu_offer")
    ports = candidate_ports(offer["description"]["sdp"])
    assert ports and not all(port_free(p) for p in ports)
    assert carol._reader is not None
    carol._reader.cancel()
    carol.ws.close(1000)  # a clean close: she left (her browser's end stays as it is)
    await alice.expect("participant_left", timeout=5)
    # Closed when she left, not when the 20 s answer timeout would have
    # fired: no connection for her, its peer connection closed, its UDP
    # socket released; and none opened again for someone who is gone.
    assert carol.id not in service.sfu.connections
    await until(
        lambda: connection.pc.connectionState == "closed", 5, "the peer connection to close"
    )
    await until(lambda: all(port_free(p) for p in ports), 5, "the socket to close")
    assert carol.id not in service.sfu.connections and carol.id not in service.sfu._failures


async def test_an_answer_that_does_not_fit_the_offer_gets_bad_description(join) -> None:
    alice = await join("alice", camera=MarkedFrames())
    bob = await join("bob")
    answers: list[dict[str, Any]] = []
    assert bob.room is not None
    bob.room.send = answers.append  # hold Bob's answer back for a while
    await all_at([alice, bob], TABLE_5)
    await until(lambda: answers, what="bob's answer")
    (good,) = answers
    sdp = good["description"]["sdp"]
    sections = sdp.split("\r\nm=")
    bad = {
        "no media": "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
        "a section short": "\r\nm=".join(sections[:-1]) + "\r\n",
        "no ICE password": "\r\n".join(
            line for line in sdp.split("\r\n") if not line.startswith("a=ice-pwd")
        ),
        "no DTLS fingerprint": "\r\n".join(
            line for line in sdp.split("\r\n") if not line.startswith("a=fingerprint")
        ),
        "other codecs": sdp.replace("opus/48000", "PCMU/8000").replace("VP8/90000", "H264/90000"),
    }
    for what, text in bad.items():
        await bob.send(
            type="sfu_answer",
            connection=good["connection"],
            description={"type": "answer", "sdp": text},
        )
        error = await bob.expect("error")
        assert error["code"] == "bad_description", what
    # The connection is kept, still waiting for a good answer: with it,
    # the picture comes.
    bob.room.send = lambda message: bob.send(**message)
    await bob.send(**good)
    await until(lambda: bob.room.watch(alice.id, "camera"), what="alice's camera")
    watcher = bob.room.watch(alice.id, "camera")
    await until(lambda: len(watcher.levels) > 10, what="pictures")
    assert bob.room.number == good["connection"]
    assert not any(m["type"] == "sfu_closed" for m in bob.seen)


def candidate_ports(sdp: str) -> set[int]:
    """The UDP ports of an SDP's host candidates on 127.0.0.1."""
    ports = set()
    for line in sdp.split("\r\n"):
        bits = line.split(" ")
        if line.startswith("a=candidate:") and bits[2].lower() == "udp" and bits[4] == "127.0.0.1":
            ports.add(int(bits[5]))
    return ports


def port_free(port: int) -> bool:
    """Whether nothing holds this UDP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
