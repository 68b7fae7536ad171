"""Presence under load: N simulated participants walking against a real server.

Starts ``jupyter server`` with the classroom on 127.0.0.1, connects N
participants over the real WebSocket (one asyncio process), has each of them
walk at R position updates a second for D seconds, and prints:

* server CPU (% of one core, from the server process's CPU time),
* messages per second into and out of the server,
* position-update latency: from a participant sending a move to another
  participant receiving the batch that carries it (p50/p95/p99).

Run it by hand (not part of the tests):

    python benchmarks/presence_load.py --participants 50 --rate 10 --duration 20

The clients share this machine with the server: on a small machine, read the
server's CPU figure as the cost of the server, and the latency as an upper
bound that includes client-side scheduling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import tornado.websocket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import JupyterProcess


class Walker:
    def __init__(self, url: str, index: int, stats: dict) -> None:
        self.url = url
        self.index = index
        self.stats = stats
        self.sent: dict[tuple[float, float], float] = {}

    async def connect(self) -> None:
        self.ws = await tornado.websocket.websocket_connect(self.url, max_message_size=64 << 20)
        await self.ws.write_message(json.dumps({"type": "join", "protocol": 1, "id": 1}))
        while True:
            m = json.loads(await self.ws.read_message())
            if m["type"] == "welcome":
                break
        self.id = m["you"]
        me = next(p for p in m["participants"] if p["id"] == self.id)
        self.x, self.y = me["x"], me["y"]
        self.speed = m["config"]["speed"] * 0.8

    async def read(self, walkers_by_id: dict, stop: asyncio.Event) -> None:
        while not stop.is_set():
            text = await self.ws.read_message()
            if text is None:
                return
            now = time.perf_counter()
            self.stats["received"] += 1
            m = json.loads(text)
            if m["type"] == "positions" and not m.get("correction"):
                for pos in m["moves"]:
                    w = walkers_by_id.get(pos["id"])
                    if w is None or w is self:
                        continue
                    sent = w.sent.get((pos["x"], pos["y"]))
                    # One sample per (move, receiver pair) is plenty; sample a few receivers.
                    if sent is not None and (self.index + w.index) % 7 == 0:
                        self.stats["latency"].append(now - sent)
            elif m["type"] == "error" and m["code"] != "move_blocked":
                self.stats["errors"] += 1
            elif m["type"] == "error":
                self.stats["blocked"] += 1

    async def walk(self, rate: float, duration: float) -> None:
        # Pace back and forth along the open floor between the table rows.
        period = 1.0 / rate
        heading = random.uniform(0, 2 * math.pi)
        end = time.perf_counter() + duration
        next_at = time.perf_counter()
        while time.perf_counter() < end:
            step = self.speed * period
            nx, ny = self.x + step * math.cos(heading), self.y + step * math.sin(heading)
            if not (210 < nx < 1390 and 575 < ny < 905) or random.random() < 0.05:
                heading = math.atan2(740 - self.y, 800 - self.x) + random.uniform(-1, 1)
                continue
            self.x, self.y = round(nx, 1), round(ny, 1)
            self.sent[(self.x, self.y)] = time.perf_counter()
            await self.ws.write_message(json.dumps({"type": "move", "x": self.x, "y": self.y}))
            self.stats["sent"] += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    server = JupyterProcess(
        root,
        app="jupyter_server",
        max_participants=max(200, args.participants),
        max_messages_per_second=max(30, args.rate * 3),
    )
    server.start()
    try:
        proc = psutil.Process(server.proc.pid)
        url = f"{server.ws_url}?token={server.token}"
        stats = {"sent": 0, "received": 0, "latency": [], "errors": 0, "blocked": 0}
        walkers = [Walker(url, i, stats) for i in range(args.participants)]
        for w in walkers:
            await w.connect()
        by_id = {w.id: w for w in walkers}
        stop = asyncio.Event()
        readers = [asyncio.create_task(w.read(by_id, stop)) for w in walkers]
        await asyncio.sleep(1.0)
        stats.update(sent=0, received=0, latency=[], errors=0, blocked=0)
        cpu0 = proc.cpu_times()
        t0 = time.perf_counter()
        await asyncio.gather(*(w.walk(args.rate, args.duration) for w in walkers))
        elapsed = time.perf_counter() - t0
        cpu1 = proc.cpu_times()
        await asyncio.sleep(0.5)
        stop.set()
        for w in walkers:
            w.ws.close()
        for r in readers:
            r.cancel()
        cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / elapsed * 100
        lat = [v * 1000 for v in stats["latency"]]
        print(f"participants            {args.participants}")
        print(f"moves per participant   {args.rate}/s for {args.duration:.0f} s")
        print(f"server CPU              {cpu:.1f} % of one core")
        print(f"messages in             {stats['sent'] / elapsed:.0f} /s")
        print(f"messages out            {stats['received'] / elapsed:.0f} /s")
        print(f"refused moves           {stats['blocked']}   other errors {stats['errors']}")
        print(
            f"position latency (ms)   p50 {pct(lat, 0.5):.1f}   p95 {pct(lat, 0.95):.1f}   "
            f"p99 {pct(lat, 0.99):.1f}   (n={len(lat)}, mean {statistics.fmean(lat) if lat else float('nan'):.1f})"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="position updates per second each")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of walking")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
