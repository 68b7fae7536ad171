"""Bounds on what one client can make the server hold: connections per user,
what waits for a client that does not read, frames that are not UTF-8, and
settings checked when the server starts.

The first tests drive real sessions over a real service (as in
test_session.py); the others run a real Jupyter server in a subprocess and
talk to it over real sockets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import struct
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import tornado.websocket

from jupyter_classroom import protocol
from jupyter_classroom.app import SettingError, list_setting
from jupyter_classroom.classroom import ClassroomMap

from .harness.clients import Client
from .harness.servers import JupyterProcess
from .test_session import Conn, Setup


@pytest.fixture
def setup(tmp_path: Path, default_map: ClassroomMap):
    s = Setup(tmp_path, default_map, messages_per_second=1000.0)
    yield s
    s.store.close()


# -- connections per user -------------------------------------------------------


def test_a_fourth_connection_of_one_user_is_refused(setup: Setup) -> None:
    tabs = [setup.joined("alice") for _ in range(3)]
    fourth = setup.connect("alice")
    fourth.send(type="join", protocol=protocol.PROTOCOL_VERSION, id=5)
    (error,) = fourth.take("error")
    assert (error["code"], error["id"]) == ("too_many_connections", 5)
    assert "3 times already" in error["message"]
    assert fourth.closed_with == (protocol.CLOSE_TOO_MANY_CONNECTIONS, "too many connections")
    assert len(setup.service.classroom.participants) == 3
    # Someone else is not affected.
    setup.joined("bob")
    # Resuming one's own participant takes its place: it does not count twice.
    conn, welcome = tabs[0]
    again = setup.connect("alice")
    back = again.join(resume=welcome["resume"])
    assert back["you"] == welcome["you"]
    assert conn.closed_with is not None and conn.closed_with[0] == protocol.CLOSE_REPLACED
    # A tab closed frees its place.
    tabs[1][0].session.connection_lost(1001)
    setup.joined("alice")


def test_the_connection_limit_can_be_lifted(setup: Setup) -> None:
    setup.service.limits.max_connections_per_user = 0
    for _ in range(5):
        setup.joined("alice")
    assert len(setup.service.classroom.participants) == 5


# -- clients that do not read -----------------------------------------------------


class SlowConn(Conn):
    """A client whose socket holds ``backlog`` bytes it has not read."""

    def __init__(self, setup: Setup, name: str) -> None:
        from .conftest import person

        self.backlog = 0
        self.inbox = []
        self.closed_with = None
        from jupyter_classroom.server.session import ClassroomSession

        self.session = ClassroomSession(
            setup.service,
            person(name),
            self._send,
            self._close,
            setup.clock,
            buffered=lambda: self.backlog,
        )


def test_positions_are_merged_for_a_client_that_is_behind(setup: Setup) -> None:
    slow = SlowConn(setup, "slow")
    ws = slow.join()
    alice, wa = setup.joined("alice")
    bob, wb = setup.joined("bob")
    slow.take()
    slow.backlog = 1000  # the client stops taking what is sent
    for step in range(1, 6):
        setup.clock.advance(0.1)
        alice.send(
            type="move",
            x=setup.service.classroom.participants[wa["you"]].x + 5,
            y=alice.me(wa)["y"],
        )
        if step <= 2:
            bob.send(
                type="move",
                x=setup.service.classroom.participants[wb["you"]].x - 5,
                y=bob.me(wb)["y"],
            )
        setup.service.tick()
        alice.send(type="chat_send", channel="class", text=f"step {step}")
    # Chat is sent as it comes; positions wait.
    got = slow.take()
    assert [m["message"]["text"] for m in got if m["type"] == "chat"] == [
        f"step {i}" for i in range(1, 6)
    ]
    assert not [m for m in got if m["type"] == "positions"]
    # The client catches up: one batch with where everyone is now.
    slow.backlog = 0
    slow.session.drained()
    (batch,) = slow.take("positions")
    where = {m["id"]: (m["x"], m["y"]) for m in batch["moves"]}
    for pid in (wa["you"], wb["you"]):
        p = setup.service.classroom.participants[pid]
        assert where[pid] == (p.position().x, p.position().y)
    # Once caught up, batches go out as they come.
    setup.clock.advance(0.1)
    alice.send(
        type="move", x=setup.service.classroom.participants[wa["you"]].x + 5, y=alice.me(wa)["y"]
    )
    setup.service.tick()
    assert len(slow.take("positions")) == 1
    assert ws["you"] in setup.service.sessions


def test_a_client_past_the_backlog_bound_is_closed_and_can_resume(setup: Setup) -> None:
    setup.service.limits.max_outbound_bytes = 10_000
    slow = SlowConn(setup, "slow")
    ws = slow.join()
    alice, _ = setup.joined("alice")
    slow.backlog = 9_000
    alice.send(type="chat_send", channel="class", text="x" * 500)
    assert slow.closed_with is None
    slow.backlog = 9_800
    alice.send(type="chat_send", channel="class", text="y" * 500)
    assert slow.closed_with == (protocol.CLOSE_TOO_SLOW, "too slow")
    # Not a departure: the participant waits for its page to come back.
    assert setup.service.classroom.participants[ws["you"]].connection == "reconnecting"
    assert ws["you"] not in setup.service.sessions
    back = setup.connect("slow").join(resume=ws["resume"])
    assert back["you"] == ws["you"]
    history = [m for m in setup.service.store.recent_class(10)]
    assert [m.text[0] for m in history] == ["x", "y"]


def test_a_frame_that_is_not_utf8_ends_the_participant_cleanly(setup: Setup) -> None:
    c, w = setup.joined("carol")
    bob, _ = setup.joined("bob")
    bob.take()
    c.session.invalid_frame()
    assert c.take("error")[0]["code"] == "bad_message"
    assert c.closed_with == (protocol.CLOSE_INVALID_DATA, "invalid UTF-8")
    assert w["you"] not in setup.service.classroom.participants
    assert [m["participant_id"] for m in bob.take("participant_left")] == [w["you"]]


# -- list settings --------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        (["127.0.0.1"], ["127.0.0.1"]),
        (["['127.0.0.1']"], ["127.0.0.1"]),
        ("['127.0.0.1', '::1']", ["127.0.0.1", "::1"]),
        (["10.0.0.1,10.0.0.2"], ["10.0.0.1", "10.0.0.2"]),
        (["a", " b , c "], ["a", "b", "c"]),
        (["'quoted'"], ["quoted"]),
        ([], []),
    ],
)
def test_list_settings_are_read_in_every_command_line_form(
    given: Any, expected: list[str]
) -> None:
    assert list_setting("x", given) == expected


@pytest.mark.parametrize("given", [["[1, 2]"], ["['a'"], ["('a', 2)"], [3]])
def test_unreadable_list_settings_are_refused(given: Any) -> None:
    with pytest.raises(SettingError, match="ClassroomApp.x"):
        list_setting("x", given)


# -- a real server -----------------------------------------------------------------


async def raw_socket(server: JupyterProcess, receive_buffer: int = 4096) -> socket.socket:
    """A WebSocket opened by hand, with a small receive buffer, that reads only
    when told to."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    request = (
        f"GET /classroom/ws?token={server.token} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await loop.sock_recv(sock, 1)
        assert chunk, "the server closed the socket during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame."""
    mask = secrets.token_bytes(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def read_frames(sock: socket.socket) -> list[tuple[int, bytes]]:
    """Server frames until the server closes the socket."""
    loop = asyncio.get_running_loop()
    data = b""
    while True:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), 20)
        if not chunk:
            break
        data += chunk
    frames = []
    while data:
        opcode, n = data[0] & 0x0F, data[1] & 0x7F
        i = 2
        if n == 126:
            (n,) = struct.unpack("!H", data[2:4])
            i = 4
        elif n == 127:
            (n,) = struct.unpack("!Q", data[2:10])
            i = 10
        frames.append((opcode, data[i : i + n]))
        data = data[i + n :]
    return frames


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest_asyncio.fixture
async def server(tmp_path: Path):
    s = JupyterProcess(
        tmp_path,
        app="jupyter_server",
        max_outbound_bytes=256 * 1024,
        max_messages_per_second=5000.0,
        max_chat_length=4000,
        reconnect_grace=30,
    )
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.network
@pytest.mark.asyncio
async def test_a_client_that_stops_reading_is_closed_while_others_receive(
    server: JupyterProcess,
) -> None:
    loop = asyncio.get_running_loop()
    slow = await raw_socket(server)
    await loop.sock_sendall(
        slow, frame(json.dumps({"type": "join", "protocol": protocol.PROTOCOL_VERSION}).encode())
    )
    url = f"{server.ws_url}?token={server.token}"
    reader = Client(await tornado.websocket.websocket_connect(url))
    await reader.join()
    assert reader.welcome is not None
    (slow_id,) = [p["id"] for p in reader.welcome["participants"] if p["id"] != reader.id]
    talker = Client(await tornado.websocket.websocket_connect(url))
    await talker.join()

    async def drain() -> None:
        while True:
            await talker.recv(60)
            talker.seen.clear()

    # The talker reads everything it is sent (its own messages too).
    draining = asyncio.ensure_future(drain())
    assert server.proc is not None
    before = rss_kib(server.proc.pid)
    # Far more than the kernel's socket buffers and the server's bound hold.
    text = "z" * 3900
    sent = 0
    for burst in range(40):
        for _ in range(100):
            await talker.send(type="chat_send", channel="class", text=f"{sent} {text}")
            sent += 1
        got = 0
        while got < 100:
            m = await reader.expect("chat", timeout=20)
            assert m["message"]["text"].startswith(f"{burst * 100 + got} ")
            got += 1
        if any(
            m["type"] == "participant_updated" and m["participant"]["id"] == slow_id
            for m in reader.seen
        ):
            break
    updated = [
        m
        for m in reader.seen
        if m["type"] == "participant_updated" and m["participant"]["id"] == slow_id
    ]
    assert updated and updated[-1]["participant"]["connection"] == "reconnecting", (
        f"sent {sent} messages"
    )
    after = rss_kib(server.proc.pid)
    print(
        f"\n{sent} chat messages of 4 KB, {sent * 4 // 1024} MB for the slow client; server RSS {before} -> {after} KiB"
    )
    assert "more than 262144" in server.log()
    # The reader kept receiving all along, and still does.
    await talker.send(type="chat_send", channel="class", text="after")
    assert (await reader.expect("chat", timeout=10))["message"]["text"] == "after"
    draining.cancel()
    slow.close()


