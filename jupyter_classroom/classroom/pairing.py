"""Who connects to whom peer-to-peer on the open floor.

The proximity graph says who is near whom. Not every near pair becomes a
peer-to-peer call: people in a room talk through the room's conference
instead, and each person keeps at most ``max_degree`` peers so that a crowd
does not melt laptops (WorkAdventure caps its mesh the same way). Beyond the
cap the nearest peers win; the others are "capped" (the page works that out
itself from the positions and its calls).

The rule is a greedy one: take the candidate pairs in the order of their key
(cost, a, b), a < b as strings, where the cost is the distance, times
:data:`KEEP_BONUS` for a pair that was in the mesh after the previous update,
and keep a pair when neither side has reached the cap.

A call, once started, is held for :attr:`PeerMesh.hold` seconds: while its
two people stay near each other on the floor it comes first in the order,
whoever walks up nearer. Without it a moving crowd re-pairs at every step
(at 100 walkers, a call lasted about 0.2 s: 280 new calls a minute per
person, each a WebRTC connection two browsers set up for nothing). A held
call still ends at once when its two move apart or one leaves the floor.

:class:`PeerMesh` runs that rule over every candidate pair whenever something
it depends on changed, with the pairs in arrays: measuring, ordering and
filtering them is numpy's work, and only the walk down the order is Python's,
over the pairs that can still be kept. In the densest crowd the default map
holds (500 people with ~100 neighbours each, ~25,000 candidate pairs) that
is about 4 ms. The candidate pairs are kept up to date from what changed,
in a matrix of who is a candidate with whom, and an update where nobody
with a candidate pair moved and nothing changed costs nothing.
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

# Taken off the cost of a held pair: more than any distance on a map.
_HELD = 1.0e12


@dataclass(frozen=True)
class MeshChange:
    """What changed in the mesh: pairs to connect and pairs to close."""

    connected: tuple[tuple[str, str], ...]
    """(offerer, answerer) of each new pair."""
    disconnected: tuple[Pair, ...]


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class PeerMesh:
    """The set of peer-to-peer pairs, kept up to date from proximity.

    Pure state: it is told what changed and returns what changed in the mesh;
    the caller turns that into messages. Every pair is reported exactly once
    when it forms and once when it breaks.
    """

    def __init__(self, max_degree: int, hold: float = 0.0) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        if not hold >= 0:
            raise ValueError("hold must be 0 or more")
        self.max_degree = max_degree
        #: Seconds a call, once formed, is kept whoever comes nearer (while
        #: the two stay near each other on the floor).
        self.hold = hold
        #: Candidate pairs: participant -> near participants on the floor.
        self._near: dict[str, set[str]] = {}
        #: Pairs in the mesh: participant -> peers.
        self._peers: dict[str, set[str]] = {}
        #: Who was on the open floor at the last update.
        self._floor: set[str] = set()
        # Everyone with a candidate pair has a slot: an index into the
        # position arrays and the pair matrices. The slots of those left
        # without a candidate pair are reused.
        self._slot: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._free: list[int] = []
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        # Each slot's place among the ids in string order (None: to redo).
        self._rank: np.ndarray | None = None
        # Candidate pairs and pairs in the mesh, by slots (i, j), i < j.
        self._near_at = np.zeros((0, 0), dtype=bool)
        self._kept_at = np.zeros((0, 0), dtype=bool)
        # When each pair in the mesh formed (update's ``now``).
        self._since_at = np.zeros((0, 0))
        # When the next held pair's hold ends: the rule runs again then.
        self._unhold_at = math.inf
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

    def due(self, now: float) -> bool:
        """Whether a hold has ended by ``now``, so the next update must run
        the rule even if nobody moved."""
        return now >= self._unhold_at

    def update(
        self,
        neighbours: Mapping[str, Iterable[str]],
        on_floor: Callable[[str], bool],
        position: Callable[[str], tuple[float, float]],
        offerer: Callable[[str, str], str],
        changed: Iterable[str] | None = None,
        moved: Iterable[str] | None = None,
        now: float | None = None,
        flips: Iterable[tuple[str, str, bool]] | None = None,
    ) -> MeshChange:
        """Bring the mesh up to date.

        ``neighbours`` is the proximity graph, ``on_floor`` tells whether a
        participant stands outside every room and is online, ``position``
        gives where a participant stands (a pair's distance is that of the
        two points) and ``offerer`` picks which of a new pair makes the
        offer.

        ``changed`` names the participants whose neighbours or floor status
        changed, or who moved, since the last update; only they are read from
        ``neighbours`` (which must then be symmetric), and a participant
        missing from it has no neighbours. ``moved``, when given, says which
        of them moved (the others stand where they stood). Without
        ``changed`` the whole graph is read, as given, and nobody else is
        assumed to exist.

        ``now`` (seconds, any clock that only goes forward) dates the pairs
        that form, for :attr:`hold`: a pair formed less than ``hold`` seconds
        before comes first in the order, so it is kept. Without it nothing
        is held.

        ``flips``, given with ``changed``, lists the pairs that became
        neighbours (True) or stopped being (False) since the last update, in
        order. Then ``changed`` need only name those whose floor status may
        have changed, or who moved: the neighbours of someone whose floor
        status stayed are not read, their pairs follow the flips. In a
        walking crowd that is a few pairs a person instead of all their
        neighbours.
        """
        if changed is None:
            desired = self._desired_all(neighbours, on_floor)
            moved_set: Iterable[str] = desired
        else:
            changed_set = set(changed)
            floor = self._floor
            # Those who came onto the floor or left it are read whole; without
            # flips, everyone named is.
            status = set()
            for a in changed_set:
                there = a in neighbours and on_floor(a)
                if there != (a in floor):
                    status.add(a)
                    if there:
                        floor.add(a)
                    else:
                        floor.discard(a)
            if flips is None:
                status = changed_set
            desired = {}
            for a in status:
                if a in floor:
                    want = floor.intersection(neighbours[a])
                    want.discard(a)
                    desired[a] = want
                else:
                    desired[a] = set()
            moved_set = changed_set if moved is None else moved
        removed, touched = self._candidates(desired, position)
        if flips is not None and changed is not None:
            # The pairs of those whose floor status stayed: as the last flip
            # left them (the ones of the others were read whole above).
            last: dict[tuple[str, str], bool] = {}
            for a, b, on in flips:
                last[(a, b) if a < b else (b, a)] = on
            near, floor = self._near, self._floor
            on_pairs: list[tuple[str, str]] = []
            off_pairs: list[tuple[str, str]] = []
            for (a, b), on in last.items():
                if a in status or b in status:
                    continue
                want = on and a in floor and b in floor
                mine = near.get(a)
                have = mine is not None and b in mine
                if want != have:
                    (on_pairs if want else off_pairs).append((a, b))
            if on_pairs or off_pairs:
                removed += self._pairs(on_pairs, off_pairs, position)
                touched = True
        stale = self._stale or touched or (now is not None and self.due(now))
        slots, xs, ys = self._slot, self._x, self._y
        for pid in moved_set:
            slot = slots.get(pid)
            if slot is not None:
                x, y = position(pid)
                if x != xs[slot] or y != ys[slot]:
                    xs[slot], ys[slot] = x, y
                    stale = True
        added: list[tuple[str, str]] = []
        if stale:
            self._rule(added, removed, now)
        self._release()
        connected = []
        for a, b in sorted(added):
            first = offerer(a, b)
            connected.append((first, b if first == a else a))
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(frozenset(p) for p in sorted(removed)),
        )

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who left; their pairs break (and only those:
        who takes the places they free is settled at the next update)."""
        self._floor.discard(pid)
        removed, _ = self._candidates({pid: set()}, lambda q: (math.nan, math.nan))
        self._release()
        if removed:
            self._stale = True
        return MeshChange(connected=(), disconnected=tuple(frozenset(p) for p in sorted(removed)))

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

    def _candidates(
        self, desired: dict[str, set[str]], position: Callable[[str], tuple[float, float]]
    ) -> tuple[list[tuple[str, str]], bool]:
        """Make the candidate pairs of the people in ``desired`` what it says.
        Returns the pairs in the mesh that broke because they are no longer
        candidates, and whether any candidate pair came or went."""
        near = self._near
        peers = self._peers
        slot = self._slot
        # Slot pairs that stop (off) and start (on) being candidates. With
        # neighbours symmetric, each pair is met once.
        off_a: list[int] = []
        off_b: list[int] = []
        on_a: list[int] = []
        on_b: list[int] = []
        removed: list[tuple[str, str]] = []
        for a, want in desired.items():
            have = near.get(a)
            if have:
                gone = have - want
                if gone:
                    sa = slot[a]
                    for b in gone:
                        near[b].discard(a)
                        off_a.append(sa)
                        off_b.append(slot[b])
                    mine = peers.get(a)
                    if mine:
                        for b in mine & gone:
                            removed.append(_ordered(a, b))
                            self._set_peers(a, b, False)
                    have -= gone
                added = want - have
            else:
                have = set()
                added = want
            if added:
                sa = self._take_slot(a, position)
                for b in added:
                    sb = slot.get(b)
                    if sb is None:
                        sb = self._take_slot(b, position)
                    other = near.get(b)
                    if other is None:
                        near[b] = {a}
                    else:
                        other.add(a)
                    on_a.append(sa)
                    on_b.append(sb)
                have |= added
            if have:
                near[a] = have
            else:
                near.pop(a, None)
        self._mark(off_a, off_b, on_a, on_b)
        return removed, bool(off_a or on_a)

    def _pairs(
        self,
        on_pairs: list[tuple[str, str]],
        off_pairs: list[tuple[str, str]],
        position: Callable[[str], tuple[float, float]],
    ) -> list[tuple[str, str]]:
        """Make the pairs ``on_pairs`` candidates and ``off_pairs`` not (each
        pair (a, b), a < b, in the state it is not in). Returns the pairs
        in the mesh that broke."""
        near, peers, slot = self._near, self._peers, self._slot
        removed: list[tuple[str, str]] = []
        off_a: list[int] = []
        off_b: list[int] = []
        for a, b in off_pairs:
            for x, y in ((a, b), (b, a)):
                mine = near[x]
                mine.discard(y)
                if not mine:
                    del near[x]
            off_a.append(slot[a])
            off_b.append(slot[b])
            mine = peers.get(a)
            if mine and b in mine:
                removed.append((a, b))
                self._set_peers(a, b, False)
        on_a: list[int] = []
        on_b: list[int] = []
        for a, b in on_pairs:
            sa, sb = slot.get(a), slot.get(b)
            on_a.append(self._take_slot(a, position) if sa is None else sa)
            on_b.append(self._take_slot(b, position) if sb is None else sb)
            for x, y in ((a, b), (b, a)):
                mine = near.get(x)
                if mine is None:
                    near[x] = {y}
                else:
                    mine.add(y)
        self._mark(off_a, off_b, on_a, on_b)
        return removed

    def _mark(self, off_a: list[int], off_b: list[int], on_a: list[int], on_b: list[int]) -> None:
        """Candidate pairs by slots, in the matrices (offs first: under the
        contract no pair is both)."""
        for xs, ys, on in ((off_a, off_b, False), (on_a, on_b, True)):
            if xs:
                i, j = np.array(xs), np.array(ys)
                lo, hi = np.minimum(i, j), np.maximum(i, j)
                self._near_at[lo, hi] = on
                if not on:
                    self._kept_at[lo, hi] = False

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
                self._grow(max(16, 2 * len(self._x)))
        self._slot[pid] = slot
        self._x[slot], self._y[slot] = position(pid)
        self._rank = None
        return slot

    def _grow(self, size: int) -> None:
        old = len(self._x)
        self._x = np.resize(self._x, size)
        self._y = np.resize(self._y, size)
        for name, kind in (("_near_at", bool), ("_kept_at", bool), ("_since_at", float)):
            grown = np.zeros((size, size), dtype=kind)
            grown[:old, :old] = getattr(self, name)
            setattr(self, name, grown)

    def _release(self) -> None:
        """Free the slots of those left without a candidate pair (their rows
        in the matrices are clear)."""
        near = self._near
        for pid in [pid for pid in self._slot if not near.get(pid)]:
            near.pop(pid, None)
            slot = self._slot.pop(pid)
            self._ids[slot] = None
            self._x[slot] = self._y[slot] = math.nan
            self._free.append(slot)
            self._rank = None

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

    def _rule(self, added: list[tuple[str, str]], removed: list[tuple[str, str]], when: float | None) -> None:
        """The greedy rule over every candidate pair; the pairs that flip are
        applied to the mesh and listed in ``added`` and ``removed``."""
        n = len(self._ids)
        i, j = np.nonzero(self._near_at[:n, :n])
        kept = self._kept_at[i, j]
        x, y = self._x, self._y
        dx = x[i] - x[j]
        dy = y[i] - y[j]
        # The correctly rounded root of the sum of squares: exactly
        # math.hypot whenever that sum is exact (people on a grid, where
        # equal distances are common and ties must fall by the ids), within
        # an ulp of it otherwise. np.hypot is not: it differs on integers.
        distance = np.sqrt(dx * dx + dy * dy)
        cost = np.where(kept, distance * KEEP_BONUS, distance)
        self._unhold_at = math.inf
        if self.hold > 0 and when is not None:
            # Calls younger than the hold go first (below every other cost):
            # all of them fit, since they are in the mesh together.
            since = self._since_at[i, j]
            held = kept & (since > when - self.hold)
            if held.any():
                cost = np.where(held, cost - _HELD, cost)
                self._unhold_at = float(since[held].min()) + self.hold
        rank = self._ranks()
        ri, rj = rank[i], rank[j]
        first, second = np.minimum(ri, rj), np.maximum(ri, rj)
        now = _greedy(cost, first, second, i, j, n, self.max_degree)
        flips = np.flatnonzero(now != kept)
        self._stale = bool(len(flips))
        if not len(flips):
            return
        ids = self._ids
        for e in flips.tolist():
            pair = _ordered(ids[i[e]], ids[j[e]])  # type: ignore[arg-type]
            on = bool(now[e])
            self._set_peers(*pair, on)
            (added if on else removed).append(pair)
        self._kept_at[i[flips], j[flips]] = now[flips]
        formed = flips[now[flips]]
        if when is not None and len(formed):
            self._since_at[i[formed], j[formed]] = when
            if self.hold > 0:
                self._unhold_at = min(self._unhold_at, when + self.hold)


