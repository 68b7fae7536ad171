"""One participant's connection: limits, validation and dispatch.

The session knows nothing of tornado: it is given a ``send`` and a ``close``
callable, so tests drive it directly and the WebSocket handler stays thin.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import protocol
from ..classroom import ClassroomError, Identity
from ..protocol import ErrorCode, ProtocolError

if TYPE_CHECKING:
    from .service import ClassroomService

log = logging.getLogger(__name__)

CLEAN_CLOSE_CODES = (1000, 1001)


class TokenBucket:
    """``rate`` messages a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ClassroomSession:
    """The protocol state of one connection."""

    def __init__(
        self,
        service: ClassroomService,
        identity: Identity,
        send: Callable[[str], None],
        close: Callable[[int, str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.identity = identity
        self._send = send
        self._close = close
        self.clock = clock
        self.pid: str | None = None
        self.closed = False
        limits = service.limits
        self.bucket = TokenBucket(limits.messages_per_second, 2 * limits.messages_per_second, clock())
        self._last_rate_error = -1.0e9

    # -- outbound ------------------------------------------------------------

    def send_text(self, text: str) -> None:
        if not self.closed:
            self._send(text)

    def send(self, message: object) -> None:
        self.send_text(protocol.encode(message))

    def error(self, code: ErrorCode, message: str, request_id: int | None = None) -> None:
        self.send(protocol.error(code, message, request_id))

    def close(self, code: int, reason: str) -> None:
        """Close from the server side (full, replaced, shutting down)."""
        if not self.closed:
            self.closed = True
            self._close(code, reason)

    # -- inbound -------------------------------------------------------------

    def receive(self, text: str | bytes) -> None:
        """Handle one inbound frame. Never raises: problems become error replies."""
        if self.closed:
            return
        now = self.clock()
        if not self.bucket.take(now):
            if now - self._last_rate_error >= 1.0:
                self._last_rate_error = now
                self.error(
                    ErrorCode.RATE_LIMITED,
                    "Too many messages: some were dropped. Slow down a little.",
                )
            return
        request_id = None
        # The limit is in bytes: measure the UTF-8 form, not the characters.
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        try:
            message = protocol.decode_client(data, self.service.limits.max_message_bytes)
            request_id = getattr(message, "id", None)
            self._dispatch(message)
        except ProtocolError as e:
            self.error(e.code, e.message, e.request_id if request_id is None else request_id)
        except ClassroomError as e:
            self.error(e.code, e.message, request_id)
        except Exception:
            log.exception("classroom: unexpected error handling a message")
            self.error(ErrorCode.INTERNAL, "The server failed to handle that message.", request_id)

    def _dispatch(self, message: protocol.ClientMessage) -> None:
        if isinstance(message, protocol.Join):
            self._join(message)
            return
        if isinstance(message, protocol.Ping):
            self.send(protocol.Pong(t=round(time.time() * 1000.0, 1), id=message.id))
            return
        if self.pid is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "Send 'join' first.", message.id)
        service = self.service
        if isinstance(message, protocol.Move):
            service.move(self, message.x, message.y)
        elif isinstance(message, protocol.SetPresence):
            service.set_presence(
                self,
                status=message.status,
                hand=message.hand,
                mic=message.mic,
                camera=message.camera,
                screen=message.screen,
            )
            if message.id is not None:
                self.send(protocol.Ack(id=message.id))
        elif isinstance(message, protocol.RelaySignal):
            service.relay_signal(self, message)
        elif isinstance(message, protocol.SfuAnswer):
            service.sfu_answer(self, message)
            if message.id is not None:
                self.send(protocol.Ack(id=message.id))
        elif isinstance(message, protocol.SfuCandidate):
            service.sfu_candidate(self, message)
        elif isinstance(message, protocol.ChatSend):
            message_id = service.chat(self, message.channel, message.text, message.to)
            if message.id is not None:
                self.send(protocol.Ack(id=message.id, message_id=message_id))

    def _join(self, message: protocol.Join) -> None:
        if self.pid is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "This connection has joined already.", message.id)
        if message.protocol != protocol.PROTOCOL_VERSION:
            self.error(
                ErrorCode.PROTOCOL_VERSION,
                f"This server speaks classroom protocol {protocol.PROTOCOL_VERSION}, "
                f"not {message.protocol}: reload the page.",
                message.id,
            )
            self.close(protocol.CLOSE_PROTOCOL_VERSION, "protocol version")
            return
        try:
            self.service.join(self, message.resume, message.id, bool(message.media))
        except ClassroomError as e:
            self.error(e.code, e.message, message.id)
            if e.code == ErrorCode.CLASSROOM_FULL:
                self.close(protocol.CLOSE_CLASSROOM_FULL, "classroom full")

    def connection_lost(self, code: int | None) -> None:
        """The transport closed (the page left, or the network dropped)."""
        was_closed = self.closed
        self.closed = True
        if self.pid is not None and not was_closed:
            self.service.connection_lost(self, clean=code in CLEAN_CLOSE_CODES)
