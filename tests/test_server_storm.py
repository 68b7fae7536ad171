"""A crowd drops and comes back at once against a real Jupyter server, while
the server's event loop is stalled for longer than the reconnect grace; a
crowd dropping at once is reported to everyone who stays."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from jupyter_classroom import protocol

from .harness.clients import Client
from .harness.servers import classroom_service, server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]

CROWD = 200
GRACE = 10.0


@pytest.fixture
def jp_server_config(tmp_path):
    return server_config(
        tmp_path,
        max_participants=CROWD + 1,
        max_messages_per_second=50.0,
        reconnect_grace=GRACE,
    )


@pytest.fixture
def connect(jp_ws_fetch):
    async def make(user: str, **join: Any) -> tuple[Client, dict[str, Any]]:
        for attempt in range(20):
            try:
                ws = await jp_ws_fetch("classroom", "ws", params={"user": user})
                break
            except ConnectionError:  # a full accept queue on a busy machine
                await asyncio.sleep(0.1 * (attempt + 1))
        client = Client(ws)
        await client.send(type="join", protocol=protocol.PROTOCOL_VERSION, **join)
        while True:  # a crowd joining at once takes a while on a busy machine
            m = await client.recv(timeout=120)
            if m["type"] == "welcome":
                client.welcome = m
                return client, m

    return make


async def test_a_reconnect_storm_after_a_stall_keeps_identities(connect, jp_serverapp) -> None:
    watcher, _ = await connect("watcher")
    crowd = [await connect(f"p{i}") for i in range(CROWD)]
    ids = {w["you"] for _, w in crowd}
    for client, _ in crowd:
        client.ws.stream.close()  # a network failure: no close frame
    marked: set[str] = set()
    while marked != ids:
        m = await watcher.recv(timeout=60)
        if m["type"] == "participant_updated" and m["participant"]["connection"] == "reconnecting":
            marked.add(m["participant"]["id"])
    # The server (in this process) cannot run for longer than the grace.
    time.sleep(GRACE + 1)
    back = await asyncio.gather(
        *(connect(f"p{i}", resume=w["resume"]) for i, (_, w) in enumerate(crowd))
    )
    assert [w["you"] for _, w in back] == [w["you"] for _, w in crowd]
    people = classroom_service(jp_serverapp).classroom.participants
    assert len(people) == CROWD + 1 and all(p.connection == "online" for p in people.values())
    # Nobody left in between: a participant who had left would have come back
    # as somebody new.


async def test_a_crowd_dropping_at_once_is_reported_to_everyone(connect, jp_serverapp) -> None:
    classroom = classroom_service(jp_serverapp).classroom
    # Room for two participants' news a tick: most of the crowd is told
    # about on the ticks after the drop.
    classroom.settings.reconnecting_deliveries_per_tick = 2 * 60
    watchers = [await connect(f"w{i}") for i in range(4)]
    crowd = [await connect(f"c{i}") for i in range(50)]
    ids = {w["you"] for _, w in crowd}
    for client, _ in crowd:
        client.ws.stream.close()  # a network failure: no close frame

    async def watch(watcher: Client) -> set[str]:
        marked: set[str] = set()
        while marked != ids:
            m = await watcher.recv(timeout=60)
            if (
                m["type"] == "participant_updated"
                and m["participant"]["connection"] == "reconnecting"
            ):
                marked.add(m["participant"]["id"])
            assert m["type"] != "participant_left"
        return marked

    seen = await asyncio.gather(*(watch(w) for w, _ in watchers))
    assert all(marked == ids for marked in seen)
    people = classroom.participants
    assert all(people[pid].connection == "reconnecting" for pid in ids)
    assert all(people[w["you"]].connection == "online" for _, w in watchers)
    # The calls of those who dropped have ended.
    assert not any(pair & ids for pair in classroom.mesh.pairs)
