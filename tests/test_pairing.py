"""The peer-to-peer mesh: who calls whom on the open floor."""

from __future__ import annotations

import math
import random

import pytest

from jupyter_classroom.classroom.pairing import KEEP_BONUS, MeshChange, PeerMesh
from jupyter_classroom.classroom.proximity import Proximity


class Floor:
    """A few people at fixed points; everyone within ``radius`` is a
    neighbour, unless ``graph`` says who is near whom."""

    def __init__(self, radius: float = 150.0) -> None:
        self.radius = radius
        self.at: dict[str, tuple[float, float]] = {}
        self.in_room: set[str] = set()
        self.graph: dict[str, set[str]] | None = None
        self.proximity = Proximity(radius)

    def mesh(self, max_degree: int, hold: float = 0.0) -> PeerMesh:
        return PeerMesh(self.proximity, max_degree, hold)

    def distance(self, a: str, b: str) -> float:
        (ax, ay), (bx, by) = self.at[a], self.at[b]
        return math.hypot(ax - bx, ay - by)

    def position(self, pid: str) -> tuple[float, float]:
        return self.at[pid]

    def neighbours(self) -> dict[str, set[str]]:
        return {
            a: {b for b in self.at if b != a and self.distance(a, b) <= self.radius}
            for a in self.at
        }

    def update(self, mesh: PeerMesh, now: float | None = None, offerer=min) -> MeshChange:
        prox = self.proximity
        for pid, (x, y) in self.at.items():
            if pid in prox:
                prox.place(pid, x, y)
            else:
                prox.add(pid, x, y)
        if self.graph is None:
            prox.measure(self.at)
        else:
            for pid in self.at:
                prox.set_neighbours(pid, self.graph.get(pid, ()))
        return mesh.update(lambda p: p not in self.in_room, offerer, changed=self.at, now=now)


def test_line_of_three_pairs_only_the_neighbours() -> None:
    # The seed's picture: A - B - C, A and C out of range of each other.
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0), "c": (200, 0)}
    mesh = floor.mesh(max_degree=4)
    change = floor.update(mesh)
    assert set(change.connected) == {("a", "b"), ("b", "c")}
    assert mesh.peers("b") == {"a", "c"}
    assert not mesh.paired("a", "c")


def test_each_pair_is_announced_once_and_closed_once() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0)}
    mesh = floor.mesh(max_degree=4)
    assert floor.update(mesh).connected == (("a", "b"),)
    assert floor.update(mesh).connected == ()  # nothing new while they stay
    floor.at["b"] = (1000, 0)
    change = floor.update(mesh)
    assert change.disconnected == (frozenset({"a", "b"}),)
    assert floor.update(mesh).disconnected == ()


def test_people_in_rooms_are_not_paired() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0)}
    floor.in_room = {"b"}
    mesh = floor.mesh(max_degree=4)
    assert floor.update(mesh).connected == ()
    floor.in_room = set()
    assert floor.update(mesh).connected == (("a", "b"),)
    floor.in_room = {"a"}
    assert floor.update(mesh).disconnected == (frozenset({"a", "b"}),)


def test_cap_keeps_the_nearest_and_reports_the_rest() -> None:
    # Six people around "me", spread out so that only "me" is near all of them.
    floor = Floor(radius=200)
    floor.at = {"me": (0, 0)}
    for i in range(6):
        angle = i * math.pi / 3
        r = 60 + 20 * i
        floor.at[f"p{i}"] = (r * math.cos(angle), r * math.sin(angle))
    star = {"me": {f"p{i}" for i in range(6)}} | {f"p{i}": {"me"} for i in range(6)}
    floor.graph = star
    mesh = floor.mesh(max_degree=4)
    change = floor.update(mesh)
    assert mesh.peers("me") == {"p0", "p1", "p2", "p3"}
    assert mesh.capped("me") == {"p4", "p5"}
    assert mesh.capped("p5") == {"me"}
    assert mesh.capped("p4") == {"me"} and not mesh.capped("p0")
    # p0 walks away: p4, the nearest capped one, takes its place.
    del star["p0"]
    star["me"].discard("p0")
    change = floor.update(mesh)
    assert change.connected == (("me", "p4"),)
    assert change.disconnected == (frozenset({"me", "p0"}),)
    assert mesh.capped("me") == {"p5"}


