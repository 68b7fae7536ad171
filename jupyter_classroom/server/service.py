"""The classroom service: one classroom, its live connections and its history.

It runs the core's commands for the sessions, stores chat, applies every
command's effects in one place (:meth:`ClassroomService.apply`: the messages,
encoded once whoever they go to, then the rooms' media plan for the SFU) and
runs the position ticker that batches movement at a bounded rate.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import protocol
from ..classroom import Classroom, Effects, Identity, Outgoing, RoomMedia, TrackKey
from ..protocol import ErrorCode, ProtocolError
from ..sfu import Sfu, SfuSettings
from ..sfu.mixed import MixedRooms
from ..sfu.probe import UdpProbes
from ..sfu.relay import FrameSink, MediaRelay
from ..sfu.router import tile_sizes
from ..storage import ChatStore
from ..ticker import Ticker
from .commands import T, TeachingRule
from .invitations import InvitationDesk
from .session import ClassroomSession

log = logging.getLogger(__name__)


@dataclass
class Limits:
    """Per-connection limits enforced by sessions."""

    max_message_bytes: int = 16384
    messages_per_second: float = 30.0
    #: Bytes that may wait for a client that does not read (0: no limit).
    max_outbound_bytes: int = 4 << 20
    #: Connections one username may have in the classroom at once (0: no limit).
    max_connections_per_user: int = 3


#: What a page encodes of each video for the media socket until told otherwise.
_ALL_LAYERS = {
    protocol.FRAME_KIND_CAMERA: {protocol.FRAME_LAYER_SMALL, protocol.FRAME_LAYER_LARGE},
    protocol.FRAME_KIND_SCREEN: {protocol.FRAME_LAYER_LARGE},
}


class ClassroomService:
    def __init__(
        self,
        classroom: Classroom,
        store: ChatStore,
        limits: Limits | None = None,
        clock=time.monotonic,
        ice_servers: Callable[[Identity], list[protocol.IceServer]] = lambda identity: [],
        media: SfuSettings | None = None,
        media_unavailable: str | None = None,
    ) -> None:
        self.classroom = classroom
        self.store = store
        self.limits = limits or Limits(max_message_bytes=classroom.settings.max_message_bytes)
        self.clock = clock
        self.ice_servers = ice_servers
        #: Why rooms have no media although the configuration asked for it.
        self.media_unavailable = media_unavailable
        self.sessions: dict[str, ClassroomSession] = {}
        #: The rooms' conferences (None: this service has none).
        self.sfu = Sfu(self._send_to, media, clock) if media is not None else None
        #: Media frames over the media socket, where UDP does not pass.
        self.relay = MediaRelay(self._request_key_frame, clock=clock)
        #: The bridges between the two transports in rooms.
        self.mixed = (
            MixedRooms(self.sfu, self.relay, self._request_key_frame)
            if self.sfu is not None
            else None
        )
        if self.mixed is not None:
            self.relay.on_publish = self.mixed.publish
        self.relay.on_held = self._relay_held
        #: The rooms' media plan as the last change left it (None: not made yet).
        self._rooms: dict[str, RoomMedia] | None = None
        #: The layers of each video each page was told to encode (not there: all).
        self._layers_told: dict[tuple[str, int], set[int]] = {}
        #: Whether UDP passes again for those whose media goes through the server.
        self.probes = UdpProbes(self._send_to, media, clock) if media is not None else None
        #: The classroom-only invitations (None: this host makes none, as on a hub).
        self.invitations: InvitationDesk | None = None
        #: Each session's media-socket ticket (a new one at every welcome).
        self._tickets: dict[str, str] = {}
        # The mesh runs after each tick as an event of its own: at 500
        # people each takes a few milliseconds, and what else the event loop
        # has to do (a notebook's request, moves coming in) runs in between.
        self._ticker = Ticker(
            1.0 / classroom.settings.position_rate_hz,
            self.tick_positions,
            "the position ticker",
            on_late=self.loop_stalled,
            then=(self.tick_mesh, "the peer mesh"),
        )
        # When a tick last had something to send (see quiet_for).
        self._busy_at = clock()
        # Seconds the event loop could not run, in all (see loop_stalled).
        self._stalled = 0.0
        self._closed = False

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Start the position ticker (needs a running event loop)."""
        if not self._ticker.running and not self._closed:
            self._ticker.start()
            if self.sfu is not None:
                self.sfu.start()

    def tick(self) -> None:
        """A whole tick: positions and news, then the peer mesh."""
        self.tick_positions()
        self.tick_mesh()

    def tick_positions(self) -> None:
        """A tick without the peer mesh: the positions that changed, the
        news of connections dropped, reconnect graces over, the teaching
        tools' timers."""
        now = self.clock()
        effects = self.classroom.flush(now, mesh=False)
        if effects.messages:
            self._busy_at = now
        self.apply(effects)
        self.apply(self.classroom.expire(self.grace_clock()))
        self.apply(self.classroom.teaching.tick(now))

    def quiet_for(self) -> float:
        """Seconds since a tick last had positions (or news) to send."""
        return self.clock() - self._busy_at

    def tick_mesh(self) -> None:
        """The peer mesh after a tick: who calls whom on the open floor (and
        the bridges of mixed rooms whose publisher connected since)."""
        self.apply(self.classroom.flush_mesh(self.clock()))
        if self.mixed is not None and self.mixed.taps:
            self.mixed.tick()

    def loop_stalled(self, seconds: float) -> None:
        """The event loop could not run for ``seconds`` (the position ticker
        woke up that late). Nobody could be heard meanwhile, and those coming
        back may be waiting to be read: that time does not count towards
        anyone's reconnect grace."""
        if seconds > 0:
            self._stalled += seconds

    def grace_clock(self) -> float:
        """The clock the reconnect grace runs on: the service's clock, less
        the time the event loop was stalled. Sessions note on it when they
        last heard from their client."""
        return self.clock() - self._stalled

    async def close(self) -> None:
        """Close every session, stop the ticker, close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for session in list(self.sessions.values()):
            session.close(protocol.CLOSE_SERVER_SHUTDOWN, "server shutting down")
        self.sessions.clear()
        await self._ticker.stop()
        if self.mixed is not None:
            self.mixed.close()
        if self.probes is not None:
            await self.probes.close()
        if self.sfu is not None:
            await self.sfu.close()
        self.store.close()

    # -- delivery ------------------------------------------------------------

    def deliver(self, outgoing: Iterable[Outgoing]) -> None:
        sessions = self.sessions
        for out in outgoing:
            text = protocol.encode(out.message)
            if out.to is None:
                # (A copy: a session closed for being too slow leaves it.)
                for session in list(sessions.values()):
                    session.send_text(text)
                continue
            for pid in out.to:
                to = sessions.get(pid)
                if to is not None:
                    to.send_text(text)

    def apply(self, effects: Effects) -> None:
        """Carry out what a command changed: its messages, then (when the
        rooms' media plan changed) the SFU follows the new plan, then those
        who entered a room get its chat history."""
        self.deliver(effects.messages)
        if effects.media_changed or self._rooms is None:
            # Made once for the SFU, the relay, the bridges and shown reports.
            self._rooms = self.classroom.room_media()
        if effects.media_changed and self.sfu is not None:
            self.sfu.update(self.classroom.sfu_media(self._rooms))
        if effects.media_changed or any(
            isinstance(o.message, (protocol.PeerConnect, protocol.PeerDisconnect))
            for o in effects.messages
        ):
            self._update_relay(self._rooms)
        for pid, room in effects.entered.items():
            session = self.sessions.get(pid)
            if session is not None:
                self._send_room_history(session, room)

    def _send_to(self, pid: str, message: object) -> None:
        self.deliver([Outgoing(message, frozenset({pid}))])

    # -- the media socket ------------------------------------------------------

    def _update_relay(self, rooms: dict[str, RoomMedia]) -> None:
        classroom = self.classroom
        people = classroom.participants.values()
        numbers = {p.id: p.seq for p in people}
        relayed = classroom.relayed_media(rooms)
        self.relay.update(relayed, numbers, {p.id: p.room for p in people})
        if self.mixed is not None:
            transports = {p.id: p.transport for p in people}
            self.mixed.update(transports, numbers, rooms, relayed)
        self._update_layers()

    def _relay_held(self, pid: str, held: frozenset[TrackKey]) -> None:
        """Tell a page which videos the relay holds back for its socket's
        sake, so it can say why a picture stopped."""
        videos = [
            protocol.VideoKey(p, source) for p, source in sorted(held) if source != "microphone"
        ]
        self._send_to(pid, protocol.MediaHeld(videos))

    def _update_layers(self) -> None:
        """Tell each page that sends frames which layers of its videos
        someone watches (``media_layers``), when that changed: a video
        nobody watches is not encoded, nor a camera's large layer that only
        thumbnails show. A page is told within its session (a new one
        starts with all)."""
        told = self._layers_told
        for key in [k for k in told if k[0] not in self.sessions]:
            del told[key]
        for pid in self.relay.sinks:
            if pid not in self.sessions:
                continue
            for kind, every in _ALL_LAYERS.items():
                track = (pid, protocol.SOURCE_OF_KIND[kind])
                layers = self.relay.watched_layers(track)
                if self.mixed is not None and self.mixed.bridged(track):
                    layers.add(protocol.FRAME_LAYER_LARGE)
                if layers != told.get((pid, kind), every):
                    told[(pid, kind)] = layers
                    self._send_to(pid, protocol.MediaLayers(kind=kind, layers=sorted(layers)))

    def media_socket(self, ticket: str, username: str) -> str | None:
        """The participant whose live session gave ``ticket`` to ``username``
        (None: no such session now)."""
        for pid, given in self._tickets.items():
            if secrets.compare_digest(given, ticket):
                session = self.sessions.get(pid)
                if session is not None and session.identity.username == username:
                    return pid
                return None
        return None

    def media_opened(self, pid: str, sink: FrameSink) -> None:
        self.relay.attach(pid, sink)
        self._update_layers()

    def media_closed(self, pid: str, sink: FrameSink) -> None:
        self.relay.detach(pid, sink)
        self._update_layers()

    def _request_key_frame(self, sender: str, kind: int, layer: int) -> None:
        """Someone waits for a key frame of ``sender``'s: from their page if
        it sends frames, from their WebRTC track if it is bridged."""
        if sender in self.relay.sinks:
            self._send_to(sender, protocol.KeyFrameRequest(kind=kind, layer=layer))
        if self.sfu is not None:
            producer = self.sfu.producer((sender, protocol.SOURCE_OF_KIND[kind]))
            if producer is not None:
                producer.keyframe_wanted()

    # -- commands from sessions ---------------------------------------------

    def join(
        self,
        session: ClassroomSession,
        resume: str | None,
        request_id: int | None,
        media: bool = False,
        name: str | None = None,
        color: str | None = None,
        restore: protocol.Restore | None = None,
        observer: bool = False,
    ) -> None:
        try:
            self.start()  # a host that did not start the ticker still gets positions
        except RuntimeError:
            pass  # no event loop: whoever drives this service calls tick() itself
        classroom = self.classroom
        if observer:
            self._observe(session, request_id)
            return
        effects = classroom.join(
            session.identity,
            self.clock(),
            resume,
            media=media and self.sfu is not None,
            name=name,
            color=color,
            restore=restore,
        )
        participant = effects.participant
        assert participant is not None
        previous = self.sessions.get(participant.id)
        if previous is not None and previous is not session:
            # A half-open connection: the new one takes the participant over
            # (and, through the new session's generation in the plan, a room
            # connection of its own).
            previous.pid = None
            previous.close(protocol.CLOSE_REPLACED, "replaced by a newer connection")
        session.pid = participant.id
        self.sessions[participant.id] = session
        self._layers_told.pop((participant.id, protocol.FRAME_KIND_CAMERA), None)
        self._layers_told.pop((participant.id, protocol.FRAME_KIND_SCREEN), None)
        welcome = classroom.welcome(
            participant.id,
            request_id,
            self.ice_servers(session.identity),
            room_media=self.sfu is not None,
        )
        welcome.config.room_media_unavailable = self.media_unavailable
        welcome.classroom = classroom.teaching.state(self.clock())
        welcome.media_ticket = self._tickets[participant.id] = secrets.token_urlsafe(24)
        session.send(welcome)
        self._send_history(session)
        self.apply(effects)

    def _observe(self, session: ClassroomSession, request_id: int | None) -> None:
        """An observer joins: the classroom as its user sees it, and nobody is told."""
        classroom = self.classroom
        o = classroom.observe(session.identity)
        session.pid, session.observer = o.id, True
        self.sessions[o.id] = session
        welcome = classroom.welcome(o.id, request_id)
        welcome.classroom = classroom.teaching.state(self.clock())
        session.send(welcome)

    @property
    def online(self) -> int:
        """Participants connected now (observers are not people in the room)."""
        return len(self.sessions) - len(self.classroom.observers)

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
            protocol.ChatHistory(
                channel="room", room=room, messages=self.store.recent_room(room, n)
            )
        )

    def move(self, session: ClassroomSession, x: float, y: float) -> None:
        pid = session.pid
        assert pid is not None
        try:
            effects = self.classroom.move(pid, x, y, self.clock())
        except Exception:
            self.apply(self.classroom.correction(pid))
            raise
        self.apply(effects)

    def set_presence(
        self,
        session: ClassroomSession,
        *,
        status: protocol.Status | None = None,
        hand: bool | None = None,
        mic: bool | None = None,
        camera: bool | None = None,
        screen: bool | None = None,
        transport: protocol.Transport | None = None,
    ) -> None:
        assert session.pid is not None
        self.apply(
            self.classroom.set_presence(
                session.pid,
                status=status,
                hand=hand,
                mic=mic,
                camera=camera,
                screen=screen,
                transport=transport,
                now=self.clock(),
            )
        )

    def teach(self, session: ClassroomSession, message: T, rule: TeachingRule[T]) -> None:
        """An instructor's command, by its rule (the core refuses it from a student)."""
        pid = session.pid
        assert pid is not None
        self.apply(rule(self.classroom.teaching, pid, message, self.clock()))

    def set_profile(self, session: ClassroomSession, name: str | None, color: str | None) -> None:
        assert session.pid is not None
        self.apply(self.classroom.set_profile(session.pid, name, color))

    def chat(
        self, session: ClassroomSession, channel: str, text: str, to: str | None
    ) -> int | None:
        """Send a chat message; returns its id when it is kept."""
        assert session.pid is not None
        effects = self.classroom.chat(session.pid, channel, text, to, time.time())
        if effects.store is not None:
            effects.store.id = self.store.add(effects.store)
        self.apply(effects)
        return effects.store.id if effects.store is not None else None

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

    def shown(self, session: ClassroomSession, message: protocol.Shown) -> None:
        """The room's videos ``session`` shows, whichever way its media comes:
        the SFU's connection, or the media socket (the relay)."""
        pid = session.pid
        assert pid is not None
        sizes = tile_sizes(message.tiles, message.id)
        if pid in self.relay.sinks:
            rooms = self._rooms if self._rooms is not None else self.classroom.room_media()
            media = rooms.get(pid)
            covered = media.tracks if media is not None else frozenset()
            self.relay.set_shown(pid, covered, sizes)
        elif self.sfu is None:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, "This server has no room conferences.", message.id
            )
        if self.sfu is not None:
            self.sfu.set_shown(pid, message.tiles, message.id)
        self._update_layers()

    def udp_probe(self, session: ClassroomSession, message: protocol.UdpProbe) -> None:
        assert session.pid is not None
        self._require_probes(message.id).request(session.pid, message.id)

    def udp_probe_answer(
        self, session: ClassroomSession, message: protocol.UdpProbeAnswer
    ) -> None:
        assert session.pid is not None
        self._require_probes(message.id).answer(
            session.pid, message.probe, message.description, message.id
        )

    def _require_probes(self, request_id: int | None) -> UdpProbes:
        if self.probes is None:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, "This server makes no WebRTC connections.", request_id
            )
        return self.probes

    def _require_sfu(self, request_id: int | None) -> Sfu:
        if self.sfu is None:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, "This server has no room conferences.", request_id
            )
        return self.sfu

    def connections_of(self, username: str, resume: str | None = None) -> int:
        """Live connections of ``username``, not counting the one ``resume`` takes over."""
        replaced = next(
            (
                p.id
                for p in self.classroom.participants.values()
                if resume is not None and p.resume == resume
            ),
            None,
        )
        return sum(
            1
            for pid, s in self.sessions.items()
            if s.identity.username == username and pid != replaced
        )

    def connection_lost(
        self,
        session: ClassroomSession,
        clean: bool,
        seen: float | None = None,
        going_away: bool = False,
    ) -> None:
        """A session's connection ended: cleanly (the participant leaves) or
        not (they have the reconnect grace, counted from ``seen``, when the
        client was last heard from on :meth:`grace_clock`; None: now). A page
        ``going_away`` (closed or reloaded) is kept for ``reload_grace``."""
        pid = session.pid
        if pid is None or self.sessions.get(pid) is not session:
            return
        del self.sessions[pid]
        if self.classroom.observers.remove(pid):
            return  # it held nothing else
        self._tickets.pop(pid, None)
        if self.probes is not None:
            self.probes.forget(pid)
        sink = self.relay.sinks.get(pid)
        if sink is not None:
            sink.end(protocol.CLOSE_SESSION_ENDED, "the classroom session ended")
        reload_grace = self.classroom.settings.reload_grace if going_away else None
        if clean or reload_grace == 0:
            self.apply(self.classroom.leave(pid))
        else:
            self.apply(
                self.classroom.disconnect(
                    pid, self.grace_clock() if seen is None else seen, reload_grace
                )
            )
