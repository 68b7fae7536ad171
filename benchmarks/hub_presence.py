"""Presence under load on JupyterHub: N simulated students walking in the hub
service's classroom, through the hub's proxy.

Starts a real JupyterHub (configured with docs/hub.md's jupyterhub_config.py,
configurable-http-proxy in front) on 127.0.0.1, creates N hub users with a
token each (access:services!service=classroom), connects them to the
classroom service's socket with ?token= through the proxy, from a few client
processes, and has each walk at 2-5 moves a second (and now and then chat)
for D seconds, as ``presence_load.py`` does against a single server. Prints:

* the service's CPU (% of one core) and RSS, and the proxy's CPU,
* the position ticker's CPU per tick inside the service,
* messages per second in and out, refused moves,
* position-update latency from one student's move to another's receiving it,
* how long the N joins took (each asks the hub who the token belongs to).

Run it by hand (not part of the tests), like the tests in a network namespace:

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/hub_presence.py --participants 50'
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from presence_load import Walker, pct  # noqa: E402

from tests.harness.hub import ACCESS_SCOPE, HubProcess  # noqa: E402


async def client_process(urls: dict[int, str], go, args: dict, queue) -> None:
    stats: dict[str, Any] = {"sent": 0, "received": 0, "errors": 0, "blocked": 0, "chats": 0}
    samples: list = []
    # Walker.on_text counts the server's errors by code as they come.
    walkers = [Walker(url, i, stats, samples) for i, url in urls.items()]
    t0 = time.perf_counter()
    await asyncio.gather(*(w.connect() for w in walkers))
    queue.put(("connected", len(walkers), time.perf_counter() - t0))
    while not go.is_set():
        await asyncio.sleep(0.05)
    for key in stats:
        stats[key] = 0
    stats["error codes"] = {}
    samples.clear()
    await asyncio.gather(*(w.walk(args["duration"], args["chat_every"]) for w in walkers))
    await asyncio.sleep(1.0)
    for w in walkers:
        if not w.ws.closed:
            w.ws.send((1000).to_bytes(2, "big"), 0x8)
            w.ws.close()
    sent = {(w.id, x, y): t for w in walkers for (x, y), t in w.sent.items()}
    queue.put(("done", stats, sent, samples))


def run_clients(urls, go, args, queue) -> None:
    asyncio.run(client_process(urls, go, args, queue))


def child(parent: psutil.Process, pattern: str) -> psutil.Process:
    for proc in parent.children(recursive=True):
        try:
            if pattern in " ".join(proc.cmdline()):
                return proc
        except psutil.Error:
            continue
    raise RuntimeError(f"no process of the hub runs {pattern!r}")


def cpu_seconds(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def run(n: int, args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="classroom-hub-bench-"))
    hub = HubProcess(
        root,
        service_args=[f"--ClassroomHub.max_participants={max(200, n)}"],
        service_env={"JUPYTER_CLASSROOM_TICK_TIMING": "1"},
    )
    hub.start()
    try:
        assert hub.proc is not None
        hub_proc = psutil.Process(hub.proc.pid)
        service = child(hub_proc, "jupyter_classroom.hub")
        proxy = child(hub_proc, "configurable-http-proxy")
        names = [f"student{i:03d}" for i in range(n)]
        hub.api("POST", "users", {"usernames": names})
        urls = {
            i: f"{hub.ws_base}classrooms/classroom/ws?token={hub.token_for(name, [ACCESS_SCOPE])}"
            for i, name in enumerate(names)
        }
        queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
        go = multiprocessing.Event()
        work = {"duration": args.duration, "chat_every": args.chat_every}
        procs = [
            multiprocessing.Process(
                target=run_clients,
                args=({i: u for i, u in urls.items() if i % args.processes == k}, go, work, queue),
            )
            for k in range(min(args.processes, n))
        ]
        for p in procs:
            p.start()
        connected, join_times = 0, []
        while connected < n:
            kind, count, took = queue.get(timeout=300)
            if kind != "connected":
                raise RuntimeError("a client process finished before everyone was connected")
            connected += count
            join_times.append(took)
        time.sleep(2.0)
        go.set()
        log_from = hub.log_path.stat().st_size
        rss0 = service.memory_info().rss
        s0, p0 = cpu_seconds(service), cpu_seconds(proxy)
        t0 = time.perf_counter()
        results = [queue.get(timeout=args.duration + 300) for _ in procs]
        elapsed = time.perf_counter() - t0 - 1.0
        s1, p1 = cpu_seconds(service), cpu_seconds(proxy)
        rss1 = service.memory_info().rss
        for p in procs:
            p.join()
        with open(hub.log_path, "rb") as f:
            f.seek(log_from)
            text = f.read().decode(errors="replace")
        ticks = [float(v) for v in re.findall(r"the position ticker took ([0-9.]+) ms CPU", text)]
        stats: dict[str, Any] = {"sent": 0, "received": 0, "errors": 0, "blocked": 0, "chats": 0}
        sent: dict = {}
        samples: list = []
        codes: dict[str, int] = {}
        for _, s, snt, smp in results:
            for k in stats:
                stats[k] += s[k]
            for code, count in s.get("error codes", {}).items():
                codes[code] = codes.get(code, 0) + count
            sent.update(snt)
            samples.extend(smp)
        lat = [(t - sent[(i, x, y)]) * 1000 for i, x, y, t in samples if (i, x, y) in sent]
        print(
            f"students                {n}   ({len(procs)} client processes), through the hub's proxy"
        )
        print(
            f"joins                   all {n} in {max(join_times):.1f} s (each checked with the hub)"
        )
        print(
            f"walking                 2-5 moves/s each for {args.duration:.0f} s, a chat every {args.chat_every:.0f} s"
        )
        print(f"service CPU             {(s1 - s0) / elapsed * 100:.1f} % of one core")
        print(f"proxy CPU               {(p1 - p0) / elapsed * 100:.1f} % of one core")
        print(f"service RSS (MB)        start {rss0 / 2**20:.1f}   end {rss1 / 2**20:.1f}")
        print(
            f"tick CPU (ms)           p50 {pct(ticks, 0.5):.2f}   p99 {pct(ticks, 0.99):.2f}   "
            f"max {max(ticks) if ticks else float('nan'):.2f}   (n={len(ticks)})"
        )
        print(
            f"messages in             {stats['sent'] / elapsed:.0f} moves/s, {stats['chats']} chats"
        )
        print(f"messages out            {stats['received'] / elapsed:.0f} /s")
        print(
            f"refused moves           {stats['blocked']} of {stats['sent']}   other errors {stats['errors']} "
            f"{codes or ''}"
        )
        print(
            f"load average            {' '.join(f'{v:.1f}' for v in os.getloadavg())} (the machine's, at the end)"
        )
        print(
            f"position latency (ms)   p50 {pct(lat, 0.5):.1f}   p95 {pct(lat, 0.95):.1f}   "
            f"p99 {pct(lat, 0.99):.1f}   (n={len(lat)})"
        )
        print(flush=True)
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", default="50", help="crowd sizes, comma separated")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds of walking per crowd"
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--chat-every", type=float, default=30.0, help="seconds between one student's chats"
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    for n in (int(v) for v in args.participants.split(",")):
        run(n, args)


if __name__ == "__main__":
    main()
