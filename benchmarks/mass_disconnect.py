"""A crowd dropping at once: N participants lose their connections together.

Starts ``jupyter server`` with the classroom on 127.0.0.1, connects N
participants (spread over the open floor by walking them there first), the
``--stay`` others who stay and keep reading, and one observer, then aborts
every participant's TCP connection at the same moment (RST, no WebSocket
close: what a crashed laptop or a dropped Wi-Fi looks like), or with
``--clean`` closes them all properly (a close frame, "going away": the tabs
closed at the bell), so they leave at once. Meanwhile a probe process
fetches /api/status every few milliseconds: the longest answer is about the
longest time the server's event loop was blocked. Prints that, and how long
until the observer has seen everyone marked as reconnecting and, after the
reconnect grace, gone (with ``--clean``: gone).

    python benchmarks/mass_disconnect.py --participants 200
    python benchmarks/mass_disconnect.py --participants 200 --stay 300 --clean
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import multiprocessing.connection
import random
import socket
import struct
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import tornado.httpclient
import tornado.websocket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from jupyter_classroom.protocol import PROTOCOL_VERSION  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402


def _probe(url: str, out: multiprocessing.connection.Connection, stop: threading.Event) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as r:
            r.read()
        out.send((t0, time.perf_counter() - t0))
        time.sleep(0.005)


class Probe:
    """Fetches a cheap URL in a loop and remembers the slowest answers. In a
    process of its own: in this one, the clients' work (hundreds of sockets)
    would delay the answers it reads. A thread here collects its samples
    (timed there) as they come."""

    def __init__(self, url: str) -> None:
        # Spawned, not forked: a fork would hold copies of the participants'
        # sockets, and closing ours would not reset theirs.
        context = multiprocessing.get_context("spawn")
        self._conn, self._child = context.Pipe(duplex=False)
        self._stop = context.Event()
        self._proc = context.Process(
            target=_probe, args=(url, self._child, self._stop), daemon=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self.samples: list[tuple[float, float]] = []

    def start(self) -> None:
        self._proc.start()
        self._child.close()  # the probe's end: its exit ends the reader
        self._reader.start()

    def stop(self) -> None:
        self._stop.set()
        self._proc.join()
        self._reader.join()

    def _read(self) -> None:
        try:
            while True:
                self.samples.append(self._conn.recv())
        except EOFError:  # the probe has stopped
            pass

    def longest(self, since: float) -> float:
        return self.slowest(since)[1]

    def slowest(self, since: float) -> tuple[float, float]:
        """When the slowest answer since ``since`` was asked for, and how long it took."""
        samples = list(self.samples)
        return max(
            ((t, d) for t, d in samples if t + d >= since),
            key=lambda s: s[1],
            default=(since, math.nan),
        )


async def join(url: str) -> tuple[tornado.websocket.WebSocketClientConnection, dict]:
    for attempt in range(20):
        try:
            ws = await tornado.websocket.websocket_connect(
                url, max_message_size=64 << 20, connect_timeout=120
            )
            break
        except (ConnectionRefusedError, tornado.httpclient.HTTPClientError):
            await asyncio.sleep(0.1 * (attempt + 1))  # a busy machine
    else:
        raise ConnectionRefusedError(url)
    await ws.write_message(json.dumps({"type": "join", "protocol": PROTOCOL_VERSION, "id": 1}))
    while True:
        text = await ws.read_message()
        if text is None:
            raise ConnectionError(f"closed before the welcome: {ws.close_code}")
        m = json.loads(text)
        if m["type"] == "welcome":
            return ws, m


async def drain(ws) -> None:
    while await ws.read_message() is not None:
        pass


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="classroom-drop-"))
    server = JupyterProcess(
        root,
        app="jupyter_server",
        max_participants=max(200, args.participants + args.stay + 1),
        reconnect_grace=args.grace,
    )
    server.start()
    try:
        url = f"{server.ws_url}?token={server.token}"
        observer, _ = await join(url)
        people = []
        for _ in range(args.participants):
            people.append(await join(url))
        stayers = [(await join(url))[0] for _ in range(args.stay)]
        drains = [asyncio.create_task(drain(ws)) for ws, _ in people]
        drains += [asyncio.create_task(drain(ws)) for ws in stayers]
        # Spread them over the open floor so that each has a neighbourhood
        # and the mesh is full, as in a real crowd.
        rng = random.Random(1)
        speed = people[0][1]["config"]["speed"] * 0.8
        for _ in range(int(args.spread / 0.25)):
            for ws, welcome in people:
                me = welcome.setdefault(
                    "me", next(p for p in welcome["participants"] if p["id"] == welcome["you"])
                )
                h = welcome.setdefault("heading", rng.uniform(math.pi, 2 * math.pi))
                nx, ny = me["x"] + 0.25 * speed * math.cos(h), me["y"] + 0.25 * speed * math.sin(h)
                if not (210 < nx < 1390 and 575 < ny < 905):
                    welcome["heading"] = rng.uniform(0, 2 * math.pi)
                    continue
                me["x"], me["y"] = round(nx, 1), round(ny, 1)
                await ws.write_message(json.dumps({"type": "move", "x": me["x"], "y": me["y"]}))
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)
        while True:  # forget what the observer got so far
            try:
                await asyncio.wait_for(observer.read_message(), 0.2)
            except asyncio.TimeoutError:
                break

        probe = Probe(f"{server.url}api/status?token={server.token}")
        probe.start()
        await asyncio.sleep(1.0)
        before = probe.longest(0.0)
        ids = {welcome["you"] for _, welcome in people}
        t0 = time.perf_counter()
        for ws, _ in people:
            if args.clean:
                ws.close(1001, "going away")
                continue
            assert ws.protocol is not None and ws.protocol.stream is not None
            stream = ws.protocol.stream
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The stream closes the socket (a reset, with that linger) and
            # stops reading it first: a read of a closed socket is an error.
            stream.close()
        marked: set[str] = set()
        gone: set[str] = set()
        marked_at = gone_at = float("nan")
        deadline = t0 + args.grace + 120
        if args.clean:
            marked = set(ids)  # nobody is reconnecting: they left
            marked_at = 0.0
        while len(gone) < len(ids) and time.perf_counter() < deadline:
            try:
                text = await asyncio.wait_for(observer.read_message(), 5)
            except asyncio.TimeoutError:
                continue
            if text is None:
                break
            m = json.loads(text)
            if (
                m["type"] == "participant_updated"
                and m["participant"]["connection"] == "reconnecting"
            ):
                marked.add(m["participant"]["id"])
                if marked >= ids:
                    marked_at = time.perf_counter() - t0
            elif m["type"] == "participant_left":
                gone.add(m["participant_id"])
                if gone >= ids:
                    gone_at = time.perf_counter() - t0
        await asyncio.sleep(0.5)
        probe.stop()
        for d in drains:
            d.cancel()
        how = "closed properly" if args.clean else "TCP reset"
        print(
            f"participants dropped        {len(ids)} at once ({how}), {args.stay} staying, "
            f"reconnect grace {args.grace:.0f} s"
        )
        at, longest = probe.slowest(t0)
        print(
            f"longest /api/status answer  {longest * 1000:.0f} ms after the drop, asked {at - t0:.2f} s "
            f"after it ({before * 1000:.0f} ms before it)"
        )
        print(f"all marked reconnecting     {marked_at:.2f} s   ({len(marked)} seen)")
        print(f"all gone                    {gone_at:.2f} s   ({len(gone)} seen)")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--grace", type=float, default=5.0, help="reconnect grace, seconds")
    parser.add_argument(
        "--spread", type=float, default=6.0, help="seconds of walking before the drop"
    )
    parser.add_argument(
        "--stay", type=int, default=0, help="participants who stay connected, reading"
    )
    parser.add_argument(
        "--clean", action="store_true", help="close with a close frame instead of a reset"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
