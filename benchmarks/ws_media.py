"""Media over the WebSocket: one publisher, N viewers, through the real server's relay.

Starts ``jupyter server`` with the classroom on 127.0.0.1. One participant
(its own process) stands on the stage with the transport ``websocket`` and
sends pre-encoded media over its media socket (``classroom/media``), paced in
real time as a page's WebCodecs encoders hand it over: an Opus tone in 20 ms
frames (~32 kbit/s) and a camera in VP8 at two layers, 320x180 (~150 kbit/s)
and 640x360 (~500 kbit/s), 25 frames a second, a key frame every 5 s and
whenever the server asks for one (``key_frame`` on the classroom socket: the
layer's clip starts again from its key frame). Header timestamps are in
microseconds, modulo 2**32, and sequence numbers are counted per stream,
modulo 2**16; ``--start-near-wrap S`` starts both S seconds before they wrap.
Each frame's payload ends with 12 bytes the server never reads: the send time
(``time.monotonic_ns()``, one clock for every process of the machine) and the
frame's index.

N viewers, spread over several processes, stand on the stage with the
transport ``websocket`` and read their media sockets as fast as they can,
checking every header against the index (timestamps and sequence numbers
across their wraps). After a warm-up, it measures for D seconds and prints,
for each N:

* server CPU, as % of one core (the server process's CPU time over the
  window), per viewer, and per forwarded frame (CPU time / frames delivered);
* latency through the server, p50/p95/max, for audio and for video: from the
  publisher handing a frame to its socket to the viewer having read it;
* audio gaps (audio frames sent in the window that a viewer had not got by
  the end of the run, ``--idle`` + 1 s after it: must be 0), video pictures
  missed (sent in the window, of neither layer, counted the same way), video
  frames dropped on a layer (sequence gaps while a viewer stays on a layer),
  the share of the large layer;
* video frames per second per viewer (mean and lowest), and the worst
  10-second window of each viewer over the window;
* the relay's own counters over the window (frames in and out, video it
  dropped, key frames it asked for).

``--slow-viewers K`` makes K of the viewers slow readers (a small receive
buffer, reading at most ``--slow-kbps`` kbit/s, and a pause of
``--slow-pause`` seconds every ``--slow-every`` seconds): their figures are
printed apart, to show that their audio has no gaps while their video
degrades, and that the others do not notice. ``--compare-webrtc`` also runs
``sfu_forwarding.py``'s measurement (an aiortc publisher, aiortc
subscribers) at the same N.

Run it by hand (not part of the tests), inside a loopback-only namespace as
the tests are, with an Ethernet-sized MTU (loopback's 64 kB segments let the
kernel's send buffers grow to megabytes, and a slow viewer then looks
nothing like one on a network), for example:

    unshare --net sh -c 'ip link set lo up mtu 1500; exec .venv/bin/python benchmarks/ws_media.py'
    .venv/bin/python benchmarks/ws_media.py --viewers 10 --duration 600 --start-near-wrap 300
    .venv/bin/python benchmarks/ws_media.py --viewers 10 --slow-viewers 2

The participants never answer the WebRTC room connection the server offers
everyone in a room whatever their transport (a page without UDP would
answer, and its ICE would fail); the unanswered offers in the window are
printed, and so is the server's CPU for ``--idle`` seconds after the
publisher stops (the same classroom with nothing to forward).

The viewers neither decode nor play what they get (a browser's WebCodecs
decode and jitter buffer are not in these figures). Everything shares this
machine, so latency includes some scheduling and is an upper bound for what
the server adds.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import socket
import statistics
import struct
import sys
import time
import urllib.request
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import tornado.websocket

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.processes import Workers, cpu_seconds, progress  # noqa: E402
from benchmarks.room_churn import probed_server  # noqa: E402
from benchmarks.sfu_forwarding import stage_spot  # noqa: E402
from jupyter_classroom import protocol  # noqa: E402
from tests.harness.clients import Client  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

#: Seconds of each window in which the frame rate is counted.
WINDOW = 10.0
#: Camera frames a second, and seconds between the camera's own key frames.
FPS = 25
KEY_EVERY = 5
#: Microseconds of one audio frame and one camera frame.
AUDIO_US = 20_000
VIDEO_US = 1_000_000 // FPS

AUDIO = protocol.FRAME_KIND_AUDIO
CAMERA = protocol.FRAME_KIND_CAMERA
SMALL = protocol.FRAME_LAYER_SMALL
LARGE = protocol.FRAME_LAYER_LARGE
HEADER = struct.Struct("!BBBBIIHH")
#: At the end of each payload: the send time (monotonic ns) and the frame's index.
TRAILER = struct.Struct("!QI")
TS_MOD = protocol.FRAME_TIMESTAMP_MODULO
SEQ_MOD = protocol.FRAME_SEQUENCE_MODULO


@dataclass(frozen=True)
class Origins:
    """Where each stream's timestamp and sequence number start (index 0)."""

    timestamp: int = 0
    audio_seq: int = 0
    video_seq: int = 0

    @classmethod
    def near_wrap(cls, seconds: float | None) -> Origins:
        if seconds is None:
            return cls()
        return cls(
            timestamp=TS_MOD - int(seconds * 1e6),
            audio_seq=(SEQ_MOD - int(seconds * 1e6 / AUDIO_US)) % SEQ_MOD,
            video_seq=(SEQ_MOD - int(seconds * FPS)) % SEQ_MOD,
        )

    def expected(self, kind: int, index: int) -> tuple[int, int]:
        """The header's (timestamp, sequence) of frame ``index`` of a stream."""
        if kind == AUDIO:
            return (self.timestamp + index * AUDIO_US) % TS_MOD, (self.audio_seq + index) % SEQ_MOD
        return (self.timestamp + index * VIDEO_US) % TS_MOD, (self.video_seq + index) % SEQ_MOD


