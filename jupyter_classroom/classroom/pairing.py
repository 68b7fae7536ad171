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
it depends on changed. It works on the slots of the proximity graph
(:mod:`.proximity`): a candidate pair is a near pair with both people on the
floor, read from the matrices whole, and measuring, ordering and filtering
the pairs is numpy's work. Only the walk down the order is Python's, over
the pairs that can still be kept, after the held calls (which all fit) are
kept at once. In the densest crowd the default map holds (500 people with
~100 neighbours each, ~25,000 candidate pairs, everyone walking) an update
is about 2 ms, and an update where nobody with a candidate pair moved and
nothing changed does not run the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .proximity import Proximity

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

    Pure state: it reads the proximity graph (the same slots), is told whose
    floor status may have changed, and returns what changed in the mesh; the
    caller turns that into messages. Every pair is reported exactly once when
    it forms and once when it breaks.
    """

    def __init__(self, proximity: Proximity, max_degree: int, hold: float = 0.0) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        if not hold >= 0:
            raise ValueError("hold must be 0 or more")
        self.proximity = proximity
        self.max_degree = max_degree
        #: Seconds a call, once formed, is kept whoever comes nearer (while
        #: the two stay near each other on the floor).
        self.hold = hold
        #: Pairs in the mesh: participant -> peers.
        self._peers: dict[str, set[str]] = {}
        # By slot: who is on the open floor (as of the last update), and
        # where each stood when the rule last ran.
        self._floor = np.zeros(0, dtype=bool)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        # By pairs of slots (i, j), i < j: the candidates at the last update
        # (near, both on the floor), the pairs in the mesh, and when each
        # formed (update's ``now``).
        self._near_at = np.zeros((0, 0), dtype=bool)
        self._kept_at = np.zeros((0, 0), dtype=bool)
        self._since_at = np.zeros((0, 0))
        self._upper = np.zeros((0, 0), dtype=bool)
        # When the next held pair's hold ends: the rule runs again then.
        self._unhold_at = math.inf
        # Whether the rule must run at the next update even if nothing
        # changed: pairs formed or broke (their keep bonus changes) or
        # someone left (their peers have room).
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
        """Near neighbours of ``pid`` on the floor it is not connected to
        because of the cap (as of the last update)."""
        prox = self.proximity
        if pid not in prox or not self._floor[prox.slot(pid)]:
            return frozenset()
        s = prox.slot(pid)
        near = self._near_at[s] | self._near_at[:, s]
        return frozenset(prox.names(np.flatnonzero(near))) - self._peers.get(pid, set())

    def paired(self, a: str, b: str) -> bool:
        return b in self._peers.get(a, ())

    # -- changes ----------------------------------------------------------

    @property
    def stale(self) -> bool:
        """Whether the next update runs the rule even if nothing changed:
        pairs formed or broke (their keep bonus changed), or someone left
        (their peers have room)."""
        return self._stale

    def due(self, now: float) -> bool:
        """Whether a hold has ended by ``now``, so the next update must run
        the rule even if nobody moved."""
        return now >= self._unhold_at

    def update(
        self,
        on_floor: Callable[[str], bool],
        offerer: Callable[[str, str], str],
        changed: Iterable[str] = (),
        now: float | None = None,
    ) -> MeshChange:
        """Bring the mesh up to date with the proximity graph and where
        everyone stands in it.

        ``on_floor`` tells whether a participant stands outside every room
        and is online; it is asked about ``changed``, those whose floor
        status may have changed since the last update (everyone placed since
        counts as off the floor until named). ``offerer`` picks which of a
        new pair makes the offer.

        ``now`` (seconds, any clock that only goes forward) dates the pairs
        that form, for :attr:`hold`: a pair formed less than ``hold`` seconds
        before comes first in the order, so it is kept. Without it nothing
        is held.

        The candidate pairs are read from the matrix whole, every time: that
        is numpy's work over the slots (well under a millisecond at 500
        people), and the rule runs only when a candidate pair came or went,
        someone with one moved, a pair formed or broke last time, or a hold
        ended.
        """
        prox = self.proximity
        self._fit()
        floor = self._floor
        for pid in changed:
            if pid in prox:
                floor[prox.slot(pid)] = on_floor(pid)
        # Whole matrices (the slots' capacity, not only those in use): their
        # flat indices are the pairs'.
        near = prox.near & floor
        near &= floor[:, None]
        near &= self._upper
        stale = self._stale or (now is not None and self.due(now))
        if not np.array_equal(near, self._near_at):
            self._near_at = near
            stale = True
        if not stale:
            # Someone with a candidate pair moved: distances changed.
            moved = (prox.x != self._x) | (prox.y != self._y)
            stale = bool(moved.any()) and bool((moved & (near.any(0) | near.any(1))).any())
        added: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        if stale:
            self._rule(added, removed, now)
        connected = []
        for a, b in sorted(added):
            first = offerer(a, b)
            connected.append((first, b if first == a else a))
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(frozenset(p) for p in sorted(removed)),
        )

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who leaves (before the proximity graph does);
        their pairs break, and only those: who takes the places they free is
        settled at the next update."""
        prox = self.proximity
        removed: list[tuple[str, str]] = []
        if pid in prox:
            self._fit()
            s = prox.slot(pid)
            self._floor[s] = False
            for matrix in (self._near_at, self._kept_at):
                matrix[s, :] = False
                matrix[:, s] = False
            for q in self._peers.get(pid, set()).copy():
                removed.append(_ordered(pid, q))
                self._set_peers(pid, q, False)
        if removed:
            self._stale = True
        return MeshChange(connected=(), disconnected=tuple(frozenset(p) for p in sorted(removed)))

    # -- internals --------------------------------------------------------

    def _fit(self) -> None:
        """Make room for every slot the proximity graph has."""
        size = self.proximity.capacity
        old = len(self._floor)
        if size <= old:
            return
        for name in ("_floor", "_x", "_y"):
            grown = np.zeros(size, dtype=getattr(self, name).dtype)
            grown[:old] = getattr(self, name)
            setattr(self, name, grown)
        for name in ("_near_at", "_kept_at", "_since_at"):
            matrix = getattr(self, name)
            grown = np.zeros((size, size), dtype=matrix.dtype)
            grown[:old, :old] = matrix
            setattr(self, name, grown)
        self._upper = np.triu(np.ones((size, size), dtype=bool), 1)

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

    def _rule(
        self, added: list[tuple[str, str]], removed: list[tuple[str, str]], when: float | None
    ) -> None:
        """The greedy rule over every candidate pair; the pairs that flip are
        applied to the mesh and listed in ``added`` and ``removed``."""
        prox = self.proximity
        ids = prox.ids
        size = len(self._floor)
        # The matrices flat: a pair (i, j) is at i * size + j.
        near_at, kept_at, since_at = (
            self._near_at.ravel(),
            self._kept_at.ravel(),
            self._since_at.ravel(),
        )
        # Pairs in the mesh that are no longer candidates break first.
        gone = np.flatnonzero(kept_at & ~near_at)
        for a, b in zip(*(v.tolist() for v in np.divmod(gone, size)), strict=True):
            pair = _ordered(ids[a], ids[b])
            self._set_peers(*pair, False)
            removed.append(pair)
        kept_at[gone] = False
        pairs = np.flatnonzero(near_at)
        i, j = np.divmod(pairs, size)
        kept = kept_at[pairs]
        x, y = prox.x, prox.y
        self._x[:], self._y[:] = x, y
        dx = x[i] - x[j]
        dy = y[i] - y[j]
        # The correctly rounded root of the sum of squares: exactly
        # math.hypot whenever that sum is exact (people on a grid, where
        # equal distances are common and ties must fall by the ids), within
        # an ulp of it otherwise. np.hypot is not: it differs on integers.
        distance = np.sqrt(dx * dx + dy * dy)
        cost = np.where(kept, distance * KEEP_BONUS, distance)
        self._unhold_at = math.inf
        held = None
        if self.hold > 0 and when is not None:
            # Calls younger than the hold go first (below every other cost):
            # all of them fit, since they are in the mesh together.
            since = since_at[pairs]
            held = kept & (since > when - self.hold)
            if held.any():
                cost = np.where(held, cost - _HELD, cost)
                self._unhold_at = float(since[held].min()) + self.hold
            else:
                held = None
        rank = prox.ranks()
        ri, rj = rank[i], rank[j]
        first, second = np.minimum(ri, rj), np.maximum(ri, rj)
        now = _greedy(cost, first, second, i, j, size, self.max_degree, held)
        flips = np.flatnonzero(now != kept)
        self._stale = bool(len(flips) or len(gone))
        if not len(flips):
            return
        for e in flips.tolist():
            pair = _ordered(ids[i[e]], ids[j[e]])
            on = bool(now[e])
            self._set_peers(*pair, on)
            (added if on else removed).append(pair)
        kept_at[pairs[flips]] = now[flips]
        formed = flips[now[flips]]
        if when is not None and len(formed):
            since_at[pairs[formed]] = when
            if self.hold > 0:
                self._unhold_at = min(self._unhold_at, when + self.hold)


