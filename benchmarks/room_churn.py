"""Rooms people walk in and out of: memory and objects under churn.

Starts ``jupyter server`` with the classroom on 127.0.0.1, one resident
talking at Table 5, and K visitors that loop, for ``--duration`` seconds:
join over the classroom socket, step onto Table 5, take the room offer and
answer it with a real aiortc peer (until ICE and DTLS are up), and leave (a
clean close). Prints the cycles made, the server's RSS at the start, at its
peak, when the load stopped and ``--settle`` seconds later, the live aiortc
and aioice objects in the server at the start, when the load stopped and
after the settle (counted without a garbage collection by the benchmark-only
extension ``room_churn_probe``), and the longest the server's event loop
was blocked during the load (a probe process fetching /api/status).

Run it by hand, inside a network namespace with only loopback:

    python benchmarks/room_churn.py --clients 8 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import tornado.websocket

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.mass_disconnect import Probe  # noqa: E402
from jupyter_classroom.sfu import announce_host_addresses  # noqa: E402
from tests.harness.clients import Client, RoomPeer, Tone  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

TABLE_5 = (650.0, 950.0, 680.0, 870.0)  # x from, to; y from, to


def spot(index: int) -> tuple[float, float]:
    x0, x1, y0, y1 = TABLE_5
    return x0 + 30 + (index * 37) % (x1 - x0 - 60), y0 + 30 + (index * 23) % (y1 - y0 - 60)


def loadavg() -> str:
    """The machine's load average (1, 5, 15 min): the figures are a shared
    machine's as much as the server's."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssWatch:
    """Samples the server's RSS every 0.2 s; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mb(self.pid))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def get_json(server: JupyterProcess, what: str, query: str = "") -> Any:
    """One of the probe's answers (``room_churn_probe``)."""
    url = f"{server.url}room-churn/{what}?token={server.token}{query}"
    with urllib.request.urlopen(url, timeout=120) as r:
        return json.loads(r.read())


def objects(server: JupyterProcess, everything: bool = False) -> dict[str, int]:
    counts: dict[str, int] = get_json(server, "objects", "&all=1" if everything else "")
    return counts


def slow(server: JupyterProcess, start: bool = False) -> dict[str, Any]:
    """The server's longest callbacks and collections (``start``: from now on)."""
    answer: dict[str, Any] = get_json(server, "slow", "&start=1" if start else "")
    return answer


def describe(counts: dict[str, int], top: int = 6) -> str:
    biggest = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    short = ", ".join(f"{name.rsplit('.', 1)[-1]} {n}" for name, n in biggest)
    return f"{sum(counts.values())} ({short})"


async def connect(url: str) -> tornado.websocket.WebSocketClientConnection:
    for attempt in range(20):
        try:
            return await tornado.websocket.websocket_connect(
                url, max_message_size=64 << 20, connect_timeout=60
            )
        except ConnectionRefusedError:
            await asyncio.sleep(0.1 * (attempt + 1))
    raise ConnectionRefusedError(url)


async def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def visitor(url: str, index: int, deadline: float, done: list[int]) -> None:
    """Cycles until the deadline; ``done``: cycles completed, and failed (a
    welcome or a connection that did not come in time on a busy machine)."""
    n = 0
    while time.monotonic() < deadline:
        peer = RoomPeer()
        client = Client(await connect(url), peer)
        try:
            await client.join()
            # Steps no longer than an avatar's width are accepted however
            # close together they come.
            await client.walk_to(*spot(index + n), step=30.0, pause=0.012)
            await until(
                lambda p=peer: p.pc is not None and p.pc.connectionState == "connected",
                30,
                "the room connection",
            )
            done[0] += 1
        except (TimeoutError, asyncio.TimeoutError, AssertionError, ConnectionError):
            done[1] += 1
        finally:
            if client._reader is not None:
                client._reader.cancel()
            client.ws.close(1000, "bye")
            await peer.stop()
        n += 1


async def load(url: str, clients: int, duration: float) -> tuple[int, int]:
    resident = Client(await connect(url), RoomPeer(sources={"microphone": Tone()}))
    await resident.join()
    await resident.send(type="presence", mic=True)
    await resident.walk_to(800.0, 775.0, step=30.0, pause=0.012)
    assert resident.room is not None
    room = resident.room
    await until(
        lambda: room.pc is not None and room.pc.connectionState == "connected", 60, "resident"
    )
    done = [0, 0]
    deadline = time.monotonic() + duration
    await asyncio.gather(*(visitor(url, i, deadline, done) for i in range(clients)))
    resident.ws.close(1000, "bye")
    await room.stop()
    return done[0], done[1]


