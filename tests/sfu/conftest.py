"""The SFU in this process, with real aiortc peers on 127.0.0.1 as participants."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network
from typing import Any, TypeVar, cast

import pytest
import pytest_asyncio
from aiortc import MediaStreamTrack

from jupyter_classroom import protocol
from jupyter_classroom.classroom import RoomMedia
from jupyter_classroom.sfu import Sfu, SfuSettings, announce_host_addresses

from ..harness import until
from ..harness.clients import RoomPeer
from ..harness.waiting import Condition

pytestmark = pytest.mark.network

T = TypeVar("T")


@pytest.fixture(autouse=True)
def loopback_only():
    # aioice leaves 127.0.0.1 out; the tests talk over loopback only.
    announce_host_addresses(["127.0.0.1"])
    yield
    announce_host_addresses(None)


class Room:
    """One SFU and its participants; the test says who is in the room and
    what they send, as the classroom core would."""

    def __init__(self, settings: SfuSettings | None = None) -> None:
        # The peers' candidates are on loopback, which a real server ignores.
        settings = settings or SfuSettings(allowed_candidate_networks=(ip_network("127.0.0.0/8"),))
        self.sfu = Sfu(self._deliver, settings)
        self.peers: dict[str, RoomPeer] = {}
        self.sent: dict[str, list[dict[str, Any]]] = {}
        #: Who is in the plan, and in which room (None: the open floor).
        self.members: dict[str, str | None] = {}
        self.sources: dict[str, set[protocol.TrackSource]] = {}
        self.generations: dict[str, int] = {}
        #: Whose voices are always forwarded (given the floor).
        self.floor: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def _deliver(self, pid: str, message: object) -> None:
        data = protocol.to_dict(message)
        self.sent.setdefault(pid, []).append(data)
        peer = self.peers.get(pid)
        if peer is not None:
            task = asyncio.ensure_future(peer.handle(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def add(self, pid: str, room: str = "table-1", **tracks: MediaStreamTrack) -> RoomPeer:
        def send(message: dict[str, Any]) -> None:
            description = protocol.SessionDescription(**message["description"])
            self.sfu.answer(pid, message["connection"], description, None)

        peer = RoomPeer(send, tracks)
        self.peers[pid] = peer
        self.members[pid] = room
        self.sources[pid] = {cast(protocol.TrackSource, source) for source in tracks}
        self.update()
        return peer

    def move(self, pid: str, room: str | None) -> None:
        """To another room, or (None) onto the open floor."""
        self.members[pid] = room
        self.update()

    def leave(self, pid: str) -> None:
        """Out of the plan (they left, or lost their socket)."""
        self.members.pop(pid)
        self.update()

    def resume(self, pid: str) -> None:
        """A new session of the same participant (as the core bumps it)."""
        self.generations[pid] = self.generations.get(pid, 0) + 1
        self.update()

    def update(self) -> None:
        plan = {}
        for pid, room in self.members.items():
            tracks = frozenset(
                (other, source)
                for other, other_room in self.members.items()
                if other != pid and room is not None and other_room == room
                for source in self.sources[other]
            )
            plan[pid] = RoomMedia(
                room, tracks, self.generations.get(pid, 0), frozenset(self.floor)
            )
        self.sfu.update(plan)

    async def until(self, condition: Condition[T], timeout: float = 10.0, what: str = "") -> T:
        """The harness's :func:`~tests.harness.until` (the room's tests call it on the room)."""
        return await until(condition, timeout, what)

    async def close(self) -> None:
        await self.sfu.close()
        for peer in self.peers.values():
            await peer.stop()
        for task in self._tasks:
            task.cancel()


@pytest_asyncio.fixture
async def room():
    r = Room()
    r.sfu.start()
    yield r
    await r.close()
