"""A table of eight with cameras on and everyone talking, through the real
server's SFU: what forwarding only what is shown and only the loudest voices
saves.

Starts ``jupyter server`` with the classroom on 127.0.0.1. Eight aiortc
participants (in a few processes of their own) walk to one table; each
publishes a pre-encoded 640x480 VP8 camera at about 700 kbit/s and an Opus
voice, each at its own loudness (RFC 6464 levels in every packet, as a
browser puts them). Each receives the others' media and drops it at its
socket, counting the bytes. Three rounds, each with a fresh server:

* ``everything``: every voice forwarded (``sfu_loudest_voices = 0``), every
  tile shown: what a plain SFU does, 8 x 7 video and 8 x 7 audio streams;
* ``loudest 3``: only the three loudest voices (and every tile);
* ``loudest 3, 2 tiles shown``: each viewer also reports (``shown``) only two
  of the seven cameras visible, as one does with the videos scrolled away.

It prints, per round, the server's CPU (% of one core, over the window),
the bytes a second it sent (audio and video) and the packets a second.

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/table_selection.py'
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import Workers, cpu_seconds, progress
from benchmarks.sfu_forwarding import encode_clip, prerecorded_tracks

PEOPLE = 8
#: Where each stands at Table 5 (x 650..950, y 680..870, above the spawn area).
SPOTS = [(680.0 + 80 * (i % 4), 720.0 + 110 * (i // 4)) for i in range(PEOPLE)]
#: Tone amplitudes: every voice speaks (above -45 dBov), each at its own level.
AMPLITUDES = [0.6, 0.45, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03]


def count_bytes(pc, totals: dict[str, int]) -> None:
    """Count each media packet's bytes as it comes off the socket (the
    payload type is in SRTP's clear header), and drop it there."""
    connection = pc.getTransceivers()[0].receiver.transport.transport._connection
    data_received = connection.data_received

    def record(data: bytes, component: int) -> None:
        if 128 <= data[0] < 192:  # SRTP or SRTCP
            if not 192 <= data[1] <= 223:
                kind = "video" if data[1] & 0x7F == 97 else "audio"
                totals[kind] += len(data)
                totals[kind + "_packets"] += 1
            return
        data_received(data, component)

    connection.data_received = record


async def people_main(url: str, first: int, count: int, shown: int, pipe: Connection) -> None:
    import tornado.websocket

    from tests.harness import until
    from tests.harness.clients import Client, RoomPeer

    clip = encode_clip()
    peers: list[Any] = []
    clients: list[Any] = []
    totals: list[dict[str, int]] = []
    counted: set[object] = set()

    def hook() -> None:
        # Counted and dropped from the start: decoding 7 cameras would
        # starve this process, and its connections with it.
        for peer, total in zip(peers, totals, strict=False):
            pc = peer.pc
            transceivers = pc.getTransceivers() if pc is not None else []
            # The transport comes a moment after the transceiver, in setRemoteDescription.
            if pc in counted or not transceivers or transceivers[0].receiver.transport is None:
                continue
            counted.add(pc)
            count_bytes(pc, total)

    async def hooking() -> None:
        while True:
            hook()
            await asyncio.sleep(0.02)

    hooker = asyncio.ensure_future(hooking())
    for i in range(first, first + count):
        video, audio = prerecorded_tracks(clip)
        audio.amplitude = AMPLITUDES[i]
        peer = RoomPeer(sources={"camera": video, "microphone": audio})
        ws = await tornado.websocket.websocket_connect(url, max_message_size=64 << 20)
        client = Client(ws, peer)
        await client.join()
        peers.append(peer)
        clients.append(client)
        totals.append({"audio": 0, "video": 0, "audio_packets": 0, "video_packets": 0})
        await client.send(type="presence", camera=True, mic=True)
        await client.walk_to(*SPOTS[i], step=30.0, pause=0.012)
    pipe.send("walked")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # everyone is at the table

    def ready() -> bool:
        done = True
        for peer in peers:
            if peer.pc is None or peer.pc.connectionState != "connected":
                done = False
            elif len({p for p, s in peer.carries.values() if s == "camera"}) < PEOPLE - 1:
                done = False
        return done

    try:
        await until(ready, timeout=300, what="everyone's media")
    except AssertionError:
        for i, (peer, client) in enumerate(zip(peers, clients, strict=True)):
            state = peer.pc.connectionState if peer.pc is not None else None
            progress(
                f"participant {first + i} ({client.id}): connection {peer.number} {state}, "
                f"offers {peer.offers}, carries {sorted(peer.carries.values())}"
            )
        raise
    if shown:
        for client, peer in zip(clients, peers, strict=True):
            others = sorted({p for p, s in peer.carries.values() if s == "camera"})[:shown]
            tiles = [
                {"participant": p, "source": "camera", "width": 96, "height": 72} for p in others
            ]
            await client.send(type="shown", tiles=tiles)
    pipe.send("ready")
    # Waited for beside the event loop: a blocking recv() would stop it, and
    # with it every packet, for the whole window.
    await loop.run_in_executor(None, pipe.recv)  # the window starts
    before = [dict(t) for t in totals]
    await loop.run_in_executor(None, pipe.recv)  # the window ends
    pipe.send(
        {k: sum(t[k] - b[k] for t, b in zip(totals, before, strict=True)) for k in totals[0]}
    )
    await loop.run_in_executor(None, pipe.recv)
    hooker.cancel()
    for client in clients:
        await client.close()


