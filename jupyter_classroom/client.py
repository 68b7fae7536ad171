"""The classroom from Python, in a notebook.

::

    from jupyter_classroom import Classroom
    c = Classroom()          # this server's classroom, as the notebook's user
    c.roster                 # who is here (a DataFrame when pandas is installed)
    c.hands                  # raised hands, in the order raised
    c.announce("Quiz at 3pm")
    c.breakouts(3, minutes=10)
    c.end_breakouts()
    c.summon()               # every student to the stage
    c.mute_all()
    c.broadcast(True)        # speak to everyone (from your classroom tab's media)

:class:`Classroom` connects to the classroom's WebSocket like a browser does
and keeps a mirror of the classroom from the messages the server sends. The
kernel already runs an asyncio loop (the one executing the cell), so the
connection runs on a loop of its own in a background thread and every method
waits for the server's answer there.

Where it connects, first match wins:

1. ``Classroom(url=..., token=...)``: a Jupyter server's URL (its
   ``classroom/ws`` is used) or a ``ws://``/``wss://`` classroom socket URL;
2. the environment variables ``JUPYTER_CLASSROOM_URL`` and
   ``JUPYTER_CLASSROOM_TOKEN`` (on JupyterHub the token defaults to
   ``JUPYTERHUB_API_TOKEN``, the notebook user's own);
3. on a JupyterHub single-user server set up for the hub's classroom service
   (``JUPYTER_CLASSROOM_HUB_SERVICE_URL`` in its environment, which kernels
   inherit): that service, with the server's own hub token
   (``JUPYTERHUB_API_TOKEN``, which needs the scopes the README's
   ``c.Spawner.server_token_scopes`` gives it). The service is reached at
   the hub's public address when the environment gives it
   (``JUPYTERHUB_PUBLIC_HUB_URL``, set when the hub's ``public_url`` is), else
   at the address the hub's API gives for it (``GET {JUPYTERHUB_API_URL}/
   services/classroom``). The classroom is the only one the user is in, or
   the one named by ``Classroom(classroom="physics")``;
4. the Jupyter server this kernel runs under: the server that started the
   kernel process (its info file in Jupyter's runtime directory), or else the
   running server whose root directory holds the kernel's working directory.

Every instructor's command raises :class:`ClassroomForbidden` for a student,
:class:`ClassroomRefused` for anything else the server refuses (with its
stable ``code``), and :class:`ClassroomUnreachable` when no classroom answers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from . import protocol

__all__ = ["Classroom", "ClassroomForbidden", "ClassroomRefused", "ClassroomUnreachable"]

log = logging.getLogger(__name__)

#: Seconds to wait for the server to answer.
DEFAULT_TIMEOUT = 10.0


class ClassroomUnreachable(ConnectionError):
    """No classroom could be reached (no server found, or it did not answer)."""


class ClassroomRefused(Exception):
    """The classroom refused a command; ``code`` is the protocol's stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ClassroomForbidden(ClassroomRefused, PermissionError):
    """Only an instructor may do that."""


# -- finding the classroom ----------------------------------------------------------


