"""Presence under load: N simulated participants walking against a real server.

Starts ``jupyter server`` with the classroom on 127.0.0.1 (a fresh one for
each crowd size), connects N participants over the real WebSocket from a few
client processes, has each of them walk at 2-5 position updates a second
(and now and then chat) for D seconds, and prints per crowd size:

* the position ticker's CPU per tick inside the server (p50/p99/max; the
  server logs each tick's CPU time when JUPYTER_CLASSROOM_TICK_TIMING is set),
  and of the peer mesh that follows each tick as an event of its own,
* the CPU of each pass that writes what the ticks and the commands sent to
  the sockets (p50/p99/max), and of each full garbage collection: the other
  things that hold up the server's event loop,
* server CPU (% of one core) and RSS at the start and the end of the walk,
* messages per second into and out of the server,
* honest moves refused as farther than one can walk (every move is at 80 %
  of the walking speed; a refusal for a wall or a full table is an "other
  error": the walker turns around),
* position-update latency: from a participant sending a move to another
  participant receiving the batch that carries it (p50/p95/p99; every tenth
  walker samples a tenth of the moves it receives).

Run it by hand (not part of the tests):

    python benchmarks/presence_load.py --participants 100,200,500 --duration 60

The clients share the machine with the server: read the latency as an upper
bound that includes client-side scheduling. They speak WebSocket on bare
asyncio protocols (see ``Socket``) to leave the server as much of the
machine as they can.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from jupyter_classroom.protocol import PROTOCOL_VERSION  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

# Recognised without decoding (the server writes the type first).
POSITIONS = b'{"type":"positions",'
ERROR = b'{"type":"error",'
CORRECTION = b'"correction":true'

# The open floor between the table rows, and its middle.
FLOOR = (210.0, 1390.0, 575.0, 905.0)
MIDDLE = (800.0, 740.0)

# An observer keeps this share of the moves it sees as latency samples.
SAMPLED = 0.1


class Socket(asyncio.Protocol):
    """A WebSocket client (RFC 6455) with only what a walker needs, on a bare
    asyncio protocol: a browser does its reading on its own machine, and
    here 500 of them share two cores with the server, so each frame costs a
    few microseconds instead of the tens a full client library spends. It
    answers pings, hands each text frame to ``on_text`` unparsed with the
    time it arrived, and keeps the close code."""

    def __init__(self, on_text) -> None:
        self.on_text = on_text
        self.buf = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def write(self, data: bytes) -> None:
        assert self.transport is not None, "not connected"
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buf += data
        if not self.upgraded.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buf[: self.buf.find(b"\r\n")])
            del self.buf[: end + 4]
            if not status.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(
                    ConnectionRefusedError(status.decode(errors="replace"))
                )
                self.close()
                return
            self.upgraded.set_result(None)
        buf, at, size = self.buf, 0, len(self.buf)
        while size - at >= 2:
            first, length, head = buf[at], buf[at + 1] & 0x7F, 2
            if length == 126:
                if size - at < 4:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 4], "big"), 4
            elif length == 127:
                if size - at < 10:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 10], "big"), 10
            if size - at < head + length:
                break
            payload = bytes(buf[at + head : at + head + length])
            at += head + length
            opcode = first & 0x0F
            if opcode == 0x1:
                self.on_text(payload, now)
            elif opcode == 0x9:
                self.send(payload, 0xA)  # pong
            elif opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.send(payload[:2], 0x8)
                self.close()
                break
            elif opcode != 0xA:
                raise ValueError(
                    f"unexpected frame opcode {opcode} (the server does not fragment)"
                )
        del buf[:at]

    def connection_lost(self, exc) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionResetError())
        if self.close_code is None:
            self.close_code = 1006

    @property
    def closed(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def send(self, data: bytes, opcode: int = 0x1) -> None:
        size = len(data)
        if size < 126:
            head = bytes((0x80 | opcode, 0x80 | size))
        elif size < 1 << 16:
            head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
        masked = (int.from_bytes(data, "big") ^ key).to_bytes(size, "big")
        self.write(head + mask + masked)

    @classmethod
    async def connect(cls, url: str, on_text) -> Socket:
        parts = urllib.parse.urlsplit(url)
        loop = asyncio.get_running_loop()
        assert parts.hostname is not None and parts.port is not None, url
        _, sock = await loop.create_connection(lambda: cls(on_text), parts.hostname, parts.port)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.write(
            (
                f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await sock.upgraded
        return sock


class Walker:
    def __init__(self, url: str, index: int, stats: dict, samples: list) -> None:
        self.url = url
        self.index = index
        self.stats = stats
        self.samples = samples
        self.sent: dict[tuple[float, float], float] = {}
        self.observer = index % 10 == 0
        self.id: str | None = None
        self.welcomed: asyncio.Future | None = None

    async def connect(self) -> None:
        self.welcomed = asyncio.get_running_loop().create_future()
        for attempt in range(20):
            try:
                self.ws = await Socket.connect(self.url, self.on_text)
                break
            except (ConnectionRefusedError, ConnectionResetError):
                # A full accept queue on a busy machine: try again.
                await asyncio.sleep(0.1 * (attempt + 1))
        else:
            raise ConnectionRefusedError(self.url)
        self.ws.send(json.dumps({"type": "join", "protocol": PROTOCOL_VERSION, "id": 1}).encode())
        m = await asyncio.wait_for(self.welcomed, 120)
        self.id = m["you"]
        me = next(p for p in m["participants"] if p["id"] == self.id)
        self.x, self.y = me["x"], me["y"]
        self.speed = m["config"]["speed"] * 0.8

    def on_text(self, text: bytes, now: float) -> None:
        self.stats["received"] += 1
        if self.id is None:
            m = json.loads(text)
            if m["type"] == "welcome" and self.welcomed is not None:
                self.welcomed.set_result(m)
            return
        # The clients share the machine with the server: only what a walker
        # needs is decoded. Every tenth walker measures latency from the
        # batches; the others read only what is addressed to them (errors,
        # corrections) and skip the rest unparsed.
        if text.startswith(POSITIONS):
            if not (CORRECTION in text or (self.observer and random.random() < SAMPLED)):
                return
        elif not text.startswith(ERROR):
            return
        m = json.loads(text)
        if m["type"] == "positions" and not m.get("correction"):
            for pos in m["moves"]:
                if pos["id"] != self.id:
                    self.samples.append((pos["id"], pos["x"], pos["y"], now))
        elif m["type"] == "positions":
            # A refused move (a full table): stand where the server says
            # and turn around, as a person would.
            for pos in m["moves"]:
                if pos["id"] == self.id:
                    self.x, self.y = pos["x"], pos["y"]
                    self.heading += math.pi + random.uniform(-0.5, 0.5)
        elif m["type"] == "error" and m["code"] == "move_blocked" and "farther" in m["message"]:
            self.stats["blocked"] += 1
        elif m["type"] == "error":
            self.stats["errors"] += 1
            codes = self.stats.setdefault("error codes", {})
            codes[m["code"]] = codes.get(m["code"], 0) + 1

    async def walk(self, duration: float, chat_every: float) -> None:
        rate = random.uniform(2.0, 5.0)
        period = 1.0 / rate
        self.heading = random.uniform(0, 2 * math.pi)
        end = time.perf_counter() + duration
        next_at = time.perf_counter() + random.uniform(0, period)
        next_chat = time.perf_counter() + random.uniform(0, chat_every)
        x0, x1, y0, y1 = FLOOR
        while time.perf_counter() < end:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += period
            if self.ws.closed:
                # The server closed this walker (too slow to read, or its
                # keep-alive gave up on it): count it and stop walking.
                code = self.ws.close_code
                self.stats["closed"] += 1
                self.stats.setdefault("close codes", {})
                self.stats["close codes"][code] = self.stats["close codes"].get(code, 0) + 1
                return
            step = self.speed * period
            nx, ny = self.x + step * math.cos(self.heading), self.y + step * math.sin(self.heading)
            if not (x0 < nx < x1 and y0 < ny < y1) or random.random() < 0.05:
                self.heading = math.atan2(MIDDLE[1] - self.y, MIDDLE[0] - self.x) + random.uniform(
                    -1, 1
                )
                continue
            self.x, self.y = round(nx, 1), round(ny, 1)
            self.sent[(self.x, self.y)] = time.perf_counter()
            self.ws.send(json.dumps({"type": "move", "x": self.x, "y": self.y}).encode())
            self.stats["sent"] += 1
            if time.perf_counter() >= next_chat:
                next_chat += chat_every
                channel = random.choice(["nearby", "class"])
                self.ws.send(
                    json.dumps(
                        {
                            "type": "chat_send",
                            "channel": channel,
                            "text": f"hello from {self.index}",
                        }
                    ).encode()
                )
                self.stats["chats"] += 1


async def client_process(url: str, indices: list[int], go, args: dict, queue) -> None:
    stats: dict[str, Any] = {
        "sent": 0,
        "received": 0,
        "errors": 0,
        "blocked": 0,
        "chats": 0,
        "closed": 0,
    }
    samples: list = []
    walkers = [Walker(url, i, stats, samples) for i in indices]
    for w in walkers:
        await w.connect()
    queue.put(("connected", len(walkers)))
    while not go.is_set():  # everyone connected, in every process
        await asyncio.sleep(0.05)
    for key in stats:
        stats[key] = 0
    stats["close codes"] = {}
    samples.clear()
    cpu0 = time.process_time()
    await asyncio.gather(*(w.walk(args["duration"], args["chat_every"]) for w in walkers))
    await asyncio.sleep(1.0)
    stats["cpu"] = time.process_time() - cpu0
    for w in walkers:
        if not w.ws.closed:
            w.ws.send((1000).to_bytes(2, "big"), 0x8)
            w.ws.close()
    sent = {(w.id, x, y): t for w in walkers for (x, y), t in w.sent.items()}
    queue.put(("done", stats, sent, samples))


def run_clients(url, indices, go, args, queue) -> None:
    asyncio.run(client_process(url, indices, go, args, queue))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(n: int, args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    os.environ["JUPYTER_CLASSROOM_TICK_TIMING"] = "1"
    server = JupyterProcess(root, app="jupyter_server", max_participants=max(200, n))
    server.start()
    try:
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        url = f"{server.ws_url}?token={server.token}"
        queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
        chunks = [list(range(n))[i :: args.processes] for i in range(args.processes)]
        go = multiprocessing.Event()
        work = {"duration": args.duration, "chat_every": args.chat_every}
        procs = [
            multiprocessing.Process(target=run_clients, args=(url, c, go, work, queue))
            for c in chunks
            if c
        ]
        for p in procs:
            p.start()
        connected = 0
        while connected < n:
            kind, count = queue.get(timeout=300)[:2]
            if kind != "connected":
                raise RuntimeError("a client process finished before everyone was connected")
            connected += count
        time.sleep(2.0)  # let the joins settle
        go.set()
        log_from = server.log_path.stat().st_size
        rss0 = proc.memory_info().rss
        cpu0 = proc.cpu_times()
        t0 = time.perf_counter()
        results = [queue.get(timeout=args.duration + 300) for _ in procs]
        elapsed = time.perf_counter() - t0 - 1.0
        cpu1 = proc.cpu_times()
        rss1 = proc.memory_info().rss
        for p in procs:
            p.join()
        with open(server.log_path, "rb") as f:
            f.seek(log_from)
            text = f.read().decode(errors="replace")
        ticks = [float(v) for v in re.findall(r"the position ticker took ([0-9.]+) ms CPU", text)]
        meshes = [float(v) for v in re.findall(r"the peer mesh took ([0-9.]+) ms CPU", text)]
        writes = [
            float(v) for v in re.findall(r"writing to \d+ sockets took ([0-9.]+) ms CPU", text)
        ]
        collections = re.findall(
            r"a garbage collection of generation (\d) took ([0-9.]+) ms CPU", text
        )
        middles = [float(v) for g, v in collections if g == "1"]
        fulls = [float(v) for g, v in collections if g == "2"]
        stats = {
            "sent": 0,
            "received": 0,
            "errors": 0,
            "blocked": 0,
            "chats": 0,
            "closed": 0,
            "cpu": 0.0,
        }
        codes: dict = {}
        errors: dict = {}
        sent: dict = {}
        samples: list = []
        for _, s, snt, smp in results:
            for k in stats:
                stats[k] += s[k]
            for code, count in s.get("close codes", {}).items():
                codes[code] = codes.get(code, 0) + count
            for code, count in s.get("error codes", {}).items():
                errors[code] = errors.get(code, 0) + count
            sent.update(snt)
            samples.extend(smp)
        lat = [(t - sent[(i, x, y)]) * 1000 for i, x, y, t in samples if (i, x, y) in sent]
        cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / elapsed * 100
        print(f"participants            {n}   ({args.processes} client processes)")
        print(
            f"walking                 2-5 moves/s each for {args.duration:.0f} s, a chat every {args.chat_every:.0f} s"
        )
        print(
            f"tick CPU (ms)           p50 {pct(ticks, 0.5):.2f}   p99 {pct(ticks, 0.99):.2f}   "
            f"max {max(ticks) if ticks else float('nan'):.2f}   (n={len(ticks)}, {len(ticks) / elapsed:.1f}/s)"
        )
        print(
            f"then the mesh (ms)      p50 {pct(meshes, 0.5):.2f}   p99 {pct(meshes, 0.99):.2f}   "
            f"max {max(meshes) if meshes else float('nan'):.2f}   (n={len(meshes)})"
        )
        print(
            f"writes CPU (ms)         p50 {pct(writes, 0.5):.2f}   p99 {pct(writes, 0.99):.2f}   "
            f"max {max(writes) if writes else float('nan'):.2f}   (n={len(writes)}, {len(writes) / elapsed:.1f}/s)"
        )
        for name, values in (("middle", middles), ("full", fulls)):
            print(
                f"{name + ' collections (ms)':24}{len(values) / elapsed:.2f}/s taking p50 {pct(values, 0.5):.2f}   "
                f"max {max(values) if values else float('nan'):.2f}"
            )
        print(
            f"server CPU              {cpu:.1f} % of one core   "
            f"(the clients {stats['cpu'] / elapsed * 100:.0f} %, on the same {os.cpu_count()} cores)"
        )
        print(f"server RSS (MB)         start {rss0 / 2**20:.1f}   end {rss1 / 2**20:.1f}")
        print(
            f"messages in             {stats['sent'] / elapsed:.0f} moves/s, {stats['chats']} chats"
        )
        print(f"messages out            {stats['received'] / elapsed:.0f} /s")
        print(
            f"refused as too far      {stats['blocked']} of {stats['sent']} moves   other errors {stats['errors']} {errors or ''}"
        )
        print(
            f"closed by the server    {stats['closed']} walkers   (close codes {codes or 'none'})"
        )
        print(f"load average            {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print(
            f"position latency (ms)   p50 {pct(lat, 0.5):.1f}   p95 {pct(lat, 0.95):.1f}   "
            f"p99 {pct(lat, 0.99):.1f}   (n={len(lat)})"
        )
        print(flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--participants", default="100,200,500", help="crowd sizes, comma separated"
    )
    parser.add_argument(
        "--duration", type=float, default=300.0, help="seconds of walking per crowd"
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--chat-every", type=float, default=30.0, help="seconds between one walker's chats"
    )
    args = parser.parse_args()
    for n in (int(v) for v in args.participants.split(",")):
        run(n, args)


if __name__ == "__main__":
    main()
