"""Forwarding in a room: one publisher, N subscribers, through the real server's SFU.

Starts ``jupyter server`` with the classroom on 127.0.0.1. One aiortc
participant (its own process) walks onto the stage and publishes 640x480 VP8
at about 1 Mbit/s (pre-encoded, 30 fps, a key frame a second, paced as a
browser paces it) and an Opus voice; N aiortc participants, spread over several processes, walk onto the
stage and receive both through the server's SFU. After a warm-up, it measures
for D seconds and prints, for each N:

* server CPU, as % of one core (the server process's CPU time over the window),
* server CPU per forwarded packet (CPU time / packets delivered to subscribers),
* added latency p50/p95: from the publisher handing a packet to its transport
  to the packet coming off a subscriber's socket, through the server (same
  clock, one machine);
* loss: packets the publisher sent in the window that a subscriber never got
  (before any retransmission: the subscribers send no NACKs);
* video frames per second each subscriber received (mean and lowest), and
  the worst 10-second window of each subscriber over the whole run (a call
  that stalls for a while shows there even when its mean looks fine).

Run it by hand (not part of the tests), inside a loopback-only namespace as
the tests are, for example:

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/sfu_forwarding.py'
    .venv/bin/python benchmarks/sfu_forwarding.py --subscribers 10 30 --duration 20

The subscribers are real aiortc peers (ICE, DTLS handshake, SRTP keys) that
note each media packet as it comes off their socket (sequence numbers and
timestamps are in SRTP's clear header) and drop it there, so that a hundred
of them fit on a small machine beside the server; ``--decrypt`` has them
unprotect every packet with aiortc first, which costs their processes far
more CPU. Everything shares this machine, so latency includes some
scheduling and is an upper bound for what the server adds.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.processes import Workers, cpu_seconds, progress  # noqa: E402

#: Seconds of each window in which the frame rate is counted.
WINDOW = 10.0

#: Where the participants stand: on the stage (x 440..1160, y 56..236),
#: reached up the gap between the tables at x = 1000, then along the stage.
ROUTE = [(1000.0, 900.0), (1000.0, 600.0), (1000.0, 150.0)]


def stage_spot(i: int) -> tuple[float, float]:
    return 470.0 + (i * 37) % 660, 80.0 + (i * 23) % 140


# -- media --------------------------------------------------------------------------


def encode_clip(seconds: int = 10, bitrate: int = 700_000) -> list[bytes]:
    """A moving 640x480 picture as VP8 at ``bitrate``, a key frame each second.

    The encoder's very first key frame is several times larger than the
    later ones (nothing to go on yet): the clip starts at the second one, as
    a camera that has been on for a while does.
    """
    import av
    import numpy as np

    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = 640, 480
    codec.pix_fmt = "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fractions.Fraction(30, 1)
    codec.time_base = fractions.Fraction(1, 30)
    codec.gop_size = 30
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 60, (480, 640, 3), dtype=np.uint8)
    y, x = np.mgrid[0:480, 0:640]
    packets: list[bytes] = []
    for n in range((seconds + 1) * 30):
        image = ((x + 4 * n) % 256).astype(np.uint8)[..., None].repeat(3, axis=2)
        image[:, :, 1] = ((y + 2 * n) % 256).astype(np.uint8)
        image = image + np.roll(noise, n * 5, axis=1)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        for packet in codec.encode(frame):
            packets.append(bytes(packet))
    for packet in codec.encode(None):
        packets.append(bytes(packet))
    return packets[30 : 30 * (seconds + 1)]


def prerecorded_tracks(clip: list[bytes]):
    """A video track of the pre-encoded clip (looped) and an Opus voice."""
    import av
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError

    from tests.harness.clients import Tone

    class Clip(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.n = 0
            self.start: float | None = None

        async def recv(self) -> av.Packet:
            if self.readyState != "live":
                raise MediaStreamError
            if self.start is None:
                self.start = time.time()
            await asyncio.sleep(max(0.0, self.start + self.n / 30 - time.time()))
            packet = av.Packet(clip[self.n % len(clip)])
            packet.pts = self.n * 3000
            packet.time_base = fractions.Fraction(1, 90000)
            self.n += 1
            return packet

    return Clip(), Tone()


# -- participants -----------------------------------------------------------------------


async def join_and_walk(url: str, index: int, room, presence: dict[str, bool]):
    import tornado.websocket

    from tests.harness.clients import Client

    ws = await tornado.websocket.websocket_connect(url, max_message_size=64 << 20)
    client = Client(ws, room)
    await client.join()
    if presence:
        await client.send(type="presence", **presence)
    # Steps no longer than an avatar's width are accepted however close
    # together they arrive (a loaded machine bunches them up).
    for x, y in [*ROUTE, stage_spot(index)]:
        await client.walk_to(x, y, step=30.0, pause=0.012)
    return client


def record_datagrams(pc, log: list) -> None:
    """Note every media packet as it comes off the subscriber's socket
    (payload type, sequence number, timestamp and arrival time are in SRTP's
    clear header), and drop it there: the subscribers' processes then cost
    little, and the latency measured is the server's, not theirs."""
    connection = pc.getTransceivers()[0].receiver.transport.transport._connection
    data_received = connection.data_received

    def record(data: bytes, component: int) -> None:
        if 128 <= data[0] < 192:  # SRTP or SRTCP
            if not 192 <= data[1] <= 223:
                seq = int.from_bytes(data[2:4], "big")
                ts = int.from_bytes(data[4:8], "big")
                log.append((data[1] & 0x7F, seq, ts, time.time()))
            return
        data_received(data, component)

    connection.data_received = record


