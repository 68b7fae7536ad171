"""Who connects to whom peer-to-peer on the open floor.

The proximity graph says who is near whom. Not every near pair becomes a
peer-to-peer call: people in a room talk through the room's conference
instead, and each person keeps at most ``max_degree`` peers so that a crowd
does not melt laptops (WorkAdventure caps its mesh the same way). Beyond the
cap the nearest peers win; the others are "capped" and the UI says so.

The rule is a greedy one: take the candidate pairs in the order of their key
(cost, a, b), a < b as strings, where the cost is the distance, times
:data:`KEEP_BONUS` for a pair that was in the mesh after the previous update,
and keep a pair when neither side has reached the cap.

:class:`PeerMesh` runs that rule over every candidate pair whenever something
it depends on changed, with the pairs in arrays: measuring, ordering and
filtering them is numpy's work, and only the walk down the order is Python's,
over the pairs that can still be kept. In the densest crowd the default map
holds (500 people with ~100 neighbours each, ~17,000 candidate pairs) that is
a few milliseconds; the candidate pairs themselves are kept up to date from
what changed, and an update where nobody near anyone moved costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

Pair = frozenset[str]

# An existing pair counts as this much nearer when the cap forces a choice, so
# two people at almost the same distance do not swap places at every step.
KEEP_BONUS = 0.8

# Costs closer than this (relative) are measured again with math.hypot, so
# that ties and near-ties fall exactly as the rule written with math.hypot
# says: numpy's square root of the sum of squares may differ from it by an
# ulp, which only matters between costs that close.
_NEAR_TIE = 1e-12


@dataclass(frozen=True)
class MeshChange:
    """What changed in the mesh: pairs to connect and pairs to close."""

    connected: tuple[tuple[str, str], ...]
    """(offerer, answerer) of each new pair."""
    disconnected: tuple[Pair, ...]
    capped_changed: frozenset[str]
    """Participants whose set of capped neighbours changed."""
    capped: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    """How: (participant, who became capped, who no longer is), by participant."""


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class PeerMesh:
    """The set of peer-to-peer pairs, kept up to date from proximity.

    Pure state: it is told what changed and returns what changed in the mesh;
    the caller turns that into messages. Every pair is reported exactly once
    when it forms and once when it breaks.
    """

    def __init__(self, max_degree: int) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        self.max_degree = max_degree
        #: Candidate pairs: participant -> near participants on the floor.
        self._near: dict[str, set[str]] = {}
        #: Pairs in the mesh: participant -> peers.
        self._peers: dict[str, set[str]] = {}
        #: Who was on the open floor at the last update.
        self._floor: set[str] = set()
        # Everyone with a candidate pair has a slot: an index into the
        # position arrays. Slots of those who lose their last candidate pair
        # are reused.
        self._slot: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._free: list[int] = []
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        # Each slot's place among the ids in string order (None: to redo).
        self._rank: np.ndarray | None = None
        # The candidate pairs, (a, b) with a < b: their index in the arrays
        # of slots (_a, _b) and of whether the pair is in the mesh (_kept).
        self._edge: dict[tuple[str, str], int] = {}
        self._a = np.zeros(0, dtype=np.intp)
        self._b = np.zeros(0, dtype=np.intp)
        self._kept = np.zeros(0, dtype=bool)
        # Whether the rule must run at the next update even if nothing is
        # named as changed: pairs formed or broke (their keep bonus changes)
        # or someone left (their peers have room).
        self._stale = False

    # -- queries ----------------------------------------------------------

    @property
    def pairs(self) -> frozenset[Pair]:
        """Every pair in the mesh (built on demand: for tests and tools)."""
        return frozenset(
            frozenset((a, b)) for a, peers in self._peers.items() for b in peers if a < b
        )

    def peers(self, pid: str) -> frozenset[str]:
        return frozenset(self._peers.get(pid, ()))

    def capped(self, pid: str) -> frozenset[str]:
        """Near neighbours of ``pid`` it is not connected to because of the cap."""
        near = self._near.get(pid)
        if not near:
            return frozenset()
        return frozenset(near - self._peers.get(pid, set()))

    def paired(self, a: str, b: str) -> bool:
        return b in self._peers.get(a, ())

    # -- changes ----------------------------------------------------------

    def update(
        self,
        neighbours: Mapping[str, Iterable[str]],
        on_floor: Callable[[str], bool],
        position: Callable[[str], tuple[float, float]],
        offerer: Callable[[str, str], str],
        changed: Iterable[str] | None = None,
        moved: Iterable[str] | None = None,
    ) -> MeshChange:
        """Bring the mesh up to date.

        ``neighbours`` is the proximity graph, ``on_floor`` tells whether a
        participant stands outside every room and is online, ``position``
        gives where a participant stands (a pair's distance is
        ``math.hypot`` of the difference) and ``offerer`` picks which of a
        new pair makes the offer.

        ``changed`` names the participants whose neighbours or floor status
        changed, or who moved, since the last update; only they are read from
        ``neighbours`` (which must then be symmetric), and a participant
        missing from it has no neighbours. ``moved``, when given, says which
        of them moved (the others stand where they stood). Without
        ``changed`` the whole graph is read, as given, and nobody else is
        assumed to exist.
        """
        if changed is None:
            desired = self._desired_all(neighbours, on_floor)
            moved_set: Iterable[str] = desired
        else:
            changed_set = set(changed)
            floor = self._floor
            for a in changed_set:
                if a in neighbours and on_floor(a):
                    floor.add(a)
                else:
                    floor.discard(a)
            desired = {}
            for a in changed_set:
                if a in floor:
                    want = floor.intersection(neighbours[a])
                    want.discard(a)
                    desired[a] = want
                else:
                    desired[a] = set()
            moved_set = changed_set if moved is None else moved
        return _Update(self, position).run(desired, moved_set, offerer)

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who left; their pairs break (and only those:
        who takes the places they free is settled at the next update)."""
        peers = set(self._peers.get(pid, ()))
        capped = []
        for q in sorted(self._near.get(pid, ())):
            if q not in peers:
                capped.append((q, (), (pid,)))  # pid was one of q's capped neighbours
            self._drop_edge(*_ordered(pid, q))
        self._floor.discard(pid)
        if peers:
            self._stale = True
        return MeshChange(
            connected=(),
            disconnected=tuple(sorted((frozenset((pid, q)) for q in peers), key=sorted)),
            capped_changed=frozenset(q for q, _, _ in capped),
            capped=tuple(capped),
        )

    # -- internals --------------------------------------------------------

    def _desired_all(
        self, neighbours: Mapping[str, Iterable[str]], on_floor: Callable[[str], bool]
    ) -> dict[str, set[str]]:
        desired: dict[str, set[str]] = {a: set() for a in self._near}
        floor = self._floor
        floor.clear()
        for a in neighbours:
            if on_floor(a):
                floor.add(a)
        for a, near in neighbours.items():
            desired.setdefault(a, set())
            if a not in floor:
                continue
            for b in near:
                if a != b and (b in floor or (b not in neighbours and on_floor(b))):
                    desired[a].add(b)
                    desired.setdefault(b, set()).add(a)
        return desired

    def _take_slot(self, pid: str, position: Callable[[str], tuple[float, float]]) -> int:
        slot = self._slot.get(pid)
        if slot is not None:
            return slot
        if self._free:
            slot = self._free.pop()
            self._ids[slot] = pid
        else:
            slot = len(self._ids)
            self._ids.append(pid)
            if slot >= len(self._x):
                size = max(16, 2 * len(self._x))
                self._x = np.resize(self._x, size)
                self._y = np.resize(self._y, size)
        self._slot[pid] = slot
        self._x[slot], self._y[slot] = position(pid)
        self._rank = None
        return slot

    def _add_edge(self, a: str, b: str, position: Callable[[str], tuple[float, float]]) -> None:
        """Make (a, b), a < b, a candidate pair (not in the mesh)."""
        n = len(self._edge)
        if n >= len(self._a):
            size = max(64, 2 * len(self._a))
            self._a = np.resize(self._a, size)
            self._b = np.resize(self._b, size)
            self._kept = np.resize(self._kept, size)
        self._a[n] = self._take_slot(a, position)
        self._b[n] = self._take_slot(b, position)
        self._kept[n] = False
        self._edge[(a, b)] = n
        self._near.setdefault(a, set()).add(b)
        self._near.setdefault(b, set()).add(a)

    def _drop_edge(self, a: str, b: str) -> bool:
        """(a, b), a < b, is no longer a candidate pair; returns whether it was
        in the mesh (it is not anymore)."""
        i = self._edge.pop((a, b))
        kept = bool(self._kept[i])
        last = len(self._edge)
        if i != last:
            # The last pair takes the freed place.
            sa, sb = int(self._a[last]), int(self._b[last])
            self._a[i], self._b[i], self._kept[i] = sa, sb, self._kept[last]
            self._edge[(self._ids[sa], self._ids[sb])] = i  # type: ignore[index]
        if kept:
            self._set_peers(a, b, False)
        for x, y in ((a, b), (b, a)):
            near = self._near[x]
            near.discard(y)
            if not near:
                del self._near[x]
                slot = self._slot.pop(x)
                self._ids[slot] = None
                self._x[slot] = self._y[slot] = math.nan
                self._free.append(slot)
                self._rank = None
        return kept

    def _set_peers(self, a: str, b: str, on: bool) -> None:
        peers = self._peers
        if on:
            peers.setdefault(a, set()).add(b)
            peers.setdefault(b, set()).add(a)
        else:
            for x, y in ((a, b), (b, a)):
                mine = peers[x]
                mine.discard(y)
                if not mine:
                    del peers[x]

    def _ranks(self) -> np.ndarray:
        """Each slot's place among the ids in string order."""
        if self._rank is None:
            ids = self._ids
            used = sorted((pid, slot) for slot, pid in enumerate(ids) if pid is not None)
            rank = np.zeros(len(ids), dtype=np.intp)
            rank[[slot for _, slot in used]] = np.arange(len(used))
            self._rank = rank
        return self._rank


