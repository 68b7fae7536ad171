"""The class scenario's participants, a worker process's worth at a time.

A worker (:func:`worker`) hosts some of the participants and does what the
benchmark's process tells it over a pipe: join, move everyone to the next
phase's places, wait until everyone hears whom they should, report a
window's packets. Two kinds of participant do the moves:

* :class:`Ours`: the classroom's own protocol over its WebSocket
  (:class:`~tests.harness.clients.Client`), a real aiortc room connection
  (:class:`~tests.harness.clients.RoomPeer`) that publishes what the
  presence flags say, and walks between rooms;
* :class:`AtJanus`: Janus's videoroom over HTTP, one aiortc publisher
  connection and one subscriber connection (every feed in the room) each.
"""

from __future__ import annotations

import asyncio
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.contrib.media import MediaRelay  # noqa: E402
from aiortc.rtcconfiguration import RTCBundlePolicy  # noqa: E402

from benchmarks.class_janus import JanusSession  # noqa: E402
from benchmarks.class_media import (  # noqa: E402
    Ledger,
    Looped,
    hook,
    opus_silence,
    speaking,
    vp8_clip,
)
from benchmarks.room_churn import connect  # noqa: E402
from benchmarks.ws_media import encode_voice  # noqa: E402
from jupyter_classroom.sfu import announce_host_addresses  # noqa: E402
from tests.harness import until  # noqa: E402
from tests.harness.clients import Client, RoomPeer  # noqa: E402

#: A participant's part of a phase: where to walk (waypoints), what to send,
#: and for Janus the room and the feeds to subscribe to.
Step = dict[str, Any]


def corridor(y: float) -> float:
    """The walkway beside a place: the stage's front edge (above the
    lectern) for the stage, between
    the two rows of tables (and the open-floor crowds at either wall), below
    them from the door."""
    return 228.0 if y < 300 else 900.0 if y > 870 else 600.0


