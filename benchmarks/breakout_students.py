"""The students of benchmarks/breakouts.py, a share of them per worker process.

Forty aiortc peers decoding 40 x 39 streams do not fit in one Python process
on a small machine: the benchmark's own event loop falls behind, answers
room offers late and misses its socket's pings. Each worker runs its share
of the students on an event loop of its own and does what the parent asks
over a pipe (:func:`work`), one command at a time, each answered (the
first answer: the students' ids, and whether each talks, once they joined):

- ``("listen", phase, since, forget_tables)``: frames heard from ``since``
  on count for ``phase``, until a later phase starts;
- ``("heard", phase)``: by student, the first and the latest frame of each
  speaker heard in it;
- ``("tables",)``: by student, the table the last breakouts named;
- ``("connections",)``: every room connection number offered to each
  student so far, and how many connections were closed;
- ``("leave",)``: everyone leaves; the last answer is the worker's CPU time.

Times are the event loop's clock, ``time.monotonic()``: on Linux one clock
for every process on the machine, so the parent's phase starts and the
workers' frames compare directly.
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.connection import Connection
from typing import Any

from aiortc import MediaStreamTrack

from benchmarks.room_churn import connect
from jupyter_classroom.sfu import announce_host_addresses
from tests.harness.clients import Client, RoomPeer, Tone

#: The first and the latest frame of each speaker, by speaker.
Heard = tuple[dict[str, float], dict[str, float]]


class Student:
    """A student with a room peer that hears everything it receives, and
    reads its socket (the notices that say where breakouts put it)."""

    def __init__(self, client: Client) -> None:
        assert client.room is not None
        self.client = client
        self.id = client.id
        #: The table the last breakouts sent this student to.
        self.table: str | None = None
        #: The phases heard into, latest last: from when, and by speaker the
        #: first and the latest frame of theirs from then on.
        self._phases: list[tuple[float, dict[str, float], dict[str, float]]] = []
        client.room.hear(self._heard)
        self._reader = asyncio.ensure_future(self._read())

    def listen(self, since: float) -> Heard:
        """A phase from ``since`` (now or later, after the last one's start):
        the first and the latest frame of each speaker from then on, until
        the next phase starts."""
        first: dict[str, float] = {}
        last: dict[str, float] = {}
        self._phases = self._phases[-1:] + [(since, first, last)]
        return first, last

    def _heard(self, participant: str, source: str, when: float) -> None:
        if source != "microphone":
            return
        for since, first, last in reversed(self._phases):
            if when >= since:
                first.setdefault(participant, when)
                last[participant] = when
                return

    async def _read(self) -> None:
        while True:
            try:
                m = await self.client.recv(timeout=3600)
            except (TimeoutError, asyncio.TimeoutError):
                continue
            except ConnectionError:
                return
            if m["type"] == "notice" and m["kind"] == "breakout_assigned":
                self.table = m.get("room")

    def offers(self) -> list[int]:
        return [m["connection"] for m in self.client.seen if m["type"] == "sfu_offer"]

    def closes(self) -> int:
        return sum(1 for m in self.client.seen if m["type"] == "sfu_closed")

    async def leave(self) -> None:
        self._reader.cancel()
        await self.client.close()


async def arrive(url: str, name: str, talks: bool) -> Student:
    """A student joined, standing where it spawned, with a room peer (that
    sends a microphone tone if it ``talks``)."""
    sources: dict[str, MediaStreamTrack] = {"microphone": Tone()} if talks else {}
    client = Client(await connect(f"{url}&user={name}"), RoomPeer(sources=sources))
    await client.join()
    if talks:
        await client.send(type="presence", mic=True)
    return Student(client)


async def serve(url: str, names: list[tuple[str, bool]], conn: Connection) -> None:
    students = [await arrive(url, name, talks) for name, talks in names]
    conn.send([(s.id, talks) for s, (_, talks) in zip(students, names, strict=True)])
    phases: dict[int, dict[str, Heard]] = {}
    while True:
        command, *args = await asyncio.to_thread(conn.recv)
        answer: Any = None
        if command == "listen":
            phase, since, forget_tables = args
            if forget_tables:
                for s in students:
                    s.table = None
            phases[phase] = {s.id: s.listen(since) for s in students}
        elif command == "heard":
            # Copies: the loop adds to the originals while the pipe pickles them.
            answer = {sid: (dict(f), dict(la)) for sid, (f, la) in phases[args[0]].items()}
        elif command == "tables":
            answer = {s.id: s.table for s in students}
        elif command == "connections":
            answer = (
                [(s.id, n) for s in students for n in s.offers()],
                sum(s.closes() for s in students),
            )
        elif command == "leave":
            for s in students:
                await s.leave()
            conn.send(time.process_time())
            return
        conn.send(answer)


def work(url: str, names: list[tuple[str, bool]], conn: Connection) -> None:
    """A worker process's body: ``names`` (and whether each talks) join
    ``url`` (a classroom socket with its token), then the parent's commands
    until ``leave``."""
    # As the parent does for itself (aioice leaves 127.0.0.1 out, and
    # loopback is all there is): without it, every room connection fails.
    announce_host_addresses(["127.0.0.1"])
    asyncio.run(serve(url, names, conn))
