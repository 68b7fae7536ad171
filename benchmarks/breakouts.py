"""Breakouts all afternoon: room connections, time to audio and memory.

Starts ``jupyter server`` with the classroom on 127.0.0.1, an instructor
(without media) and N students, each with a real aiortc room peer sending a
microphone tone. The instructor summons everyone to the stage, then runs
``--rounds`` rounds of timed breakouts, at random over ``--tables`` tables,
for ``--minutes`` (0.1: the shortest the front end's breakout planner
offers), after which the server's timer brings everyone back to the stage.

For every student and every move it measures the time from the move to the
first audio frame from a roommate in the new room, and to audio from every
roommate (a frame is from whoever the server last said its track carries),
and, at the tables, to the last frame from someone at another table. A move
starts when the instructor sends the request (the summon, the start of
breakouts), or, for the end, that moment plus the timer: the earliest the
server can end them (it does at its next position tick). Not the moment an
acknowledgement or a notice is read: audio can come first. Every participant
lives in this one process, on one clock. A frame counts when it is decoded:
aiortc's audio jitter buffer holds four packets, so a new stream's first
frame comes about 60-80 ms after its first packet, and a stream that stops
leaves its last packets undecoded. The breakout phase lasts until its
timer runs out (a student who has not heard everyone by then counts as not
measured); the stage phase until everyone has heard everyone, or
``--timeout``.

Prints the room connections the server offered (new connection numbers, per
phase: the target is the N of the first walk to the stage and none after),
offers renegotiating a connection already open, connections closed, the
times to audio (p50, p95, max), the server's RSS (at the start, with
everyone on the stage, its peak, after the rounds and ``--settle`` seconds
after everyone left), the live RTCPeerConnection objects in the server
(counted by the benchmark-only extension ``room_churn_probe``) and the
longest the server's event loop was blocked during the rounds.

Everyone on the stage hears everyone: N students receive N - 1 tracks each,
in the server and in this process alike.

Run it by hand, inside a network namespace with only loopback:

    python benchmarks/breakouts.py                       # 40 students, 3 rounds
    python benchmarks/breakouts.py --participants 8 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.mass_disconnect import Probe  # noqa: E402
from benchmarks.room_churn import RssWatch, connect, objects, probed_server, rss_mb  # noqa: E402
from tests.harness import until  # noqa: E402
from tests.harness.clients import Client, RoomPeer, Tone  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

INSTRUCTOR = "teacher"


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

    def listen(self, since: float) -> tuple[dict[str, float], dict[str, float]]:
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


@dataclass
class Phase:
    """One move of everyone: who should hear whom, and when they did."""

    name: str
    started: float
    #: Student id -> the speakers they should hear; the first and the
    #: latest frame of each speaker they heard.
    expected: dict[str, set[str]] = field(default_factory=dict)
    heard: dict[str, dict[str, float]] = field(default_factory=dict)
    latest: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Room connections (new numbers), offers on open ones, closes, in the phase.
    created: int = 0
    renegotiated: int = 0
    closed: int = 0

    def complete(self) -> bool:
        return all(self.expected[s] <= self.heard[s].keys() for s in self.expected)

    def times(self) -> tuple[list[float], list[float], int]:
        """Seconds to the first roommate heard and to every roommate heard,
        and how many students had roommates to hear."""
        first, every, measured = [], [], 0
        for s, speakers in self.expected.items():
            if not speakers:
                continue
            measured += 1
            heard = [self.heard[s][p] - self.started for p in speakers if p in self.heard[s]]
            if heard:
                first.append(min(heard))
            if len(heard) == len(speakers):
                every.append(max(heard))
        return first, every, measured

    def others_silent(self) -> list[float]:
        """Seconds to the last frame heard from someone outside each
        student's room (0: none heard in the phase)."""
        return [
            max(
                (t - self.started for p, t in self.latest[s].items() if p not in speakers),
                default=0.0,
            )
            for s, speakers in self.expected.items()
        ]


class Counter:
    """Room connections seen so far across the students' offers."""

    def __init__(self, students: list[Student]) -> None:
        self.students = students
        self.known: set[tuple[str, int]] = set()
        self.offers = 0
        self.closes = 0

    def close_phase(self, phase: Phase) -> None:
        numbers = {(s.id, n) for s in self.students for n in s.offers()}
        offers = sum(len(s.offers()) for s in self.students)
        closes = sum(s.closes() for s in self.students)
        phase.created = len(numbers - self.known)
        phase.renegotiated = offers - self.offers - phase.created
        phase.closed = closes - self.closes
        self.known |= numbers
        self.offers, self.closes = offers, closes


