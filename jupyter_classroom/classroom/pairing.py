"""Who connects to whom peer-to-peer on the open floor.

The proximity graph says who is near whom. Not every near pair becomes a
peer-to-peer call: people in a room talk through the room's conference
instead, and each person keeps at most ``max_degree`` peers so that a crowd
does not melt laptops (WorkAdventure caps its mesh the same way). Beyond the
cap the nearest peers win; the others are "capped" and the UI says so.

The rule is a greedy one: take the candidate pairs from nearest to farthest
(an existing pair counts as nearer by :data:`KEEP_BONUS`) and keep a pair
when neither side has reached the cap. :class:`PeerMesh` keeps the outcome of
that rule up to date without running it over the whole crowd: a pair's
fate depends only on the cheaper pairs that share one of its people, so
when something changes, only the pairs after it in that order, at the same
people, are looked at again, and that stops as soon as nothing flips.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Pair = frozenset[str]
#: A pair's place in the greedy order: (cost, first id, second id).
Key = tuple[float, str, str]

# An existing pair counts as this much nearer when the cap forces a choice, so
# two people at almost the same distance do not swap places at every step.
KEEP_BONUS = 0.8


@dataclass(frozen=True)
class MeshChange:
    """What changed in the mesh: pairs to connect and pairs to close."""

    connected: tuple[tuple[str, str], ...]
    """(offerer, answerer) of each new pair."""
    disconnected: tuple[Pair, ...]
    capped_changed: frozenset[str]
    """Participants whose set of capped neighbours changed."""


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class PeerMesh:
    """The set of peer-to-peer pairs, kept up to date from proximity.

    Pure state: it is told what changed and returns what changed in the mesh;
    the caller turns that into messages. Every pair is reported exactly once
    when it forms and once when it breaks. Work per update is proportional to
    the people named as changed and their neighbourhoods.
    """

    def __init__(self, max_degree: int) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        self.max_degree = max_degree
        #: Candidate pairs: participant -> {near participant: distance}.
        self._near: dict[str, dict[str, float]] = {}
        #: Pairs in the mesh: participant -> peers.
        self._peers: dict[str, set[str]] = {}
        # Pairs that formed or broke in the last update: their keep bonus
        # changed, so their place in the order changes in the next one.
        # Value: whether the pair was in the mesh before that update.
        self._rekey: dict[tuple[str, str], bool] = {}
        # People who lost a pair through remove(): the pairs they still have
        # are looked at again in the next update.
        self._pending: set[str] = set()

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
        peers = self._peers.get(pid, ())
        return frozenset(q for q in near if q not in peers)

    def paired(self, a: str, b: str) -> bool:
        return b in self._peers.get(a, ())

    # -- changes ----------------------------------------------------------

    def update(
        self,
        neighbours: Mapping[str, Iterable[str]],
        on_floor: Callable[[str], bool],
        distance: Callable[[str, str], float],
        offerer: Callable[[str, str], str],
        changed: Iterable[str] | None = None,
    ) -> MeshChange:
        """Bring the mesh up to date.

        ``neighbours`` is the proximity graph, ``on_floor`` tells whether a
        participant stands outside every room and is online, ``distance``
        measures a pair and ``offerer`` picks which of a new pair makes the
        offer.

        ``changed`` names the participants whose neighbours, position or
        floor status changed since the last update; only they are read from
        ``neighbours`` (which must then be symmetric), and a participant
        missing from it has no neighbours. Without ``changed`` the whole
        graph is read, as given, and nobody else is assumed to exist.
        """
        if changed is None:
            desired = self._desired_all(neighbours, on_floor)
        else:
            desired = {}
            for a in set(changed):
                near = neighbours.get(a)
                if near is None or not on_floor(a):
                    desired[a] = set()
                else:
                    desired[a] = {b for b in near if b != a and on_floor(b)}
        return _Update(self, desired, distance, offerer).run()

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who left; their pairs break."""
        near = self._near.pop(pid, {})
        peers = self._peers.pop(pid, set())
        changed: set[str] = set()
        for q in near:
            q_near = self._near.get(q)
            if q_near is not None:
                q_near.pop(pid, None)
                if not q_near:
                    del self._near[q]
            if q in peers:
                q_peers = self._peers[q]
                q_peers.discard(pid)
                if not q_peers:
                    del self._peers[q]
                self._pending.add(q)
            else:
                changed.add(q)  # pid was one of q's capped neighbours
        self._pending.discard(pid)
        for key in [k for k in self._rekey if pid in k]:
            del self._rekey[key]
        return MeshChange(
            connected=(),
            disconnected=tuple(sorted((frozenset((pid, q)) for q in peers), key=sorted)),
            capped_changed=frozenset(changed),
        )

    # -- internals --------------------------------------------------------

    def _desired_all(
        self, neighbours: Mapping[str, Iterable[str]], on_floor: Callable[[str], bool]
    ) -> dict[str, set[str]]:
        desired: dict[str, set[str]] = {a: set() for a in self._near}
        for a, near in neighbours.items():
            desired.setdefault(a, set())
            if not on_floor(a):
                continue
            for b in near:
                if a != b and on_floor(b):
                    desired[a].add(b)
                    desired.setdefault(b, set()).add(a)
        return desired