def test_cap_does_not_flap_between_near_equal_distances() -> None:
    floor = Floor(radius=500)
    floor.at = {"me": (0, 0), "x": (100, 0), "y": (101, 0)}
    mesh = floor.mesh(max_degree=1)
    floor.update(mesh)
    first = mesh.peers("me")
    # The other one steps a little nearer: the existing pair is kept.
    other = ({"x", "y"} - first).pop()
    floor.at[other] = (floor.at[other][0] - 5, 0)
    change = floor.update(mesh)
    assert change.connected == () and change.disconnected == ()
    assert mesh.peers("me") == first


def test_offerer_is_the_one_chosen() -> None:
    floor = Floor()
    floor.at = {"b": (0, 0), "a": (50, 0)}
    mesh = floor.mesh(max_degree=4)
    change = floor.update(mesh, offerer=max)
    assert change.connected == (("b", "a"),)


def test_removing_a_participant_breaks_their_pairs() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0), "c": (50, 50)}
    mesh = floor.mesh(max_degree=4)
    floor.update(mesh)
    change = mesh.remove("b")
    assert set(change.disconnected) == {frozenset({"a", "b"}), frozenset({"b", "c"})}
    assert mesh.peers("a") == {"c"}


def test_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError):
        PeerMesh(Proximity(150.0), max_degree=-1)
    with pytest.raises(ValueError):
        PeerMesh(Proximity(150.0), max_degree=4, hold=-1.0)


def test_a_call_is_held_while_someone_nearer_walks_up() -> None:
    floor = Floor(radius=500)
    floor.at = {"me": (0, 0), "x": (100, 0), "y": (400, 0)}
    mesh = floor.mesh(max_degree=1, hold=3.0)
    assert floor.update(mesh, now=0.0).connected == (("me", "x"),)
    # y walks right up to me: the call with x goes on, for the hold.
    floor.at["y"] = (20, 0)
    change = floor.update(mesh, now=1.0)
    assert change.connected == () and change.disconnected == ()
    assert mesh.capped("me") == {"y"}
    assert not mesh.due(2.9) and mesh.due(3.0)
    # The hold is over: the nearest wins, with nobody having moved.
    change = floor.update(mesh, now=3.0)
    assert change.connected == (("me", "y"),)
    assert change.disconnected == (frozenset({"me", "x"}),)
    assert not mesh.due(5.9) and mesh.due(6.0)  # the new call is held in turn
    # Without a time nothing is held.
    floor.at["x"] = (5, 0)
    assert floor.update(mesh).connected == (("me", "x"),)


def test_a_held_call_ends_at_once_when_the_two_part() -> None:
    floor = Floor(radius=150)
    floor.at = {"me": (0, 0), "x": (100, 0), "y": (0, 100)}
    mesh = floor.mesh(max_degree=1, hold=3.0)
    floor.update(mesh, now=0.0)
    assert mesh.peers("me") == {"x"}
    # x walks away after half a second: the call ends, y takes its place.
    floor.at["x"] = (1000, 0)
    change = floor.update(mesh, now=0.5)
    assert change.disconnected == (frozenset({"me", "x"}),)
    assert change.connected == (("me", "y"),)
    # y steps into a room while held: ended too.
    floor.in_room = {"y"}
    assert floor.update(mesh, now=1.0).disconnected == (frozenset({"me", "y"}),)
    # And a held call of someone who leaves ends with them.
    floor.in_room = set()
    floor.update(mesh, now=1.5)
    assert mesh.peers("me") == {"y"}
    assert mesh.remove("y").disconnected == (frozenset({"me", "y"}),)


# -- the incremental mesh against the plain greedy rule ---------------------


