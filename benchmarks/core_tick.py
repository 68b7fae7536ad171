"""CPU per position tick and per disconnect, without a network.

Drives the real :class:`ClassroomService` (the real core, encoder and
sessions; only the socket is a function that drops what it is given) with N
simulated walkers on the open floor, each moving at 2-5 moves a second at 80 %
of the walking speed as in ``presence_load.py``, on a simulated clock. Prints
for each crowd size:

* a position tick's CPU time (p50/p99/max): the core's ``flush`` and the
  delivery of its messages (encoding and the sessions' bookkeeping, not the
  socket writes), and how many messages and bytes a tick hands to the sockets;
  then its two parts, which a server runs as two events of the event loop:
  the positions (and news), then the peer mesh,
* a move's CPU time (decoding and the core's checks),
* how many open-floor calls start (each a WebRTC connection two browsers
  set up), with calls held ``--min-call`` seconds (``min_call_seconds``),
* a disconnect's and a resume's CPU time, and the longest of a crowd of
  ``--drop`` participants dropping at once and coming back.

It measures CPU time of this thread (``time.thread_time``), so it reads about
the same on a busy machine as on a quiet one; it runs in seconds:

    python benchmarks/core_tick.py --participants 100,200,500 --seconds 20
    python benchmarks/core_tick.py --profile 500     # cProfile of the ticks
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_classroom import protocol  # noqa: E402
from jupyter_classroom.classroom import Classroom, ClassroomMap, ClassroomSettings, Identity  # noqa: E402
from jupyter_classroom.server import memory  # noqa: E402
from jupyter_classroom.server.service import ClassroomService, Limits  # noqa: E402
from jupyter_classroom.server.session import ClassroomSession  # noqa: E402
from jupyter_classroom.storage import ChatStore  # noqa: E402
from tests.harness.clock import FakeClock  # noqa: E402

MAP_FILE = Path(__file__).resolve().parent.parent / "jupyter_classroom" / "maps" / "classroom.json"
# The open floor between the table rows, and its middle (as presence_load.py).
FLOOR = (210.0, 1390.0, 575.0, 905.0)
MIDDLE = (800.0, 740.0)


class Sink:
    """A socket that takes everything at once: counts what it was given."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts

    def send(self, text: str) -> None:
        self.counts[0] += 1
        self.counts[1] += len(text)
        if text.startswith('{"type":"peer_connect"'):
            self.counts[2] += 1

    def close(self, code: int, reason: str) -> None:
        pass


class Walker:
    def __init__(self, session: ClassroomSession, rng: random.Random, speed: float) -> None:
        self.session = session
        self.rng = rng
        self.period = 1.0 / rng.uniform(2.0, 5.0)
        self.heading = rng.uniform(0, 2 * math.pi)
        self.speed = speed * 0.8
        self.next_at = 0.0
        self.x = self.y = 0.0

    def step(self) -> str | None:
        """The next move's frame, or None when this step turns around instead."""
        step = self.speed * self.period
        nx, ny = self.x + step * math.cos(self.heading), self.y + step * math.sin(self.heading)
        x0, x1, y0, y1 = FLOOR
        if not (x0 < nx < x1 and y0 < ny < y1) or self.rng.random() < 0.05:
            self.heading = math.atan2(MIDDLE[1] - self.y, MIDDLE[0] - self.x) + self.rng.uniform(
                -1, 1
            )
            return None
        self.x, self.y = round(nx, 1), round(ny, 1)
        return json.dumps({"type": "move", "x": self.x, "y": self.y})


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def crowd(
    n: int, seed: int, store_dir: Path, min_call: float
) -> tuple[ClassroomService, list[Walker], FakeClock, list[int]]:
    cmap = ClassroomMap.from_tiled(json.loads(MAP_FILE.read_text()))
    settings = ClassroomSettings(max_participants=n + 10, min_call_seconds=min_call)
    classroom = Classroom(cmap, settings, random.Random(seed))
    clock = FakeClock()
    service = ClassroomService(
        classroom,
        ChatStore(store_dir / f"chat-{n}.sqlite"),
        Limits(max_message_bytes=settings.max_message_bytes, max_connections_per_user=0),
        clock=clock,
    )
    counts = [0, 0, 0]
    rng = random.Random(seed)
    walkers = []
    for i in range(n):
        sink = Sink(counts)
        identity = Identity(username=f"user{i}", name=f"User {i}")
        session = ClassroomSession(service, identity, sink.send, sink.close, clock)
        session.receive(json.dumps({"type": "join", "protocol": protocol.PROTOCOL_VERSION}))
        walkers.append(Walker(session, rng, settings.speed))
    # Start from a crowd already spread over the floor (the steady state of
    # presence_load.py's walk), settled by one tick.
    for w in walkers:
        p = classroom.participants[w.session.pid]  # type: ignore[index]
        w.x, w.y = (
            round(rng.uniform(FLOOR[0] + 5, FLOOR[1] - 5), 1),
            round(rng.uniform(FLOOR[2] + 5, FLOOR[3] - 5), 1),
        )
        p.x, p.y, p.room = w.x, w.y, None
        classroom._moved.add(p.id)
        w.next_at = clock.now + rng.uniform(0, w.period)
    service.tick()
    return service, walkers, clock, counts


