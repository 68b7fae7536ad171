"""The news of dropped connections and departures, within a budget per tick.

Telling everyone that someone's connection dropped, or that they left, costs
one delivery per other participant. A crowd dropping at once (a Wi-Fi access
point going down) or leaving at once (the bell) is marked or removed at once,
but the others hear of it over the next ticks, so the event loop is never
blocked by a storm of broadcasts. At least one piece of news goes out each
tick, however big the class.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import protocol
from .effects import Outgoing
from .participant import Participant


class News:
    """News waiting for a tick with room for it, in order."""

    def __init__(self, per_tick: int) -> None:
        #: Those marked reconnecting whom the others have not been told about.
        self.dropped: dict[str, None] = {}
        #: Those who left whom the others have not been told about.
        self.gone: dict[str, None] = {}
        # Deliveries this tick still has room for.
        self._budget = per_tick

    def now(self, pid: str, cost: int, left: bool) -> bool:
        """Whether the news of ``pid`` (``cost`` deliveries) goes out now,
        from this tick's budget; if not, it waits, after what waits already."""
        waiting = self.dropped or (left and self.gone)
        if waiting or cost > self._budget:
            (self.gone if left else self.dropped)[pid] = None
            return False
        self._budget -= cost
        return True

    def flush(
        self,
        people: Mapping[str, Participant],
        per_tick: int,
        watchers: frozenset[str] = frozenset(),
    ) -> list[Outgoing]:
        """A new tick's budget: the news that waited, as far as it goes (at
        least one). ``watchers``: observers, who are told too."""
        budget = per_tick
        out: list[Outgoing] = []
        while self.dropped or self.gone:
            queue = self.dropped or self.gone
            pid = next(iter(queue))
            left = queue is self.gone
            cost = len(people) - (0 if left else 1)
            if out and cost > budget:
                break
            del queue[pid]
            if left:
                news = Outgoing(
                    protocol.ParticipantLeft(participant_id=pid), frozenset(people) | watchers
                )
            else:
                p = people.get(pid)
                if p is None or p.connection != "reconnecting":
                    continue  # gone (see above) or back (and the others told)
                news = Outgoing(
                    protocol.ParticipantUpdated(p.info()), (frozenset(people) | watchers) - {pid}
                )
            budget -= cost
            out.append(news)
        self._budget = max(0, budget)
        return out
