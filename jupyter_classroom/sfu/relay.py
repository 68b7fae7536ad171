"""Media over the classroom's own WebSocket: WebCodecs frames forwarded
from those who send them to those who receive them, never decoded.

Where UDP does not reach the server (Binder, Kubernetes, networks that let
only HTTPS out) a page sends its encoded microphone, camera and screen as
frames (:mod:`jupyter_classroom.protocol.frames`) on a socket of its own, and
receives the others' the same way. The classroom core says who receives
which tracks over that socket (:func:`~jupyter_classroom.classroom.media_plan.relayed`);
the relay forwards exactly those, less the room's videos the viewer does
not show (``shown``, as the SFU does for WebRTC viewers). Each viewer gets
one layer of a camera: the small one for a small tile (a thumbnail, a
bubble on the map) or once frames wait for its socket, the large one
otherwise (again after a while without waiting). When a viewer's socket
falls behind, its video is dropped (audio never is) until the next key
frame, which the relay asks the sender for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ..classroom import TrackKey
from ..protocol.frames import (
    FRAME_KIND_AUDIO,
    FRAME_LAYER_LARGE,
    FRAME_LAYER_SMALL,
    SOURCE_OF_KIND,
    FrameHeader,
    parse_header,
    restamp,
)

#: (sender, kind, layer) -> ask the sender for a key frame of that layer.
KeyFrameRequester = Callable[[str, int, int], None]
#: (sender, header, frame): a frame a page sent, before it is forwarded.
Publisher = Callable[[str, FrameHeader, bytes], None]


class FrameSink(Protocol):
    """A viewer's media socket, as the relay writes to it."""

    def send_frame(self, frame: bytes) -> None: ...

    def backlog(self) -> int:
        """Bytes written to the socket that the viewer has not taken yet."""
        ...

    def end(self, code: int, reason: str) -> None:
        """Close the socket (its session ended)."""
        ...


@dataclass
class RelaySettings:
    #: Bytes waiting for a viewer above which its video is dropped until the
    #: next key frame (audio goes on); less for a viewer whose pace is known
    #: (see ``drop_video_after``).
    drop_video_above: int = 384 * 1024
    #: Bytes waiting above which a viewer is moved to the small layer; less
    #: for a viewer whose pace is known (see ``small_after``).
    small_above: int = 96 * 1024
    #: For a viewer whose connection was seen full (its socket never emptied
    #: for a while, so what it took is what it can take): seconds of waiting,
    #: at that pace, above which it gets the small layer, and above which
    #: its video is dropped. A slow reader's sound then waits behind a
    #: fraction of a second of video, not behind the bytes above.
    small_after: float = 0.3
    drop_video_after: float = 0.6
    #: The least the thresholds become (a key frame of the small layer fits).
    least_bytes: int = 16 * 1024
    #: Seconds without waiting bytes before a viewer moved to the small
    #: layer gets the large one again.
    large_again_after: float = 10.0
    #: Seconds between two key-frame requests for the same stream.
    key_frame_interval: float = 0.5
    #: Seconds a layer is thought sent after its last frame.
    layer_lifetime: float = 3.0
    #: A tile no larger than this (CSS pixels, as ``shown`` reports them)
    #: gets a camera's small layer (320 x 180, see the page's encoder): the
    #: large one would be scaled down in it.
    small_tile: tuple[int, int] = (320, 192)
    #: Seconds a held video must flow again before its viewer is told it is
    #: back (a socket that lags on and off is not told every key frame).
    held_release: float = 2.0


@dataclass
class _View:
    """One viewer's copy of one sender's video of one kind."""

    #: The layer forwarded; the layer wanted (they differ until a key frame).
    layer: int
    wanted: int
    #: Waiting for a key frame (of ``wanted``) before forwarding again.
    waiting: bool = True
    #: When the viewer's socket last had too much waiting.
    congested_at: float = field(default=-1.0e9)
    frames: int = 0
    dropped: int = 0
    #: Held back for the viewer's socket's sake (too much waits), until its
    #: frames have passed again for ``held_release`` (since when: ``flowing``).
    held: bool = False
    flowing: float | None = None