def begin(name: str, students: list[Student], since: float, stage: bool) -> Phase:
    """A phase from ``since`` (on the loop's clock): everyone on the stage
    hears everyone; at the tables, see :func:`roommates`."""
    phase = Phase(name, since)
    for s in students:
        phase.heard[s.id], phase.latest[s.id] = s.listen(since)
        if stage:
            phase.expected[s.id] = {q.id for q in students if q is not s}
    return phase


def roommates(phase: Phase, students: list[Student]) -> None:
    """The breakout phase's expectations, from the tables the notices named."""
    for s in students:
        phase.expected[s.id] = {
            q.id for q in students if q is not s and s.table is not None and q.table == s.table
        }


async def acked(client: Client, request: int | None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        m = await client.recv(max(0.1, deadline - time.monotonic()))
        if m.get("id") == request and m["type"] == "error":
            raise RuntimeError(f"request {request} refused: {m}")
        if m.get("id") == request and m["type"] == "ack":
            return


async def everyone_heard(phase: Phase, deadline: float) -> None:
    """Until everyone heard everyone they should, or the loop's ``deadline``."""
    loop = asyncio.get_running_loop()
    while not phase.complete() and loop.time() < deadline:
        await asyncio.sleep(0.02)


@dataclass
class Snapshot:
    """The server at one moment: its RSS (MB) and live aiortc/aioice objects."""

    rss: float
    objects: dict[str, int]

    @classmethod
    def of(cls, server: JupyterProcess) -> Snapshot:
        assert server.proc is not None
        return cls(rss_mb(server.proc.pid), objects(server))

    def peer_connections(self) -> int:
        return self.objects.get("aiortc.rtcpeerconnection.RTCPeerConnection", 0)


@dataclass
class Result:
    setup: Phase
    rounds: list[tuple[Phase, Phase]]
    on_stage: Snapshot
    after_rounds: Snapshot
    peak: float
    #: The longest /api/status took during the rounds (seconds).
    worst: float


async def run(server: JupyterProcess, args: argparse.Namespace) -> Result:
    assert server.proc is not None
    server_pid = server.proc.pid
    url = f"{server.ws_url}?token={server.token}"
    teacher = Client(await connect(f"{url}&user={INSTRUCTOR}"))
    await teacher.join()
    students: list[Student] = []
    for i in range(args.participants):
        client = Client(
            await connect(f"{url}&user=student-{i:03d}"),
            RoomPeer(sources={"microphone": Tone()}),
        )
        await client.join()
        await client.send(type="presence", mic=True)
        students.append(Student(client))
    counter = Counter(students)

    loop = asyncio.get_running_loop()
    # Each move is timed from the moment the instructor sends the request:
    # audio can come before the acknowledgement is read.
    setup = begin("stage at the start (new connections)", students, loop.time(), stage=True)
    request = await teacher.send(type="summon", to="stage")
    await acked(teacher, request)
    await everyone_heard(setup, setup.started + args.timeout)
    counter.close_phase(setup)
    watch = RssWatch(server_pid)
    probe = Probe(f"{server.url}api/status?token={server.token}")
    watch.start()
    probe.start()
    on_stage = await asyncio.to_thread(Snapshot.of, server)
    # Counting the objects stalls the server: its audio flows evenly again
    # before the rounds are timed.
    settle = begin("settle", students, loop.time(), stage=True)
    await everyone_heard(settle, settle.started + args.timeout)

    began = time.perf_counter()
    rounds: list[tuple[Phase, Phase]] = []
    for _ in range(args.rounds):
        for s in students:
            s.table = None
        breakout = begin("breakouts", students, loop.time(), stage=False)
        # The server's timer runs from when it handles the request, which is
        # after it was sent: the end comes no earlier than this, and at the
        # position tick after it.
        back = begin("back on the stage", students, breakout.started + args.minutes * 60, True)
        request = await teacher.send(
            type="start_breakouts", mode="random", tables=args.tables, minutes=args.minutes
        )
        await acked(teacher, request)
        await until(lambda: all(s.table is not None for s in students), 120, "everyone's table")
        roommates(breakout, students)
        await everyone_heard(breakout, back.started)
        # Whatever the start of breakouts made the server offer has come by
        # the time the timer runs out; what the end makes cannot come before.
        await asyncio.sleep(max(0.0, back.started - loop.time()))
        counter.close_phase(breakout)
        await teacher.expect("notice", timeout=args.minutes * 60 + 120, kind="breakout_ended")
        await everyone_heard(back, back.started + args.timeout)
        counter.close_phase(back)
        rounds.append((breakout, back))
    ended = time.perf_counter()
    worst = max((d for t, d in probe.samples if began <= t <= ended), default=math.nan)
    probe.stop()
    watch.stop()
    after_rounds = await asyncio.to_thread(Snapshot.of, server)

    for s in students:
        await s.leave()
    await teacher.close()
    peak = max(watch.peak, on_stage.rss, after_rounds.rss)
    return Result(setup, rounds, on_stage, after_rounds, peak, worst)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def spread(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.0f}, p95 {percentile(ms, 95):.0f}, "
        f"max {max(ms, default=math.nan):.0f} ms"
    )