# -- media --------------------------------------------------------------------------


def encode_voice(seconds: int = 2) -> list[bytes]:
    """A 440 Hz tone as Opus at 32 kbit/s, 20 ms a frame (looped by the sender)."""
    import av
    import numpy as np

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "mono"
    codec.format = "s16"
    codec.bit_rate = 32000
    codec.options = {"vbr": "off"}
    packets: list[bytes] = []
    for i in range((seconds + 1) * 50):
        t = (np.arange(960) + i * 960) / 48000
        wave = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        packets.extend(bytes(p) for p in codec.encode(frame))
    return packets[50 : 50 * (seconds + 1)]  # past the encoder's start


def encode_camera(
    width: int, height: int, bitrate: int, seconds: int = 10
) -> list[tuple[bytes, bool]]:
    """A moving picture as VP8 at about ``bitrate`` bits a second, a key
    frame each ``KEY_EVERY`` seconds: (chunk, key) from a key frame on, past
    the encoder's first one (several times larger than the later ones).

    libvpx overshoots its target on this noisy picture (by half), so the
    clip is encoded again with the target scaled by what came out."""
    clip = _encode_camera(width, height, bitrate, seconds)
    got = sum(len(chunk) for chunk, _ in clip) * 8 / seconds
    return _encode_camera(width, height, int(bitrate * bitrate / got), seconds)


def _encode_camera(
    width: int, height: int, bitrate: int, seconds: int
) -> list[tuple[bytes, bool]]:
    import av
    import numpy as np

    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.gop_size = KEY_EVERY * FPS
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 24, (height, width, 3), dtype=np.uint8)
    y, x = np.mgrid[0:height, 0:width]
    out: list[tuple[bytes, bool]] = []
    for n in range((seconds + KEY_EVERY + 1) * FPS):
        image = ((x + 4 * n) % 256).astype(np.uint8)[..., None].repeat(3, axis=2)
        image[:, :, 1] = ((y + 2 * n) % 256).astype(np.uint8)
        image = image + np.roll(noise, n * 5, axis=1)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        out.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(frame))
    out.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(None))
    first = next(i for i, (_, key) in enumerate(out) if key and i > 0)
    return out[first : first + seconds * FPS]


# -- participants -----------------------------------------------------------------------


async def connect(url: str) -> tornado.websocket.WebSocketClientConnection:
    for attempt in range(20):
        try:
            return await tornado.websocket.websocket_connect(
                url, max_message_size=64 << 20, connect_timeout=60
            )
        except ConnectionRefusedError:
            await asyncio.sleep(0.1 * (attempt + 1))
    raise ConnectionRefusedError(url)


