"""Debian's Janus as the plain SFU the class scenario compares with.

:class:`JanusProcess` runs ``janus`` from a temporary config folder: the
videoroom plugin and the plain-HTTP transport only (each folder holds just
that one library), bound to 127.0.0.1, no STUN, host candidates on loopback.
:class:`JanusSession` speaks Janus's HTTP API (one session a worker process,
one long poll for its events, a handle per publisher and per subscriber).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from tests.harness import wait_until
from tests.harness.servers import free_port, terminate

LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")

JANUS_JCFG = """general: {{
    configs_folder = "{root}"
    plugins_folder = "{root}/plugins"
    transports_folder = "{root}/transports"
    events_folder = "{root}/events"
    loggers_folder = "{root}/loggers"
    debug_level = {debug}
    session_timeout = 120
}}
media: {{
    ipv6 = false
    rtp_port_range = "20000-40000"
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "{interface}"
}}
plugins: {{
}}
transports: {{
}}
events: {{
    broadcast = false
}}
"""

HTTP_JCFG = """general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    port = {port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
"""

VIDEOROOM_JCFG = """general: {
}
"""

#: Janus gathers no candidate on a loopback interface, so it gets 127.0.0.2 on
#: an interface of its own in this network namespace; and libnice pins each
#: socket to its interface (IP_UNICAST_IF), which the kernel refuses for a
#: loopback source on any device but ``lo``: this preload leaves that one
#: option out, so replies to 127.0.0.1 leave through ``lo`` as any local
#: datagram does.
INTERFACE, ADDRESS = "janus0", "127.0.0.2"
UNPINNED_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif
int setsockopt(int fd, int level, int name, const void *value, socklen_t size) {
    static int (*real)(int, int, int, const void *, socklen_t);
    if (!real) real = dlsym(RTLD_NEXT, "setsockopt");
    if (level == IPPROTO_IP && name == IP_UNICAST_IF) return 0;
    return real(fd, level, name, value, size);
}
"""


def loopback_interface() -> None:
    """``janus0`` with 127.0.0.2, in this process's network namespace, which
    must be a private one holding only ``lo`` (as the benchmark is run)."""
    # /proc/net/dev is this namespace's (/sys/class/net may be the host's).
    names = {
        line.split(":")[0].strip() for line in Path("/proc/net/dev").read_text().splitlines()[2:]
    }
    if INTERFACE in names:
        return
    if names != {"lo"}:
        raise SystemExit(
            "Janus needs an interface of its own with a loopback address: run this inside "
            "a private network namespace (unshare --net), where it adds one"
        )
    for command in (
        ["ip", "link", "add", INTERFACE, "type", "bridge"],
        ["ip", "addr", "add", f"{ADDRESS}/32", "dev", INTERFACE],
        ["ip", "link", "set", INTERFACE, "up"],
    ):
        subprocess.run(command, check=True)


class JanusProcess:
    """``janus`` on 127.0.0.1 with the videoroom plugin and HTTP only."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="class-janus-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/janus"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / "janus.log"

    def start(self) -> None:
        janus = shutil.which("janus")
        if janus is None:
            raise RuntimeError("janus is not installed (apt-get install -y janus)")
        root = self.root
        for folder, library in (
            ("plugins", "libjanus_videoroom.so"),
            ("transports", "libjanus_http.so"),
        ):
            (root / folder).mkdir()
            (root / folder / library).symlink_to(LIBRARIES / folder / library)
        (root / "events").mkdir()
        (root / "loggers").mkdir()
        (root / "janus.jcfg").write_text(
            JANUS_JCFG.format(
                root=root, interface=INTERFACE, debug=os.environ.get("JANUS_DEBUG_LEVEL", "3")
            )
        )
        (root / "janus.transport.http.jcfg").write_text(HTTP_JCFG.format(port=self.port))
        (root / "janus.plugin.videoroom.jcfg").write_text(VIDEOROOM_JCFG)
        loopback_interface()
        subprocess.run(
            ["gcc", "-shared", "-fPIC", "-o", str(root / "unpinned.so"), "-x", "c", "-", "-ldl"],
            input=UNPINNED_C.encode(),
            check=True,
        )
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [janus, "-C", str(root / "janus.jcfg"), "-F", str(root), "-o"],
            env={**os.environ, "LD_PRELOAD": str(root / "unpinned.so")},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self._answers, 60, "janus answering")

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"janus exited:\n{self.log()}")
        try:
            with urllib.request.urlopen(f"{self.url}/info", timeout=2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        terminate(self.proc, 20)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def create_rooms(self, rooms: list[int], publishers: int) -> None:
        """Rooms by number, from a session of its own (synchronous requests)."""

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            body = {**body, "transaction": secrets.token_hex(6)}
            request = urllib.request.Request(
                self.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as r:
                answer: dict[str, Any] = json.loads(r.read())
            if answer.get("janus") not in ("success", "ack"):
                raise RuntimeError(f"janus refused {body}: {answer}")
            return answer

        session = post("", {"janus": "create"})["data"]["id"]
        handle = post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
        path = f"/{session}/{handle['data']['id']}"
        for room in rooms:
            answer = post(
                path,
                {
                    "janus": "message",
                    "body": {
                        "request": "create",
                        "room": room,
                        "publishers": publishers,
                        "audiocodec": "opus",
                        "videocodec": "vp8",
                        "bitrate": 0,
                        "notify_joining": False,
                    },
                },
            )
            data = answer["plugindata"]["data"]
            if data.get("videoroom") != "created":
                raise RuntimeError(f"janus did not create room {room}: {data}")
        post(f"/{session}", {"janus": "destroy"})


class JanusSession:
    """A Janus session with its long poll: requests on handles, and the
    asynchronous events they bring, awaited by transaction."""

    def __init__(self, url: str) -> None:
        AsyncHTTPClient.configure(None, max_clients=200)
        self.http = AsyncHTTPClient()
        self.url = url
        self.id: int | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._numbers = itertools.count()
        self._poll: asyncio.Task[None] | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.fetch(
            HTTPRequest(
                self.url + path,
                method="POST",
                body=json.dumps(body),
                headers={"Content-Type": "application/json"},
                request_timeout=120,
            )
        )
        answer: dict[str, Any] = json.loads(response.body)
        if answer.get("janus") == "error":
            raise RuntimeError(f"janus: {answer['error']} for {body}")
        return answer

    async def start(self) -> None:
        answer = await self._post("", {"janus": "create", "transaction": "create"})
        self.id = answer["data"]["id"]
        self._poll = asyncio.ensure_future(self._long_poll())

    async def _long_poll(self) -> None:
        while True:
            try:
                response = await self.http.fetch(
                    f"{self.url}/{self.id}?maxev=20&rid={time.time()}", request_timeout=90
                )
            except Exception:  # noqa: BLE001 (a poll that timed out or failed is retried)
                await asyncio.sleep(0.1)
                continue
            events = json.loads(response.body)
            for event in events if isinstance(events, list) else [events]:
                future = self._waiting.pop(event.get("transaction", ""), None)
                if future is not None and not future.done():
                    future.set_result(event)

    async def attach(self) -> int:
        answer = await self._post(
            f"/{self.id}",
            {"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "attach"},
        )
        handle: int = answer["data"]["id"]
        return handle

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A request on a handle; an asynchronous one's event (plugin data
        and any jsep), a synchronous one's answer."""
        transaction = f"t{next(self._numbers)}"
        request: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        answer = await self._post(f"/{self.id}/{handle}", request)
        if answer.get("janus") == "ack":
            answer = await asyncio.wait_for(future, 120)
        else:
            self._waiting.pop(transaction, None)
        data = answer.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise RuntimeError(f"videoroom: {data['error']} for {body}")
        return answer

    async def detach(self, handle: int) -> None:
        try:
            await self._post(f"/{self.id}/{handle}", {"janus": "detach", "transaction": "d"})
        except Exception:  # noqa: BLE001 (a handle Janus already dropped)
            pass

    async def close(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
        try:
            await self._post(f"/{self.id}", {"janus": "destroy", "transaction": "x"})
        except Exception:  # noqa: BLE001 (the server may be gone)
            pass
