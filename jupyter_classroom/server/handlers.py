"""The classroom WebSocket: a thin tornado shell around a session."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import struct
import time
import weakref
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.iostream import SSLIOStream, StreamClosedError
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol13

from ..classroom import Identity
from ..ticker import timing
from .mapfiles import MAX_IMAGE_BYTES, MapFiles, served_name
from .service import ClassroomService
from .session import ClassroomSession

AUTH_RESOURCE = "classroom"

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
_WRITES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writes] = weakref.WeakKeyDictionary()


def _writes() -> _Writes:
    loop = asyncio.get_running_loop()
    writes = _WRITES.get(loop)
    if writes is None:
        writes = _WRITES[loop] = _Writes()
    return writes


class ClassroomSocketMixin:
    """The transport half of a classroom WebSocket handler, whichever host
    authenticates it: hands frames to a :class:`ClassroomSession` and the
    session's messages to the socket. Mixed into a tornado
    ``WebSocketHandler``; the host calls :meth:`start_session` in ``open``."""

    session: ClassroomSession | None = None
    service: ClassroomService
    #: Messages for this socket not written yet: everything a pass of the
    #: event loop sends it goes out in one write, after that pass.
    _outbox: list[str] | None = None
    #: Jupyter's keep-alive closed the connection: the client stopped answering.
    _silent = False
    #: The sockets of this one's event loop waiting to be written.
    _writes: _Writes | None = None

    def start_session(self, service: ClassroomService, identity: Identity) -> None:
        self.service = service
        # Tornado keeps what the kernel would not take in the stream's write
        # buffer (one for the stream's life), which has no public accessor
        # for its size. The session asks for it at every message it sends:
        # once the socket is open, straight from the buffer.
        stream = getattr(self.ws_connection, "stream", None)
        buffer = getattr(stream, "_write_buffer", None)
        buffered = buffer.__len__ if buffer is not None else self._buffered
        self.session = ClassroomSession(service, identity, self._send, self._close, buffered=buffered)

    def get_websocket_protocol(self) -> WebSocketProtocol13 | None:
        protocol = super().get_websocket_protocol()
        if isinstance(protocol, WebSocketProtocol13):
            protocol.__class__ = _ClassroomProtocol
        return protocol

    def _buffered(self) -> int:
        """Bytes written to this socket that the client has not taken yet
        (when the stream's buffer was not there at the start: see
        start_session)."""
        stream = getattr(self.ws_connection, "stream", None)
        buffer = getattr(stream, "_write_buffer", None)
        return 0 if buffer is None else len(buffer)

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
            if isinstance(ws, _ClassroomProtocol):
                written = ws.write_texts(texts)
            else:  # pragma: no cover - tornado speaks only protocol 13
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
        # A client that sends is alive, whatever became of its last pong: the
        # ping may wait behind what is queued for it. Jupyter's keep-alive
        # only reads last_pong.
        self.last_pong = IOLoop.current().time()
        if self.session is not None:
            self.session.receive(message)

    def on_pong(self, data: bytes) -> None:
        super().on_pong(data)
        if self.session is not None:
            self.session.pong()

    def send_ping(self) -> None:
        # Jupyter's keep-alive closes a connection whose pongs stopped coming.
        ws = self.ws_connection
        open_before = ws is not None and not ws.server_terminated and not ws.client_terminated
        try:
            super().send_ping()
        except WebSocketClosedError:
            pass  # closing (say, too slow): Jupyter pings it anyway, and tornado refuses
        ws = self.ws_connection
        if open_before and (ws is None or ws.server_terminated):
            self._silent = True

    def on_close(self) -> None:
        if self.session is not None:
            self.session.connection_lost(self.close_code, silent=self._silent)


class ClassroomWebSocketHandler(
    ClassroomSocketMixin, WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler
):
    """``{base_url}classroom/ws``: one participant per connection."""

    auth_resource = AUTH_RESOURCE

    def initialize(
        self,
        name: str,
        service: ClassroomService,
        role_of: Any,
        named_by_host: Any = lambda user: True,
        **kwargs: Any,
    ) -> None:
        super().initialize(name, **kwargs)
        self.service = service
        self.role_of = role_of
        self.named_by_host = named_by_host

    def set_default_headers(self) -> None:
        """JupyterHandler's headers make no sense on a WebSocket upgrade."""

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def identity(self) -> Identity:
        # Everything but the username can be set by the user (PATCH /api/me):
        # Identity.from_host cleans it before anyone sees it.
        user = self.current_user
        return Identity.from_host(
            username=user.username,
            name=user.display_name or user.name or user.username,
            initials=user.initials,
            color=user.color,
            avatar_url=user.avatar_url,
            role=self.role_of(user),
            named_by_host=self.named_by_host(user),
        )

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self.start_session(self.service, self.identity())