async def join_stage(
    base: str, token: str, index: int, sends: bool
) -> tuple[Client, tornado.websocket.WebSocketClientConnection]:
    """A participant standing on the stage with the transport ``websocket``,
    and its media socket. Each is a user of its own (``?user=``: the media
    socket must be opened by the user whose session gave the ticket)."""
    ws_base = base.replace("http://", "ws://")
    auth = f"token={token}&user=wsmedia-{index}"
    client = Client(await connect(f"{ws_base}classroom/ws?{auth}"))
    x, y = stage_spot(index)
    welcome = await client.join(media=True, restore={"x": x, "y": y})
    await client.send(type="presence", mic=sends, camera=sends, transport="websocket")
    await client.expect("ack", timeout=30)
    media = await connect(f"{ws_base}classroom/media?{auth}&ticket={welcome['media_ticket']}")
    # As a browser's sockets: tornado's client leaves Nagle's algorithm on
    # once the upgrade is done, and an audio frame sent alone then waited
    # for the server's delayed ACK (~20 ms, one frame in ten).
    stream = getattr(media.protocol, "stream", None)
    if stream is not None:
        stream.set_nodelay(True)
    return client, media


async def drain(ws: tornado.websocket.WebSocketClientConnection) -> None:
    """Read (and drop) what a socket gets, so that it never backs up."""
    while await ws.read_message() is not None:
        pass


async def publisher_main(base: str, token: str, origins: Origins, pipe: Connection) -> None:
    voice = encode_voice()
    clips = {SMALL: encode_camera(320, 180, 150_000), LARGE: encode_camera(640, 360, 500_000)}
    client, media = await join_stage(base, token, 0, sends=True)
    asked = {SMALL: False, LARGE: False}
    counts = {"requests": 0, "keys_on_request": 0}

    async def control() -> None:
        while True:
            text = await client.ws.read_message()
            if text is None:
                return
            message = json.loads(text)
            if message.get("type") == "key_frame" and message.get("kind") == CAMERA:
                asked[message["layer"]] = True
                counts["requests"] += 1

    tasks = [asyncio.ensure_future(control()), asyncio.ensure_future(drain(media))]
    audio_sent = array("d")  # send time (monotonic s) of each index
    video_sent = array("d")
    lateness = array("d")  # how late each frame left against its schedule (s)
    position = {SMALL: 0, LARGE: 0}
    stop = asyncio.Event()

    async def send() -> None:
        start = time.monotonic() + 0.1
        a = v = 0
        while not stop.is_set():
            due_a, due_v = start + a * AUDIO_US / 1e6, start + v * VIDEO_US / 1e6
            due = min(due_a, due_v)
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            now = time.monotonic()
            lateness.append(now - due)
            if due_a <= due_v:
                ts, seq = origins.expected(AUDIO, a)
                chunk = voice[a % len(voice)]
                sent = time.monotonic_ns()
                body = HEADER.pack(1, AUDIO, SMALL, 1, 0, ts, seq, 0) + chunk
                await media.write_message(body + TRAILER.pack(sent, a), binary=True)
                audio_sent.append(sent / 1e9)
                a += 1
                continue
            ts, seq = origins.expected(CAMERA, v)
            sent = time.monotonic_ns()
            frames = []
            for layer in (SMALL, LARGE):
                if asked[layer]:
                    asked[layer] = False
                    position[layer] = 0  # the clip starts with its key frame
                    counts["keys_on_request"] += 1
                clip = clips[layer]
                chunk, key = clip[position[layer] % len(clip)]
                position[layer] += 1
                header = HEADER.pack(1, CAMERA, layer, int(key), 0, ts, seq, 0)
                frames.append(header + chunk + TRAILER.pack(sent, v))
            for frame in frames:
                await media.write_message(frame, binary=True)
            video_sent.append(sent / 1e9)
            v += 1

    sender = asyncio.ensure_future(send())
    pipe.send(("ready", client.id))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # measuring is over
    stop.set()
    await sender
    pipe.send(
        {
            "audio_sent": audio_sent.tolist(),
            "video_sent": video_sent.tolist(),
            "late_p99_ms": 1000 * sorted(lateness)[int(0.99 * (len(lateness) - 1))],
            "late_max_ms": 1000 * max(lateness, default=0.0),
            **counts,
        }
    )
    await loop.run_in_executor(None, pipe.recv)
    for task in tasks:
        task.cancel()
    media.close()
    client.ws.close()


@dataclass
class Slowness:
    kbps: float = 300.0
    pause: float = 1.0
    every: float = 5.0
    receive_buffer: int = 16 * 1024