def walk(
    service: ClassroomService,
    walkers: list[Walker],
    clock: FakeClock,
    counts: list[int],
    seconds: float,
    profile: cProfile.Profile | None = None,
) -> dict[str, list[float]]:
    period = 1.0 / service.classroom.settings.position_rate_hz
    ticks: list[float] = []
    parts: list[float] = []
    meshes: list[float] = []
    moves: list[float] = []
    sent: list[float] = []
    size: list[float] = []
    calls = 0
    end = clock.now + seconds
    while clock.now < end:
        tick_at = clock.now + period
        # The moves that arrive before the next tick, in the order sent.
        due = sorted((w.next_at, i) for i, w in enumerate(walkers) if w.next_at < tick_at)
        for at, i in due:
            w = walkers[i]
            clock.now = at
            w.next_at += w.period
            frame = w.step()
            if frame is None:
                continue
            t0 = time.thread_time()
            w.session.receive(frame)
            moves.append(time.thread_time() - t0)
        clock.now = tick_at
        counts[0] = counts[1] = 0
        if profile is not None:
            profile.enable()
        # The two events a server's ticker makes of a tick.
        t0 = time.thread_time()
        service.tick_positions()
        t1 = time.thread_time()
        service.tick_mesh()
        t2 = time.thread_time()
        ticks.append(t2 - t0)
        parts.append(t1 - t0)
        meshes.append(t2 - t1)
        if profile is not None:
            profile.disable()
        sent.append(counts[0])
        size.append(counts[1])
        calls += counts[2] // 2
        counts[2] = 0
    return {
        "tick": ticks,
        "positions": parts,
        "mesh": meshes,
        "move": moves,
        "sent": sent,
        "bytes": size,
        "calls": [calls],
    }


def drops(
    service: ClassroomService, walkers: list[Walker], clock: FakeClock, count: int
) -> dict[str, Any]:
    """``count`` walkers drop at once (one by one, as the loop sees them), then
    come back with their resume tokens."""
    classroom = service.classroom
    gone = walkers[:count]
    tokens = []
    lost: list[float] = []
    for w in gone:
        tokens.append(classroom.participants[w.session.pid].resume)  # type: ignore[index]
        t0 = time.thread_time()
        w.session.connection_lost(None)
        lost.append(time.thread_time() - t0)
    after = [timed_tick(service)]
    back: list[float] = []
    sink = Sink([0, 0, 0])
    for w, token in zip(gone, tokens, strict=True):
        session = ClassroomSession(service, w.session.identity, sink.send, sink.close, clock)
        frame = json.dumps(
            {"type": "join", "protocol": protocol.PROTOCOL_VERSION, "resume": token}
        )
        t0 = time.thread_time()
        session.receive(frame)
        back.append(time.thread_time() - t0)
        assert session.pid == w.session.pid, "a resumed participant got a new identity"
        w.session = session
    after.append(timed_tick(service))
    return {"disconnect": lost, "resume": back, "tick_after": after}


