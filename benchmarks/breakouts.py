"""Breakouts all afternoon: room connections, time to audio and memory.

Starts ``jupyter server`` with the classroom on 127.0.0.1, an instructor
(without media) and N students, each with a real aiortc room peer (the
``--talkers`` first ones sending a microphone tone). The instructor summons
everyone to the stage, then runs ``--rounds`` rounds of timed breakouts, at
random over ``--tables`` tables, for ``--minutes`` (0.1: the shortest the
front end's breakout planner offers), after which the server's timer brings
everyone back to the stage.

For every student and every move it measures the time from the move to the
first audio frame from a talking roommate in the new room, and to audio from
every one (a frame is from whoever the server last said its track carries),
and, at the tables, to the last frame from someone at another table. A move
starts when the instructor sends the request (the summon, the start of
breakouts), or, for the end, that moment plus the timer: the earliest the
server can end them (it does at its next position tick). Not the moment an
acknowledgement or a notice is read: audio can come first. The instructor
lives in this process, the students in ``--processes`` worker processes
(:mod:`benchmarks.breakout_students`): 40 students decoding 40 x 39 streams
outrun one Python process on a small machine. Every process reads one
clock, ``time.monotonic()`` (system-wide on Linux), so a move's start here
and a frame's arrival there compare directly. A frame counts when it is decoded:
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

Everyone on the stage hears every talker (``--talkers``, default all): with
N students all talking, each receives N - 1 tracks, in the server and in the
workers alike, which two cores cannot carry for N = 40. Also printed: the
server's RSS after each round, the live aiortc objects by type after everyone
left, the workers' CPU time and the machine's load average.

Run it by hand, inside a network namespace with only loopback:

    python benchmarks/breakouts.py --talkers 6 --processes 4   # 40 students, 3 rounds
    python benchmarks/breakouts.py --participants 8 --rounds 1 --processes 1
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import multiprocessing
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.breakout_students import work  # noqa: E402
from benchmarks.mass_disconnect import Probe  # noqa: E402
from benchmarks.room_churn import (  # noqa: E402
    RssWatch,
    connect,
    describe,
    loadavg,
    objects,
    probed_server,
    rss_mb,
)
from tests.harness import until  # noqa: E402
from tests.harness.clients import Client  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

INSTRUCTOR = "teacher"
_phase_keys = itertools.count()


@dataclass
class Phase:
    """One move of everyone: who should hear whom, and when they did."""

    name: str
    #: When the move started, on ``time.monotonic()``'s clock (the workers' too).
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
    #: How the workers name the phase.
    key: int = field(default_factory=lambda: next(_phase_keys))

    def complete(self) -> bool:
        return all(self.expected[s] <= self.heard.get(s, {}).keys() for s in self.expected)

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

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self.known: set[tuple[str, int]] = set()
        self.offers = 0
        self.closes = 0

    async def close_phase(self, phase: Phase) -> None:
        answers = await self.workers.ask("connections")
        offered = [offer for offers, _ in answers for offer in offers]
        numbers = set(offered)
        offers = len(offered)
        closes = sum(n for _, n in answers)
        phase.created = len(numbers - self.known)
        phase.renegotiated = offers - self.offers - phase.created
        phase.closed = closes - self.closes
        self.known |= numbers
        self.offers, self.closes = offers, closes


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
    #: The server's RSS after each round (MB).
    rss_rounds: list[float]
    #: Each worker's CPU seconds.
    cpu: list[float]


class Workers:
    """The students, a share in each of ``processes`` worker processes (see
    :mod:`benchmarks.breakout_students`)."""

    def __init__(self, url: str, participants: int, talkers: int, processes: int) -> None:
        # Spawned, not forked: a fork would copy this process's sockets.
        context = multiprocessing.get_context("spawn")
        names = [(f"student-{i:03d}", i < talkers) for i in range(participants)]
        self.conns: list[Connection] = []
        self.procs: list[BaseProcess] = []
        for share in (names[i::processes] for i in range(processes)):
            conn, child = context.Pipe()
            proc = context.Process(target=work, args=(url, share, child), daemon=True)
            proc.start()
            child.close()
            self.conns.append(conn)
            self.procs.append(proc)

    def tell(self, *command: Any) -> None:
        for conn in self.conns:
            conn.send(command)

    async def answers(self) -> list[Any]:
        """Every worker's answer to the last command (before the first: the
        ids of its students, once they have joined)."""
        return list(await asyncio.gather(*(asyncio.to_thread(c.recv) for c in self.conns)))

    async def ask(self, *command: Any) -> list[Any]:
        self.tell(*command)
        return await self.answers()

    def listen(self, phase: Phase, forget_tables: bool = False) -> None:
        """Tells the workers of a phase; two answers to read before asking more."""
        self.tell("listen", phase.key, phase.started, forget_tables)

    async def collect(self, phase: Phase) -> None:
        for answer in await self.ask("heard", phase.key):
            for sid, (first, last) in answer.items():
                phase.heard[sid], phase.latest[sid] = first, last

    async def everyone_heard(self, phase: Phase, deadline: float) -> None:
        """Until everyone heard everyone they should, or ``deadline``."""
        while True:
            await self.collect(phase)
            if phase.complete() or time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.1)

    async def tables(self) -> dict[str, str | None]:
        return {sid: t for answer in await self.ask("tables") for sid, t in answer.items()}

    async def leave(self) -> list[float]:
        """Everyone leaves; each worker's CPU seconds."""
        cpu = await self.ask("leave")
        for proc in self.procs:
            proc.join(30)
        return cpu


