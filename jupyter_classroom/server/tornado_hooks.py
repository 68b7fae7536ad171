"""Every use of tornado's private internals, in one place.

The classroom's socket writes a pass of the event loop's messages to one
socket as one write of ready-made frames, straight to the kernel while
nothing is queued (tornado's ``write_message`` makes a task and a future per
message: a tick of a class of 500 spent more on those than on anything
else); it answers a text frame that is not UTF-8 with close code 1007
instead of tornado's silent drop of the connection; and it reads how many
bytes wait in the stream's write buffer, to hold back what a slow reader
cannot take.

These need tornado's private attributes, so tornado's range is pinned
(:data:`TORNADO_VERSIONS`, and in pyproject.toml) and
``tests/test_tornado_hooks.py`` checks each of them against the installed
tornado. Outside that range, or when one of them is missing, nothing is
hooked: messages go through ``write_message`` one by one, a broken frame
drops the connection as tornado does, and no write backlog is measured
(logged once as a warning).
"""

from __future__ import annotations

import functools
import logging
import struct
from collections.abc import Callable
from typing import Any

import tornado
from tornado.iostream import BaseIOStream, SSLIOStream
from tornado.websocket import WebSocketProtocol, WebSocketProtocol13

log = logging.getLogger(__name__)

#: The tornado versions whose internals were checked: from the first
#: (inclusive) to the second (exclusive), as (major, minor).
TORNADO_VERSIONS = ((6, 6), (6, 7))

#: The private attributes used, by class: checked at import (and by the tests).
PROTOCOL_INTERNALS = ("_compressor", "_wire_bytes_out", "_frame_compressed")
PROTOCOL_METHODS = ("_handle_message",)
STREAM_INTERNALS = ("_write_buffer",)


def check_tornado_version(version: tuple[int, ...] | None = None) -> None:
    """Refuse a tornado whose internals were not checked (RuntimeError)."""
    found = tuple(tornado.version_info[:2]) if version is None else tuple(version[:2])
    low, high = TORNADO_VERSIONS
    if not low <= found < high:
        raise RuntimeError(
            f"jupyterlab-classroom's socket hooks need tornado {low[0]}.{low[1]} to "
            f"{high[0]}.{high[1] - 1} (they use private internals); found {tornado.version}"
        )


def missing_internals() -> list[str]:
    """The internals this tornado lacks (empty: every one is there).

    The instance attributes are looked for in the source of the methods that
    set them, as no instance exists yet at import.
    """
    import inspect

    missing = []
    for name in PROTOCOL_METHODS:
        if not callable(getattr(WebSocketProtocol13, name, None)):
            missing.append(f"WebSocketProtocol13.{name}")
    if not isinstance(getattr(WebSocketProtocol13, "RSV1", None), int):
        missing.append("WebSocketProtocol13.RSV1")
    try:
        protocol_source = inspect.getsource(WebSocketProtocol13)
        stream_source = inspect.getsource(BaseIOStream)
    except (OSError, TypeError):
        return ["the source of tornado.websocket and tornado.iostream"]
    for name in PROTOCOL_INTERNALS:
        if f"self.{name}" not in protocol_source:
            missing.append(f"WebSocketProtocol13.{name}")
    for name in STREAM_INTERNALS:
        if f"self.{name} = " not in stream_source:
            missing.append(f"BaseIOStream.{name}")
    return missing


def _hookable() -> bool:
    try:
        check_tornado_version()
    except RuntimeError as e:
        log.warning("classroom: %s: sockets are written without hooks", e)
        return False
    missing = missing_internals()
    if missing:
        log.warning(
            "classroom: tornado %s lacks %s: sockets are written without hooks",
            tornado.version,
            ", ".join(missing),
        )
        return False
    return True


#: Whether the hooks are in use (checked once, at import).
HOOKED = _hookable()


def write_backlog(ws_connection: WebSocketProtocol | None) -> Callable[[], int] | None:
    """A function giving the bytes waiting in the socket's write buffer
    (what the client has not taken yet), or None where it cannot be read.

    Tornado keeps them in the stream's write buffer (one for the stream's
    life), which has no public accessor for its size.
    """
    if not HOOKED:
        return None
    stream = getattr(ws_connection, "stream", None)
    buffer = getattr(stream, "_write_buffer", None)
    if buffer is None:
        return None
    size: Callable[[], int] = buffer.__len__
    return size


def adopt(protocol: WebSocketProtocol | None) -> WebSocketProtocol | None:
    """The protocol a classroom socket speaks: tornado's, with
    :class:`ClassroomProtocol`'s changes where the hooks are in use."""
    if HOOKED and type(protocol) is WebSocketProtocol13:
        protocol.__class__ = ClassroomProtocol
    return protocol


class ClassroomProtocol(WebSocketProtocol13):
    """Tornado's protocol with two changes.

    Tornado drops the TCP connection, without a close frame, on a text
    frame that is not UTF-8: the client would then take it for a network
    failure and its participant would linger as "reconnecting". Here the
    handler's session answers and closes with 1007.

    :meth:`write_texts` writes several text frames at once."""

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
                frames.append(frame_header(0x80 | self.RSV1 | 0x1, len(data)) + data)
        else:
            frames = [text_frame(text) for text in texts]
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
                session = getattr(self.handler, "session", None)
                if session is not None:
                    session.invalid_frame()
                else:
                    self.close(1007, "invalid UTF-8")
                return None
        return super()._handle_message(opcode, data)


def frame_header(first: int, length: int) -> bytes:
    """A server frame's header (server frames are not masked, RFC 6455 5.1)."""
    if length < 126:
        return bytes((first, length))
    if length <= 0xFFFF:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


@functools.lru_cache(maxsize=64)
def text_frame(text: str) -> bytes:
    """A whole text frame for ``text``. A batch of positions or a chat
    message goes to everyone: it is framed once (the cache's lookup of the
    very same string is by identity), not once per socket."""
    data = text.encode()
    return frame_header(0x81, len(data)) + data