class _Pace:
    """How fast a viewer takes what is sent to it, measured only while its
    connection is full (what waits never fell under ``FULL`` bytes during a
    window): an idle fast viewer takes only what it is given, which says
    nothing of what it could take."""

    WINDOW = 0.5
    FULL = 8 * 1024

    __slots__ = ("sent", "_at", "_taken", "_full", "rate")

    def __init__(self) -> None:
        #: Bytes sent to the viewer in all.
        self.sent = 0
        self._at: float | None = None
        self._taken = 0
        self._full = True
        #: Bytes a second it can take (None: never seen full).
        self.rate: float | None = None

    def observe(self, now: float, backlog: int) -> None:
        taken = self.sent - backlog
        if backlog < self.FULL:
            self._full = False
        if self._at is None:
            self._at, self._taken, self._full = now, taken, backlog >= self.FULL
            return
        elapsed = now - self._at
        if elapsed < self.WINDOW:
            return
        pace = (taken - self._taken) / elapsed
        if self._full:
            self.rate = pace if self.rate is None else 0.5 * self.rate + 0.5 * pace
        elif self.rate is not None and pace > self.rate:
            self.rate = pace  # it took more than thought: no longer full
        self._at, self._taken, self._full = now, taken, backlog >= self.FULL


@dataclass
class RelayCounters:
    frames_in: int = 0
    bytes_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    #: Video frames not forwarded to a viewer: a slow socket, or waiting for
    #: a key frame.
    video_dropped: int = 0
    #: Video frames not forwarded to a viewer that does not show them.
    video_unshown: int = 0
    key_frame_requests: int = 0