class ClassroomConfigHandler(ExtensionHandlerMixin, APIHandler):
    """``{base_url}classroom/config``: where the page finds its classroom.

    ``{"hub_service_url": null}``: this server's own (``classroom/ws``);
    otherwise the URL path of the JupyterHub classroom service to join.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(self, name: str, hub_service_url: str, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.hub_service_url = hub_service_url

    @web.authenticated
    async def get(self) -> None:
        self.finish(json.dumps({"hub_service_url": self.hub_service_url or None}))


class MapServing:
    """Serving the map's document and images (mixed into a tornado handler);
    shared by this server's handlers and the JupyterHub service's."""

    files: MapFiles | None

    def _cache(self, etag: str) -> bool:
        """Set the validators; True when the browser's copy is current (304 sent)."""
        self.set_header("ETag", f'"{etag}"')  # type: ignore[attr-defined]
        self.set_header("Cache-Control", "private, no-cache")  # type: ignore[attr-defined]
        self.set_header("X-Content-Type-Options", "nosniff")  # type: ignore[attr-defined]
        if self.request.headers.get("If-None-Match", "") == f'"{etag}"':  # type: ignore[attr-defined]
            self.set_status(304)  # type: ignore[attr-defined]
            self.finish()  # type: ignore[attr-defined]
            return True
        return False

    def serve_map(self) -> None:
        """The map as browsers draw it (Tiled JSON, tilesets inlined, tile
        layers as arrays, image names to fetch)."""
        if self.files is None:
            raise web.HTTPError(404, "the classroom map could not be read")
        if self._cache(self.files.revision):
            return
        self.set_header("Content-Type", "application/json; charset=UTF-8")  # type: ignore[attr-defined]
        self.finish(self.files.body)  # type: ignore[attr-defined]

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
        self.set_header("Content-Type", image.content_type)  # type: ignore[attr-defined]
        self.finish(body)  # type: ignore[attr-defined]


class _MapHandler(MapServing, ExtensionHandlerMixin, JupyterHandler):
    """Shared by the map's handlers: authenticated, authorized to read the classroom."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, name: str, files: MapFiles | None, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.files = files

    async def prepare(self) -> None:  # type: ignore[override]
        await ensure_async(super().prepare())
        if self.current_user is None:
            raise web.HTTPError(403)
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        if self.files is None:
            raise web.HTTPError(404, "the classroom map could not be read")


class ClassroomMapHandler(_MapHandler):
    """``{base_url}classroom/map``: the map as browsers draw it."""

    def get(self) -> None:
        self.serve_map()


class ClassroomMapImageHandler(_MapHandler):
    """``{base_url}classroom/map/files/<name>``: one image the map names."""

    def get(self, name: str) -> None:
        self.serve_image(name)


class _ClassroomProtocol(WebSocketProtocol13):
    """Tornado's protocol with two changes.

    Tornado drops the TCP connection, without a close frame, on a text
    frame that is not UTF-8: the client would then take it for a network
    failure and its participant would linger as "reconnecting". Here the
    session answers and closes with 1007.

    :meth:`write_texts` writes several text frames at once. Tornado's
    ``write_message`` makes a task per message; a tick of a class of 500
    was spending more on those than on everything else it sends."""

    def write_texts(self, texts: list[str]) -> Any:
        """Send ``texts`` as text frames, in order, in one write: None when
        the kernel took all of it, else the stream's future for the rest.

        While the stream has nothing queued the frames go straight to the
        socket; only what the kernel does not take goes through the
        stream, which queues it and writes it when the socket is writable
        (so the order holds). The stream's own write costs a future and
        two callbacks per write, and is a third of a busy server's time at
        500 people."""
        if self._compressor is not None:
            frames = []
            for text in texts:
                data = self._compressor.compress(text.encode())
                frames.append(_header(0x80 | self.RSV1 | 0x1, len(data)) + data)
        else:
            frames = [_text_frame(text) for text in texts]
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        self._wire_bytes_out += len(data)
        stream = self.stream
        if not stream.writing() and not stream.closed() and not isinstance(stream, SSLIOStream):
            try:
                sent = stream.socket.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                sent = 0  # the stream's write below meets the error and closes
            if sent == len(data):
                return None
            data = data[sent:]
        return stream.write(data)

    def _handle_message(self, opcode: int, data: bytes) -> Any:
        if opcode == 0x1 and not self.client_terminated and not self._frame_compressed:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                handler = self.handler
                session = getattr(handler, "session", None)
                if session is not None:
                    session.invalid_frame()
                else:
                    self.close(1007, "invalid UTF-8")
                return None
        return super()._handle_message(opcode, data)


def _header(first: int, length: int) -> bytes:
    """A server frame's header (server frames are not masked, RFC 6455 5.1)."""
    if length < 126:
        return bytes((first, length))
    if length <= 0xFFFF:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


@functools.lru_cache(maxsize=64)
def _text_frame(text: str) -> bytes:
    """A whole text frame for ``text``. A batch of positions or a chat
    message goes to everyone: it is framed once (the cache's lookup of the
    very same string is by identity), not once per socket."""
    data = text.encode()
    return _header(0x81, len(data)) + data


def _ignore_closed(future: Any) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it
