"""The open floor's peer-to-peer calls, as the messages that start and end them."""

from __future__ import annotations

from collections.abc import Mapping

from .. import protocol
from .effects import Outgoing
from .pairing import MeshChange, PeerMesh
from .participant import Participant


def call_messages(change: MeshChange, people: Mapping[str, Participant]) -> list[Outgoing]:
    """The calls that end, then those that start, to the pages they concern:
    one message to all who are told the same (the peers of someone whose
    connection dropped), and nothing to a page that is gone (reconnecting:
    its welcome will say it has no calls)."""
    # (peer, offerer: None for an end) -> who is told, in order.
    told: dict[tuple[str, bool | None], set[str]] = {}
    for pair in change.disconnected:
        a, b = sorted(pair)
        for me, other in ((a, b), (b, a)):
            p = people.get(me)
            if p is not None and p.connection == "online":
                told.setdefault((other, None), set()).add(me)
    for offerer, answerer in change.connected:
        told.setdefault((answerer, True), set()).add(offerer)
        told.setdefault((offerer, False), set()).add(answerer)
    return [
        Outgoing(
            protocol.PeerDisconnect(peer=peer)
            if offers is None
            else protocol.PeerConnect(peer=peer, offerer=offers),
            frozenset(to),
        )
        for (peer, offers), to in told.items()
    ]


def update_calls(
    mesh: PeerMesh, people: Mapping[str, Participant], changed: set[str], now: float | None
) -> list[Outgoing]:
    """Bring the mesh up to date for those whose neighbours, place, room or
    connection ``changed``: the calls that end and start."""

    def on_floor(pid: str) -> bool:
        p = people.get(pid)
        return p is not None and p.room is None and p.connection == "online"

    def offerer(a: str, b: str) -> str:
        # The one who arrived later calls the one already there.
        return a if people[a].seq > people[b].seq else b

    return call_messages(mesh.update(on_floor, offerer, changed=changed, now=now), people)