def _socket_url(url: str, token: str | None) -> str:
    """The classroom socket's URL from a server's or a socket's URL."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ClassroomUnreachable(f"Not a web address: {url!r}.")
    path = parts.path
    if scheme == parts.scheme:  # already the socket
        pass
    elif not path.rstrip("/").endswith("classroom/ws"):
        path = path.rstrip("/") + "/classroom/ws"
    query = urllib.parse.parse_qsl(parts.query)
    if token:
        query.append(("token", token))
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))


def _under(path: str, root: str) -> bool:
    try:
        return os.path.commonpath(
            [os.path.realpath(path), os.path.realpath(root)]
        ) == os.path.realpath(root)
    except ValueError:
        return False


def _get_json(url: str, token: str, timeout: float) -> Any:
    """``GET url`` with a hub token; the JSON answer, else :class:`ClassroomUnreachable`."""
    request = urllib.request.Request(
        url, headers={"Authorization": f"token {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        try:
            answer = json.loads(e.read())
            reason = answer.get("message") or answer.get("code") or e.reason
        except (ValueError, AttributeError, OSError):
            reason = e.reason
        raise ClassroomUnreachable(f"{url} answered {e.code}: {reason}") from None
    except (OSError, ValueError) as e:
        raise ClassroomUnreachable(f"Cannot reach {url}: {e}") from None


#: What the hub must put in a single-user server's token for ``Classroom()``.
_SERVER_TOKEN_HINT = (
    "The notebook uses its server's hub token (JUPYTERHUB_API_TOKEN): the hub's "
    "administrator gives it the classroom's scopes with c.Spawner.server_token_scopes "
    "(see the README's jupyterhub_config.py), and the server must be restarted after a change."
)


def _hub_service_base(service_path: str, token: str, timeout: float) -> str:
    """The URL of the hub's classroom service (ending in ``/``), as this kernel reaches it."""
    if urllib.parse.urlsplit(service_path).scheme in ("http", "https"):
        return service_path.rstrip("/") + "/"
    public = os.environ.get("JUPYTERHUB_PUBLIC_HUB_URL") or os.environ.get("JUPYTERHUB_PUBLIC_URL")
    if public:
        # The path is absolute (base_url included): it replaces the public URL's.
        return urllib.parse.urljoin(public, service_path.rstrip("/") + "/")
    api = os.environ.get("JUPYTERHUB_API_URL")
    if not api:
        raise ClassroomUnreachable(
            "This server is set up for the hub's classroom, but neither JUPYTERHUB_API_URL nor "
            "JUPYTERHUB_PUBLIC_HUB_URL says where the hub is: pass Classroom(url=..., token=...)."
        )
    segments = [part for part in urllib.parse.urlsplit(service_path).path.split("/") if part]
    if "services" not in segments[:-1]:
        raise ClassroomUnreachable(
            f"JUPYTER_CLASSROOM_HUB_SERVICE_URL={service_path!r} names no hub service "
            "(expected a path like /services/classroom/)."
        )
    name = segments[segments.index("services") + 1]
    try:
        model = _get_json(f"{api.rstrip('/')}/services/{urllib.parse.quote(name)}", token, timeout)
    except ClassroomUnreachable as e:
        raise ClassroomUnreachable(f"{e}. {_SERVER_TOKEN_HINT}") from None
    if not isinstance(model, dict) or not model.get("url"):
        raise ClassroomUnreachable(
            f"The hub did not say where its service {name!r} listens: the server's token needs "
            f"read:services!service={name}. " + _SERVER_TOKEN_HINT
        )
    prefix = model.get("prefix") or urllib.parse.urlsplit(service_path).path
    return model["url"].rstrip("/") + "/" + prefix.strip("/") + "/"


