"""The classroom WebSocket against a real Jupyter server (pytest-jupyter)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import itertools
import types
import weakref
from typing import Any

import pytest
import tornado.httpclient
import tornado.websocket
from jupyter_server.base.call_context import CallContext

from jupyter_classroom import protocol
from jupyter_classroom.server.handlers import ClassroomWebSocketHandler
from jupyter_classroom.turn import verify_turn_credentials

from .harness import until
from .harness.clients import Client
from .harness.servers import JupyterProcess, server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path):
    return server_config(
        tmp_path,
        max_messages_per_second=20.0,
        max_message_bytes=4096,
        max_participants=3,
        reconnect_grace=30.0,
        turn_urls=["turn:turn.example.org:3478?transport=udp"],
        turn_secret="test-secret",
    )


@pytest.fixture
def connect(jp_ws_fetch):
    async def make(user: str, join: bool = True) -> tuple[Client, dict[str, Any] | None]:
        ws = await jp_ws_fetch("classroom", "ws", params={"user": user})
        client = Client(ws)
        welcome = await client.join() if join else None
        return client, welcome

    return make


def holders(handler: ClassroomWebSocketHandler) -> list[str]:
    """What keeps a handler alive, except the event loop's cancelled timers:
    asyncio keeps a cancelled timer (and the context it was scheduled in,
    whose call context names the request's handler) until it comes due or
    enough others are cancelled to purge them. That is bounded; anything
    else is a leak. (Running frames, such as this one's, are left out.)"""
    found = []
    contexts = [o for o in gc.get_objects() if isinstance(o, contextvars.Context)]
    for r in gc.get_referrers(handler):
        if isinstance(r, dict) and r.get(CallContext.JUPYTER_HANDLER) is handler:
            for ctx in contexts:
                if r in ctx.values():
                    found += [
                        type(k).__name__
                        for k in gc.get_referrers(ctx)
                        if not (isinstance(k, asyncio.TimerHandle) and k.cancelled())
                        and not isinstance(k, list)
                    ]
        elif not isinstance(r, (list, types.FrameType)):
            found.append(type(r).__name__)
    return found


async def test_a_closed_socket_is_freed_by_reference_counting(connect) -> None:
    """Nothing but the event loop's cancelled timers holds a closed socket's
    handler (not Jupyter's keep-alive until its next ping, not its session,
    not a classroom task started from its request), and it is in no cycle:
    the classroom runs full collections only at quiet moments, and a handler
    left to one would stay for minutes, with its socket's buffers."""

    def let_go(ref: weakref.ref[ClassroomWebSocketHandler]) -> bool:
        handler = ref()
        return handler is None or (handler.ws_connection is None and not holders(handler))

    gc.collect()
    gc.disable()
    try:
        for i in range(3):
            client, _ = await connect(f"visitor{i}")
            [ref] = [
                weakref.ref(o)
                for o in gc.get_objects()
                if isinstance(o, ClassroomWebSocketHandler) and o.ws_connection is not None
            ]
            await client.close()
            await until(lambda r=ref: let_go(r), what=f"visitor{i}'s handler let go")
    finally:
        gc.enable()


async def test_no_token_is_rejected(http_server_client, jp_http_port, jp_base_url) -> None:
    url = f"ws://localhost:{jp_http_port}{jp_base_url}classroom/ws"
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await tornado.websocket.websocket_connect(url)
    assert e.value.code == 403


async def test_a_wrong_origin_is_rejected(
    jp_serverapp, http_server_client, jp_http_port, jp_base_url
) -> None:
    # A browser logged in with a cookie (a token in the URL sets it)...
    base = f"localhost:{jp_http_port}{jp_base_url}"
    token = jp_serverapp.identity_provider.token
    response = await tornado.httpclient.AsyncHTTPClient().fetch(
        f"http://{base}api/status?token={token}"
    )
    cookie = "; ".join(c.split(";")[0] for c in response.headers.get_list("Set-Cookie"))
    assert cookie

    def request(origin: str) -> tornado.httpclient.HTTPRequest:
        return tornado.httpclient.HTTPRequest(
            f"ws://{base}classroom/ws", headers={"Origin": origin, "Cookie": cookie}
        )

    # ...may open the socket from the server's own pages...
    ws = await tornado.websocket.websocket_connect(request(f"http://localhost:{jp_http_port}"))
    ws.close()
    # ...but another site must not open it with that cookie.
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await tornado.websocket.websocket_connect(request("http://evil.example"))
    assert e.value.code == 403


async def test_bad_messages_get_error_replies_and_the_socket_lives_on(connect) -> None:
    client, _ = await connect("alice", join=False)
    await client.send(type="move", x=1, y=2)
    assert (await client.expect("error"))["code"] == "not_joined"
    welcome = await client.join()
    me = welcome["you"]
    cases = [
        ("{not json", "bad_json"),
        ('{"type":"move","x":NaN,"y":1}', "bad_json"),
        ('{"type":"teleport","id":41}', "unknown_type"),
        ('{"type":"move","x":1,"id":42}', "bad_message"),
        ('{"type":"chat_send","channel":"class","text":"' + "x" * 5000 + '"}', "too_large"),
        ('{"type":"join","protocol":1,"id":43}', "already_joined"),
        ('{"type":"chat_send","channel":"room","text":"hi","id":44}', "not_in_room"),
        ('{"type":"move","x":99999,"y":1,"id":45}', "out_of_bounds"),
    ]
    for text, code in cases:
        await client.send_raw(text)
        error = await client.expect("error")
        assert error["code"] == code, text
        assert error["message"]
    # The refused move came with a correction to where we really stand.
    correction = next(m for m in client.seen if m["type"] == "positions" and m.get("correction"))
    assert correction["moves"][0]["id"] == me
    # Still alive and answering.
    await client.send(type="ping", id=99)
    assert (await client.expect("pong"))["id"] == 99


async def test_rate_limit(connect) -> None:
    client, _ = await connect("alice")
    for _ in range(60):
        await client.send(type="ping")
    m = await client.expect("error", code="rate_limited")
    assert "Too many" in m["message"]
    pongs = sum(1 for s in client.seen if s["type"] == "pong")
    assert pongs < 60
    await asyncio.sleep(1.0)
    await client.send(type="ping", id=500)
    assert (await client.expect("pong", id=500))["id"] == 500


async def test_two_clients_see_joins_moves_and_chat(connect) -> None:
    alice, welcome_a = await connect("alice")
    bob, welcome_b = await connect("bob")
    joined = await alice.expect("participant_joined")
    assert joined["participant"]["name"] == "Bob"
    assert {p["name"] for p in welcome_b["participants"]} == {"Alice", "Bob"}
    assert welcome_b["map"]["name"] == "Classroom" and len(welcome_b["map"]["rooms"]) == 7

    me = next(p for p in welcome_a["participants"] if p["id"] == welcome_a["you"])
    await alice.send(type="move", x=me["x"] + 8, y=me["y"] - 8)
    # Batches go out on the server's tick: the one with the joins may come
    # first; Alice's move arrives in one of the next.
    seen = []
    while (round(me["x"] + 8, 1), round(me["y"] - 8, 1)) not in seen:
        batch = await bob.expect("positions")
        seen += [(m["x"], m["y"]) for m in batch["moves"] if m["id"] == welcome_a["you"]]
    assert seen[0] in {(me["x"], me["y"]), (round(me["x"] + 8, 1), round(me["y"] - 8, 1))}

    await alice.send(type="chat_send", channel="class", text="<img src=x onerror=alert(1)>")
    chat = await bob.expect("chat")
    assert chat["message"]["text"] == "<img src=x onerror=alert(1)>"
    assert chat["message"]["sender_name"] == "Alice" and chat["message"]["id"] > 0
    ack = await alice.expect("ack")
    assert ack["message_id"] == chat["message"]["id"]

    await bob.send(type="chat_send", channel="direct", text="psst alice", to=welcome_a["you"])
    dm = await alice.expect("chat")
    assert dm["message"]["channel"] == "direct" and dm["message"]["to_user"] == "alice"

    await alice.send(type="presence", hand=True)
    upd = await bob.expect("participant_updated")
    assert upd["participant"]["hand"] is True

    bob.ws.close(1000)
    left = await alice.expect("participant_left")
    assert left["participant_id"] == welcome_b["you"]


async def walk_to(client: Client, start: tuple[float, float], goal: tuple[float, float]) -> None:
    """Walk in small steps at walking speed (the server checks speed and walls)."""
    x, y = start
    gx, gy = goal
    while (x, y) != (gx, gy):
        dx, dy = gx - x, gy - y
        d = (dx * dx + dy * dy) ** 0.5
        f = min(1.0, 20 / d)
        x, y = x + dx * f, y + dy * f
        await client.send(type="move", x=x, y=y, id=None)
        await asyncio.sleep(0.1)


async def test_room_and_nearby_chat_reach_only_those_who_can_see_them(connect) -> None:
    alice, wa = await connect("alice")
    bob, wb = await connect("bob")
    carol, wc = await connect("carol")
    start = {p["id"]: (p["x"], p["y"]) for p in wc["participants"]}
    # Alice walks up the aisle between the tables onto Table 2 (x 650..950,
    # y 360..550); Bob and Carol stay at the spawn.
    route = [start[wa["you"]], (560, 905), (560, 610), (700, 610), (700, 540)]
    for a, b in itertools.pairwise(route):
        await walk_to(alice, a, b)
    history = await alice.expect("chat_history", channel="room", timeout=10)
    assert history["room"] == "table-2"
    moved = await bob.expect("participant_updated", timeout=10)
    assert moved["participant"]["room"] == "table-2"

    await alice.send(type="chat_send", channel="room", text="table only")
    await alice.expect("chat")
    await bob.nothing("chat")

    # Bob and Carol are near each other at the spawn: nearby reaches them, not Alice.
    await bob.send(type="chat_send", channel="nearby", text="hi neighbour")
    m = await carol.expect("chat")
    assert m["message"]["channel"] == "nearby" and "id" not in m["message"]
    assert (await bob.expect("chat"))["message"]["text"] == "hi neighbour"  # his own copy
    await alice.nothing("chat")

    # A direct message reaches its two ends only.
    await alice.send(type="chat_send", channel="direct", text="just bob", to=wb["you"])
    assert (await bob.expect("chat"))["message"]["text"] == "just bob"
    assert (await alice.expect("chat"))["message"]["text"] == "just bob"
    await carol.nothing("chat")


async def test_a_new_tab_with_the_resume_token_takes_over(connect) -> None:
    alice, wa = await connect("alice")
    bob, _ = await connect("bob")
    await alice.expect("participant_joined")
    again, _ = await connect("alice", join=False)
    welcome = await again.join(resume=wa["resume"])
    assert welcome["you"] == wa["you"]
    # The old socket is closed as replaced; Bob never sees Alice leave.
    while await alice.ws.read_message() is not None:
        pass
    assert alice.ws.close_code == protocol.CLOSE_REPLACED
    await bob.nothing("participant_left", wait=0.5)
    await bob.send(type="chat_send", channel="direct", text="you there?", to=wa["you"])
    assert (await again.expect("chat"))["message"]["text"] == "you there?"


async def test_classroom_full_closes_with_a_clear_code(connect) -> None:
    for name in ("a", "b", "c"):
        await connect(name)
    client, _ = await connect("d", join=False)
    await client.send(type="join", protocol=protocol.PROTOCOL_VERSION)
    error = await client.expect("error")
    assert error["code"] == "classroom_full"
    assert await client.ws.read_message() is None
    assert client.ws.close_code == protocol.CLOSE_CLASSROOM_FULL


async def test_wrong_protocol_version(connect) -> None:
    client, _ = await connect("a", join=False)
    await client.send(type="join", protocol=99)
    assert (await client.expect("error"))["code"] == "protocol_version"
    assert await client.ws.read_message() is None
    assert client.ws.close_code == protocol.CLOSE_PROTOCOL_VERSION


async def test_a_dropped_participant_comes_back_where_they_were(connect, jp_serverapp) -> None:
    alice, wa = await connect("alice")
    bob, _ = await connect("bob")
    await alice.expect("participant_joined")
    me = next(p for p in wa["participants"] if p["id"] == wa["you"])
    await alice.send(type="move", x=me["x"] + 10, y=me["y"])
    await bob.expect("positions")
    # Drop without a close frame, as a network failure does.
    alice.ws.stream.close()
    upd = await bob.expect("participant_updated")
    assert upd["participant"]["connection"] == "reconnecting"
    again, _ = await connect("alice", join=False)
    welcome = await again.join(resume=wa["resume"])
    assert welcome["you"] == wa["you"]
    back = next(p for p in welcome["participants"] if p["id"] == wa["you"])
    assert back["x"] == round(me["x"] + 10, 1) and back["connection"] == "online"
    upd = await bob.expect("participant_updated")
    assert upd["participant"]["connection"] == "online"


async def test_history_is_kept_across_a_server_restart(tmp_path) -> None:
    server = JupyterProcess(tmp_path, app="jupyter_server")
    server.start()
    try:
        url = f"{server.ws_url}?token={server.token}"
        a = Client(await tornado.websocket.websocket_connect(url))
        wa = await a.join()
        await a.send(type="chat_send", channel="class", text="remember me ```x = 1```")
        await a.expect("ack")
        b = Client(await tornado.websocket.websocket_connect(url))
        await b.join()
        await a.send(
            type="chat_send",
            channel="direct",
            text="just for you",
            to=(await a.expect("participant_joined"))["participant"]["id"],
        )
        await a.expect("ack")
        a.ws.close(1000)
        b.ws.close(1000)

        server.restart()

        c = Client(await tornado.websocket.websocket_connect(url))
        await c.join()
        history = await c.expect("chat_history", channel="class")
        assert [m["text"] for m in history["messages"]] == ["remember me ```x = 1```"]
        assert history["messages"][0]["sender"] == wa["you"]
    finally:
        server.stop()


async def test_welcome_carries_turn_credentials_that_verify(connect) -> None:
    _, welcome = await connect("alice")
    (turn,) = welcome["ice_servers"]
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    assert turn["username"].endswith(":alice")
    import time

    assert verify_turn_credentials(
        "test-secret", turn["username"], turn["credential"], time.time()
    )


async def test_signaling_is_relayed_only_between_paired_participants(connect) -> None:
    alice, wa = await connect("alice")
    bob, wb = await connect("bob")
    # Both stand at the spawn, on the open floor: the server pairs them.
    pa = await alice.expect("peer_connect")
    pb = await bob.expect("peer_connect")
    assert (pa["peer"], pb["peer"]) == (wb["you"], wa["you"])
    assert pa["offerer"] != pb["offerer"]
    offerer, answerer = (alice, bob) if pa["offerer"] else (bob, alice)
    offer_id = wa["you"] if pa["offerer"] else wb["you"]
    answer_id = wb["you"] if pa["offerer"] else wa["you"]

    await offerer.send(
        type="signal", to=answer_id, description={"type": "offer", "sdp": "v=0 fake"}, call=7
    )
    got = await answerer.expect("signal")
    assert got["sender"] == offer_id and got["description"] == {"type": "offer", "sdp": "v=0 fake"}
    # The call's number travels with it, so a rebuilt call is told from the old one.
    assert got["call"] == 7
    # A call number that is not a number is refused, and the socket lives on.
    await offerer.send(type="signal", to=answer_id, call="seven", id=41)
    bad = await offerer.expect("error")
    assert bad["id"] == 41 and bad["code"] == "bad_message"
    cand = {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await answerer.send(type="signal", to=offer_id, candidate=cand)
    assert (await offerer.expect("signal"))["candidate"] == cand

    # Signaling to someone who is not paired with you is refused.
    await alice.send(type="signal", to="nobody", description={"type": "offer", "sdp": "x"})
    assert (await alice.expect("error"))["code"] == "not_paired"

    # Alice walks up onto Table 5, right above the spawn: rooms are not on the
    # open floor, so the pair breaks and both are told to close.
    me = next(p for p in wa["participants"] if p["id"] == wa["you"])
    await walk_to(alice, (me["x"], me["y"]), (800, 850))
    assert (await alice.expect("peer_disconnect", timeout=10))["peer"] == wb["you"]
    assert (await bob.expect("peer_disconnect", timeout=10))["peer"] == wa["you"]
    await bob.send(type="signal", to=wa["you"], description={"type": "offer", "sdp": "x"})
    assert (await bob.expect("error"))["code"] == "not_paired"
    await alice.nothing("signal")


async def test_a_login_with_the_servers_token_is_the_owner_and_an_instructor(tmp_path) -> None:
    # Jupyter's own login knows nobody's name; whoever knows the token holds
    # the owner's whole server, and is the owner (an instructor) here too.
    for owner_is_instructor, role in ((True, "instructor"), (False, "student")):
        server = JupyterProcess(
            tmp_path / role, app="jupyter_server", owner_is_instructor=owner_is_instructor
        )
        server.root.mkdir()
        server.start()
        try:
            url = f"{server.ws_url}?token={server.token}"
            client = Client(await tornado.websocket.websocket_connect(url))
            welcome = await client.join()
            me = next(p for p in welcome["participants"] if p["id"] == welcome["you"])
            assert me["role"] == role
            client.ws.close(1000)
        finally:
            server.stop()