def audio_line(name: str, phases: list[Phase]) -> str:
    first: list[float] = []
    every: list[float] = []
    measured = 0
    for phase in phases:
        f, e, m = phase.times()
        first += f
        every += e
        measured += m
    return (
        f"  {name}: first roommate {spread(first)}; every roommate {spread(every)} "
        f"({len(every)} of {measured} heard everyone)"
    )


def connections(phase: Phase) -> str:
    return f"{phase.created} created, {phase.renegotiated} renegotiated, {phase.closed} closed"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=40, help="students with media")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tables", type=int, default=6, help="tables the breakouts use")
    parser.add_argument(
        "--minutes", type=float, default=0.1, help="each breakout's timer (minutes)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for audio on the stage"
    )
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds idle after everyone left"
    )
    args = parser.parse_args()

    server = probed_server(
        "classroom-breakouts-",
        identity_provider="tests.harness.clients.NamedUsers",
        instructors=f"['{INSTRUCTOR}']",
        room_capacities="{'stage': 0}",
    )
    server.start()
    assert server.proc is not None
    pid = server.proc.pid
    try:
        time.sleep(2)  # past start-up's own allocations
        rss_start = rss_mb(pid)
        result = asyncio.run(run(server, args))
        time.sleep(args.settle)
        left = Snapshot.of(server)
    finally:
        server.stop()

    setup, rounds = result.setup, result.rounds
    print(
        f"participants {args.participants} (and an instructor without media), "
        f"rounds {args.rounds}: random breakouts over {args.tables} tables "
        f"for {args.minutes:g} min, then back to the stage"
    )
    in_rounds = sum(b.created + s.created for b, s in rounds)
    print(
        f"room connections created: {setup.created + in_rounds} in all, "
        f"{setup.created} on the way to the stage, {in_rounds} in the rounds"
    )
    print(f"  to the stage: {connections(setup)}")
    for i, (breakout, back) in enumerate(rounds, 1):
        print(f"  round {i}, breakouts: {connections(breakout)}; back: {connections(back)}")
    print("time to audio in the new room, from the move:")
    print(audio_line(setup.name, [setup]))
    print(audio_line("breakouts", [b for b, _ in rounds]))
    print(audio_line("back on the stage", [s for _, s in rounds]))
    silent = [t for b, _ in rounds for t in b.others_silent()]
    print(f"  breakouts, the last frame from someone at another table: {spread(silent)}")
    on_stage, after = result.on_stage, result.after_rounds
    print(
        f"server RSS: start {rss_start:.0f} MB, everyone on the stage {on_stage.rss:.0f} MB, "
        f"peak in the rounds {result.peak:.0f} MB, after them {after.rss:.0f} MB, "
        f"{args.settle:.0f} s after everyone left {left.rss:.0f} MB"
    )
    print(
        "live RTCPeerConnection objects in the server: "
        f"on the stage {on_stage.peer_connections()}, "
        f"after the rounds {after.peer_connections()}, "
        f"after everyone left {left.peer_connections()} "
        f"(aiortc/aioice objects {sum(on_stage.objects.values())}, "
        f"{sum(after.objects.values())}, {sum(left.objects.values())})"
    )
    print(f"event loop's worst block during the rounds: {result.worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
