"""The classroom: participants, movement, rooms, proximity and chat rules.

Pure state and rules. It takes commands (join, move, chat, ...) with the time
passed in, and returns their :class:`Effects` (the messages to send and to
whom, whether the rooms' media plan changed); the host does all I/O. A
refused command raises :class:`ClassroomError` and changes nothing.
"""

from __future__ import annotations

import dataclasses
import math
import random
import secrets
from dataclasses import dataclass

from .. import protocol
from ..protocol import ErrorCode
# One error type for every refusal; the core calls it by its own name.
from ..protocol import ProtocolError as ClassroomError
from .effects import Effects, Outgoing
from .identity import (
    Identity,
    check_colour,
    check_name,
    colour_of,
    distinct_name,
    initials_of,
    name_key,
)
from .map import ClassroomMap, Room
from .pairing import MeshChange, PeerMesh
from .proximity import Proximity
from .settings import ClassroomSettings
from .teaching import Teaching


#: A published track: (participant id, source).
TrackKey = tuple[str, protocol.TrackSource]


@dataclass(frozen=True)
class RoomMedia:
    """One participant's part in the rooms' conferences: the room they are in
    (None: on the open floor, keeping their room connection for the next
    room), what they receive there, and which of their sessions it is for."""

    room: str | None
    tracks: frozenset[TrackKey]
    #: Changes on every join and resume, so the SFU can tell a resumed
    #: session from the one it replaces and offer it a connection of its own.
    generation: int = 0