@dataclass
class Viewer:
    """One viewer's log of what came off its media socket."""

    index: int
    origins: Origins
    slow: Slowness | None = None
    kinds: array[int] = field(default_factory=lambda: array("b"))  # kind * 2 + layer
    keys: array[int] = field(default_factory=lambda: array("b"))
    indices: array[int] = field(default_factory=lambda: array("l"))
    arrived: array[float] = field(default_factory=lambda: array("d"))  # monotonic s
    sent: array[float] = field(default_factory=lambda: array("d"))
    sizes: array[int] = field(default_factory=lambda: array("l"))
    header_errors: int = 0

    async def read(self, media: tornado.websocket.WebSocketClientConnection) -> None:
        slow = self.slow
        if slow is not None:
            stream = getattr(media.protocol, "stream", None)
            sock = getattr(stream, "socket", None)
            if sock is None:
                return  # closed already
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, slow.receive_buffer)
        began = time.monotonic()
        next_pause = began + (slow.every if slow else 0.0)
        taken = 0
        while True:
            message = await media.read_message()
            if message is None:
                return
            now_ns = time.monotonic_ns()
            if isinstance(message, str):
                continue
            _, kind, layer, flags, _, ts, seq, _ = HEADER.unpack_from(message)
            sent_ns, index = TRAILER.unpack_from(message, len(message) - TRAILER.size)
            if (ts, seq) != self.origins.expected(kind, index):
                self.header_errors += 1
            self.kinds.append(kind * 2 + layer)
            self.keys.append(flags & 1)
            self.indices.append(index)
            self.arrived.append(now_ns / 1e9)
            self.sent.append(sent_ns / 1e9)
            self.sizes.append(len(message))
            if slow is not None:
                taken += len(message)
                now = now_ns / 1e9
                ahead = taken * 8 / (slow.kbps * 1000) - (now - began)
                if now >= next_pause:
                    ahead = max(ahead, slow.pause)
                    next_pause = now + slow.pause + slow.every
                if ahead > 0:
                    await asyncio.sleep(ahead)

    def ready(self) -> bool:
        return AUDIO * 2 in self.kinds and any(k // 2 == CAMERA for k in self.kinds)

    def summary(self, t0: float, t1: float, audio: range, video: range) -> dict[str, Any]:
        """What this viewer got in the window [t0, t1]; ``audio`` and
        ``video``: the indices the publisher sent in it (less the last
        half second, still on their way)."""
        got_audio: set[int] = set()
        got_video: set[int] = set()
        lat_audio: list[float] = []
        lat_video: list[float] = []
        per_layer = {SMALL: 0, LARGE: 0}
        per_window = [0] * max(1, int((t1 - t0) // WINDOW))
        last_on_layer: dict[int, int] = {}
        layer_drops = switches = keys = frames = size = 0
        current = -1
        pictures_in_window: set[int] = set()
        for kl, key, index, arrived, sent, bytes_ in zip(
            self.kinds, self.keys, self.indices, self.arrived, self.sent, self.sizes, strict=True
        ):
            kind, layer = divmod(kl, 2)
            if kind == AUDIO:
                got_audio.add(index)
            else:
                got_video.add(index)
                # A gap while on one layer is frames the server dropped.
                if layer == current and last_on_layer.get(layer, index - 1) < index - 1:
                    layer_drops += index - 1 - last_on_layer[layer]
                if layer != current and current >= 0:
                    switches += 1
                current = layer
                last_on_layer[layer] = index
            if not t0 <= arrived <= t1:
                continue
            frames += 1
            size += bytes_
            latency = 1000 * (arrived - sent)
            if kind == AUDIO:
                lat_audio.append(latency)
            else:
                lat_video.append(latency)
                per_layer[layer] += 1
                keys += key
                if index not in pictures_in_window:
                    pictures_in_window.add(index)
                    w = int((arrived - t0) // WINDOW)
                    if w < len(per_window):
                        per_window[w] += 1
        return {
            "index": self.index,
            "slow": self.slow is not None,
            "frames": frames,
            "bytes": size,
            "audio_missing": sum(1 for i in audio if i not in got_audio),
            "audio_expected": len(audio),
            "video_missing": sum(1 for i in video if i not in got_video),
            "video_expected": len(video),
            "layer_drops": layer_drops,
            "switches": switches,
            "keys": keys,
            "small": per_layer[SMALL],
            "large": per_layer[LARGE],
            "fps": len(pictures_in_window) / (t1 - t0),
            # (a window shorter than WINDOW when the whole run is)
            "worst_window": min(per_window) / min(WINDOW, t1 - t0),
            "lat_audio": lat_audio,
            "lat_video": lat_video,
            "header_errors": self.header_errors,
        }


async def viewers_main(
    base: str,
    token: str,
    first: int,
    count: int,
    slow: list[bool],
    slowness: Slowness,
    origins: Origins,
    pipe: Connection,
) -> None:
    viewers = [Viewer(first + i, origins, slowness if slow[i] else None) for i in range(count)]
    sockets = []
    tasks = []
    for viewer in viewers:
        client, media = await join_stage(base, token, viewer.index, sends=False)
        sockets.append((client, media))
        tasks.append(asyncio.ensure_future(drain(client.ws)))
        tasks.append(asyncio.ensure_future(viewer.read(media)))
    deadline = time.monotonic() + 120
    while not all(v.ready() for v in viewers):
        if time.monotonic() > deadline:
            late = [v.index for v in viewers if not v.ready()]
            raise TimeoutError(f"viewers {late} got no audio and video in time")
        await asyncio.sleep(0.1)
    pipe.send("ready")
    loop = asyncio.get_running_loop()
    t0, t1, audio, video = await loop.run_in_executor(None, pipe.recv)
    pipe.send([v.summary(t0, t1, audio, video) for v in viewers])
    await loop.run_in_executor(None, pipe.recv)
    for task in tasks:
        task.cancel()
    for client, media in sockets:
        media.close()
        client.ws.close()


# -- one measurement --------------------------------------------------------------------


def relay_stats(server: JupyterProcess) -> dict[str, int]:
    with urllib.request.urlopen(
        f"{server.url}room-churn/relay?token={server.token}", timeout=60
    ) as r:
        stats: dict[str, int] = json.loads(r.read())
    return stats


def unanswered_offers(server: JupyterProcess) -> int:
    """Room connections (WebRTC) the server offered that nobody answered so
    far: it offers one to everyone in a room, whatever their transport, and
    these participants never answer."""
    return server.log_path.read_text(errors="replace").count(
        "did not answer the room connection's offer"
    )


def sent_in(times: list[float], t0: float, t1: float) -> range:
    """The indices of the frames sent in [t0, t1] (times ascending)."""
    import bisect

    return range(bisect.bisect_left(times, t0), bisect.bisect_right(times, t1))


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def measure(
    n: int,
    duration: float,
    warmup: float,
    per_process: int,
    slow_viewers: int,
    slowness: Slowness,
    near_wrap: float | None,
    idle: float,
) -> dict[str, Any]:
    origins = Origins.near_wrap(near_wrap)
    server = probed_server(
        "classroom-wsmedia-",
        identity_provider="tests.harness.clients.NamedUsers",
        speed=4000,
        max_participants=n + 10,
        max_messages_per_second=200,
        max_connections_per_user=0,
        room_capacities="{'stage': 10000}",
    )
    server.start()
    assert server.proc is not None
    progress(f"server on port {server.port}; starting the publisher")
    workers = Workers()
    try:
        pub_pipe = workers.start(publisher_main, server.url, server.token, origins)
        ((_, publisher_id),) = workers.ready([pub_pipe], "the publisher did not start")
        began = time.monotonic()
        progress(f"publisher {publisher_id} sending; starting {n} viewers")
        # The slow ones are the last, in processes of their own where possible.
        slow = [i >= n - slow_viewers for i in range(n)]
        pipes = [
            workers.start(
                viewers_main,
                server.url,
                server.token,
                first + 1,
                min(per_process, n - first),
                slow[first : first + per_process],
                slowness,
                origins,
            )
            for first in range(0, n, per_process)
        ]
        workers.ready(pipes, "viewers did not start receiving")
        progress(f"{n} viewers receiving; measuring for {duration:.0f} s after {warmup:.0f} s")
        time.sleep(warmup)
        pid = server.proc.pid
        relay0 = relay_stats(server)
        offers0 = unanswered_offers(server)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(duration)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        relay1 = relay_stats(server)
        offers = unanswered_offers(server) - offers0
        time.sleep(1.0)  # let the last frames of the window arrive
        pub_pipe.send("stop")
        published = pub_pipe.recv()
        # The same classroom with nothing to forward: what the server spends
        # on everything else (ticks, pings, the room connections it offers).
        time.sleep(1.0)
        idle0, i0 = cpu_seconds(pid), time.monotonic()
        time.sleep(idle)
        idle1, i1 = cpu_seconds(pid), time.monotonic()
        audio = sent_in(published["audio_sent"], t0, t1 - 0.5)
        video = sent_in(published["video_sent"], t0, t1 - 0.5)
        viewers: list[dict[str, Any]] = []
        for pipe in pipes:
            pipe.send((t0, t1, audio, video))
            viewers.extend(pipe.recv())
        for pipe in [pub_pipe, *pipes]:
            pipe.send("stop")
    finally:
        workers.stop()
        server.stop()

    span = t1 - t0
    cpu = cpu1 - cpu0
    delivered = sum(v["frames"] for v in viewers)
    relay = {k: relay1[k] - relay0[k] for k in relay1 if isinstance(relay1[k], int)}

    def group(slow: bool) -> dict[str, Any]:
        vs = [v for v in viewers if v["slow"] == slow]
        if not vs:
            return {}
        audio_lat = sorted(x for v in vs for x in v["lat_audio"])
        video_lat = sorted(x for v in vs for x in v["lat_video"])
        video_frames = sum(v["small"] + v["large"] for v in vs)
        return {
            "viewers": len(vs),
            "audio": (pct(audio_lat, 0.5), pct(audio_lat, 0.95), max(audio_lat, default=0.0)),
            "video": (pct(video_lat, 0.5), pct(video_lat, 0.95), max(video_lat, default=0.0)),
            "audio_missing": sum(v["audio_missing"] for v in vs),
            "audio_expected": sum(v["audio_expected"] for v in vs),
            "video_missing": sum(v["video_missing"] for v in vs),
            "video_expected": sum(v["video_expected"] for v in vs),
            "layer_drops": sum(v["layer_drops"] for v in vs),
            "switches": sum(v["switches"] for v in vs),
            "large_share": sum(v["large"] for v in vs) / max(1, video_frames),
            "fps_mean": statistics.mean(v["fps"] for v in vs),
            "fps_min": min(v["fps"] for v in vs),
            "worst_windows": [v["worst_window"] for v in vs],
            "kbps": statistics.mean(8 * v["bytes"] / span / 1000 for v in vs),
            "header_errors": sum(v["header_errors"] for v in vs),
        }

    return {
        "viewers": n,
        "slow": slow_viewers,
        "seconds": span,
        "cpu_percent": 100 * cpu / span,
        "cpu_per_viewer": 100 * cpu / span / n,
        "idle_percent": 100 * (idle1 - idle0) / (i1 - i0) if idle > 0 else float("nan"),
        "offers": offers,
        "us_per_frame": 1e6 * cpu / max(1, delivered),
        "delivered_per_s": delivered / span,
        "normal": group(False),
        "slowed": group(True),
        "relay": relay,
        "publisher": published,
        "audio_sent_per_s": len(audio) / (span - 0.5),
        "video_sent_per_s": len(video) / (span - 0.5),
        "ramp": t0 - began,
    }


def describe(name: str, g: dict[str, Any]) -> str:
    if not g:
        return ""
    a, v = g["audio"], g["video"]
    worst = ", ".join(f"{f:.1f}" for f in g["worst_windows"])
    return (
        f"  {name} ({g['viewers']}): audio latency p50 {a[0]:.1f} p95 {a[1]:.1f} max {a[2]:.1f} ms, "
        f"video {v[0]:.1f} / {v[1]:.1f} / {v[2]:.1f} ms; audio missing {g['audio_missing']} "
        f"of {g['audio_expected']}; video pictures missing {g['video_missing']} of "
        f"{g['video_expected']}, dropped on a layer {g['layer_drops']}, layer switches "
        f"{g['switches']}, large layer {100 * g['large_share']:.0f} %; {g['fps_mean']:.1f} fps "
        f"(min {g['fps_min']:.1f}), {g['kbps']:.0f} kbit/s each; header errors "
        f"{g['header_errors']}\n    worst {WINDOW:.0f}-second window per viewer (frames/s): {worst}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument(
        "--idle",
        type=float,
        default=15.0,
        help="seconds measured after the publisher stops (the server's CPU with nothing to forward)",
    )
    parser.add_argument("--per-process", type=int, default=10, help="viewers per process")
    parser.add_argument("--slow-viewers", type=int, default=0, help="how many read slowly")
    parser.add_argument("--slow-kbps", type=float, default=300.0, help="a slow viewer's rate")
    parser.add_argument(
        "--slow-pause", type=float, default=1.0, help="seconds a slow viewer stops"
    )
    parser.add_argument("--slow-every", type=float, default=5.0, help="seconds between its stops")
    parser.add_argument(
        "--start-near-wrap",
        type=float,
        default=None,
        metavar="S",
        help="start timestamps and sequence numbers S seconds before they wrap",
    )
    parser.add_argument(
        "--compare-webrtc",
        action="store_true",
        help="also measure sfu_forwarding.py (aiortc publisher and subscribers) at each N",
    )
    args = parser.parse_args(argv)
    slowness = Slowness(args.slow_kbps, args.slow_pause, args.slow_every)
    rows = []
    for n in args.viewers:
        r = measure(
            n,
            args.duration,
            args.warmup,
            args.per_process,
            args.slow_viewers,
            slowness,
            args.start_near_wrap,
            args.idle,
        )
        rows.append(r)
        pub, relay = r["publisher"], r["relay"]
        print(
            f"N={n}: server {r['cpu_percent']:.1f} % of a core ({r['cpu_per_viewer']:.2f} % a "
            f"viewer), {r['us_per_frame']:.1f} µs/frame, {r['delivered_per_s']:.0f} frames/s "
            f"delivered over {r['seconds']:.0f} s; idle {r['idle_percent']:.1f} % of a core, "
            f"{r['offers']} room offers unanswered in the window; publisher {r['audio_sent_per_s']:.1f} audio + "
            f"{r['video_sent_per_s']:.1f} video frames/s (late p99 {pub['late_p99_ms']:.1f} ms, "
            f"max {pub['late_max_ms']:.1f}), {pub['requests']} key frames asked "
            f"({pub['keys_on_request']} sent on request); relay: {relay.get('frames_in', 0)} in, "
            f"{relay.get('frames_out', 0)} out, {relay.get('video_dropped', 0)} video dropped, "
            f"{relay.get('key_frame_requests', 0)} key frames asked",
            flush=True,
        )
        print(describe("viewers", r["normal"]), flush=True)
        if r["slowed"]:
            print(describe("slow viewers", r["slowed"]), flush=True)
        if args.compare_webrtc:
            from benchmarks import sfu_forwarding

            w = sfu_forwarding.measure(n, args.duration, args.warmup, args.per_process, True)
            r["webrtc"] = w
            print(
                f"  WebRTC (sfu_forwarding.py) N={n}: server {w['cpu_percent']:.1f} % of a core "
                f"({w['cpu_percent'] / n:.2f} % a subscriber), {w['us_per_packet']:.1f} µs/packet, "
                f"latency p50 {w['p50']:.1f} ms p95 {w['p95']:.1f} ms, loss "
                f"{w['loss_percent']:.2f} %, {w['fps_mean']:.1f} fps (min {w['fps_min']:.1f})",
                flush=True,
            )
    print()
    print(
        "| viewers | server CPU (% of a core) | per viewer | CPU per forwarded frame | "
        "audio latency p50 / p95 / max | video latency p50 / p95 / max | audio gaps | "
        "video pictures missed | large layer | frames/s per viewer (mean / min) | "
        "worst 10 s window (frames/s) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        for name, g in (("", r["normal"]), (" slow", r["slowed"])):
            if not g:
                continue
            cpu = (
                f"{r['cpu_percent']:.1f} % | {r['cpu_per_viewer']:.2f} % | {r['us_per_frame']:.1f} µs"
                if not name
                else " |  | "
            )
            a, v = g["audio"], g["video"]
            missed = 100 * g["video_missing"] / max(1, g["video_expected"])
            print(
                f"| {g['viewers']}{name} of {r['viewers']} | {cpu} | "
                f"{a[0]:.1f} / {a[1]:.1f} / {a[2]:.1f} ms | {v[0]:.1f} / {v[1]:.1f} / {v[2]:.1f} ms | "
                f"{g['audio_missing']} | {missed:.2f} % | {100 * g['large_share']:.0f} % | "
                f"{g['fps_mean']:.1f} / {g['fps_min']:.1f} | {min(g['worst_windows']):.1f} |"
            )


if __name__ == "__main__":
    main()