def timed_tick(service: ClassroomService) -> tuple[float, float]:
    """One tick as a server runs it: the CPU of its two events."""
    t0 = time.thread_time()
    service.tick_positions()
    t1 = time.thread_time()
    service.tick_mesh()
    return t1 - t0, time.thread_time() - t1


def ms(values: list[float]) -> str:
    return (
        f"p50 {pct(values, 0.5) * 1e3:7.3f}   p99 {pct(values, 0.99) * 1e3:7.3f}   "
        f"max {max(values) * 1e3 if values else float('nan'):7.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--participants", default="100,200,500", help="crowd sizes, comma separated"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds of walking")
    parser.add_argument("--drop", type=int, default=200, help="participants dropping at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", type=int, default=0, help="profile the ticks of this crowd size"
    )
    parser.add_argument(
        "--min-call",
        type=float,
        default=ClassroomSettings.min_call_seconds,
        help="seconds an open-floor call is held (the min_call_seconds setting)",
    )
    args = parser.parse_args()
    store_dir = Path(tempfile.mkdtemp(prefix="classroom-core-tick-"))
    if args.profile:
        service, walkers, clock, counts = crowd(args.profile, args.seed, store_dir, args.min_call)
        profile = cProfile.Profile()
        walk(service, walkers, clock, counts, args.seconds, profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    for n in (int(v) for v in args.participants.split(",")):
        service, walkers, clock, counts = crowd(n, args.seed, store_dir, args.min_call)
        walk(service, walkers, clock, counts, 2.0)  # settle into the walk
        # As a server does once started (tune_garbage_collection): the
        # garbage collector's full walks leave out what was there before.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*gc.get_threshold()[:2], memory.FULL_EVERY)
        r = walk(service, walkers, clock, counts, args.seconds)
        d = drops(service, walkers, clock, min(args.drop, n))
        classroom = service.classroom
        degree = sum(len(classroom.neighbours(pid)) for pid in classroom.participants) / max(
            1, len(classroom.participants)
        )
        print(
            f"participants       {n}   ({args.seconds:.0f} simulated s, {len(r['tick'])} ticks, "
            f"{degree:.1f} neighbours each on average)"
        )
        print(f"tick CPU (ms)      {ms(r['tick'])}")
        print(f"  positions        {ms(r['positions'])}")
        print(f"  then the mesh    {ms(r['mesh'])}")
        print(
            f"messages / tick    p50 {pct(r['sent'], 0.5):7.0f}   p99 {pct(r['sent'], 0.99):7.0f}   "
            f"({pct(r['bytes'], 0.5) / 1024:.0f} KiB p50)"
        )
        print(
            f"move CPU (ms)      {ms(r['move'])}   ({len(r['move']) / args.seconds:.0f} moves/s)"
        )
        # Each new call is a WebRTC connection set up by two browsers.
        started = r["calls"][0] / args.seconds
        print(
            f"calls started      {started:.1f}/s   ({2 * started * 60 / n:.0f} a minute for each person)"
        )
        print(f"disconnect (ms)    {ms(d['disconnect'])}   ({len(d['disconnect'])} at once)")
        print(f"resume (ms)        {ms(d['resume'])}")
        print(
            "tick after (ms)    "
            + "   ".join(
                f"{what} {positions * 1e3:.3f} + mesh {mesh * 1e3:.3f}"
                for what, (positions, mesh) in zip(
                    ("the drop", "the resumes"), d["tick_after"], strict=True
                )
            )
        )
        print(flush=True)
        service.store.close()


if __name__ == "__main__":
    main()
