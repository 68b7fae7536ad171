"""Demo classmates: simulated participants inside the server, so that a lone
visitor (a Binder link) finds a classroom that moves, talks and answers.

Each classmate is a :class:`~jupyter_classroom.server.session.ClassroomSession`
of its own, driven in process: it sends the protocol's own messages
(``join``, ``presence``, ``move``, ``chat_send``) through
``ClassroomSession.receive`` and reads what the server sends it, exactly as a
socket's session does, so the core checks its moves and its chat like
anyone's. Its media goes the media socket's way: its transport is
``websocket``, it has a media socket of its own (a sink that plays nothing)
and hands its frames to ``service.relay.receive`` in real time: Opus 20 ms
frames of a synthesized voice, VP8 frames of its picture at two sizes,
encoded once at start in a thread and looped, with a key frame every two
seconds and whenever the server asks for one.

A classmate walks on after a while at each stop, but stays up to
:data:`LINGER` seconds more while someone is with it (at its table, or near
it on the open floor), so a visitor who walks up to one can talk with it;
one at rest waits, too, while someone is walking towards it.

They leave, for good, when a real class starts: once ``leave_at`` people
(different users, not demo classmates) are in the classroom at once, or
when an instructor starts breakouts or a broadcast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import random
from collections.abc import Coroutine
from typing import Any

from .. import protocol
from ..classroom import Identity, Participant
from ..classroom.seats import SEAT_SETTLE
from ..protocol.frames import FRAME_KIND_AUDIO, FRAME_KIND_CAMERA, FrameHeader
from ..server.service import ClassroomService
from ..server.session import ClassroomSession
from .media import KEY_EVERY, VIDEO_FPS, EncodedMedia, encode_media
from .script import (
    LINES,
    MAX_DEMO_PARTICIPANTS,
    PERSONAS,
    Persona,
    Stop,
    next_stop,
    reply_to,
    step_towards,
)

log = logging.getLogger(__name__)

#: Seconds between two steps of a walk.
STEP = 0.2
#: Demo classmates walk at this fraction of the walking speed (a stroll).
STROLL = 0.4
#: Seconds a classmate stays on at a stop, past its time, while someone
#: (not a demo classmate) is with it: at its table, or near it on the open floor.
LINGER = 45.0
#: Someone this close (map units) and getting closer is coming to talk: a
#: classmate at rest waits for them (within LINGER of its arrival).
APPROACH = 640.0
#: Seconds since someone last came closer that still count as coming.
COMING = 1.0
#: Seconds between two frames of audio.
AUDIO_PERIOD = 0.02

_KEY_FRAME_PREFIX = '{"type":"key_frame",'
_CHAT_PREFIX = '{"type":"chat",'


def clamp_count(count: int) -> int:
    """``count`` within 0..MAX_DEMO_PARTICIPANTS, with a log line when it was not."""
    if count > MAX_DEMO_PARTICIPANTS:
        log.warning(
            "classroom: demo_participants=%d is more than %d: %d demo classmates start",
            count,
            MAX_DEMO_PARTICIPANTS,
            MAX_DEMO_PARTICIPANTS,
        )
        return MAX_DEMO_PARTICIPANTS
    return max(0, count)


class _Silence:
    """A demo classmate's own media socket (what the relay sends it): it plays nothing."""

    def send_frame(self, frame: bytes) -> None:
        pass

    def backlog(self) -> int:
        return 0

    def end(self, code: int, reason: str) -> None:
        pass


