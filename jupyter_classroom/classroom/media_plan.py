"""The rooms' media plan: the contract the SFU reads; and what goes through
the media socket instead, where UDP does not pass (:func:`relayed`).

:func:`plan` says, for everyone taking part in the rooms' conferences, the
room they are in and the tracks they receive there; the SFU makes its
forwarding follow it (``Sfu.update``). :func:`plan_key` is what of one
participant the plan depends on: a command changed the plan exactly when it
changed the key of someone, which is how the core knows to set
``Effects.media_changed`` without comparing whole plans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .. import protocol
from .participant import Participant

#: A published track: (participant id, source).
TrackKey = tuple[str, protocol.TrackSource]


@dataclass(frozen=True)
class RoomMedia:
    """One participant's part in the rooms' conferences: the room they are in
    (None: on the open floor, keeping their room connection for the next
    room), what they receive there, and which of their sessions it is for."""

    room: str | None
    tracks: frozenset[TrackKey]
    #: Changes on every join and resume, so the SFU can tell a resumed
    #: session from the one it replaces and offer it a connection of its own.
    generation: int = 0
    #: Whose voices are forwarded however quiet (the broadcaster and those
    #: given the floor), besides a room's loudest few.
    floor: frozenset[str] = frozenset()


def plan_key(p: Participant, broadcasting: bool) -> tuple[object, ...] | None:
    """What of ``p`` the media plan depends on (None: not in the plan)."""
    if broadcasting and p.media and p.connection == "online":
        return ("broadcast", p.room, p.sources(), p.generation)
    if not (p.media and p.connection == "online" and (p.room is not None or p.conference)):
        return None
    return (p.room, p.sources() if p.room is not None else (), p.generation)


def plan(
    people: Iterable[Participant], broadcast: frozenset[TrackKey] | None
) -> dict[str, RoomMedia]:
    """Who receives what through the rooms' conferences: everyone in a room
    (online, taking part in conferences) gets every track the others in that
    room send. Whoever stood in a room this session and walked out onto the
    open floor is in the plan too, receiving nothing, so their connection
    waits for the next room; anyone else is not in it. During a broadcast
    (``broadcast``: its tracks), everyone taking part in media also receives
    the broadcast, wherever they stand. A demo classmate (``Identity.demo``)
    only sends: it is in nobody's plan as a receiver, so the SFU offers it no
    connection, which it would never answer."""
    people = list(people)
    rooms: dict[str, list[Participant]] = {}
    result: dict[str, RoomMedia] = {}
    for p in people:
        if plan_key(p, broadcast is not None) is None:
            continue
        if p.room is not None:
            rooms.setdefault(p.room, []).append(p)
        elif not p.identity.demo:
            result[p.id] = RoomMedia(None, frozenset(), p.generation)
    for room, members in rooms.items():
        sent = [(q.id, source) for q in members for source in q.sources()]
        for p in members:
            if p.identity.demo:
                continue  # sends (through the bridge), receives nothing
            result[p.id] = RoomMedia(
                room, frozenset(t for t in sent if t[0] != p.id), p.generation
            )
    if broadcast is not None:
        floor = frozenset(pid for pid, source in broadcast if source == "microphone")
        for p in people:
            if p.media and p.connection == "online" and not p.identity.demo:
                mine = result.get(p.id)
                tracks = frozenset(t for t in broadcast if t[0] != p.id)
                result[p.id] = RoomMedia(
                    p.room, (mine.tracks if mine else frozenset()) | tracks, p.generation, floor
                )
    return result


def relayed(
    people: Mapping[str, Participant],
    rooms: Mapping[str, RoomMedia],
    peers: Callable[[str], Iterable[str]],
) -> dict[str, frozenset[TrackKey]]:
    """What each participant receives as frames over the media socket (the
    server forwards exactly these tracks to them, nothing else):

    * in a room, whoever sends their media over the WebSocket gets the
      room's tracks (``rooms``, the plan above) that way;
    * on the open floor, a pair the server paired (``peers``) where either of
      the two uses the WebSocket talks through the server: each gets the
      other's tracks, so each still hears exactly their own neighbours.
    """
    out: dict[str, frozenset[TrackKey]] = {}
    for p in people.values():
        if p.connection != "online" or p.identity.demo:
            continue  # a demo classmate only sends
        tracks: set[TrackKey] = set()
        if p.transport == "websocket" and p.id in rooms:
            tracks.update(rooms[p.id].tracks)
        for pid in peers(p.id):
            q = people.get(pid)
            if q is not None and "websocket" in (p.transport, q.transport):
                tracks.update((q.id, source) for source in q.sources())
        if tracks:
            out[p.id] = frozenset(tracks)
    return out