@dataclass(eq=False)
class Participant:
    id: str
    identity: Identity
    name: str
    x: float
    y: float
    resume: str
    seq: int
    room: str | None = None
    status: protocol.Status = "available"
    hand: bool = False
    mic: bool = False
    camera: bool = False
    screen: bool = False
    connection: protocol.Connection = "online"
    #: Whether the client takes part in the rooms' conferences.
    media: bool = False
    #: Reconnecting: when the client was last heard from (see ``disconnect``).
    disconnected_at: float | None = None
    #: Bumped (classroom-wide counter) on every join and resume.
    generation: int = 0
    #: Whether they stood in a room since their session began: their room
    #: connection is kept across the open floor until the session ends.
    conference: bool = False
    moved_at: float = 0.0
    #: Distance this participant may still walk at once (see ``walk_burst``),
    #: as of ``moved_at``; None until the first move.
    walk_budget: float | None = None
    #: The name and colour they chose (checked), used when the host gives
    #: no name.
    chosen_name: str | None = None
    chosen_color: str | None = None
    #: The name ``name`` was made from (before a number told it apart).
    base_name: str = ""

    @property
    def naming(self) -> bool:
        """Whether they may choose their own name and colour."""
        return not self.identity.named_by_host

    def wanted_name(self) -> str:
        """Their name before it is told apart from the others'."""
        if self.naming and self.chosen_name:
            return self.chosen_name
        return self.identity.name or self.identity.username

    def info(self) -> protocol.ParticipantInfo:
        ident = self.identity
        if self.naming and self.chosen_name:
            initials = initials_of(self.chosen_name)
        else:
            initials = ident.initials or initials_of(ident.name)
        colour = (self.chosen_color if self.naming else None) or ident.color
        return protocol.ParticipantInfo(
            id=self.id,
            user=ident.username,
            name=self.name,
            initials=initials,
            color=colour or colour_of(ident.username),
            role=ident.role,
            x=round(self.x, 1),
            y=round(self.y, 1),
            status=self.status,
            hand=self.hand,
            mic=self.mic,
            camera=self.camera,
            screen=self.screen,
            connection=self.connection,
            room=self.room,
            avatar_url=ident.avatar_url,
        )

    def position(self) -> protocol.Position:
        return protocol.Position(id=self.id, x=round(self.x, 1), y=round(self.y, 1))

    def sources(self) -> tuple[protocol.TrackSource, ...]:
        """The tracks this participant sends to the room: an unmuted microphone,
        a camera, a shared screen."""
        on = (("microphone", self.mic), ("camera", self.camera), ("screen_share", self.screen))
        return tuple(source for source, flag in on if flag)  # type: ignore[misc]


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
        self._by_resume: dict[str, Participant] = {}
        # Everyone's name, by name_key: who holds it.
        self._names: dict[str, str] = {}
        self._moved: set[str] = set()
        # Those whose connection dropped and whom the others have not been
        # told about yet (in order), and how many deliveries of such news
        # this tick still has (see ``reconnecting_deliveries_per_tick``).
        self._dropped: dict[str, None] = {}
        # Those who left and whom the others have not been told about yet.
        self._gone: dict[str, None] = {}
        self._drop_budget = self.settings.reconnecting_deliveries_per_tick
        self._seq = 0
        self._generation = 0
        #: Who is near whom (everyone has a slot there while they are here).
        self.proximity = Proximity(self.settings.proximity_radius, self.settings.proximity_drop_radius)
        self.mesh = PeerMesh(
            self.proximity, self.settings.max_mesh_degree, hold=self.settings.min_call_seconds
        )
        # The time of the last flush: calls that start are dated with it.
        self._now: float | None = None
        # People whose neighbours, position, room or connection changed since
        # the mesh was last brought up to date.
        self._mesh_dirty: set[str] = set()
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
        if room_id in s.room_capacities:
            # 0 means no limit, as for room_capacity: browsers read a capacity
            # of 0 as none, so a room the server kept shut would look open.
            return s.room_capacities[room_id] if s.room_capacities[room_id] > 0 else None
        room = self.map.rooms_by_id.get(room_id)
        if room is not None and room.capacity is not None:
            return room.capacity
        return s.room_capacity

    def map_info(self) -> protocol.MapInfo:
        """The map as clients see it, with the capacities in force."""
        info = self.map.info()
        info.rooms = [dataclasses.replace(r, capacity=self.capacity(r.id)) for r in info.rooms]
        return info

    def _others(self, pid: str) -> frozenset[str]:
        return frozenset(self.participants) - {pid}

    def _new_id(self) -> str:
        while True:
            pid = "%08x" % self.rng.getrandbits(32)
            if pid not in self.participants and pid not in self._gone:
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
                if p.connection == "online" or p.id in self._dropped:
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
                self._choose(p, name, color, notes)
                class_updates = (
                    self._restore_presence(p, restore, notes, now) if restore is not None else []
                )
                self._name(p)
                self._new_session(p)
                self._moved.add(p.id)  # recompute proximity on the next flush
                return Effects(
                    out
                    + [Outgoing(protocol.ParticipantUpdated(p.info()), self._others(p.id))]
                    + class_updates
                    + self._notes(p.id, notes),
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
        self._choose(p, name, color, notes)
        self._name(p)
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
            + self._notes(p.id, notes),
            media_changed=self._media_key(p) is not None,
            participant=p,
        )

    @staticmethod
    def _notes(pid: str, notes: list[protocol.Error]) -> list[Outgoing]:
        return [Outgoing(note, frozenset({pid})) for note in notes]

    def _choose(
        self, p: Participant, name: str | None, color: str | None, notes: list[protocol.Error]
    ) -> None:
        """Take the name and colour a joiner chose, if the host leaves them the
        choice (a host's name wins silently: the welcome says so)."""
        if not p.naming:
            return
        for value, check, attr in ((name, check_name, "chosen_name"), (color, check_colour, "chosen_color")):
            if value is None:
                continue
            try:
                setattr(p, attr, check(value))
            except ClassroomError as e:
                notes.append(protocol.Error(code=e.code, message=e.message))

    def _name(self, p: Participant) -> None:
        """Give ``p`` their name, told apart from everyone else's. A name kept
        from before (the same wanted name) keeps its number."""
        wanted = p.wanted_name()
        if wanted == p.base_name and p.name:
            return
        if p.name and self._names.get(name_key(p.name)) == p.id:
            del self._names[name_key(p.name)]
        p.base_name = wanted
        p.name = distinct_name(wanted, self._names)
        self._names[name_key(p.name)] = p.id

    def _check_place(self, identity: Identity, x: float, y: float) -> tuple[float, float]:
        """Whether someone may be put at (x, y) at once: inside the map, clear
        of walls, not in a full room (instructors may always join)."""
        r = self.settings.avatar_radius
        if not (math.isfinite(x) and math.isfinite(y)) or not (
            r <= x <= self.map.width - r and r <= y <= self.map.height - r
        ):
            raise ClassroomError(ErrorCode.OUT_OF_BOUNDS, "That position is outside the map.")
        if self.map.blocked(x, y, r):
            raise ClassroomError(ErrorCode.MOVE_BLOCKED, "A wall is in the way.")
        room = self.map.room_at(x, y)
        if room is not None and identity.role != "instructor":
            self._check_capacity(room)
            if room.id in self.teaching.locked_rooms:
                raise ClassroomError(
                    ErrorCode.ROOM_LOCKED, f"{room.name} is locked by the instructor."
                )
        return x, y

    def _check_capacity(self, room: Room) -> None:
        capacity = self.capacity(room.id)
        if capacity is not None and len(self.members(room.id)) >= capacity:
            people = "person" if capacity == 1 else "people"
            raise ClassroomError(
                ErrorCode.ROOM_FULL,
                f"{room.name} is full ({capacity} {people}): try another room.",
            )

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
        for name in ("status", "hand", "mic", "camera", "screen"):
            value = getattr(restore, name)
            if value is None:
                continue
            if name in ("mic", "camera", "screen") and value:
                try:
                    self.teaching.check_presence(
                        p, **{"mic": None, "camera": None, "screen": None, name: True}
                    )
                except ClassroomError as e:
                    notes.append(protocol.Error(code=e.code, message=e.message))
                    continue
            setattr(p, name, value)
        if p.hand != raised:
            return self.teaching.hand_changed(p, now)
        return []

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
        p = self.get(pid)
        config = self.settings.client_config()
        config.room_media = room_media
        return protocol.Welcome(
            protocol=protocol.PROTOCOL_VERSION,
            you=p.id,
            resume=p.resume,
            map=self.map_info(),
            config=config,
            participants=[q.info() for q in self.participants.values()],
            ice_servers=list(ice_servers or []),
            id=request_id,
            naming=p.naming,
        )

    def disconnect(self, pid: str, seen: float) -> Effects:
        """The connection dropped: keep the participant for a while, until
        ``reconnect_grace`` after ``seen``, when their client was last heard
        from (on the clock :meth:`expire` is given)."""
        p = self.participants.get(pid)
        if p is None or p.connection == "reconnecting":
            return Effects()
        before = self._media_key(p)
        p.connection = "reconnecting"
        p.disconnected_at = seen
        p.conference = False
        self._alone(p)
        cost = len(self.participants) - 1
        if self._dropped or cost > self._drop_budget:
            # One of many at once: the next tick tells the others, ends the
            # calls and rescans the mesh for all of them together.
            self._dropped[pid] = None
            return Effects(media_changed=before is not None)
        self._drop_budget -= cost
        return Effects(
            [Outgoing(protocol.ParticipantUpdated(p.info()), self._others(pid))] + self._update_mesh(),
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
        if self._names.get(name_key(p.name)) == pid:
            del self._names[name_key(p.name)]
        self._moved.discard(pid)
        self._dropped.pop(pid, None)
        self._mesh_dirty.discard(pid)
        out = self._mesh_messages(self.mesh.remove(pid))
        self.proximity.remove(pid)
        cost = len(self.participants)
        if self._dropped or self._gone or cost > self._drop_budget:
            self._gone[pid] = None
        else:
            self._drop_budget -= cost
            out.append(Outgoing(protocol.ParticipantLeft(participant_id=pid), frozenset(self.participants)))
        in_plan = self._media_key(p) is not None
        out += self.teaching.left(pid)  # may end a broadcast: in_plan is from before
        return Effects(out, media_changed=in_plan)

    def expire(self, now: float) -> Effects:
        """Those whose reconnect grace is over leave, all at once; the others
        hear of it within the budget of news (see :meth:`leave`)."""
        grace = self.settings.reconnect_grace
        effects = Effects()
        for p in list(self.participants.values()):
            if p.disconnected_at is not None and now - p.disconnected_at >= grace:
                effects.add(self.leave(p.id))
        return effects

    # -- movement ------------------------------------------------------------

    def move(self, pid: str, x: float, y: float, now: float) -> Effects:
        """Walk to (x, y), if a walker could; entering a full room is refused."""
        p = self.get(pid)
        s = self.settings
        r = s.avatar_radius
        if not (r <= x <= self.map.width - r and r <= y <= self.map.height - r):
            raise ClassroomError(ErrorCode.OUT_OF_BOUNDS, "That position is outside the map.")
        budget = self._walk_budget(p, now)
        step = math.hypot(x - p.x, y - p.y)
        if step > budget:
            raise ClassroomError(ErrorCode.MOVE_BLOCKED, "That is farther than you can walk in the time.")
        if not self.map.path_clear(p.x, p.y, x, y, r):
            raise ClassroomError(ErrorCode.MOVE_BLOCKED, "A wall is in the way.")
        room = self.map.room_at(x, y)
        room_id = room.id if room else None
        if room is not None and room_id != p.room and p.identity.role != "instructor":
            self._check_capacity(room)
        if room is not None and room_id != p.room:
            self.teaching.check_enter(p, room)
        p.x, p.y, p.moved_at, p.walk_budget = x, y, now, budget - step
        self._moved.add(pid)
        if room_id == p.room:
            return Effects()
        before = self._media_key(p)
        p.room = room_id
        if room_id is not None:
            p.conference = True
        return Effects(
            [Outgoing(protocol.ParticipantUpdated(p.info()))],
            media_changed=self._media_key(p) != before,
            entered=room_id,
        )

    def _walk_budget(self, p: Participant, now: float) -> float:
        """How far ``p`` may walk at ``now``: a bucket of distance that fills at
        the walking speed (with its tolerance) up to ``walk_burst`` seconds of
        walking. Checking each move against the time since the previous one
        refused honest moves that arrived back to back; the bucket accepts
        them and still refuses a jump."""
        s = self.settings
        rate = s.speed * s.speed_tolerance
        # Rounding of positions and a first step right after joining.
        slack = 2 * s.avatar_radius
        cap = rate * s.walk_burst + slack
        budget = slack if p.walk_budget is None else p.walk_budget
        return min(cap, budget + rate * max(0.0, now - p.moved_at))

    def correction(self, pid: str) -> Effects:
        """Tell a participant where they really stand (after a refused move)."""
        p = self.get(pid)
        return Effects(
            [Outgoing(protocol.Positions(t=0.0, moves=[p.position()], correction=True), frozenset({pid}))]
        )

    def flush(self, now: float, mesh: bool = True) -> Effects:
        """The positions that changed since the last flush, then the news of
        dropped connections this tick has room for, then (unless ``mesh`` is
        false: a server runs it as an event of its own, see
        :meth:`flush_mesh`) the changes of the peer mesh."""
        self._now = now
        effects = Effects(self._news()).add(self._flush_moves(now))
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

    def _news(self) -> list[Outgoing]:
        """Tell the others about those marked reconnecting, or gone, since
        the last tick had no room for it, within this tick's budget (at
        least one)."""
        budget = self.settings.reconnecting_deliveries_per_tick
        out: list[Outgoing] = []
        while self._dropped or self._gone:
            queue = self._dropped or self._gone
            pid = next(iter(queue))
            left = queue is self._gone
            cost = len(self.participants) - (0 if left else 1)
            if out and cost > budget:
                break
            del queue[pid]
            if left:
                news = Outgoing(protocol.ParticipantLeft(participant_id=pid), frozenset(self.participants))
            else:
                p = self.participants.get(pid)
                if p is None or p.connection != "reconnecting":
                    continue  # gone (see above) or back (and the others told)
                news = Outgoing(protocol.ParticipantUpdated(p.info()), self._others(pid))
            budget -= cost
            out.append(news)
        self._drop_budget = max(0, budget)
        return out

    def _flush_moves(self, now: float) -> Effects:
        moved = [self.participants[pid] for pid in self._moved if pid in self.participants]
        self._moved.clear()
        if not moved:
            return Effects()
        out = [Outgoing(protocol.Positions(t=round(now * 1000.0, 1), moves=[p.position() for p in moved]))]
        place = self.proximity.place
        for p in moved:
            place(p.id, p.x, p.y)
        # Their neighbours, and maybe their room, changed.
        self.proximity.measure(p.id for p in moved if p.connection == "online")
        self._mesh_dirty.update(p.id for p in moved)
        return Effects(out)

    # -- rooms' conferences ---------------------------------------------------

    def room_media(self) -> dict[str, RoomMedia]:
        """Who receives what through the rooms' conferences: everyone in a room
        (online, taking part in conferences) gets every track the others in
        that room send. Whoever stood in a room this session and walked out
        onto the open floor is in the plan too, receiving nothing, so their
        connection waits for the next room; anyone else is not in it."""
        rooms: dict[str, list[Participant]] = {}
        plan: dict[str, RoomMedia] = {}
        for p in self.participants.values():
            if self._media_key(p) is None:
                continue
            if p.room is None:
                plan[p.id] = RoomMedia(None, frozenset(), p.generation)
            else:
                rooms.setdefault(p.room, []).append(p)
        for room, members in rooms.items():
            sent = [(q.id, source) for q in members for source in q.sources()]
            for p in members:
                plan[p.id] = RoomMedia(room, frozenset(t for t in sent if t[0] != p.id), p.generation)
        broadcast = self.teaching.broadcast_tracks()
        if self.teaching.broadcast is not None:
            # Everyone taking part in media hears the broadcast, wherever they stand.
            for p in self.participants.values():
                if p.media and p.connection == "online":
                    mine = plan.get(p.id)
                    tracks = frozenset(t for t in broadcast if t[0] != p.id)
                    plan[p.id] = RoomMedia(
                        p.room, (mine.tracks if mine else frozenset()) | tracks, p.generation
                    )
        return plan

    def _media_key(self, p: Participant) -> tuple[object, ...] | None:
        """What of ``p`` the media plan depends on (None: not in the plan).
        A command changed the plan exactly when it changed this."""
        if self.teaching.broadcast is not None and p.media and p.connection == "online":
            return ("broadcast", p.room, p.sources(), p.generation)
        if not (p.media and p.connection == "online" and (p.room is not None or p.conference)):
            return None
        return (p.room, p.sources() if p.room is not None else (), p.generation)

    # -- peer-to-peer mesh ---------------------------------------------------

    def paired(self, a: str, b: str) -> bool:
        """Whether the server told ``a`` and ``b`` to call each other."""
        return self.mesh.paired(a, b)

    def _update_mesh(self) -> list[Outgoing]:
        people = self.participants

        def on_floor(pid: str) -> bool:
            p = people.get(pid)
            return p is not None and p.room is None and p.connection == "online"

        def offerer(a: str, b: str) -> str:
            # The one who arrived later calls the one already there.
            return a if people[a].seq > people[b].seq else b

        # Between ticks (a disconnect), the mesh measures the distances of
        # the people who moved since the last tick where they now stand; who
        # is near them is found at the next tick.
        for pid in self._moved:
            p = people.get(pid)
            if p is not None:
                self.proximity.place(pid, p.x, p.y)
                self._mesh_dirty.add(pid)
        dirty, self._mesh_dirty = self._mesh_dirty, set()
        change = self.mesh.update(on_floor, offerer, changed=dirty, now=self._now)
        return self._mesh_messages(change)

    def _mesh_messages(self, change: MeshChange) -> list[Outgoing]:
        """The calls that end, then those that start, to the pages they
        concern: one message to all who are told the same (the peers of
        someone whose connection dropped), and nothing to a page that is
        gone (reconnecting: its welcome will say it has no calls)."""
        people = self.participants
        # (peer, offerer: None for an end) -> who is told, in order.
        told: dict[tuple[str, bool | None], set[str]] = {}
        for pair in change.disconnected:
            a, b = sorted(pair)
            for me, other in ((a, b), (b, a)):
                p = people.get(me)
                if p is not None and p.connection == "online":
                    told.setdefault((other, None), set()).add(me)
        for offerer, answerer in change.connected:
            told.setdefault((answerer, True), set()).add(offerer)
            told.setdefault((offerer, False), set()).add(answerer)
        return [
            Outgoing(
                protocol.PeerDisconnect(peer=peer)
                if offers is None
                else protocol.PeerConnect(peer=peer, offerer=offers),
                frozenset(to),
            )
            for (peer, offers), to in told.items()
        ]

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
        now: float | None = None,
    ) -> Effects:
        """Change what a participant shows the others (None: unchanged).
        Turning on what an instructor locked is refused (``locked``)."""
        p = self.get(pid)
        self.teaching.check_presence(p, mic, camera, screen)
        before = self._media_key(p)
        raised = p.hand
        changed = False
        for name, value in (("status", status), ("hand", hand), ("mic", mic), ("camera", camera), ("screen", screen)):
            if value is not None and getattr(p, name) != value:
                setattr(p, name, value)
                changed = True
        if not changed:
            return Effects()
        out = [Outgoing(protocol.ParticipantUpdated(p.info()))]
        if p.hand != raised:
            out += self.teaching.hand_changed(p, now)
        return Effects(out, media_changed=self._media_key(p) != before)

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
        self._name(p)
        return Effects([Outgoing(protocol.ParticipantUpdated(p.info()))])

    # -- chat ----------------------------------------------------------------

    def chat(
        self, pid: str, channel: str, text: str, to: str | None, now: float
    ) -> Effects:
        """Check a chat message and address it. ``Effects.store`` is the
        message when it is to be kept (the host stores it, which gives it its
        id, before delivering)."""
        message, recipients, keep = self._chat(pid, channel, text, to, now)
        return Effects(
            [Outgoing(protocol.Chat(message), recipients)], store=message if keep else None
        )

    def _chat(
        self, pid: str, channel: str, text: str, to: str | None, now: float
    ) -> tuple[protocol.ChatMessage, frozenset[str], bool]:
        p = self.get(pid)
        self.teaching.check_chat(p, channel, to)
        text = text.strip()
        if not text:
            raise ClassroomError(ErrorCode.EMPTY_TEXT, "The message is empty.")
        limit = self.settings.max_chat_length
        if len(text) > limit:
            raise ClassroomError(ErrorCode.TEXT_TOO_LONG, f"Messages are limited to {limit} characters.")
        if to is not None and channel != "direct":
            raise ClassroomError(ErrorCode.BAD_MESSAGE, "Only direct messages have a recipient.")
        message = protocol.ChatMessage(
            channel=channel,  # type: ignore[arg-type]
            sender=p.id,
            sender_user=p.identity.username,
            sender_name=p.name,
            text=text,
            ts=round(now * 1000.0),
        )
        if channel == "class":
            return message, frozenset(self.participants), True
        if channel == "room":
            if p.room is None:
                raise ClassroomError(ErrorCode.NOT_IN_ROOM, "You are not in a room: walk to a table or the stage.")
            message.room = p.room
            return message, self.members(p.room), True
        if channel == "nearby":
            return message, self.neighbours(p.id) | {p.id}, False
        if channel == "direct":
            if to is None or to == pid:
                raise ClassroomError(ErrorCode.BAD_MESSAGE, "A direct message needs another participant in 'to'.")
            other = self.participants.get(to)
            if other is None:
                raise ClassroomError(ErrorCode.UNKNOWN_PARTICIPANT, "That participant has left.")
            message.to = other.id
            message.to_user = other.identity.username
            message.to_name = other.name
            return message, frozenset({p.id, other.id}), True
        raise ClassroomError(ErrorCode.BAD_MESSAGE, f"Unknown channel {channel!r}.")