def route(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """Waypoints from ``start`` to ``end`` along walkways and up the gap at
    x = 1000 between the tables, never across a room on the way."""
    (px, py), (qx, qy) = start, end
    a, b = corridor(py), corridor(qy)
    points = (
        [(px, a), (qx, b), end] if a == b else [(px, a), (1000.0, a), (1000.0, b), (qx, b), end]
    )
    out: list[tuple[float, float]] = []
    for point in points:
        if point != (out[-1] if out else start):
            out.append(point)
    return out


class Media:
    """A participant's camera and microphone, pre-encoded, off until a phase
    turns them on; the microphone sends speech or silence."""

    def __init__(self, clip: list[bytes], voice: list[bytes], silence: list[bytes], fps: int):
        self.video = Looped("video", clip, 90000, fps)
        self.audio = Looped("audio", silence, 48000, 50)
        self.voice = voice
        self.silence = silence

    def switch(self, camera: bool, mic: bool, talk: bool = False) -> None:
        self.video.switch(camera)
        self.audio.packets = self.voice if talk else self.silence
        self.audio.switch(mic)


class Ours:
    def __init__(self, index: int, url: str, media: Media) -> None:
        self.index = index
        self.url = url
        self.media = media
        self.peer = RoomPeer(sources={"camera": media.video, "microphone": media.audio})
        self.client: Client | None = None
        self._drain: asyncio.Task[None] | None = None
        #: Errors the server answered with, and the pongs awaited.
        self.errors: list[dict[str, Any]] = []
        self._pongs: dict[int, asyncio.Event] = {}

    async def join(self) -> str:
        ws = await connect(f"{self.url}&user=p-{self.index:03d}")
        self.client = Client(ws, self.peer)
        await self.client.join()
        self._drain = asyncio.ensure_future(self._read())
        return self.client.id

    async def _read(self) -> None:
        """Read what the socket brings besides the room connection (positions,
        open-floor call pairings: these participants make no peer-to-peer
        calls), so that it does not pile up."""
        assert self.client is not None
        while True:
            try:
                m = await self.client.recv(timeout=3600)
                self.client.seen.clear()
                if m["type"] == "error":
                    self.errors.append(m)
                elif m["type"] == "pong" and m.get("id") in self._pongs:
                    self._pongs[m["id"]].set()
            except (TimeoutError, asyncio.TimeoutError):
                continue
            except ConnectionError:
                return

    async def leave(self) -> None:
        pass

    async def publish(self, step: Step) -> None:
        assert self.client is not None
        # A browser turns the camera off before walking away, and on once there.
        if not step["camera"]:
            self.media.video.switch(False)
        if not step["mic"]:
            self.media.audio.switch(False)
        await self.client.send(type="presence", camera=step["camera"], mic=step["mic"])
        for x, y in route(self.client.position, step["to"]):
            await self.client.walk_to(x, y, step=30.0, pause=0.012)
        self.media.switch(step["camera"], step["mic"], step["talk"])
        # The server answers a ping after everything before it: any refusal has come.
        pong = asyncio.Event()
        self.client.next_id += 1
        self._pongs[self.client.next_id] = pong
        await self.client.send(type="ping", id=self.client.next_id)
        await asyncio.wait_for(pong.wait(), 120)
        if self.errors:
            errors, self.errors = self.errors, []
            raise RuntimeError(f"refused: {errors[:3]}")

    async def subscribe(self, step: Step) -> None:
        pass  # the server subscribes everyone to their room

    def hook(self, ledger: Ledger) -> None:
        hook(self.peer.pc, self.index, ledger, send=True, receive=True)

    def describe(self) -> str:
        pc = self.peer.pc
        state = pc.connectionState if pc is not None else None
        return (
            f"connection {self.peer.number} {state}, {self.peer.offers} offers, "
            f"{len(pc.getTransceivers()) if pc else 0} transceivers, closed: {self.peer.closed_reason}"
        )

    async def close(self) -> None:
        if self._drain is not None:
            self._drain.cancel()
        if self.client is not None:
            await self.client.close()


def for_janus(sdp: str) -> str:
    """aiortc's SDP less its SHA-384 and SHA-512 fingerprints: Janus checks
    the certificate against the last one given with SHA-256 (what browsers
    send) and fails the handshake."""
    lines = sdp.splitlines()
    return "".join(f"{line}\r\n" for line in lines if not line.startswith(FINGERPRINTS))


FINGERPRINTS = ("a=fingerprint:sha-384", "a=fingerprint:sha-512")


def join(ptype: str, room: int, **more: Any) -> dict[str, Any]:
    """A videoroom request to join ``room`` as a publisher or a subscriber."""
    return {"request": "join", "ptype": ptype, "room": room, **more}


def new_connection() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class AtJanus:
    """A participant in Janus's videoroom: publishes its feed (number
    ``index + 1``) in its phase's room, and subscribes to the room's other
    feeds on one connection, as a plain SFU client does."""

    def __init__(self, index: int, session: JanusSession, media: Media) -> None:
        self.index = index
        self.session = session
        self.media = media
        self.relay = MediaRelay()
        self.publisher: tuple[int, RTCPeerConnection] | None = None
        self.subscriber: tuple[int, RTCPeerConnection] | None = None

    async def join(self) -> str:
        return f"feed-{self.index + 1}"

    async def leave(self) -> None:
        for end in (self.subscriber, self.publisher):
            if end is not None:
                handle, pc = end
                await pc.close()
                await self.session.detach(handle)
        self.publisher = self.subscriber = None

    async def publish(self, step: Step) -> None:
        self.media.switch(step["camera"], step["mic"], step["talk"])
        if not (step["camera"] or step["mic"]):
            return
        handle = await self.session.attach()
        await self.session.message(handle, join("publisher", step["room"], id=self.index + 1))
        pc = new_connection()
        self.publisher = (handle, pc)
        for on, track in ((step["mic"], self.media.audio), (step["camera"], self.media.video)):
            if on:
                pc.addTransceiver(self.relay.subscribe(track), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": for_janus(pc.localDescription.sdp)}
        event = await self.session.message(handle, {"request": "publish"}, offer)
        await pc.setRemoteDescription(RTCSessionDescription(event["jsep"]["sdp"], "answer"))
        # Janus offers a feed to subscribers once its publisher's media is up.
        await until(lambda: pc.connectionState == "connected", 120, "the publisher's connection")

    async def subscribe(self, step: Step) -> None:
        feeds = [f for f in step["feeds"] if f != self.index + 1]
        if not feeds:
            return
        handle = await self.session.attach()
        body = join("subscriber", step["room"], streams=[{"feed": f} for f in feeds])
        for attempt in range(40):
            try:
                event = await self.session.message(handle, body)
                break
            except RuntimeError as e:
                # A feed whose media came up a moment ago may not be offered yet.
                if "No such feed" not in str(e) or attempt == 39:
                    raise
                await asyncio.sleep(0.25)
        pc = new_connection()
        self.subscriber = (handle, pc)
        await pc.setRemoteDescription(RTCSessionDescription(event["jsep"]["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = {"type": "answer", "sdp": for_janus(pc.localDescription.sdp)}
        await self.session.message(handle, {"request": "start", "room": step["room"]}, answer)

    def describe(self) -> str:
        return " ".join(
            f"{what} {end[1].connectionState}"
            for what, end in (("publisher", self.publisher), ("subscriber", self.subscriber))
            if end is not None
        )

    def hook(self, ledger: Ledger) -> None:
        if self.publisher is not None:
            hook(self.publisher[1], self.index, ledger, send=True, receive=False)
        if self.subscriber is not None:
            hook(self.subscriber[1], self.index, ledger, send=False, receive=True)

    async def close(self) -> None:
        await self.leave()
        readers = list(getattr(self.relay, "_MediaRelay__tasks", {}).values())
        for reader in readers:
            reader.cancel()


def heard_all(ledger: Ledger, expected: dict[int, list[tuple[int, int]]], since: float) -> int:
    """How many expected (receiver, sender, kind) streams have not brought a
    packet sent since ``since``."""
    missing = 0
    for receiver, streams in expected.items():
        fresh = {
            (s, k) for s, k, _, sent_at, _ in ledger.received[receiver][-400:] if sent_at >= since
        }
        if len(fresh) < len(streams):
            fresh |= {
                (s, k) for s, k, _, sent_at, _ in ledger.received[receiver] if sent_at >= since
            }
        missing += sum(1 for stream in streams if stream not in fresh)
    return missing


async def serve(
    pipe: Connection, target: str, url: str, indices: list[int], media: dict[str, int]
) -> None:
    loop = asyncio.get_running_loop()
    clip = vp8_clip(media["width"], media["height"], media["fps"], media["kbps"])
    voice = encode_voice()
    silence = opus_silence()
    speaking(silence)
    ledger = Ledger()
    session: JanusSession | None = None
    people: list[Ours | AtJanus] = []
    if target == "janus":
        session = JanusSession(url)
        await session.start()
        people = [AtJanus(i, session, Media(clip, voice, silence, media["fps"])) for i in indices]
    else:
        people = [Ours(i, url, Media(clip, voice, silence, media["fps"])) for i in indices]

    async def hooking() -> None:
        while True:
            for person in people:
                person.hook(ledger)
            await asyncio.sleep(0.05)

    hooks = asyncio.ensure_future(hooking())
    ids = [await person.join() for person in people]
    pipe.send(ids)
    while True:
        command, *args = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command in ("publish", "subscribe"):
            (plan,) = args
            if command == "publish":
                await asyncio.gather(*(person.leave() for person in people))
            results = await asyncio.gather(
                *(getattr(person, command)(plan[person.index]) for person in people),
                return_exceptions=True,
            )
            failed = [f"{p.index}: {r!r:.300}" for p, r in zip(people, results, strict=True) if r]
            pipe.send(failed)
        elif command == "wait":
            expected, since, timeout = args
            deadline = time.time() + timeout
            while (missing := heard_all(ledger, expected, since)) and time.time() < deadline:
                await asyncio.sleep(0.2)
            if missing:
                for person in people:
                    if heard_all(ledger, {person.index: expected.get(person.index, [])}, since):
                        print(
                            f"  participant {person.index}: {person.describe()}", file=sys.stderr
                        )
            pipe.send(missing)
        elif command == "window":
            t0, t1 = args
            pipe.send(ledger.summary(t0, t1))
            ledger.forget(t1)
    hooks.cancel()
    for person in people:
        await person.close()
    if session is not None:
        await session.close()
    pipe.send("bye")


def worker(
    pipe: Connection, target: str, url: str, indices: list[int], media: dict[str, int]
) -> None:
    from jupyter_classroom.sfu import aiortc_hooks

    # Consent expires as a browser has it (30 s without an answer: the
    # classroom's own ICE does so too). On a machine this loaded the
    # participants' own processes may not read the answers for longer, which
    # would end their calls: these participants keep them.
    aiortc_hooks.CONSENT_TIMEOUT = float("inf")
    # aioice leaves 127.0.0.1 out of the host candidates; everything here is on loopback.
    announce_host_addresses(["127.0.0.1"])
    asyncio.run(serve(pipe, target, url, indices, media))