def record_packets(receiver, log: list) -> None:
    """Note every packet a receiver gets once aiortc has unprotected it,
    instead of buffering and decoding it."""

    async def record(packet, arrival_time_ms: int) -> None:
        log.append((packet.payload_type, packet.sequence_number, packet.timestamp, time.time()))

    receiver._handle_rtp_packet = record


#: Browsers pace what they send (Chrome: 2.5 times the target bitrate), so a
#: key frame leaves as a stream of packets, not as one burst.
PACING_BITS_PER_SECOND = 2_500_000


async def publisher_main(url: str, pipe: Connection) -> None:
    from tests.harness import until
    from tests.harness.clients import RoomPeer

    clip = encode_clip()
    video, audio = prerecorded_tracks(clip)
    room = RoomPeer(sources={"camera": video, "microphone": audio})
    client = await join_and_walk(url, 0, room, {"camera": True, "mic": True})
    sent: list[tuple[int, int, int, float]] = []
    await until(
        lambda: room.pc is not None and room.pc.connectionState == "connected",
        timeout=60,
        what="the publisher's room connection",
    )
    assert room.pc is not None
    dtls = room.pc.getTransceivers()[0].sender.transport
    send_rtp = dtls._send_rtp
    next_at = 0.0

    async def paced(data: bytes) -> None:
        nonlocal next_at
        if not 192 <= data[1] <= 223:  # not RTCP
            pt = data[1] & 0x7F
            if pt == 97:  # video is paced; voice goes first
                now = time.monotonic()
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                next_at = max(now, next_at) + len(data) * 8 / PACING_BITS_PER_SECOND
            seq = int.from_bytes(data[2:4], "big")
            ts = int.from_bytes(data[4:8], "big")
            sent.append((pt, seq, ts, time.time()))
        await send_rtp(data)

    dtls._send_rtp = paced  # type: ignore[method-assign]  # paces and records the publisher's packets
    pipe.send(("ready", client.id))
    window = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    pipe.send([s for s in sent if window[0] - 1 <= s[3] <= window[1] + 1])
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    await client.close()