@pytest.mark.network
@pytest.mark.asyncio
async def test_a_text_frame_that_is_not_utf8_gets_a_close_frame(server: JupyterProcess) -> None:
    loop = asyncio.get_running_loop()
    url = f"{server.ws_url}?token={server.token}"
    watcher = Client(await tornado.websocket.websocket_connect(url))
    await watcher.join()
    sock = await raw_socket(server, receive_buffer=1 << 20)
    await loop.sock_sendall(
        sock, frame(json.dumps({"type": "join", "protocol": protocol.PROTOCOL_VERSION}).encode())
    )
    joined = await watcher.expect("participant_joined")
    await loop.sock_sendall(sock, frame(b'{"type":"ping","x":"\xff\xfe"}'))
    frames = await read_frames(sock)
    sock.close()
    texts = [json.loads(p) for op, p in frames if op == 0x1]
    assert texts[-1]["type"] == "error" and texts[-1]["code"] == "bad_message"
    op, payload = frames[-1]
    assert op == 0x8 and struct.unpack("!H", payload[:2])[0] == protocol.CLOSE_INVALID_DATA
    # The participant left: no "reconnecting" ghost.
    left = await watcher.expect("participant_left", timeout=10)
    assert left["participant_id"] == joined["participant"]["id"]
    await watcher.nothing("participant_updated", wait=0.3)


