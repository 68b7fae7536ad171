"""The SFU: every participant's connection, and a router per room that
follows the classroom's plan of who receives what.

The classroom core decides who is in which room and what they send
(:meth:`Classroom.room_media`); the SFU makes it so, from the plan alone. It
opens a connection for each participant in the plan and keeps it while they
move between rooms, re-routing tracks instead of rebuilding connections, and
for a few seconds (``linger``) on the open floor, so that a step off a table
and back costs nothing.
Whoever leaves the plan has their connection closed at once, whatever it was
doing; a participant whose session changed (a resume) gets a new connection
for the new session. It reports the active speakers of each room from the
audio levels it forwards.

Not everything a viewer could receive is sent (per packet, see
:meth:`Consumer.set_paused`): in a room only the loudest few voices
(:class:`LoudestVoices`) and those given the floor; to a viewer only the
videos it says it shows (``shown``). A video nobody watches is not even
encoded: its publisher is told to stop (``sfu_sending``) until someone does.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network

from .. import protocol
from ..classroom import RoomMedia, TrackKey
from ..protocol import ErrorCode, ProtocolError
from ..ticker import Ticker
from .connection import SfuConnection
from .forwarding import BaseProducer, Consumer, Producer, RetransmitLimits
from .speakers import LoudestSettings, LoudestVoices, SpeakerDetector, SpeakerSettings

log = logging.getLogger(__name__)


@dataclass
class SfuSettings:
    speakers: SpeakerSettings = field(default_factory=SpeakerSettings)
    #: Which voices a room forwards (the loudest few).
    loudest: LoudestSettings = field(default_factory=LoudestSettings)
    #: Seconds between looks at who is speaking.
    speaker_interval: float = 0.25
    #: Seconds before opening a failed connection again (doubling, up to the last).
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    #: The server's public address behind a 1:1 NAT ("": none), offered too.
    public_address: str = ""
    #: What a subscriber's NACKs can make the server send again.
    retransmits: RetransmitLimits = field(default_factory=RetransmitLimits)
    #: ICE candidates one connection may send.
    max_candidates: int = 32
    #: Networks whose candidates are used even if loopback, link-local etc.
    allowed_candidate_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    #: Seconds a connection with nothing to carry (its person out on the open
    #: floor) stays open for their next room before it is closed.
    linger: float = 5.0
    #: Pause videos to viewers whose links are congested (see congestion.py).
    congestion: bool = True


#: Seconds between two choices of a room's loudest voices (made as levels come).
SELECT_INTERVAL = 0.05


class Router:
    """One room's conference: its members, who is speaking, whose voices
    are forwarded."""

    def __init__(self, room: str, settings: SpeakerSettings, loudest: LoudestSettings) -> None:
        self.room = room
        self.members: frozenset[str] = frozenset()
        self.detector = SpeakerDetector(settings)
        self.speakers: list[str] = []
        self.loudest = LoudestVoices(loudest)
        self.selected_at = -SELECT_INTERVAL

    def forget(self, pid: str) -> None:
        self.detector.forget(pid)
        self.loudest.forget(pid)


def tile_sizes(
    tiles: Iterable[protocol.ShownTile], request_id: int | None = None
) -> dict[TrackKey, tuple[int, int]]:
    """A ``shown`` report's tiles by video: their width and height."""
    sizes: dict[TrackKey, tuple[int, int]] = {}
    for tile in tiles:
        if tile.width < 0 or tile.height < 0:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, "A tile's size cannot be negative.", request_id
            )
        sizes[(tile.participant, tile.source)] = (tile.width, tile.height)
    return sizes