async def subscribers_main(
    url: str, first: int, count: int, at_socket: bool, pipe: Connection
) -> None:
    from tests.harness.clients import RoomPeer

    logs: list[list] = [[] for _ in range(count)]
    peers = [RoomPeer() for _ in range(count)]
    clients = []
    for i in range(count):
        clients.append(await join_and_walk(url, first + i, peers[i], {}))

    recorded: set[object] = set()  # the connections or receivers already recorded

    def patch() -> None:
        for peer, log in zip(peers, logs, strict=True):
            if peer.pc is None or peer.pc.connectionState != "connected":
                continue
            if at_socket:
                if peer.pc not in recorded:
                    recorded.add(peer.pc)
                    record_datagrams(peer.pc, log)
                continue
            for t in peer.pc.getTransceivers():
                receiver = t.receiver
                if receiver.track is not None and receiver not in recorded:
                    recorded.add(receiver)
                    record_packets(receiver, log)

    waited = 0
    while True:
        patch()
        missing = [i for i, log in enumerate(logs) if not any(p[0] == 97 for p in log[-50:])]
        if not missing:
            break
        await asyncio.sleep(0.1)
        waited += 1
        if waited % 100 == 0:
            for i in missing:
                peer = peers[i]
                state = peer.pc.connectionState if peer.pc else None
                print(
                    f"  subscriber {first + i}: connection {peer.number} {state}, offers {peer.offers}, "
                    f"tracks {peer.carries}, packets {len(logs[i])}, closed: {peer.closed_reason}",
                    file=sys.stderr,
                    flush=True,
                )
    pipe.send("ready")
    window = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    pipe.send([[r for r in log if window[0] <= r[3] <= window[1] + 1] for log in logs])
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    for client in clients:
        await client.close()


# -- one measurement --------------------------------------------------------------------