def _greedy(
    cost: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    slots: int,
    cap: int,
    held: np.ndarray | None = None,
) -> np.ndarray:
    """Which pairs (a[e], b[e]) the rule keeps, taken in the order of their
    keys (cost[e], first[e], second[e]).

    ``held`` marks pairs that come before all others and fit together (each
    side has at most ``cap`` of them): they are all kept, at once.

    Only what the walk down the order needs is sorted: the cheapest pairs
    first (a partition, then a sort of that part), then, after each part,
    what is left without dropping the pairs with a side already at the cap
    (in a crowd most pairs are). So Python looks at few more pairs than it
    keeps, and numpy sorts few more."""
    kept = np.zeros(len(cost), dtype=bool)
    if cap == 0:
        return kept
    rest = np.arange(len(cost))
    if held is None:
        degree = [0] * slots
    else:
        kept[held] = True
        counts = np.bincount(a[held], minlength=slots) + np.bincount(b[held], minlength=slots)
        full = counts >= cap
        rest = rest[~held]
        rest = rest[~(full[a[rest]] | full[b[rest]])]
        degree = counts.tolist()
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
        for e, p, q in zip(head.tolist(), a[head].tolist(), b[head].tolist(), strict=True):
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


def _in_order(
    pairs: np.ndarray, cost: np.ndarray, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """``pairs`` sorted by (cost, first, second): by cost, then the runs of
    equal costs (people on a grid) by the ids."""
    pairs = pairs[np.argsort(cost[pairs])]
    costs = cost[pairs]
    tied = np.flatnonzero(costs[1:] == costs[:-1])
    if len(tied):
        # Both ends of each tie (not np.union1d: its first call imports
        # numpy.ma, 8 ms in the middle of a tick).
        ends = np.zeros(len(pairs), dtype=bool)
        ends[tied] = True
        ends[tied + 1] = True
        at = np.flatnonzero(ends)
        runs = pairs[at]
        pairs[at] = runs[np.lexsort((second[runs], first[runs], cost[runs]))]
    return pairs
