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
    capped: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    """How: (participant, who became capped, who no longer is), by participant."""


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class PeerMesh:
    """The set of peer-to-peer pairs, kept up to date from proximity.

    Pure state: it is told what changed and returns what changed in the mesh;
    the caller turns that into messages. Every pair is reported exactly once
    when it forms and once when it breaks. Work per update is proportional to
    the people named as changed, their neighbourhoods and the pairs that flip.
    """

    def __init__(self, max_degree: int) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        self.max_degree = max_degree
        #: Candidate pairs: participant -> {near participant: the pair's key}.
        #: Both sides hold the same key: its place in the last update's order.
        self._near: dict[str, dict[str, Key]] = {}
        #: Pairs in the mesh: participant -> peers.
        self._peers: dict[str, set[str]] = {}
        #: Who was on the open floor at the last update.
        self._floor: set[str] = set()
        # Pairs that formed or broke in the last update: their keep bonus
        # changed, so their place in the order changes in the next one.
        self._rekey: set[tuple[str, str]] = set()
        # People who lost a pair through remove(): their other pairs are
        # looked at again in the next update.
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
        return frozenset(near.keys() - self._peers.get(pid, set()))

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
        moved: Iterable[str] | None = None,
    ) -> MeshChange:
        """Bring the mesh up to date.

        ``neighbours`` is the proximity graph, ``on_floor`` tells whether a
        participant stands outside every room and is online, ``distance``
        measures a pair and ``offerer`` picks which of a new pair makes the
        offer.

        ``changed`` names the participants whose neighbours or floor status
        changed, or who moved, since the last update; only they are read from
        ``neighbours`` (which must then be symmetric), and a participant
        missing from it has no neighbours. ``moved``, when given, says which
        of them moved (the others keep their distances). Without ``changed``
        the whole graph is read, as given, and nobody else is assumed to exist.
        """
        if changed is None:
            desired = self._desired_all(neighbours, on_floor)
            moved_set = set(desired)
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
            moved_set = changed_set if moved is None else set(moved)
        return _Update(self, desired, moved_set, distance, offerer).run()

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who left; their pairs break."""
        near = self._near.pop(pid, {})
        peers = self._peers.pop(pid, set())
        self._floor.discard(pid)
        changed: set[str] = set()
        capped = []
        for q in near:
            q_near = self._near[q]
            del q_near[pid]
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
                capped.append((q, (), (pid,)))
            self._rekey.discard(_ordered(pid, q))
        self._pending.discard(pid)
        return MeshChange(
            connected=(),
            disconnected=tuple(sorted((frozenset((pid, q)) for q in peers), key=sorted)),
            capped_changed=frozenset(changed),
            capped=tuple(sorted(capped)),
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


class _Update:
    """One update of a :class:`PeerMesh`: the greedy rule re-run in order,
    only over the pairs that may have changed.

    A pair at key k is kept when each of its two people has fewer than the
    cap pairs kept before k. So when a kept pair appears before k at someone,
    only their kept pairs after it can change (they may now be one too many);
    when a kept pair disappears before k, only their capped pairs after it
    can (they may now fit).
    """

    def __init__(
        self,
        mesh: PeerMesh,
        desired: dict[str, set[str]],
        moved: set[str],
        distance: Callable[[str, str], float],
        offerer: Callable[[str, str], str],
    ) -> None:
        self.mesh = mesh
        self.desired = desired
        self.moved = moved
        self.distance = distance
        self.offerer = offerer
        self.cap = mesh.max_degree
        # Whether each pair that flipped in this update was in the mesh
        # before it.
        self.before: dict[tuple[str, str], bool] = {}
        # Whether each pair that appeared (False) or went (True) in this
        # update was a candidate before it.
        self.near_before: dict[tuple[str, str], bool] = {}
        self.heap: list[Key] = []
        self.queued: dict[tuple[str, str], Key] = {}
        # full_from() of the people asked about, until their pairs change.
        self.full: dict[str, Key | None] = {}

    def push(self, key: Key) -> None:
        pair = (key[1], key[2])
        if self.queued.get(pair) != key:
            self.queued[pair] = key
            heapq.heappush(self.heap, key)

    def push_kept(self, pid: str, lo: Key, hi: Key | None = None) -> None:
        """Queue ``pid``'s kept pairs placed after ``lo`` (up to ``hi``)."""
        near = self.mesh._near[pid]
        for q in self.mesh._peers.get(pid, ()):
            k = near[q]
            if k > lo and (hi is None or k <= hi):
                self.push(k)

    def push_capped(self, pid: str, lo: Key | None, hi: Key | None = None) -> None:
        """Queue ``pid``'s capped pairs placed after ``lo`` (up to ``hi``):
        ``pid`` has a free place before them now.

        A pair whose other side is full before it, as things stand, is left
        out: in a crowd most capped pairs are capped at both ends. Whatever
        later frees a place on that side before the pair (a pair of theirs
        that breaks or moves after it) queues that side's capped pairs in
        turn, so the pair is looked at if it can change."""
        near = self.mesh._near.get(pid)
        if not near or self.cap == 0:
            return
        peers = self.mesh._peers.get(pid, ())
        full = self.full
        for q, k in near.items():
            if (lo is None or k > lo) and (hi is None or k <= hi) and q not in peers:
                limit = full[q] if q in full else self.full_from(q)
                if limit is None or k < limit:
                    self.push(k)

    def full_from(self, pid: str) -> Key | None:
        """The key of ``pid``'s last kept pair when it has the cap of them
        (no pair placed after it fits), or None."""
        kept = self.mesh._peers.get(pid, ())
        limit = None
        if len(kept) >= self.cap:
            near = self.mesh._near[pid]
            limit = sorted(near[q] for q in kept)[self.cap - 1]
        self.full[pid] = limit
        return limit

    def set_paired(self, a: str, b: str, on: bool) -> None:
        mesh = self.mesh
        self.before.setdefault((a, b), not on)
        self.full.pop(a, None)
        self.full.pop(b, None)
        if on:
            mesh._peers.setdefault(a, set()).add(b)
            mesh._peers.setdefault(b, set()).add(a)
        else:
            for x, y in ((a, b), (b, a)):
                peers = mesh._peers[x]
                peers.discard(y)
                if not peers:
                    del mesh._peers[x]

    def new_key(self, a: str, b: str, paired: bool) -> Key:
        d = self.distance(a, b)
        return (d * KEEP_BONUS if paired else d, a, b)

    def run(self) -> MeshChange:
        mesh = self.mesh
        near = mesh._near
        peers = mesh._peers
        # Pairs whose place in the order changes: their place before.
        moved: dict[tuple[str, str], Key] = {}
        # Kept pairs that went: their place.
        broken: list[tuple[str, str, Key]] = []
        fresh: list[Key] = []
        full = self.full

        def rekey(x: str, y: str) -> None:
            old = near[x][y]
            new = self.new_key(x, y, y in peers.get(x, ()))
            if new != old:
                moved.setdefault((x, y), old)
                near[x][y] = near[y][x] = new
                if y in peers.get(x, ()):
                    full.pop(x, None)
                    full.pop(y, None)

        # The candidate pairs of the changed people: gone, new or moved.
        for a, want in self.desired.items():
            have = near.get(a)
            if have:
                gone = have.keys() - want
                for b in gone:
                    x, y = _ordered(a, b)
                    old = moved.pop((x, y), None) or near[x][y]
                    self.near_before.setdefault((x, y), True)
                    if y in peers.get(x, ()):
                        self.set_paired(x, y, False)
                        broken.append((x, y, old))
                    del near[x][y], near[y][x]
                    for z in (x, y):
                        if not near[z]:
                            del near[z]
            have = near.get(a, {})
            added = want - have.keys()
            for b in added:
                x, y = _ordered(a, b)
                self.near_before.setdefault((x, y), False)
                key = self.new_key(x, y, False)
                near.setdefault(x, {})[y] = key
                near.setdefault(y, {})[x] = key
                fresh.append(key)
            if a in self.moved and have:
                for b in have.keys() - added:
                    rekey(*_ordered(a, b))
        # Pairs that formed or broke in the last update get or lose their
        # keep bonus now.
        for x, y in mesh._rekey:
            if (x, y) not in moved and y in near.get(x, ()):
                rekey(x, y)
        mesh._rekey = set()

        # A capped pair placed after the cap-th kept pair of one of its people
        # stays capped unless one of those kept pairs goes, and then the
        # pairs after it are queued anyway: most of a crowd's pairs are never
        # looked at.
        limits: dict[str, Key | None] = {}

        def fits(key: Key) -> bool:
            if self.cap == 0:
                return False
            for x in (key[1], key[2]):
                if x not in limits:
                    kept = self.mesh._peers.get(x, ())
                    if len(kept) < self.cap:
                        limits[x] = None
                    else:
                        x_near = near[x]
                        limits[x] = sorted(x_near[q] for q in kept)[self.cap - 1]
                limit = limits[x]
                if limit is not None and key > limit:
                    return False
            return True

        for key in fresh:
            if fits(key):
                self.push(key)
        for (a, b), old in moved.items():
            new = near[a][b]
            if b in peers.get(a, ()):
                self.push(new)
                for x in (a, b):
                    if new < old:
                        self.push_kept(x, new, old)
                    else:
                        self.push_capped(x, old, new)
            elif fits(new):
                self.push(new)
        for a, b, old in broken:
            self.push_capped(a, old)
            self.push_capped(b, old)
        pending, mesh._pending = mesh._pending, set()
        for pid in pending:
            self.push_capped(pid, None)

        # The greedy rule, in order, over what may have changed. A pair's
        # fate depends only on the pairs before it at the same people: once
        # those are settled (the heap pops in order), so is it.
        heap = self.heap
        queued = self.queued
        while heap:
            k = heapq.heappop(heap)
            _, a, b = k
            if queued.get((a, b)) != k:
                continue  # queued again at another place, or gone
            near_a = near.get(a)
            if near_a is None or near_a.get(b) != k:
                continue
            take = self.room_before(a, b, k) and self.room_before(b, a, k)
            if take != (b in peers.get(a, ())):
                self.set_paired(a, b, take)
                if take:
                    self.push_kept(a, k)
                    self.push_kept(b, k)
                else:
                    self.push_capped(a, k)
                    self.push_capped(b, k)
        return self.result()

    def room_before(self, a: str, b: str, k: Key) -> bool:
        """Whether ``a`` has fewer than the cap peers before ``k`` in the order."""
        cap = self.cap
        if cap == 0:
            return False
        near = self.mesh._near[a]
        count = 0
        for q in self.mesh._peers.get(a, ()):
            if q != b and near[q] < k:
                count += 1
                if count >= cap:
                    return False
        return True

    def result(self) -> MeshChange:
        mesh = self.mesh
        peers = mesh._peers
        added: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        near = mesh._near
        for (a, b), was in self.before.items():
            now = b in peers.get(a, ())
            if now == was:
                continue
            (added if now else removed).append((a, b))
            if b in near.get(a, ()):
                mesh._rekey.add((a, b))
        # A pair is capped while it is a candidate and not kept: whose capped
        # neighbours changed follows from the pairs that appeared, went or
        # flipped, without building anyone's whole set.
        capped: dict[str, tuple[list[str], list[str]]] = {}
        before, near_before = self.before, self.near_before
        for pair in near_before.keys() | before.keys():
            a, b = pair
            kept = b in peers.get(a, ())
            now = not kept and b in near.get(a, ())
            was = not before.get(pair, kept) and near_before.get(pair, True)
            if now != was:
                for x, y in ((a, b), (b, a)):
                    lists = capped.get(x)
                    if lists is None:
                        lists = capped[x] = ([], [])
                    lists[0 if now else 1].append(y)
        connected = []
        for a, b in sorted(added):
            first = self.offerer(a, b)
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
