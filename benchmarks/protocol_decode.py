"""What decoding one client frame costs, for ordinary and hostile frames.

Decodes each kind of frame many times in this process and prints the time
per frame (median of several rounds), so the cost of the decoder's checks
(UTF-8, nesting, numbers, surrogates) can be read beside the cost of the
parse and validation themselves. Run it by hand (not part of the tests):

    python benchmarks/protocol_decode.py --rounds 7 --number 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import timeit
from functools import partial

from jupyter_classroom import protocol

MAX_BYTES = 16384


def frames() -> dict[str, bytes]:
    chat = {"type": "chat_send", "channel": "class", "text": "x" * 4000, "id": 7}
    signal = {
        "type": "signal",
        "to": "ab12cd34",
        "description": {"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 1500},
        "sources": [
            {"stream": "s1", "source": "camera"},
            {"stream": "s2", "source": "screen_share"},
        ],
    }
    brackets = {"type": "chat_send", "channel": "class", "text": "[{" * 3000}
    return {
        "move": b'{"type":"move","x":412.5,"y":380.1}',
        "ping": b'{"type":"ping","id":12}',
        "chat 4000 chars": json.dumps(chat).encode(),
        "signal with 9 KB SDP": json.dumps(signal).encode(),
        "chat of 6000 brackets": json.dumps(brackets).encode(),
        "chat with emoji (\\ud83d escapes)": json.dumps(
            {"type": "chat_send", "channel": "class", "text": "\U0001f600" * 500}
        ).encode(),
        "hostile: 8000 nested [": b"[" * 8000 + b"]" * 8000,
        "hostile: lone surrogate": b'{"type":"chat_send","channel":"class","text":"\\ud800"}',
        "hostile: 10^400": b'{"type":"move","x":1' + b"0" * 400 + b',"y":1}',
        "hostile: UTF-16": '{"type":"ping"}'.encode("utf-16"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    def decode(frame: bytes) -> None:
        try:
            protocol.decode_client(frame, MAX_BYTES)
        except protocol.ProtocolError:
            pass

    def parse_only(frame: bytes) -> None:
        try:
            json.loads(frame)
        except (ValueError, RecursionError):
            pass

    print(f"{'frame':34} {'bytes':>6} {'decode µs':>10} {'json.loads µs':>14}")
    for name, frame in frames().items():
        times = timeit.repeat(partial(decode, frame), number=args.number, repeat=args.rounds)
        bare = timeit.repeat(partial(parse_only, frame), number=args.number, repeat=args.rounds)
        per = statistics.median(times) / args.number * 1e6
        per_bare = statistics.median(bare) / args.number * 1e6
        print(f"{name:34} {len(frame):6} {per:10.1f} {per_bare:14.1f}")


if __name__ == "__main__":
    main()