class ReferenceMesh:
    """The rule written plainly, in Python: every update sorts every
    candidate pair by its key and fills the mesh greedily, and who is capped
    is worked out again from scratch."""

    def __init__(self, max_degree: int, hold: float = 0.0) -> None:
        self.max_degree = max_degree
        self.hold = hold
        self.pairs: set[frozenset[str]] = set()
        self.since: dict[frozenset[str], float] = {}
        self._capped: dict[str, frozenset[str]] = {}

    def capped(self, pid: str) -> frozenset[str]:
        return self._capped.get(pid, frozenset())

    def due(self, now: float) -> bool:
        return True

    stale = True

    def update(self, neighbours, on_floor, position, offerer, now=None) -> MeshChange:
        candidates = set()
        for a, near in neighbours.items():
            if not on_floor(a):
                continue
            for b in near:
                if a != b and on_floor(b):
                    candidates.add(frozenset((a, b)))

        def cost(pair):
            a, b = sorted(pair)
            (ax, ay), (bx, by) = position(a), position(b)
            d = math.hypot(ax - bx, ay - by)
            held = (
                self.hold > 0
                and now is not None
                and pair in self.pairs
                and self.since[pair] > now - self.hold
            )
            return (not held, d * KEEP_BONUS if pair in self.pairs else d, (a, b))

        degree: dict[str, int] = {}
        chosen = set()
        for pair in sorted(candidates, key=cost):
            a, b = tuple(pair)
            if degree.get(a, 0) < self.max_degree and degree.get(b, 0) < self.max_degree:
                chosen.add(pair)
                degree[a] = degree.get(a, 0) + 1
                degree[b] = degree.get(b, 0) + 1
        added, removed = chosen - self.pairs, self.pairs - chosen
        self.pairs = chosen
        if now is not None:
            self.since.update(dict.fromkeys(added, now))
        capped: dict[str, set[str]] = {}
        for pair in candidates - chosen:
            a, b = tuple(pair)
            capped.setdefault(a, set()).add(b)
            capped.setdefault(b, set()).add(a)
        self._capped = {pid: frozenset(ids) for pid, ids in capped.items()}
        connected = []
        for pair in sorted(added, key=sorted):
            a, b = sorted(pair)
            first = offerer(a, b)
            connected.append((first, b if first == a else a))
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(sorted(removed, key=sorted)),
        )

    def remove(self, pid: str) -> MeshChange:
        removed = {p for p in self.pairs if pid in p}
        self.pairs -= removed
        self._capped.pop(pid, None)
        for other, ids in list(self._capped.items()):
            if pid in ids:
                self._capped[other] = ids - {pid}
        return MeshChange(connected=(), disconnected=tuple(sorted(removed, key=sorted)))


