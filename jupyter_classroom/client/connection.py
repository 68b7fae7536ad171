"""The notebook's socket to the classroom, and the mirror of the classroom
kept from what the server sends, on an event loop of their own.

The kernel already runs an asyncio loop (the one executing the cell), so the
connection runs on a loop in a background thread and the facade waits for
its answers there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from .. import protocol
from .discovery import redact
from .errors import ClassroomForbidden, ClassroomRefused, ClassroomUnreachable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The messages that change what :meth:`Classroom.watch` listeners are told about.
CHANGES = frozenset(
    ("welcome", "participant_joined", "participant_updated", "participant_left", "class_updated")
)

#: The replies that answer a request (by its ``id``).
REPLIES = frozenset(("welcome", "ack", "error", "pong", "invitation", "invitations"))


def refusal(error: protocol.Error) -> ClassroomRefused:
    """The exception for an ``error`` reply."""
    code = error.code.value if isinstance(error.code, protocol.ErrorCode) else str(error.code)
    if code == protocol.ErrorCode.FORBIDDEN.value:
        return ClassroomForbidden(code, error.message)
    return ClassroomRefused(code, error.message)


def read_reply(m: dict[str, Any]) -> protocol.Ack | protocol.Pong | protocol.Error | None:
    """An ``ack``, ``pong`` or ``error`` reply as the protocol's message (None: another type)."""
    kind = m.get("type")
    if kind == "ack":
        return protocol.Ack(id=m["id"], message_id=m.get("message_id"))
    if kind == "pong":
        return protocol.Pong(t=m["t"], id=m.get("id"))
    if kind == "error":
        raw = m.get("code", "")
        try:
            code: Any = protocol.ErrorCode(raw)
        except ValueError:  # a newer server's code: kept as it is
            code = raw
        return protocol.Error(code=code, message=m.get("message", ""), id=m.get("id"))
    return None


class Connection:
    """The socket and the classroom's mirror, on a loop of their own."""

    def __init__(self, url: str, timeout: float, observer: bool = True) -> None:
        self.url = url
        self.timeout = timeout
        #: Join as an observer (see :class:`Classroom`), not a participant.
        self.observing = observer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="classroom-client", daemon=True
        )
        self.thread.start()
        self.ws: Any = None
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.you: str | None = None
        #: Who this connection acts for (it observes: it is not on the map);
        #: None before the welcome.
        self.observer: dict[str, Any] | None = None
        self.participants: dict[str, dict[str, Any]] = {}
        self.rooms: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.closed = False
        self.lock = threading.Lock()
        self._reader: asyncio.Future[None] | None = None
        #: Called (on this connection's thread) after who is here or the
        #: class state changed; positions alone do not count.
        self.listeners: list[Callable[[], None]] = []

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the connection's loop and wait for its result."""
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
        except Exception as e:  # refused, 403, 404, a name that does not resolve...
            raise ClassroomUnreachable(
                f"Cannot reach the classroom at {redact(self.url)}: {e}"
            ) from None
        self._reader = asyncio.ensure_future(self._read())
        await self.request(
            protocol.Join(
                protocol=protocol.PROTOCOL_VERSION,
                id=None,
                resume=None,
                media=False,
                name=None,
                color=None,
                restore=None,
                observer=self.observing or None,
            )
        )

    async def post(self, message: protocol.ClientMessage) -> None:
        """Send a client message the server answers only to refuse (its
        refusal, with no ``id`` to match, is not waited for)."""
        if self.ws is None or self.closed:
            raise ClassroomUnreachable("The connection to the classroom is closed.")
        try:
            await self.ws.write_message(protocol.encode(message))
        except Exception as e:
            raise ClassroomUnreachable(f"The connection to the classroom failed: {e}") from None

    async def request(self, message: protocol.ClientMessage) -> dict[str, Any]:
        """Send a client message (a protocol dataclass) and wait for its reply;
        an ``error`` reply raises :class:`ClassroomRefused`."""
        if self.ws is None or self.closed:
            raise ClassroomUnreachable("The connection to the classroom is closed.")
        rid = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self.waiting[rid] = future
        try:
            await self.ws.write_message(protocol.encode(protocol.with_id(message, rid)))
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
        answer = read_reply(reply)
        if isinstance(answer, protocol.Error):
            raise refusal(answer)
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
                self.observer = m.get("observer")
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
        if kind in CHANGES:
            for listener in list(self.listeners):
                try:
                    listener()
                except Exception:  # a listener's failure must not stop the mirror
                    log.exception("classroom: a listener failed")
        rid = m.get("id")
        if kind in REPLIES and rid in self.waiting:
            future = self.waiting[rid]
            if not future.done():
                future.set_result(m)

    def own(self) -> dict[str, Any]:
        """Who this connection acts as (``id``, ``user``, ``name``, ``role``):
        the observer's record (or, from a server that predates observers, the
        connection's own participant). Call it holding :attr:`lock`."""
        if self.observer is not None:
            return dict(self.observer)
        return dict(self.participants.get(self.you or "", {}))

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
