"""One participant's connection: limits, validation and dispatch.

The session knows nothing of tornado: it is given a ``send`` and a ``close``
callable, so tests drive it directly and the WebSocket handler stays thin.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..classroom import ClassroomError, Identity
from ..protocol import ErrorCode, ProtocolError
from .commands import COMMANDS

if TYPE_CHECKING:
    from .service import ClassroomService

log = logging.getLogger(__name__)

CLEAN_CLOSE_CODES = (1000,)
# A page going away (closed or reloaded: nobody can tell which): it is kept
# for ``reload_grace``, in case it is a reload.
GOING_AWAY = 1001

# Recognised without decoding: ``protocol.encode`` writes the type first.
_POSITIONS_PREFIX = '{"type":"positions",'
_LEFT_PREFIX = '{"type":"participant_left",'


@functools.lru_cache(maxsize=8)
def _batch(text: str) -> dict[str, Any]:
    """A batch of positions, read once for all the clients that are behind
    (the same string goes to everyone). Read only: held moves share it."""
    return json.loads(text)


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
        buffered: Callable[[], int] = lambda: 0,
    ) -> None:
        self.service = service
        self.identity = identity
        self._send = send
        self._close = close
        self.clock = clock
        #: Bytes sent to this client that it has not taken yet.
        self.buffered = buffered
        self.pid: str | None = None
        #: Joined as an observer (the notebook API): ``pid`` is the observer's.
        self.observer = False
        #: When the client was last heard from (a frame or a pong), on the
        #: service's grace clock.
        self.heard = service.grace_clock()
        self.closed = False
        self._lost = False
        self._leaving = False
        # Positions held back while the client is behind: the latest of each
        # participant, sent when it catches up.
        self._held_moves: dict[str, dict[str, Any]] = {}
        self._held_t = 0.0
        limits = service.limits
        self.bucket = TokenBucket(
            limits.messages_per_second, 2 * limits.messages_per_second, clock()
        )
        self._last_rate_error = -1.0e9

    # -- outbound ------------------------------------------------------------

    def send_text(self, text: str) -> None:
        """Send one encoded message, within the bound on what may wait for the client.

        Position batches are the bulk of the traffic: while the client is
        behind they are merged (the latest position of each participant) and
        sent once it catches up. Everything else counts towards
        ``max_outbound_bytes``; beyond it the client is closed with
        ``CLOSE_TOO_SLOW`` and comes back by resuming.
        """
        if self.closed:
            return
        queued = self.buffered()
        if not queued and not self._held_moves:
            # The client keeps up (nearly always): straight to the socket.
            limit = self.service.limits.max_outbound_bytes
            if not limit or len(text) <= limit:
                self._send(text)
                return
        behind = queued > 0
        if text.startswith(_POSITIONS_PREFIX) and (behind or self._held_moves):
            batch = _batch(text)
            if not batch.get("correction"):
                self._held_t = batch["t"]
                for move in batch["moves"]:
                    self._held_moves[move["id"]] = move
                if not behind:
                    self.drained()
                return
        if text.startswith(_LEFT_PREFIX) and self._held_moves:
            self._held_moves.pop(json.loads(text)["participant_id"], None)
        limit = self.service.limits.max_outbound_bytes
        if limit and queued + len(text) > limit:
            log.warning(
                "classroom: closing %s's connection: %d bytes wait for it, more than %d",
                self.identity.username,
                queued + len(text),
                limit,
            )
            self.close(protocol.CLOSE_TOO_SLOW, "too slow")
            # The closing handshake waits behind everything queued (seconds,
            # or never): the participant is reconnecting from now on.
            self.connection_lost(protocol.CLOSE_TOO_SLOW)
            return
        self._send(text)

    def drained(self) -> None:
        """The transport has sent everything queued: send the positions held back."""
        if self.closed or not self._held_moves or self.buffered() > 0:
            return
        moves = [
            protocol.Position(str(m["id"]), m["x"], m["y"]) for m in self._held_moves.values()
        ]
        self._held_moves = {}
        self._send(protocol.encode(protocol.Positions(t=self._held_t, moves=moves)))

    def send(self, message: object) -> None:
        self.send_text(protocol.encode(message))

    def error(self, code: ErrorCode, message: str, request_id: int | None = None) -> None:
        self.send(protocol.error(code, message, request_id))

    def close(self, code: int, reason: str) -> None:
        """Close from the server side (full, replaced, shutting down)."""
        if not self.closed:
            self.closed = True
            self._close(code, reason)

    def end(self, code: int, reason: str) -> None:
        """Close for good from the server side: the participant leaves at
        once, with no reconnect grace (their invitation ended)."""
        if self._lost:
            return
        self._leaving = True
        self.close(code, reason)
        self.connection_lost(code)

    # -- inbound -------------------------------------------------------------

    def receive(self, text: str | bytes) -> None:
        """Handle one inbound frame. Never raises: problems become error replies."""
        if self.closed:
            return
        self.heard = self.service.grace_clock()
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
        except ProtocolError as e:  # the decoder's, the core's and the SFU's refusals
            self.error(e.code, e.message, e.request_id if request_id is None else request_id)
        except Exception:
            log.exception("classroom: unexpected error handling a message")
            self.error(ErrorCode.INTERNAL, "The server failed to handle that message.", request_id)

    def _dispatch(self, message: protocol.ClientMessage) -> None:
        # The decoder builds only registered client messages.
        rule = COMMANDS[type(message)]
        if rule.joined and self.pid is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "Send 'join' first.", message.id)
        if self.observer and rule.joined and not rule.observer:
            raise ProtocolError(
                ErrorCode.OBSERVER,
                f"This connection observes the classroom: it cannot send '{message.type}'.",
                message.id,
            )
        result = rule.run(self, message)
        if rule.ack and message.id is not None:
            self.send(protocol.Ack(id=message.id, message_id=result))

    def join(self, message: protocol.Join) -> None:
        """The client's ``join``: checked here, carried out by the service."""
        if self.pid is not None:
            raise ProtocolError(
                ErrorCode.ALREADY_JOINED, "This connection has joined already.", message.id
            )
        if message.protocol != protocol.PROTOCOL_VERSION:
            self.error(
                ErrorCode.PROTOCOL_VERSION,
                f"This server speaks classroom protocol {protocol.PROTOCOL_VERSION}, "
                f"not {message.protocol}: reload the page.",
                message.id,
            )
            self.close(protocol.CLOSE_PROTOCOL_VERSION, "protocol version")
            return
        limit = self.service.limits.max_connections_per_user
        if limit and self.service.connections_of(self.identity.username, message.resume) >= limit:
            self.error(
                ErrorCode.TOO_MANY_CONNECTIONS,
                f"You are in the classroom {limit} times already (in other tabs or windows): "
                "close one of them to join here.",
                message.id,
            )
            self.close(protocol.CLOSE_TOO_MANY_CONNECTIONS, "too many connections")
            return
        try:
            self.service.join(
                self,
                message.resume,
                message.id,
                bool(message.media),
                name=message.name,
                color=message.color,
                restore=message.restore,
                observer=bool(message.observer),
            )
        except ClassroomError as e:
            self.error(e.code, e.message, message.id)
            if e.code == ErrorCode.CLASSROOM_FULL:
                self.close(protocol.CLOSE_CLASSROOM_FULL, "classroom full")

    def invalid_frame(self) -> None:
        """The client sent a text frame that is not UTF-8: it leaves, cleanly."""
        if self.closed:
            return
        self.error(
            ErrorCode.BAD_MESSAGE, "A text frame was not valid UTF-8: the connection is closed."
        )
        self._leaving = True
        self.close(protocol.CLOSE_INVALID_DATA, "invalid UTF-8")
        self.connection_lost(protocol.CLOSE_INVALID_DATA)

    def pong(self) -> None:
        """The client answered a keep-alive ping: it is alive."""
        self.heard = self.service.grace_clock()

    def connection_lost(self, code: int | None, silent: bool = False) -> None:
        """The transport closed (the page left, the network dropped, or the
        server closed it).

        The reconnect grace counts from the last sign of life: the end of
        the connection itself when the client's side ended it (a close, a
        reset: it was heard), or its last frame or pong when the server gave
        up on a client that had gone ``silent`` (the keep-alive timed out)."""
        if self._lost:
            return
        self._lost = True
        self.closed = True
        self._held_moves = {}
        if self.pid is not None:
            self.service.connection_lost(
                self,
                clean=self._leaving or code in CLEAN_CLOSE_CODES,
                seen=self.heard if silent else None,
                going_away=code == GOING_AWAY,
            )