class _Update:
    """One update of a :class:`PeerMesh`."""

    def __init__(self, mesh: PeerMesh, position: Callable[[str], tuple[float, float]]) -> None:
        self.mesh = mesh
        self.position = position
        # Each pair touched in this update: whether it was a candidate, and
        # whether it was in the mesh, before it.
        self.before: dict[tuple[str, str], tuple[bool, bool]] = {}

    def run(
        self,
        desired: dict[str, set[str]],
        moved: Iterable[str],
        offerer: Callable[[str, str], str],
    ) -> MeshChange:
        mesh = self.mesh
        near = mesh._near
        before = self.before
        dirty = mesh._stale
        # The candidate pairs of the changed people: gone or new.
        for a, want in desired.items():
            have = near.get(a)
            if have:
                for b in have - want:
                    pair = _ordered(a, b)
                    before.setdefault(pair, (True, mesh._drop_edge(*pair)))
                    dirty = True
            added = want - near.get(a, set())
            for b in added:
                pair = _ordered(a, b)
                before.setdefault(pair, (False, False))
                mesh._add_edge(*pair, self.position)
                dirty = True
        # Where the movers stand now (those with a new pair were just placed).
        slots = mesh._slot
        for pid in moved:
            slot = slots.get(pid)
            if slot is not None:
                x, y = self.position(pid)
                if x != mesh._x[slot] or y != mesh._y[slot]:
                    mesh._x[slot], mesh._y[slot] = x, y
                    dirty = True
        if dirty:
            self.rule()
        return self.result(offerer)

    def rule(self) -> None:
        """The greedy rule over every candidate pair; the pairs that flip are
        applied to the mesh."""
        mesh = self.mesh
        n = len(mesh._edge)
        a, b, kept = mesh._a[:n], mesh._b[:n], mesh._kept[:n]
        x, y = mesh._x, mesh._y
        dx = x[a] - x[b]
        dy = y[a] - y[b]
        distance = np.sqrt(dx * dx + dy * dy)
        cost = np.where(kept, distance * KEEP_BONUS, distance)
        rank = mesh._ranks()
        ra, rb = rank[a], rank[b]
        order = np.lexsort((rb, ra, cost))
        if n > 1:
            sorted_cost = cost[order]
            close = np.flatnonzero(np.diff(sorted_cost) <= sorted_cost[1:] * _NEAR_TIE)
            if len(close):
                for i in np.union1d(order[close], order[close + 1]).tolist():
                    sa, sb = a[i], b[i]
                    d = math.hypot(float(x[sa] - x[sb]), float(y[sa] - y[sb]))
                    cost[i] = d * KEEP_BONUS if kept[i] else d
                order = np.lexsort((rb, ra, cost))
        now = self.greedy(order, a, b, len(mesh._ids))
        flips = np.flatnonzero(now != kept)
        if not len(flips):
            mesh._stale = False
            return
        mesh._stale = True
        ids = mesh._ids
        for i in flips.tolist():
            pair: tuple[str, str] = (ids[a[i]], ids[b[i]])  # type: ignore[assignment]
            on = bool(now[i])
            self.before.setdefault(pair, (True, not on))
            mesh._set_peers(*pair, on)
        kept[flips] = now[flips]

    def greedy(self, order: np.ndarray, a: np.ndarray, b: np.ndarray, slots: int) -> np.ndarray:
        """Which pairs the rule keeps, given their order.

        The walk goes down the order in chunks; after each, the pairs left
        with a side already at the cap are dropped at once (in a crowd most
        pairs are), so Python looks at few more than it keeps."""
        cap = self.mesh.max_degree
        kept = np.zeros(len(a), dtype=bool)
        if cap == 0:
            return kept
        degree = [0] * slots
        rest = order
        chunk = max(256, slots)
        while len(rest):
            head, rest = rest[:chunk], rest[chunk:]
            taken = []
            for i, p, q in zip(head.tolist(), a[head].tolist(), b[head].tolist()):
                if degree[p] < cap and degree[q] < cap:
                    degree[p] += 1
                    degree[q] += 1
                    taken.append(i)
            kept[taken] = True
            if len(rest):
                full = np.array(degree) >= cap
                rest = rest[~(full[a[rest]] | full[b[rest]])]
                chunk *= 2
        return kept

    def result(self, offerer: Callable[[str, str], str]) -> MeshChange:
        mesh = self.mesh
        near, peers = mesh._near, mesh._peers
        added: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        # A pair is capped while it is a candidate and not kept: whose capped
        # neighbours changed follows from the pairs that appeared, went or
        # flipped, without building anyone's whole set.
        capped: dict[str, tuple[list[str], list[str]]] = {}
        for pair, (was_near, was_kept) in self.before.items():
            a, b = pair
            kept = b in peers.get(a, ())
            if kept != was_kept:
                (added if kept else removed).append(pair)
            now = not kept and b in near.get(a, ())
            if now != (was_near and not was_kept):
                for x, y in ((a, b), (b, a)):
                    lists = capped.get(x)
                    if lists is None:
                        lists = capped[x] = ([], [])
                    lists[0 if now else 1].append(y)
        connected = []
        for a, b in sorted(added):
            first = offerer(a, b)
            connected.append((first, b if first == a else a))
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(frozenset(p) for p in sorted(removed)),
            capped_changed=frozenset(capped),
            capped=tuple(
                (pid, tuple(sorted(came)), tuple(sorted(went)))
                for pid, (came, went) in sorted(capped.items())
            ),
        )