@pytest.mark.network
@pytest.mark.asyncio
@pytest.mark.parametrize("form", ["['127.0.0.1']", "127.0.0.1,192.0.2.55"])
async def test_ice_addresses_given_on_the_command_line(tmp_path: Path, form: str) -> None:
    s = JupyterProcess(tmp_path, app="jupyter_server", sfu_ice_addresses=form)
    s.start()
    try:
        client = Client(await tornado.websocket.websocket_connect(f"{s.ws_url}?token={s.token}"))
        welcome = await client.join()
        assert welcome["config"]["room_media"] is True
        assert welcome["config"].get("room_media_unavailable") is None
        if "192.0.2.55" in form:
            assert "192.0.2.55 is not an address of this machine" in s.log()
        client.ws.close()
    finally:
        s.stop()


@pytest.mark.network
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "form, logged",
    [
        ("192.0.2.55", "192.0.2.55 is not an address of this machine"),
        ("['127.0.0.1'", "is not a list of strings"),
    ],
)
async def test_unusable_ice_addresses_are_logged_and_told_to_participants(
    tmp_path: Path, form: str, logged: str
) -> None:
    s = JupyterProcess(tmp_path, app="jupyter_server", sfu_ice_addresses=form)
    s.start()
    try:
        client = Client(await tornado.websocket.websocket_connect(f"{s.ws_url}?token={s.token}"))
        welcome = await client.join()
        assert welcome["config"]["room_media"] is False
        assert "sfu_ice_addresses" in welcome["config"]["room_media_unavailable"]
        log = s.log()
        assert logged in log and "rooms have chat only" in log
        client.ws.close()
    finally:
        s.stop()
