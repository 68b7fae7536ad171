"""What the benchmarks that spread their participants over worker processes
share: the processes themselves (spawned, each with a pipe back, waited for,
stopped), a server's CPU time, and the progress lines on standard error."""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from typing import Any


def progress(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def run_in_process(main: Any, *args: Any) -> None:
    """A worker process's body: ``main(*args)`` on an event loop of its own,
    its ICE candidates on loopback (aioice leaves 127.0.0.1 out)."""
    from jupyter_classroom.sfu import announce_host_addresses

    announce_host_addresses(["127.0.0.1"])
    asyncio.run(main(*args))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far."""
    import psutil

    return float(sum(psutil.Process(pid).cpu_times()[:2]))


class Workers:
    """Worker processes, each running a coroutine function with the child's
    end of a pipe as its last argument."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []

    def start(self, main: Any, *args: Any) -> Connection:
        """Start ``main(*args, pipe)`` in a new process; our end of its pipe."""
        mine, theirs = self.ctx.Pipe()
        process = self.ctx.Process(target=run_in_process, args=(main, *args, theirs))
        process.start()
        self.processes.append(process)
        return mine

    @staticmethod
    def ready(pipes: list[Connection], what: str, timeout: float = 300) -> list[Any]:
        """Each pipe's next message, or RuntimeError naming ``what`` if one
        does not come within ``timeout`` seconds."""
        got = []
        for pipe in pipes:
            if not pipe.poll(timeout):
                raise RuntimeError(f"{what} in time")
            got.append(pipe.recv())
        return got

    def stop(self) -> None:
        """Wait for every process to end (30 s each), then kill what is left."""
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()
