"""The instructor's powers: hands, muting, locks, announcements, locked
rooms, summoning and breakouts.

Pure state and rules like the rest of the core: every command takes the time
it is given and returns its :class:`Effects`; a refusal raises
:class:`ClassroomError` and changes nothing. Every power is checked here
against the caller's role (``forbidden`` for a student), whatever gave them
that role (the server's settings, or JupyterHub).

What the server enforces and what it asks of clients:

* chat locked: the server refuses students' messages (``locked``), except
  direct messages to an instructor;
* microphone, camera or screen locked, or a student muted: the server turns
  the student's presence flag off, so the SFU stops forwarding that track in
  every room at once, and refuses turning it on again while locked
  (``locked``). On the open floor media goes peer to peer: the server cannot
  stop it there, it tells the client (``muted``, the locks in
  ``class_updated``) and the client turns its track off;
* a locked room: the server refuses students' moves into it (``room_locked``);
* summons and breakouts move people on the server (a position correction to
  the person moved, their new position in the next batch to everyone);
* a broadcast is part of the rooms' media plan: everyone taking part in media,
  at a table or on the open floor, receives the broadcaster's tracks (and the
  microphones of those given the floor) through the SFU. It ends when stopped
  or when the broadcaster leaves.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .. import protocol
from ..protocol import ErrorCode
from ..protocol import ProtocolError as ClassroomError
from .breakouts import BREAKOUT_WARNING, MAX_BREAKOUT_MINUTES, Breakouts, assign
from .effects import Effects, Outgoing
from .observers import Actor
from .participant import Participant
from .placement import Occupied, Spots

if TYPE_CHECKING:
    from .map import ClassroomMap, Room

__all__ = ["BREAKOUT_WARNING", "MAX_BREAKOUT_MINUTES", "Teaching", "TeachingHost"]


class Sizes(Protocol):
    @property
    def avatar_radius(self) -> float: ...

    @property
    def proximity_radius(self) -> float: ...


class TeachingHost(Protocol):
    """What the instructors' powers need of the classroom, which owns the
    participants: it looks them up, changes their presence and places them."""

    @property
    def participants(self) -> Mapping[str, Participant]: ...

    @property
    def map(self) -> ClassroomMap: ...

    @property
    def settings(self) -> Sizes: ...

    @property
    def rng(self) -> random.Random: ...

    def get(self, pid: str) -> Participant: ...

    def actor(self, pid: str) -> Actor: ...

    def set_presence(
        self,
        pid: str,
        *,
        hand: bool | None = None,
        mic: bool | None = None,
        camera: bool | None = None,
        screen: bool | None = None,
        now: float | None = None,
    ) -> Effects: ...

    def place(self, p: Participant, x: float, y: float, now: float) -> Effects: ...

    def keep_room_connections(self) -> None: ...


@dataclass
class _Broadcast:
    by: str
    floor: list[str]


class Teaching:
    """The class-wide state the instructors set, and their commands."""

    def __init__(self, classroom: TeachingHost) -> None:
        self.classroom = classroom
        self.locks = protocol.Locks()
        #: Raised hands in the order raised (a dict keeps insertion order).
        self._hands: dict[str, None] = {}
        self.locked_rooms: set[str] = set()
        self.announcement: protocol.Announcement | None = None
        self.breakout: Breakouts | None = None
        self.broadcast: _Broadcast | None = None
        #: Where summons and breakouts put people.
        self.spots = Spots(classroom.map)
        # The latest time a command was given, for the breakout timer in
        # messages sent by commands that are not given one (a leave).
        self._now = 0.0

    # -- state -----------------------------------------------------------------

    @property
    def hands(self) -> list[str]:
        return list(self._hands)

    def state(self, now: float) -> protocol.ClassState:
        b = self.breakout
        breakout = None
        if b is not None:
            left = None if b.ends_at is None else round(max(0.0, b.ends_at - now), 1)
            breakout = protocol.Breakout(
                mode=b.mode, tables=list(b.tables), seconds_left=left, warned=b.warned
            )
        return protocol.ClassState(
            locks=protocol.Locks(**vars(self.locks)),
            hands=self.hands,
            locked_rooms=sorted(self.locked_rooms),
            announcement=self.announcement,
            breakout=breakout,
            broadcast=None
            if self.broadcast is None
            else protocol.Broadcast(by=self.broadcast.by, floor=list(self.broadcast.floor)),
        )

    def _updated(self, now: float) -> Outgoing:
        self._now = now
        return Outgoing(protocol.ClassUpdated(self.state(now)))

    def _instructor(self, pid: str) -> Actor:
        """The sender (an observer acts as its user: see :mod:`.observers`),
        if an instructor."""
        p = self.classroom.actor(pid)
        if p.identity.role != "instructor":
            raise ClassroomError(ErrorCode.FORBIDDEN, "Only an instructor may do that.")
        return p

    def _students(self) -> list[Participant]:
        return [p for p in self.classroom.participants.values() if p.identity.role != "instructor"]

    # -- rules the rest of the core asks about ------------------------------------

    def check_presence(
        self, p: Participant, mic: bool | None, camera: bool | None, screen: bool | None
    ) -> None:
        """Refuse a student turning on what is locked (a microphone given the
        floor of a broadcast is not)."""
        if p.identity.role == "instructor":
            return
        floor = self.broadcast is not None and p.id in self.broadcast.floor
        for what, value, locked in (
            ("Microphones", mic, self.locks.mic and not floor),
            ("Cameras", camera, self.locks.camera),
            ("Screen sharing", screen, self.locks.screen),
        ):
            if value and locked:
                raise ClassroomError(ErrorCode.LOCKED, f"{what}: locked by the instructor.")

    def check_chat(self, p: Participant, channel: str, to: str | None) -> None:
        """While chat is locked, students may still write to an instructor."""
        if not self.locks.chat or p.identity.role == "instructor":
            return
        if channel == "direct" and to is not None:
            other = self.classroom.participants.get(to)
            if other is not None and other.identity.role == "instructor":
                return
        raise ClassroomError(
            ErrorCode.LOCKED,
            "Chat is locked by the instructor: you may still write to an instructor directly.",
        )

    def check_enter(self, room: Room) -> None:
        """Refuse a student entering a locked room (the caller asks for students)."""
        if room.id in self.locked_rooms:
            raise ClassroomError(
                ErrorCode.ROOM_LOCKED, f"{room.name} is locked by the instructor."
            )

    def hand_changed(self, p: Participant, now: float | None) -> list[Outgoing]:
        """``p.hand`` changed: keep the queue in the order raised."""
        if p.hand:
            self._hands[p.id] = None
        elif self._hands.pop(p.id, 0) is not None:
            return []
        return [self._updated(self._now if now is None else now)]

    def left(self, pid: str) -> list[Outgoing]:
        """``pid`` left the classroom (the caller's effects carry the media
        plan change: a broadcaster or a speaker took part in media)."""
        changed = self._hands.pop(pid, 0) is None
        b = self.broadcast
        if b is not None and b.by == pid:
            self._end_broadcast()
            changed = True
        elif b is not None and pid in b.floor:
            b.floor.remove(pid)
            changed = True
        return [self._updated(self._now)] if changed else []

    # -- hands, muting, locks, announcements, rooms ----------------------------------

    def lower_hand(self, pid: str, target: str | None, now: float) -> Effects:
        """Lower one hand, or all of them (``target`` None)."""
        self._instructor(pid)
        c = self.classroom
        targets = (
            [c.get(target)] if target is not None else [c.participants[h] for h in self._hands]
        )
        effects = Effects()
        for p in targets:
            effects.add(c.set_presence(p.id, hand=False, now=now))
        return self._one_update(effects, now)

    def _one_update(self, effects: Effects, now: float) -> Effects:
        """One ``class_updated`` at the end instead of one per person."""
        before = len(effects.messages)
        effects.messages = [
            o for o in effects.messages if not isinstance(o.message, protocol.ClassUpdated)
        ]
        if len(effects.messages) != before:
            effects.messages.append(self._updated(now))
        return effects

    def mute(self, pid: str, target: str | None, now: float) -> Effects:
        """Turn one microphone off, or every student's (``target`` None)."""
        me = self._instructor(pid)
        c = self.classroom
        if target is not None:
            return self._switch_off(me, [c.get(target)], "mic", now, tell=True)
        return self._switch_off(me, self._students(), "mic", now)

    def _switch_off(
        self,
        me: Actor,
        targets: list[Participant],
        what: str,
        now: float,
        tell: bool = False,
    ) -> Effects:
        """Turn ``what`` off for ``targets``; a microphone's owner is told
        (``muted``) when it was on, or always with ``tell``."""
        c = self.classroom
        effects = Effects()
        for p in targets:
            was_on = getattr(p, what)
            if was_on:
                effects.add(c.set_presence(p.id, now=now, **{what: False}))
            if what == "mic" and (was_on or tell):
                locked = self.locks.mic and p.identity.role != "instructor"
                effects.messages.append(
                    Outgoing(protocol.Muted(by=me.id, locked=locked), frozenset({p.id}))
                )
        return effects

    def set_locks(
        self,
        pid: str,
        now: float,
        mic: bool | None = None,
        camera: bool | None = None,
        screen: bool | None = None,
        chat: bool | None = None,
    ) -> Effects:
        """Lock or unlock (None: unchanged). Locking turns the thing off for
        every student."""
        me = self._instructor(pid)
        changes = {
            k: v for k, v in (("mic", mic), ("camera", camera), ("screen", screen), ("chat", chat))
        }
        changed = {
            k: v for k, v in changes.items() if v is not None and getattr(self.locks, k) != v
        }
        if not changed:
            return Effects()
        for k, v in changed.items():
            setattr(self.locks, k, v)
        effects = Effects([self._updated(now)])
        for what in ("mic", "camera", "screen"):
            if changed.get(what):
                effects.add(self._switch_off(me, self._students(), what, now))
        return effects

    def announce(self, pid: str, text: str | None, now: float, wall: float) -> Effects:
        """Show ``text`` to everyone and keep it for late joiners (None or
        blank: clear it). ``wall``: seconds since the epoch, for its time."""
        me = self._instructor(pid)
        text = (text or "").strip()
        if not text:
            if self.announcement is None:
                return Effects()
            self.announcement = None
        else:
            self.announcement = protocol.Announcement(
                text=text, sender=me.id, sender_name=me.name, ts=round(wall * 1000.0)
            )
        return Effects([self._updated(now)])

    def lock_room(self, pid: str, room: str, locked: bool, now: float) -> Effects:
        """Lock or unlock a room. Those inside stay; instructors still enter."""
        self._instructor(pid)
        if room not in self.classroom.map.rooms_by_id:
            raise ClassroomError(ErrorCode.UNKNOWN_ROOM, f"There is no room {room!r} on this map.")
        if (room in self.locked_rooms) == locked:
            return Effects()
        if locked:
            self.locked_rooms.add(room)
        else:
            self.locked_rooms.discard(room)
        return Effects([self._updated(now)])

    # -- the broadcast ------------------------------------------------------------

    def set_broadcast(self, pid: str, on: bool, now: float) -> Effects:
        """Start (or take over) or stop the broadcast. The broadcaster is the
        caller, or, when the caller takes no part in media (a notebook), the
        same user's connection that does."""
        me = self._instructor(pid)
        if not on:
            if self.broadcast is None:
                return Effects()
            self._end_broadcast()
            return Effects([self._updated(now)], media_changed=True)
        c = self.classroom
        by: Actor | None = me
        if not me.media:
            by = next(
                (
                    q
                    for q in c.participants.values()
                    if q.identity.username == me.identity.username
                    and q.media
                    and q.connection == "online"
                ),
                None,
            )
        if by is None:
            raise ClassroomError(
                ErrorCode.NO_CONNECTION,
                "None of your connections takes part in the classroom's media: "
                "open the classroom in JupyterLab (with room media) to broadcast.",
            )
        if self.broadcast is not None and self.broadcast.by == by.id:
            return Effects()
        self.broadcast = _Broadcast(by=by.id, floor=[])
        return Effects([self._updated(now)], media_changed=True)

    def _end_broadcast(self) -> None:
        """No more broadcast. Everyone keeps the room connection it opened, as
        after standing in a room: the next broadcast or room needs no new one."""
        self.broadcast = None
        self.classroom.keep_room_connections()

    def give_floor(self, pid: str, target: str, on: bool, now: float) -> Effects:
        """Add ``target``'s microphone to the broadcast, or take it back."""
        self._instructor(pid)
        c = self.classroom
        p = c.get(target)
        b = self.broadcast
        if b is None:
            raise ClassroomError(
                ErrorCode.NOT_BROADCASTING, "Start a broadcast before giving someone the floor."
            )
        if on == (p.id in b.floor) or p.id == b.by:
            return Effects()
        if on:
            b.floor.append(p.id)
        else:
            b.floor.remove(p.id)
        effects = Effects()
        if on and p.hand:
            effects.add(c.set_presence(p.id, hand=False, now=now))
        effects.messages.append(self._updated(now))
        effects.media_changed = True
        return self._one_update(effects, now)

    def broadcast_tracks(self) -> frozenset[tuple[str, protocol.TrackSource]]:
        """What the broadcast sends everyone: the broadcaster's tracks and
        the microphones of those with the floor (while they are online)."""
        b = self.broadcast
        if b is None:
            return frozenset()
        people = self.classroom.participants
        tracks: set[tuple[str, protocol.TrackSource]] = set()
        by = people.get(b.by)
        if by is not None and by.connection == "online":
            tracks |= {(by.id, source) for source in by.sources()}
        for pid in b.floor:
            q = people.get(pid)
            if q is not None and q.connection == "online" and q.mic:
                tracks.add((pid, "microphone"))
        return frozenset(tracks)

    # -- moving people ----------------------------------------------------------

    def summon(
        self, pid: str, targets: list[str] | None, to: protocol.SummonTarget, now: float
    ) -> Effects:
        """Bring people (None: every student) to the stage or next to the caller."""
        me = self._instructor(pid)
        c = self.classroom
        people = (
            [c.get(t) for t in dict.fromkeys(targets)] if targets is not None else self._students()
        )
        people = [p for p in people if p is not me]
        effects = Effects()
        taken = self._taken(people)
        for p in people:
            if to == "stage":
                x, y = self._spot_in_room(self.spots.stage(), taken)
            elif isinstance(me, Participant):
                x, y = self._spot_near(me, taken)
            else:
                raise ClassroomError(
                    ErrorCode.OBSERVER,
                    "You are not on the map: open the classroom to bring people next to you.",
                )
            taken.add(x, y)
            effects.add(self.classroom.place(p, x, y, now))
            text = (
                f"{me.name} brought you to the stage."
                if to == "stage"
                else f"{me.name} brought you next to them."
            )
            effects.messages.append(
                Outgoing(protocol.Notice(kind="summoned", text=text), frozenset({p.id}))
            )
        return effects

    def _taken(self, moving: list[Participant]) -> Occupied:
        """Where people who stay put stand."""
        moving_ids = {p.id for p in moving}
        people = self.classroom.participants.values()
        return Occupied(
            self.classroom.settings.avatar_radius, (q for q in people if q.id not in moving_ids)
        )

    def _spot_in_room(self, room: Room | None, taken: Occupied) -> tuple[float, float]:
        return self.spots.in_room(room, taken, self.classroom.settings.avatar_radius)

    def _spot_near(self, me: Participant, taken: Occupied) -> tuple[float, float]:
        """Close enough to hear ``me``."""
        s = self.classroom.settings
        reach = max(s.proximity_radius * 0.8, 3 * s.avatar_radius)
        return self.spots.near(me, taken, s.avatar_radius, reach)

    # -- breakouts ----------------------------------------------------------------

    def start_breakouts(
        self,
        pid: str,
        mode: protocol.BreakoutMode,
        now: float,
        tables: int | None = None,
        groups: list[list[str]] | None = None,
        minutes: float | None = None,
    ) -> Effects:
        """Send students to tables (see :class:`protocol.StartBreakouts`)."""
        me = self._instructor(pid)
        c = self.classroom
        all_tables = [r for r in c.map.rooms if r.kind == "table"]
        assignment = assign(
            mode,
            all_tables,
            self._students(),
            c.participants.values(),
            me,
            c.rng,
            tables=tables,
            groups=groups,
            minutes=minutes,
        )
        ends_at = None if minutes is None else now + minutes * 60.0
        self.breakout = Breakouts(
            mode=mode,
            tables=[t.id for t, _ in assignment],
            ends_at=ends_at,
            warned=minutes is not None and minutes * 60.0 <= BREAKOUT_WARNING,
        )
        effects = Effects([self._updated(now)])
        placed: set[str] = set()
        moving = [p for _, people in assignment for p in people]
        taken = self._taken(moving)
        for table, people in assignment:
            for p in people:
                if p.id in placed:
                    continue  # in two groups: the first one counts
                placed.add(p.id)
                x, y = self._spot_in_room(table, taken)
                taken.add(x, y)
                effects.add(self.classroom.place(p, x, y, now))
                effects.messages.append(
                    Outgoing(
                        protocol.Notice(
                            kind="breakout_assigned",
                            text=f"You are at {table.name}.",
                            room=table.id,
                        ),
                        frozenset({p.id}),
                    )
                )
        if mode == "choose":
            effects.messages.append(
                Outgoing(
                    protocol.Notice(
                        kind="breakout_assigned",
                        text="Breakouts: walk to the table of your choice.",
                    ),
                    frozenset(p.id for p in self._students()),
                )
            )
        return effects

    def end_breakouts(self, pid: str, now: float) -> Effects:
        """End the breakouts now (instructors)."""
        self._instructor(pid)
        if self.breakout is None:
            raise ClassroomError(ErrorCode.NO_BREAKOUTS, "No breakouts are running.")
        return self._end(now)

    def _end(self, now: float) -> Effects:
        """Everyone comes back to the stage."""
        c = self.classroom
        self.breakout = None
        stage = self.spots.stage()
        effects = Effects([self._updated(now)])
        stage_id = stage.id if stage else None
        moving = [p for p in c.participants.values() if p.room != stage_id or stage_id is None]
        taken = self._taken(moving)
        for p in moving:
            x, y = self._spot_in_room(stage, taken)
            taken.add(x, y)
            effects.add(self.classroom.place(p, x, y, now))
        effects.messages.append(
            Outgoing(
                protocol.Notice(
                    kind="breakout_ended", text="Breakouts are over: back to the stage."
                )
            )
        )
        return effects

    def tick(self, now: float) -> Effects:
        """The breakout timer: a warning a minute before the end, then the end."""
        self._now = now
        b = self.breakout
        if b is None or b.ends_at is None:
            return Effects()
        if now >= b.ends_at:
            return self._end(now)
        if not b.warned and now >= b.ends_at - BREAKOUT_WARNING:
            b.warned = True
            seconds = round(b.ends_at - now)
            return Effects(
                [
                    self._updated(now),
                    Outgoing(
                        protocol.Notice(
                            kind="breakout_warning",
                            text=f"Breakouts end in {seconds} seconds: wrap up.",
                        )
                    ),
                ]
            )
        return Effects()
