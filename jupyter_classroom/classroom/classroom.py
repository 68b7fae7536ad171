"""The classroom: participants, movement, rooms, proximity and chat rules.

Pure state and rules. It takes commands (join, move, chat, ...) with the time
passed in, and returns their :class:`Effects` (the messages to send and to
whom, whether the rooms' media plan changed); the host does all I/O. A
refused command raises :class:`ClassroomError` and changes nothing.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Mapping

from .. import protocol
from ..protocol import ErrorCode

# One error type for every refusal; the core calls it by its own name.
from ..protocol import ProtocolError as ClassroomError
from . import chat, media_plan, placement
from .calls import call_messages, update_calls
from .effects import Effects, Outgoing
from .identity import Identity, check_colour, check_name
from .map import ClassroomMap, Room
from .media_plan import RoomMedia, TrackKey
from .news import News
from .observers import Actor, Observer, Observers, acting_as, audience
from .pairing import PeerMesh
from .participant import Names, Participant
from .proximity import Proximity
from .seats import Seating, settling
from .settings import ClassroomSettings
from .teaching import Teaching


class Classroom:
    """The state of one classroom."""

    def __init__(
        self,
        cmap: ClassroomMap,
        settings: ClassroomSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.map = cmap
        self.settings = settings or ClassroomSettings()
        self.rng = rng or random.Random()
        self.participants: dict[str, Participant] = {}
        #: Connections acting for someone without being on the map.
        self.observers = Observers()
        self._by_resume: dict[str, Participant] = {}
        self._names = Names()
        self._moved: set[str] = set()
        self._news = News(self.settings.reconnecting_deliveries_per_tick)
        self._seq = 0
        self._generation = 0
        #: Who is near whom (everyone has a slot there while they are here).
        self.proximity = Proximity(
            self.settings.proximity_radius, self.settings.proximity_drop_radius
        )
        self.mesh = PeerMesh(
            self.proximity, self.settings.max_mesh_degree, hold=self.settings.min_call_seconds
        )
        # The time of the last flush: calls that start are dated with it.
        self._now: float | None = None
        # People whose neighbours, position, room or connection changed since
        # the mesh was last brought up to date.
        self._mesh_dirty: set[str] = set()
        #: Who sits where at the tables.
        self.seating = Seating(cmap, self.settings.avatar_radius)
        #: The instructors' powers and what they set for the class.
        self.teaching = Teaching(self)

    # -- lookups ----------------------------------------------------------

    def get(self, pid: str) -> Participant:
        try:
            return self.participants[pid]
        except KeyError:
            raise ClassroomError(ErrorCode.UNKNOWN_PARTICIPANT, "No such participant.") from None

    def neighbours(self, pid: str) -> frozenset[str]:
        self.get(pid)
        return self.proximity.neighbours(pid)

    def members(self, room_id: str) -> frozenset[str]:
        return frozenset(p.id for p in self.participants.values() if p.room == room_id)

    def capacity(self, room_id: str) -> int | None:
        """How many people may be in a room (None: no limit)."""
        s = self.settings
        return placement.capacity(self.map, room_id, s.room_capacities, s.room_capacity)

    def map_info(self) -> protocol.MapInfo:
        """The map as clients see it, with the capacities in force."""
        info = self.map.info()
        info.rooms = [dataclasses.replace(r, capacity=self.capacity(r.id)) for r in info.rooms]
        return info

    def _others(self, pid: str) -> frozenset[str]:  # observers see the roster too
        return audience(self.participants, self.observers) - {pid}

    def _new_id(self) -> str:
        while True:
            pid = f"{self.rng.getrandbits(32):08x}"
            if not (pid in self.participants or pid in self._news.gone or pid in self.observers):
                return pid

    # -- joining and leaving ---------------------------------------------

    def join(
        self,
        identity: Identity,
        now: float,
        resume: str | None = None,
        media: bool = False,
        name: str | None = None,
        color: str | None = None,
        restore: protocol.Restore | None = None,
    ) -> Effects:
        """Add a participant, or bring back the one a resume token names
        (``Effects.participant``). ``media``: the client takes part in the
        rooms' conferences. ``name`` and ``color``: what the person chose,
        used when the host gives no name. ``restore``: what the client had
        before (after a server restart): its presence is taken back in any
        case, its place when the session is not resumed, if it could walk
        there now. Whatever of these is refused is told to the joiner as an
        error (``bad_name``, ``bad_color``, ``place_refused``); the join goes
        on without it."""
        notes: list[protocol.Error] = []
        if resume is not None and resume in self._by_resume:
            p = self._by_resume[resume]
            if p.identity.username == identity.username:
                before = self._media_key(p)
                out: list[Outgoing] = []
                if p.connection == "online" or p.id in self._news.dropped:
                    # Taking over a half-open connection: the new page has no
                    # calls. The old page's end (its peers are told) and the
                    # next flush pairs the new one.
                    # Coming back before the tick that was to end the calls
                    # of a connection dropped in a crowd: they end now.
                    self._alone(p)
                    mine = frozenset({p.id})  # the welcome says it all to p
                    out = [
                        Outgoing(o.message, o.to - mine)
                        for o in self._update_mesh()
                        if o.to is not None and o.to - mine
                    ]
                p.identity = identity  # the host's record may have changed
                p.media = media
                p.connection = "online"
                p.disconnected_at = None
                self.proximity.set_active(p.id, True)
                p.choose(name, color, notes)
                class_updates = (
                    self._restore_presence(p, restore, notes, now) if restore is not None else []
                )
                self._names.give(p)
                self._new_session(p)
                self._moved.add(p.id)  # recompute proximity on the next flush
                return Effects(
                    out
                    + [Outgoing(protocol.ParticipantUpdated(p.info()), self._others(p.id))]
                    + class_updates
                    + [Outgoing(note, frozenset({p.id})) for note in notes],
                    media_changed=self._media_key(p) != before,
                    participant=p,
                )
        if len(self.participants) >= self.settings.max_participants:
            raise ClassroomError(
                ErrorCode.CLASSROOM_FULL,
                f"The classroom is full ({self.settings.max_participants} participants).",
            )
        place = None
        if restore is not None:
            try:
                place = self._check_place(identity, restore.x, restore.y)
            except ClassroomError as e:
                notes.append(
                    protocol.Error(
                        code=ErrorCode.PLACE_REFUSED,
                        message=f"Your place from before could not be kept: {e.message} "
                        "You are at the entrance.",
                    )
                )
        if place is None:
            r = self.settings.avatar_radius
            place = self.map.spawn_point(r, ((q.x, q.y) for q in self.participants.values()))
        x, y = place
        self._seq += 1
        room = self.map.room_at(x, y)
        p = Participant(
            id=self._new_id(),
            identity=identity,
            name="",
            x=x,
            y=y,
            resume=secrets.token_urlsafe(18),
            seq=self._seq,
            room=room.id if room else None,
            moved_at=now,
            media=media,
        )
        self.seating.sit_at(p, room, x, y)  # back on their seat after a restart
        p.choose(name, color, notes)
        self._names.give(p)
        self._new_session(p)
        self.participants[p.id] = p
        self._by_resume[p.resume] = p
        self.proximity.add(p.id, p.x, p.y)
        self._mesh_dirty.add(p.id)
        self._moved.add(p.id)
        class_updates = (
            self._restore_presence(p, restore, notes, now) if restore is not None else []
        )
        return Effects(
            [Outgoing(protocol.ParticipantJoined(p.info()), self._others(p.id))]
            + class_updates
            + [Outgoing(note, frozenset({p.id})) for note in notes],
            media_changed=self._media_key(p) is not None,
            participant=p,
        )

    def _check_place(self, identity: Identity, x: float, y: float) -> tuple[float, float]:
        """Whether someone may be put at (x, y) at once: inside the map, clear
        of walls, not in a full room (instructors may always join)."""
        placement.check_spot(self.map, x, y, self.settings.avatar_radius)
        room = self.map.room_at(x, y)
        if room is not None:
            self._check_entry(room, identity.role)
        return x, y

    def _check_entry(self, room: Room, role: protocol.Role) -> None:
        """Refuse a student entering a full or locked room."""
        if role != "instructor":
            placement.check_room_space(room, self.capacity(room.id), len(self.members(room.id)))
            self.teaching.check_enter(room)

    def _restore_presence(
        self,
        p: Participant,
        restore: protocol.Restore,
        notes: list[protocol.Error],
        now: float,
    ) -> list[Outgoing]:
        """Take back what the client had, except what an instructor locked
        meanwhile (told as a note); a raised hand goes to the end of the queue."""
        raised = p.hand
        p.take_back(restore, self.teaching.check_presence, notes)
        return self.teaching.hand_changed(p, now) if p.hand != raised else []

    def _new_session(self, p: Participant) -> None:
        self._generation += 1
        p.generation = self._generation
        p.conference = p.room is not None

    def welcome(
        self,
        pid: str,
        request_id: int | None = None,
        ice_servers: list[protocol.IceServer] | None = None,
        room_media: bool = False,
    ) -> protocol.Welcome:
        """The joiner's first message: the whole classroom as it is now.

        A query, not a command: it changes nothing, so it has no effects."""
        o = self.observers.by_id.get(pid)
        p = self.get(pid) if o is None else None
        config = self.settings.client_config()
        config.room_media = room_media
        return protocol.Welcome(
            protocol=protocol.PROTOCOL_VERSION,
            you=pid,
            resume=p.resume if p is not None else "",
            map=self.map_info(),
            config=config,
            participants=[q.info() for q in self.participants.values()],
            ice_servers=list(ice_servers or []),
            id=request_id,
            naming=p is not None and p.naming,
            observer=o.info() if o is not None else None,
        )

    def observe(self, identity: Identity) -> Observer:
        """A connection acting for ``identity`` without being on the map (see
        :mod:`.observers`; ``observers.remove`` when it ends): nobody is told."""
        o = Observer(id=self._new_id(), identity=identity)
        self.observers.add(o)
        return o

    def actor(self, pid: str) -> Actor:
        """Who a command from ``pid`` comes from: the participant, or for an
        observer its user's participant on the map, else the observer."""
        o = self.observers.by_id.get(pid)
        return self.get(pid) if o is None else acting_as(o, self.participants.values())

    def disconnect(self, pid: str, seen: float, grace: float | None = None) -> Effects:
        """The connection dropped: keep the participant for a while, until
        ``reconnect_grace`` (or a shorter ``grace``: a page that went away)
        after ``seen``, when their client was last heard from (on the clock
        :meth:`expire` is given)."""
        p = self.participants.get(pid)
        if p is None or p.connection == "reconnecting":
            return Effects()
        before = self._media_key(p)
        p.connection = "reconnecting"
        p.disconnected_at, p.grace = seen, grace
        p.conference = False
        self._alone(p)
        if not self._news.now(pid, len(self.participants) - 1, left=False):
            # One of many at once: the next tick tells the others, ends the
            # calls and rescans the mesh for all of them together.
            return Effects(media_changed=before is not None)
        return Effects(
            [Outgoing(protocol.ParticipantUpdated(p.info()), self._others(pid))]
            + self._update_mesh(),
            media_changed=before is not None,
        )

    def leave(self, pid: str) -> Effects:
        """The participant is gone for good (they left, or never came back).
        Their calls end at once; the others hear of it at once too, unless
        this tick's budget of news is spent (a class leaving at the bell):
        then over the next ticks."""
        p = self.participants.pop(pid, None)
        if p is None:
            return Effects()
        self._by_resume.pop(p.resume, None)
        self._names.release(p)
        self.seating.stand(p)
        self._moved.discard(pid)
        self._news.dropped.pop(pid, None)
        self._mesh_dirty.discard(pid)
        out = call_messages(self.mesh.remove(pid), self.participants)
        self.proximity.remove(pid)
        if self._news.now(pid, len(self.participants), left=True):
            out.append(
                Outgoing(
                    protocol.ParticipantLeft(participant_id=pid),
                    audience(self.participants, self.observers),
                )
            )
        in_plan = self._media_key(p) is not None
        out += self.teaching.left(pid)  # may end a broadcast: in_plan is from before
        return Effects(out, media_changed=in_plan)

    def expire(self, now: float) -> Effects:
        """Those whose reconnect grace is over leave, all at once; the others
        hear of it within the budget of news (see :meth:`leave`)."""
        grace = self.settings.reconnect_grace
        effects = Effects()
        for p in list(self.participants.values()):
            kept = grace if p.grace is None else min(grace, p.grace)
            if p.disconnected_at is not None and now - p.disconnected_at >= kept:
                effects.add(self.leave(p.id))
        return effects

    # -- movement ------------------------------------------------------------

    def move(self, pid: str, x: float, y: float, now: float) -> Effects:
        """Walk to (x, y), if a walker could; entering a full room is refused."""
        p = self.get(pid)
        s = self.settings
        rate = s.speed * s.speed_tolerance
        room = self.map.room_at(x, y)
        room_id = room.id if room else None
        if p.seated_from is not None and settling(p, room_id, now):
            # Sent before they heard of their seat (or just after): they stay
            # on it, and are told again, so that a page that stopped walking
            # then does not stay somewhere else.
            return self.correction(pid)
        left = placement.check_walk(p, self.map, x, y, now, rate, s.walk_burst, s.avatar_radius)
        if room is not None and room_id != p.room:
            self._check_entry(room, p.identity.role)
        p.x, p.y, p.moved_at, p.walk_budget = x, y, now, left
        self._moved.add(pid)
        if self.seating.walked(p, room, room_id != p.room):
            return self.correction(pid).add(self._change_room(p, room_id))
        return self._change_room(p, room_id)

    def place(self, p: Participant, x: float, y: float, now: float) -> Effects:
        """Put ``p`` at (x, y) at once, whatever lies between (an instructor
        summoned them, or sent them to a table): they are told where they
        stand (a correction), everyone else sees it in the next positions
        batch. No rule is checked: the caller chose the spot."""
        p.x, p.y, p.moved_at, p.walk_budget, p.seated_from = x, y, now, None, None
        self._moved.add(p.id)
        room = self.map.room_at(x, y)
        self.seating.sit_at(p, room, x, y)
        return self.correction(p.id).add(self._change_room(p, room.id if room else None))

    def _change_room(self, p: Participant, room_id: str | None) -> Effects:
        """``p`` now stands in ``room_id`` (None: the open floor): everyone is
        told when that is another room, and the room they entered is noted
        (its chat history is theirs to read)."""
        if room_id == p.room:
            return Effects()
        before = self._media_key(p)
        p.room = room_id
        if room_id is not None:
            p.conference = True
        return Effects(
            [Outgoing(protocol.ParticipantUpdated(p.info()))],
            media_changed=self._media_key(p) != before,
            entered={} if room_id is None else {p.id: room_id},
        )

    def keep_room_connections(self) -> None:
        """Everyone online taking part in media keeps the room connection they
        have (a broadcast ended: the next broadcast or room needs no new one),
        as after standing in a room."""
        for p in self.participants.values():
            if p.media and p.connection == "online":
                p.conference = True

    def correction(self, pid: str) -> Effects:
        """Tell a participant where they really stand (after a refused move)."""
        fix = protocol.Positions(t=0.0, moves=[self.get(pid).position()], correction=True)
        return Effects([Outgoing(fix, frozenset({pid}))])

    def flush(self, now: float, mesh: bool = True) -> Effects:
        """The positions that changed since the last flush, then the news of
        dropped connections this tick has room for, then (unless ``mesh`` is
        false: a server runs it as an event of its own, see
        :meth:`flush_mesh`) the changes of the peer mesh."""
        self._now = now
        effects = Effects(
            self._news.flush(
                self.participants,
                self.settings.reconnecting_deliveries_per_tick,
                self.observers.ids,
            )
        ).add(self._flush_moves(now))
        if mesh:
            effects.add(self.flush_mesh(now))
        return effects

    def flush_mesh(self, now: float) -> Effects:
        """The peer mesh brought up to date, when anything it depends on
        changed: someone moved or their connection dropped since the last
        time, someone left (their peers have room), or calls whose hold
        ended (nobody moved)."""
        self._now = now
        if self._mesh_dirty or self.mesh.stale or self.mesh.due(now):
            return Effects(self._update_mesh())
        return Effects()

    def _flush_moves(self, now: float) -> Effects:
        moved = [self.participants[pid] for pid in self._moved if pid in self.participants]
        self._moved.clear()
        if not moved:
            return Effects()
        out = [
            Outgoing(
                protocol.Positions(t=round(now * 1000.0, 1), moves=[p.position() for p in moved])
            )
        ]
        place = self.proximity.place
        for p in moved:
            place(p.id, p.x, p.y)
        # Their neighbours, and maybe their room, changed.
        self.proximity.measure(p.id for p in moved if p.connection == "online")
        self._mesh_dirty.update(p.id for p in moved)
        return Effects(out)

    # -- rooms' conferences ---------------------------------------------------

    def room_media(self) -> dict[str, RoomMedia]:
        """The rooms' media plan (see :func:`media_plan.plan`): what the SFU follows."""
        t = self.teaching
        broadcast = t.broadcast_tracks() if t.broadcast is not None else None
        return media_plan.plan(self.participants.values(), broadcast)

    def sfu_media(self, rooms: Mapping[str, RoomMedia] | None = None) -> dict[str, RoomMedia]:
        """The part of the rooms' plan (``rooms``: it, made already) the SFU
        carries: those whose media travels over WebRTC. Whoever uses the
        media socket gets the room's tracks through the relay
        (:meth:`relayed_media`) and is offered no WebRTC connection (a UDP
        probe tells their page when UDP passes)."""
        people = self.participants
        rooms = self.room_media() if rooms is None else rooms
        return {pid: media for pid, media in rooms.items() if people[pid].transport == "webrtc"}

    def relayed_media(
        self, rooms: Mapping[str, RoomMedia] | None = None
    ) -> dict[str, frozenset[TrackKey]]:
        """What goes through the media socket (see :func:`media_plan.relayed`)."""
        rooms = self.room_media() if rooms is None else rooms
        return media_plan.relayed(self.participants, rooms, self.mesh.peers)

    def _media_key(self, p: Participant) -> tuple[object, ...] | None:
        """What of ``p`` the media plan depends on (None: not in the plan).
        A command changed the plan exactly when it changed this."""
        return media_plan.plan_key(p, self.teaching.broadcast is not None)

    # -- peer-to-peer mesh ---------------------------------------------------

    def paired(self, a: str, b: str) -> bool:
        """Whether the server told ``a`` and ``b`` to call each other."""
        return self.mesh.paired(a, b)

    def _update_mesh(self) -> list[Outgoing]:
        people = self.participants
        # Between ticks (a disconnect), the mesh measures the distances of
        # the people who moved since the last tick where they now stand; who
        # is near them is found at the next tick.
        for pid in self._moved:
            p = people.get(pid)
            if p is not None:
                self.proximity.place(pid, p.x, p.y)
                self._mesh_dirty.add(pid)
        dirty, self._mesh_dirty = self._mesh_dirty, set()
        return update_calls(self.mesh, people, dirty, self._now)

    def _alone(self, p: Participant) -> None:
        """``p`` is near nobody (their connection dropped or is replaced) until
        the next flush measures them again; their calls end at the next mesh
        update."""
        self.proximity.set_active(p.id, False)
        self._mesh_dirty.add(p.id)

    # -- presence ------------------------------------------------------------

    def set_presence(
        self,
        pid: str,
        *,
        status: protocol.Status | None = None,
        hand: bool | None = None,
        mic: bool | None = None,
        camera: bool | None = None,
        screen: bool | None = None,
        transport: protocol.Transport | None = None,
        now: float | None = None,
    ) -> Effects:
        """Change what a participant shows the others (None: unchanged).
        Turning on what an instructor locked is refused (``locked``)."""
        p = self.get(pid)
        self.teaching.check_presence(p, mic, camera, screen)
        before = self._media_key(p)
        raised = p.hand
        if not p.show(
            status=status, hand=hand, mic=mic, camera=camera, screen=screen, transport=transport
        ):
            return Effects()
        out = [Outgoing(protocol.ParticipantUpdated(p.info()))]
        if p.hand != raised:
            out += self.teaching.hand_changed(p, now)
        # The media socket's plan (``relayed``) reads the transport too.
        changed = self._media_key(p) != before or transport is not None
        return Effects(out, media_changed=changed)

    def set_profile(self, pid: str, name: str | None = None, color: str | None = None) -> Effects:
        """Change the name or colour a participant chose (None: unchanged).
        Refused (``name_from_host``) when the host names them, ``bad_name`` or
        ``bad_color`` for a value that cannot be used; nothing changes then."""
        p = self.get(pid)
        if not p.naming:
            raise ClassroomError(
                ErrorCode.NAME_FROM_HOST,
                "Your name and colour come from your account on this server: change them there.",
            )
        chosen_name = check_name(name) if name is not None else p.chosen_name
        chosen_color = check_colour(color) if color is not None else p.chosen_color
        if (chosen_name, chosen_color) == (p.chosen_name, p.chosen_color):
            return Effects()
        p.chosen_name, p.chosen_color = chosen_name, chosen_color
        self._names.give(p)
        return Effects([Outgoing(protocol.ParticipantUpdated(p.info()))])

    # -- chat ----------------------------------------------------------------

    def chat(self, pid: str, channel: str, text: str, to: str | None, now: float) -> Effects:
        """Check a chat message and address it (see :mod:`.chat`).
        ``Effects.store`` is the message when it is to be kept (the host
        stores it, which gives it its id, before delivering)."""
        p = self.actor(pid)
        if not isinstance(p, Participant):
            raise ClassroomError(
                ErrorCode.OBSERVER, "Chat from the classroom's panel: you are not on its map."
            )
        self.teaching.check_chat(p, channel, to)
        message, recipients, keep = chat.address(
            p,
            channel,
            text,
            to,
            now,
            max_length=self.settings.max_chat_length,
            people=self.participants,
            members=self.members,
            near=self.neighbours,
        )
        return Effects(
            [Outgoing(protocol.Chat(message), recipients)], store=message if keep else None
        )