class _Update:
    """One update of a :class:`PeerMesh`: the greedy rule re-run in order,
    only over the pairs that may have changed."""

    def __init__(
        self,
        mesh: PeerMesh,
        desired: dict[str, set[str]],
        distance: Callable[[str, str], float],
        offerer: Callable[[str, str], str],
    ) -> None:
        self.mesh = mesh
        self.desired = desired
        self.distance = distance
        self.offerer = offerer
        self.cap = mesh.max_degree
        # Whether each pair that formed or broke in this update was in the
        # mesh before it (the keep bonus follows that, not the new state).
        self.before: dict[tuple[str, str], bool] = {}
        self.capped_before: dict[str, frozenset[str]] = {}
        self.heap: list[Key] = []
        self.queued: dict[tuple[str, str], Key] = {}
        self.rekey: dict[tuple[str, str], bool] = {}

    def key(self, a: str, b: str) -> Key:
        """The pair's place in this update's order (``a`` < ``b``)."""
        d = self.mesh._near[a][b]
        was = self.before.get((a, b))
        if was is None:
            was = b in self.mesh._peers.get(a, ())
        return (d * KEEP_BONUS if was else d, a, b)

    def key_then(self, a: str, b: str) -> Key:
        """The pair's place in the last update's order, which the mesh follows
        until this update has run."""
        d = self.mesh._near[a][b]
        was = self.rekey.get((a, b))
        if was is None:
            was = b in self.mesh._peers.get(a, ())
        return (d * KEEP_BONUS if was else d, a, b)

    def push(self, key: Key) -> None:
        pair = (key[1], key[2])
        if self.queued.get(pair) != key:
            self.queued[pair] = key
            heapq.heappush(self.heap, key)

    def push_after(self, pid: str, after: Key | None) -> None:
        """Queue ``pid``'s pairs that come after ``after`` in the order (all of
        them when None)."""
        for q in self.mesh._near.get(pid, ()):
            k = self.key(*_ordered(pid, q))
            if after is None or k > after:
                self.push(k)

    def touch(self, pid: str) -> None:
        if pid not in self.capped_before:
            self.capped_before[pid] = self.mesh.capped(pid)

    def set_paired(self, a: str, b: str, on: bool) -> None:
        mesh = self.mesh
        self.touch(a)
        self.touch(b)
        self.before.setdefault((a, b), not on)
        if on:
            mesh._peers.setdefault(a, set()).add(b)
            mesh._peers.setdefault(b, set()).add(a)
        else:
            for x, y in ((a, b), (b, a)):
                peers = mesh._peers[x]
                peers.discard(y)
                if not peers:
                    del mesh._peers[x]

    def run(self) -> MeshChange:
        mesh = self.mesh
        near = mesh._near
        peers = mesh._peers
        # Pairs whose place in the order changes, with their place before and
        # whether they were in the mesh: the pairs after the earlier of the
        # two places, at the same people, may change.
        moved: dict[tuple[str, str], Key] = {}
        broken: list[tuple[str, str, Key]] = []

        # Pairs that formed or broke in the last update get or lose their
        # keep bonus now.
        self.rekey, mesh._rekey = mesh._rekey, {}
        for a, b in self.rekey:
            if b in near.get(a, ()):
                moved[(a, b)] = self.key_then(a, b)
        pending, mesh._pending = mesh._pending, set()

        # The candidate pairs of the changed people: gone, new or moved.
        for a, want in self.desired.items():
            have = near.get(a)
            if have:
                for b in [q for q in have if q not in want]:
                    x, y = _ordered(a, b)
                    old = moved.pop((x, y), None) or self.key_then(x, y)
                    self.touch(x)
                    self.touch(y)
                    if y in peers.get(x, ()):
                        self.set_paired(x, y, False)
                        broken.append((x, y, old))
                    del near[x][y], near[y][x]
                    for z in (x, y):
                        if not near[z]:
                            del near[z]
            for b in want:
                x, y = _ordered(a, b)
                d = self.distance(x, y)
                known = near.get(x, {}).get(y)
                if known is None:
                    self.touch(x)
                    self.touch(y)
                    near.setdefault(x, {})[y] = d
                    near.setdefault(y, {})[x] = d
                    moved[(x, y)] = (float("inf"), x, y)  # new: nobody counted it
                elif known != d:
                    if (x, y) not in moved:
                        moved[(x, y)] = self.key_then(x, y)
                    near[x][y] = near[y][x] = d

        for (a, b), old in moved.items():
            new = self.key(a, b)
            self.push(new)
            if b in peers.get(a, ()):
                first = min(old, new)
                self.push_after(a, first)
                self.push_after(b, first)
        for a, b, old in broken:
            self.push_after(a, old)
            self.push_after(b, old)
        for pid in pending:
            # A pair of theirs broke: all their other pairs may now fit.
            self.push_after(pid, None)

        # The greedy rule, in order, over what may have changed. A pair's
        # fate depends only on the pairs before it at the same people: once
        # those are settled (the heap pops in order), so is it.
        heap = self.heap
        while heap:
            k = heapq.heappop(heap)
            _, a, b = k
            if self.queued.get((a, b)) != k or b not in near.get(a, ()):
                continue  # queued again at another place, or gone
            take = self.room_before(a, b, k) and self.room_before(b, a, k)
            if take != (b in peers.get(a, ())):
                self.set_paired(a, b, take)
                self.push_after(a, k)
                self.push_after(b, k)
        return self.result()

    def room_before(self, a: str, b: str, k: Key) -> bool:
        """Whether ``a`` has fewer than the cap peers before ``k`` in the order."""
        if self.cap == 0:
            return False
        count = 0
        for q in self.mesh._peers.get(a, ()):
            if q != b and self.key(*_ordered(a, q)) < k:
                count += 1
                if count >= self.cap:
                    return False
        return True

    def result(self) -> MeshChange:
        mesh = self.mesh
        added: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        for (a, b), was in self.before.items():
            now = b in mesh._peers.get(a, ())
            if now == was:
                continue
            mesh._rekey[(a, b)] = was
            (added if now else removed).append((a, b))
        connected = []
        for a, b in sorted(added):
            first = self.offerer(a, b)
            connected.append((first, b if first == a else a))
        changed = frozenset(
            pid for pid, before in self.capped_before.items() if mesh.capped(pid) != before
        )
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(frozenset(p) for p in sorted(removed)),
            capped_changed=changed,
        )