class DemoClassmate:
    """One simulated participant: its session, its walk and its media."""

    def __init__(self, director: DemoClassmates, index: int, persona: Persona) -> None:
        self.director = director
        self.persona = persona
        service = director.service
        identity = Identity.from_host(
            f"demo-classmate-{index + 1}", persona.name, persona.initials, persona.color
        )
        self.identity = dataclasses.replace(identity, demo=True)
        self.session = ClassroomSession(
            service, self.identity, self._received, self._closed, clock=service.clock
        )
        self.sink = _Silence()
        self.media: EncodedMedia | None = None
        #: Where it walks to (None: standing).
        self.stop: Stop | None = None
        #: Standing until then (the service's clock).
        self.resting_until = 0.0
        #: Seated at a table on the way to its stop: walks on at this time.
        self.walk_on_at = 0.0
        #: When it last reached a stop.
        self.arrived = -LINGER
        #: When someone last came closer to it (the service's clock).
        self.approached_at = -LINGER
        #: How far each person (not a demo classmate) was at the last step.
        self.distances: dict[str, float] = {}
        self.gone = False
        self._ids = 0
        self._key_wanted = False
        self._position = 0  # in the picture's loop
        self._audio = 0  # in the voice's loop
        self._sequence: dict[tuple[int, int], int] = {}

    @property
    def pid(self) -> str | None:
        return self.session.pid

    def _send(self, message: protocol.ClientMessage) -> None:
        self.session.receive(protocol.encode(message))

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # -- what the server sends it ------------------------------------------------

    def _received(self, text: str) -> None:
        if text.startswith(_KEY_FRAME_PREFIX):
            self._key_wanted = True
        elif text.startswith(_CHAT_PREFIX):
            self.director.heard(json.loads(text)["message"])

    def _closed(self, code: int, reason: str) -> None:
        self.gone = True

    # -- what it does ---------------------------------------------------------------

    def join(self) -> bool:
        """Join the classroom (media by the socket); False when refused (a full class)."""
        self._send(
            protocol.Join(protocol=protocol.PROTOCOL_VERSION, media=True, id=self._next_id())
        )
        pid = self.pid
        if pid is None:
            return False
        self._send(
            protocol.SetPresence(mic=True, camera=True, transport="websocket", id=self._next_id())
        )
        self.director.service.media_opened(pid, self.sink)
        return True

    def move(self, x: float, y: float) -> None:
        self._send(protocol.Move(x=x, y=y))

    def say(self, text: str) -> None:
        self._send(protocol.ChatSend(channel="class", text=text, id=self._next_id()))

    def leave(self) -> None:
        pid = self.pid
        if pid is not None:
            self.director.service.media_closed(pid, self.sink)
        self.session.close(1000, "a real class started")
        self.session.connection_lost(1000)
        self.gone = True

    # -- its media ------------------------------------------------------------------

    def _frame(self, kind: int, layer: int, key: bool, now: float, payload: bytes) -> None:
        pid = self.pid
        if pid is None:
            return
        stream = (kind, layer)
        seq = self._sequence.get(stream, 0)
        self._sequence[stream] = seq + 1
        t = int((now - self.director.started) * 1e6)
        header = FrameHeader(kind, layer, key, 0, t, seq)
        self.director.service.relay.receive(pid, header.pack() + payload)

    def send_audio(self, now: float) -> None:
        media = self.media
        if media is None or not media.audio:
            return
        packet = media.audio[self._audio % len(media.audio)]
        self._audio += 1
        if self.director.wanted(self.pid):
            self._frame(FRAME_KIND_AUDIO, 0, True, now, packet)

    def send_video(self, now: float) -> None:
        media = self.media
        if media is None:
            return
        loop = len(next(iter(media.video.values())))
        if self._key_wanted:
            # The nearest key frame of the loop: the picture jumps a little,
            # and the frames after it follow from it.
            self._key_wanted = False
            self._position = round(self._position % loop / KEY_EVERY) * KEY_EVERY
        n = self._position % loop
        self._position = n + 1
        if not self.director.wanted(self.pid):
            return
        for layer, frames in media.video.items():
            key, payload = frames[n]
            self._frame(FRAME_KIND_CAMERA, layer, key, now, payload)