def worst_window(log: list, t0: float, windows: int) -> float:
    """The lowest video frame rate over the run's ``WINDOW``-second windows
    (a frame counts in the window where its first packet was seen)."""
    first_at: dict[int, float] = {}
    for pt, _, ts, at in log:
        if pt == 97 and t0 <= at and (ts not in first_at or at < first_at[ts]):
            first_at[ts] = at
    counts = [0] * windows
    for at in first_at.values():
        k = int((at - t0) // WINDOW)
        if k < windows:
            counts[k] += 1
    return min(counts) / WINDOW


def measure(
    n: int, duration: float, warmup: float, per_process: int, at_socket: bool
) -> dict[str, Any]:
    from tests.harness.servers import JupyterProcess

    server = JupyterProcess(
        Path(tempfile.mkdtemp()),
        app="jupyter_server",
        sfu_ice_addresses="127.0.0.1",
        # Every participant here is on loopback, which the server ignores by default.
        sfu_allowed_candidate_networks="127.0.0.0/8",
        speed=4000,
        max_participants=n + 10,
        max_messages_per_second=200,
        room_capacities="{'stage': 10000}",
    )
    server.start()
    progress(f"server on port {server.port}; starting the publisher")
    url = server.ws_url + f"?token={server.token}"
    workers = Workers()
    try:
        pub_pipe = workers.start(publisher_main, url)
        ((_, publisher_id),) = workers.ready([pub_pipe], "the publisher did not start")
        progress(f"publisher {publisher_id} on the stage; starting {n} subscribers")
        pipes = [
            workers.start(subscribers_main, url, first, min(per_process, n + 1 - first), at_socket)
            for first in range(1, n + 1, per_process)
        ]
        workers.ready(pipes, "subscribers did not start receiving")
        progress(f"{n} subscribers receiving; measuring for {duration:.0f} s")
        time.sleep(warmup)
        assert server.proc is not None
        pid = server.proc.pid
        cpu0, t0 = cpu_seconds(pid), time.time()
        time.sleep(duration)
        cpu1, t1 = cpu_seconds(pid), time.time()
        time.sleep(1.0)  # let the last packets of the window arrive
        window = (t0, t1)
        pub_pipe.send(window)
        sent = pub_pipe.recv()
        received: list[list] = []
        for pipe in pipes:
            pipe.send(window)
            received.extend(pipe.recv())
        for pipe in [pub_pipe, *pipes]:
            pipe.send("stop")
    finally:
        workers.stop()
        server.stop()

    if os.environ.get("SFU_BENCHMARK_DUMP"):
        import pickle

        with open(os.environ["SFU_BENCHMARK_DUMP"], "wb") as f:
            pickle.dump({"sent": sent, "received": received, "window": (t0, t1)}, f)
    sent_at = {(pt, seq, ts): at for pt, seq, ts, at in sent}
    expected = {k for k, at in sent_at.items() if t0 <= at <= t1 - 0.2}
    latencies: list[float] = []
    losses: list[float] = []
    fps: list[float] = []
    worst_windows: list[float] = []
    windows = max(1, int((t1 - t0) // WINDOW))
    delivered = 0
    for log in received:
        got = {(pt, seq, ts) for pt, seq, ts, _ in log}
        delivered += sum(1 for pt, seq, ts, at in log if at <= t1)
        losses.append(1 - len(expected & got) / max(1, len(expected)))
        fps.append(len({ts for pt, _, ts, at in log if pt == 97 and at <= t1}) / (t1 - t0))
        worst_windows.append(worst_window(log, t0, windows))
        for pt, seq, ts, at in log:
            start = sent_at.get((pt, seq, ts))
            if start is not None:
                latencies.append((at - start) * 1000)
    latencies.sort()
    cpu = cpu1 - cpu0

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))]
            if latencies
            else float("nan")
        )

    # What the publisher managed to send is the ceiling of what subscribers
    # can get: on a loaded machine its own pacing slips too.
    publisher_fps = len({ts for pt, _, ts, at in sent if pt == 97 and t0 <= at <= t1}) / (t1 - t0)
    publisher_worst = worst_window(sent, t0, windows)
    video_rate = sum(1 for pt, _, _, at in sent if pt == 97 and t0 <= at <= t1) / (t1 - t0)
    audio_rate = sum(1 for pt, _, _, at in sent if pt == 96 and t0 <= at <= t1) / (t1 - t0)
    return {
        "subscribers": n,
        "cpu_percent": 100 * cpu / (t1 - t0),
        "us_per_packet": 1e6 * cpu / max(1, delivered),
        "p50": pct(0.50),
        "p95": pct(0.95),
        "loss_percent": 100 * statistics.mean(losses) if losses else float("nan"),
        "worst_loss_percent": 100 * max(losses) if losses else float("nan"),
        "fps_mean": statistics.mean(fps) if fps else 0.0,
        "fps_min": min(fps) if fps else 0.0,
        "fps_worst_windows": worst_windows,
        "publisher_packets_per_s": (video_rate, audio_rate),
        "publisher_fps": (publisher_fps, publisher_worst),
        "delivered_per_s": delivered / (t1 - t0),
        "publisher": publisher_id,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, nargs="+", default=[10, 30, 60, 100])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--per-process", type=int, default=10, help="subscribers per process")
    parser.add_argument(
        "--decrypt",
        action="store_true",
        help="subscribers unprotect every packet with aiortc before noting it (costs their "
        "processes far more CPU, which then shows in the latency)",
    )
    args = parser.parse_args(argv)
    rows = []
    for n in args.subscribers:
        r = measure(n, args.duration, args.warmup, args.per_process, not args.decrypt)
        rows.append(r)
        video, audio = r["publisher_packets_per_s"]
        print(
            f"N={n}: server {r['cpu_percent']:.1f} % of a core, {r['us_per_packet']:.1f} µs/packet, "
            f"latency p50 {r['p50']:.1f} ms p95 {r['p95']:.1f} ms, loss {r['loss_percent']:.2f} % "
            f"(worst {r['worst_loss_percent']:.2f} %), {r['fps_mean']:.1f} fps (min {r['fps_min']:.1f}); "
            f"publisher {video:.0f} video + {audio:.0f} audio packets/s, "
            f"{r['delivered_per_s']:.0f} packets/s delivered",
            flush=True,
        )
        worst = ", ".join(f"{f:.1f}" for f in r["fps_worst_windows"])
        print(f"  worst {WINDOW:.0f}-second window per subscriber (frames/s): {worst}", flush=True)
        pub_fps, pub_worst = r["publisher_fps"]
        print(
            f"  publisher sent {pub_fps:.1f} frames/s (worst {WINDOW:.0f}-second window {pub_worst:.1f})",
            flush=True,
        )
    print()
    print(
        "| subscribers | server CPU (% of a core) | CPU per forwarded packet | added latency p50 / p95 | loss | frames/s per subscriber (mean / min) | worst 10 s window (frames/s) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['subscribers']} | {r['cpu_percent']:.1f} % | {r['us_per_packet']:.1f} µs | "
            f"{r['p50']:.1f} / {r['p95']:.1f} ms | {r['loss_percent']:.2f} % | "
            f"{r['fps_mean']:.1f} / {r['fps_min']:.1f} | "
            f"{min(r['fps_worst_windows'], default=0.0):.1f} |"
        )


if __name__ == "__main__":
    main()
