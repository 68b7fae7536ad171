"""The classroom service: one classroom, its live connections and its history.

It runs the core's commands for the sessions, stores chat, delivers every
outgoing message (encoded once, whoever it goes to) and runs the position
ticker that batches movement at a bounded rate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import protocol
from ..classroom import Classroom, Identity, Outgoing
from ..protocol import ErrorCode, ProtocolError
from ..sfu import Sfu, SfuSettings
from ..storage import ChatStore
from ..ticker import Ticker
from .session import ClassroomSession

log = logging.getLogger(__name__)


@dataclass
class Limits:
    """Per-connection limits enforced by sessions."""

    max_message_bytes: int = 16384
    messages_per_second: float = 30.0


class ClassroomService:
    def __init__(
        self,
        classroom: Classroom,
        store: ChatStore,
        limits: Limits | None = None,
        clock=time.monotonic,
        ice_servers: Callable[[Identity], list[protocol.IceServer]] = lambda identity: [],
        media: SfuSettings | None = None,
    ) -> None:
        self.classroom = classroom
        self.store = store
        self.limits = limits or Limits(max_message_bytes=classroom.settings.max_message_bytes)
        self.clock = clock
        self.ice_servers = ice_servers
        self.sessions: dict[str, ClassroomSession] = {}
        #: The rooms' conferences (None: this service has none).
        self.sfu = Sfu(self._send_to, media, clock) if media is not None else None
        self._ticker = Ticker(
            1.0 / classroom.settings.position_rate_hz, self.tick, "the position ticker"
        )
        self._closed = False

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Start the position ticker (needs a running event loop)."""
        if not self._ticker.running and not self._closed:
            self._ticker.start()
            if self.sfu is not None:
                self.sfu.start()

    def tick(self) -> None:
        now = self.clock()
        self.deliver(self.classroom.flush(now))
        expired = self.classroom.expire(now)
        if expired:
            self.deliver(expired)
            self._media_changed()

    async def close(self) -> None:
        """Close every session, stop the ticker, close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for session in list(self.sessions.values()):
            session.close(protocol.CLOSE_SERVER_SHUTDOWN, "server shutting down")
        self.sessions.clear()
        await self._ticker.stop()
        if self.sfu is not None:
            await self.sfu.close()
        self.store.close()

    # -- delivery ------------------------------------------------------------

    def deliver(self, outgoing: Iterable[Outgoing]) -> None:
        for out in outgoing:
            text = protocol.encode(out.message)
            targets = self.sessions.keys() if out.to is None else out.to
            for pid in list(targets):
                session = self.sessions.get(pid)
                if session is not None:
                    session.send_text(text)

    def _send_to(self, pid: str, message: object) -> None:
        self.deliver([Outgoing(message, frozenset({pid}))])

    def _media_changed(self) -> None:
        """Rooms, presence or connections changed: the conferences follow."""
        if self.sfu is not None:
            self.sfu.update(self.classroom.room_media())

    # -- commands from sessions ---------------------------------------------

    def join(
        self,
        session: ClassroomSession,
        resume: str | None,
        request_id: int | None,
        media: bool = False,
    ) -> None:
        try:
            self.start()  # a host that did not start the ticker still gets positions
        except RuntimeError:
            pass  # no event loop: whoever drives this service calls tick() itself
        classroom = self.classroom
        participant, out = classroom.join(
            session.identity, self.clock(), resume, media=media and self.sfu is not None
        )
        previous = self.sessions.get(participant.id)
        if previous is not None and previous is not session:
            # A half-open connection: the new one takes the participant over.
            previous.pid = None
            previous.close(protocol.CLOSE_REPLACED, "replaced by a newer connection")
            if self.sfu is not None:
                self.sfu.remove(participant.id)
        session.pid = participant.id
        self.sessions[participant.id] = session
        session.send(
            classroom.welcome(
                participant.id,
                request_id,
                self.ice_servers(session.identity),
                room_media=self.sfu is not None,
            )
        )
        self._send_history(session)
        self.deliver(out)
        self._media_changed()

    def _send_history(self, session: ClassroomSession) -> None:
        p = self.classroom.participants[session.pid]  # type: ignore[index]
        n = self.classroom.settings.history_size
        session.send(protocol.ChatHistory(channel="class", messages=self.store.recent_class(n)))
        if p.room is not None:
            self._send_room_history(session, p.room)
        for peer, messages in self.store.recent_direct(p.identity.username, n).items():
            session.send(protocol.ChatHistory(channel="direct", messages=messages, peer=peer))

    def _send_room_history(self, session: ClassroomSession, room: str) -> None:
        n = self.classroom.settings.history_size
        session.send(
            protocol.ChatHistory(channel="room", room=room, messages=self.store.recent_room(room, n))
        )

    def move(self, session: ClassroomSession, x: float, y: float) -> None:
        pid = session.pid
        assert pid is not None
        p = self.classroom.participants[pid]
        room_before = p.room
        try:
            out = self.classroom.move(pid, x, y, self.clock())
        except Exception:
            self.deliver([self.classroom.correction(pid)])
            raise
        self.deliver(out)
        if p.room != room_before:
            if p.room is not None:
                self._send_room_history(session, p.room)
            self._media_changed()

    def set_presence(self, session: ClassroomSession, **fields: object) -> None:
        assert session.pid is not None
        out = self.classroom.set_presence(session.pid, **fields)  # type: ignore[arg-type]
        self.deliver(out)
        if out and any(fields.get(k) is not None for k in ("mic", "camera", "screen")):
            self._media_changed()

    def chat(self, session: ClassroomSession, channel: str, text: str, to: str | None) -> int | None:
        assert session.pid is not None
        message, recipients, persist = self.classroom.chat(
            session.pid, channel, text, to, time.time()
        )
        if persist:
            message.id = self.store.add(message)
        self.deliver([Outgoing(protocol.Chat(message), recipients)])
        return message.id

    def relay_signal(self, session: ClassroomSession, message: protocol.RelaySignal) -> None:
        """Pass WebRTC signaling on, only between participants the server paired."""
        assert session.pid is not None
        if not self.classroom.paired(session.pid, message.to):
            raise ProtocolError(
                ErrorCode.NOT_PAIRED,
                "You are not connected to that participant: signaling refused.",
                message.id,
            )
        relayed = protocol.PeerSignal(
            sender=session.pid,
            description=message.description,
            candidate=message.candidate,
            sources=message.sources,
            call=message.call,
        )
        self.deliver([Outgoing(relayed, frozenset({message.to}))])

    def sfu_answer(self, session: ClassroomSession, message: protocol.SfuAnswer) -> None:
        assert session.pid is not None
        self._require_sfu(message.id).answer(
            session.pid, message.connection, message.description, message.id
        )

    def sfu_candidate(self, session: ClassroomSession, message: protocol.SfuCandidate) -> None:
        assert session.pid is not None
        self._require_sfu(message.id).candidate(
            session.pid, message.connection, message.candidate, message.id
        )

    def _require_sfu(self, request_id: int | None) -> Sfu:
        if self.sfu is None:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, "This server has no room conferences.", request_id
            )
        return self.sfu

    def connection_lost(self, session: ClassroomSession, clean: bool) -> None:
        pid = session.pid
        if pid is None or self.sessions.get(pid) is not session:
            return
        del self.sessions[pid]
        if self.sfu is not None:
            self.sfu.remove(pid)
        if clean:
            self.deliver(self.classroom.leave(pid))
        else:
            self.deliver(self.classroom.disconnect(pid, self.clock()))
        self._media_changed()