@pytest.mark.parametrize("seed", range(16))
def test_incremental_mesh_agrees_with_the_plain_rule(seed: int) -> None:
    """A random crowd walks, steps into rooms, drops out and leaves; after
    every step both meshes report the same changes and hold the same pairs,
    and proximity (with its drop radius) agrees with the plain sets. The
    mesh is told only who acted, as the classroom does."""
    rng = random.Random(seed)
    cap = rng.choice([0, 1, 2, 3, 4, 6])
    radius = rng.choice([60.0, 120.0])
    floor = Floor(radius=radius)
    drop = radius * rng.choice([1.0, 1.25])
    prox = floor.proximity = Proximity(radius, drop)
    size = rng.choice([300.0, 600.0])
    n = rng.randint(5, 60)
    for i in range(n):
        pid = f"p{i:02d}"
        floor.at[pid] = (rng.uniform(0, size), rng.uniform(0, size))
        prox.add(pid, *floor.at[pid])
    near: dict[str, set[str]] = {pid: set() for pid in floor.at}
    hold = rng.choice([0.0, 0.5, 3.0])
    old, new = ReferenceMesh(cap, hold), floor.mesh(cap, hold)
    offerer = lambda a, b: max(a, b)  # noqa: E731
    next_id = n
    acted: set[str] = set(floor.at)  # everyone at first
    for step in range(150):
        for pid in rng.sample(sorted(floor.at), k=max(1, len(floor.at) // rng.choice([1, 3, 10]))):
            action = rng.random()
            if action < 0.05:
                floor.in_room ^= {pid}
            elif action < 0.1 and len(floor.at) > 2:
                # Leaves: both meshes drop them at once, as Classroom.leave does.
                for q in near.pop(pid):
                    near[q].discard(pid)
                del floor.at[pid]
                floor.in_room.discard(pid)
                acted.discard(pid)
                assert new.remove(pid) == old.remove(pid)
                prox.remove(pid)
                assert new.pairs == old.pairs
                continue
            else:
                x, y = floor.at[pid]
                step_len = rng.choice([1.0, 10.0, 40.0, 200.0])
                floor.at[pid] = (
                    min(size, max(0.0, x + rng.uniform(-step_len, step_len))),
                    min(size, max(0.0, y + rng.uniform(-step_len, step_len))),
                )
                prox.place(pid, *floor.at[pid])
            acted.add(pid)
        if rng.random() < 0.1:
            pid = f"p{next_id:02d}"
            next_id += 1
            floor.at[pid] = (rng.uniform(0, size), rng.uniform(0, size))
            prox.add(pid, *floor.at[pid])
            near[pid] = set()
            acted.add(pid)
        # Proximity with hysteresis, the plain way, for those who acted.
        for pid in sorted(acted):
            now = {
                q
                for q in floor.at
                if q != pid
                and (
                    floor.distance(pid, q) <= radius
                    or (q in near[pid] and floor.distance(pid, q) <= drop)
                )
            }
            for q in near[pid] - now:
                near[q].discard(pid)
            for q in now - near[pid]:
                near[q].add(pid)
            near[pid] = now
        prox.measure(acted)
        for pid in floor.at:
            assert prox.neighbours(pid) == near[pid], f"step {step}"
        on_floor = lambda p: p in floor.at and p not in floor.in_room  # noqa: E731
        t = step / 15
        want = old.update(near, on_floor, floor.position, offerer, now=t)
        got = new.update(on_floor, offerer, changed=acted, now=t)
        acted = set()
        assert got == want, f"step {step}"
        assert new.pairs == old.pairs
        for pid in floor.at:
            assert new.capped(pid) == old.capped(pid)
            assert len(new.peers(pid)) <= cap


def test_full_update_agrees_with_the_plain_rule() -> None:
    rng = random.Random(7)
    floor = Floor(radius=100)
    old, new = ReferenceMesh(3), floor.mesh(3)
    for i in range(40):
        floor.at[f"p{i}"] = (rng.uniform(0, 400), rng.uniform(0, 400))
    for _ in range(60):
        for pid in rng.sample(sorted(floor.at), 10):
            x, y = floor.at[pid]
            floor.at[pid] = (x + rng.uniform(-30, 30), y + rng.uniform(-30, 30))
        floor.in_room = set(rng.sample(sorted(floor.at), 3))
        got = floor.update(new)
        on_floor = lambda p: p not in floor.in_room  # noqa: E731
        assert got == old.update(floor.neighbours(), on_floor, floor.position, min)
        assert new.pairs == old.pairs


@pytest.mark.parametrize("seed", range(8))
def test_leaving_the_floor_changes_only_pairs_that_chain_back_to_the_leaver(seed: int) -> None:
    """A pair's fate depends only on the pairs before it at its two people,
    so when someone drops off the floor in a dense crowd, the pairs that
    change are theirs and pairs sharing a person with a pair that changed
    before it: a chain from the places they freed, mostly among their
    neighbours. Leaving for good (remove) breaks only their own pairs."""
    rng = random.Random(seed)
    floor = Floor()
    for i in range(150):
        floor.at[f"p{i:03d}"] = (rng.uniform(0, 700), rng.uniform(0, 250))
    near = floor.neighbours()
    mesh, ref = floor.mesh(4), ReferenceMesh(4)
    on_floor = lambda p: p not in floor.in_room  # noqa: E731
    floor.update(mesh)
    ref.update(near, on_floor, floor.position, min)
    gone = sorted(floor.at)[rng.randrange(len(floor.at))]
    theirs = {frozenset((gone, q)) for q in mesh.peers(gone)}
    assert theirs
    floor.in_room.add(gone)
    change = mesh.update(on_floor, min, changed={gone})
    assert change == ref.update(near, on_floor, floor.position, min)
    assert set(change.disconnected) >= theirs
    changed = [set(p) for p in change.disconnected] + [set(p) for p in change.connected]
    reached, chained = {gone}, True
    while chained:
        chained = False
        for pair in changed:
            if pair & reached and not pair <= reached:
                reached |= pair
                chained = True
    assert all(pair <= reached for pair in changed)
    assert not any(gone in pair for pair in mesh.pairs)
    # Leaving for good: only the leaver's pairs break, at once.
    leaver = min(q for q in floor.at if mesh.peers(q))
    before = mesh.pairs
    change = mesh.remove(leaver)
    assert change.connected == ()
    assert set(change.disconnected) == {pair for pair in before if leaver in pair}
    assert mesh.pairs == before - set(change.disconnected)
