"""The transport half of a classroom WebSocket, whichever host
authenticates it (this Jupyter server or the JupyterHub service), and the
serving of the map's files: tornado only, no host's handler stack."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol

from ..classroom import Identity
from ..ticker import timing
from . import tornado_hooks
from .mapfiles import MAX_IMAGE_BYTES, MapFiles, served_name
from .service import ClassroomService
from .session import ClassroomSession

log = logging.getLogger(__name__)

#: For benchmarks (as the ticker's timing): log each pass of writes' CPU time.
_TIMED = timing()


#: Sockets written in one callback, at most: a tick's writes to a class of
#: 500 (~15 µs each, most of it the kernel's) are split into a few callbacks,
#: so whatever else the event loop has to do (a notebook's request, the
#: moves coming in) runs in between rather than after all of them.
WRITE_SLICE = 128


class _Writes:
    """The sockets of one event loop with messages not written yet: one
    callback writes them (``WRITE_SLICE`` at a time), after the pass of the
    event loop that gave them their messages."""

    __slots__ = ("waiting",)

    def __init__(self) -> None:
        self.waiting: list[ClassroomSocketMixin] = []

    def add(self, handler: ClassroomSocketMixin) -> None:
        if not self.waiting:
            asyncio.get_running_loop().call_soon(self.write)
        self.waiting.append(handler)

    def write(self) -> None:
        started = time.thread_time() if _TIMED else 0.0
        waiting = self.waiting
        if len(waiting) > WRITE_SLICE:
            waiting, self.waiting = waiting[:WRITE_SLICE], waiting[WRITE_SLICE:]
            asyncio.get_running_loop().call_soon(self.write)
        else:
            self.waiting = []
        for handler in waiting:
            handler._flush()
        if _TIMED:
            took = (time.thread_time() - started) * 1e3
            log.info("classroom: writing to %d sockets took %.3f ms CPU", len(waiting), took)


#: Each event loop's sockets waiting to be written.
_WRITES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writes] = (
    weakref.WeakKeyDictionary()
)


def _writes() -> _Writes:
    loop = asyncio.get_running_loop()
    writes = _WRITES.get(loop)
    if writes is None:
        writes = _WRITES[loop] = _Writes()
    return writes


if TYPE_CHECKING:  # what the mixins are mixed into
    _SocketBase = WebSocketHandler
    _HandlerBase = web.RequestHandler
else:
    _SocketBase = _HandlerBase = object


class ClassroomSocketMixin(_SocketBase):
    """The transport half of a classroom WebSocket handler, whichever host
    authenticates it: hands frames to a :class:`ClassroomSession` and the
    session's messages to the socket. Mixed into a tornado
    ``WebSocketHandler``; the host calls :meth:`start_session` in ``open``."""

    session: ClassroomSession | None = None
    service: ClassroomService
    #: Messages for this socket not written yet: everything a pass of the
    #: event loop sends it goes out in one write, after that pass.
    _outbox: list[str] | None = None
    #: The host's keep-alive closed the connection: the client stopped answering.
    _silent = False
    #: The sockets of this one's event loop waiting to be written.
    _writes: _Writes | None = None

    def start_session(self, service: ClassroomService, identity: Identity) -> None:
        self.service = service
        # The session asks for the write backlog at every message it sends:
        # once the socket is open, straight from tornado's buffer.
        buffered = tornado_hooks.write_backlog(self.ws_connection) or self._buffered
        self.session = ClassroomSession(
            service, identity, self._send, self._close, buffered=buffered
        )

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        return tornado_hooks.adopt(super().get_websocket_protocol())

    def _buffered(self) -> int:
        """Bytes written to this socket that the client has not taken yet,
        when the buffer was not there at the start (0: unknown, without the
        hooks)."""
        backlog = tornado_hooks.write_backlog(self.ws_connection)
        return 0 if backlog is None else backlog()

    @property
    def max_message_size(self) -> int:
        # Tornado buffers a whole frame before the session sees it: refuse
        # (close 1009) frames far beyond the protocol limit, which the session
        # answers with a ``too_large`` error below that.
        return max(1 << 20, 8 * self.service.limits.max_message_bytes)

    def _send(self, text: str) -> None:
        # A tick hands one socket its positions, calls and news one by one;
        # they leave together, in order, as one write: one system call and
        # one future per socket and pass instead of per message.
        outbox = self._outbox
        if outbox is None:
            self._outbox = [text]
            writes = self._writes
            if writes is None:
                writes = self._writes = _writes()
            writes.add(self)
        else:
            outbox.append(text)

    def _flush(self) -> None:
        texts, self._outbox = self._outbox, None
        ws = self.ws_connection
        if not texts or ws is None or ws.is_closing():
            return
        try:
            if isinstance(ws, tornado_hooks.ClassroomProtocol):
                written = ws.write_texts(texts)
            else:  # without the hooks
                for text in texts:
                    written = self.write_message(text)
        except (StreamClosedError, WebSocketClosedError):
            return
        if written is None:
            # The kernel took it all at once.
            if self.session is not None:
                self.session.drained()
        else:
            # The peer may go away while the frames are queued: not an error.
            written.add_done_callback(self._written)

    def _written(self, future: Any) -> None:
        _ignore_closed(future)
        if self.session is not None:
            self.session.drained()

    def _close(self, code: int, reason: str) -> None:
        if self._outbox:
            self._flush()  # what was said before the close frame goes first
        self.close(code, reason)

    def on_message(self, message: str | bytes) -> None:
        if self.session is not None:
            self.session.receive(message)

    def on_pong(self, data: bytes) -> None:
        super().on_pong(data)
        if self.session is not None:
            self.session.pong()

    def on_close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.connection_lost(self.close_code, silent=self._silent)
        # Nothing keeps a closed socket alive: its handler and its session
        # refer to each other (a cycle only a full collection would free, and
        # the classroom runs those at quiet moments), and Jupyter's keep-alive
        # holds the handler until its next ping unless stopped.
        ping = getattr(self, "ping_callback", None)
        if ping is not None:
            ping.stop()
            self.ping_callback = None  # it holds our send_ping: a cycle


class MapServing(_HandlerBase):
    """Serving the map's document and images (mixed into a tornado handler);
    shared by this server's handlers and the JupyterHub service's."""

    files: MapFiles | None

    def _cache(self, etag: str) -> bool:
        """Set the validators; True when the browser's copy is current (304 sent)."""
        self.set_header("ETag", f'"{etag}"')
        self.set_header("Cache-Control", "private, no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")
        if self.request.headers.get("If-None-Match", "") == f'"{etag}"':
            self.set_status(304)
            self.finish()
            return True
        return False

    def serve_map(self) -> None:
        """The map as browsers draw it (Tiled JSON, tilesets inlined, tile
        layers as arrays, image names to fetch)."""
        if self.files is None:
            raise web.HTTPError(404, "the classroom map could not be read")
        if self._cache(self.files.revision):
            return
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self.files.body)

    def serve_image(self, name: str) -> None:
        """One image the map names, from the map's own folder; any other name is 404."""
        if self.files is None:
            raise web.HTTPError(404, "the classroom map could not be read")
        normal = served_name(name)
        image = self.files.image(normal) if normal is not None else None
        if image is None:
            raise web.HTTPError(404, "no such image in the classroom map")
        try:
            stat = image.path.stat()
            if stat.st_size > MAX_IMAGE_BYTES:
                raise web.HTTPError(404, "the image is too large to serve")
            if self._cache(f"{stat.st_mtime_ns:x}-{stat.st_size:x}"):
                return
            body = image.path.read_bytes()
        except OSError:
            raise web.HTTPError(404, "no such image in the classroom map") from None
        self.set_header("Content-Type", image.content_type)
        self.finish(body)


def _ignore_closed(future: Any) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it
