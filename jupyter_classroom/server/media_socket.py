"""The transport half of a classroom's media socket (``classroom/media``),
whichever host authenticates it: binary media frames in from the page, to
the relay; the frames the relay forwards out to the page.

The page opens it with the ticket its session's welcome gave
(``?ticket=``), as the same user as that session: the socket then belongs to
that participant until the session ends. Text frames and frames that are not
media frames get an ``error`` (``bad_media_frame``) and the socket lives on.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys
import time
from typing import TYPE_CHECKING, Any

from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol

from .. import protocol
from ..protocol import ErrorCode
from ..protocol.frames import FrameError
from . import tornado_hooks
from .service import ClassroomService

log = logging.getLogger(__name__)

#: At most one error a second is said to a page that sends bad frames.
ERROR_INTERVAL = 1.0

if sys.platform == "linux":
    import fcntl
    import termios

    #: The ioctl giving a TCP socket's unacknowledged bytes (SIOCOUTQ).
    _OUTQ: int | None = termios.TIOCOUTQ
else:
    _OUTQ = None

if TYPE_CHECKING:
    _SocketBase = WebSocketHandler
else:
    _SocketBase = object


class MediaSocketMixin(_SocketBase):
    """Mixed into a tornado ``WebSocketHandler``; the host authenticates the
    user and calls :meth:`start_media` in ``open``."""

    media_service: ClassroomService | None = None
    media_pid: str | None = None
    _last_error = -1.0e9

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        return tornado_hooks.adopt(super().get_websocket_protocol())

    @property
    def max_message_size(self) -> int:
        return protocol.FRAME_HEADER_BYTES + protocol.FRAME_MAX_PAYLOAD_BYTES

    def start_media(self, service: ClassroomService, username: str) -> None:
        ticket = self.get_argument("ticket", "")
        pid = service.media_socket(ticket, username)
        if pid is None:
            self.close(
                protocol.CLOSE_BAD_TICKET,
                "no classroom session of yours gave this ticket: join the classroom again",
            )
            return
        self.media_service, self.media_pid = service, pid
        # Frames are written as they come, each due now: with Nagle's
        # algorithm (tornado leaves it on) a 100-byte audio frame written
        # behind a video frame not yet acknowledged waited for the viewer's
        # delayed ACK, ~20 ms, for one audio frame in ten.
        self.set_nodelay(True)
        service.media_opened(pid, self)

    # -- FrameSink ---------------------------------------------------------------

    def send_frame(self, frame: bytes) -> None:
        ws = self.ws_connection
        if ws is None or ws.is_closing():
            return
        try:
            future = self.write_message(frame, binary=True)
        except (StreamClosedError, WebSocketClosedError):
            return
        future.add_done_callback(_ignore_closed)

    def backlog(self) -> int:
        measure = tornado_hooks.write_backlog(self.ws_connection)
        waiting = 0 if measure is None else measure()
        stream = getattr(self.ws_connection, "stream", None)
        return waiting + kernel_backlog(getattr(stream, "socket", None))

    def end(self, code: int, reason: str) -> None:
        self.close(code, reason)

    # -- tornado ---------------------------------------------------------------

    def on_message(self, message: str | bytes) -> None:
        service, pid = self.media_service, self.media_pid
        if service is None or pid is None:
            return
        if isinstance(message, str):
            self._refuse("the media socket carries binary media frames only")
            return
        try:
            service.relay.receive(pid, message)
        except FrameError as e:
            self._refuse(str(e))

    def _refuse(self, why: str) -> None:
        now = time.monotonic()
        if now - self._last_error < ERROR_INTERVAL:
            return
        self._last_error = now
        error = protocol.Error(code=ErrorCode.BAD_MEDIA_FRAME, message=why)
        try:
            self.write_message(protocol.encode(error)).add_done_callback(_ignore_closed)
        except (StreamClosedError, WebSocketClosedError):
            pass

    def on_close(self) -> None:
        service, pid = self.media_service, self.media_pid
        self.media_service = self.media_pid = None
        if service is not None and pid is not None:
            service.media_closed(pid, self)
        ping = getattr(self, "ping_callback", None)
        if ping is not None:
            ping.stop()
            self.ping_callback = None


def kernel_backlog(sock: socket.socket | None) -> int:
    """Bytes in the kernel's send queue of ``sock`` that the peer has not
    acknowledged yet (Linux's ``SIOCOUTQ``); 0 where it cannot be read.

    Most of what a slow viewer has not taken waits there, not in tornado's
    buffer: the kernel grows a socket's send buffer by itself (to hundreds
    of kilobytes, up to ``net.ipv4.tcp_wmem``'s maximum), and tornado only
    keeps what the kernel refuses. Without it a viewer on a slow link was
    seconds behind before the relay saw anything waiting.
    """
    if sock is None or _OUTQ is None:
        return 0
    try:
        queued = fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0")
    except (OSError, ValueError):  # closed, or not a socket the ioctl knows
        return 0
    return int(struct.unpack("i", queued)[0])


def _ignore_closed(future: Any) -> None:
    if not future.cancelled():
        future.exception()
