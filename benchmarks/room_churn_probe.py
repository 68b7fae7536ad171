"""A jupyter-server extension for benchmarks/room_churn.py and breakouts.py only.

- ``GET /room-churn/objects``: the live aiortc and aioice objects in the
  server, by type, counted without a garbage collection (what reference
  counting has not freed is still there); ``?all=1``: every object the
  collector tracks, by type.
- ``GET /room-churn/relay``: the counters of the classroom's media relay
  (benchmarks/ws_media.py).
- ``GET /room-churn/garbage``: runs a full collection that keeps what it
  finds (``gc.DEBUG_SAVEALL``) and says how many objects each generation
  held, how long it took, and the cyclic garbage it found by type: what
  waits for the full collection instead of going with its last reference.
- ``GET /room-churn/sfu``: the SFU's plan, each room connection's
  publications (packets received) and copies (sent or why not), and each
  room's loudest voices (benchmarks/class_scenario.py ``--dump``).
- ``GET /room-churn/slow``: the event loop's longest callbacks, with their
  CPU time, and the longest garbage collections, since ``?start=1`` (which
  starts timing every callback: benchmarks/room_churn.py ``--callbacks``).

Never enable it on a real server: a count walks every object, and stalls the
event loop while it does."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections import Counter
from types import CoroutineType
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web


def live_objects(everything: bool = False) -> dict[str, int]:
    """Live objects by type: aiortc's and aioice's, or all the collector tracks."""
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", None)
        if not isinstance(module, str):
            continue
        if everything or module.startswith(("aiortc", "aioice")):
            counts[f"{module}.{type(obj).__qualname__}"] += 1
    return dict(counts)


class SlowCallbacks:
    """The event loop's longest callbacks, each with the CPU time it took: a
    long one with little CPU is the machine's (the process waited for a
    core), one with as much CPU as time is code that held the loop; and the
    longest garbage collection of each generation (they run inside whatever
    callback allocated)."""

    def __init__(self, floor: float = 0.02, keep: int = 12) -> None:
        self.floor = floor
        self.keep = keep
        #: The longest by wall time, and the longest by CPU time.
        self.worst: list[tuple[float, float, str]] = []
        self.busiest: list[tuple[float, float, str]] = []
        #: By generation, the longest collection's wall and CPU time.
        self.collections: dict[int, tuple[float, float]] = {}
        self._collecting = (0.0, 0.0)
        self._installed = False

    def start(self) -> None:
        self.worst, self.busiest, self.collections = [], [], {}
        if self._installed:
            return
        self._installed = True
        original = asyncio.events.Handle._run

        def run(handle: asyncio.Handle) -> None:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                original(handle)
            finally:
                took = time.perf_counter() - began
                if took >= self.floor:
                    self._note(took, time.thread_time() - cpu, handle)

        asyncio.events.Handle._run = run  # type: ignore[method-assign,assignment]
        gc.callbacks.append(self._collected)

    def _note(self, took: float, cpu: float, handle: asyncio.Handle) -> None:
        what = what_ran(handle)
        self.worst.append((took, cpu, what))
        self.worst.sort(reverse=True)
        del self.worst[self.keep :]
        self.busiest.append((took, cpu, what))
        self.busiest.sort(key=lambda entry: entry[1], reverse=True)
        del self.busiest[self.keep :]

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = (time.perf_counter(), time.thread_time())
            return
        generation = info["generation"]
        took = (
            time.perf_counter() - self._collecting[0],
            time.thread_time() - self._collecting[1],
        )
        self.collections[generation] = max(self.collections.get(generation, (0.0, 0.0)), took)


def what_ran(handle: asyncio.Handle) -> str:
    """A callback's name; for a task's step, its coroutine and where it waits now."""
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name = getattr(coro, "__qualname__", repr(coro))
        while isinstance(getattr(coro, "cr_await", None), CoroutineType):
            coro = coro.cr_await
        frame = getattr(coro, "cr_frame", None)
        if frame is None:
            return f"task {name}"
        code = frame.f_code
        return f"task {name}, now in {code.co_qualname} ({code.co_filename}:{frame.f_lineno})"
    if owner is not None:
        protocol = getattr(owner, "_protocol", None)
        of = f" of {type(protocol).__module__}.{type(protocol).__qualname__}" if protocol else ""
        return f"{type(owner).__qualname__}.{getattr(callback, '__name__', '?')}{of}"
    name = getattr(callback, "__qualname__", repr(callback))
    return f"{getattr(callback, '__module__', '')}.{name}"


SLOW = SlowCallbacks()


class SlowHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        if self.get_argument("start", ""):
            SLOW.start()
        self.finish(
            json.dumps(
                {"callbacks": SLOW.worst, "busiest": SLOW.busiest, "collections": SLOW.collections}
            )
        )


class ObjectsHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps(live_objects(bool(self.get_argument("all", "")))))


def cyclic_garbage() -> dict[str, Any]:
    """A full collection now, keeping what it frees, counted by type."""
    held = [len(gc.get_objects(generation)) for generation in range(3)]
    flags = gc.get_debug()
    gc.set_debug(flags | gc.DEBUG_SAVEALL)
    began = time.perf_counter()
    try:
        found = gc.collect()
    finally:
        took = time.perf_counter() - began
        gc.set_debug(flags)
    counts: Counter[str] = Counter(
        f"{type(obj).__module__}.{type(obj).__qualname__}" for obj in gc.garbage
    )
    gc.garbage.clear()
    return {"generations": held, "found": found, "seconds": took, "types": dict(counts)}


class GarbageHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps(cyclic_garbage()))


class RelayHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        apps = self.settings["serverapp"].extension_manager.extension_apps["jupyter_classroom"]
        (app,) = apps
        self.finish(json.dumps(app.service.relay.stats()))


def sfu_state(sfu: Any) -> dict[str, Any]:
    """What the SFU holds: each room connection's publications and copies,
    and whether each copy is sent (and if not, why)."""
    out: dict[str, Any] = {"plan": {}, "connections": {}, "loudest": {}}
    for pid, media in sfu.plan.items():
        out["plan"][pid] = {
            "room": media.room,
            "generation": media.generation,
            "tracks": sorted(f"{p}:{s}" for p, s in media.tracks),
        }
    for room, router in sfu.routers.items():
        out["loudest"][room] = sorted(router.loudest.selected)
    for pid, c in sfu.connections.items():
        out["connections"][pid] = {
            "number": c.number,
            "generation": c.generation,
            "established": c.established,
            "closed": c.closed,
            "state": c.pc.connectionState,
            "unsent": sorted(c.unsent),
            "producers": {
                source: {"packets": p.packets, "ssrc": p.ssrc, "consumers": len(p.consumers)}
                for source, p in c.producers.items()
            },
            "consumers": {
                f"{key[0]}:{key[1]}": {
                    "paused": k.paused,
                    "congested": k.congested,
                    "ready": k.slot.ready,
                    "waiting": getattr(k, "_waiting", None),
                    "current": k.slot.consumer is k,
                    "written": k.slot.packets,
                }
                for key, k in c.consumers.items()
            },
            "slots": len(c.slots),
            "pair": _pair(c.pc),
        }
    return out


def _pair(pc: Any) -> Any:
    """The ICE pair a connection sends on, and the bytes sent there."""
    transceivers = pc.getTransceivers()
    if not transceivers:
        return None
    dtls = transceivers[0].sender.transport
    pair = dtls.transport._connection._nominated.get(1)
    return {
        "dtls": str(dtls._state),
        "local": list(
            pair.local_candidate.host and (pair.local_candidate.host, pair.local_candidate.port)
        )
        if pair
        else None,
        "remote": list(pair.remote_addr) if pair else None,
        "tx_bytes": dtls._RTCDtlsTransport__tx_bytes,
        "rx_bytes": dtls._RTCDtlsTransport__rx_bytes,
    }


class SfuHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        apps = self.settings["serverapp"].extension_manager.extension_apps["jupyter_classroom"]
        (app,) = apps
        self.finish(json.dumps(sfu_state(app.service.sfu)))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "room_churn_probe"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "/room-churn/objects"), ObjectsHandler),
            (url_path_join(base, "/room-churn/relay"), RelayHandler),
            (url_path_join(base, "/room-churn/sfu"), SfuHandler),
            (url_path_join(base, "/room-churn/slow"), SlowHandler),
            (url_path_join(base, "/room-churn/garbage"), GarbageHandler),
        ],
    )