class MediaRelay:
    """The forwarding of one classroom's media frames."""

    def __init__(
        self,
        request_key_frame: KeyFrameRequester,
        settings: RelaySettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.request_key_frame = request_key_frame
        self.settings = settings or RelaySettings()
        self.clock = clock
        self.sinks: dict[str, FrameSink] = {}
        #: Called with every frame a page sends (the bridge of mixed rooms).
        self.on_publish: Publisher | None = None
        #: Called with a viewer and the videos held back from it for its
        #: socket's sake (:meth:`held`) whenever that changes.
        self.on_held: Callable[[str, frozenset[TrackKey]], None] | None = None
        self.counters = RelayCounters()
        #: Who receives what (the core's plan), and the other way round.
        self.plan: dict[str, frozenset[TrackKey]] = {}
        self._viewers: dict[TrackKey, tuple[str, ...]] = {}
        self._numbers: dict[str, int] = {}
        self._views: dict[tuple[str, str, int], _View] = {}
        #: (sender, kind) -> layer -> when a frame of it last came.
        self._layers: dict[tuple[str, int], dict[int, float]] = {}
        self._asked: dict[tuple[str, int, int], float] = {}
        self._paces: dict[str, _Pace] = {}
        #: viewer -> (the videos its report concerns, those it shows with their sizes).
        self._shown: dict[str, tuple[frozenset[TrackKey], dict[TrackKey, tuple[int, int]]]] = {}
        #: viewer -> the videos it was sent frames of (its page has tiles for those only).
        self._delivered: dict[str, set[TrackKey]] = {}

    # -- who is connected, who receives what ----------------------------------

    def attach(self, pid: str, sink: FrameSink) -> None:
        """``pid``'s media socket opened (a newer one replaces an older)."""
        self.sinks[pid] = sink
        self._paces[pid] = _Pace()
        self._forget_views(lambda viewer, sender: viewer == pid)

    def detach(self, pid: str, sink: FrameSink) -> None:
        if self.sinks.get(pid) is sink:
            del self.sinks[pid]
            self._paces.pop(pid, None)
            self._shown.pop(pid, None)  # its page tells a new socket again
            self._delivered.pop(pid, None)
            self._forget_views(lambda viewer, sender: viewer == pid or sender == pid)
            for key in [k for k in self._layers if k[0] == pid]:
                del self._layers[key]

    def update(
        self,
        plan: dict[str, frozenset[TrackKey]],
        numbers: dict[str, int],
        rooms: Mapping[str, str | None],
    ) -> None:
        """Follow the core's plan (:func:`media_plan.relayed`); ``numbers``:
        each participant's number, written into the frames they send;
        ``rooms``: the room each is in (None: the open floor), as the pages
        know it."""
        self.plan = plan
        self._numbers = numbers
        viewers: dict[TrackKey, list[str]] = {}
        for viewer, tracks in plan.items():
            for track in tracks:
                viewers.setdefault(track, []).append(viewer)
        self._viewers = {track: tuple(v) for track, v in viewers.items()}
        # A viewer who stops receiving a stream starts the next one at a key frame.
        self._forget_views(
            lambda viewer, sender: not any(t[0] == sender for t in plan.get(viewer, ()))
        )
        # A page keeps its tiles of someone while they are in its room (a
        # camera turned off and on again comes back to the same tile), and
        # drops them when either leaves: it makes new ones if they come
        # again, which a report does not cover.
        for viewer, delivered in self._delivered.items():
            room = rooms.get(viewer)
            gone = {t for t in delivered if room is None or rooms.get(t[0]) != room}
            if not gone:
                continue
            delivered -= gone
            shown = self._shown.get(viewer)
            if shown is not None:
                self._shown[viewer] = (shown[0] - gone, shown[1])

    def set_shown(
        self, viewer: str, room: frozenset[TrackKey], sizes: Mapping[TrackKey, tuple[int, int]]
    ) -> None:
        """Of the videos of ``room`` (the viewer's room's: an open-floor
        neighbour's are not in the report) it has had frames of (its page
        makes a tile for a video when its first frame comes), ``viewer``
        shows those in ``sizes`` (tile width and height): the others are not
        sent to it, and a small tile gets the small layer. Any other video
        (one it has no tile for yet, another room's) is sent until the next
        report: the report stands for what the page last said it shows."""
        covered = room & self._delivered.get(viewer, set())
        self._shown[viewer] = (frozenset(covered), dict(sizes))
        # A video shown again starts at a key frame (a hidden one is not held).
        held = False
        for key in [k for k in self._views if k[0] == viewer]:
            if self._hidden(viewer, (key[1], SOURCE_OF_KIND[key[2]])):
                held |= self._views.pop(key).held
        if held:
            self._held_changed(viewer)

    def _hidden(self, viewer: str, track: TrackKey) -> bool:
        shown = self._shown.get(viewer)
        return shown is not None and track in shown[0] and track not in shown[1]

    def watched_layers(self, track: TrackKey) -> set[int]:
        """The layers of a video some viewer connected now needs: of a
        camera, the small one (any viewer falls back to it when its socket
        lags) and the large one unless all show it in small tiles; of a
        screen, its one layer. None: nobody watches it here."""
        layers: set[int] = set()
        for viewer in self._viewers.get(track, ()):
            if viewer not in self.sinks or self._hidden(viewer, track):
                continue
            if track[1] != "camera":
                return {FRAME_LAYER_LARGE}
            layers.add(FRAME_LAYER_SMALL)
            if not self._small_tile(viewer, track):
                return {FRAME_LAYER_SMALL, FRAME_LAYER_LARGE}
        return layers

    def _small_tile(self, viewer: str, track: TrackKey) -> bool:
        shown = self._shown.get(viewer)
        size = shown[1].get(track) if shown is not None else None
        width, height = self.settings.small_tile
        return size is not None and size[0] <= width and size[1] <= height

    def _forget_views(self, which: Callable[[str, str], bool]) -> None:
        held = set()
        for key in [k for k in self._views if which(k[0], k[1])]:
            if self._views.pop(key).held:
                held.add(key[0])
        for viewer in held:
            self._held_changed(viewer)

    def held(self, viewer: str) -> frozenset[TrackKey]:
        """The videos held back from ``viewer`` now because its socket does
        not take them fast enough (what it is sent again starts at a key frame)."""
        return frozenset(
            (key[1], SOURCE_OF_KIND[key[2]])
            for key, view in self._views.items()
            if key[0] == viewer and view.held
        )

    def _hold(self, viewer: str, view: _View, held: bool, now: float) -> None:
        if held:
            view.flowing = None
            if not view.held:
                view.held = True
                self._held_changed(viewer)
        elif view.held:
            if view.flowing is None:
                view.flowing = now
            elif now - view.flowing >= self.settings.held_release:
                view.held, view.flowing = False, None
                self._held_changed(viewer)

    def _held_changed(self, viewer: str) -> None:
        if self.on_held is not None and viewer in self.sinks:
            self.on_held(viewer, self.held(viewer))

    def wanted(self, sender: str) -> bool:
        """Whether anyone receives anything ``sender`` sends over the socket."""
        return any(track[0] == sender for track in self._viewers)

    # -- frames ----------------------------------------------------------------

    def receive(self, sender: str, frame: bytes) -> None:
        """A frame from ``sender``'s media socket; :class:`FrameError` (a
        ``ValueError``) if it is not one."""
        header = parse_header(frame)
        if self.on_publish is not None:
            self.on_publish(sender, header, frame)
        self.forward(sender, header, frame)

    def forward(self, sender: str, header: FrameHeader, frame: bytes) -> None:
        """Send ``frame`` (its header ``header``) of ``sender`` to whoever receives it."""
        c = self.counters
        c.frames_in += 1
        c.bytes_in += len(frame)
        viewers = self._viewers.get((sender, SOURCE_OF_KIND[header.kind]))
        if not viewers:
            return
        number = self._numbers.get(sender)
        if number is None:
            return
        out = restamp(frame, number)
        if header.kind == FRAME_KIND_AUDIO:
            for viewer in viewers:
                sink = self.sinks.get(viewer)
                if sink is not None:
                    self._send(viewer, sink, out)
            return
        now = self.clock()
        layers = self._layers.setdefault((sender, header.kind), {})
        layers[header.layer] = now
        track = (sender, SOURCE_OF_KIND[header.kind])
        for viewer in viewers:
            sink = self.sinks.get(viewer)
            if sink is None:
                continue
            if self._hidden(viewer, track):
                self.counters.video_unshown += 1
            elif self._video_passes(viewer, sender, header, sink, now):
                self._send(viewer, sink, out)
                self._delivered.setdefault(viewer, set()).add(track)

    def _send(self, viewer: str, sink: FrameSink, frame: bytes) -> None:
        sink.send_frame(frame)
        c = self.counters
        c.frames_out += 1
        c.bytes_out += len(frame)
        pace = self._paces.get(viewer)
        if pace is not None:
            pace.sent += len(frame)

    def thresholds(self, viewer: str) -> tuple[int, int]:
        """Bytes waiting above which ``viewer`` gets the small layer, and
        above which its video is dropped: the settings' bytes, or less for a
        viewer whose pace was measured (seconds of waiting at that pace)."""
        s = self.settings
        pace = self._paces.get(viewer)
        rate = pace.rate if pace is not None else None
        if rate is None:
            return s.small_above, s.drop_video_above
        small = int(min(s.small_above, max(s.least_bytes, rate * s.small_after)))
        drop = int(min(s.drop_video_above, max(2 * s.least_bytes, rate * s.drop_video_after)))
        return small, drop

    def _sent_layers(self, sender: str, kind: int, now: float) -> set[int]:
        lifetime = self.settings.layer_lifetime
        layers = self._layers.get((sender, kind), {})
        return {layer for layer, at in layers.items() if now - at < lifetime}

    def _video_passes(
        self, viewer: str, sender: str, header: FrameHeader, sink: FrameSink, now: float
    ) -> bool:
        """Whether this video frame goes to ``viewer``: the layer that fits
        its tile and its socket, from a key frame on."""
        s = self.settings
        key = (viewer, sender, header.kind)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = _View(layer=header.layer, wanted=FRAME_LAYER_LARGE)
        backlog = sink.backlog()
        pace = self._paces.get(viewer)
        if pace is not None:
            pace.observe(now, backlog)
        small_above, drop_above = self.thresholds(viewer)
        sent = self._sent_layers(sender, header.kind, now)
        if backlog > small_above:
            view.congested_at = now
            if FRAME_LAYER_SMALL in sent:
                view.wanted = FRAME_LAYER_SMALL
        elif FRAME_LAYER_SMALL in sent and self._small_tile(
            viewer, (sender, SOURCE_OF_KIND[header.kind])
        ):
            view.wanted = FRAME_LAYER_SMALL
        elif (
            view.wanted == FRAME_LAYER_SMALL
            and now - view.congested_at > s.large_again_after
            and FRAME_LAYER_LARGE in sent
        ):
            view.wanted = FRAME_LAYER_LARGE
        if view.wanted not in sent:
            view.wanted = header.layer  # what the sender sends now
        if backlog > drop_above:
            # Too much waits: nothing of this until the next key frame.
            view.waiting = True
            view.dropped += 1
            self.counters.video_dropped += 1
            self._hold(viewer, view, True, now)
            return False
        if view.waiting or view.layer != view.wanted:
            if header.layer == view.wanted and header.key:
                view.layer, view.waiting = view.wanted, False
            else:
                self._ask(sender, header.kind, view.wanted, now)
                if header.layer == view.layer and not view.waiting:
                    view.frames += 1
                    self._hold(viewer, view, False, now)
                    return True  # the old layer until the new one's key frame
                view.dropped += 1
                self.counters.video_dropped += 1
                return False
        if header.layer != view.layer:
            return False
        view.frames += 1
        self._hold(viewer, view, False, now)
        return True

    def _ask(self, sender: str, kind: int, layer: int, now: float) -> None:
        key = (sender, kind, layer)
        if now - self._asked.get(key, -1.0e9) < self.settings.key_frame_interval:
            return
        self._asked[key] = now
        self.counters.key_frame_requests += 1
        self.request_key_frame(sender, kind, layer)

    def stats(self) -> dict[str, object]:
        """For logs and benchmarks: the counters and who is connected."""
        c = self.counters
        return {
            "sockets": len(self.sinks),
            "viewers": len(self.plan),
            "frames_in": c.frames_in,
            "frames_out": c.frames_out,
            "bytes_in": c.bytes_in,
            "bytes_out": c.bytes_out,
            "video_dropped": c.video_dropped,
            "video_unshown": c.video_unshown,
            "key_frame_requests": c.key_frame_requests,
        }


__all__ = [
    "FrameSink",
    "KeyFrameRequester",
    "MediaRelay",
    "RelaySettings",
]
