"""Observers: connections that act for a person without being on the map.

The notebook API and its widget read the classroom and give instructors'
commands, but they are not people in the room: no avatar, no place, no
calls, not counted, in nobody's roster or picker. They see what their user
sees (the roster, the rooms, the class state), and what they do is checked
against their user's role and signed with their user's name: the name of
that user's own participant when they are on the map, else the name the host
gives them, without the number that tells two tabs apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .. import protocol
from .identity import Identity
from .participant import Participant


@dataclass(eq=False)
class Observer:
    """One observing connection."""

    id: str
    identity: Identity
    #: Observers take part in no media.
    media: bool = False

    @property
    def name(self) -> str:
        """Their user's name as the host gives it (no number: nobody else
        holds it on the map in their stead)."""
        return self.identity.name or self.identity.username

    def info(self) -> protocol.ObserverInfo:
        ident = self.identity
        return protocol.ObserverInfo(
            id=self.id, user=ident.username, name=self.name, role=ident.role
        )


#: Who a command comes from: a participant, or an observer not on the map.
Actor = Participant | Observer


class Observers:
    """The observing connections of one classroom."""

    def __init__(self) -> None:
        self.by_id: dict[str, Observer] = {}
        self._ids: frozenset[str] = frozenset()

    def __contains__(self, oid: object) -> bool:
        return oid in self.by_id

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def ids(self) -> frozenset[str]:
        """Every observer's id (kept as one set: it joins many audiences)."""
        return self._ids

    def add(self, observer: Observer) -> None:
        self.by_id[observer.id] = observer
        self._ids = frozenset(self.by_id)

    def remove(self, oid: str) -> bool:
        """Forget an observer; whether it was one."""
        if self.by_id.pop(oid, None) is None:
            return False
        self._ids = frozenset(self.by_id)
        return True


def acting_as(observer: Observer, people: Iterable[Participant]) -> Actor:
    """Whom an observer's command is signed as: its user's participant on
    the map, if there is one (the one connected, the earliest to arrive),
    else the observer itself."""
    same = [p for p in people if p.identity.username == observer.identity.username]
    if not same:
        return observer
    return min(same, key=lambda p: (p.connection != "online", p.seq))


def audience(people: Mapping[str, Participant], observers: Observers) -> frozenset[str]:
    """Everyone who sees the roster: the participants and the observers."""
    if not observers.by_id:
        return frozenset(people)
    return frozenset(people) | observers.ids
