"""Who connects to whom peer-to-peer on the open floor.

The proximity graph says who is near whom. Not every near pair becomes a
peer-to-peer call: people in a room talk through the room's conference
instead, and each person keeps at most ``max_degree`` peers so that a crowd
does not melt laptops (WorkAdventure caps its mesh the same way). Beyond the
cap the nearest peers win; the others are "capped" and the UI says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Pair = frozenset[str]

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


class PeerMesh:
    """The set of peer-to-peer pairs, recomputed from proximity.

    Pure state: it is told the candidates and returns what changed; the caller
    turns that into messages. Every pair is reported exactly once when it forms
    and once when it breaks.
    """

    def __init__(self, max_degree: int) -> None:
        if max_degree < 0:
            raise ValueError("max_degree must be 0 or more")
        self.max_degree = max_degree
        self.pairs: set[Pair] = set()
        self._capped: dict[str, frozenset[str]] = {}

    def peers(self, pid: str) -> frozenset[str]:
        return frozenset(next(iter(p - {pid})) for p in self.pairs if pid in p)

    def capped(self, pid: str) -> frozenset[str]:
        """Near neighbours of ``pid`` it is not connected to because of the cap."""
        return self._capped.get(pid, frozenset())

    def update(
        self,
        neighbours: Mapping[str, Iterable[str]],
        on_floor: Callable[[str], bool],
        distance: Callable[[str, str], float],
        offerer: Callable[[str, str], str],
    ) -> MeshChange:
        """Recompute the mesh.

        ``neighbours`` is the proximity graph (symmetric), ``on_floor`` tells
        whether a participant stands outside every room and is online,
        ``distance`` measures a pair and ``offerer`` picks which of a new pair
        makes the offer.
        """
        candidates: set[Pair] = set()
        for a, near in neighbours.items():
            if not on_floor(a):
                continue
            for b in near:
                if a != b and on_floor(b):
                    candidates.add(frozenset((a, b)))

        def cost(pair: Pair) -> tuple[float, tuple[str, ...]]:
            a, b = sorted(pair)
            d = distance(a, b)
            return (d * KEEP_BONUS if pair in self.pairs else d, (a, b))

        degree: dict[str, int] = {}
        chosen: set[Pair] = set()
        for pair in sorted(candidates, key=cost):
            a, b = tuple(pair)
            if degree.get(a, 0) < self.max_degree and degree.get(b, 0) < self.max_degree:
                chosen.add(pair)
                degree[a] = degree.get(a, 0) + 1
                degree[b] = degree.get(b, 0) + 1

        added = chosen - self.pairs
        removed = self.pairs - chosen
        self.pairs = chosen

        capped: dict[str, set[str]] = {}
        for pair in candidates - chosen:
            a, b = tuple(pair)
            capped.setdefault(a, set()).add(b)
            capped.setdefault(b, set()).add(a)
        new_capped = {pid: frozenset(ids) for pid, ids in capped.items()}
        changed = {
            pid
            for pid in set(new_capped) | set(self._capped)
            if new_capped.get(pid, frozenset()) != self._capped.get(pid, frozenset())
        }
        self._capped = new_capped

        connected = []
        for pair in sorted(added, key=sorted):
            a, b = sorted(pair)
            first = offerer(a, b)
            connected.append((first, b if first == a else a))
        return MeshChange(
            connected=tuple(connected),
            disconnected=tuple(sorted(removed, key=sorted)),
            capped_changed=frozenset(changed),
        )

    def remove(self, pid: str) -> MeshChange:
        """Forget a participant who left; their pairs break."""
        removed = {p for p in self.pairs if pid in p}
        self.pairs -= removed
        changed = {pid} if pid in self._capped else set()
        self._capped.pop(pid, None)
        for other, ids in list(self._capped.items()):
            if pid in ids:
                self._capped[other] = ids - {pid}
                changed.add(other)
        return MeshChange(
            connected=(),
            disconnected=tuple(sorted(removed, key=sorted)),
            capped_changed=frozenset(changed - {pid}),
        )

    def paired(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.pairs