def probed_server(prefix: str, identity_provider: str = "", **config: Any) -> JupyterProcess:
    """A ``jupyter server`` with the classroom (``config``: its settings) and
    the benchmark-only ``room_churn_probe`` beside it, on 127.0.0.1, its SFU
    offering loopback; not started yet."""
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), os.environ.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    announce_host_addresses(["127.0.0.1"])
    root = Path(tempfile.mkdtemp(prefix=prefix))
    # Enabled beside the classroom the way an installed extension is.
    enabled = root / "config" / "jupyter_server_config.d"
    enabled.mkdir(parents=True)
    (enabled / "room_churn_probe.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"room_churn_probe": True}}})
    )
    return JupyterProcess(
        root,
        app="jupyter_server",
        identity_provider=identity_provider,
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
        **config,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of churn")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds idle after")
    parser.add_argument(
        "--types",
        action="store_true",
        help="also print the object types (of any module) whose count grew most",
    )
    parser.add_argument(
        "--callbacks",
        action="store_true",
        help="also time every callback on the server's event loop (wall and CPU time) and "
        "print the longest, and the longest garbage collections",
    )
    parser.add_argument(
        "--garbage",
        action="store_true",
        help="when the load stops, run a full collection and print the cyclic garbage it "
        "found, by type (what only a full collection frees)",
    )
    args = parser.parse_args()

    server = probed_server(
        "classroom-churn-",
        speed=4000,
        max_messages_per_second=200,
        max_connections_per_user=0,
        room_capacities="{'table-5': 1000}",
    )
    server.start()
    assert server.proc is not None
    pid = server.proc.pid
    try:
        time.sleep(2)  # past start-up's own allocations
        load_start = loadavg()
        rss_start = rss_mb(pid)
        objects_start = objects(server)
        all_start = objects(server, everything=True) if args.types else {}
        watch = RssWatch(pid)
        probe = Probe(f"{server.url}api/status?token={server.token}")
        watch.start()
        probe.start()
        if args.callbacks:
            slow(server, start=True)
        began = time.perf_counter()
        cycles, failed = asyncio.run(
            load(server.ws_url + f"?token={server.token}", args.clients, args.duration)
        )
        ended = time.perf_counter()
        worst = max((d for t, d in probe.samples if began <= t <= ended), default=float("nan"))
        probe.stop()
        slowest = slow(server) if args.callbacks else {}
        rss_end = rss_mb(pid)
        garbage = get_json(server, "garbage") if args.garbage else {}
        time.sleep(1.0)  # the last connections' close() finishes
        objects_end = objects(server)
        time.sleep(args.settle)
        watch.stop()
        rss_after = rss_mb(pid)
        objects_after = objects(server)
        load_end = loadavg()
        all_after = objects(server, everything=True) if args.types else {}
    finally:
        server.stop()
    print(
        f"clients {args.clients}, {args.duration:.0f} s: {cycles} cycles "
        f"({cycles / (ended - began):.1f}/s), {failed} failed"
    )
    print(
        f"server RSS: start {rss_start:.0f} MB, peak {watch.peak:.0f} MB, "
        f"load stopped {rss_end:.0f} MB, {args.settle:.0f} s after {rss_after:.0f} MB"
    )
    print(f"live aiortc/aioice objects at the start: {describe(objects_start)}")
    print(f"live aiortc/aioice objects 1 s after the load: {describe(objects_end)}")
    print(f"live aiortc/aioice objects {args.settle:.0f} s after: {describe(objects_after)}")
    print(f"event loop's worst block during the load: {worst * 1000:.0f} ms")
    print(f"load average (1/5/15 min): at the start {load_start}, at the end {load_end}")
    if args.callbacks:
        print("longest callbacks on the server's event loop during the load (wall / CPU):")
        for took, cpu, what in slowest["callbacks"][:8]:
            print(f"  {took * 1000:6.0f} / {cpu * 1000:4.0f} ms  {what}")
        print("the callbacks that took the most CPU time (wall / CPU):")
        for took, cpu, what in slowest["busiest"][:5]:
            print(f"  {took * 1000:6.0f} / {cpu * 1000:4.0f} ms  {what}")
        longest = ", ".join(
            f"generation {g} {t * 1000:.0f} / {cpu * 1000:.0f} ms"
            for g, (t, cpu) in sorted(slowest["collections"].items())
        )
        print(f"longest garbage collections (wall / CPU): {longest or 'none'}")
    if args.garbage:
        print(
            f"a full collection when the load stopped: {garbage['seconds'] * 1000:.0f} ms, "
            f"objects in generations 0/1/2: {'/'.join(map(str, garbage['generations']))}, "
            f"cyclic garbage found: {garbage['found']}, by type:"
        )
        for k, n in sorted(garbage["types"].items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {n:8d} {k}")
    if args.types:
        grown = {k: v - all_start.get(k, 0) for k, v in all_after.items()}
        top = sorted(((n, k) for k, n in grown.items() if n > 0), reverse=True)[:12]
        print(f"objects grown {args.settle:.0f} s after, by type (collector-tracked only):")
        for n, k in top:
            print(f"  {n:+8d} {k}")


if __name__ == "__main__":
    main()