class DemoClassmates:
    """The server's demo classmates: ``count`` of them (at most
    :data:`MAX_DEMO_PARTICIPANTS`), until a real class starts."""

    def __init__(
        self,
        service: ClassroomService,
        count: int,
        leave_at: int = 3,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.count = clamp_count(count)
        self.leave_at = leave_at
        self.rng = rng or random.Random()
        self.classmates: list[DemoClassmate] = []
        self.started = service.clock()
        #: Why they left (None: not yet).
        self.left: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._heard = -1
        self._turn = 0
        self._line = 0
        self._next_line = 0.0
        self._answers: list[tuple[float, DemoClassmate, str]] = []
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Join them and set them going (needs a running event loop)."""
        if self.count == 0 or self._closed or self.classmates:
            return
        now = self.service.clock()
        self.started = now
        for i, persona in enumerate(PERSONAS[: self.count]):
            c = DemoClassmate(self, i, persona)
            if c.join():
                self.classmates.append(c)
            else:
                log.warning("classroom: demo classmate %s could not join", persona.name)
        self._next_line = now + self.rng.uniform(5.0, 15.0)
        log.info("classroom: %d demo classmates joined", len(self.classmates))
        self._spawn(self._walk(), "the demo classmates' walk")
        self._spawn(self._media(), "the demo classmates' media")

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("classroom: %s failed", what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def leave(self, why: str) -> None:
        """They all leave now (and do not come back)."""
        if self.left is not None:
            return
        self.left = why
        present = [c for c in self.classmates if not c.gone]
        for c in present:
            c.leave()
        if present:
            log.info("classroom: the demo classmates left: %s", why)
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    async def close(self) -> None:
        """Leave and stop every task. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.leave("the server is stopping")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- the rule ---------------------------------------------------------------------

    def class_started(self) -> str | None:
        """Why a real class has started (None: it has not)."""
        teaching = self.service.classroom.teaching
        if teaching.breakout is not None:
            return "an instructor started breakouts"
        if teaching.broadcast is not None:
            return "an instructor started a broadcast"
        # People, not connections: one person's tabs and notebooks count once.
        people = len(
            {
                p.identity.username
                for p in self.service.classroom.participants.values()
                if not p.identity.demo and p.connection == "online"
            }
        )
        if people >= self.leave_at:
            return f"{people} people are in the classroom"
        return None

    def wanted(self, pid: str | None) -> bool:
        """Whether anyone receives ``pid``'s media (over the socket or the bridge)."""
        if pid is None:
            return False
        if self.service.relay.wanted(pid):
            return True
        mixed = self.service.mixed
        return mixed is not None and any(key[0] == pid for key in mixed.producers)

    # -- chat ---------------------------------------------------------------------------

    def heard(self, message: dict[str, Any]) -> None:
        """A chat message reached a classmate (each reaches all: answered once)."""
        if message.get("channel") != "class":
            return
        ident = message.get("id")
        if not isinstance(ident, int) or ident <= self._heard:
            return
        self._heard = ident
        present = [c for c in self.classmates if not c.gone]
        if message.get("sender") in {c.pid for c in present}:
            return
        answer = reply_to(
            str(message.get("text", "")),
            str(message.get("sender_name", "")),
            [c.persona.name for c in present],
            self._turn,
        )
        if answer is None:
            return
        self._turn += 1
        who, text = answer
        # A moment to "type" it.
        when = self.service.clock() + self.rng.uniform(1.0, 2.5)
        self._answers.append((when, present[who], text))

    def _chat(self, now: float, present: list[DemoClassmate]) -> None:
        due = [a for a in self._answers if a[0] <= now]
        if due:
            self._answers = [a for a in self._answers if a[0] > now]
            for _, c, text in due:
                if not c.gone:
                    c.say(text)
        if now >= self._next_line and present:
            speaker = present[self._line % len(present)]
            speaker.say(LINES[self._line % len(LINES)])
            self._line += 1
            self._next_line = now + self.rng.uniform(40.0, 90.0)

    # -- walking --------------------------------------------------------------------------

    async def _walk(self) -> None:
        service = self.service
        settings = service.classroom.settings
        speed = settings.speed * STROLL
        last = service.clock()
        checked = -1.0
        while self.left is None:
            await asyncio.sleep(STEP)
            now = service.clock()
            dt, last = min(now - last, 3 * STEP), now
            if now - checked >= 1.0:
                checked = now
                why = self.class_started()
                if why is not None:
                    self.leave(why)
                    return
            present = [c for c in self.classmates if not c.gone]
            for c in present:
                self._step(c, now, speed * dt, settings.avatar_radius)
            self._chat(now, present)

    def _step(self, c: DemoClassmate, now: float, distance: float, radius: float) -> None:
        p = self.service.classroom.participants.get(c.pid or "")
        if p is None or p.connection != "online":
            return
        here = (p.x, p.y)
        self._watch_approach(c, p, now)
        if c.stop is None:
            if now < c.resting_until:
                return
            if now < c.arrived + LINGER and (self._company(p) or now - c.approached_at <= COMING):
                return  # someone came, or is coming, to talk: stay a while
            c.stop = next_stop(self.service.classroom.map, self.rng, here, radius)
            if c.stop is None:
                c.resting_until = now + 2.0
                return
        if now < c.walk_on_at:
            return
        to = (c.stop.x, c.stop.y)
        step = step_towards(here, to, distance)
        c.move(*step)
        if p.seated_from is not None and p.room != c.stop.room:
            # Given a seat at a table it only crosses: walk on from the seat
            # once the server takes steps from it (as a browser does).
            c.walk_on_at = now + SEAT_SETTLE
        elif p.seated_from is not None:
            # Stepped onto its table and was given a seat: sit there a while.
            c.resting_until = now + c.stop.stay
            c.arrived = now
            c.stop = None
        elif abs(p.x - step[0]) > 0.5 or abs(p.y - step[1]) > 0.5:
            # Refused (someone's table is full, or locked): somewhere else, later.
            c.stop = None
            c.resting_until = now + 1.0
        elif step == to:
            c.resting_until = now + c.stop.stay
            c.arrived = now
            c.stop = None

    def _watch_approach(self, c: DemoClassmate, p: Participant, now: float) -> None:
        """Note when someone (not a demo classmate) within :data:`APPROACH`
        comes closer to ``c`` than at the last step."""
        distances: dict[str, float] = {}
        for q in self.service.classroom.participants.values():
            if q.identity.demo or q.connection != "online":
                continue
            d = math.hypot(q.x - p.x, q.y - p.y)
            distances[q.id] = d
            before = c.distances.get(q.id)
            if before is not None and d < before - 0.5 and d <= APPROACH:
                c.approached_at = now
        c.distances = distances

    def _company(self, p: Participant) -> bool:
        """Whether someone (not a demo classmate) is with ``p``: at its table,
        or near it on the open floor. (Few people are here while they are.)"""
        radius = self.service.classroom.settings.proximity_radius
        for q in self.service.classroom.participants.values():
            if q.identity.demo or q.connection != "online" or q.room != p.room:
                continue
            if p.room is not None or math.hypot(q.x - p.x, q.y - p.y) <= radius:
                return True
        return False

    # -- media ------------------------------------------------------------------------------

    async def _media(self) -> None:
        for i, c in enumerate(list(self.classmates)):
            # Seconds of libvpx each: in a thread, one classmate at a time.
            p = c.persona
            c.media = await asyncio.to_thread(encode_media, p.color, p.initials, p.pitch, i)
        log.info("classroom: the demo classmates' voices and pictures are ready")
        clock = self.service.clock
        start = clock()
        ticks = 0
        shown = -1
        while self.left is None:
            ticks += 1
            delay = start + ticks * AUDIO_PERIOD - clock()
            if delay < -0.5:
                # The event loop was stalled: carry on from now, no burst.
                start, ticks, shown, delay = clock(), 0, -1, 0.0
            await asyncio.sleep(max(0.0, delay))
            now = clock()
            frame = int((now - start) * VIDEO_FPS)
            video = frame != shown
            shown = frame
            for c in self.classmates:
                if c.gone:
                    continue
                c.send_audio(now)
                if video:
                    c.send_video(now)