def measure(loudest: int, shown: int, duration: float, per_process: int) -> dict[str, Any]:
    from tests.harness.servers import JupyterProcess

    server = JupyterProcess(
        Path(tempfile.mkdtemp()),
        app="jupyter_server",
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
        sfu_loudest_voices=loudest,
        speed=4000,
        max_messages_per_second=200,
        room_capacities="{'table-5': 100}",
    )
    server.start()
    url = server.ws_url + f"?token={server.token}"
    workers = Workers()
    try:
        pipes = [
            workers.start(people_main, url, first, min(per_process, PEOPLE - first), shown)
            for first in range(0, PEOPLE, per_process)
        ]
        workers.ready(pipes, "the participants did not reach the table")
        for pipe in pipes:
            pipe.send("go")
        workers.ready(pipes, "the participants did not get everyone's media")
        progress(f"loudest {loudest}, {shown or 'all'} shown: measuring for {duration:.0f} s")
        time.sleep(3.0)  # the choice of voices settles
        assert server.proc is not None
        pid = server.proc.pid
        for pipe in pipes:
            pipe.send("start")
        cpu0, t0 = cpu_seconds(pid), time.time()
        time.sleep(duration)
        cpu1, t1 = cpu_seconds(pid), time.time()
        totals: dict[str, int] = {}
        for pipe in pipes:
            pipe.send("end")
            for k, v in pipe.recv().items():
                totals[k] = totals.get(k, 0) + v
        for pipe in pipes:
            pipe.send("stop")
    finally:
        workers.stop()
        server.stop()
    seconds = t1 - t0
    return {
        "cpu": 100 * (cpu1 - cpu0) / seconds,
        **{k: v / seconds for k, v in totals.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--per-process", type=int, default=4, help="participants per process")
    args = parser.parse_args(argv)
    rounds = [("everything", 0, 0), ("loudest 3", 3, 0), ("loudest 3, 2 tiles shown", 3, 2)]
    rows = []
    for name, loudest, shown in rounds:
        rows.append((name, measure(loudest, shown, args.duration, args.per_process)))
    print()
    print(
        "| table of 8, cameras on, all talking | server CPU (% of a core) "
        "| sent: video | sent: audio | packets/s (video + audio) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(
            f"| {name} | {r['cpu']:.1f} % | {8 * r['video'] / 1e6:.2f} Mbit/s "
            f"| {8 * r['audio'] / 1e3:.0f} kbit/s "
            f"| {r['video_packets']:.0f} + {r['audio_packets']:.0f} |"
        )


if __name__ == "__main__":
    main()
