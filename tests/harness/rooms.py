"""A pytest plugin for tests of rooms' media against an in-process server:
``join`` makes participants with real aiortc room peers.

A test module uses it with
``pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]``
and its own ``jp_server_config`` (:func:`room_server_config` gives the
settings every such server needs on loopback).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_classroom.sfu import announce_host_addresses

from .clients import Client, RoomPeer
from .servers import server_config

#: The presence flag that turns each kind of track on.
PRESENCE_OF = {"microphone": "mic", "camera": "camera", "screen_share": "screen"}


def room_server_config(tmp_path: Path, **classroom_config: object) -> dict[str, dict[str, object]]:
    """A server whose SFU offers 127.0.0.1 and takes loopback candidates
    (which a server ignores by default), with a message rate that a test's
    quick steps stay under."""
    settings: dict[str, object] = {
        "sfu_ice_addresses": ["127.0.0.1"],
        "sfu_allowed_candidate_networks": ["127.0.0.0/8"],
        "max_messages_per_second": 100.0,
    }
    settings.update(classroom_config)
    return server_config(tmp_path, **settings)


Join = Callable[..., Awaitable[Client]]


@pytest.fixture
def join(jp_serverapp: Any, jp_ws_fetch: Any, jp_asyncio_loop: Any) -> Iterator[Join]:
    """``await join(user, microphone=Tone(), ...)``: a participant joined,
    with a room peer publishing the given tracks (and its presence saying
    so); ``media=False`` for one without a room peer; ``resume=client`` for
    that participant back on a new socket (its room peer kept, as the
    browser keeps it across reconnects)."""
    clients: list[Client] = []

    async def make(
        user: str, media: bool = True, resume: Client | None = None, **tracks: Any
    ) -> Client:
        ws = await jp_ws_fetch("classroom", "ws", params={"user": user})
        if resume is not None:
            assert resume.welcome is not None
            client = Client(ws, resume.room)
            clients.append(client)
            await client.join(resume=resume.welcome["resume"])
            return client
        client = Client(ws, RoomPeer(sources=tracks) if media else None)
        clients.append(client)
        await client.join()
        if tracks:
            await client.send(type="presence", **{PRESENCE_OF[s]: True for s in tracks})
        return client

    yield make
    # The server and its test run on pytest-jupyter's loop: so does cleaning up.
    for client in clients:
        jp_asyncio_loop.run_until_complete(client.close())
    announce_host_addresses(None)
