"""A whole class on one server: a lecture, tables and crowds, and back.

Sixty simulated participants (``--participants``) go through three phases:

1. **lecture**: everyone on the stage; one speaker with camera and
   microphone on, everyone else listening (camera and microphone off);
2. **tables**: 6 tables of 8 with cameras and microphones on, two talking
   at each, and the rest (12) on the open floor in two crowds of 6, likewise;
3. **back**: everyone back on the stage, listening to the speaker again.

Against ``--target ours``, ``jupyter server`` with the classroom on
127.0.0.1, started here: the participants speak the classroom's protocol
over its WebSocket, walk between the rooms, set their presence flags and
answer the server's room connections with real aiortc peers. On the open
floor the classroom pairs people for peer-to-peer calls, media the server
does not carry: these participants make no such calls, so that phase's
figures are the tables' (the open floor's are marked not measured).
Against ``--target janus``, Debian's ``janus`` (videoroom plugin, HTTP
transport, started here from a temporary config folder): one room per
table, the stage, and each open-floor crowd; everyone in a room publishes
what is on and subscribes to everyone else there, as a plain SFU does.
``both`` runs ours, then Janus, and prints the ratio of ours to Janus's
(of bytes, those sent to people in rooms, which both carry).

Senders loop a pre-encoded VP8 clip (``--video``) and an Opus tone (20 ms
packets, at -20 dBov in the RFC 6464 level a browser puts on each) without
encoding; a microphone that is on but not talking sends Opus silence (3
bytes a packet, level -127), as a browser does. The loss and latency of
voices are those of the talkers: a silent voice need not be forwarded (ours
forwards the loudest three of a room, Janus all of them; the bytes sent
count what each does); each packet carries a stamp (sender, counter,
send time) after its payload, which an SFU forwards untouched. Receivers
unprotect each datagram off their socket, read the stamp and drop it: no
decoding. Per phase, over ``--phase-seconds`` once everyone hears whom they
should, it prints the server's CPU (user + system of the server process and
its children, % of one core), bytes the server sent (everything that
reached the participants' connections to it past ICE: RTP, RTCP, DTLS), and per
media kind the packet loss (of the packets the senders sent in the window,
those the expected receivers never got; the receivers send no NACKs) and
the latency p50/p95 (receive time minus send time of the same packet, one
clock). Participants are spread over ``--workers`` processes.

Run it by hand, inside a network namespace with only loopback:

    unshare --net sh -c 'ip link set lo up; exec env python benchmarks/class_scenario.py --quick'
    python benchmarks/class_scenario.py --participants 60 --phase-seconds 30 --target both
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.breakouts import percentile  # noqa: E402
from benchmarks.class_media import AUDIO, KINDS, VIDEO  # noqa: E402
from benchmarks.class_peers import worker  # noqa: E402
from benchmarks.processes import progress  # noqa: E402

TABLES = [(140, 360), (650, 360), (1160, 360), (140, 680), (650, 680), (1160, 680)]
#: Open-floor crowds, each between a wall and a row of tables, out of the walkways.
CROWDS = [(70.0, 106.0), (1494.0, 1530.0)]
SPEAKER = (800.0, 75.0)
STAGE_ROOM, TABLE_ROOM, CROWD_ROOM = 1, 11, 21
#: At each table and in each crowd, two talk (the first two seats); the
#: others' microphones are on and send silence.
TALKERS = 2


def stage_spot(i: int) -> tuple[float, float]:
    return 470.0 + 40 * (i % 17), 110.0 + 35 * (i // 17 % 4)


def table_spot(table: int, seat: int) -> tuple[float, float]:
    """Four seats a side, 50 apart around the table's middle: reached
    straight from the walkway, clear of the partitions by the side walls."""
    x, y = TABLES[table]
    return x + 75.0 + 50 * (seat % 4), y + 55.0 + 80 * (seat // 4)


def crowd_spot(crowd: int, place: int) -> tuple[float, float]:
    return CROWDS[crowd][place % 2], 420.0 + 36 * (place // 2)


class Scenario:
    """Who is where in each phase, and so who should hear whom."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tables = min(len(TABLES), max(1, int(n * 0.8) // 8))
        self.seated = min(n, 8 * self.tables)
        self.crowds = [list(range(self.seated, n))[k::2] for k in range(2)]
        if any(len(c) > 8 for c in self.crowds):
            raise SystemExit(f"{n} participants do not fit: at most {8 * len(TABLES) + 16}")

    def phase(self, name: str) -> dict[int, dict[str, Any]]:
        plan: dict[int, dict[str, Any]] = {}
        if name in ("lecture", "back"):
            for i in range(self.n):
                on = i == 0
                to = SPEAKER if on else stage_spot(i - 1)
                plan[i] = {"to": to, "camera": on, "mic": on, "talk": on, "room": STAGE_ROOM}
                plan[i]["open"] = False
            return plan
        for i in range(self.seated):
            to = table_spot(i // 8, i % 8)
            plan[i] = {"to": to, "camera": True, "mic": True, "room": TABLE_ROOM + i // 8}
            plan[i].update(talk=i % 8 < TALKERS, open=False)
        for k, crowd in enumerate(self.crowds):
            for place, i in enumerate(crowd):
                to = crowd_spot(k, place)
                plan[i] = {"to": to, "camera": True, "mic": True, "room": CROWD_ROOM + k}
                plan[i].update(talk=place < TALKERS, open=True)
        return plan


def with_feeds(plan: dict[int, dict[str, Any]]) -> None:
    """Each step's Janus feeds: everyone publishing in the same room."""
    feeds: dict[int, list[int]] = {}
    for i, step in plan.items():
        if step["camera"] or step["mic"]:
            feeds.setdefault(step["room"], []).append(i + 1)
    for step in plan.values():
        step["feeds"] = feeds.get(step["room"], [])


def expected(
    plan: dict[int, dict[str, Any]], open_floor: bool
) -> dict[int, list[tuple[int, int]]]:
    """Receiver -> (sender, kind) streams it should get: everyone's camera
    in its room, and the voices of those talking there (a silent microphone's
    packets need not come: see the module's docstring); on the open floor
    only if the target carries it."""
    out: dict[int, list[tuple[int, int]]] = {}
    for r, mine in plan.items():
        if mine["open"] and not open_floor:
            continue
        out[r] = [
            (s, kind)
            for s, theirs in plan.items()
            if s != r and theirs["room"] == mine["room"]
            for kind, on in ((AUDIO, theirs["talk"]), (VIDEO, theirs["camera"]))
            if on
        ]
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        total += times.get(p, 0.0)
        stack += [c for c, parent in parents.items() if parent == p]
    return total


class Workers:
    """The participants' processes, each with its share of them."""

    def __init__(self, target: str, url: str, n: int, count: int, media: dict[str, int]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.shares = [list(range(n))[k::count] for k in range(count)]
        self.pipes = []
        self.processes = []
        for share in self.shares:
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=worker, args=(theirs, target, url, share, media), daemon=True)
            p.start()
            self.pipes.append(mine)
            self.processes.append(p)
        for pipe in self.pipes:
            if not pipe.poll(600):
                raise RuntimeError("participants did not join in time")
            pipe.recv()

    def ask(self, command: str, *per_worker: Any) -> list[Any]:
        """Send ``command`` to each worker, with its own share of each argument."""
        for k, pipe in enumerate(self.pipes):
            pipe.send((command, *(arg[k] if isinstance(arg, list) else arg for arg in per_worker)))
        return [pipe.recv() for pipe in self.pipes]

    def share(self, by_index: dict[int, Any]) -> list[dict[int, Any]]:
        return [{i: by_index[i] for i in share if i in by_index} for share in self.shares]

    def stop(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("stop",))
                pipe.poll(60)
            except OSError:
                pass
        for p in self.processes:
            p.join(10)
            if p.is_alive():
                p.kill()


def run_phase(
    workers: Workers,
    scenario: Scenario,
    name: str,
    target: str,
    args: argparse.Namespace,
    pid: int,
) -> dict[str, Any]:
    plan = scenario.phase(name)
    with_feeds(plan)
    wanted = expected(plan, open_floor=target == "janus")
    started = time.time()
    failed = [f for share in workers.ask("publish", workers.share(plan)) for f in share]
    if target == "janus":
        failed += [f for share in workers.ask("subscribe", workers.share(plan)) for f in share]
    for f in failed[:5]:
        progress(f"{name}: participant failed: {f}")
    moved = time.time()
    missing = sum(workers.ask("wait", workers.share(wanted), moved, args.timeout))
    ready = time.time()
    progress(
        f"{target} {name}: moved in {moved - started:.1f} s, everyone heard in "
        f"{ready - moved:.1f} s ({missing} streams still missing)"
    )
    if missing and args.dump and STATE_URL:
        import urllib.request

        with urllib.request.urlopen(STATE_URL[0]) as answer:
            Path(f"{args.dump}-{name}.json").write_bytes(answer.read())
        progress(f"the SFU's state written to {args.dump}-{name}.json")
    time.sleep(args.warmup)
    cpu0, t0 = cpu_seconds(pid), time.time()
    time.sleep(args.phase_seconds)
    cpu1, t1 = cpu_seconds(pid), time.time()
    time.sleep(1.0)  # the window's last packets arrive
    summaries = workers.ask("window", t0, t1)
    return measure(name, summaries, plan, wanted, (t0, t1), cpu1 - cpu0, missing, len(failed))


def measure(
    name: str,
    summaries: list[dict[str, Any]],
    plan: dict[int, dict[str, Any]],
    wanted: dict[int, list[tuple[int, int]]],
    window: tuple[float, float],
    cpu: float,
    missing: int,
    failed: int,
) -> dict[str, Any]:
    sent: dict[tuple[int, int], int] = {}
    got: dict[int, dict[tuple[int, int], int]] = {}
    latency: dict[int, array[float]] = {AUDIO: array("f"), VIDEO: array("f")}
    received_bytes = 0
    #: What reached those in rooms (the tables, the stage): the part both servers carry.
    room_bytes = 0
    for s in summaries:
        sent.update(s["sent"])
        got.update(s["got"])
        for kind in (AUDIO, VIDEO):
            latency[kind].extend(s["latency"][kind])
        received_bytes += sum(s["bytes"].values())
        room_bytes += sum(n for r, n in s["bytes"].items() if not plan[r]["open"])
    seconds = window[1] - window[0]
    result: dict[str, Any] = {
        "phase": name,
        "cpu": 100 * cpu / seconds,
        "bytes": received_bytes,
        "mbps": received_bytes * 8 / seconds / 1e6,
        "room_bytes": room_bytes,
        "not_heard": missing,
        "failed": failed,
    }
    for kind in (AUDIO, VIDEO):
        expected_packets = delivered = silent = 0
        for r, streams in wanted.items():
            for stream in streams:
                if stream[1] != kind or not sent.get(stream):
                    continue
                n = min(sent[stream], got.get(r, {}).get(stream, 0))
                expected_packets += sent[stream]
                delivered += n
                silent += n == 0
        values = list(latency[kind])
        result[KINDS[kind]] = {
            "loss": 100 * (1 - delivered / expected_packets) if expected_packets else float("nan"),
            "streams": sum(1 for streams in wanted.values() for s in streams if s[1] == kind),
            "silent": silent,
            "packets_per_s": delivered / seconds,
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
        }
    return result


@contextmanager
def server(target: str, n: int) -> Iterator[tuple[str, int]]:
    """The target, started: the participants' URL and the process to measure."""
    if target == "janus":
        from benchmarks.class_janus import JanusProcess

        janus = JanusProcess()
        janus.start()
        try:
            rooms = (
                [STAGE_ROOM] + [TABLE_ROOM + t for t in range(6)] + [CROWD_ROOM, CROWD_ROOM + 1]
            )
            janus.create_rooms(rooms, publishers=n + 4)
            yield janus.url, janus.pid
        finally:
            janus.stop()
        return
    from benchmarks.room_churn import probed_server

    ours = probed_server("class-scenario-", max_participants=n + 10, **OUR_SETTINGS)
    ours.start()
    try:
        assert ours.proc is not None
        STATE_URL[:] = [f"{ours.url}room-churn/sfu?token={ours.token}"]
        if NICE[0]:
            os.setpriority(os.PRIO_PROCESS, ours.proc.pid, NICE[0])
        yield f"{ours.ws_url}?token={ours.token}", ours.proc.pid
    finally:
        ours.stop()


def run_target(target: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    scenario = Scenario(args.participants)
    width, height = (int(v) for v in args.video.split("x"))
    media = {"width": width, "height": height, "fps": args.fps, "kbps": args.kbps}
    with server(target, args.participants) as (url, pid):
        progress(f"{target}: server up; {args.participants} participants joining")
        workers = Workers(target, url, args.participants, args.workers, media)
        try:
            return [run_phase(workers, scenario, name, target, args, pid) for name in PHASES]
        finally:
            workers.stop()


PHASES = ("lecture", "tables", "back")
#: Where our server says what its SFU holds (the benchmark-only probe).
STATE_URL: list[str] = []
#: The scheduling priority (nice value) given to our server (0: as started).
NICE = [0]

#: Our server's settings: walks as fast as the moves come (a walk is many
#: moves); the rest as a classroom has them by default.
OUR_SETTINGS: dict[str, Any] = {
    "identity_provider": "tests.harness.clients.NamedUsers",
    "speed": 4000,
    "max_messages_per_second": 200,
}


def row(target: str, r: dict[str, Any]) -> str:
    a, v = r["audio"], r["video"]
    return (
        f"| {target} | {r['phase']} | {r['cpu']:.1f} % | {r['mbps']:.1f} Mbit/s | "
        f"{a['loss']:.2f} % / {v['loss']:.2f} % | "
        f"{a['p50']:.1f} / {a['p95']:.1f} ms | {v['p50']:.1f} / {v['p95']:.1f} ms | "
        f"{a['silent'] + v['silent']} of {a['streams'] + v['streams']} |"
    )


def ratio(ours: float, janus: float) -> str:
    return f"{ours / janus:.2f}" if janus else "n/a"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--phase-seconds", type=float, default=30.0)
    parser.add_argument("--target", choices=("ours", "janus", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="16 participants, 10 s phases")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: one per 15)")
    parser.add_argument("--video", default="320x240", help="camera size, WIDTHxHEIGHT")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--kbps", type=int, default=250, help="camera bitrate")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each window")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for everyone to hear"
    )
    parser.add_argument(
        "--dump",
        metavar="PREFIX",
        help="when a phase leaves streams missing, write our SFU's state to PREFIX-PHASE.json",
    )
    parser.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="nice value for our server (negative: ahead of the participants; needs root)",
    )
    args = parser.parse_args(argv)
    NICE[0] = args.server_nice
    if args.quick:
        args.participants, args.phase_seconds = 16, 10.0
    args.workers = args.workers or -(-args.participants // 15)
    loads = [Path("/proc/loadavg").read_text().split()[:3]]
    targets = ["ours", "janus"] if args.target == "both" else [args.target]
    results = {t: run_target(t, args) for t in targets}
    loads.append(Path("/proc/loadavg").read_text().split()[:3])
    scenario = Scenario(args.participants)
    print(
        f"{args.participants} participants: {scenario.tables} tables of 8, open floor "
        f"{' + '.join(str(len(c)) for c in scenario.crowds)}; camera {args.video} "
        f"{args.fps} fps {args.kbps} kbit/s VP8, voice Opus 20 ms; {args.phase_seconds:.0f} s "
        f"a phase; load average {' '.join(loads[0])} at the start, {' '.join(loads[1])} at the end"
    )
    if "ours" in results:
        print(
            "ours: the open-floor crowds talk peer to peer, not through the server (not measured)"
        )
    print()
    print(
        "| server | phase | server CPU (% of a core) | sent by the server | loss audio / video "
        "| audio latency p50 / p95 | video latency p50 / p95 | streams never received |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target, rows in results.items():
        for r in rows:
            print(row(target, r))
    if len(results) == 2:
        print()
        print(
            "| phase | CPU ours / Janus | bytes sent to rooms ours / Janus | audio p95 ours / Janus "
            "| video p95 ours / Janus |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for o, j in zip(results["ours"], results["janus"], strict=True):
            print(
                f"| {o['phase']} | {ratio(o['cpu'], j['cpu'])} | {ratio(o['room_bytes'], j['room_bytes'])} | "
                f"{ratio(o['audio']['p95'], j['audio']['p95'])} | "
                f"{ratio(o['video']['p95'], j['video']['p95'])} |"
            )


if __name__ == "__main__":
    main()
