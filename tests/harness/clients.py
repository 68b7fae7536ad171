"""Participants for tests and benchmarks: a classroom socket (:class:`Client`)
and real aiortc peers that play the browser's part of a room connection.

:class:`RoomPeer` answers the server's ``sfu_offer`` the way the front end
does (``labextension/src/rtc/sfu.ts``): it sends its tracks on the
transceivers the offer names in ``publish`` and keeps the tracks the server
sends by ``mid``, with ``sfu_tracks`` saying whose they are. It takes the
protocol's messages as plain JSON objects, whatever carries them.
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
import tornado.websocket
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import IdentityProvider, User

from jupyter_classroom import protocol

Send = Callable[[dict[str, Any]], Awaitable[object] | None]


def marker_of(n: int) -> int:
    return (n * 40) % 256


class MarkedFrames(VideoStreamTrack):
    """Frame n is a flat grey of level ``marker_of(n) + base``: checkable after VP8."""

    def __init__(self, base: int = 0, size: tuple[int, int] = (320, 240)) -> None:
        super().__init__()
        self.n = 0
        self.base = base
        self.size = size

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.n += 1
        w, h = self.size
        image = np.full((h, w, 3), (marker_of(self.n) + self.base) % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class Tone(AudioStreamTrack):
    """A 440 Hz tone at 48 kHz, loud enough to count as speech."""

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        self.amplitude = amplitude
        self._sent = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        rate, samples = 48000, 960
        if self._sent:
            wait = self._start + self._sent / rate - time.time()
            await asyncio.sleep(wait)
        else:
            self._start = time.time()
        t = (np.arange(samples) + self._sent) / rate
        wave = (self.amplitude * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, rate)
        self._sent += samples
        return frame


class Watcher:
    """Reads (and so decodes) a received track, noting each video frame's grey
    level; ``on_frame(when)`` (the loop's time) for each frame, if given."""

    def __init__(
        self, track: MediaStreamTrack, on_frame: Callable[[float], None] | None = None
    ) -> None:
        self.levels: list[int] = []
        self.first_at: float | None = None
        self.frames = 0
        self.on_frame = on_frame
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames += 1
            now = loop.time()
            if self.first_at is None:
                self.first_at = now
            if self.on_frame is not None:
                self.on_frame(now)
            if isinstance(frame, av.VideoFrame):
                image = frame.to_ndarray(format="bgr24")
                self.levels.append(int(image[image.shape[0] // 2, image.shape[1] // 2].mean()))

    def close(self) -> None:
        self._task.cancel()


class RoomPeer:
    """A participant's end of the room connection, in aiortc."""

    def __init__(
        self, send: Send | None = None, sources: dict[str, MediaStreamTrack] | None = None
    ) -> None:
        self.send: Send = send or (lambda message: None)
        self.sources = dict(sources or {})
        # aiortc's senders stop their track when their connection ends; a
        # browser's do not, and its next room connection sends the same
        # tracks. Each connection sends its own copy of the sources.
        self._relay = MediaRelay()
        self._sending: dict[str, MediaStreamTrack] = {}
        # One message at a time, in order, as a browser handles signaling: a
        # connection's close must not interleave with the next one's offer.
        self._handling = asyncio.Lock()
        self.pc: RTCPeerConnection | None = None
        self.number: int | None = None
        #: Received tracks by mid, and what the server says each carries.
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.carries: dict[str, tuple[str, str]] = {}
        self.watchers: dict[str, Watcher] = {}
        self.offers = 0
        self.closed_reason: str | None = None
        self.changed = asyncio.Event()
        self._heard: Callable[[str, str, float], None] | None = None

    def track_of(self, participant: str, source: str) -> MediaStreamTrack | None:
        for mid, key in self.carries.items():
            if key == (participant, source):
                return self.tracks.get(mid)
        return None

    def watch(self, participant: str, source: str) -> Watcher | None:
        """Decode what a participant's source sends us (its transceiver's track)."""
        for mid, key in self.carries.items():
            if key == (participant, source) and mid in self.tracks:
                if mid not in self.watchers:
                    self.watchers[mid] = Watcher(self.tracks[mid])
                return self.watchers[mid]
        return None

    def hear(self, heard: Callable[[str, str, float], None]) -> None:
        """Read every track received, on this connection and the next ones,
        calling ``heard(participant, source, when)`` for each frame (``when``:
        the loop's time), the track being whose the server last said it is.

        Reading matters as much as knowing: aiortc decodes every packet a
        receiver gets and queues the frames on its track, without limit,
        until they are read.
        """
        self._heard = heard
        self._hear_all()

    def _hear_all(self) -> None:
        if self._heard is None:
            return
        for mid, track in self.tracks.items():
            watcher = self.watchers.get(mid)
            if watcher is None:
                self.watchers[mid] = Watcher(track, functools.partial(self._frame, mid))
            elif watcher.on_frame is None:  # already read for watch()
                watcher.on_frame = functools.partial(self._frame, mid)

    def _frame(self, mid: str, when: float) -> None:
        key = self.carries.get(mid)
        if key is not None and self._heard is not None:
            self._heard(key[0], key[1], when)

    async def handle(self, message: dict[str, Any]) -> None:
        async with self._handling:
            await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "sfu_offer":
            await self._offer(message)
        elif kind == "sfu_tracks" and message["connection"] == self.number:
            self._carry(message["tracks"])
        elif kind == "sfu_closed" and message["connection"] == self.number:
            self.closed_reason = message["reason"]
            await self.close()
        self.changed.set()

    def _carry(self, tracks: list[dict[str, str]]) -> None:
        self.carries = {t["mid"]: (t["participant"], t["source"]) for t in tracks}

    async def _offer(self, message: dict[str, Any]) -> None:
        if message["connection"] != self.number:
            await self.close()
            self.number = message["connection"]
            # max-bundle: aiortc's default policy mishandles several m-lines of
            # one kind in a first offer (they keep a transport BUNDLE closes).
            new = self.pc = RTCPeerConnection(
                RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
            )
            self.tracks = {}

            @new.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                for t in new.getTransceivers():
                    if t.receiver.track is track and t.mid is not None:
                        self.tracks[t.mid] = track
                self._hear_all()

        pc = self.pc
        assert pc is not None
        self.offers += 1
        description = message["description"]
        await pc.setRemoteDescription(RTCSessionDescription(description["sdp"], "offer"))
        publish = {p["mid"]: p["source"] for p in message["publish"]}
        for transceiver in pc.getTransceivers():
            source = publish.get(transceiver.mid)
            if source is not None:
                transceiver.direction = "sendonly"
                track = self._sending.get(source)
                if track is None and source in self.sources:
                    track = self._relay.subscribe(self.sources[source])
                    self._sending[source] = track
                if transceiver.sender.track is not track:
                    transceiver.sender.replaceTrack(track)
        await pc.setLocalDescription(await pc.createAnswer())
        self._carry(message["tracks"])
        answer = pc.localDescription
        result = self.send(
            {
                "type": "sfu_answer",
                "connection": self.number,
                "description": {"type": answer.type, "sdp": answer.sdp},
            }
        )
        if result is not None:
            await result

    async def close(self) -> None:
        for watcher in self.watchers.values():
            watcher.close()
        self.watchers.clear()
        if self.pc is not None:
            pc, self.pc = self.pc, None
            await pc.close()
        for track in self._sending.values():
            track.stop()
        self._sending = {}

    async def stop(self) -> None:
        """Done with this peer (``close`` only ends its current connection)."""
        await self.close()
        # The relay reads each source until the source ends, which the test
        # that owns the sources may never do: its readers stop here, rather
        # than be destroyed pending (an error in the log) whenever the garbage
        # collector gets to them in a later test. (MediaRelay has no public
        # way to stop them.)
        readers = list(getattr(self._relay, "_MediaRelay__tasks", {}).values())
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


class NamedUsers(IdentityProvider):
    """Token login as before, but ``?user=NAME`` picks a stable name (tests only)."""

    async def get_user(self, handler: Any) -> User | None:
        # IdentityProvider.get_user may answer at once or later.
        user: User | None = await ensure_async(super().get_user(handler))
        name = handler.get_argument("user", None)
        if user is None or not name:
            return user
        return User(username=name, name=name.title(), display_name=name.title())


class OwnerUsers(NamedUsers):
    """As :class:`NamedUsers`, and a token login without ``?user=`` is the
    operating-system user running the server, the way JupyterHub makes it the
    server's owner (tests only: Jupyter's own makes an anonymous user)."""

    async def get_user(self, handler: Any) -> User | None:
        user = await super().get_user(handler)
        if user is None or handler.get_argument("user", None):
            return user
        import getpass

        owner = getpass.getuser()
        return User(username=owner, name=owner, display_name=owner.title())


class LoginNamedUsers(IdentityProvider):
    """Token login where ``?user=NAME`` on the login request names the
    browser's user, and the login cookie keeps that name for the rest of its
    session: for browser tests that need a known user, such as an instructor
    (tests only)."""

    async def get_user_token(self, handler: Any) -> User | None:
        user = await super().get_user_token(handler)
        name = handler.get_argument("user", None)
        if user is None or not name:
            return user
        return User(username=name, name=name.title(), display_name=name.title())


class Client:
    """A participant's socket. With ``room`` (a :class:`RoomPeer`), a reader
    hands the room connection's messages to it as they come, and the rest to
    :meth:`recv`; without, :meth:`recv` reads the socket itself."""

    def __init__(
        self, ws: tornado.websocket.WebSocketClientConnection, room: RoomPeer | None = None
    ) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.next_id = 0
        self.room = room
        self.welcome: dict[str, Any] | None = None
        self.position: tuple[float, float] = (0.0, 0.0)
        self._inbox: asyncio.Queue[dict[str, Any] | None] | None = None
        self._reader: asyncio.Task[None] | None = None
        if room is not None:
            room.send = lambda message: self.send(**message)
            self._inbox = asyncio.Queue()
            self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self._inbox is not None and self.room is not None
        while True:
            text = await self.ws.read_message()
            if text is None:
                await self._inbox.put(None)
                return
            message = json.loads(text)
            if message["type"].startswith("sfu_"):
                self.seen.append(message)
                await self.room.handle(message)
            else:
                await self._inbox.put(message)

    async def send(self, **message: Any) -> int | None:
        if "id" not in message:
            self.next_id += 1
            message["id"] = self.next_id
        await self.ws.write_message(json.dumps(message))
        return message["id"]

    async def send_raw(self, text: str) -> None:
        await self.ws.write_message(text)

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        if self._inbox is not None:
            message = await asyncio.wait_for(self._inbox.get(), timeout)
            if message is None:
                await self._inbox.put(None)  # stays closed
        else:
            text = await asyncio.wait_for(self.ws.read_message(), timeout)
            message = json.loads(text) if text is not None else None
        if message is None:
            raise ConnectionError(f"socket closed: {self.ws.close_code} {self.ws.close_reason}")
        self.seen.append(message)
        return message

    async def expect(self, type_: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next message of this type (matching fields), skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(
                    f"no {type_} {match} in time; saw {[m['type'] for m in self.seen[-10:]]}"
                )
            m = await self.recv(left)
            if m["type"] == type_ and all(m.get(k) == v for k, v in match.items()):
                return m

    async def nothing(self, type_: str, timeout: float = 10.0, wait: float | None = None) -> None:
        """No message of this type is on its way to us now.

        The server answers a ping after everything it had already sent this
        socket: what comes before the pong is everything there was. (``wait``
        is not used: the pong ends the wait, not a time.)
        """
        ping = await self.send(type="ping")
        while True:
            m = await self.recv(timeout)
            if m["type"] == "pong" and m.get("id") == ping:
                return
            assert m["type"] != type_, m

    async def join(self, **kw: Any) -> dict[str, Any]:
        if self.room is not None:
            kw.setdefault("media", True)
        await self.send(type="join", protocol=protocol.PROTOCOL_VERSION, **kw)
        welcome = await self.expect("welcome")
        self.welcome = welcome
        me = next(p for p in welcome["participants"] if p["id"] == welcome["you"])
        self.position = (me["x"], me["y"])
        return welcome

    @property
    def id(self) -> str:
        assert self.welcome is not None
        return self.welcome["you"]

    async def walk_to(self, x: float, y: float, step: float = 20.0, pause: float = 0.1) -> None:
        """Walk in straight steps at walking pace (240 px/s, with margin)."""
        px, py = self.position
        while (px, py) != (x, y):
            d = math.hypot(x - px, y - py)
            f = min(1.0, step / d)
            px, py = round(px + (x - px) * f, 1), round(py + (y - py) * f, 1)
            await asyncio.sleep(pause)
            await self.send(type="move", x=px, y=py)
        self.position = (x, y)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.room is not None:
            await self.room.stop()
        self.ws.close()
