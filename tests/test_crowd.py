"""A crowd on the open floor: proximity and the peer mesh agree with the plain
rules, a disconnect touches only the people around it, a crowd dropping at
once is told about over the next ticks, and honest moves that arrive bunched
up are accepted while jumps are not."""

from __future__ import annotations

import math
import random

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import (
    Classroom,
    ClassroomError,
    ClassroomMap,
    ClassroomSettings,
    Effects,
    Outgoing,
)
from jupyter_classroom.classroom.calls import call_messages
from jupyter_classroom.protocol import ErrorCode

from .conftest import person
from .test_classroom import joined
from .test_pairing import ReferenceMesh


class ReferenceClassroom(Classroom):
    """The classroom with proximity and the mesh computed the plain way: every
    mover against everyone, the whole mesh from scratch at every update."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mesh = ReferenceMesh(self.settings.max_mesh_degree, self.settings.min_call_seconds)  # type: ignore[assignment]
        # Who is near whom, as sets.
        self.near: dict[str, set[str]] = {}

    def neighbours(self, pid: str) -> frozenset[str]:
        self.get(pid)
        return frozenset(self.near.get(pid, ()))

    def _set_near(self, pid: str, near: set[str]) -> None:
        mine = self.near.setdefault(pid, set())
        for q in mine - near:
            self.near[q].discard(pid)
        for q in near - mine:
            self.near.setdefault(q, set()).add(pid)
        self.near[pid] = set(near)

    def _alone(self, p) -> None:
        super()._alone(p)
        self._set_near(p.id, set())

    def leave(self, pid: str):
        if pid in self.participants:
            self._set_near(pid, set())
            del self.near[pid]
        return super().leave(pid)

    def _flush_moves(self, now: float):
        moved = [self.participants[pid] for pid in self._moved if pid in self.participants]
        self._moved.clear()
        if not moved:
            return Effects()
        moves = [p.position() for p in moved]
        positions = protocol.Positions(t=round(now * 1000.0, 1), moves=moves)
        out = [Outgoing(positions)]
        join2 = self.settings.proximity_radius**2
        drop2 = self.settings.proximity_drop_radius**2
        online = [q for q in self.participants.values() if q.connection == "online"]
        for p in moved:
            if p.connection != "online":
                continue
            near = set()
            for q in online:
                if q is p:
                    continue
                d2 = (p.x - q.x) ** 2 + (p.y - q.y) ** 2
                if d2 <= join2 or (q.id in self.near.get(p.id, ()) and d2 <= drop2):
                    near.add(q.id)
            self._set_near(p.id, near)
        return Effects(out)

    def _update_mesh(self):
        people = self.participants
        self._mesh_dirty.clear()

        def on_floor(pid: str) -> bool:
            p = people.get(pid)
            return p is not None and p.room is None and p.connection == "online"

        def position(pid: str) -> tuple[float, float]:
            return people[pid].x, people[pid].y

        def offerer(a: str, b: str) -> str:
            return a if people[a].seq > people[b].seq else b

        change = self.mesh.update(
            {pid: self.near.get(pid, set()) for pid in people},
            on_floor,
            position,
            offerer,
            now=self._now,
        )
        return call_messages(change, people)


class Pages:
    """What each participant's page knows of its calls: none at the
    welcome, then every ``peer_connect`` and ``peer_disconnect`` it was sent,
    in order. (Who is near and who is capped, the page works out from the
    positions it has.)"""

    def __init__(self, classroom: Classroom) -> None:
        self.classroom = classroom
        self.peers: dict[str, set[str]] = {}

    def welcome(self, pid: str) -> None:
        self.classroom.welcome(pid)
        self.peers[pid] = set()

    def read(self, effects: Effects) -> None:
        for out in effects.messages:
            m = out.message
            if not isinstance(m, (protocol.PeerConnect, protocol.PeerDisconnect)):
                continue
            assert out.to is not None  # calls are told to the pages concerned
            for pid in out.to:
                assert self.classroom.participants[pid].connection == "online", (
                    "told a page that is gone"
                )
                view = self.peers[pid]
                if isinstance(m, protocol.PeerConnect):
                    assert m.peer not in view, "a call opened twice"
                    view.add(m.peer)
                else:
                    assert m.peer in view, "a call closed that was not open"
                    view.discard(m.peer)

    def check(self) -> None:
        """Every online page agrees with the server."""
        for pid, p in self.classroom.participants.items():
            if p.connection == "online":
                assert self.peers[pid] == set(self.classroom.mesh.peers(pid)), pid


def crowd_pair(cmap: ClassroomMap, n: int, seed: int, **settings):
    s = ClassroomSettings(max_participants=n + 10, **settings)
    new = Classroom(cmap, s, random.Random(seed))
    ref_settings = ClassroomSettings(max_participants=n + 10, **settings)
    ref = ReferenceClassroom(cmap, ref_settings, random.Random(seed))
    return new, ref


def both(new: Classroom, ref: Classroom, call: str, *args):
    """Run one command on both classrooms: same outcome, same messages."""
    results = []
    for c in (new, ref):
        try:
            results.append(("ok", getattr(c, call)(*args)))
        except ClassroomError as e:
            results.append(("error", e.code))
    assert results[0] == results[1], call
    return results[0]


@pytest.mark.parametrize("budget", [4000, 0], ids=["drops-at-once", "drops-on-the-tick"])
@pytest.mark.parametrize("seed", range(4))
def test_a_random_crowd_agrees_with_the_plain_rules(
    default_map: ClassroomMap, seed: int, budget: int
) -> None:
    rng = random.Random(100 + seed)
    n = 80
    new, ref = crowd_pair(
        default_map,
        n,
        seed,
        max_mesh_degree=rng.choice([2, 4]),
        reconnecting_deliveries_per_tick=budget,
    )
    pages = Pages(new)
    for i in range(n):
        effects = new.join(person(f"P{i}"), 0)
        a = effects.participant
        b = joined(ref, person(f"P{i}"), 0)
        assert a is not None and a.id == b.id
        pages.welcome(a.id)
        pages.read(effects)
    # Scatter them over the map (tables included) in a way both accept.
    for c in (new, ref):
        spot = random.Random(seed)
        for p in c.participants.values():
            p.x, p.y = spot.uniform(60, 1540), spot.uniform(300, 900)
            room = c.map.room_at(p.x, p.y)
            p.room = room.id if room else None
            c._moved.add(p.id)
    t = 0.0
    first = new.flush(t)
    assert first == ref.flush(t)
    pages.read(first)
    pages.check()
    heading = {pid: rng.uniform(0, 2 * math.pi) for pid in new.participants}
    for tick in range(120):
        t += 1 / 15
        for pid in list(new.participants):
            p = new.participants[pid]
            roll = rng.random()
            if p.connection != "online":
                if roll < 0.2:
                    tokens = (new.participants[pid].resume, ref.participants[pid].resume)
                    back = [
                        c.join(c.participants[pid].identity, t, token)
                        for c, token in zip((new, ref), tokens, strict=True)
                    ]
                    assert back[0].messages == back[1].messages
                    pages.welcome(pid)
                    pages.read(back[0])
                continue
            if roll < 0.01:
                _, effects = both(new, ref, "disconnect", pid, t)
            elif roll < 0.013:
                # A half-open connection taken over by the same page, reloaded.
                tokens = (new.participants[pid].resume, ref.participants[pid].resume)
                back = [
                    c.join(c.participants[pid].identity, t, token)
                    for c, token in zip((new, ref), tokens, strict=True)
                ]
                assert back[0].messages == back[1].messages
                assert not new.mesh.peers(pid)  # the new page has no calls yet
                pages.welcome(pid)
                effects = back[0]
            elif roll < 0.017:
                _, effects = both(new, ref, "leave", pid)
                heading.pop(pid)
            elif roll < 0.3:
                step = rng.choice([10.0, 30.0, 60.0])
                h = heading[pid]
                x = min(1550.0, max(50.0, p.x + step * math.cos(h)))
                y = min(900.0, max(60.0, p.y + step * math.sin(h)))
                kind, effects = both(new, ref, "move", pid, x, y, t)
                if kind == "error" or rng.random() < 0.1:
                    heading[pid] = rng.uniform(0, 2 * math.pi)
                if kind == "error":
                    continue
            else:
                continue
            pages.read(effects)
        out_new, out_ref = new.flush(t), ref.flush(t)
        assert out_new == out_ref, f"tick {tick}"
        assert new.mesh.pairs == ref.mesh.pairs
        for pid in new.participants:
            assert new.neighbours(pid) == ref.neighbours(pid), f"tick {tick}"
        pages.read(out_new)
        pages.check()
    assert new.mesh.pairs  # the walk did form a mesh


def test_a_disconnect_touches_only_the_neighbourhood(default_map: ClassroomMap) -> None:
    new, ref = crowd_pair(default_map, 200, 1)
    for c in (new, ref):
        spot = random.Random(5)
        for i in range(200):
            p = joined(c, person(f"P{i}"), 0)
        for p in c.participants.values():
            # The open floor in front of the tables, crowded.
            p.x, p.y = spot.uniform(40, 1560), spot.uniform(570, 670)
            p.room = None
            c._moved.add(p.id)
        c.flush(0)
    gone = sorted(new.participants)[17]
    around = set(new.neighbours(gone))
    assert around == ref.neighbours(gone)
    second = set().union(*(new.neighbours(q) for q in around)) - {gone}
    peers = new.mesh.peers(gone)
    assert peers and len(around) < 60  # a real neighbourhood, not the whole room
    out = new.disconnect(gone, 1.0)
    assert out == ref.disconnect(gone, 1.0)
    told: dict[str, set[str]] = {}
    for o in out.messages:
        if isinstance(o.message, protocol.ParticipantUpdated):
            continue  # the one broadcast: everyone sees them reconnecting
        assert o.to is not None
        told.setdefault(type(o.message).__name__, set()).update(o.to)
    # Their pairs close (their own page is gone: its welcome will say it has
    # no calls); a freed slot may pair someone else around them.
    assert peers <= told["PeerDisconnect"] and gone not in told["PeerDisconnect"]
    touched = set().union(*told.values())
    assert touched <= around | second | {gone}
    assert len(touched) < len(new.participants) // 2


def test_a_crowd_dropping_at_once_is_told_over_the_next_ticks(default_map: ClassroomMap) -> None:
    n = 60
    c = Classroom(
        default_map,
        ClassroomSettings(max_participants=n + 10, reconnecting_deliveries_per_tick=300),
        random.Random(3),
    )
    pages = Pages(c)
    ids = []
    for i in range(n):
        effects = c.join(person(f"P{i}"), 0)
        assert effects.participant is not None
        ids.append(effects.participant.id)
        pages.welcome(ids[-1])
        pages.read(effects)
    spot = random.Random(5)
    for p in c.participants.values():
        p.x, p.y, p.room = spot.uniform(300, 900), spot.uniform(570, 670), None
        c._moved.add(p.id)
    pages.read(c.flush(0))
    pages.check()
    assert c.mesh.pairs
    stay, gone = ids[:10], ids[10:]

    def reconnecting(effects: Effects) -> list[str]:
        told = []
        for o in effects.messages:
            if isinstance(o.message, protocol.ParticipantUpdated):
                assert o.message.participant.connection == "reconnecting"
                assert o.to == frozenset(c.participants) - {o.message.participant.id}
                told.append(o.message.participant.id)
        return told

    told: list[str] = []
    for pid in gone:
        effects = c.disconnect(pid, 1.0)
        assert c.participants[pid].connection == "reconnecting"  # at once
        told += reconnecting(effects)
        pages.read(effects)
    # Those the tick had room for were told at once (300 deliveries: 5 of 59).
    assert told == gone[:5]
    # Someone comes back before the others were told: no stale news of them.
    back = gone[-1]
    returned = c.join(c.participants[back].identity, 1.0, c.participants[back].resume)
    pages.welcome(back)
    pages.read(returned)
    ticks = 0
    while len(told) < len(gone) - 1:
        effects = c.flush(1.0 + ticks / 15)
        news = reconnecting(effects)
        assert 1 <= len(news) <= 5  # bounded by the budget, never stuck
        told += news
        pages.read(effects)
        pages.check()
        ticks += 1
    assert told == gone[:-1] and ticks == 9  # 44 more, 5 a tick
    assert not reconnecting(c.flush(2.0))
    # The calls of those who dropped ended; the others' meshes were redone.
    dropped = set(gone[:-1])
    assert not any(pair & dropped for pair in c.mesh.pairs)
    for pid in stay:
        assert not c.neighbours(pid) & dropped


def test_bunched_honest_moves_are_accepted(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    p = classroom.participants[a.id]
    p.x, p.y, p.room = 300.0, 620.0, None
    speed = classroom.settings.speed
    t = 10.0
    # Walking at 80 % of the speed, four moves a second, for two seconds...
    sent = []
    for i in range(8):
        sent.append((300.0 + (i + 1) * speed * 0.8 / 4, 620.0))
    # ...held up by a slow tick: the first four arrive on time, the rest all
    # at once.
    for i, (x, y) in enumerate(sent):
        at = t + min(i, 4) * 0.25 + (0.001 * i if i > 4 else 0)
        classroom.move(a.id, x, y, at)
    assert (p.x, p.y) == sent[-1]


def test_a_jump_is_refused_however_long_one_waited(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    p = classroom.participants[a.id]
    p.x, p.y, p.room = 300.0, 620.0, None
    s = classroom.settings
    burst = s.speed * s.speed_tolerance * s.walk_burst
    with pytest.raises(ClassroomError) as e:
        classroom.move(a.id, 300.0 + burst + 2 * s.avatar_radius + 5, 620.0, 3600.0)
    assert e.value.code == ErrorCode.MOVE_BLOCKED
    assert (p.x, p.y) == (300.0, 620.0)
    # Right after joining, only a small step.
    b = joined(classroom, person("B"), 3600.0)
    q = classroom.participants[b.id]
    q.x, q.y, q.room = 900.0, 620.0, None
    with pytest.raises(ClassroomError):
        classroom.move(b.id, 960.0, 620.0, 3600.0)
    classroom.move(b.id, 910.0, 620.0, 3600.0)


def test_running_is_refused_once_the_budget_is_spent(classroom: Classroom) -> None:
    a = joined(classroom, person("A"), 0)
    p = classroom.participants[a.id]
    p.x, p.y, p.room = 200.0, 620.0, None
    s = classroom.settings
    # Twice the allowed speed, ten moves a second, starting with a full budget.
    t, x, refused = 100.0, 200.0, 0
    for _ in range(40):
        t += 0.1
        try:
            classroom.move(a.id, x + 2 * s.speed * s.speed_tolerance * 0.1, 620.0, t)
            x = p.x
        except ClassroomError as e:
            assert e.code == ErrorCode.MOVE_BLOCKED
            refused += 1
    assert refused > 0
    # Over the 4 s walked, no farther than the rate allows plus one burst.
    assert p.x - 200.0 <= s.speed * s.speed_tolerance * (4.0 + s.walk_burst) + 2 * s.avatar_radius
