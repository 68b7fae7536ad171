"""The media socket (``classroom/media``) against a real Jupyter server:
frames go exactly where the classroom's plan says, bad ones are refused with
a code and the socket lives on."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import tornado.websocket

from jupyter_classroom import protocol
from jupyter_classroom.protocol.frames import FrameHeader, parse_header

from .harness import until
from .harness.clients import Client
from .harness.servers import classroom_service, server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: Places at table-1 and far from it, on the open floor.
TABLE = [(200.0, 450.0), (260.0, 450.0), (320.0, 450.0)]


@pytest.fixture
def jp_server_config(tmp_path):
    return server_config(tmp_path, max_messages_per_second=100.0)


class Person:
    def __init__(self, client: Client, media: tornado.websocket.WebSocketClientConnection):
        self.client = client
        self.media = media
        self.frames: list[tuple[FrameHeader, bytes]] = []
        self.texts: list[dict[str, Any]] = []

    @property
    def number(self) -> int:
        assert self.client.welcome is not None
        me = next(p for p in self.client.welcome["participants"] if p["id"] == self.client.id)
        return int(me["number"])

    async def read(self, timeout: float = 5.0) -> tuple[FrameHeader, bytes] | dict[str, Any]:
        message = await asyncio.wait_for(self.media.read_message(), timeout)
        if message is None:
            raise ConnectionError(f"closed: {self.media.close_code} {self.media.close_reason}")
        if isinstance(message, str):
            return json.loads(message)
        return parse_header(message), message[protocol.FRAME_HEADER_BYTES :]


@pytest.fixture
def person(jp_ws_fetch):
    made: list[Person] = []

    async def make(user: str, at: tuple[float, float], transport: str = "websocket") -> Person:
        ws = await jp_ws_fetch("classroom", "ws", params={"user": user})
        client = Client(ws)
        welcome = await client.join(media=True, restore={"x": at[0], "y": at[1]})
        await client.send(type="presence", mic=True, camera=True, transport=transport)
        await client.expect("ack")
        media = await jp_ws_fetch(
            "classroom", "media", params={"user": user, "ticket": welcome["media_ticket"]}
        )
        p = Person(client, media)
        made.append(p)
        return p

    yield make
    for p in made:
        p.media.close()
        p.client.ws.close()


def frame(kind: int, layer: int = 0, key: bool = True, seq: int = 0, body: bytes = b"x") -> bytes:
    return FrameHeader(kind, layer, key, 0, 1_000 * seq, seq).pack() + body


async def received(p: Person, count: int, timeout: float = 5.0) -> list[tuple[FrameHeader, bytes]]:
    got: list[tuple[FrameHeader, bytes]] = []
    while len(got) < count:
        item = await p.read(timeout)
        if isinstance(item, tuple):
            got.append(item)
    return got


async def test_three_at_a_table_receive_each_others_frames_and_someone_far_away_none(
    person, jp_serverapp
) -> None:
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    c = await person("cy", TABLE[2])
    far = await person("dee", (1400.0, 850.0))
    service = classroom_service(jp_serverapp)
    assert {service.classroom.participants[p.client.id].room for p in (a, b, c)} == {"table-1"}
    audio = frame(protocol.FRAME_KIND_AUDIO, body=b"opus")
    await a.media.write_message(audio, binary=True)
    for viewer in (b, c):
        ((header, body),) = await received(viewer, 1)
        assert header.source == a.number and header.kind == protocol.FRAME_KIND_AUDIO
        assert body == b"opus"
    # Video starts at a key frame; the large layer unless the socket lags.
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    for viewer in (b, c):
        ((header, _),) = await received(viewer, 1)
        assert header.kind == protocol.FRAME_KIND_CAMERA and header.layer == 1 and header.key
    # The one far away got nothing: a frame of their own neighbours would come first.
    await far.media.write_message(audio, binary=True)
    with pytest.raises(asyncio.TimeoutError):
        await far.read(timeout=1.0)
    assert service.relay.counters.frames_out == 4


async def test_a_bad_frame_is_refused_with_a_code_and_the_socket_lives_on(person) -> None:
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    await a.media.write_message(b"\x01\x00", binary=True)
    error = await a.read()
    assert isinstance(error, dict) and error["code"] == "bad_media_frame"
    assert "16-byte header" in error["message"]
    # Errors are said at most once a second, and the socket still carries frames.
    await a.media.write_message(frame(7), binary=True)
    await a.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"ok"), binary=True)
    ((header, body),) = await received(b, 1)
    assert body == b"ok" and header.source == a.number


async def test_a_ticket_of_someone_else_is_refused(person, jp_ws_fetch) -> None:
    a = await person("ana", TABLE[0])
    assert a.client.welcome is not None
    ticket = a.client.welcome["media_ticket"]
    ws = await jp_ws_fetch("classroom", "media", params={"user": "mallory", "ticket": ticket})
    assert await ws.read_message() is None
    assert ws.close_code == protocol.CLOSE_BAD_TICKET


async def test_two_on_the_open_floor_talk_through_the_server_when_one_has_no_udp(
    person, jp_serverapp
) -> None:
    a = await person("ana", (700.0, 300.0))
    b = await person("ben", (760.0, 300.0), transport="webrtc")
    service = classroom_service(jp_serverapp)

    def paired() -> bool:
        return service.classroom.paired(a.client.id, b.client.id)

    await until(paired, what="the two to be paired")
    await b.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"hi"), binary=True)
    ((header, body),) = await received(a, 1)
    assert header.source == b.number and body == b"hi"
    # Walking away ends the pair, and with it the frames.
    await a.client.walk_to(1000.0, 300.0)
    await until(lambda: not paired(), what="the pair to end")
    await b.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"bye"), binary=True)
    with pytest.raises(asyncio.TimeoutError):
        await a.read(timeout=1.0)


async def test_a_slow_viewer_keeps_audio_while_its_video_waits_for_a_key_frame_and_is_told(
    person, jp_serverapp
) -> None:
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    service = classroom_service(jp_serverapp)
    relay = service.relay
    sink = relay.sinks[b.client.id]
    lag = {"bytes": 10 << 20}
    sink.backlog = lambda: lag["bytes"]
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await a.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"a1"), binary=True)
    ((header, body),) = await received(b, 1)
    assert header.kind == protocol.FRAME_KIND_AUDIO and body == b"a1"
    assert relay.counters.video_dropped == 1
    # Its page is told why the picture stopped.
    held = await b.client.expect("media_held")
    assert held["videos"] == [{"participant": a.client.id, "source": "camera"}]
    # Caught up: a delta frame is not forwarded, the sender is asked for a key frame.
    lag["bytes"] = 0
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, False, 1), binary=True)
    request = await a.client.expect("key_frame")
    assert request["kind"] == protocol.FRAME_KIND_CAMERA and request["layer"] == 1
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, True, 2), binary=True)
    ((header, _),) = await received(b, 1)
    assert header.key and header.sequence == 2


async def test_a_viewer_over_the_socket_gets_only_the_videos_it_shows(
    person, jp_serverapp
) -> None:
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    c = await person("cy", TABLE[2])
    # Ben's page makes a tile for each camera as its first frame comes.
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await c.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await received(b, 2)
    await received(c, 1)
    # Ben shows Cy's camera in a thumbnail, and not Ana's.
    await b.client.send(
        type="shown",
        tiles=[{"participant": c.client.id, "source": "camera", "width": 160, "height": 96}],
    )
    await b.client.nothing("error")  # the server has read it
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await c.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 0, key=True), binary=True)
    await c.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await a.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"a1"), binary=True)
    # What reaches Ben, in order (one socket): Cy's small layer, then Ana's
    # voice; Ana's camera would have come before her voice.
    got = await received(b, 2)
    assert [(h.source, h.kind, h.layer) for h, _ in got] == [
        (c.number, protocol.FRAME_KIND_CAMERA, 0),
        (a.number, protocol.FRAME_KIND_AUDIO, 0),
    ]
    # Cy still gets Ana's camera: he said nothing of what he shows.
    ((header, _),) = await received(c, 1)
    assert header.source == a.number and header.kind == protocol.FRAME_KIND_CAMERA
    assert classroom_service(jp_serverapp).relay.counters.video_unshown == 1


async def test_a_shown_report_with_a_negative_size_is_refused_and_the_session_lives_on(
    person,
) -> None:
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    tile = {"participant": a.client.id, "source": "camera", "width": -1, "height": 96}
    sent = await b.client.send(type="shown", tiles=[tile])
    error = await b.client.expect("error", id=sent)
    assert error["code"] == "bad_message" and "negative" in error["message"]
    await a.media.write_message(frame(protocol.FRAME_KIND_AUDIO, body=b"ok"), binary=True)
    ((_, body),) = await received(b, 1)
    assert body == b"ok"


async def test_a_page_is_told_to_encode_only_the_layers_someone_watches(person) -> None:
    a = await person("ana", TABLE[0])

    async def told(layers: list[int]) -> None:
        await a.client.expect("media_layers", kind=protocol.FRAME_KIND_CAMERA, layers=layers)

    await told([])  # alone at the table: nobody watches her camera
    # Ben comes (on WebRTC for a moment, the bridge's large layer, then
    # over his socket): both layers.
    b = await person("ben", TABLE[1])
    await told([0, 1])
    await a.media.write_message(frame(protocol.FRAME_KIND_CAMERA, 1, key=True), binary=True)
    await received(b, 1)  # Ben's page has a tile for it now
    thumbnail = {"participant": a.client.id, "source": "camera", "width": 160, "height": 96}
    await b.client.send(type="shown", tiles=[thumbnail])
    await told([0])
    await b.client.send(type="shown", tiles=[])
    await told([])
    await b.client.send(type="shown", tiles=[{**thumbnail, "width": 640, "height": 368}])
    await told([0, 1])
    # Ben's media socket closes: nobody is left to watch.
    b.media.close()
    await told([])
    # Only changes are told.
    await a.client.nothing("media_layers")


def test_frame_header_round_trip_and_wraps() -> None:
    header = FrameHeader(protocol.FRAME_KIND_SCREEN, 1, True, 9, (1 << 32) + 7, (1 << 16) + 3)
    parsed = parse_header(header.pack())
    assert (parsed.timestamp, parsed.sequence, parsed.source) == (7, 3, 9)
    with pytest.raises(ValueError, match="no layer 1 for media of kind 0"):
        parse_header(FrameHeader(protocol.FRAME_KIND_AUDIO, 1, True, 0, 0, 0).pack())
    with pytest.raises(ValueError, match="version"):
        parse_header(b"\x02" + bytes(15))


async def test_a_viewer_that_stops_reading_is_seen_behind_while_the_kernel_holds_its_frames(
    person, jp_serverapp
) -> None:
    """What a viewer has not taken mostly waits in the kernel's send queue
    (it grows by itself to megabytes on loopback), not in tornado's buffer:
    the relay must see it there, or it never drops a frame for it."""
    a = await person("ana", TABLE[0])
    b = await person("ben", TABLE[1])
    relay = classroom_service(jp_serverapp).relay
    body = bytes(32 * 1024)
    # Ben reads nothing from now on; 1.3 MB of key frames come his way.
    for seq in range(40):
        await a.media.write_message(
            frame(protocol.FRAME_KIND_CAMERA, 1, True, seq, body), binary=True
        )
    await until(lambda: relay.counters.frames_in == 40, what="the frames to reach the relay")
    # Past the drop threshold the relay writes him no more video, so what
    # waits stays about there (the kernel taking some more meanwhile).
    assert relay.counters.video_dropped > 0
    assert relay.sinks[b.client.id].backlog() > relay.settings.small_above


async def test_frames_leave_at_once_without_waiting_for_an_acknowledgement(
    person, jp_serverapp
) -> None:
    import socket

    a = await person("ana", TABLE[0])
    sink = classroom_service(jp_serverapp).relay.sinks[a.client.id]
    sock = sink.ws_connection.stream.socket
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_kernel_backlog_counts_what_the_peer_has_not_taken() -> None:
    import socket

    from jupyter_classroom.server.media_socket import kernel_backlog

    assert kernel_backlog(None) == 0
    with socket.create_server(("127.0.0.1", 0)) as server:
        # A small receive buffer (the accepted socket inherits it): the
        # receiver's kernel takes a few kilobytes, the rest waits in ours.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sender = socket.create_connection(server.getsockname())
        receiver, _ = server.accept()
        with sender, receiver:
            sender.setblocking(False)
            sent = 0
            with pytest.raises(BlockingIOError):
                while True:
                    sent += sender.send(bytes(65536))
            assert kernel_backlog(sender) > sent // 2
            taken = 0
            while taken < sent:
                taken += len(receiver.recv(65536))
            for _ in range(200):  # the last acknowledgement may take a moment
                if kernel_backlog(sender) == 0:
                    break
                time.sleep(0.01)
            assert kernel_backlog(sender) == 0
        assert kernel_backlog(sender) == 0  # closed