class Sfu:
    """The selective forwarding unit of one classroom."""

    def __init__(
        self,
        send: Callable[[str, object], None],
        settings: SfuSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.settings = settings or SfuSettings()
        self.clock = clock
        self.connections: dict[str, SfuConnection] = {}
        self.routers: dict[str, Router] = {}
        self.plan: dict[str, RoomMedia] = {}
        #: Tracks published over the classroom's WebSocket, as RTP (see set_bridged).
        self.bridged: dict[TrackKey, BaseProducer] = {}
        #: The videos each viewer shows, with its sizes, and the session
        #: (generation) that said so; a viewer not here shows every video.
        self.shown: dict[str, tuple[int, dict[TrackKey, tuple[int, int]]]] = {}
        self._numbers = itertools.count(1)
        #: Failed connections by participant: (failures in a row, when to
        #: try again, the session generation they failed in).
        self._failures: dict[str, tuple[int, float, int]] = {}
        #: Connections with nothing to carry, by participant: since when.
        self._idle: dict[str, float] = {}
        self._reconciling = False
        self._again = False
        self._closing: set[asyncio.Task[None]] = set()
        self._ticker = Ticker(self.settings.speaker_interval, self.tick, "the speaker ticker")
        self._closed = False

    # -- from the classroom ---------------------------------------------------------

    def update(self, plan: dict[str, RoomMedia]) -> None:
        """Follow the classroom's plan (see :meth:`Classroom.room_media`):
        close the connections of whoever is not in it (or is in it with
        another session), open one for whoever has none."""
        self.plan = plan
        self._reconcile()

    def set_bridged(self, producers: Mapping[TrackKey, BaseProducer]) -> None:
        """The tracks of those who publish over the classroom's WebSocket
        (``bridge.FrameProducer``): whoever the plan says receives one of
        these tracks over WebRTC gets it like a track published over WebRTC.

        Those publishers are not in the plan the SFU follows (it would open
        a WebRTC connection for them): their tracks are only in the others'
        ``tracks``. A track published both ways is taken from WebRTC.
        """
        self.bridged = dict(producers)
        self._reconcile()

    def producer(self, key: TrackKey) -> Producer | None:
        """The live producer of a track published over WebRTC (None: not
        published, or its connection is not established), for the bridge to
        tap. A new connection of the publisher has a new producer: the old
        one's taps end when it closes."""
        connection = self.connections.get(key[0])
        return connection.producer_ready(key[1]) if connection is not None else None

    def answer(
        self,
        pid: str,
        number: int,
        description: protocol.SessionDescription,
        request_id: int | None,
    ) -> None:
        self._connection(pid, number, request_id).answer(description, request_id)

    def candidate(
        self,
        pid: str,
        number: int,
        candidate: protocol.IceCandidate | None,
        request_id: int | None,
    ) -> None:
        self._connection(pid, number, request_id).candidate(candidate, request_id)

    def _connection(self, pid: str, number: int, request_id: int | None) -> SfuConnection:
        connection = self.connections.get(pid)
        if connection is None or connection.number != number:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, f"Room connection {number} is not open.", request_id
            )
        return connection

    # -- from connections -------------------------------------------------------------

    def send(self, pid: str, message: object) -> None:
        self._send(pid, message)

    def connection_changed(self, connection: SfuConnection) -> None:
        if connection.established:
            self._failures.pop(connection.participant, None)
        self._reconcile()

    def connection_closed(self, connection: SfuConnection, reason: str) -> None:
        pid = connection.participant
        task = asyncio.ensure_future(connection.wait_closed())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        if self.connections.get(pid) is connection:
            del self.connections[pid]
            self._idle.pop(pid, None)
            self._send(pid, protocol.SfuClosed(connection.number, reason))
            if reason:
                log.info("sfu: connection %d of %s closed: %s", connection.number, pid, reason)
                failures = self._failures.get(pid, (0, 0.0, 0))[0]
                delays = self.settings.retry_delays
                delay = delays[min(failures, len(delays) - 1)]
                self._failures[pid] = (failures + 1, self.clock() + delay, connection.generation)
        for router in self.routers.values():
            router.forget(pid)
        self._reconcile()

    def _on_level(self, producer: Producer, level: int, now: float) -> None:
        media = self.plan.get(producer.participant)
        room = media.room if media is not None else None
        router = self.routers.get(room) if room is not None else None
        if router is None:
            return
        router.detector.observe(producer.participant, level, now)
        loudest = router.loudest
        if loudest.settings.count <= 0:
            return
        loudest.observe(producer.participant, level, now)
        if now - router.selected_at < SELECT_INTERVAL:
            return
        router.selected_at = now
        before = set(loudest.selected)
        for pid in before ^ loudest.select(now):
            connection = self.connections.get(pid) if isinstance(pid, str) else None
            if connection is not None:
                self._gate(connection.producers["microphone"].consumers)

    # -- what is sent of what is received ----------------------------------------------

    def set_shown(
        self, pid: str, tiles: list[protocol.ShownTile], request_id: int | None = None
    ) -> None:
        """The videos ``pid`` shows now (see ``protocol.Shown``): the others
        are not sent to them, and a video nobody watches is not encoded."""
        sizes = tile_sizes(tiles, request_id)
        media = self.plan.get(pid)
        self.shown[pid] = (media.generation if media is not None else -1, sizes)
        connection = self.connections.get(pid)
        if connection is not None:
            video = [c for c in connection.consumers.values() if c.producer.kind == "video"]
            self._gate(video)
            self._update_sending(c.producer for c in video)

    def _paused(self, viewer: str, key: TrackKey, producer: BaseProducer) -> bool:
        if producer.kind == "video":
            shown = self.shown.get(viewer)
            media = self.plan.get(viewer)
            return (
                shown is not None
                and media is not None
                and shown[0] == media.generation
                and key not in shown[1]
            )
        if self.settings.loudest.count <= 0 or not isinstance(producer, Producer):
            # The WebSocket's publishers send no levels: their voices are
            # always forwarded (they are few: Binder, blocked networks).
            return False
        media = self.plan.get(producer.participant)
        if media is None or media.room is None or producer.participant in media.floor:
            return False
        router = self.routers.get(media.room)
        return router is not None and producer.participant not in router.loudest.selected

    def _gate(self, consumers: Iterable[Consumer]) -> None:
        for consumer in list(consumers):
            producer = consumer.producer
            consumer.set_paused(self._paused(consumer.subscriber, producer.key, producer))

    def _update_sending(self, producers: Iterable[BaseProducer]) -> None:
        """Tell publishers to encode the videos someone watches, and only those."""
        for producer in producers:
            if producer.kind != "video" or not isinstance(producer, Producer):
                continue
            connection = self.connections.get(producer.participant)
            if connection is None or connection.producers.get(producer.source) is not producer:
                continue
            watched = bool(producer.taps) or any(not c.paused for c in producer.consumers)
            connection.set_sending(producer.source, watched)

    # -- making the plan so ---------------------------------------------------------------

    def _reconcile(self) -> None:
        if self._closed:
            return
        if self._reconciling:
            # A connection closed while we were at it: go round once more.
            self._again = True
            return
        self._reconciling = True
        try:
            self._again = True
            while self._again and not self._closed:
                self._again = False
                self._reconcile_once()
        finally:
            self._reconciling = False

    def _reconcile_once(self) -> None:
        plan = self.plan
        now = self.clock()
        busy = carrying(plan)
        for pid, connection in list(self.connections.items()):
            media = plan.get(pid)
            if media is None or media.generation != connection.generation:
                # Closed at once, pending offer or not: its peer connection
                # and socket go now, not when an answer times out.
                connection.close("")
            elif pid in busy:
                self._idle.pop(pid, None)
            elif now - self._idle.setdefault(pid, now) >= self.settings.linger:
                connection.close("")
        for pid, (_, _, generation) in list(self._failures.items()):
            media = plan.get(pid)
            if media is None or media.generation != generation:
                del self._failures[pid]
        self._update_routers()
        for pid, media in plan.items():
            if pid in self.connections or pid not in busy:
                # Nobody opens a connection to carry nothing: someone on the
                # open floor gets one again when they enter a room.
                continue
            failures = self._failures.get(pid)
            if failures is not None and failures[1] > now:
                continue
            connection = SfuConnection(
                pid,
                next(self._numbers),
                self,
                self._on_level,
                self.clock,
                self.settings.public_address,
                generation=media.generation,
                retransmits=self.settings.retransmits,
                max_candidates=self.settings.max_candidates,
                allowed_candidate_networks=self.settings.allowed_candidate_networks,
                congestion_control=self.settings.congestion,
            )
            self.connections[pid] = connection
            connection.start()
        for pid, connection in list(self.connections.items()):
            media = plan.get(pid)
            wanted: dict[TrackKey, BaseProducer] = {}
            for key in media.tracks if media is not None else ():
                publisher = self.connections.get(key[0])
                producer: BaseProducer | None = (
                    publisher.producer_ready(key[1]) if publisher is not None else None
                )
                if producer is None:
                    producer = self.bridged.get(key)
                if producer is not None and not producer.closed:
                    wanted[key] = producer
            connection.set_consumers(wanted)
            self._gate(connection.consumers.values())
        for pid in [
            p for p, (g, _) in self.shown.items() if p not in plan or plan[p].generation != g
        ]:
            del self.shown[pid]
        self._update_sending(
            producer
            for connection in self.connections.values()
            for producer in connection.producers.values()
        )

    def _update_routers(self) -> None:
        rooms: dict[str, set[str]] = {}
        for pid, media in self.plan.items():
            if media.room is not None:
                rooms.setdefault(media.room, set()).add(pid)
        for room in [r for r in self.routers if r not in rooms]:
            del self.routers[room]
        for room, members in rooms.items():
            router = self.routers.get(room)
            if router is None:
                router = self.routers[room] = Router(
                    room, self.settings.speakers, self.settings.loudest
                )
            for pid in router.members - members:
                router.forget(pid)
            newcomers = members - router.members
            router.members = frozenset(members)
            if router.speakers:
                for pid in newcomers:
                    self._send(pid, protocol.Speakers(room, router.speakers))

    def _announce_speakers(self) -> None:
        now = self.clock()
        for router in self.routers.values():
            speakers = [pid for pid in router.detector.speakers(now) if pid in router.members]
            if speakers != router.speakers:
                router.speakers = speakers
                message = protocol.Speakers(router.room, speakers)
                for pid in router.members:
                    self._send(pid, message)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start looking at who speaks (needs a running event loop)."""
        if not self._closed:
            self._ticker.start()

    def tick(self) -> None:
        self._announce_speakers()
        # The bridge taps a producer for the WebSocket's viewers when it
        # needs to: a tap is a watcher too.
        self._update_sending(
            producer
            for connection in self.connections.values()
            for producer in connection.producers.values()
        )
        now = self.clock()
        if any(
            due <= now and pid in self.plan and pid not in self.connections
            for pid, (_, due, _) in self._failures.items()
        ) or any(now - since >= self.settings.linger for since in self._idle.values()):
            self._reconcile()

    async def close(self) -> None:
        """Close every connection and stop the ticker. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._ticker.stop()
        for connection in list(self.connections.values()):
            connection.close("")
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


def carrying(plan: dict[str, RoomMedia]) -> set[str]:
    """Who in the plan needs a room connection now: whoever is in a room,
    receives something (a broadcast on the open floor) or sends to someone."""
    sending = {key[0] for media in plan.values() for key in media.tracks}
    return {
        pid
        for pid, media in plan.items()
        if media.room is not None or media.tracks or pid in sending
    }