def find_hub_classroom(
    classroom: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> tuple[str, str] | None:
    """On a hub single-user server set up for the classroom service: the socket
    URL of the user's classroom there (``classroom`` names one) and the token;
    None elsewhere. Raises :class:`ClassroomUnreachable`."""
    service_path = os.environ.get("JUPYTER_CLASSROOM_HUB_SERVICE_URL")
    token = os.environ.get("JUPYTER_CLASSROOM_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not service_path or not token:
        return None
    base = _hub_service_base(service_path, token, timeout)
    try:
        listing = _get_json(base + "api/classrooms", token, timeout)
    except ClassroomUnreachable as e:
        raise ClassroomUnreachable(f"{e}. {_SERVER_TOKEN_HINT}") from None
    rooms = listing.get("classrooms", []) if isinstance(listing, dict) else []
    names = ", ".join(repr(room["name"]) for room in rooms)
    user = listing.get("user", "you") if isinstance(listing, dict) else "you"
    if classroom is not None:
        chosen = [room for room in rooms if classroom in (room["name"], room.get("title"))]
        if not chosen:
            raise ClassroomUnreachable(
                f"{user} is not in a classroom {classroom!r} on this hub"
                + (f"; {user}'s classrooms: {names}." if rooms else ".")
            )
    elif len(rooms) > 1:
        raise ClassroomUnreachable(
            f"{user} is in several classrooms on this hub ({names}): name one, "
            f"e.g. Classroom(classroom={rooms[0]['name']!r})."
        )
    else:
        chosen = rooms
    if not chosen:
        raise ClassroomUnreachable(
            f"{user} is in no classroom on this hub: ask an instructor to add you to one."
        )
    socket = urllib.parse.urlsplit(base + chosen[0]["ws_path"])
    scheme = {"http": "ws", "https": "wss"}.get(socket.scheme, socket.scheme)
    return urllib.parse.urlunsplit(socket._replace(scheme=scheme)), token


def find_server(classroom: str | None = None) -> tuple[str, str | None]:
    """The URL and token of the classroom for this process (see the module's
    documentation); raises :class:`ClassroomUnreachable`."""
    url = os.environ.get("JUPYTER_CLASSROOM_URL")
    if url:
        token = os.environ.get("JUPYTER_CLASSROOM_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
        return url, token
    on_hub = find_hub_classroom(classroom)
    if on_hub is not None:
        return on_hub
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:  # a kernel without jupyter_server installed
        servers: list[dict[str, Any]] = []
    else:
        servers = list(list_running_servers())
    parent = os.getppid()
    mine = [s for s in servers if s.get("pid") == parent]
    if not mine:
        cwd = os.getcwd()
        mine = [s for s in servers if s.get("root_dir") and _under(cwd, s["root_dir"])]
        # The innermost root is the likeliest.
        mine.sort(key=lambda s: len(s["root_dir"]), reverse=True)
    if not mine:
        raise ClassroomUnreachable(
            "No Jupyter server with a classroom was found for this kernel: run the notebook "
            "in JupyterLab with the classroom extension, or pass Classroom(url=..., token=...)."
        )
    server = mine[0]
    if not server.get("token") and server.get("password"):
        raise ClassroomUnreachable(
            "The Jupyter server uses a password, not a token: pass Classroom(url=..., token=...) "
            "with a token the server accepts."
        )
    return server["url"], server.get("token") or None


# -- the connection ---------------------------------------------------------------------


#: The messages that change what :meth:`Classroom.watch` listeners are told about.
_CHANGES = frozenset(
    ("welcome", "participant_joined", "participant_updated", "participant_left", "class_updated")
)


class _Connection:
    """The socket and the classroom's mirror, on a loop of their own."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="classroom-client", daemon=True
        )
        self.thread.start()
        self.ws: Any = None
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.you: str | None = None
        self.participants: dict[str, dict[str, Any]] = {}
        self.rooms: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.closed = False
        self.lock = threading.Lock()
        self._reader: asyncio.Future[None] | None = None
        #: Called (on this connection's thread) after who is here or the
        #: class state changed; positions alone do not count.
        self.listeners: list[Callable[[], None]] = []

    def run(self, coro: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(self.timeout + 1)
        except FutureTimeout:
            future.cancel()
            raise ClassroomUnreachable(
                f"The classroom did not answer within {self.timeout:g} seconds."
            ) from None

    async def open(self) -> None:
        from tornado import httpclient, websocket

        request = httpclient.HTTPRequest(
            self.url, connect_timeout=self.timeout, request_timeout=self.timeout
        )
        try:
            self.ws = await websocket.websocket_connect(request)
        except Exception as e:  # noqa: BLE001 (refused, 403, 404, a name that does not resolve...)
            raise ClassroomUnreachable(
                f"Cannot reach the classroom at {_redact(self.url)}: {e}"
            ) from None
        self._reader = asyncio.ensure_future(self._read())
        await self.request({"type": "join", "protocol": protocol.PROTOCOL_VERSION, "media": False})

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.ws is None or self.closed:
            raise ClassroomUnreachable("The connection to the classroom is closed.")
        rid = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self.waiting[rid] = future
        try:
            await self.ws.write_message(json.dumps({**message, "id": rid}))
            reply = await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            raise ClassroomUnreachable(
                f"The classroom did not answer within {self.timeout:g} seconds."
            ) from None
        except Exception as e:
            if isinstance(e, (ClassroomRefused, ClassroomUnreachable)):
                raise
            raise ClassroomUnreachable(f"The connection to the classroom failed: {e}") from None
        finally:
            self.waiting.pop(rid, None)
        if reply["type"] == "error":
            code, text = reply.get("code", ""), reply.get("message", "")
            if code == protocol.ErrorCode.FORBIDDEN.value:
                raise ClassroomForbidden(code, text)
            raise ClassroomRefused(code, text)
        return reply

    async def _read(self) -> None:
        while True:
            text = await self.ws.read_message()
            if text is None:
                break
            try:
                self._handle(json.loads(text))
            except (ValueError, KeyError, TypeError):  # one odd message must not stop the mirror
                log.debug("classroom: a message the notebook client could not read: %.200s", text)
        self.closed = True
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(ClassroomUnreachable("The classroom closed the connection."))

    def _handle(self, m: dict[str, Any]) -> None:
        kind = m["type"]
        with self.lock:
            if kind == "welcome":
                self.you = m["you"]
                self.participants = {p["id"]: p for p in m["participants"]}
                self.rooms = m["map"]["rooms"]
                self.state = m.get("classroom") or {}
            elif kind in ("participant_joined", "participant_updated"):
                self.participants[m["participant"]["id"]] = m["participant"]
            elif kind == "participant_left":
                self.participants.pop(m["participant_id"], None)
            elif kind == "positions":
                for move in m["moves"]:
                    p = self.participants.get(move["id"])
                    if p is not None:
                        p["x"], p["y"] = move["x"], move["y"]
            elif kind == "class_updated":
                self.state = m["state"]
        if kind in _CHANGES:
            for listener in list(self.listeners):
                try:
                    listener()
                except Exception:  # a listener's failure must not stop the mirror
                    log.exception("classroom: a listener failed")
        rid = m.get("id")
        if kind in ("welcome", "ack", "error", "pong") and rid in self.waiting:
            future = self.waiting[rid]
            if not future.done():
                future.set_result(m)

    async def shut(self) -> None:
        self.closed = True
        if self.ws is not None:
            self.ws.close(1000, "closed from the notebook")
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.run(self.shut())
        except ClassroomUnreachable:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(self.timeout)
        if not self.thread.is_alive():
            self.loop.close()


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, "…" if k == "token" else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _table(records: list[dict[str, Any]], columns: list[str]) -> Any:
    """A pandas DataFrame when pandas is installed, else the records."""
    try:
        import pandas
    except ImportError:
        return records
    return pandas.DataFrame.from_records(records, columns=columns)


#: The open Classroom of each socket URL in this process: running the cell
#: again replaces the connection instead of adding one (a user may only
#: have a few connections at once).
_open: weakref.WeakValueDictionary[str, Classroom] = weakref.WeakValueDictionary()

ROSTER_COLUMNS = [
    "id",
    "user",
    "name",
    "role",
    "room",
    "hand",
    "mic",
    "camera",
    "screen",
    "status",
    "connection",
    "x",
    "y",
]


class Classroom:
    """The classroom this notebook's server (or hub) runs, as the notebook's user.

    Reading (``roster``, ``hands``, ``rooms``, ``announcement``, ``locks``)
    works for everyone; the commands are the instructor's and raise
    :class:`ClassroomForbidden` for a student. The notebook's connection is
    a participant of its own (without media), left out of ``roster``.

    On a JupyterHub single-user server, ``classroom`` names the hub's
    classroom to enter (needed when the user is in several).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        classroom: str | None = None,
    ) -> None:
        if url is None:
            url, found_token = find_server(classroom)
            token = token or found_token
        self._url = _socket_url(url, token)
        self._timeout = timeout
        self._conn: _Connection | None = None
        self._listeners: list[Callable[[], None]] = []
        previous = _open.get(self._url)
        if previous is not None:
            previous.close()
        self._connect()
        _open[self._url] = self

    def _connect(self) -> _Connection:
        conn = _Connection(self._url, self._timeout)
        conn.listeners = self._listeners  # kept across reconnections
        try:
            conn.run(conn.open())
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _live(self) -> _Connection:
        """The connection, opened again if it dropped."""
        conn = self._conn
        if conn is None or conn.closed:
            if conn is not None:
                conn.close()
            conn = self._connect()
        return conn

    def _send(self, type_: str, **fields: Any) -> dict[str, Any]:
        conn = self._live()
        message = {"type": type_, **{k: v for k, v in fields.items() if v is not None}}
        return conn.run(conn.request(message))  # type: ignore[no-any-return]

    def send(self, message: protocol.ClientMessage) -> dict[str, Any]:
        """Send one client protocol message (a dataclass of
        :mod:`jupyter_classroom.protocol.messages`) and wait for its reply;
        raise :class:`ClassroomRefused` when the classroom refuses it."""
        data = protocol.to_dict(message)
        data.pop("id", None)  # the connection numbers its own requests
        conn = self._live()
        return conn.run(conn.request(data))  # type: ignore[no-any-return]

    def close(self) -> None:
        """Leave the classroom (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        conn = self._conn
        if conn is None:
            return "<Classroom (closed)>"
        with conn.lock:
            people = sum(1 for pid in conn.participants if pid != conn.you)
            hands = len(conn.state.get("hands", []))
        return f"<Classroom at {_redact(self._url)}: {people} people, {hands} hands raised>"

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever someone joins, leaves or changes
        (room, hand, microphone...) or the class state changes. It runs on
        the connection's own thread: keep it short."""
        self._listeners.append(callback)

    def unwatch(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback`` (see :meth:`watch`)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def widget(self) -> Any:
        """A live panel for this notebook (ipywidgets): the roster with rooms
        and hands, and buttons for the instructor's powers."""
        from .widget import ClassroomWidget

        return ClassroomWidget(self)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        try:
            panel = self.widget()
        except ImportError:  # no ipywidgets: the summary line
            print(repr(self))
            return
        display(panel)

    # -- reading ------------------------------------------------------------------------

    def _people(self) -> list[dict[str, Any]]:
        conn = self._live()
        with conn.lock:
            return [dict(p) for pid, p in conn.participants.items() if pid != conn.you]

    @property
    def me(self) -> dict[str, Any]:
        """The notebook's own participant record (its ``role`` says what it may do)."""
        conn = self._live()
        with conn.lock:
            return dict(conn.participants[conn.you])  # type: ignore[index]

    @property
    def roster(self) -> Any:
        """Everyone in the classroom: one record each (a DataFrame with pandas)."""
        return _table(
            [{k: p.get(k) for k in ROSTER_COLUMNS} for p in self._people()], ROSTER_COLUMNS
        )

    @property
    def hands(self) -> Any:
        """Raised hands in the order raised (a DataFrame with pandas)."""
        conn = self._live()
        with conn.lock:
            order = list(conn.state.get("hands", []))
            people = dict(conn.participants)
        records = [
            {
                "id": pid,
                "user": people[pid]["user"],
                "name": people[pid]["name"],
                "room": people[pid].get("room"),
            }
            for pid in order
            if pid in people
        ]
        return _table(records, ["id", "user", "name", "room"])

    @property
    def rooms(self) -> Any:
        """The map's rooms: who is in each, capacity, locked (a DataFrame with pandas)."""
        conn = self._live()
        with conn.lock:
            locked = set(conn.state.get("locked_rooms", []))
            rooms = list(conn.rooms)
            people = [p for pid, p in conn.participants.items() if pid != conn.you]
        records = [
            {
                "id": r["id"],
                "name": r["name"],
                "kind": r["kind"],
                "capacity": r.get("capacity"),
                "locked": r["id"] in locked,
                "people": [p["name"] for p in people if p.get("room") == r["id"]],
            }
            for r in rooms
        ]
        return _table(records, ["id", "name", "kind", "capacity", "locked", "people"])

    @property
    def announcement(self) -> str | None:
        """The current announcement's text (None: none)."""
        conn = self._live()
        with conn.lock:
            a = conn.state.get("announcement")
        return a["text"] if a else None

    @property
    def locks(self) -> dict[str, bool]:
        """What is locked for students: ``mic``, ``camera``, ``screen``, ``chat``."""
        conn = self._live()
        with conn.lock:
            return dict(conn.state.get("locks", {}))

    @property
    def breakout(self) -> dict[str, Any] | None:
        """The breakouts in progress (mode, tables, seconds left), or None."""
        conn = self._live()
        with conn.lock:
            b = conn.state.get("breakout")
        return dict(b) if b else None

    # -- whom a command is about ------------------------------------------------------------

    def _ids(self, who: str | Iterable[str] | None) -> list[str] | None:
        """Participant ids from ids or usernames (None stays None: everyone)."""
        if who is None:
            return None
        wanted = [who] if isinstance(who, str) else list(who)
        people = self._people()
        ids: list[str] = []
        for w in wanted:
            found = [p["id"] for p in people if p["id"] == w] or [
                p["id"] for p in people if p["user"] == w
            ]
            if not found:
                raise ClassroomRefused(
                    protocol.ErrorCode.UNKNOWN_PARTICIPANT.value,
                    f"Nobody in the classroom is called {w!r}.",
                )
            ids += found
        return ids

    # -- the instructor's commands ----------------------------------------------------------

    def announce(self, text: str | None) -> None:
        """Show ``text`` to everyone as a banner, kept for late joiners (None or "": clear it)."""
        self._send("announce", text=text or None)

    def clear_announcement(self) -> None:
        self.announce(None)

    def lower_hand(self, who: str) -> None:
        """Lower the hand of ``who`` (a username or participant id)."""
        for pid in self._ids(who) or []:
            self._send("lower_hand", participant=pid)

    def lower_hands(self) -> None:
        """Lower every raised hand."""
        self._send("lower_hand")

    def mute(self, who: str) -> None:
        """Turn off the microphone of ``who`` (a username or participant id)."""
        for pid in self._ids(who) or []:
            self._send("mute", participant=pid)

    def mute_all(self) -> None:
        """Turn off every student's microphone (they may turn it on again unless locked)."""
        self._send("mute")

    def lock(
        self, *, mic: bool = False, camera: bool = False, screen: bool = False, chat: bool = False
    ) -> None:
        """Lock what is named for students, e.g. ``lock(mic=True, chat=True)``."""
        self._set_locks(True, mic=mic, camera=camera, screen=screen, chat=chat)

    def unlock(
        self, *, mic: bool = False, camera: bool = False, screen: bool = False, chat: bool = False
    ) -> None:
        """Unlock what is named, e.g. ``unlock(mic=True)``."""
        self._set_locks(False, mic=mic, camera=camera, screen=screen, chat=chat)

    def _set_locks(self, locked: bool, **named: bool) -> None:
        self._send("set_locks", **{k: locked for k, v in named.items() if v})

    def lock_room(self, room: str, locked: bool = True) -> None:
        """Keep students out of ``room`` (its id, e.g. ``"table-2"``); those inside stay."""
        self._send("lock_room", room=room, locked=locked)

    def unlock_room(self, room: str) -> None:
        self.lock_room(room, False)

    def summon(self, who: str | Iterable[str] | None = None, to: str = "stage") -> None:
        """Bring ``who`` (usernames or ids; None: every student) to ``"stage"``
        or next to you (``"me"``)."""
        if to not in ("stage", "me"):
            raise ValueError('to is "stage" or "me"')
        self._send("summon", to=to, participants=self._ids(who))

    def breakouts(
        self,
        groups_or_n: int | str | Iterable[Iterable[str]] | None = None,
        minutes: float | None = None,
    ) -> None:
        """Send students to tables: ``n`` (shuffled over n tables), a list of
        groups of usernames (a table each), ``"choose"`` (they pick), or None
        (shuffled over every table). ``minutes``: a timer, with a warning a
        minute before everyone comes back to the stage."""
        if groups_or_n is None:
            self._send("start_breakouts", mode="random", minutes=minutes)
        elif isinstance(groups_or_n, bool):
            raise TypeError(
                "breakouts() takes a number of tables, groups of usernames or 'choose'"
            )
        elif isinstance(groups_or_n, int):
            self._send("start_breakouts", mode="random", tables=groups_or_n, minutes=minutes)
        elif groups_or_n == "choose":
            self._send("start_breakouts", mode="choose", minutes=minutes)
        elif isinstance(groups_or_n, str):
            raise ValueError(
                "breakouts() takes a number of tables, groups of usernames or 'choose'"
            )
        else:
            groups = [
                {"users": [groups] if isinstance(groups, str) else list(groups)}
                for groups in groups_or_n
            ]
            self._send("start_breakouts", mode="groups", groups=groups, minutes=minutes)

    def end_breakouts(self) -> None:
        """End the breakouts now: everyone comes back to the stage."""
        self._send("end_breakouts")

    @property
    def broadcasting(self) -> dict[str, Any] | None:
        """The broadcast running (``by``, ``floor``: participant ids), or None."""
        conn = self._live()
        with conn.lock:
            b = conn.state.get("broadcast")
        return dict(b) if b else None

    def broadcast(self, on: bool = True) -> None:
        """Start (or stop) speaking to the whole classroom: your voice, camera
        and screen reach everyone, at the tables and on the open floor. It is
        your classroom tab's media (open the classroom in JupyterLab first)."""
        self._send("broadcast", on=bool(on))

    def give_floor(self, who: str, on: bool = True) -> None:
        """Let ``who`` (a username or participant id) speak in the broadcast,
        or take the floor back (``on=False``)."""
        for pid in self._ids(who) or []:
            self._send("give_floor", participant=pid, on=bool(on))