def _greedy(
    cost: np.ndarray, first: np.ndarray, second: np.ndarray, a: np.ndarray, b: np.ndarray, slots: int, cap: int
) -> np.ndarray:
    """Which pairs (a[e], b[e]) the rule keeps, taken in the order of their
    keys (cost[e], first[e], second[e]).

    Only what the walk down the order needs is sorted: the cheapest pairs
    first (a partition, then a sort of that part), then, after each part,
    what is left without dropping the pairs with a side already at the cap
    (in a crowd most pairs are). So Python looks at few more pairs than it
    keeps, and numpy sorts few more."""
    kept = np.zeros(len(cost), dtype=bool)
    if cap == 0:
        return kept
    degree = [0] * slots
    rest = np.arange(len(cost))
    size = max(256, 2 * slots)
    while len(rest):
        if len(rest) > size:
            costs = cost[rest]
            bound = costs[np.argpartition(costs, size)[size]]
            # Everything cheaper than the bound goes before everything else,
            # ties with it included.
            before = costs < bound
            if not before.any():
                before = costs <= bound
            head, rest = rest[before], rest[~before]
        else:
            head, rest = rest, rest[:0]
        head = _in_order(head, cost, first, second)
        taken = []
        for e, p, q in zip(head.tolist(), a[head].tolist(), b[head].tolist()):
            if degree[p] < cap and degree[q] < cap:
                degree[p] += 1
                degree[q] += 1
                taken.append(e)
        kept[taken] = True
        if len(rest):
            full = np.array(degree) >= cap
            rest = rest[~(full[a[rest]] | full[b[rest]])]
            size *= 2
    return kept


def _in_order(pairs: np.ndarray, cost: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``pairs`` sorted by (cost, first, second): by cost, then the runs of
    equal costs (people on a grid) by the ids."""
    pairs = pairs[np.argsort(cost[pairs])]
    costs = cost[pairs]
    tied = np.flatnonzero(costs[1:] == costs[:-1])
    if len(tied):
        at = np.union1d(tied, tied + 1)
        runs = pairs[at]
        pairs[at] = runs[np.lexsort((second[runs], first[runs], cost[runs]))]
    return pairs