class Instructor:
    """The instructor's socket, read all the time: a socket nobody reads
    stops answering the server's pings (tornado reads a frame only once the
    last one was taken)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            try:
                await self.client.recv(timeout=3600)
            except (TimeoutError, asyncio.TimeoutError):
                continue
            except ConnectionError:
                return

    async def request(self, **message: Any) -> None:
        """Sends a request and waits for its acknowledgement."""
        request = await self.client.send(**message)
        answer = await until(
            lambda: next((m for m in self.client.seen if m.get("id") == request), None),
            120,
            f"an answer to {message['type']}",
        )
        if answer["type"] == "error":
            raise RuntimeError(f"{message['type']} refused: {answer}")

    def notices(self, kind: str) -> int:
        return sum(1 for m in self.client.seen if m["type"] == "notice" and m["kind"] == kind)

    async def close(self) -> None:
        self._reader.cancel()
        await self.client.close()


def stage(students: list[str], talkers: set[str]) -> dict[str, set[str]]:
    """Who should hear whom on the stage: everyone every talker."""
    return {s: talkers - {s} for s in students}


def roommates(tables: dict[str, str | None], talkers: set[str]) -> dict[str, set[str]]:
    """Who should hear whom at the tables the notices named."""
    return {
        s: {q for q, u in tables.items() if q != s and q in talkers and t is not None and u == t}
        for s, t in tables.items()
    }


async def moved(
    workers: Workers, phases: list[Phase], request: Awaitable[None], forget_tables: bool = False
) -> None:
    """The workers told of the phases, then the request made at once: their
    answers are read after it, so that the time a worker takes to answer is
    not counted in the first phase."""
    for phase in phases:
        workers.listen(phase, forget_tables)
    await request
    for _ in phases:
        await workers.answers()


async def run(server: JupyterProcess, args: argparse.Namespace) -> Result:
    assert server.proc is not None
    server_pid = server.proc.pid
    url = f"{server.ws_url}?token={server.token}"
    client = Client(await connect(f"{url}&user={INSTRUCTOR}"))
    await client.join()
    teacher = Instructor(client)
    workers = Workers(url, args.participants, args.talkers, args.processes)
    joined = [student for ids in await workers.answers() for student in ids]
    students = [sid for sid, _ in joined]
    talkers = {sid for sid, talks in joined if talks}
    counter = Counter(workers)

    # Each move is timed from the moment the instructor sends the request:
    # audio can come before the acknowledgement is read.
    setup = Phase(
        "stage at the start (new connections)", time.monotonic(), stage(students, talkers)
    )
    await moved(workers, [setup], teacher.request(type="summon", to="stage"))
    await workers.everyone_heard(setup, setup.started + args.timeout)
    await counter.close_phase(setup)
    watch = RssWatch(server_pid)
    probe = Probe(f"{server.url}api/status?token={server.token}")
    watch.start()
    probe.start()
    on_stage = await asyncio.to_thread(Snapshot.of, server)
    # Counting the objects stalls the server: its audio flows evenly again
    # before the rounds are timed.
    settle = Phase("settle", time.monotonic(), stage(students, talkers))
    await workers.ask("listen", settle.key, settle.started, False)
    await workers.everyone_heard(settle, settle.started + args.timeout)

    began = time.perf_counter()
    rounds: list[tuple[Phase, Phase]] = []
    rss_rounds: list[float] = []
    for _ in range(args.rounds):
        breakout = Phase("breakouts", time.monotonic())
        # The server's timer runs from when it handles the request, which is
        # after it was sent: the end comes no earlier than this, and at the
        # position tick after it.
        back = Phase(
            "back on the stage", breakout.started + args.minutes * 60, stage(students, talkers)
        )
        ended = teacher.notices("breakout_ended")
        start = teacher.request(
            type="start_breakouts", mode="random", tables=args.tables, minutes=args.minutes
        )
        await moved(workers, [breakout, back], start, forget_tables=True)
        deadline = time.monotonic() + 120
        while None in (tables := await workers.tables()).values():
            if time.monotonic() > deadline:
                raise TimeoutError("not everyone was told their table")
            await asyncio.sleep(0.1)
        breakout.expected = roommates(tables, talkers)
        await workers.everyone_heard(breakout, back.started)
        # Whatever the start of breakouts made the server offer has come by
        # the time the timer runs out; what the end makes cannot come before.
        await asyncio.sleep(max(0.0, back.started - time.monotonic()))
        await workers.collect(breakout)
        await counter.close_phase(breakout)
        await until(
            lambda n=ended: teacher.notices("breakout_ended") > n,
            args.minutes * 60 + 120,
            "the end",
        )
        await workers.everyone_heard(back, back.started + args.timeout)
        await counter.close_phase(back)
        rounds.append((breakout, back))
        rss_rounds.append(rss_mb(server_pid))
    ended_at = time.perf_counter()
    worst = max((d for t, d in probe.samples if began <= t <= ended_at), default=math.nan)
    probe.stop()
    watch.stop()
    after_rounds = await asyncio.to_thread(Snapshot.of, server)

    cpu = await workers.leave()
    await teacher.close()
    peak = max(watch.peak, on_stage.rss, after_rounds.rss)
    return Result(setup, rounds, on_stage, after_rounds, peak, worst, rss_rounds, cpu)


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
    parser.add_argument(
        "--participants", type=int, default=40, help="students with a room connection"
    )
    parser.add_argument(
        "--talkers",
        type=int,
        default=None,
        help="how many of them send a microphone tone (default: all)",
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="worker processes the students are spread over"
    )
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
    if args.talkers is None:
        args.talkers = args.participants

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
        objects_start = objects(server)
        load_start = loadavg()
        began = time.monotonic()
        result = asyncio.run(run(server, args))
        elapsed = time.monotonic() - began
        time.sleep(args.settle)
        left = Snapshot.of(server)
        load_end = loadavg()
    finally:
        server.stop()

    setup, rounds = result.setup, result.rounds
    print(
        f"participants {args.participants}, {args.talkers} talking "
        "(and an instructor without media), "
        f"rounds {args.rounds}: random breakouts over {args.tables} tables "
        f"for {args.minutes:g} min, then back to the stage; students in {args.processes} "
        f"processes, which used {', '.join(f'{c:.0f}' for c in result.cpu)} s of CPU "
        f"in {elapsed:.0f} s"
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
    print(f"  after each round: {', '.join(f'{r:.0f}' for r in result.rss_rounds)} MB")
    print(
        "live RTCPeerConnection objects in the server: "
        f"on the stage {on_stage.peer_connections()}, "
        f"after the rounds {after.peer_connections()}, "
        f"after everyone left {left.peer_connections()}"
    )
    print(
        f"live aiortc/aioice objects: at the start {describe(objects_start)}, on the stage "
        f"{sum(on_stage.objects.values())}, after the rounds {sum(after.objects.values())}, "
        f"{args.settle:.0f} s after everyone left {describe(left.objects)}"
    )
    print(f"event loop's worst block during the rounds: {result.worst * 1000:.0f} ms")
    print(f"load average (1/5/15 min): at the start {load_start}, at the end {load_end}")


if __name__ == "__main__":
    main()
